"""`compare_results`: benchmark values, gaps, assessments, quartile bands and ranks checked by hand against the
published files (values quoted from shared/data/lait_csc_indicators_wide.csv and the 2025 SN model)."""

from __future__ import annotations

import csv
import json
import statistics
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from csc_metrics.compare import compare_results, select_results
from csc_metrics.engine.periods import parse_period
from csc_metrics.errors import ConfigError, InputError
from csc_metrics.results import Result

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SCHEMA = json.loads(resources.files("csc_metrics").joinpath("data", "compare.schema.json").read_text())


def result(indicator: str, value: float | None, *, period: str = "2024-25", unit: str = "percent",
           polarity: str = "low", kind: str = "flow", annualised: bool = False, **extra: Any) -> dict[str, Any]:
    p = parse_period(period)
    start, end = p.start, p.end
    return {
        "indicator": indicator, "title": indicator.replace("_", " "), "section": extra.pop("section", "inputs"),
        "kind": kind, "period": period, "period_start": start.isoformat(), "period_end": end.isoformat(),
        "complete": extra.pop("complete", True), "as_at": None, "category": None, "numerator": None,
        "denominator": None, "value": value, "unit": unit, "annualised": annualised, "polarity": polarity,
        "status": "ok" if value is not None else "empty", "warnings": [], **extra,
    }


def run(results: list[dict[str, Any]], la: str | None = "808", **kw: Any) -> dict[str, Any]:
    payload = {"schema_version": 1, "metadata": {"la_code": la, "run_id": "run-1"}, "results": results}
    args: dict[str, Any] = {"la_code": None, "benchmarks": [], "benchmark_year": None, "sn_model": "2025",
                            "targets": {}, "period": None, "indicator_meta": {}}
    args.update(kw)
    out = compare_results(payload, **args)
    jsonschema.validate(out, SCHEMA)  # every payload produced in these tests matches the published shape
    return out


def row(out: dict[str, Any], benchmark: str, indicator: str | None = None) -> dict[str, Any]:
    rows = [c for c in out["comparisons"] if c["benchmark"] == benchmark
            and (indicator is None or c["indicator"] == indicator)]
    assert len(rows) == 1, rows
    return rows[0]


def shared_la_values(measure: str, year: int) -> dict[str, float]:
    """Independent reader of the shared LAIT file (csv module): every LA's numeric value for the year."""
    if not SHARED.is_dir():
        pytest.skip(f"shared data not present at {SHARED}")
    out = {}
    with open(SHARED / "lait_csc_indicators_wide.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["measure_short"] == measure and r["area_level"] == "la" and r[str(year)] not in ("", "-"):
                out[r["area_code"]] = float(r[str(year)])
    return out


def band_and_rank_by_hand(measure: str, year: int, la: str, value: float, polarity: str) -> tuple[str, int]:
    """Python's statistics.quantiles(method='inclusive') is R's type 7; rank = 1 + LAs strictly better."""
    values = shared_la_values(measure, year)
    q1, q2, q3 = statistics.quantiles(values.values(), n=4, method="inclusive")
    band = "A" if value <= q1 else "B" if value <= q2 else "C" if value <= q3 else "D"
    others = [v for code, v in values.items() if code != la]
    if polarity == "high":
        band = {"A": "D", "B": "C", "C": "B", "D": "A"}[band]
        return band, 1 + sum(v > value for v in others)
    return band, 1 + sum(v < value for v in others)


# ---- England, region, SN mean / median, published ------------------------------------------------------------


def test_stockton_re_referrals_2025_all_benchmarks():
    out = run([result("re_referrals_12m", 28.8, benchmark={"source": "lait", "measure": "ReReferral"})])
    meta = out["metadata"]
    assert (meta["la_code"], meta["la_name"], meta["region"], meta["run_id"]) == (
        "808", "Stockton-on-Tees", "North East", "run-1")
    assert meta["sn_model"] == "DfE statistical neighbours, May 2025"
    assert row(out, "england")["benchmark_value"] == 22.6  # LAIT ReReferral England 2025
    assert row(out, "region")["benchmark_value"] == 20.7  # North East (980) 2025
    # SN 2025 for 808: 841 13, 332 22.5, 888 16.3, 390 13.9, 384 18.5, 351 26, 840 18.7, 372 19.6, 894 15.8, 344 22.2
    sn = [13, 22.5, 16.3, 13.9, 18.5, 26, 18.7, 19.6, 15.8, 22.2]
    assert sum(sn) == pytest.approx(186.5)
    mean = row(out, "sn")
    assert mean["benchmark_value"] == pytest.approx(186.5 / 10) == 18.65  # spec/cli.md example
    assert mean["difference"] == pytest.approx(28.8 - 18.65) and mean["assessment"] == "worse"
    assert mean["sn_values_used"] == 10 and mean["measure"] == "ReReferral" and mean["benchmark_year"] == 2025
    # sorted: 13, 13.9, 15.8, 16.3, 18.5 | 18.7, 19.6, 22.2, 22.5, 26 -> median (18.5 + 18.7) / 2
    assert row(out, "sn-median")["benchmark_value"] == pytest.approx((18.5 + 18.7) / 2)
    published = row(out, "published")
    assert (published["benchmark_value"], published["difference"], published["assessment"]) == (28.8, 0, "same")
    assert row(out, "england")["sn_values_used"] is None
    assert [c["benchmark"] for c in out["comparisons"]] == ["england", "region", "sn", "sn-median", "published"]


def test_sn_mean_rests_on_the_neighbours_that_have_a_value():
    # CPPlans2yrs 2025 (benchmarks.md section 7): Darlington (841) is '-', Stockton itself is '-'.
    # 332 3.9, 888 2.2, 390 0 (a real zero), 384 1.7, 351 3.1, 840 2.8, 372 5.5, 894 3.7, 344 6.9
    values = [3.9, 2.2, 0, 1.7, 3.1, 2.8, 5.5, 3.7, 6.9]
    assert sum(values) == pytest.approx(29.8)
    out = run([result("cp_ceased_2y_plus", 3.0, section="outputs")])  # measure from the catalogue mapping
    sn = row(out, "sn")
    assert sn["sn_values_used"] == 9
    assert sn["benchmark_value"] == pytest.approx(29.8 / 9, abs=1e-6)
    assert sn["assessment"] == "better"  # polarity low: 3.0 < 3.311
    assert "1 of 10 neighbours has no published value" in sn["note"]
    assert row(out, "sn-median")["benchmark_value"] == 3.1  # 0, 1.7, 2.2, 2.8, [3.1], 3.7, 3.9, 5.5, 6.9
    published = row(out, "published")  # Stockton's own 2025 value is '-'
    assert published["benchmark_value"] is None and published["difference"] is None
    assert published["assessment"] is None and "CSC403" in published["reason"] and "'-'" in published["reason"]
    assert row(out, "england")["benchmark_value"] == 4.4


def test_walsall_cla_rate_whole_numbers_and_polarity_none():
    # LAC 2025: Walsall 81, England 67, West Midlands 86. SN: 354 102, 861 170, 357 123, 336 73, 371 74,
    # 831 88, 350 78, 372 80, 812 131, 333 92 -> sum 1011
    assert sum([102, 170, 123, 73, 74, 88, 78, 80, 131, 92]) == 1011
    r = result("cla_per_10k", 81.0, unit="rate_per_10k", polarity="none", kind="stock", section="outputs")
    out = run([r], la="335")
    assert out["metadata"]["region"] == "West Midlands"
    assert row(out, "england")["benchmark_value"] == 67 and row(out, "region")["benchmark_value"] == 86
    sn = row(out, "sn")
    assert sn["benchmark_value"] == pytest.approx(101.1) and sn["difference"] == pytest.approx(81 - 101.1)
    assert sn["assessment"] is None and sn["quartile_band"] is None and sn["rank"] is None  # polarity none


def test_walsall_referral_rate_sn_mean():
    # CPP_Total_Rateper10,000 2025 SN of 335: 476.5 + 619.6 + 934.4 + 650.7 + 829.8 + 572.7 + 503 + 488.7
    # + 597.2 + 420.2 = 6092.8
    out = run([result("referrals_per_10k", 467.3, unit="rate_per_10k", polarity="none")], la="335")
    assert row(out, "sn")["benchmark_value"] == pytest.approx(609.28)
    assert row(out, "published")["benchmark_value"] == 467.3 and row(out, "england")["benchmark_value"] == 519.4


def test_reading_assessments_polarity_high_band_and_rank():
    # Continue_Assess_Comp 2025, Reading (870, South East): England 85.7, South East 89.9. SN: 826 77.4,
    # 302 65.2, 312 89.4, 315 98.5, 822 93.5, 306 69.6, 320 99.3, 383 73.2, 852 86.3, 310 96.8 -> sum 849.2
    out = run([result("assessments_within_45wd", 60.0, polarity="high", section="processes")], la="870")
    sn = row(out, "sn")
    assert sn["benchmark_value"] == pytest.approx(84.92)
    assert sn["difference"] == pytest.approx(60 - 84.92) and sn["assessment"] == "worse"  # higher is better
    assert row(out, "region")["benchmark_value"] == 89.9
    band, rank = band_and_rank_by_hand("Continue_Assess_Comp", 2025, "870", 60.0, "high")
    assert (sn["quartile_band"], sn["rank"]) == (band, rank)
    assert band == "D"  # 60% is in the bottom quarter of LAs for timeliness
    assert sn["ranked_of"] == len(shared_la_values("Continue_Assess_Comp", 2025))


@pytest.mark.parametrize(("la", "measure", "indicator", "value"), [
    ("808", "ReReferral", "re_referrals_12m", 28.8),  # equals the published value: LAIT's own band and rank
    ("808", "ReReferral", "re_referrals_12m", 19.95),
    ("335", "PrevRegCPR", "cp_second_or_subsequent", 22.5),
    ("870", "CPPlans2yrs", "cp_ceased_2y_plus", 3.8),
])
def test_quartile_band_and_rank_match_an_independent_calculation(la, measure, indicator, value):
    out = run([result(indicator, value, benchmark={"source": "lait", "measure": measure})], la=la)
    england = row(out, "england")
    assert (england["quartile_band"], england["rank"]) == band_and_rank_by_hand(measure, 2025, la, value, "low")


# ---- periods and years ---------------------------------------------------------------------------------------


def test_quarter_compares_with_latest_published_year_and_says_so():
    out = run([result("re_referrals_12m", 25.0, period="2025-26 Q1")])
    england = row(out, "england")
    assert england["benchmark_year"] == 2025  # year ending 31 March 2025 is the latest not after June 2025
    assert england["note"] == "2025-26 Q1 (3 months) compared with the full year ending 31 March 2025"
    assert england["value"] == 25.0 and england["benchmark_value"] == 22.6


def test_quarter_ending_before_31_march_uses_the_previous_year():
    out = run([result("re_referrals_12m", 25.0, period="2024-25 Q3")])  # Oct-Dec 2024
    assert row(out, "england")["benchmark_year"] == 2024
    assert row(out, "england")["benchmark_value"] == 22.4


def test_annualised_rate_is_compared_as_is_and_the_note_says_it_was_annualised():
    r = result("referrals_per_10k", 540.0, period="2025-26 Q1", unit="rate_per_10k", polarity="none",
               annualised=True)
    england = row(run([r]), "england")
    assert england["value"] == 540.0 and england["annualised"] is True
    assert england["benchmark_value"] == 519.4 and "annualised by compute (x4)" in england["note"]


def test_quarterly_count_is_annualised_for_comparison():
    r = result("referrals", 1000, period="2025-26 Q1", unit="count", polarity="none")
    out = run([r])
    published = row(out, "published")  # Stockton's published referrals 2025: 3,959
    assert published["value"] == 4000 and published["benchmark_value"] == 3959
    assert "x4: 1,000 -> 4,000" in published["note"]
    assert not [c for c in out["comparisons"] if c["benchmark"] in ("england", "region")]  # totals: skipped


def test_stock_at_quarter_end_is_compared_with_31_march():
    r = result("cla_per_10k", 70.0, period="2025-26 Q1", unit="rate_per_10k", polarity="none", kind="stock")
    note = row(run([r], la="335"), "england")["note"]
    assert "position at 2025-06-30 compared with 31 March 2025" in note


def test_year_not_yet_published_falls_back_with_a_note():
    r = result("re_referrals_12m", 25.0, period="2025-26")
    england = row(run([r]), "england")
    assert england["benchmark_year"] == 2025 and "2026 figures not published yet" in england["note"]


def test_explicit_benchmark_year():
    out = run([result("re_referrals_12m", 25.0)], benchmark_year=2023)
    assert row(out, "england")["benchmark_value"] == 22.4  # England 2023
    missing = run([result("re_referrals_12m", 25.0)], benchmark_year=2012)
    england = row(missing, "england")
    assert england["benchmark_value"] is None and england["benchmark_year"] == 2012
    assert "CSC403" in england["reason"] and "2012" in england["reason"]


def test_measure_with_no_value_that_year_gives_null_and_reason():
    # LAC_Start_Rate is published from 2018 only
    r = result("cla_started_rate", 30.0, unit="rate_per_10k", polarity="none",
               benchmark={"source": "lait", "measure": "LAC_Start_Rate"}, period="2016-17")
    england = row(run([r]), "england")
    assert england["benchmark_value"] is None and "2017 or earlier" in england["reason"]


def test_default_period_is_latest_complete_and_period_option_selects():
    results = [
        result("re_referrals_12m", 20.0, period="2024-25"),
        result("re_referrals_12m", 21.0, period="2024-25 Q4"),
        result("re_referrals_12m", 22.0, period="2025-26 Q1"),
        result("re_referrals_12m", 23.0, period="2025-26 Q2", complete=False),
    ]
    typed = [Result.from_dict(r) for r in results]
    assert [r.period.label for r in select_results(typed, None)] == ["2025-26 Q1"]
    assert [r.period.label for r in select_results(typed[:2], None)] == ["2024-25"]  # annual wins a tie
    assert row(run(results, period="2024-25 Q4"), "england")["value"] == 21.0
    with pytest.raises(ConfigError, match="no results for period"):
        run(results, period="2023-24")


# ---- benchmarks selection, targets, edge cases ---------------------------------------------------------------


def test_benchmark_selection_and_targets():
    results = [result("re_referrals_12m", 28.8), result("contacts", 5000, unit="count", polarity="none")]
    out = run(results, benchmarks=["sn", "target"], targets={"re_referrals_12m": 25.0, "contacts": 4000})
    assert [(c["indicator"], c["benchmark"]) for c in out["comparisons"]] == [
        ("re_referrals_12m", "sn"), ("re_referrals_12m", "target"), ("contacts", "target")]
    target = row(out, "target", "re_referrals_12m")
    assert (target["benchmark_value"], target["difference"], target["assessment"]) == (25.0, pytest.approx(3.8),
                                                                                        "worse")
    assert row(out, "target", "contacts")["assessment"] is None  # polarity none
    with pytest.raises(ConfigError, match="unknown benchmark"):
        run(results, benchmarks=["neighbours"])


def test_indicator_without_benchmark_is_listed_not_compared():
    out = run([result("contacts", 5000, unit="count", polarity="none")])
    assert out["comparisons"] == [] and out["metadata"]["indicators_without_benchmark"] == ["contacts"]


def test_no_neighbours_in_the_2021_model():
    out = run([result("re_referrals_12m", 25.0)], la="942", sn_model="2021")
    assert out["metadata"]["sn_model"] == "DfE statistical neighbours, April 2021"
    assert any("CSC402" in m and "Cumberland" in m for m in out["metadata"]["messages"])
    sn = row(out, "sn")
    assert sn["benchmark_value"] is None and sn["sn_values_used"] == 0 and "CSC402" in sn["reason"]
    assert row(out, "england")["benchmark_value"] == 22.6  # other benchmarks still work


def test_unknown_la_code_and_missing_la_code():
    with pytest.raises(ConfigError, match="CSC401"):
        run([result("re_referrals_12m", 25.0)], la="999")
    with pytest.raises(ConfigError, match="no local authority code"):
        run([result("re_referrals_12m", 25.0)], la=None)


def test_explicit_la_differs_from_payload_la_is_reported():
    out = run([result("re_referrals_12m", 25.0)], la="808", la_code="335")
    assert out["metadata"]["la_code"] == "335"
    assert any("computed for LA 808" in m for m in out["metadata"]["messages"])


def test_empty_result_unknown_measure_and_unit_mismatch_give_reasons_not_crashes():
    empty = row(run([result("re_referrals_12m", None)]), "england")
    assert empty["value"] is None and empty["benchmark_value"] == 22.6
    assert empty["difference"] is None and empty["reason"] == "no local value to compare"
    unknown = row(run([result("x", 1.0, benchmark={"source": "lait", "measure": "NoSuch"})]), "england")
    assert unknown["benchmark_value"] is None and "unknown LAIT measure" in unknown["reason"]
    mismatch = row(run([result("x", 1.0, unit="percent", benchmark={"source": "lait", "measure": "LAC"})]), "sn")
    assert mismatch["benchmark_value"] is None and mismatch["reason"] == "LAIT LAC is published as a rate per 10,000, not comparable with this percentage"


def test_indicator_meta_supplies_the_measure_when_the_result_does_not():
    r = result("my_rereferrals", 20.0)
    out = run([r], indicator_meta={"my_rereferrals": {"benchmark_measure": "ReReferral", "polarity": "low"}})
    assert row(out, "england")["measure"] == "ReReferral"


def test_not_a_compute_payload():
    with pytest.raises(InputError, match="results"):
        compare_results({"rows": []}, la_code="808", benchmarks=[], benchmark_year=None, targets={}, period=None,
                        indicator_meta={})


def test_schema_rejects_a_wrong_shape():
    out = run([result("re_referrals_12m", 28.8)])
    bad = json.loads(json.dumps(out))
    bad["comparisons"][0]["assessment"] = "good"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)


DEFINITIONS = """\
version: 1
indicators:
  - id: my_rereferrals
    type: proportion
    title: My re-referrals
    section: inputs
    description: re-referrals, local variant
    polarity: low
    benchmark: {source: lait, measure: ReReferral}
    target: 21.5
    table: annex_a_list_3
    timing: {basis: flow, date: referral_date}
    numerator:
      - {column: referral_nfa, op: eq, value: "yes"}
  - id: my_count
    type: count
    title: My count
    section: outputs
    description: children looked after
    table: annex_a_list_8
    timing: {basis: stock, start: start_date, end: end_date}
  - id: my_rate
    type: rate
    title: My rate
    section: outputs
    description: per 10,000
    of: my_count
"""


def test_indicator_meta_from_definitions(tmp_path):
    from csc_metrics.compare import indicator_meta_from_definitions

    (tmp_path / "x.yaml").write_text(DEFINITIONS, encoding="utf-8")
    meta = indicator_meta_from_definitions(tmp_path)
    assert meta["my_rereferrals"] == {"benchmark_measure": "ReReferral", "target": 21.5}
    assert meta["my_count"]["benchmark_measure"] is None
    out = run([result("my_rereferrals", 20.0)], indicator_meta=meta, benchmarks=["target", "england"])
    assert row(out, "target")["benchmark_value"] == 21.5 and row(out, "england")["measure"] == "ReReferral"
    (tmp_path / "bad.yaml").write_text("version: 1\nindicators: [{id: 1}]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="definitions cannot be loaded"):
        indicator_meta_from_definitions(tmp_path)
