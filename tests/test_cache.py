"""The cache folder keeps only the newest few definitions pickles and check markers."""

from __future__ import annotations

import os

from csc_metrics.cache import cache_dir, prune


def test_prune_keeps_the_newest_files_of_the_pattern(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = cache_dir()
    folder.mkdir(parents=True)
    for i in range(12):  # definitions-0 is the oldest, definitions-11 the newest
        p = folder / f"definitions-{i}.pickle"
        p.write_text(str(i))
        os.utime(p, (1_000_000 + i, 1_000_000 + i))
    other = folder / "known-files.json"
    other.write_text("{}")
    prune("definitions-*.pickle", keep=8)
    left = sorted(int(p.stem.split("-")[1]) for p in folder.glob("definitions-*.pickle"))
    assert left == [4, 5, 6, 7, 8, 9, 10, 11]  # 12 - 8 = 4 oldest removed
    assert other.exists()  # other cache files untouched


def test_prune_without_a_cache_folder_does_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "absent"))
    prune("definitions-*.pickle")
    assert not (tmp_path / "absent").exists()
