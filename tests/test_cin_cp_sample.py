"""The §3.2 measures on the synthetic authority (`sample --cin`): equal to the figures known by construction
(`truth_cin_census.json`, counted from the generator's journeys, `sample/cin_truth_cp.py`) for every complete
year, and inside the England 2024-25 sanity ranges of returns.md §3.2 (LA 10th-90th percentiles)."""

from __future__ import annotations

import pytest
from tests.conftest import CIN_SAMPLE_CHILDREN

CHILDREN = CIN_SAMPLE_CHILDREN
COUNTS = ["cin_at_end", "cin_episodes_started", "cp_plans_at_end", "cp_plans_started", "cp_plans_ended"]
SHARES = ["cp_second_or_subsequent", "cp_ceased_2y_plus", "cp_open_2y_plus", "cp_reviews_on_time"]


@pytest.fixture(scope="module")
def sample(cin_sample):
    results, truth, _ = cin_sample
    return results, truth


def _get(results, ind, year):
    label = f"{year - 1}-{year % 100:02d}"
    [r] = [r for r in results if r["indicator"] == ind and r["period"] == label and r.get("category") is None]
    return r


def test_every_section_32_measure_equals_the_truth(sample):
    results, truth = sample
    years = sorted(truth)
    assert len(years) == 4
    for y in years:
        t = truth[y]
        for ind in COUNTS:
            r = _get(results, ind, y)
            assert (r["value"], r["status"], r["source"]) == (t[ind], "ok", "cin_census"), (ind, y)
        for ind in SHARES:
            r = _get(results, ind, y)
            assert [r["numerator"], r["denominator"]] == t[ind], (ind, y)
        # reviews: complete once the plans judged all started after the earliest census's 1 April
        status = _get(results, "cp_reviews_on_time", y)["status"]
        assert status == ("incomplete" if t["cp_reviews_unanchored"] else "ok"), y
    assert truth[years[0]]["cp_reviews_unanchored"] > 0  # the earliest year lacks some plans' first reviews


# England 2024-25 LA 10th-90th percentiles (returns.md §3.2); rates per 10,000 of the sample's population
RANGES = {"cp_second_or_subsequent": (16.0, 31.1), "cp_ceased_2y_plus": (1.7, 9.3), "cp_open_2y_plus": (0.0, 6.6),
          "cp_reviews_on_time": (80.7, 99.4)}
RATES = {"cin_at_end": (239.3, 498.4), "cp_plans_at_end": (27.4, 68.8), "cp_plans_started": (35.0, 80.4),
         "cp_plans_ended": (35.9, 87.7)}


def test_values_within_the_england_sanity_ranges(sample):
    """A share of a few dozen plans swings by several points from year to year (the sample authority has about
    45 children on a plan): each share must fall in the range widened by two binomial standard errors at its
    own denominator, taken at the range's midpoint (about +-13 points for 40 plans)."""
    results, truth = sample
    for y in sorted(truth)[1:]:
        for ind, (lo, hi) in RANGES.items():
            r = _get(results, ind, y)
            p = (lo + hi) / 200
            slack = 200 * (p * (1 - p) / r["denominator"]) ** 0.5
            assert lo - slack <= r["value"] <= hi + slack, (ind, y, r["value"], slack)
        for ind, (lo, hi) in RATES.items():
            assert lo <= _get(results, ind, y)["value"] * 10_000 / CHILDREN <= hi, (ind, y, _get(results, ind, y)["value"])
