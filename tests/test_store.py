"""The history store on a real SQLite file: atomic runs, de-duplication, supersession, concurrency."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import csc_metrics
from csc_metrics.engine.periods import parse_period
from csc_metrics.errors import CscError
from csc_metrics.store import (
    SCHEMA_VERSION,
    STORE_ENV,
    HistoryStore,
    default_store_path,
    resolve_store_path,
)

SRC = str(Path(csc_metrics.__file__).resolve().parents[1])


def result(
    indicator: str,
    period: str,
    value: float | None,
    *,
    num: int | None = None,
    den: int | None = None,
    category: str | None = None,
    status: str = "ok",
    complete: bool = True,
) -> dict[str, Any]:
    p = parse_period(period)
    return {
        "indicator": indicator,
        "title": indicator.replace("_", " "),
        "section": "inputs",
        "kind": "flow",
        "period": p.label,
        "period_start": p.start.isoformat(),
        "period_end": p.end.isoformat(),
        "complete": complete,
        "as_at": None,
        "category": category,
        "numerator": num,
        "denominator": den,
        "value": value,
        "unit": "percent",
        "annualised": False,
        "polarity": "low",
        "previous_period": p.previous().label,
        "previous_value": None,
        "change": None,
        "direction": None,
        "assessment": None,
        "status": status,
        "warnings": [],
    }


def payload(
    results: list[dict[str, Any]],
    *,
    shas: tuple[str, ...] = ("a" * 64,),
    la: str | None = "808",
    as_at: str = "2025-09-30",
    definitions_hash: str = "sha256:d1",
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "metadata": {
            "tool_version": "1.0.0",
            "definitions_hash": definitions_hash,
            "la_code": la,
            "as_at": as_at,
            "inputs": [
                {"path": f"list{i}.csv", "sha256": s, "table": f"annex_a_list_{i}", "rows": 10 * i}
                for i, s in enumerate(shas, start=1)
            ],
            "calendar": {
                "holidays_source": "python-holidays",
                "holidays_version": "0.109",
                "years": [2024, 2026],
            },
        },
        "results": results,
        "diagnostics": [{"code": "CSC203", "severity": "warning", "message": "m"}],
    }


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(tmp_path / ".csc-metrics" / "history.sqlite")


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_write_and_read_back(store: HistoryStore) -> None:
    p = payload([result("re_referrals_12m", "2025-26 Q1", 14.583333, num=35, den=240)])
    run_id, created = store.write_run(p)
    assert created and len(run_id) == 32 and int(run_id, 16) >= 0
    expected = json.loads(json.dumps(p))
    expected["metadata"]["run_id"] = run_id
    assert store.latest_payload() == expected
    assert store.latest_payload("808") == store.latest_payload()
    assert store.latest_payload("999") is None
    (run,) = store.runs()
    assert run["run_id"] == run_id and run["la_code"] == "808" and run["as_at"] == "2025-09-30"
    assert run["n_results"] == 1 and run["definitions_hash"] == "sha256:d1" and run["tool_version"] == "1.0.0"
    assert run["inputs"] == [{"path": "list1.csv", "sha256": "a" * 64, "table": "annex_a_list_1", "rows": 10,
                             "coverage": None}]
    assert run["created_at"].endswith("+00:00")
    (row,) = store.series("re_referrals_12m")
    assert (row["numerator"], row["denominator"], row["value"]) == (35, 240, 14.583333)
    assert isinstance(row["numerator"], int)
    assert row["granularity"] == "quarter" and row["complete"] is True and row["run_id"] == run_id
    assert integrity(store.path) == "ok"


def test_dates_in_payload_are_stored_as_iso(store: HistoryStore) -> None:
    p = payload([result("referrals", "2025-26 Q1", 240.0)])
    p["metadata"]["as_at"] = date(2025, 9, 30)
    p["results"][0]["period_start"] = date(2025, 4, 1)
    store.write_run(p)
    back = store.latest_payload()
    assert back is not None
    assert back["metadata"]["as_at"] == "2025-09-30" and back["results"][0]["period_start"] == "2025-04-01"
    assert store.runs()[0]["as_at"] == "2025-09-30"


def test_same_inputs_do_not_duplicate(store: HistoryStore) -> None:
    res = [result("referrals", "2025-26 Q1", 240.0, num=240), result("referrals", "2025-26 Q2", 250.0)]
    first, created = store.write_run(payload(res, shas=("a" * 64, "b" * 64)))
    assert created
    # same set of inputs in another order, same figures, and a different previous_value (from history)
    again = payload(res, shas=("b" * 64, "a" * 64))
    again["results"][0] = again["results"][0] | {"previous_value": 230.0}
    again["metadata"]["run_id"] = "set-by-an-earlier-read"  # ignored: the store assigns run ids
    assert store.write_run(again) == (first, False)
    assert len(store.runs()) == 1
    # each of these is a different run
    assert store.write_run(payload(res, shas=("a" * 64,)))[1]
    assert store.write_run(payload(res, shas=("a" * 64, "b" * 64), as_at="2025-09-29"))[1]
    assert store.write_run(payload(res, shas=("a" * 64, "b" * 64), definitions_hash="sha256:d2"))[1]
    assert store.write_run(payload(res, shas=("a" * 64, "b" * 64), la="807"))[1]
    assert len(store.runs()) == 5
    assert len(store.runs("808")) == 4


def test_different_figures_on_same_inputs_are_a_new_run(store: HistoryStore) -> None:
    store.write_run(payload([result("referrals", "2025-26 Q1", 240.0)]))
    # e.g. only some indicators asked for, or a local closure changed a duration
    _, created = store.write_run(payload([result("referrals", "2025-26 Q1", 241.0)]))
    assert created and len(store.runs()) == 2


def test_later_run_supersedes_and_both_stay_queryable(store: HistoryStore) -> None:
    run1, _ = store.write_run(
        payload(
            [result("cp_second", "2025-26 Q1", 10.0), result("cp_second", "2025-26 Q2", 20.0)],
            shas=("1" * 64,),
        )
    )
    run2, _ = store.write_run(
        payload(
            [result("cp_second", "2025-26 Q2", 25.0), result("cp_second", "2025-26 Q3", 30.0)],
            shas=("2" * 64,),
        )
    )
    got = [(r["period"], r["value"], r["run_id"]) for r in store.series("cp_second")]
    assert got == [("2025-26 Q1", 10.0, run1), ("2025-26 Q2", 25.0, run2), ("2025-26 Q3", 30.0, run2)]
    every = [(r["period"], r["value"], r["superseded"]) for r in store.series("cp_second", all_runs=True)]
    assert every == [
        ("2025-26 Q1", 10.0, False),
        ("2025-26 Q2", 20.0, True),
        ("2025-26 Q2", 25.0, False),
        ("2025-26 Q3", 30.0, False),
    ]
    assert [(r["period"], r["value"]) for r in store.latest_results()] == [
        ("2025-26 Q1", 10.0),
        ("2025-26 Q2", 25.0),
        ("2025-26 Q3", 30.0),
    ]
    assert [r["run_id"] for r in store.runs()] == [run1, run2]


def test_incomplete_or_no_data_does_not_supersede_a_complete_figure(store: HistoryStore) -> None:
    store.write_run(
        payload([result("cla_at_end", "2024-25 Q4", 100.0), result("contacts", "2024-25 Q4", 50.0)])
    )
    # a newer, shorter extract: Q4 only partly covered; and the contacts list was not supplied
    store.write_run(
        payload(
            [
                result("cla_at_end", "2024-25 Q4", 40.0, status="incomplete", complete=False),
                result("contacts", "2024-25 Q4", None, status="no_data"),
            ],
            shas=("c" * 64,),
        )
    )
    assert [r["value"] for r in store.series("cla_at_end")] == [100.0]
    assert [r["value"] for r in store.series("contacts")] == [50.0]
    assert store.previous_values("808", [("cla_at_end", "2024-25 Q4", None)]) == {
        ("cla_at_end", "2024-25 Q4", None): 100.0
    }


def test_breakdown_categories_come_from_one_run(store: HistoryStore) -> None:
    store.write_run(
        payload(
            [
                result("by_source", "2025-26 Q1", 60.0, num=6, den=10, category="6"),
                result("by_source", "2025-26 Q1", 40.0, num=4, den=10, category="2A"),
            ]
        )
    )
    store.write_run(
        payload([result("by_source", "2025-26 Q1", 100.0, num=9, den=9, category="6")], shas=("d" * 64,))
    )
    # category 2A is absent from the newer run: it must not linger from the older one
    assert [(r["category"], r["value"]) for r in store.latest_results()] == [("6", 100.0)]
    assert [r["value"] for r in store.series("by_source", category="6")] == [100.0]
    assert store.series("by_source", category="2A") == []
    assert store.series("by_source") == []  # no uncategorised rows
    assert store.indicators() == {"by_source": ["2A", "6"]}


def test_previous_values(store: HistoryStore) -> None:
    store.write_run(
        payload(
            [
                result("re_referrals_12m", "2024-25 Q4", 16.1),
                result("re_referrals_12m", "2024-25 Q3", None, status="empty"),
                result("by_source", "2024-25 Q4", 30.0, category="6"),
            ]
        )
    )
    store.write_run(payload([result("re_referrals_12m", "2024-25 Q4", 16.4)], shas=("e" * 64,)))
    store.write_run(payload([result("re_referrals_12m", "2024-25 Q4", 99.0)], la="807"))
    keys = [
        ("re_referrals_12m", "2024-25 Q4", None),
        ("re_referrals_12m", "2024-25 Q3", None),  # stored, but empty: no value
        ("re_referrals_12m", "2023-24 Q4", None),  # never stored
        ("by_source", "2024-25 Q4", "6"),
        ("by_source", "2024-25 Q4", None),
    ]
    assert store.previous_values("808", keys) == {
        ("re_referrals_12m", "2024-25 Q4", None): 16.4,  # the later run's revision
        ("re_referrals_12m", "2024-25 Q3", None): None,
        ("re_referrals_12m", "2023-24 Q4", None): None,
        ("by_source", "2024-25 Q4", "6"): 30.0,
        ("by_source", "2024-25 Q4", None): None,
    }
    assert store.previous_values("807", keys[:1]) == {keys[0]: 99.0}
    assert store.previous_values(None, keys[:1]) == {keys[0]: None}  # no run without an LA
    assert store.previous_values("808", []) == {}


def test_an_incomplete_figure_is_never_a_previous_value(store: HistoryStore) -> None:
    """Three ways a figure is incomplete: its status says so; an older payload wrote `ok` with `complete`
    false (the period not fully covered); or `ok` with a look-back window not covered (CSC301). None of
    them is stored as `ok`, so none is ever the previous value, and a complete figure from an earlier run
    still is."""
    uncovered = result("re_referrals_12m", "2024-25 Q3", 9.0)
    uncovered["findings"] = [{"code": "CSC301", "args": {"window": "look-back", "table": "annex_a_list_3",
                                                          "rows": 12}}]
    store.write_run(payload([result("referrals", "2024-25 Q4", 50.0)]))
    store.write_run(payload([
        result("re_referrals_12m", "2024-25 Q4", 10.0, status="incomplete", complete=False),
        result("contacts", "2024-25 Q4", 11.0, complete=False),  # status ok, period not covered
        result("referrals", "2024-25 Q4", 12.0, complete=False),
        uncovered,
    ], shas=("f" * 64,)))
    keys = [("re_referrals_12m", "2024-25 Q4", None), ("contacts", "2024-25 Q4", None),
            ("re_referrals_12m", "2024-25 Q3", None), ("referrals", "2024-25 Q4", None)]
    assert store.previous_values("808", keys) == {
        ("re_referrals_12m", "2024-25 Q4", None): None,
        ("contacts", "2024-25 Q4", None): None,
        ("re_referrals_12m", "2024-25 Q3", None): None,
        ("referrals", "2024-25 Q4", None): 50.0,  # the earlier run's complete figure
    }
    assert {r["indicator"]: r["status"] for r in store.latest_results("808")
            if r["indicator"] != "referrals"} == dict.fromkeys(["re_referrals_12m", "contacts"], "incomplete")


def test_default_la_is_the_latest_runs(store: HistoryStore) -> None:
    store.write_run(payload([result("referrals", "2025-26 Q1", 1.0)], la="807"))
    store.write_run(payload([result("referrals", "2025-26 Q1", 2.0)], la="808"))
    assert [r["value"] for r in store.series("referrals")] == [2.0]
    assert [r["value"] for r in store.series("referrals", la_code="807")] == [1.0]
    assert [r["value"] for r in store.latest_results("807")] == [1.0]


def test_missing_store_reads_empty_and_creates_nothing(store: HistoryStore) -> None:
    assert store.runs() == [] and store.series("x") == [] and store.latest_results() == []
    assert store.latest_payload() is None and store.previous_values("808", [("x", "2025-26", None)]) == {
        ("x", "2025-26", None): None
    }
    assert not store.path.exists() and not store.path.parent.exists()


def test_migration_from_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    path.touch()
    s = HistoryStore(path)
    assert s.runs() == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"runs", "inputs", "results"} <= tables
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s.write_run(payload([result("referrals", "2025-26 Q1", 1.0)]))[1]


@pytest.mark.parametrize(
    "content", [b"this is not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 200]
)
def test_corrupt_file_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "history.sqlite"
    path.write_bytes(content)
    s = HistoryStore(path)
    for action in (s.runs, lambda: s.write_run(payload([]))):
        with pytest.raises(CscError) as info:
            action()
        assert str(path) in str(info.value) and "move the file away" in str(info.value)
        assert info.value.exit_code == 2
    assert path.read_bytes() == content  # left untouched


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(CscError, match="not a csc-metrics history store"):
        HistoryStore(path).runs()


def test_newer_store_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    HistoryStore(path).write_run(payload([]))
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(CscError, match="newer csc-metrics"):
        HistoryStore(path).runs()


def test_store_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STORE_ENV, raising=False)
    assert default_store_path(tmp_path) == tmp_path / ".csc-metrics" / "history.sqlite"
    assert resolve_store_path(None) == (Path.cwd() / ".csc-metrics" / "history.sqlite", False)
    assert resolve_store_path(None, Path("cfg.sqlite")) == (Path("cfg.sqlite"), True)
    assert resolve_store_path(Path("opt.sqlite"), Path("cfg.sqlite")) == (Path("opt.sqlite"), True)
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "env.sqlite"))
    assert default_store_path(tmp_path) == tmp_path / "env.sqlite"
    assert resolve_store_path(None, Path("cfg.sqlite")) == (tmp_path / "env.sqlite", True)


# --- real processes -----------------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from csc_metrics.store import HistoryStore
    path, tag, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    while not go.exists():
        time.sleep(0.005)
    store = HistoryStore(Path(path))
    for i in range(n):
        results = [
            {"indicator": f"ind{k}", "period": "2025-26 Q1", "period_start": "2025-04-01",
             "period_end": "2025-06-30", "category": None, "value": float(i), "status": "ok",
             "complete": True}
            for k in range(50)
        ]
        meta = {"la_code": "808", "as_at": "2025-09-30", "definitions_hash": "h",
                "inputs": [{"path": "x.csv", "sha256": f"{tag}-{i}", "table": "t", "rows": 1}]}
        run_id, created = store.write_run({"schema_version": 1, "metadata": meta, "results": results})
        assert created
    """
)


def _env() -> dict[str, str]:
    return os.environ | {"PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "new" / "history.sqlite"  # neither process finds a store: both create and migrate
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), tag, "15", str(go)],
            env=_env(),
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("p1", "p2")
    ]
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    runs = HistoryStore(path).runs()
    assert len(runs) == 30 and all(r["n_results"] == 50 for r in runs)
    assert {r["inputs"][0]["sha256"].split("-")[0] for r in runs} == {"p1", "p2"}
    assert integrity(path) == "ok"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 30 * 50


KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from csc_metrics.store import HistoryStore
    path, flag = Path(sys.argv[1]), Path(sys.argv[2])
    original = HistoryStore._insert_results

    def insert_then_hang(conn, rows):
        original(conn, rows)  # results written inside the open transaction...
        flag.touch()
        time.sleep(120)  # ...and the process is killed before COMMIT

    HistoryStore._insert_results = staticmethod(insert_then_hang)
    results = [{"indicator": "referrals", "period": "2025-26 Q2", "value": float(k), "category": str(k)}
               for k in range(2000)]
    meta = {"la_code": "808", "as_at": "2025-09-30", "inputs": [{"sha256": "killed"}]}
    HistoryStore(path).write_run({"schema_version": 1, "metadata": meta, "results": results})
    """
)


def test_killed_writer_leaves_no_partial_run(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    store = HistoryStore(path)
    kept, _ = store.write_run(payload([result("referrals", "2025-26 Q1", 240.0)]))
    flag = tmp_path / "inside-transaction"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path), str(flag)], env=_env())
    try:
        deadline = time.monotonic() + 60
        while not flag.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert flag.exists(), "the writer never reached the middle of its transaction"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    after = HistoryStore(path)
    assert [r["run_id"] for r in after.runs()] == [kept]
    assert integrity(path) == "ok"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM inputs").fetchone()[0] == 1
    # the store is not left locked: the next run writes normally
    assert after.write_run(payload([result("referrals", "2025-26 Q2", 250.0)], shas=("f" * 64,)))[1]
    assert [r["value"] for r in after.series("referrals")] == [240.0, 250.0]
