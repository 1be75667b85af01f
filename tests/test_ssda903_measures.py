"""The DfE children-looked-after measures from the SSDA903 (returns.md §3.3-3.4): the synthetic authority's
figures known by construction, every id computed with its source, and hand-counted fixtures for the rules the
embedded tests of definitions/ssda903/*.yaml do not already pin (each of those has its rows and arithmetic)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from tests.ssda903_helpers import ep, episodes, header
from typer.testing import CliRunner

from csc_metrics.cli import app
from csc_metrics.engine.calendar import WorkingCalendar
from csc_metrics.engine.derive import build_derived
from csc_metrics.engine.periods import parse_period
from csc_metrics.engine.run import Settings, evaluate
from csc_metrics.results import DEFAULT_MIN_BASE
from csc_metrics.spec.loader import load_definitions, standard_definitions_path

IDS_33_34 = [
    "cla_at_end", "cla_per_10k", "cla_started", "cla_started_per_10k", "cla_ceased", "cla_ceased_per_10k",
    "cla_ceased_adopted", "cla_ceased_sgo", "cla_ceased_cao", "cla_ceased_returned_home",
    "cla_ceased_returned_home_planned", "cla_ceased_returned_home_unplanned", "cla_by_legal_status",
    "cla_by_placement_type", "cla_uasc_at_end", "cla_started_uasc", "cla_3plus_placements",
    "cla_3plus_placements_2y", "cla_long_term_stability", "cla_placed_20_miles_out", "cla_missing", "cla_away",
    "cla_3plus_social_workers",
]
YEARS = {"2023": "2022-23", "2024": "2023-24", "2025": "2024-25"}
# England 2024-25 LA 10th-90th percentiles of returns.md §3.3-3.4, widened for a small synthetic authority (a
# few dozen children: one child moves a share by several points); a percentage outside [lo, hi] is a wrong recipe
SANITY = {"cla_ceased_adopted": (0, 50), "cla_ceased_sgo": (0, 50), "cla_3plus_placements": (0, 30),
          "cla_3plus_placements_2y": (0, 50), "cla_long_term_stability": (20, 100), "cla_missing": (0, 40),
          "cla_away": (0, 30), "cla_uasc_at_end": (0, 30), "cla_3plus_social_workers": (0, 60)}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("s903")
    res = CliRunner().invoke(app, ["sample", "--out", str(out), "--children", "3000", "--seed", "2025", "--years",
                                   "3", "--ssda903"])
    assert res.exit_code == 0, res.output
    return out / "ssda903"


@pytest.fixture(scope="module")
def yearly(sample: Path) -> dict:
    res = CliRunner().invoke(app, ["compute", str(sample), "--period", "year", "-f", "json", "--no-store",
                                   "--la", "808", "--as-at", "2025-03-31"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _by(payload: dict) -> dict:
    return {(r["indicator"], r["period"], r["category"]): r for r in payload["results"]}


def test_every_measure_equals_the_truth_for_each_complete_year(sample: Path, yearly: dict) -> None:
    truth = json.loads((sample / "truth.json").read_text())["years"]
    got = _by(yearly)
    for year, label in YEARS.items():
        t = truth[year]
        assert got[("cla_at_end", label, None)]["value"] == t["looked_after_at_31_march"], label
        assert got[("cla_started", label, None)]["value"] == t["children_started"], label
        # no synthetic child leaves care twice in a year, so children ceasing = periods of care ceasing
        assert got[("cla_ceased", label, None)]["value"] == t["ceased"], label
        assert got[("cla_ceased_adopted", label, None)]["numerator"] == t["adopted"], label
        returned = t["ceased_by_reason"].get("E4A", 0) + t["ceased_by_reason"].get("E4B", 0)
        assert got[("cla_ceased_returned_home", label, None)]["numerator"] == returned, label
        sgo = sum(n for code, n in t["ceased_by_reason"].items() if code in ("E45", "E46", "E47", "E48"))
        assert got[("cla_ceased_sgo", label, None)]["numerator"] == sgo, label
        # looked after at any time in the year: the denominator of missing and away
        assert got[("cla_missing", label, None)]["denominator"] == t["looked_after_during_year"], label


def test_every_id_from_the_903_with_its_source_and_a_sane_value(yearly: dict) -> None:
    got = _by(yearly)
    for ind in IDS_33_34:
        rows = [r for (i, p, _), r in got.items() if i == ind and p == "2024-25"]
        assert rows, ind
        for r in rows:
            assert r["source"] == "ssda903", ind
            if ind == "cla_placed_20_miles_out":  # no PL_DISTANCE and no --postcodes
                assert r["status"] == "unavailable" and "--postcodes" in json.dumps(r["findings"]), r
            else:
                assert r["status"] == "ok", (ind, r["status"], r["findings"])
        lo, hi = SANITY.get(ind, (None, None))
        if lo is not None and (rows[0]["denominator"] or 0) >= DEFAULT_MIN_BASE:
            assert lo <= rows[0]["value"] <= hi, (ind, rows[0]["value"])
        elif lo is not None:  # a small base (5 of 9 children is 56%): the shipped sample checks the range
            assert 0 <= rows[0]["value"] <= 100, (ind, rows[0]["value"])
    # cla_per_10k for the sample authority (45,079 children, ~20 looked after): a rate, not a count
    assert 1 < got[("cla_per_10k", "2024-25", None)]["value"] < 120


def test_cohort_measures_are_unavailable_for_quarters(sample: Path) -> None:
    res = CliRunner().invoke(app, ["compute", str(sample), "-p", "2024-25 Q4", "-f", "json", "--no-store",
                                   "-i", "cla_long_term_stability", "-i", "cla_at_end"])
    assert res.exit_code == 0, res.output
    got = _by(json.loads(res.stdout))
    assert got[("cla_long_term_stability", "2024-25 Q4", None)]["status"] == "unavailable"
    assert got[("cla_at_end", "2024-25 Q4", None)]["status"] == "ok"  # stocks and flows by quarter


def _run(ids: list[str], tables: dict, period: str = "2024-25") -> dict:
    defs = load_definitions([standard_definitions_path()]).definitions
    chosen = {i: defs.recipes[(i, "ssda903")] for i in ids}
    defs = defs.with_recipes(chosen)
    frames = build_derived(defs, list(chosen.values()), tables, {"year_ending": 2025})
    p = parse_period(period)
    settings = Settings(periods=[p], as_at=p.end, calendar=WorkingCalendar(2015, 2027),
                        coverage={t: (date(2022, 4, 1), p.end) for t in frames})
    return {r["indicator"]: r for r in evaluate(defs, list(chosen.values()), frames, settings)}


def test_a_child_whose_care_began_before_the_loaded_returns_is_excluded_and_counted() -> None:
    # the returns start in April 2022 (coverage); at 31 March 2025 the 2.5-year threshold is 30 September 2022
    eps = episodes(
        # A: started 1 Jun 2022 (RNE S): proven 2.5 years? no, 30 Sep 2022 is the threshold and A is before it
        ep("A", "01/06/2022", rne="S", urn="X"),
        # B: first known episode is a placement move (RNE P) on 1 Jan 2023: start unknown, and the earliest known
        # date is after the threshold, so B cannot be shown to be in the cohort: excluded and counted
        ep("B", "01/01/2023", rne="P", urn="Y"),
        # C: start unknown but the earliest known episode (1 May 2022) is already before the threshold: included
        ep("C", "01/05/2022", rne="P", urn="Z"),
    )
    hdr = header(("A", "01/01/2015"), ("B", "01/01/2015"), ("C", "01/01/2015"))
    r = _run(["cla_long_term_stability"], {"ssda903_episodes": eps, "ssda903_header": hdr})["cla_long_term_stability"]
    # cohort A and C (each with one carer since before 31 March 2023): 2 of 2; B left out and reported
    assert (r["numerator"], r["denominator"]) == (2, 2)
    found = [f for f in r["findings"] if f["code"] == "CSC315"]
    assert [f["args"]["rows"] for f in found] == [1] and "before the loaded returns" in found[0]["args"]["reason"]


def test_the_reason_for_ceasing_is_the_childs_last_cessation_in_the_year() -> None:
    eps = episodes(
        ep("A", "01/01/2024", "01/05/2024", rec="E11"),          # adopted... then back in care
        ep("A", "01/06/2024", "01/02/2025", rec="E4A"),          # ...and returned home: last reason E4A
        ep("B", "01/01/2024", "01/05/2024", rec="E4A"),
        ep("B", "01/06/2024", "01/02/2025", rec="E12"),          # last reason adopted
    )
    got = _run(["cla_ceased", "cla_ceased_adopted", "cla_ceased_returned_home"], {"ssda903_episodes": eps})
    assert got["cla_ceased"]["value"] == 2  # each child once
    assert (got["cla_ceased_adopted"]["numerator"], got["cla_ceased_adopted"]["denominator"]) == (1, 2)  # B
    assert got["cla_ceased_returned_home"]["numerator"] == 1  # A


def test_distance_from_a_postcode_lookup_with_the_v903_formula(tmp_path: Path) -> None:
    from csc_metrics.derive.ssda903_distance import read_postcodes, with_distance

    lookup = tmp_path / "onspd.csv"
    lookup.write_text(
        "pcd,oseast1m,osnrth1m,laua,cty\n"
        "TS1 1AA,445000,520000,E06000004,E99999999\n"   # home, in the LA (most common home area)
        "TS9 9ZZ,477187,520000,E06000005,\n"            # 32,187 m east: 32.187 / 1.6093 = 20.0 miles
        "LS1 1AA,445000,560000,E08000035,\n"            # 40,000 m north: 24.86 -> 24.9 miles
        "TS2 2BB,446000,520000,E06000004,\n"            # 1 km: 0.6 miles, same area: IN
    )
    eps = episodes(ep("1", "01/01/2024", pl_post="TS9 9ZZ"), ep("2", "01/01/2024", pl_post="ls1 1aa"),
                   ep("3", "01/01/2024", pl_post="TS2 2BB"), ep("4", "01/01/2024", pl_post="ZZ9 9ZZ"))
    eps = eps.with_columns(home_post=pl.lit("TS1 1AA"))
    out = with_distance(eps, read_postcodes(lookup)).sort("child")
    assert out.select("pl_distance", "pl_location").rows() == [(20.0, "OUT"), (24.9, "OUT"), (0.6, "IN"),
                                                                 (None, None)]
    # without PL_DISTANCE and without a lookup there is no distance (the measure is unavailable, never 0)
    assert with_distance(eps, None) is None
