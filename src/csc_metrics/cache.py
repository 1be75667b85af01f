"""The user's cache folder (`$XDG_CACHE_HOME/csc-metrics`, else `~/.cache/csc-metrics`): parsed definitions, the
bank holidays list and the SHA-256 and CSV checks of unchanged input files (`io.known_files`) are kept there
between runs. Deleting it is always safe."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "csc-metrics"
