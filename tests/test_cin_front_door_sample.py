"""The §3.1 measures on the synthetic authority (`sample --cin`): equal to the figures known by construction
(`truth_cin_census.json`, counted from the generator's journeys) for every complete year, and inside the England
2024-25 sanity ranges of returns.md §3.1 (LA 10th-90th percentiles)."""

from __future__ import annotations

import json
import shutil

import pytest
from tests.conftest import CIN_SAMPLE_CHILDREN, run_cli

CHILDREN = CIN_SAMPLE_CHILDREN


@pytest.fixture(scope="module")
def sample(cin_sample):
    return cin_sample


FRONT_DOOR = ["referrals", "referrals_per_10k", "referrals_nfa", "referrals_assessed_not_in_need", "re_referrals_12m",
              "re_referrals_12m_child", "referrals_by_source", "assessments_completed", "assessments_within_45wd",
              "assessment_median_wd", "assessment_factors", "s47_enquiries", "s47_per_10k", "icpcs", "icpcs_per_10k",
              "icpc_within_15wd"]


def test_compute_year_json_on_a_folder_of_censuses_gives_every_front_door_id_from_the_census(sample):
    _, truth, out = sample
    folder = out / "censuses"
    folder.mkdir()
    for p in out.glob("cin_census_*.xml"):
        shutil.copy(p, folder / p.name)
    payload = json.loads(run_cli(["compute", folder, "--period", "year", "--format", "json", "--no-store",
                                  "--la", "808"]).stdout)
    got = payload["results"]
    years = [_label(y) for y in sorted(truth)]
    # the censuses end on 31 March: ICPC targets after it do not open another year
    assert payload["metadata"]["as_at"] == f"{sorted(truth)[-1]}-03-31" and payload["metadata"]["periods"] == years
    for ind in FRONT_DOOR:
        rows = [r for r in got if r["indicator"] == ind and r["period"] in years]
        assert rows and {r["source"] for r in rows} == {"cin_census"}, ind
    quarters = json.loads(run_cli(["compute", folder, "--period", "quarter", "--format", "json", "--no-store",
                                   "-i", "referrals", "-i", "icpcs"]).stdout)["results"]
    last = sorted(truth)[-1]
    for ind in ("referrals", "icpcs"):  # the four quarters of a year add up to the year
        q = [r["value"] for r in quarters if r["indicator"] == ind and r["period"].startswith(_label(last) + " Q")]
        assert len(q) == 4 and sum(q) == truth[last][ind]


def _label(y: int) -> str:
    return f"{y - 1}-{y % 100:02d}"


def _get(results, ind, year, category=None):
    [r] = [r for r in results if r["indicator"] == ind and r["period"] == _label(year) and r.get("category") == category]
    return r


def test_every_measure_equals_the_truth(sample):
    results, truth, _ = sample
    years = sorted(truth)
    assert len(years) == 4
    for y in years:
        t = truth[y]
        for ind in ("referrals", "assessments_completed", "s47_enquiries", "icpcs"):
            r = _get(results, ind, y)
            assert (r["value"], r["status"], r["source"]) == (t[ind], "ok", "cin_census"), (ind, y)
        for ind in ("referrals_nfa", "referrals_assessed_not_in_need"):
            r = _get(results, ind, y)
            assert (r["numerator"], r["denominator"]) == (t[ind], t["referrals"]), (ind, y)
        for ind in ("assessments_within_45wd", "icpc_within_15wd"):
            r = _get(results, ind, y)
            assert [r["numerator"], r["denominator"]] == t[ind], (ind, y)
        assert _get(results, "assessment_median_wd", y)["value"] == t["assessment_median_wd"]
        for code, n in t["referrals_by_source"].items():
            r = _get(results, "referrals_by_source", y, code)
            assert (r["numerator"], r["denominator"]) == (n, t["referrals"]), (code, y)
        factors = dict(t["assessment_factors"])
        base = factors.pop("base")
        for code, n in factors.items():
            r = _get(results, "assessment_factors", y, code)
            assert (r["numerator"], r["denominator"]) == (n, base), (code, y)
        # re-referrals need the previous census: exact for every year but the first loaded, which is incomplete
        r, c = _get(results, "re_referrals_12m", y), _get(results, "re_referrals_12m_child", y)
        if y == years[0]:
            assert r["status"] == c["status"] == "incomplete"
        else:
            assert (r["numerator"], r["denominator"], r["status"]) == (t["re_referrals_12m"], t["referrals"], "ok")
            assert [c["numerator"], c["denominator"]] == t["re_referrals_12m_child"]


# England 2024-25 LA 10th-90th percentiles (returns.md §3.1); rates per 10,000 of the sample's population
RANGES = {
    "referrals_nfa": (0.0, 14.7), "referrals_assessed_not_in_need": (13.1, 42.5), "re_referrals_12m": (14.9, 26.1),
    "re_referrals_12m_child": (14.6, 24.4), "assessments_within_45wd": (73.4, 95.9),
    "icpc_within_15wd": (71.1, 93.9),
}
RATES = {"referrals": (329.5, 741.1), "s47_enquiries": (117.6, 310.8), "icpcs": (41.2, 94.3)}


def test_values_within_the_england_sanity_ranges(sample):
    results, truth, _ = sample
    for y in sorted(truth)[1:]:
        for ind, (lo, hi) in RANGES.items():
            assert lo <= _get(results, ind, y)["value"] <= hi, (ind, y)
        for ind, (lo, hi) in RATES.items():
            assert lo <= _get(results, ind, y)["value"] * 10_000 / CHILDREN <= hi, (ind, y)


def test_factors_at_assessment_are_their_own_table_and_chart_in_the_html(sample, tmp_path):
    _, truth, out = sample
    xml = sorted(out.glob("cin_census_*.xml"))
    html_path = tmp_path / "front_door.html"
    run_cli(["compute", *xml, "--period", "year", "--format", "html", "--output", html_path, "--no-store",
             "-i", "assessment_factors", "-i", "referrals_by_source"])
    html = html_path.read_text(encoding="utf-8")
    last = sorted(truth)[-1]
    base = truth[last]["assessment_factors"]["base"]
    assert 'id="chart-assessment_factors-cin_census"' in html and "<h3>Factors identified at the end of assessment (CIN census)" in html
    assert f"<caption>Factors identified at the end of assessment, {_label(last)}. Total {base:,}. Shares add up" in html
    n = truth[last]["assessment_factors"]["3B"]
    assert f'<td>3B: Domestic abuse: concerns about the parent or carer</td><td class="num">{n:,}</td>' in html
