"""Issue 13's rules for what a figure may be given: like-for-like bands and ranks, counts against their own
published figure only, the small-base rule for headlines, verdicts on the values shown, and `compare -p` on
any stored period."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.conftest import run_cli
from tests.report_helpers import metadata, quarter
from tests.report_helpers import result as report_result

from csc_metrics.compare import compare_results
from csc_metrics.compute import add_previous
from csc_metrics.engine.periods import parse_period
from csc_metrics.report.format import fmt_change
from csc_metrics.report.model import ReportOptions
from csc_metrics.reporting import quarterly_report
from csc_metrics.results import Result, shown_change, verdict
from csc_metrics.store import HistoryStore


def result(indicator: str, value: Any, period: str = "2024-25", unit: str = "percent", polarity: str = "low",
           status: str = "ok", **extra: Any) -> dict[str, Any]:
    p = parse_period(period)
    return {"indicator": indicator, "title": indicator, "section": "inputs", "kind": extra.pop("kind", "flow"),
            "period": p.label, "period_start": p.start.isoformat(), "period_end": p.end.isoformat(),
            "complete": True, "as_at": None, "category": None, "numerator": extra.pop("num", None),
            "denominator": extra.pop("den", None), "value": value, "unit": unit, "annualised": False,
            "polarity": polarity, "status": status, "warnings": [], "findings": extra.pop("findings", []), **extra}


def compare(results: list[dict[str, Any]], period: str | None = None) -> list[dict[str, Any]]:
    payload = {"metadata": {"la_code": "808"}, "results": results}
    return compare_results(payload, la_code="808", benchmarks=[], benchmark_year=None, targets={}, period=period,
                           indicator_meta={})["comparisons"]


# ---- like-for-like ---------------------------------------------------------------------------------------


def test_a_financial_year_rate_is_banded_and_ranked_against_the_same_published_year():
    rows = compare([result("re_referrals_12m", 28.8, "2024-25")])  # year ending March 2025 = LAIT 2025
    england = next(c for c in rows if c["benchmark"] == "england")
    assert england["benchmark_year"] == 2025 and england["quartile_band"] in "ABCD" and england["rank"] >= 1


def test_quarterly_figures_get_no_band_or_rank():
    rows = compare([result("re_referrals_12m", 0.9, "2025-26 Q1")])
    assert rows and all(c["quartile_band"] is None and c["rank"] is None for c in rows)
    england = next(c for c in rows if c["benchmark"] == "england")
    assert england["benchmark_value"] == 22.6  # still shown beside it, with the note saying what was compared
    assert "3 months" in england["note"]


def test_a_year_not_yet_published_gets_no_band():
    rows = compare([result("re_referrals_12m", 20.0, "2025-26")])  # 2026 not published: 2025 shown, not ranked
    assert all(c["quartile_band"] is None and c["rank"] is None for c in rows)


def test_incomplete_figure_gets_no_band_rank_or_verdict():
    r = result("re_referrals_12m", 10.9, "2024-25", status="incomplete",
               findings=[{"code": "CSC301", "args": {"window": "look-back", "table": "annex_a_list_3", "rows": 9}}])
    rows = compare([r])
    assert rows and all(c["assessment"] is None and c["quartile_band"] is None and c["rank"] is None
                        and c["status"] == "incomplete" for c in rows)
    assert all(c["benchmark"] != "target" for c in rows)


def test_counts_are_compared_with_their_own_published_count_only():
    rows = compare([result("cla_at_end", 319, "2024-25", unit="children", polarity="none", kind="stock")])
    assert [c["benchmark"] for c in rows] == ["published"]  # no England, region or SN mean for a count
    assert rows[0]["quartile_band"] is None and rows[0]["rank"] is None


# ---- verdicts on the values shown ------------------------------------------------------------------------


def test_equal_displayed_values_are_the_same():
    # 10.04% against 9.96%: both show as 10.0%, so "= same", never "▲ 0.1 pts worse"
    assert shown_change(10.04, 9.96, "percent") == 0.0 and verdict(0.0, "low") == "same"
    rows = [result("re_referrals_12m", 10.04, "2024-25 Q4", num=251, den=2500),
            result("re_referrals_12m", 9.96, "2024-25 Q3", num=249, den=2500)]
    for r in rows:
        r["period_obj"] = parse_period(r["period"])
    add_previous(rows, {})
    assert (rows[0]["direction"], rows[0]["assessment"]) == ("same", "same")
    assert fmt_change(Result.from_dict(rows[0])) == "= same"


def test_change_shown_is_the_difference_of_the_values_shown():
    # 9.64% -> 10.04% shows as 9.6% -> 10.0%: the change shown is 0.4 pts, not 0.5 (the unrounded 0.40 would
    # round either way)
    r = result("re_referrals_12m", 10.04, "2024-25 Q4") | {"previous_value": 9.64, "change": 0.4,
                                                            "direction": "up", "assessment": "worse"}
    assert fmt_change(Result.from_dict(r)) == "▲ 0.4 pts worse"
    r = result("re_referrals_12m", 10.049, "2024-25 Q4") | {"previous_value": 9.551, "change": 0.498,
                                                             "direction": "up", "assessment": "worse"}
    assert fmt_change(Result.from_dict(r)) == "▲ 0.4 pts worse"  # 10.0 - 9.6, though 0.498 itself would show as 0.5


def test_benchmark_verdict_on_the_values_shown():
    # 22.64% against England 22.6%: both show 22.6%: "same", not "worse"
    rows = compare([result("re_referrals_12m", 22.64, "2024-25")])
    england = next(c for c in rows if c["benchmark"] == "england")
    assert england["benchmark_value"] == 22.6 and england["assessment"] == "same"


def test_an_incomplete_previous_value_is_never_the_base_of_a_direction():
    rows = [result("re_referrals_12m", 22.1, "2025-26 Q1"),
            result("re_referrals_12m", 10.9, "2024-25 Q4", status="incomplete")]
    for r in rows:
        r["period_obj"] = parse_period(r["period"])
    add_previous(rows, {})
    assert rows[0]["previous_value"] is None and rows[0]["assessment"] is None


# ---- small numbers ---------------------------------------------------------------------------------------


def _headline_results(num_now: int, den_now: int, num_before: int, den_before: int) -> list[dict[str, Any]]:
    res = [report_result("cla_ceased_adopted", "Adopted", "outputs", "percent", quarter(2025, q), num=n, den=d,
                         polarity="high")
           for q, n, d in ((1, num_before, den_before), (2, num_now, den_now))]
    res[1].update(previous_period=res[0]["period"], previous_value=res[0]["value"],
                  change=res[1]["value"] - res[0]["value"], direction="up", assessment="better")
    return res


def test_small_base_is_never_headlined_and_is_marked():
    # 1 of 19 (5.3%) -> 4 of 22 (18.2%): 22 cases, but 19 before: below the base of 20, not a headline
    res = _headline_results(4, 22, 1, 19)
    report = quarterly_report(res, metadata([]), ReportOptions(benchmarks=False))
    assert report.sections[0].better == []
    row = report.rows[0]
    assert row.small_base(row.cells[0]) is True and not row.small_base(row.cells[1])
    # the same change on bases of 190 and 220 is a headline
    big = quarterly_report(_headline_results(40, 220, 10, 190), metadata([]), ReportOptions(benchmarks=False))
    assert [h.row.indicator for h in big.sections[0].better] == ["cla_ceased_adopted"]
    # configurable: with a minimum base of 10 the small one headlines too
    low = quarterly_report(res, metadata([]), ReportOptions(benchmarks=False, min_base=10))
    assert [h.row.indicator for h in low.sections[0].better] == ["cla_ceased_adopted"]


def test_a_change_of_one_case_or_less_is_not_a_headline():
    # 20 of 100 -> 21 of 100: 1 point, exactly one case of a base of 100: not larger than one unit
    res = _headline_results(21, 100, 20, 100)
    assert quarterly_report(res, metadata([]), ReportOptions(benchmarks=False)).sections[0].better == []
    res = _headline_results(23, 100, 20, 100)  # 3 cases: a headline
    assert len(quarterly_report(res, metadata([]), ReportOptions(benchmarks=False)).sections[0].better) == 1


def test_means_from_fewer_than_five_cases_are_small():
    r = Result.from_dict(result("a1_days", 400.0, "2024-25", unit="days", den=4))
    assert r.small_base() is True
    assert Result.from_dict(result("a1_days", 400.0, "2024-25", unit="days", den=5)).small_base() is False


# ---- any stored period -----------------------------------------------------------------------------------


def _stored(store: HistoryStore) -> None:
    q4 = result("re_referrals_12m", 21.0, "2024-25 Q4", num=21, den=100)
    meta = {"tool_version": "1", "definitions_hash": "sha256:x", "la_code": "808", "as_at": "2025-03-31",
            "inputs": [{"path": "q4/list3.csv", "sha256": "a" * 64, "table": "annex_a_list_3", "rows": 9,
                        "coverage": ["2024-04-01", "2025-03-31"]}]}
    store.write_run({"schema_version": 1, "metadata": meta, "results": [q4], "diagnostics": []})
    year = result("re_referrals_12m", 20.0, "2024-25", num=200, den=1000)
    meta = dict(meta, inputs=[dict(meta["inputs"][0], path="year/list3.csv", sha256="b" * 64)])
    store.write_run({"schema_version": 1, "metadata": meta, "results": [year], "diagnostics": []})


@pytest.mark.parametrize("label", ["2024-25 Q4", "2024/25 Q4", "2024-25 q4", "2024-2025 Q4"])
def test_compare_period_takes_an_older_stored_period(tmp_path, label):
    store = tmp_path / "h.sqlite"
    _stored(HistoryStore(store))  # the latest run is the yearly one: Q4 is only in the earlier run
    out = json.loads(run_cli(["compare", "--store", store, "-p", label, "--la", "808", "-f", "json"]).stdout)
    assert {c["period"] for c in out["comparisons"]} == {"2024-25 Q4"}
    (run,) = out["metadata"]["runs"]
    assert run["inputs"] == [{"path": "q4/list3.csv", "table": "annex_a_list_3",
                              "coverage": ["2024-04-01", "2025-03-31"]}]
    table = run_cli(["compare", "--store", store, "-p", label, "--la", "808"]).stdout
    assert "q4/list3.csv" in table


def test_compare_and_report_name_the_missing_la(tmp_path):
    store = tmp_path / "h.sqlite"
    _stored(HistoryStore(store))
    err = run_cli(["compare", "--store", store, "--la", "335"], code=2).stderr
    assert "no stored run for LA 335" in err and "LA 808" in err and "run compute first" not in err
    err = run_cli(["report", "--store", store, "--la", "335", "--out", tmp_path / "r.html"], code=2).stderr
    assert "no stored run for LA 335" in err
    err = run_cli(["compare", "--store", store, "-p", "2019-20", "--la", "808"], code=2).stderr
    assert "no stored results for 2019-20" in err and "2024-25 Q4" in err


def test_report_and_compare_without_an_la_stop_with_the_fix(tmp_path):
    store = tmp_path / "h.sqlite"
    r = result("re_referrals_12m", 21.0, "2024-25 Q4", num=21, den=100)
    meta = {"tool_version": "1", "definitions_hash": "sha256:x", "la_code": None, "as_at": "2025-03-31",
            "inputs": []}
    HistoryStore(store).write_run({"schema_version": 1, "metadata": meta, "results": [r], "diagnostics": []})
    err = " ".join(run_cli(["report", "--store", store, "--out", tmp_path / "r.html"], code=2).stderr.split())
    assert "needs a local authority" in err and "--la" in err and "la =" in err
    assert not (tmp_path / "r.html").exists()
    err = " ".join(run_cli(["compare", "--store", store], code=2).stderr.split())
    assert "--la" in err and "csc-metrics.toml" in err


# ---- never summed, never joined ----------------------------------------------------------------------------


def _quarters(run_of: dict[int, str]) -> list[dict[str, Any]]:
    res = []
    for q, n in zip(range(1, 5), (12, 15, 9, 14), strict=True):
        r = report_result("referrals", "Referrals", "inputs", "count", quarter(2024, q), num=n)
        res.append(r | {"run_id": run_of[q]})
    res.append(report_result("referrals", "Referrals", "inputs", "count", quarter(2025, 1), num=10) | {"run_id": "b"})
    return res


def test_quarters_from_runs_over_the_same_dates_are_never_summed():
    def cover(start: str, end: str) -> list[dict[str, Any]]:
        return [{"path": "list3.csv", "table": "annex_a_list_3", "coverage": [start, end]}]

    one_run = quarterly_report(_quarters(dict.fromkeys(range(1, 5), "a")), metadata([]),
                               ReportOptions(benchmarks=False, year="2025-26", runs={"a": cover("2024-04-01", "2025-03-31")}))
    assert one_run.rows[0].baseline.value == 12 + 15 + 9 + 14  # one extract's four quarters: summed
    # Q1-Q3 from a Q3 extract, Q4 from a Q4 extract that also holds April to December: never summed
    overlapping = {"a": cover("2024-04-01", "2024-12-31"), "b": cover("2024-04-01", "2025-03-31")}
    two = quarterly_report(_quarters({1: "a", 2: "a", 3: "a", 4: "b"}), metadata([]),
                           ReportOptions(benchmarks=False, year="2025-26", runs=overlapping))
    assert two.rows[0].baseline is None
    # runs over disjoint dates may be summed
    disjoint = {"a": cover("2024-04-01", "2024-12-31"), "b": cover("2025-01-01", "2025-03-31")}
    apart = quarterly_report(_quarters({1: "a", 2: "a", 3: "a", 4: "b"}), metadata([]),
                             ReportOptions(benchmarks=False, year="2025-26", runs=disjoint))
    assert apart.rows[0].baseline.value == 50


def test_figures_of_two_sources_are_never_one_series(tmp_path):
    store = HistoryStore(tmp_path / "h.sqlite")
    meta = {"tool_version": "1", "definitions_hash": "sha256:x", "la_code": "808", "as_at": "2025-03-31",
            "inputs": []}
    annex = result("cla_at_end", 300, "2023-24", unit="children", num=300)
    ssda = result("cla_at_end", 310, "2024-25", unit="children", num=310) | {"source": "ssda903"}
    store.write_run({"schema_version": 1, "metadata": meta, "results": [annex], "diagnostics": []})
    store.write_run({"schema_version": 1, "metadata": dict(meta, as_at="2025-04-01"), "results": [ssda],
                     "diagnostics": []})
    assert [r["period"] for r in store.series("cla_at_end", "808")] == ["2023-24"]
    assert [r["period"] for r in store.series("cla_at_end", "808", source="ssda903")] == ["2024-25"]
    assert [r["period"] for r in store.latest_results("808")] == ["2023-24"]  # the report's (compare reads every source: source=None)
    out = json.loads(run_cli(["history", "--store", store.path, "-i", "cla_at_end", "--source", "ssda903",
                              "-f", "json"]).stdout)
    assert [(r["period"], r["source"]) for r in out["series"]] == [("2024-25", "ssda903")]
