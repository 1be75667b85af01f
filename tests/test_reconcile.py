"""`csc-metrics reconcile`: figures computed from the returns beside the authority's published LAIT values.

Hand-built results against a small published table (the bundled LAIT values replaced for the test): each verdict,
each reason for no published value, no verdict for a figure that is not complete, the Annex A proxy, the CLI's
formats, exit codes and both ways in (the history store and `--results`)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from tests.cin_helpers import census_file, child, details
from tests.conftest import run_cli

from csc_metrics.compare import reconcile as rec_mod
from csc_metrics.compare.reconcile import reconcile_results, verdict_of
from csc_metrics.engine.periods import parse_period
from csc_metrics.reference import _files, lait
from csc_metrics.store import HistoryStore

YEARS = [str(y) for y in range(2015, 2026)]
# The published table of the test: measure, area, the year ending 31 March 2024 and 2025 (others blank).
PUBLISHED = [
    ("ReReferral", "808", "21.0", "22.6"),
    ("LACnum", "808", "300", "310"),
    ("LACnum_Start", "808", "190", "200"),
    ("CIN_Refferals_NFA", "808", "7.0", "8"),
    ("UASC_%_Starting", "808", "4", "5"),  # dictionary: 1 dp; published as whole numbers
    ("Continue_Assess_Comp", "808", "80.0", "85.6"),
    ("CIN", "808", "300.0", "310.5"),
    ("CPP_Num", "808", "230", "240"),
    ("Children_missing", "808", "10", "11"),
    ("LACDistance", "808", "15", "16"),
    ("PrevRegCPR", "808", "20.0", "c"),  # suppressed in 2025
    ("LACStable_2016on", "970", "10", "11"),  # England only: not published for 808
    ("LAC_LongStable%", "808", "70", ""),  # not published for 2025 at all
]


@pytest.fixture(autouse=True)
def published(monkeypatch: pytest.MonkeyPatch) -> None:
    """The LAIT values of PUBLISHED instead of the bundled ones (measures' definitions stay bundled)."""
    rows = [{"measure": m, "area": a, **{y: "" for y in YEARS}, "2024": v24, "2025": v25}
            for m, a, v24, v25 in PUBLISHED]
    small = pl.DataFrame(rows, schema={"measure": pl.String, "area": pl.String, **{y: pl.String for y in YEARS}})
    real = _files.table

    def table(name: str) -> pl.DataFrame:
        return small.with_columns(pl.col(pl.String).replace("", None)) if name == "lait_values.csv" else real(name)

    monkeypatch.setattr(lait, "table", table)
    lait._by_measure.cache_clear()
    yield
    lait._by_measure.cache_clear()


def res(indicator: str, value: Any, *, source: str = "ssda903", measure: str | None = None, unit: str = "percent",
        period: str = "2024-25", status: str = "ok", title: str | None = None, kind: str = "flow") -> dict:
    p = parse_period(period)
    return {"indicator": indicator, "title": title or indicator, "section": "outputs", "kind": kind,
            "period": p.label, "period_start": p.start.isoformat(), "period_end": p.end.isoformat(),
            "complete": status != "incomplete", "as_at": None, "category": None, "numerator": None,
            "denominator": None, "value": value, "unit": unit, "annualised": False, "polarity": "low",
            "status": status, "warnings": [], "findings": [], "source": source,
            "benchmark": {"source": "lait", "measure": measure} if measure else None}


def results() -> list[dict]:
    return [
        res("re_referrals_12m", 22.6, source="cin_census", measure="ReReferral"),  # 22.6 = 22.6: matches
        res("cla_at_end", 310, measure="LACnum", unit="children"),  # 310 = 310: matches
        res("cla_started", 212, measure="LACnum_Start", unit="count"),  # 212 vs 200: 12 apart, 6%: differs
        res("referrals_nfa", 8.04, source="cin_census", measure="CIN_Refferals_NFA"),  # 8.04 -> 8.0 = 8: matches
        # 5.3 -> 5.3 at the dictionary's 1 dp is not 5, but 5 is written to 0 dp and |5.3 - 5| <= 0.5: rounding
        res("cla_started_uasc", 5.3, measure="UASC_%_Starting"),
        # 85.65 half up -> 85.7, not 85.6; |85.65 - 85.6| = 0.05 <= half of 0.1: rounding (a half-way value)
        res("assessments_within_45wd", 85.65, source="cin_census", measure="Continue_Assess_Comp"),
        res("cin_at_end", 1200, source="cin_census", measure="CIN", unit="children"),  # a count vs a rate
        res("cp_plans_at_end", 250, source="cin_census", measure="CPP_Num", unit="children", status="incomplete"),
        res("cla_missing", None, measure="Children_missing", status="empty"),
        res("cla_placed_20_miles_out", None, measure="LACDistance", status="unavailable"),
        res("cp_second_or_subsequent", 19.0, source="cin_census", measure="PrevRegCPR"),  # 'c' in 2025
        res("cla_3plus_placements", 11.0, measure="LACStable_2016on"),  # England has 2025, 808 does not
        res("cla_long_term_stability", 70.0, measure="LAC_LongStable%"),  # nobody has 2025
        res("cin_episodes_started", 900, source="cin_census", unit="count"),  # no LAIT measure mapped
        # Annex A proxies of the same indicators and year, and figures that are not reconciled
        res("re_referrals_12m", 25.0, source="annex_a", measure="ReReferral"),
        res("cla_3plus_placements", 9.0, source="annex_a", measure="LACStable_2016on"),
        res("contacts", 5000, source="annex_a", unit="count"),  # Annex A only: not a return figure
        res("cla_at_end", 305, measure="LACnum", unit="children", period="2024-25 Q4"),  # a quarter
    ]


def payload(rs: list[dict] | None = None) -> dict:
    return {"schema_version": 1, "metadata": {"la_code": "808", "tool_version": "t", "definitions_hash": "h",
                                              "as_at": "2025-03-31", "inputs": []},
            "results": results() if rs is None else rs, "diagnostics": []}


def by_id(rec: dict) -> dict[str, dict]:
    rows = rec["rows"]
    assert len({r["indicator"] for r in rows}) == len(rows)
    return {r["indicator"]: r for r in rows}


def test_each_verdict():
    rows = by_id(reconcile_results(payload(), la_code=None, period="2024-25"))
    assert rows["re_referrals_12m"]["verdict"] == "matches" and rows["re_referrals_12m"]["difference"] == 0
    assert rows["cla_at_end"]["verdict"] == "matches"
    assert rows["referrals_nfa"]["verdict"] == "matches"
    assert rows["cla_started_uasc"]["verdict"] == "matches (rounding)"
    assert rows["assessments_within_45wd"]["verdict"] == "matches (rounding)"
    assert (rows["cla_started"]["verdict"], rows["cla_started"]["difference"]) == ("differs", 12)
    # --tolerance: per cent of the published value for a count (12 / 200 = 6%), points for a percentage
    tol = by_id(reconcile_results(payload(), la_code="808", period="2024-25", tolerance=6))
    assert tol["cla_started"]["verdict"] == "within tolerance"
    assert by_id(reconcile_results(payload(), la_code="808", period="2024-25", tolerance=5.9))[
        "cla_started"]["verdict"] == "differs"
    assert verdict_of(23.1, 22.6, 1, "percent", 0.5) == "within tolerance"  # 0.5 points
    assert verdict_of(23.2, 22.6, 1, "percent", 0.5) == "differs"


def test_each_reason_for_no_published_value():
    rows = by_id(reconcile_results(payload(), la_code="808", period="2024-25"))
    why = {k: (r["reason_code"], r["verdict"], r["published_value"]) for k, r in rows.items() if r["reason_code"]}
    assert why == {
        "cin_at_end": ("units_differ", None, None),
        "cp_plans_at_end": ("no_verdict", None, 240),
        "cla_missing": ("no_verdict", None, 11),
        "cla_placed_20_miles_out": ("no_verdict", None, 16),
        "cp_second_or_subsequent": ("suppressed", None, None),
        "cla_3plus_placements": ("la_not_published", None, None),
        "cla_long_term_stability": ("year_not_published", None, None),
        "cin_episodes_started": ("no_measure", None, None),
    }
    assert rows["cin_at_end"]["reason"] == "LAIT CIN is published as a rate per 10,000, not comparable with this count"
    assert "confidentiality" in rows["cp_second_or_subsequent"]["reason"]
    assert rows["cin_episodes_started"]["reason"] == "no LAIT measure mapped to this indicator"


def test_a_figure_that_is_not_complete_gets_no_verdict_and_says_its_status():
    rows = by_id(reconcile_results(payload(), la_code="808", period="2024-25"))
    for ind, status in (("cp_plans_at_end", "incomplete"), ("cla_missing", "empty"),
                        ("cla_placed_20_miles_out", "unavailable")):
        r = rows[ind]
        assert (r["status"], r["verdict"], r["difference"]) == (status, None, None)
        assert r["reason"] == f"{status}: no verdict"
    nodata = reconcile_results(payload([res("cla_ceased", None, measure="LACnum", unit="count", status="no_data")]),
                               la_code="808", period="2024-25")
    assert nodata["rows"][0]["verdict"] is None and nodata["rows"][0]["reason"] == "no_data: no verdict"


def test_only_return_figures_of_the_year_with_the_annex_a_proxy():
    rec = reconcile_results(payload(), la_code="808", period="2024-25")
    rows = by_id(rec)
    assert "contacts" not in rows  # Annex A only
    assert rows["cla_at_end"]["value"] == 310  # the year's figure, not the quarter's 305
    assert rows["re_referrals_12m"]["proxy_value"] == 25.0
    assert rows["re_referrals_12m"]["proxy_note"] == "same recipe"
    assert rows["cla_3plus_placements"]["proxy_value"] == 9.0
    assert rows["cla_3plus_placements"]["proxy_note"].startswith("recipes differ: The Annex A recipe uses the "
                                                                 "placement count")
    assert rows["cla_at_end"]["proxy_value"] is None
    assert rec["metadata"]["counts"] == {"matches": 3, "matches (rounding)": 2, "within tolerance": 0,
                                         "differs": 1, "no_verdict": 8}
    assert [r["source"] for r in rec["rows"]][:1] == ["ssda903"]  # the SSDA903 first, then the CIN census


def test_the_proxy_note_reads_either_recipes_description():
    # the CIN census recipe of icpc_within_15wd says how it differs; so does its Annex A recipe
    assert rec_mod.recipe_note("icpc_within_15wd", "cin_census").startswith("recipes differ: This differs from")
    # "as for the Annex A recipe" is not a difference
    assert rec_mod.recipe_note("assessments_within_45wd", "cin_census") == "same recipe"


@pytest.mark.parametrize("label", ["2024-25 Q4", "2025-03", "quarter"])
def test_a_quarter_or_month_is_refused(tmp_path, label):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(payload()), encoding="utf-8")
    err = run_cli(["reconcile", "--period", label, "--results", path], code=2).stderr
    assert "financial year" in err and "--period 2024-25" in err and "Traceback" not in err


def test_formats_and_csv_formula_safety(tmp_path):
    path = tmp_path / "r.json"
    rs = results() + [res("cla_ceased", 90, measure="LACceased", unit="count", title="=HYPERLINK(\"x\")")]
    path.write_text(json.dumps(payload(rs)), encoding="utf-8")
    base = ["reconcile", "--period", "2024-25", "--results", path]
    rows = list(csv.DictReader(io.StringIO(run_cli([*base, "-f", "csv"]).stdout)))
    ceased = next(r for r in rows if r["indicator"] == "cla_ceased")
    assert ceased["title"] == "'=HYPERLINK(\"x\")" and ceased["la_code"] == "808"
    assert next(r for r in rows if r["indicator"] == "cla_started")["difference"] == "12.0"
    table = run_cli([*base]).stdout
    assert "matches (rounding)" in table and "differs" in table and "SSDA903" in table and "no verdict" in table
    md = run_cli([*base, "-f", "markdown"]).stdout
    assert "| Indicator | Source | Value | Published | Difference | Verdict | Annex A | Notes |" in md
    assert "| re_referrals_12m | CIN census | 22.6% | 22.6% | +0.0 | matches | 25.0% | same recipe |" in md
    doc = json.loads(run_cli([*base, "-f", "json"]).stdout)
    assert doc["metadata"]["period"] == "2024-25" and doc["metadata"]["published_year"] == 2025


def test_fail_on_difference_exit_codes(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(payload()), encoding="utf-8")
    base = ["reconcile", "--period", "2024-25", "--results", path, "--fail-on", "difference", "-f", "json"]
    run_cli(base, code=1)  # cla_started differs
    run_cli([*base, "--tolerance", "6"], code=0)  # now within tolerance: nothing differs
    run_cli(["reconcile", "--period", "2024-25", "--results", path, "--tolerance", "-1"], code=2)


def test_several_results_files(tmp_path):
    returns, annex = tmp_path / "903.json", tmp_path / "annex.json"
    every = results()
    returns.write_text(json.dumps(payload([r for r in every if r["source"] != "annex_a"])), encoding="utf-8")
    annex.write_text(json.dumps(payload([r for r in every if r["source"] == "annex_a"])), encoding="utf-8")
    doc = json.loads(run_cli(["reconcile", "-p", "2024-25", "--results", returns, "--results", annex,
                              "-f", "json"]).stdout)
    assert by_id(doc)["re_referrals_12m"]["proxy_value"] == 25.0
    other = tmp_path / "807.json"
    other.write_text(json.dumps(payload() | {"metadata": payload()["metadata"] | {"la_code": "807"}}))
    err = run_cli(["reconcile", "-p", "2024-25", "--results", returns, "--results", other], code=2).stderr
    assert "different LAs" in err


def test_from_the_history_store(tmp_path):
    store = tmp_path / "h.sqlite"
    HistoryStore(store).write_run(payload())
    doc = json.loads(run_cli(["reconcile", "-p", "2024-25", "--store", store, "-f", "json"]).stdout)
    assert by_id(doc)["cla_started"]["verdict"] == "differs" and by_id(doc)["re_referrals_12m"]["proxy_value"] == 25
    err = run_cli(["reconcile", "-p", "2023-24", "--store", store], code=2).stderr
    assert "no stored results for 2023-24" in err
    err = run_cli(["reconcile", "-p", "2024-25", "--store", tmp_path / "none.sqlite"], code=2).stderr
    assert "does not exist" in err


def test_a_census_computed_into_the_store(tmp_path, monkeypatch):
    """End to end with `compute`, against this test's published table: referrals 3 vs LAIT CPP_Total_NumRef
    (not in the table: year not published); cin_at_end is a count mapped to the CIN rate per 10,000."""
    folder = tmp_path / "cin"
    folder.mkdir()
    census_file(folder, 2025, child("A", details("2024-05-01")), child("B", details("2024-06-01")))
    store = tmp_path / "h.sqlite"
    run_cli(["compute", folder, "--la", "808", "--period", "year", "--store", store, "--as-at", "2025-03-31",
             "-f", "json"])
    rows = by_id(json.loads(run_cli(["reconcile", "-p", "2024-25", "--store", store, "-f", "json"]).stdout))
    assert (rows["referrals"]["value"], rows["referrals"]["source"]) == (2, "cin_census")
    assert rows["referrals"]["reason_code"] == "year_not_published"
    assert rows["cin_at_end"]["reason_code"] == "units_differ"
    assert "rate per 10,000" in rows["cin_at_end"]["reason"]


def test_compare_published_gives_the_same_reason_for_a_count_mapped_to_a_rate(tmp_path: Path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(payload()), encoding="utf-8")
    doc = json.loads(run_cli(["compare", "--results", path, "-b", "published", "-p", "2024-25",
                              "-f", "json"]).stdout)
    [row] = [c for c in doc["comparisons"] if c["indicator"] == "cin_at_end"]
    assert row["reason"] == "LAIT CIN is published as a rate per 10,000, not comparable with this count"
