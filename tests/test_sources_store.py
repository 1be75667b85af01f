"""`compare --period` and `history -i` over a real store holding figures of two sources (Annex A and the CIN
census), built by running `compute` on small fixtures: every source is read, the DfE return is shown by
default, `--source` chooses, every row says its source, and two sources are never one series."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from tests.cin_helpers import census_file, child, details
from tests.conftest import run_cli
from tests.test_compute_cli import referrals, write_list

SCHEMA = json.loads(resources.files("csc_metrics").joinpath("data", "compare.schema.json").read_text())


def cin_folder(tmp_path: Path) -> Path:
    """A CIN census for 2024-25: referrals of A (1 May), B (1 June), C (1 July) = 3 in the year."""
    folder = tmp_path / "cin"
    folder.mkdir()
    census_file(folder, 2025, child("A", details("2024-05-01")), child("B", details("2024-06-01")),
                child("C", details("2024-07-01")))
    return folder


def annex_folder(tmp_path: Path) -> Path:
    """An Annex A List 3 for 2024-25: referrals of W, X (Apr), Y (Sep), Z (Jan) = 4 in the year."""
    folder = tmp_path / "annex"
    folder.mkdir()
    write_list(folder, "annex_a_list_3", referrals([("W", "01/04/2024"), ("X", "15/04/2024"),
                                                     ("Y", "01/09/2024"), ("Z", "10/01/2025")]))
    return folder


def compute_into(store: Path, folder: Path, as_at: str = "2025-03-31") -> None:
    run_cli(["compute", folder, "--la", "808", "--period", "year", "--store", store, "--as-at", as_at,
             "-f", "json"])


@pytest.fixture
def cin_only(tmp_path: Path) -> Path:
    store = tmp_path / "cin.sqlite"
    compute_into(store, cin_folder(tmp_path))
    return store


@pytest.fixture
def both(tmp_path: Path) -> Path:
    store = tmp_path / "both.sqlite"
    compute_into(store, annex_folder(tmp_path))
    compute_into(store, cin_folder(tmp_path))
    return store


def _rows(out: str, indicator: str) -> list[dict]:
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    return [c for c in doc["comparisons"] if c["indicator"] == indicator]


def test_compare_period_reads_a_store_of_cin_census_results_only(cin_only):
    out = run_cli(["compare", "--store", cin_only, "--period", "2024-25", "-b", "published", "-f", "json"]).stdout
    [row] = _rows(out, "referrals")
    assert (row["value"], row["source"], row["measure"]) == (3, "cin_census", "CPP_Total_NumRef")
    assert json.loads(out)["metadata"]["sources"] == ["cin_census"]
    # a period the store does not hold names the ones it does (the bug said "no periods")
    err = run_cli(["compare", "--store", cin_only, "--period", "2023-24"], code=2).stderr
    assert "2024-25" in err and "no periods" not in err


def test_the_dfe_return_is_compared_by_default_and_source_chooses(both):
    base = ["compare", "--store", both, "--period", "2024-25", "-b", "published"]
    res = run_cli([*base, "-f", "json"])
    [row] = _rows(res.stdout, "referrals")
    assert (row["value"], row["source"]) == (3, "cin_census")  # the census's 3, not List 3's 4
    assert "pass --source annex_a" in res.stderr  # the Annex A figure set aside is mentioned
    [row] = _rows(run_cli([*base, "--source", "annex_a", "-f", "json"]).stdout, "referrals")
    assert (row["value"], row["source"]) == (4, "annex_a")
    # no SSDA903 figures in the store: a clear stop naming what is held
    err = run_cli([*base, "--source", "ssda903"], code=2).stderr
    assert "SSDA903" in err and "Traceback" not in err


def test_every_format_says_the_source(both):
    base = ["compare", "--store", both, "--period", "2024-25", "-b", "published"]
    table = run_cli([*base, "-f", "table"]).stdout
    assert "Source" in table and "CIN census" in table
    md = run_cli([*base, "-f", "markdown"]).stdout
    assert "| Indicator | Source |" in md and "| Referrals | CIN census | 3 |" in md
    rows = list(csv.DictReader(io.StringIO(run_cli([*base, "--source", "annex_a", "-f", "csv"]).stdout)))
    assert {r["source"] for r in rows} == {"annex_a"}


def test_history_shows_each_source_as_its_own_series(both):
    doc = json.loads(run_cli(["history", "--store", both, "-i", "referrals", "-f", "json"]).stdout)
    got = {s["source"]: [(r["period"], r["value"], r["source"]) for r in s["series"]] for s in doc["sources"]}
    assert got == {"cin_census": [("2024-25", 3, "cin_census")], "annex_a": [("2024-25", 4, "annex_a")]}
    assert [s["label"] for s in doc["sources"]] == ["CIN census", "Annex A"]  # the DfE return first
    assert doc["source"] == "cin_census" and [r["value"] for r in doc["series"]] == [3]
    table = run_cli(["history", "--store", both, "-i", "referrals"]).stdout
    assert "referrals (CIN census)" in table and "referrals (Annex A)" in table
    rows = list(csv.DictReader(io.StringIO(run_cli(["history", "--store", both, "-i", "referrals", "-f", "csv"]).stdout)))
    assert [(r["source"], r["value"]) for r in rows] == [("cin_census", "3.0"), ("annex_a", "4.0")]
    only = json.loads(run_cli(["history", "--store", both, "-i", "referrals", "--source", "annex_a",
                               "-f", "json"]).stdout)
    assert [s["source"] for s in only["sources"]] == ["annex_a"] and [r["value"] for r in only["series"]] == [4]


def test_history_of_a_cin_census_only_store_and_a_source_not_held(cin_only):
    doc = json.loads(run_cli(["history", "--store", cin_only, "-i", "referrals", "-f", "json"]).stdout)
    assert [(r["period"], r["value"]) for r in doc["series"]] == [("2024-25", 3)]  # it used to read Annex A only
    err = run_cli(["history", "--store", cin_only, "-i", "referrals", "--source", "annex_a"], code=2).stderr
    assert "no stored figures from Annex A" in err and "CIN census" in err
