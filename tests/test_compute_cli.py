"""`compute` end to end: files in, JSON that validates against the contract, store, previous period, exit codes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import jsonschema
import pytest
from tests.conftest import ROOT, run_cli
from tests.engine_helpers import standard

CONTRACT = json.loads((ROOT / "tests" / "contracts" / "compute.schema.json").read_text())


def write_list(folder: Path, table_id: str, rows: list[dict[str, str]], name: str | None = None) -> Path:
    """A CSV with the official Annex A headers, values as an extract holds them."""
    table = standard().table(table_id)
    path = folder / (name or f"{table_id}.csv")
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([c.header for c in table.columns])
        for row in rows:
            writer.writerow([row.get(c.name, "") for c in table.columns])
    return path


def referrals(dates: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"child_id": cid, "referral_date": d, "gender": "a) Male", "ethnicity": "a) WBRI",
             "referral_source": "q) 6: Police", "referral_nfa": "b) No", "referrals_last_12m": "0",
             "allocated_team": "Team A", "allocated_worker": "W1"} for cid, d in dates]


@pytest.fixture
def extract(tmp_path: Path) -> Path:
    folder = tmp_path / "q1"
    folder.mkdir()
    write_list(folder, "annex_a_list_3", referrals([
        ("A", "01/04/2024"), ("A", "01/05/2024"), ("B", "15/05/2024"), ("C", "30/06/2024"), ("D", "01/07/2024"),
    ]), name="q1.csv")
    return folder


def test_json_validates_against_contract(extract, tmp_path):
    out = run_cli(["compute", extract, "--la", "808", "--format", "json", "--store", tmp_path / "h.sqlite",
                   "--as-at", "2024-09-30"])
    payload = json.loads(out.stdout)
    jsonschema.validate(payload, CONTRACT)
    by = {(r["indicator"], r["period"]): r for r in payload["results"] if r["category"] is None}
    # Q1 2024-25: A(1 Apr), A(1 May: re-referral), B, C = 4 referrals; Q2: D = 1
    assert by[("referrals", "2024-25 Q1")]["value"] == 4
    assert by[("re_referrals_12m", "2024-25 Q1")]["numerator"] == 1
    assert by[("referrals", "2024-25 Q2")]["previous_value"] == 4
    assert by[("referrals", "2024-25 Q2")]["direction"] == "down"
    assert by[("cla_at_end", "2024-25 Q1")]["status"] == "no_data"
    rate = by[("referrals_per_10k", "2024-25 Q1")]
    assert rate["denominator"] == 45079 and rate["annualised"] is True  # ONS mid-2024, Stockton-on-Tees
    assert payload["metadata"]["inputs"][0]["table"] == "annex_a_list_3"
    assert "A" not in json.dumps(payload["diagnostics"])


def test_previous_period_from_the_store(extract, tmp_path):
    store = tmp_path / "h.sqlite"
    run_cli(["compute", extract, "--store", store, "--as-at", "2024-06-30", "--format", "json"])
    later = tmp_path / "q2"
    later.mkdir()
    write_list(later, "annex_a_list_3", referrals([("E", "01/07/2024"), ("F", "30/09/2024")]))
    payload = json.loads(run_cli(["compute", later, "--store", store, "--format", "json"]).stdout)
    q2 = next(r for r in payload["results"] if r["indicator"] == "referrals" and r["period"] == "2024-25 Q2")
    assert (q2["value"], q2["previous_value"], q2["previous_period"]) == (2, 4, "2024-25 Q1")


def test_table_output_and_errors(extract, tmp_path):
    out = run_cli(["compute", extract, "--no-store", "--as-at", "2024-09-30"]).stdout
    assert "Inputs" in out and "Referrals" in out and "2024-25 Q1" in out
    err = run_cli(["compute", tmp_path / "missing.csv", "--no-store"], code=2)
    assert "missing.csv" in err.stderr and "Traceback" not in err.stderr
    run_cli(["compute", extract, "--no-store", "--period", "2024-25 Q9"], code=2)
    run_cli(["compute", extract, "--no-store", "--la", "999"], code=2)


def test_suppression_in_json_keeps_the_store_real(extract, tmp_path):
    store = tmp_path / "h.sqlite"
    payload = json.loads(run_cli(["compute", extract, "--store", store, "-f", "json", "--as-at", "2024-09-30",
                                  "--suppress-below", "5"]).stdout)
    jsonschema.validate(payload, CONTRACT)
    q2 = next(r for r in payload["results"] if r["indicator"] == "referrals" and r["period"] == "2024-25 Q2")
    q1 = next(r for r in payload["results"] if r["indicator"] == "referrals" and r["period"] == "2024-25 Q1")
    assert q2["value"] == "c" and q1["value"] == "c"  # 1 and 4 referrals: both under 5
    table = run_cli(["compute", extract, "--store", store, "--as-at", "2024-09-30", "--suppress-below", "5"]).stdout
    assert " c " in table or "│          c │" in table
    from csc_metrics.store import HistoryStore

    stored = HistoryStore(store).latest_results(None)
    assert any(r["indicator"] == "referrals" and r["value"] == 4 for r in stored)


def test_compare_reads_the_latest_stored_run(extract, tmp_path):
    store = tmp_path / "h.sqlite"
    run_cli(["compute", extract, "--la", "808", "--store", store, "--as-at", "2024-09-30", "-f", "json"])
    compared = json.loads(run_cli(["compare", "--store", store, "--benchmark", "england", "-f", "json"]).stdout)
    assert compared["metadata"]["la_code"] == "808" and compared["metadata"]["run_id"]
    rows = {c["indicator"]: c for c in compared["comparisons"]}
    assert rows["re_referrals_12m"]["benchmark"] == "england" and rows["re_referrals_12m"]["benchmark_value"]


def test_table_small_base_follows_the_config_min_base(extract, tmp_path):
    """Q1 re-referrals rest on 4 referrals (A, A, B, C), Q2 on 1 (D): below the default minimum base of 20
    both are marked "small base"; with `min_base = 3` in the config only Q2 is, and the caption says 3."""
    args = ["compute", extract, "--la", "808", "--no-store", "--as-at", "2024-09-30"]
    default = run_cli(args).stdout
    assert "1/4 small base" in default and "0/1 small base" in default
    assert "fewer than 20 cases" in " ".join(default.split())
    config = tmp_path / "csc-metrics.toml"
    config.write_text("min_base = 3\n", encoding="utf-8")
    lenient = run_cli([*args, "--config", config]).stdout
    assert "1/4 small base" not in lenient and "1/4 " in lenient and "0/1 small base" in lenient
    assert "fewer than 3 cases" in " ".join(lenient.split())
    markdown = run_cli([*args, "--config", config, "--format", "markdown"]).stdout
    assert "fewer than 3 cases" in markdown
