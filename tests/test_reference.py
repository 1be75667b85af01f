"""Bundled reference data: local authorities, population, LAIT measures and values, statistical neighbours,
and the LAIT quartile/rank arithmetic. Expected values are taken from shared/reference/benchmarks.md and the
shared data files (quoted in each test)."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csc_metrics.errors import ConfigError
from csc_metrics.reference import (
    la_info,
    lait_measure,
    lait_measure_codes,
    lait_value,
    national_rank,
    population_0_17,
    quantile7,
    quartile_band,
    statistical_neighbours,
)

# ---- local authorities -----------------------------------------------------------------------------------


def test_la_info_gives_name_region_and_region_code():
    la = la_info("808")
    assert (la.code, la.name, la.region, la.region_code) == ("808", "Stockton-on-Tees", "North East", "980")
    assert la_info("870").name == "Reading"  # benchmarks.md: Reading is 870, not 872
    assert la_info("872").name == "Wokingham"
    camden = la_info(" 202 ")
    assert (camden.region, camden.region_code) == ("London (Inner)", "987")


def test_unknown_la_code_suggests_close_codes_and_names():
    with pytest.raises(ConfigError) as exc:
        la_info("807x")
    assert "CSC401" in exc.value.message and "807x" in exc.value.message
    assert "did you mean" in exc.value.hint
    with pytest.raises(ConfigError) as exc:
        la_info("Stockton")
    assert "808 (Stockton-on-Tees)" in exc.value.hint
    with pytest.raises(ConfigError) as exc:
        la_info("E06000004")  # Stockton's ONS code
    assert "808" in exc.value.hint


def test_england_and_regions_are_not_local_authorities():
    with pytest.raises(ConfigError, match="England, not a local authority"):
        la_info("970")


# ---- population --------------------------------------------------------------------------------------------


def test_population_values_from_benchmarks_md_section_8():
    assert population_0_17("870", 2024).value == 38963
    assert population_0_17("808", 2024).value == 45079
    assert population_0_17("335", 2024).value == 71799
    pop = population_0_17("800", 2024)
    assert (pop.value, pop.year, pop.warning) == (36601, 2024, None)


def test_population_year_not_published_uses_latest_earlier_year_with_warning():
    pop = population_0_17("808", 2025)  # mid-2025 is not published (benchmarks.md section 8)
    assert (pop.value, pop.year) == (45079, 2024)
    assert pop.warning and "CSC302" in pop.warning and "mid-2025" in pop.warning and "mid-2024" in pop.warning


def test_population_before_an_la_existed_uses_its_first_year_with_warning():
    pop = population_0_17("942", 2020)  # Cumberland: first estimate mid-2023 = 52,019 (mid-2024 52,489)
    assert (pop.value, pop.year) == (52019, 2023)
    assert pop.warning is not None


def test_population_errors_for_unknown_la_and_la_without_any_estimate():
    with pytest.raises(ConfigError, match="CSC401"):
        population_0_17("999", 2024)
    with pytest.raises(ConfigError, match="CSC303") as exc:
        population_0_17("835", 2018)  # Dorset (pre-LGR): every year is 'x' in the ONS file
    assert exc.value.hint


# ---- LAIT measures and values --------------------------------------------------------------------------------


def test_measure_definitions():
    m = lait_measure("ReReferral")
    assert m is not None
    assert (m.polarity, m.decimals, m.year_type, m.unit) == ("low", 1, "Financial Year", "percent")
    assert lait_measure("Continue_Assess_Comp").polarity == "high"
    lac = lait_measure("LAC")  # CLA rate per 10,000: published as whole numbers
    assert (lac.polarity, lac.decimals, lac.unit) == ("none", 0, "rate_per_10k")
    assert lait_measure("CPP_Total_NumRef").unit == "count"
    assert lait_measure("rereferral") is None  # codes are exact
    codes = lait_measure_codes()
    assert len(codes) == 156 and {"ReReferral", "CPPlans2yrs", "LAC_LongStable%"} <= codes


def test_published_values_and_missing_values_with_reason():
    assert lait_value("ReReferral", "970", 2025).value == 22.6  # England 2025 (benchmarks.md section 4)
    assert lait_value("ReReferral", "808", 2025).value == 28.8
    dash = lait_value("CPPlans2yrs", "841", 2025)  # Darlington: '-' in the LAIT file
    assert dash.value is None and dash.symbol == "-" and "suppressed" in dash.reason
    zero = lait_value("CPPlans2yrs", "390", 2025)  # Gateshead: a real 0, not missing
    assert zero.value == 0.0 and zero.reason is None
    early = lait_value("LAC_Start_Rate", "970", 2015)  # series starts in 2018: blank cell
    assert early.value is None and early.reason == "not published for this year"
    assert lait_value("NoSuchMeasure", "970", 2025).value is None


# ---- statistical neighbours ----------------------------------------------------------------------------------


def test_statistical_neighbours_2025_in_rank_order():
    # benchmarks.md section 2: 808 Stockton-on-Tees, 2025 model, SN1 -> SN10
    assert [n.code for n in statistical_neighbours("808")] == [
        "841", "332", "888", "390", "384", "351", "840", "372", "894", "344"
    ]
    first = statistical_neighbours("808")[0]
    assert (first.name, first.rank, first.closeness) == ("Darlington", 1, "Very close")


def test_statistical_neighbours_2021_differ_and_cumberland_has_none():
    assert [n.code for n in statistical_neighbours("335", "2021")] == [
        "831", "354", "874", "861", "350", "357", "332", "333", "382", "894"
    ]
    assert statistical_neighbours("942", "2021") == []
    assert len(statistical_neighbours("942", "2025")) == 10
    with pytest.raises(ConfigError, match="statistical-neighbour model"):
        statistical_neighbours("808", "2019")


# ---- LAIT arithmetic -----------------------------------------------------------------------------------------


def test_quantile_type7_by_hand():
    # x = 1, 2, 4, 8, 16 (n = 5): h = (n - 1) p = 4p
    xs = [16, 1, 8, 2, 4]
    assert quantile7(xs, 0.25) == 2  # h = 1 -> x[1] = 2
    assert quantile7(xs, 0.5) == 4  # h = 2 -> x[2] = 4
    assert quantile7(xs, 0.75) == 8  # h = 3 -> x[3] = 8
    # x = 10, 20, 30, 40 (n = 4): Q1 at h = 0.75 -> 10 + 0.75 * 10 = 17.5; Q3 at h = 2.25 -> 30 + 0.25 * 10
    assert quantile7([40, 10, 30, 20], 0.25) == pytest.approx(17.5)
    assert quantile7([40, 10, 30, 20], 0.75) == pytest.approx(32.5)


def test_quartile_band_boundaries_by_polarity():
    values = [0, 25, 50, 75, 100]  # Q1 = 25, Q2 = 50, Q3 = 75 (type 7, n = 5)
    low = [quartile_band(v, values, "low") for v in (0, 25, 25.01, 50, 50.01, 75, 75.01, 100)]
    assert low == ["A", "A", "B", "B", "C", "C", "D", "D"]  # A = [min, Q1], B = (Q1, Q2], ...
    high = [quartile_band(v, values, "high") for v in (0, 25, 25.01, 50, 50.01, 75, 75.01, 100)]
    assert high == ["D", "D", "C", "C", "B", "B", "A", "A"]
    assert quartile_band(-5, values, "low") == "A" and quartile_band(500, values, "low") == "D"
    assert quartile_band(30, values, "none") is None


def test_rank_one_is_best_and_ties_share_the_lower_rank():
    others = [10, 20, 20, 30]
    assert national_rank(5, others, "low") == 1
    assert national_rank(20, others, "low") == 2  # ties with two 20s: 1 + (one value below)
    assert national_rank(25, others, "low") == 4
    assert national_rank(20, others, "high") == 2  # one value (30) above
    assert national_rank(20, others, "none") is None


@given(st.lists(st.floats(min_value=0, max_value=1000, allow_nan=False), min_size=2, max_size=40))
def test_quantile7_agrees_with_statistics_inclusive(values):
    """statistics.quantiles(method='inclusive') implements the same type-7 rule independently."""
    expected = statistics.quantiles(values, n=4, method="inclusive")
    got = [quantile7(values, p) for p in (0.25, 0.5, 0.75)]
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)
