"""The user's cache folder (`$XDG_CACHE_HOME/csc-metrics`, else `~/.cache/csc-metrics`): parsed definitions and
the bank holidays list are kept there between runs. Deleting it is always safe."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "csc-metrics"
