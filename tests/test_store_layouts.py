"""The history store's layouts: every layout csc-metrics wrote is upgraded in place, anything else refused;
a read-only store can be read; a full disk loses nothing stored before."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from tests.conftest import run_cli
from tests.test_store import payload, result

from csc_metrics.errors import CscError
from csc_metrics.store import SCHEMA_VERSION, HistoryStore
from csc_metrics.store_schema import layout

# The layout written by commit 3ab4fb4 ("layout 0"): it too says user_version = 1.
LAYOUT_0 = """    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        definitions_hash TEXT NOT NULL,
        la_code TEXT,
        as_at TEXT NOT NULL,
        fingerprint TEXT NOT NULL UNIQUE,
        metadata TEXT NOT NULL
    );
    CREATE TABLE inputs (
        run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        table_id TEXT NOT NULL,
        rows INTEGER NOT NULL
    );
    CREATE TABLE results (
        run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
        indicator TEXT NOT NULL,
        period TEXT NOT NULL,
        period_start TEXT NOT NULL,
        period_end TEXT NOT NULL,
        category TEXT NOT NULL DEFAULT '',
        numerator REAL,
        denominator REAL,
        value REAL,
        unit TEXT NOT NULL,
        status TEXT NOT NULL,
        complete INTEGER NOT NULL,
        annualised INTEGER NOT NULL,
        as_at TEXT,
        result TEXT NOT NULL
    );
    CREATE INDEX results_lookup ON results(indicator, period, category);
    CREATE INDEX results_run ON results(run_id);
    """

# Schema 1, as written from 8725e8b to 1ab482f.
SCHEMA_1 = """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            tool_version TEXT,
            definitions_hash TEXT,
            la_code TEXT,
            as_at TEXT,
            dedup_key TEXT NOT NULL UNIQUE,
            n_results INTEGER NOT NULL,
            payload_json TEXT NOT NULL
        );
CREATE INDEX runs_la ON runs (la_code, id);
CREATE TABLE inputs (
            run_pk INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            path TEXT,
            sha256 TEXT,
            table_id TEXT,
            rows INTEGER,
            PRIMARY KEY (run_pk, seq)
        );
CREATE TABLE results (
            run_pk INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            indicator TEXT NOT NULL,
            period TEXT NOT NULL,
            period_start TEXT,
            period_end TEXT,
            granularity TEXT,
            category TEXT,
            numerator,
            denominator,
            value,
            unit TEXT,
            status TEXT,
            complete INTEGER,
            annualised INTEGER,
            as_at TEXT,
            result_json TEXT NOT NULL,
            PRIMARY KEY (run_pk, seq)
        );
CREATE INDEX results_key ON results (indicator, period, category);"""

UNCOVERED = "look-back window not covered by annex_a_list_3 for 4 row(s) (CSC301)"


def _layout_0_store(path: Path) -> None:
    r = result("re_referrals_12m", "2024-25 Q4", 10.9, num=12, den=110) | {"warnings": [UNCOVERED]}
    ok = result("re_referrals_12m", "2024-25 Q3", 20.0, num=22, den=110)
    meta = payload([])["metadata"] | {"inputs": [{"path": "l3.csv", "sha256": "b" * 64, "table": "annex_a_list_3",
                                                   "rows": 500, "coverage": ["2024-04-01", "2025-03-31"]}]}
    with sqlite3.connect(path) as conn:
        conn.executescript(LAYOUT_0)
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO runs VALUES ('r0', '2025-04-02T10:00:00+00:00', '0.9.0', 'sha256:d0', '808', "
                     "'2025-03-31', 'fp', ?)", (json.dumps({"metadata": meta, "diagnostics": []}),))
        conn.execute("INSERT INTO inputs VALUES ('r0', 'l3.csv', ?, 'annex_a_list_3', 500)", ("b" * 64,))
        for x in (ok, r):  # REAL columns: 22 is stored as 22.0
            conn.execute("INSERT INTO results VALUES ('r0', ?, ?, ?, ?, '', ?, ?, ?, 'percent', 'ok', 1, 0, NULL, ?)",
                         (x["indicator"], x["period"], x["period_start"], x["period_end"], float(x["numerator"]),
                          float(x["denominator"]), x["value"], json.dumps(x)))


def _schema_1_store(path: Path) -> None:
    r = result("re_referrals_12m", "2024-25 Q4", 10.9, num=12, den=110) | {"warnings": [UNCOVERED]}
    p = payload([])
    p["metadata"]["inputs"][0]["coverage"] = ["2024-04-01", "2025-03-31"]
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA_1)
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO runs (run_id, created_at, tool_version, definitions_hash, la_code, as_at, dedup_key, "
                     "n_results, payload_json) VALUES ('r1', '2025-04-02', '1.0.0', 'sha256:d1', '808', '2025-03-31', "
                     "'k', 1, ?)", (json.dumps(p),))
        conn.execute("INSERT INTO inputs VALUES (1, 0, 'list1.csv', ?, 'annex_a_list_1', 10)", ("a" * 64,))
        conn.execute("INSERT INTO results VALUES (1, 0, 're_referrals_12m', '2024-25 Q4', '2025-01-01', '2025-03-31', "
                     "'quarter', NULL, 12, 110, 10.9, 'percent', 'ok', 1, 0, NULL, ?)", (json.dumps(r),))


def test_layout_0_of_3ab4fb4_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    _layout_0_store(path)
    store = HistoryStore(path)
    rows = store.series("re_referrals_12m", "808")
    # Q3 as stored; Q4 said its look-back was not covered: now incomplete, not ok
    assert [(r["period"], r["numerator"], r["status"], r["source"]) for r in rows] == [
        ("2024-25 Q3", 22, "ok", "annex_a"), ("2024-25 Q4", 12, "incomplete", "annex_a")]
    assert isinstance(rows[0]["numerator"], int)  # REAL 22.0 back to the count 22
    (run,) = store.runs()
    assert run["run_id"] == "r0" and run["inputs"][0]["coverage"] == ["2024-04-01", "2025-03-31"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION and layout(conn) == "2"
    # and it takes new runs
    assert store.write_run(payload([result("referrals", "2025-26 Q1", 5.0)]))[1]


def test_schema_1_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    _schema_1_store(path)
    store = HistoryStore(path)
    (row,) = store.series("re_referrals_12m", "808")
    assert (row["status"], row["complete"], row["source"]) == ("incomplete", False, "annex_a")
    assert store.runs()[0]["inputs"][0]["coverage"] == ["2024-04-01", "2025-03-31"]
    (res,) = store.latest_results("808")
    assert res["status"] == "incomplete" and res["run_id"] == "r1"
    # an incomplete figure is never a previous value
    assert store.previous_values("808", [("re_referrals_12m", "2024-25 Q4", None)]) == {
        ("re_referrals_12m", "2024-25 Q4", None): None}


def test_unknown_layout_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    with sqlite3.connect(path) as conn:  # our table names, another tool's columns, and user_version 1
        conn.executescript("CREATE TABLE runs (x); CREATE TABLE inputs (y); CREATE TABLE results (z);")
        conn.execute("PRAGMA user_version = 1")
    before = path.read_bytes()
    with pytest.raises(CscError) as info:
        HistoryStore(path).runs()
    assert str(path) in str(info.value) and "layout" in str(info.value) and "move the file away" in str(info.value)
    assert path.read_bytes() == before
    out = run_cli(["history", "--store", path], code=2)
    assert "Traceback" not in out.stderr and str(path) in " ".join(out.stderr.split())


@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch):
    """Make a store and its folder read-only. As root (who may write anyway) `os.access` is told the truth of
    the permission bits, so the store is still opened read-only, as it is for everyone else."""

    def make(path: Path) -> None:
        path.chmod(0o444)
        path.parent.chmod(0o555)
        if os.geteuid() == 0:
            real = os.access

            def access(p: object, mode: int, **kw: object) -> bool:
                if mode & os.W_OK and not os.stat(p).st_mode & stat.S_IWUSR:
                    return False
                return real(p, mode, **kw)

            monkeypatch.setattr("csc_metrics.store.os.access", access)

    yield make


def test_read_only_store_is_read(tmp_path: Path, read_only) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "h.sqlite"
    store = HistoryStore(path)
    store.write_run(payload([result("re_referrals_12m", "2024-25", 20.0, num=22, den=110)]))
    read_only(path)
    before = path.read_bytes()
    try:
        fresh = HistoryStore(path)
        assert [r["period"] for r in fresh.series("re_referrals_12m", "808")] == ["2024-25"]
        assert len(fresh.runs()) == 1 and fresh.latest_payload("808") is not None
        assert "re_referrals_12m" in run_cli(["history", "--store", path, "-i", "re_referrals_12m"]).stdout
        with pytest.raises(CscError, match="read-only"):
            fresh.write_run(payload([result("referrals", "2025-26 Q1", 5.0)]))
        assert path.read_bytes() == before
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)


def test_read_only_store_of_an_older_layout_is_read_without_changing_it(tmp_path: Path, read_only) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "h.sqlite"
    _layout_0_store(path)
    read_only(path)
    before = path.read_bytes()
    try:
        rows = HistoryStore(path).series("re_referrals_12m", "808")
        assert [r["status"] for r in rows] == ["ok", "incomplete"]  # upgraded in memory only
        assert path.read_bytes() == before
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)


def test_full_disk_keeps_earlier_runs_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    store = HistoryStore(path)
    store.write_run(payload([result("referrals", "2024-25 Q4", 1.0)]))
    pages = sqlite3.connect(path).execute("PRAGMA page_count").fetchone()[0]
    full = HistoryStore(path)
    full._pragmas = (f"PRAGMA max_page_count = {pages + 1}",)  # room for one more page only
    big = [result("referrals", "2025-26 Q1", float(i), category=f"cat{i}") | {"title": "x" * 400}
           for i in range(200)]
    with pytest.raises(CscError) as info:
        full.write_run(payload(big, shas=("c" * 64,)))
    text = str(info.value)
    assert "disk is full" in text and "not recorded" in text and "intact" in text and str(path) in text
    after = HistoryStore(path)
    assert len(after.runs()) == 1 and after.series("referrals", "808")[0]["value"] == 1.0
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_full_disk_during_compute_is_a_clear_stop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_compute_cli import referrals, write_list

    store = tmp_path / "h.sqlite"
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    write_list(first, "annex_a_list_3", referrals([("A", "01/05/2024"), ("B", "02/05/2024")]))
    write_list(second, "annex_a_list_3", referrals([("A", "01/05/2024"), ("C", "03/06/2024")]))
    run_cli(["compute", first, "--store", store])
    pages = sqlite3.connect(store).execute("PRAGMA page_count").fetchone()[0]
    monkeypatch.setattr(HistoryStore, "_pragmas", (f"PRAGMA max_page_count = {pages}",))
    err = " ".join(run_cli(["compute", second, "--store", store], code=2).stderr.split())
    assert "disk is full" in err and "not recorded" in err and "intact" in err and "Traceback" not in err
    monkeypatch.setattr(HistoryStore, "_pragmas", ())
    assert len(HistoryStore(store).runs()) == 1
