"""`csc-metrics compare` and `csc-metrics benchmarks` through typer's CliRunner (and one real process for the
error line and exit code the entry point produces)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from csc_metrics.cli import app

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads(resources.files("csc_metrics").joinpath("data", "compare.schema.json").read_text())
runner = CliRunner()


def _result(indicator: str, value: float, polarity: str = "low", section: str = "inputs") -> dict:
    return {"indicator": indicator, "title": indicator, "section": section, "kind": "flow", "period": "2024-25",
            "period_start": "2024-04-01", "period_end": "2025-03-31", "complete": True, "value": value,
            "unit": "percent", "annualised": False, "polarity": polarity, "status": "ok", "category": None}


@pytest.fixture
def results_file(tmp_path: Path) -> Path:
    payload = {
        "schema_version": 1,
        "metadata": {"la_code": "808", "run_id": "abc"},
        "results": [
            _result("re_referrals_12m", 28.8),  # England 22.6, SN mean 18.65: worse
            _result("assessments_within_45wd", 91.2, "high", "processes"),  # England 85.7: better
        ],
    }
    path = tmp_path / "results.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def test_json_output_matches_schema(results_file):
    out = runner.invoke(app, ["compare", "--results", str(results_file), "--format", "json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    jsonschema.validate(payload, SCHEMA)
    assert payload["metadata"]["la_code"] == "808" and payload["metadata"]["run_id"] == "abc"
    sn = next(c for c in payload["comparisons"] if c["benchmark"] == "sn" and c["indicator"] == "re_referrals_12m")
    assert sn["benchmark_value"] == 18.65 and sn["difference"] == 10.15 and sn["assessment"] == "worse"


def test_table_output_spells_out_better_and_worse(results_file):
    out = runner.invoke(app, ["compare", "--results", str(results_file)])
    assert out.exit_code == 0, out.output
    for text in ("Inputs", "Processes", "▼ worse", "▲ better", "England", "SN mean (10/10)", "Stockton-on-Tees"):
        assert text in out.stdout, text


def test_fail_on_worse_exit_codes(results_file):
    worse = runner.invoke(app, ["compare", "--results", str(results_file), "--fail-on", "worse", "-f", "json"])
    assert worse.exit_code == 1
    # Only the published comparison of assessments (91.2 against Stockton's published 89.6, higher is better)
    ok = runner.invoke(app, ["compare", "--results", str(results_file), "--fail-on", "worse", "-b", "published",
                             "--period", "2024-25", "-f", "json"])
    payload = json.loads(ok.stdout)
    assert {c["assessment"] for c in payload["comparisons"]} == {"same", "better"}  # 28.8 = 28.8; 91.2 > 89.6
    assert ok.exit_code == 0


def test_targets_come_from_the_config_file(results_file, tmp_path):
    config = tmp_path / "csc-metrics.toml"
    config.write_text('la = "808"\n[targets]\nre_referrals_12m = 30.0\n', encoding="utf-8")
    out = runner.invoke(app, ["compare", "--results", str(results_file), "--config", str(config), "-b", "target",
                              "-f", "json"])
    assert out.exit_code == 0, out.output
    (target,) = json.loads(out.stdout)["comparisons"]
    assert (target["benchmark_value"], target["difference"], target["assessment"]) == (30.0, -1.2, "better")


def test_csv_and_markdown(results_file):
    out = runner.invoke(app, ["compare", "--results", str(results_file), "-f", "csv", "-b", "england"])
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["indicator"], r["benchmark_value"]) for r in rows] == [
        ("re_referrals_12m", "22.6"), ("assessments_within_45wd", "85.7")]
    md = runner.invoke(app, ["compare", "--results", str(results_file), "-f", "markdown", "-b", "england"])
    assert "### Inputs" in md.stdout and "| re_referrals_12m | Annex A | 28.8% | England | 2025 | 22.6% | +6.2 | ▼ worse |" in md.stdout


def test_unknown_la_is_a_config_error_with_suggestions(results_file):
    out = runner.invoke(app, ["compare", "--results", str(results_file), "--la", "8080"])
    assert out.exit_code == 2
    assert "CSC401 unknown local authority code '8080'" in out.stderr
    assert "did you mean" in out.stderr


def test_unknown_la_from_the_entry_point_is_one_line_and_exit_2(results_file):
    proc = subprocess.run([sys.executable, "-m", "csc_metrics", "compare", "--results", str(results_file),
                           "--la", "999"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "60"})
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "CSC401" in lines[0] and "Traceback" not in proc.stderr


def test_no_neighbours_message(results_file):
    out = runner.invoke(app, ["compare", "--results", str(results_file), "--la", "942", "--sn-model", "2021",
                              "-f", "json", "-b", "sn"])
    assert out.exit_code == 0
    assert "CSC402" in out.stderr and "942 Cumberland has no statistical neighbours" in out.stderr
    payload = json.loads(out.stdout)
    assert payload["metadata"]["sn_model"] == "DfE statistical neighbours, April 2021"
    assert all(c["benchmark_value"] is None and "CSC402" in c["reason"] for c in payload["comparisons"])


def test_bad_results_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    out = runner.invoke(app, ["compare", "--results", str(bad)])
    assert out.exit_code == 2 and "line 1 column 2" in out.stderr
    out = runner.invoke(app, ["compare", "--results", str(tmp_path / "missing.json")])
    assert out.exit_code == 2 and "file not found" in out.stderr


def test_without_results_and_no_store_says_what_to_do(tmp_path):
    out = runner.invoke(app, ["compare", "--store", str(tmp_path / "none.sqlite"), "--la", "808"])
    assert out.exit_code == 2 and "CSC404" in out.stderr
    assert "--results" in out.stderr


def test_benchmarks_series_json_and_table():
    out = runner.invoke(app, ["benchmarks", "--la", "808", "--indicator", "re_referrals_12m", "-f", "json"])
    assert out.exit_code == 0, out.output
    series = json.loads(out.stdout)
    assert series["metadata"]["measure"] == "ReReferral"
    y2025 = next(r for r in series["series"] if r["year"] == 2025)
    assert (y2025["value"], y2025["england"], y2025["region"], y2025["sn_mean"], y2025["sn_values_used"]) == (
        28.8, 22.6, 20.7, 18.65, 10)
    assert [r["year"] for r in series["series"]] == list(range(2015, 2026))
    table = runner.invoke(app, ["benchmarks", "--la", "808", "--measure", "CPPlans2yrs"])
    assert table.exit_code == 0 and "CPPlans2yrs" in table.stdout and "England" in table.stdout


def test_benchmarks_london_region_falls_back_to_london_and_missing_values_show_reason():
    # Number_Foster_Places(New) 2025: London (Inner) 987 is '-', London 986 is 4295
    out = runner.invoke(app, ["benchmarks", "--la", "202", "--measure", "Number_Foster_Places(New)", "-f", "json"])
    y2025 = next(r for r in json.loads(out.stdout)["series"] if r["year"] == 2025)
    assert (y2025["region"], y2025["region_label"]) == (4295, "London")
    out = runner.invoke(app, ["benchmarks", "--la", "808", "--measure", "CPPlans2yrs", "-f", "csv"])
    rows = {r["year"]: r for r in csv.DictReader(io.StringIO(out.stdout))}
    assert rows["2025"]["value"] == "" and "suppressed" in rows["2025"]["reason"]


def test_benchmarks_needs_one_of_indicator_or_measure():
    out = runner.invoke(app, ["benchmarks", "--la", "808"])
    assert out.exit_code == 2
    out = runner.invoke(app, ["benchmarks", "--la", "808", "--measure", "ReReferal"])
    assert out.exit_code == 2 and "ReReferral" in out.stderr


def test_table_to_output_file(results_file, tmp_path):
    target = tmp_path / "out" / "compare.txt"
    out = runner.invoke(app, ["compare", "--results", str(results_file), "-o", str(target)])
    assert out.exit_code == 0 and out.stdout == ""
    text = target.read_text(encoding="utf-8")
    assert "Stockton-on-Tees (808)" in text and "re_referrals_12m" in text and "▼ worse" in text
