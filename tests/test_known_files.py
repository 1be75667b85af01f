"""The known-files cache (`io.known_files`): an unchanged CSV is neither hashed nor scanned again, a changed one
always is, and a file written moments ago is never trusted."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from csc_metrics.errors import InputError
from csc_metrics.io import known_files, limits, sources

CSV = b"Child Unique ID,Date of referral\n1,01/04/2024\n2,02/04/2024\n"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private cache folder, and files counted as settled at once (no 2-second wait)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(known_files, "SETTLED", -1.0)
    return tmp_path / "cache" / "csc-metrics" / "known-files.json"


def _digest(path: Path) -> str:
    return next(sources.open_path(path)).digest.result()


def _no_work(monkeypatch) -> None:
    def fail(*_a, **_k):
        raise AssertionError("worked out again")

    monkeypatch.setattr(sources, "_sha256", fail)
    monkeypatch.setattr(sources, "_check_csv", fail)


def test_unchanged_file_is_not_hashed_or_checked_again(tmp_path, cache, monkeypatch):
    path = tmp_path / "list_03.csv"
    path.write_bytes(CSV)
    assert _digest(path) == hashlib.sha256(CSV).hexdigest()
    assert cache.exists()
    _no_work(monkeypatch)
    known_files._STATE.clear()  # as a new process would: read from the cache file
    assert _digest(path) == hashlib.sha256(CSV).hexdigest()


def test_changed_file_is_hashed_again_even_with_its_old_size_and_mtime(tmp_path, cache):
    path = tmp_path / "list_03.csv"
    path.write_bytes(CSV)
    _digest(path)
    before = path.stat()
    changed = CSV.replace(b"02/04", b"03/04")  # same size
    path.write_bytes(changed)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # the old mtime put back: ctime still moves
    assert _digest(path) == hashlib.sha256(changed).hexdigest()


def test_file_written_moments_ago_is_not_remembered(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(known_files, "SETTLED", 3600.0)
    path = tmp_path / "list_03.csv"
    path.write_bytes(CSV)
    assert _digest(path) == hashlib.sha256(CSV).hexdigest()
    assert not cache.exists()


def test_a_refused_csv_is_refused_every_time(tmp_path, cache):
    path = tmp_path / "list_03.csv"
    path.write_bytes(b'Child Unique ID,Date of referral\n"1"x,01/04/2024\n')
    for _ in range(2):
        with pytest.raises(InputError, match="CSC251|closing quote"):
            list(sources.open_path(path))


def test_other_limits_check_again(tmp_path, cache, monkeypatch):
    path = tmp_path / "list_03.csv"
    path.write_bytes(CSV)
    _digest(path)
    tight = limits.active().model_copy(update={"csv_max_line_bytes": 8})
    monkeypatch.setattr(limits, "active", lambda: tight)
    with pytest.raises(InputError, match="longer than 8 bytes"):
        list(sources.open_path(path))


def test_damaged_cache_file_is_ignored(tmp_path, cache):
    cache.parent.mkdir(parents=True)
    cache.write_text("{not json")
    path = tmp_path / "list_03.csv"
    path.write_bytes(CSV)
    assert _digest(path) == hashlib.sha256(CSV).hexdigest()


def test_stamp_waits_for_a_settled_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(CSV)
    assert known_files.stamp(path.stat()) is None  # just written
    old = time.time() - 60
    os.utime(path, (old, old))
    assert known_files.stamp(path.stat()) is None  # ctime moved by utime: still just changed
