"""Rendered outputs at a fixed width: the table snapshot, markdown, csv."""

from __future__ import annotations

import csv
import io
import json
import os

from rich.console import Console
from tests.conftest import ROOT

from csc_metrics.report.results import render_csv, render_markdown, render_table
from csc_metrics.results import direction_of, shown_change, verdict

SNAPSHOT = ROOT / "tests" / "snapshots" / "compute_table.txt"


def result(ind, title, section, period, value, num=None, den=None, unit="percent", polarity="low", prev=None,
           status="ok", category=None):
    change = None if prev is None or value is None else value - prev
    moved = shown_change(value, prev, unit)  # the library's rule: verdicts on the values as shown
    direction, assessment = direction_of(moved), verdict(moved, polarity)
    return {"indicator": ind, "title": title, "section": section, "kind": "flow", "period": period,
            "period_start": "", "period_end": "", "complete": status != "incomplete", "as_at": None,
            "category": category, "numerator": num, "denominator": den, "value": value, "unit": unit,
            "annualised": False, "polarity": polarity, "previous_period": None, "previous_value": prev,
            "change": change, "direction": direction, "assessment": assessment, "status": status,
            "warnings": [], "benchmark": None}


def payload():
    q = ["2024-25 Q1", "2024-25 Q2", "2024-25 Q3", "2024-25 Q4"]
    results = [
        result("referrals", "Referrals", "inputs", q[0], 120.0, 120, None, "count", "none"),
        result("referrals", "Referrals", "inputs", q[1], 130.0, 130, None, "count", "none", prev=120.0),
        result("re_referrals_12m", "Re-referrals within 12 months", "inputs", q[0], 20.0, 24, 120),
        result("re_referrals_12m", "Re-referrals within 12 months", "inputs", q[1], 23.0769, 30, 130, prev=20.0),
        result("assessments_within_45wd", "Assessments within 45 working days", "processes", q[1], 85.0, 85, 100,
               polarity="high", prev=80.0),
        result("assessments_within_45wd", "Assessments within 45 working days", "processes", q[2], None, 0, 0,
               polarity="high", status="empty"),
        result("cla_at_end", "Children looked after", "outputs", q[1], None, unit="children", status="no_data"),
    ]
    results[-1]["warnings"] = ["source table `annex_a_list_8` not in the inputs"]
    return {"schema_version": 1, "metadata": {"la_code": "808", "as_at": "2024-12-31", "periods": q,
            "definitions_hash": "sha256:" + "ab" * 32, "inputs": [{"table": "annex_a_list_3"}]},
            "results": results, "diagnostics": []}


def rendered() -> str:
    console = Console(width=110, color_system=None, record=True, file=io.StringIO(), legacy_windows=False)
    render_table(payload(), console)
    return console.export_text()


def test_table_snapshot_at_fixed_width():
    text = rendered()
    if os.environ.get("UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert text == SNAPSHOT.read_text(encoding="utf-8"), "UPDATE_SNAPSHOTS=1 pytest tests/test_render.py"
    # meaning survives without colour: arrows and words
    assert "▲ 3.1 pts worse" in text and "▲ 5.0 pts better" in text
    assert "24/120" in text and "annex_a_list_8 (1 indicator)" in text
    # the change beside an empty (or incomplete) Q3 is Q2's, and says so
    assert "(Q2)" in text


def test_markdown_and_csv():
    md = render_markdown(payload())
    assert "## Inputs" in md and "| Re-referrals within 12 months | 20.0% | 23.1% |" in md
    rows = list(csv.DictReader(io.StringIO(render_csv(payload()))))
    assert len(rows) == 7 and rows[0]["indicator"] == "referrals"
    json.dumps(payload())


def test_rates_without_an_la_are_not_reported_as_a_missing_list():
    from csc_metrics.report.results import no_data_line

    payload = {"results": [
        {"indicator": "referrals_per_10k", "status": "no_data",
         "warnings": ["no local authority set: pass --la CODE or set `la` in csc-metrics.toml"]},
        {"indicator": "adoptions", "status": "no_data", "warnings": ["source table `annex_a_list_10` not in the inputs"]},
        {"indicator": "adopters", "status": "no_data", "warnings": ["source table `annex_a_list_10` not in the inputs"]},
    ]}
    assert no_data_line(payload) == (
        "Not computed, list not in the inputs: annex_a_list_10 (2 indicators)\n"
        "Not computed: no local authority set: pass --la CODE or set `la` in csc-metrics.toml (CSC307) (1 indicator)")


def test_the_not_computed_line_names_only_the_periods_shown():
    """A table of the latest quarters does not list figures of earlier periods it does not show (an SSDA903 from
    2019-20 beside lists from 2022-23 makes the lists' indicators no_data before 2022-23: not news there)."""
    from csc_metrics.report.results import no_data_line

    early = {"indicator": "contacts", "period": "2019-20 Q1", "status": "no_data",
             "warnings": ["`annex_a_list_1` holds no day of the period"]}
    shown = {"indicator": "adoptions", "period": "2024-25 Q4", "status": "no_data",
             "warnings": ["source table `annex_a_list_10` not in the inputs"]}
    payload = {"results": [early, shown]}
    assert no_data_line(payload, ["2024-25 Q3", "2024-25 Q4"]) == (
        "Not computed, list not in the inputs: annex_a_list_10 (1 indicator)")
    assert no_data_line({"results": [early]}, ["2024-25 Q4"]) is None
    assert "annex_a_list_1" in (no_data_line({"results": [early]}) or "")  # every period: still listed
