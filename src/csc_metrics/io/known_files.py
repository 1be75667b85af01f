"""Facts about an input file that depend on its bytes alone (its SHA-256, the CSV checks it passed), kept in the
user's cache folder (`cache.cache_dir`) so that an unchanged extract is not hashed or scanned again on the next run.

A file is known by its stamp: device, inode, size, and the times of its last change in nanoseconds (mtime, and
ctime, which every write, rename or `touch` moves and no program can set back). Any change to the file gives it a
new stamp, so a fact of its old bytes is never used for the new ones. A fact is recorded only when the file was
last changed more than `SETTLED` seconds before it was read and still has the same stamp after the fact was worked
out (a file being written meanwhile is not trusted). Deleting the cache is always safe: the facts are worked out
again.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from csc_metrics.cache import cache_dir

SETTLED = 2.0  # seconds since a file's last change before its facts are kept
MAX_FILES = 512  # files remembered; the oldest entries go first
_LOCK = threading.Lock()
_STATE: dict[str, object] = {}  # "path": the cache file loaded, "facts": stamp -> {fact: value}


def stamp(st: os.stat_result) -> str | None:
    """The file's stamp, or None when it changed too recently to keep facts about it."""
    if time.time() - max(st.st_mtime, st.st_ctime) <= SETTLED:
        return None
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def _facts() -> dict[str, dict[str, str]]:
    path = cache_dir() / "known-files.json"
    if _STATE.get("path") != path:  # first use, or another cache folder (tests)
        try:
            loaded = json.loads(path.read_text())
            facts = {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, dict)}
        except Exception:  # missing or damaged: nothing known
            facts = {}
        _STATE.update(path=path, facts=facts)
    return _STATE["facts"]  # type: ignore[return-value]


def recall(key: str | None, fact: str) -> str | None:
    """A fact recorded for the file with stamp `key` (None: nothing known)."""
    if key is None:
        return None
    with _LOCK:
        value = _facts().get(key, {}).get(fact)
    return value if isinstance(value, str) else None


def record(path: Path, key: str | None, fact: str, value: str) -> None:
    """Keep `fact` of the file at `path`, whose stamp was `key` when it was read, if it still is."""
    if key is None:
        return
    try:
        if stamp(os.stat(path)) != key:
            return  # changed while it was read
    except OSError:
        return
    with _LOCK:
        facts = _facts()
        facts.setdefault(key, {})[fact] = value
        while len(facts) > MAX_FILES:
            del facts[next(iter(facts))]
        target: Path = _STATE["path"]  # type: ignore[assignment]
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(facts))
            tmp.replace(target)
        except OSError:
            pass  # a read-only home: nothing kept, same results
