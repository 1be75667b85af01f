"""The committed sample extract: every indicator computes, the 2024-25 figures look like England's, the returns
give the DfE recipes with their source and the figures the generator built, and the files are what
scripts/make_sample_data.py writes."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from tests.conftest import ROOT, run_cli
from tests.engine_helpers import standard
from tests.ssda903_truth_keys import BREAKDOWNS, COUNTS, DAYS, OTHER, PAIRS, POOLED, RATES, REASONS, SHARES

SAMPLE = ROOT / "sample_data"
pytestmark = pytest.mark.skipif(not (SAMPLE / "list_03_referrals.csv").exists(), reason="sample_data/ not built")

# England 2022-23 / 2023-24 / 2024-25 (spec/indicators.md) widened to what a single LA plausibly shows.
SANITY = {
    "referrals_per_10k": (400, 650),        # England 538.1 / 515.7 / 519.4
    "re_referrals_12m": (15, 30),            # 22.4 / 22.4 / 22.6
    "assessments_within_45wd": (75, 95),     # 82.5 / 84.5 / 85.7
    "s47_per_10k": (140, 240),               # 189.4 / 186.2 / 189.3
    "icpcs_per_10k": (40, 85),               # 62.5 / 59.9 / 59.2
    "icpc_within_15wd": (65, 95),            # 78.4 / 79.7 / 81.4
    "cp_per_10k": (28, 55),                  # 42.7 / 41.4 / 40.6
    "cp_second_or_subsequent": (15, 35),     # 23.6 / 24.7 / 24.5
    "cp_ceased_2y_plus": (0, 10),            # 3.9 / 3.8 / 4.4
    "cin_per_10k": (250, 420),               # 338.7 / 331.2 / 330.3
    "cla_per_10k": (45, 95),                 # 70 / 69 / 67
    "cla_3plus_placements": (5, 17),         # 11 / 11 / 10
    "cla_long_term_stability": (55, 82),     # 68 / 68 / 69
    "care_leavers_eet": (40, 70),            # 56 / 54 / 54
    "care_leavers_suitable_accommodation": (75, 97),  # 88 / 88 / 89
}


@pytest.fixture(scope="module")
def quarterly():
    # the Annex A recipes only: with the returns in the folder, compute takes each return's recipe by default
    return json.loads(run_cli(["compute", SAMPLE, "--la", "808", "--format", "json", "--no-store",
                               "--source", "annex_a"]).stdout)


def test_every_indicator_ok_in_every_complete_quarter(quarterly):
    # measures only the DfE returns give (e.g. OC2 health, pooled adoption) are `no_data` over Annex A lists
    results = [r for r in quarterly["results"] if not (r["status"] == "no_data" and r["source"] != "annex_a")]
    quarters = {f"{y} Q{q}" for y in ("2023-24", "2024-25") for q in range(1, 5)}
    timed = [r for r in results if r["kind"] != "as_at" and r["status"] != "no_data"]  # no_data: a return not given
    complete = {r["period"] for r in timed} - {r["period"] for r in timed if not r["complete"]}
    assert quarters <= complete  # every list covers both financial years in full
    # the extract ends on 31 March 2025, so March's contacts and referrals have not had their 30 days: the
    # look-forward figures of the last quarter are incomplete; and the lists start on 1 April 2022, so the
    # first year's re-referrals lack their 12-month look-back. Only those.
    forward = {(i, "2024-25 Q4") for i in ("contacts_to_referral", "referrals_to_assessment", "referrals_to_s47")}
    back = {("re_referrals_12m", f"2022-23 Q{q}") for q in range(1, 5)}
    cut = forward | back
    bad = [(r["indicator"], r["period"], r["status"]) for r in timed if r["period"] in complete
           and r["status"] != "ok" and (r["indicator"], r["period"]) not in cut]
    # the only figures with no data are the CIN census recipes with no Annex A recipe (no census in the folder)
    assert {r["source"] for r in results if r["status"] == "no_data"} <= {"cin_census", "ssda903"}
    assert bad == []
    for r in results:
        if (r["indicator"], r["period"]) in cut:
            assert r["status"] == "incomplete"
            window = "look-forward" if (r["indicator"], r["period"]) in forward else "look-back"
            assert [(f["code"], f["args"]["window"]) for f in r["findings"]] == [("CSC301", window)]
    as_at = [r for r in results if r["kind"] == "as_at" and r["category"] is None]
    assert {r["indicator"] for r in as_at} >= {"cla_3plus_placements", "care_leavers_eet"}
    assert all(r["status"] == "ok" and r["as_at"] == quarterly["metadata"]["as_at"] for r in as_at)
    assert len({(r["indicator"]) for r in as_at}) == len(as_at)  # once each


def test_2024_25_figures_inside_england_sanity_ranges(quarterly):
    yearly = json.loads(run_cli(["compute", SAMPLE, "--la", "808", "--format", "json", "--no-store",
                                 "--period", "2024-25", "--source", "annex_a"]).stdout)
    values = {r["indicator"]: r["value"] for r in yearly["results"] if r["category"] is None}
    as_at = {r["indicator"]: r["value"] for r in quarterly["results"] if r["kind"] == "as_at"}
    outside = {}
    for ind, (low, high) in SANITY.items():
        value = values.get(ind) if values.get(ind) is not None else as_at.get(ind)
        if value is None or not low <= value <= high:
            outside[ind] = value
    assert outside == {}


# -- the returns: SSDA903 (2019-20 to 2024-25) and CIN census (2022-23 to 2024-25) of the same children ----------

@pytest.fixture(scope="module")
def yearly_all():
    """`compute sample_data --period year --format json`: every source, each indicator from its return."""
    return json.loads(run_cli(["compute", SAMPLE, "--period", "year", "--format", "json", "--no-store"]).stdout)


def _headline(payload, period):
    rows = [r for r in payload["results"] if r["period"] == period and r["category"] is None]
    assert len({r["indicator"] for r in rows}) == len(rows)  # one figure per id, from one source
    return {r["indicator"]: r for r in rows}


def _codes(r):
    return [f["code"] for f in r["findings"]]


@pytest.mark.parametrize("year", ["2023-24", "2024-25"])
def test_the_main_command_gives_each_return_recipe_with_its_source(yearly_all, year):
    """The sample's two years: §3.3-3.7 from the SSDA903, §3.1-3.2 from the CIN census, the rest from Annex A,
    each `ok` except where the inputs cannot give the figure, with the reason. The SSDA903 returns from 2019-20
    hold the start of every period of care of a child of these years, and the two earlier years the three-year
    pooled adoption figures need, so no §3.3-3.7 figure but distance is short of history."""
    recipes = standard().recipes
    ssda903 = {i for i, src in recipes if src == "ssda903"}
    cin = {i for i, src in recipes if src == "cin_census"}
    assert len(ssda903) >= 40 and len(cin) >= 25 and not ssda903 & cin
    got = _headline(yearly_all, year)
    sources = {(r["indicator"], r["source"]) for r in yearly_all["results"] if r["period"] == year}  # breakdowns too
    assert {i for i, src in sources if src == "ssda903"} == ssda903
    assert {i for i, src in sources if src == "cin_census"} == cin
    assert {src for i, src in sources if i not in ssda903 | cin} == {"annex_a"}
    assert len({i for i, _ in sources}) == len(sources)  # one source per id
    truth = json.loads((SAMPLE / "truth_cin_census.json").read_text())[f"20{year[-2:]}"]
    not_ok = {
        # no PL_DISTANCE in the episodes and no --postcodes file: unavailable, saying what to pass
        "cla_placed_20_miles_out": ("unavailable", ["CSC311"]),
    }
    if year == "2024-25":  # the Annex A extract ends on 31 March 2025: March's contacts and referrals lack 30 days
        not_ok |= dict.fromkeys(["contacts_to_referral", "referrals_to_assessment", "referrals_to_s47"],
                                ("incomplete", ["CSC301"]))
    # a review chain anchored before the 2022-23 census (the generator counts them): incomplete, CSC320
    if truth["cp_reviews_unanchored"]:
        not_ok["cp_reviews_on_time"] = ("incomplete", ["CSC320"])
    assert {i: (r["status"], _codes(r)) for i, r in got.items() if r["status"] != "ok"} == not_ok
    assert "--postcodes" in got["cla_placed_20_miles_out"]["findings"][0]["args"]["reason"]
    if truth["cp_reviews_unanchored"]:
        assert got["cp_reviews_on_time"]["findings"][0]["args"]["rows"] == truth["cp_reviews_unanchored"]
    assert all(r["value"] is not None for r in got.values() if r["status"] in ("ok", "incomplete"))


def test_the_look_back_years_say_what_they_lack(yearly_all):
    """2019-20 to 2022-23 hold the earlier returns (and, from 2022-23, the lists' 12 months of history and the
    first CIN census). A figure of a year no input of its kind covers is `no_data` (CSC321: not built from
    another year's rows), one that needs a table not collected that year `unavailable` (SWEpisodes, from
    2023-24); the first return's measures reaching back before it are `incomplete` (returns.md §6.1)."""
    first = _headline(yearly_all, "2019-20")
    assert {r["source"] for r in first.values() if r["status"] == "no_data"} >= {"annex_a", "cin_census"}
    assert {i for i, r in first.items() if r["source"] == "ssda903" and r["status"] == "incomplete"} == {
        "cla_3plus_placements_2y", "cla_long_term_stability", "adoption_entry_to_placement_days",
        "adoption_a10_days", "adoption_a1_3yr_days", "adoption_a10_3yr_days", "adoption_order_to_match_days",
        "adoption_a2_3yr_days"}  # A2: a placement order already in force in the first loaded episode
    for year in ("2019-20", "2020-21", "2021-22", "2022-23"):
        got = _headline(yearly_all, year)
        sw = got["cla_3plus_social_workers"]
        assert (sw["status"], sw["value"], _codes(sw)) == ("unavailable", None, ["CSC321"])
        assert sw["findings"][0]["args"]["table"] == "ssda903_sw_episodes"
        for r in got.values():
            if r["status"] in ("no_data", "unavailable") and r["indicator"] != "cla_placed_20_miles_out":
                assert r["value"] is None and r["numerator"] is None, r
    contacts = _headline(yearly_all, "2021-22")["contacts"]
    assert (contacts["status"], contacts["value"], _codes(contacts)) == ("no_data", None, ["CSC321"])


def test_the_903_figures_equal_the_generator_truth_for_each_year(yearly_all):
    """Every §3.3-3.7 measure equals the generator's figure in each year where it is `ok`: every year for the
    stocks, flows, OC2, OC3 and breakdowns; the cohort and pooled measures once their look-back is loaded."""
    truth = json.loads((SAMPLE / "ssda903" / "truth.json").read_text())["years"]
    assert sorted(truth) == ["2020", "2021", "2022", "2023", "2024", "2025"]
    ids = {i for i, src in standard().recipes if src == "ssda903"}
    listed = [COUNTS, SHARES, PAIRS, REASONS, BREAKDOWNS, DAYS, POOLED, RATES, OTHER]
    assert set().union(*listed) == ids and sum(map(len, listed)) == len(ids)  # each id once
    checked: dict[str, set[str]] = {}
    groups = {i: r.groups for (i, src), r in standard().recipes.items() if src == "ssda903" and i in BREAKDOWNS}
    for year, t in truth.items():
        label = f"{int(year) - 1}-{year[2:]}"
        got = _headline(yearly_all, label)
        heads = ids - set(BREAKDOWNS)  # a breakdown has one row per category, no headline
        assert {got[i]["source"] for i in heads} == {"ssda903"}
        ok = {i for i in heads if got[i]["status"] == "ok"}
        for ind, key in COUNTS.items():  # every return year, the first too: counts need no look-back
            assert (got[ind]["value"], got[ind]["status"]) == (t[key], "ok"), (ind, year)
        for ind, rate in RATES.items():
            assert got[ind]["numerator"] == got[rate]["value"], (ind, year)
        expected = {ind: [t[num], t[den]] for ind, (num, den) in SHARES.items()}
        expected |= {ind: t[key] for ind, key in PAIRS.items()}
        expected |= {ind: [sum(t["children_ceased_by_reason"].get(c, 0) for c in codes), t["children_ceased"]]
                     for ind, codes in REASONS.items()}
        expected |= {ind: t[key][::-1] for ind, key in DAYS.items()}  # [adoptions, total days]
        pooled = [str(y) for y in range(int(year) - 2, int(year) + 1)]
        if all(y in truth for y in pooled):
            expected |= {ind: [sum(truth[y][key][1] for y in pooled), sum(truth[y][key][0] for y in pooled)]
                         for ind, key in POOLED.items()}
        for ind, want in expected.items():
            if ind not in ok:
                continue
            r = got[ind]
            if ind in DAYS or ind in POOLED:
                assert r["denominator"] == want[0] and r["value"] == pytest.approx(want[1] / want[0]), (ind, year)
            else:
                assert [r["numerator"], r["denominator"]] == want, (ind, year)
            checked.setdefault(ind, set()).add(label)
        for ind, key in BREAKDOWNS.items():
            cats = {r["category"]: r["numerator"] for r in yearly_all["results"]
                    if r["indicator"] == ind and r["period"] == label and r["category"] is not None}
            want: dict[str, int] = {}
            for code, n in t[key].items():  # codes as drawn, in the definition's groups (placement type)
                group = next((g for g, codes in (groups.get(ind) or {}).items() if code in codes), code)
                want[group] = want.get(group, 0) + n
            assert {c: n for c, n in cats.items() if n} == want, (ind, year)
            checked.setdefault(ind, set()).add(label)
        assert got["cla12_sdq_mean"]["value"] == pytest.approx(t["sdq_mean"])
        if "social_workers_3plus" in t:
            sw = got["cla_3plus_social_workers"]
            assert [sw["numerator"], sw["denominator"]] == [t["social_workers_3plus"], t["looked_after_at_31_march"]]
        assert got["cla_placed_20_miles_out"]["status"] == "unavailable"
    # every compared measure was ok (so compared) in the sample's own two years
    shown = {"2023-24", "2024-25"}
    assert {i for i, years in checked.items() if shown <= years} == set(expected) | set(BREAKDOWNS)


def test_the_cin_figures_equal_the_generator_truth_for_each_complete_year(yearly_all):
    truth = json.loads((SAMPLE / "truth_cin_census.json").read_text())
    assert sorted(truth) == ["2023", "2024", "2025"]
    for year in ("2024", "2025"):  # 2022-23, the first census, has no previous one for its look-backs
        t, got = truth[year], _headline(yearly_all, f"{int(year) - 1}-{year[2:]}")
        for ind in ("referrals", "assessments_completed", "s47_enquiries", "icpcs", "cin_at_end", "cp_plans_at_end",
                    "cp_plans_started", "cp_plans_ended"):
            assert (got[ind]["value"], got[ind]["source"]) == (t[ind], "cin_census"), (ind, year)
        for ind in ("assessments_within_45wd", "icpc_within_15wd", "cp_second_or_subsequent", "cp_reviews_on_time"):
            assert [got[ind]["numerator"], got[ind]["denominator"]] == t[ind], (ind, year)
        assert (got["re_referrals_12m"]["numerator"], got["re_referrals_12m"]["status"]) == (t["re_referrals_12m"], "ok")


def test_the_shipped_files_are_what_the_script_writes():
    """sample_data/ equals a regeneration (about 3 s), and its README names the script's command."""
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_sample_data.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr + "\nrun: python scripts/make_sample_data.py"
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from make_sample_data import COMMAND
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    readme = (SAMPLE / "README.md").read_text()
    assert COMMAND in readme and "scripts/make_sample_data.py" in readme
    # every file is listed: `name`, or a table row `| name |`, the 903's years as SSDA903_{2020..2025}_...
    names = {re.sub(r"SSDA903_20(2[0-5])_", "SSDA903_{2020..2025}_", p.relative_to(SAMPLE).as_posix())
             for p in SAMPLE.rglob("*") if p.is_file()}
    assert [n for n in sorted(names) if f"`{n}`" not in readme and f"| {n} |" not in readme] == []


def test_the_shipped_sample_validates_without_a_finding():
    """Every list and return is clean: each year's return uses that year's code lists (the 2019-20 and 2020-21
    OC3 rows give F3/P3, not the F4/P4/F5/P5 of 2021-22 on), so a first `validate` shows no warning to explain."""
    report = json.loads(run_cli(["validate", SAMPLE, "--format", "json"]).stdout)
    assert report["summary"]["errors"] == report["summary"]["warnings"] == 0, report["issues"][:3]
    assert report["issues"] == []
    oc3 = {y: (SAMPLE / "ssda903" / f"SSDA903_{y}_oc3.csv").read_text() for y in (2020, 2021, 2022)}
    assert ",F3," in oc3[2020] + oc3[2021] and ",F3," not in oc3[2022]
