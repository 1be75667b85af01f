"""`csc-metrics history`: runs and series from a real store; friendly when nothing is stored yet."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from tests.conftest import run_cli
from tests.test_compute_cli import referrals, write_list
from tests.test_store import payload, result

from csc_metrics.store import STORE_ENV, HistoryStore


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(STORE_ENV, raising=False)


@pytest.fixture
def filled(tmp_path: Path) -> tuple[Path, str, str]:
    """Two runs for LA 808: the second revises Q2 and adds Q3; a breakdown in the first."""
    path = tmp_path / "h.sqlite"
    hs = HistoryStore(path)
    run1, _ = hs.write_run(
        payload(
            [
                result("re_referrals_12m", "2025-26 Q1", 14.583333, num=35, den=240),
                result("re_referrals_12m", "2025-26 Q2", 20.0, num=50, den=250),
                result("referrals_by_source", "2025-26 Q1", 60.0, num=6, den=10, category="6"),
                result("referrals_by_source", "2025-26 Q1", 40.0, num=4, den=10, category="2A"),
            ],
            shas=("1" * 64,),
        )
    )
    run2, _ = hs.write_run(
        payload(
            [
                result("re_referrals_12m", "2025-26 Q2", 22.0, num=55, den=250),
                result("re_referrals_12m", "2025-26 Q3", 18.0, num=45, den=250),
            ],
            shas=("2" * 64,),
            as_at="2025-12-31",
        )
    )
    return path, run1, run2


def test_nothing_stored_yet_is_a_message_not_an_error(tmp_path: Path) -> None:
    out = run_cli(["history"])
    assert "run `csc-metrics compute" in out.stderr and out.stdout == ""
    out = run_cli(["history", "--format", "json"])
    assert json.loads(out.stdout)["runs"] == []
    out = run_cli(["history", "-i", "referrals", "--format", "csv"])
    assert out.stdout.splitlines()[0].startswith("period,")
    assert not (tmp_path / ".csc-metrics").exists()  # reading creates nothing


def test_empty_store_file_is_a_message(tmp_path: Path) -> None:
    (tmp_path / "empty.sqlite").touch()
    out = run_cli(["history", "--store", "empty.sqlite"])
    assert "No runs stored" in out.stderr


@pytest.mark.parametrize("how", ["option", "env", "config"])
def test_named_store_that_does_not_exist_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    args = ["history"]
    if how == "option":
        args += ["--store", "nope.sqlite"]
    elif how == "env":
        monkeypatch.setenv(STORE_ENV, "nope.sqlite")
    else:
        (tmp_path / "csc-metrics.toml").write_text('store = "nope.sqlite"\n', encoding="utf-8")
    err = run_cli(args, code=2).stderr
    assert "nope.sqlite" in err and "not found" in err


def test_default_store_under_working_directory(tmp_path: Path) -> None:
    HistoryStore(tmp_path / ".csc-metrics" / "history.sqlite").write_run(
        payload([result("x", "2025-26", 1.0)])
    )
    assert len(json.loads(run_cli(["history", "-f", "json"]).stdout)["runs"]) == 1


def test_list_runs(filled: tuple[Path, str, str]) -> None:
    path, run1, run2 = filled
    doc = json.loads(run_cli(["history", "--store", path, "--format", "json"]).stdout)
    assert [r["run_id"] for r in doc["runs"]] == [run1, run2]
    assert [r["n_results"] for r in doc["runs"]] == [4, 2]
    assert doc["runs"][1]["as_at"] == "2025-12-31" and doc["runs"][0]["inputs"][0]["sha256"] == "1" * 64
    rows = list(csv.DictReader(io.StringIO(run_cli(["history", "--store", path, "-f", "csv"]).stdout)))
    assert [r["run_id"] for r in rows] == [run1, run2] and rows[0]["la_code"] == "808"
    table = run_cli(["history", "--store", path]).stdout
    assert run1[:8] in table and run2[:8] in table and "2025-12-31" in table
    assert run_cli(["history", "--store", path, "--la", "999"]).stderr.startswith("No runs stored for LA 999")


def test_indicator_series_latest_run_wins(filled: tuple[Path, str, str]) -> None:
    path, run1, run2 = filled
    doc = json.loads(run_cli(["history", "--store", path, "-i", "re_referrals_12m", "-f", "json"]).stdout)
    got = [(r["period"], r["value"], r["numerator"], r["denominator"], r["run_id"]) for r in doc["series"]]
    assert got == [
        ("2025-26 Q1", 14.583333, 35, 240, run1),
        ("2025-26 Q2", 22.0, 55, 250, run2),  # revised by the later run
        ("2025-26 Q3", 18.0, 45, 250, run2),
    ]
    table = run_cli(["history", "--store", path, "--indicator", "re_referrals_12m"]).stdout
    assert "14.6" in table and "2025-26 Q3" in table and run2[:8] in table
    every = json.loads(
        run_cli(["history", "--store", path, "-i", "re_referrals_12m", "--all-runs", "-f", "json"]).stdout
    )["series"]
    assert [(r["period"], r["value"], r["superseded"]) for r in every] == [
        ("2025-26 Q1", 14.583333, False),
        ("2025-26 Q2", 20.0, True),
        ("2025-26 Q2", 22.0, False),
        ("2025-26 Q3", 18.0, False),
    ]
    rows = list(
        csv.DictReader(
            io.StringIO(run_cli(["history", "--store", path, "-i", "re_referrals_12m", "-f", "csv"]).stdout)
        )
    )
    assert [r["value"] for r in rows] == ["14.583333", "22.0", "18.0"]


def test_breakdown_needs_a_known_category(filled: tuple[Path, str, str]) -> None:
    path, run1, _ = filled
    err = run_cli(["history", "--store", path, "-i", "referrals_by_source"], code=2).stderr
    assert "breakdown" in err and "2A, 6" in err
    doc = json.loads(
        run_cli(
            ["history", "--store", path, "-i", "referrals_by_source", "--category", "6", "-f", "json"]
        ).stdout
    )
    assert [(r["period"], r["value"], r["category"]) for r in doc["series"]] == [("2025-26 Q1", 60.0, "6")]
    err = run_cli(["history", "--store", path, "-i", "referrals_by_source", "--category", "9"], code=2).stderr
    assert "no stored category `9`" in err


def test_unknown_indicator_suggests(filled: tuple[Path, str, str]) -> None:
    path, _, _ = filled
    err = run_cli(["history", "--store", path, "-i", "re_referals_12m"], code=2).stderr
    assert "re_referals_12m" in err and "did you mean re_referrals_12m" in err


def test_corrupt_store_exits_2(tmp_path: Path) -> None:
    (tmp_path / "bad.sqlite").write_bytes(b"not sqlite" * 50)
    err = run_cli(["history", "--store", "bad.sqlite"], code=2).stderr
    assert "bad.sqlite" in err and "move the file away" in err


def test_compute_then_history(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_list(
        folder, "annex_a_list_3", referrals([("A", "01/04/2024"), ("B", "15/05/2024"), ("C", "01/07/2024")])
    )
    store = tmp_path / "h.sqlite"
    run_cli(["compute", folder, "--store", store, "--as-at", "2024-09-30", "--format", "json"])
    run_cli(
        ["compute", folder, "--store", store, "--as-at", "2024-09-30", "--format", "json"]
    )  # same: no copy
    runs = json.loads(run_cli(["history", "--store", store, "-f", "json"]).stdout)["runs"]
    assert len(runs) == 1 and runs[0]["as_at"] == "2024-09-30" and runs[0]["n_results"] > 0
    series = json.loads(run_cli(["history", "--store", store, "-i", "referrals", "-f", "json"]).stdout)[
        "series"
    ]
    # referrals dated 1 Apr and 15 May 2024 fall in 2024-25 Q1, 1 Jul 2024 in Q2
    assert [(r["period"], r["value"]) for r in series] == [("2024-25 Q1", 2), ("2024-25 Q2", 1)]
