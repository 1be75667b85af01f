"""The user's cache folder (`$XDG_CACHE_HOME/csc-metrics`, else `~/.cache/csc-metrics`): parsed definitions, the
bank holidays list and the SHA-256 and CSV checks of unchanged input files (`io.known_files`) are kept there
between runs. Deleting it is always safe."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "csc-metrics"


def prune(pattern: str, keep: int = 8) -> None:
    """Delete all but the `keep` most recently written cache files matching `pattern` (each changed set of
    definitions or version of the tool writes a new one; nothing else ever removes the old ones)."""
    try:
        found = sorted(cache_dir().glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in found[keep:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # another process pruned first, or a read-only home: nothing to do
