"""CIN census children in need and child protection (returns.md §3.2), computed end to end from census XML built
in code: every figure counted by hand in the comments."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from tests.cin_helpers import (
    census_file,
    child,
    cin_only_definitions,
    compute_results,
    cpp,
    details,
    result_of,
)
from tests.conftest import run_cli

from csc_metrics.derive.cin_stocks import cp_review_status

SECTION_32 = ["cin_at_end", "cin_per_10k", "cin_episodes_started", "cp_plans_at_end", "cp_per_10k",
              "cp_plans_started", "cp_started_per_10k", "cp_plans_ended", "cp_ended_per_10k",
              "cp_second_or_subsequent", "cp_ceased_2y_plus", "cp_open_2y_plus", "cp_reviews_on_time"]


@pytest.fixture(scope="module")
def cin_definitions(tmp_path_factory) -> Path:
    return cin_only_definitions(tmp_path_factory.mktemp("defs"))


def _nd(r: dict) -> tuple:
    return r["numerator"], r["denominator"], r["value"]


def _cincensus_file(tmp_path: Path) -> Path:
    return census_file(
        tmp_path, 2025,
        child("A", details("2025-02-01"), dob=None),  # unborn: in need
        child("B", details("2023-01-01"), dob="2006-05-01"),  # 18 at 31 March: in need
        child("C", details("2025-03-01", nfa="1")),  # NFA, never closed: not in need
        child("D", details("2024-06-01"), details("2024-09-01")),  # two open referrals: one child
        child("E", details("2024-05-01", closure="2025-03-31", reason="RC8")),  # closed on 31 March: not open
        child("F", details("2024-10-01", nfa="1", modules=cpp("2024-10-20"))),  # NFA flag, but a plan: not NFA
    )


def test_children_in_need_and_episodes_started(tmp_path, cin_definitions):
    got = compute_results(cin_definitions, [_cincensus_file(tmp_path)])
    # open at 31 March 2025 and not NFA: A (unborn), B (18), D (once), F = 4; C is NFA, E closed that day
    r = result_of(got, "cin_at_end", "2024-25")
    assert (r["value"], r["status"], r["source"]) == (4, "ok", "cin_census")
    rate = result_of(got, "cin_per_10k", "2024-25")
    assert rate["numerator"] == 4 and rate["value"] == pytest.approx(4 * 10_000 / rate["denominator"])
    # referrals in 2024-25: A, C, D, D, E, F = 6; less NFA (C) and not in need (E, RC8 by 31 March) = 4
    assert result_of(got, "cin_episodes_started", "2024-25")["value"] == 4


def test_children_in_need_by_quarter(tmp_path, cin_definitions):
    got = compute_results(cin_definitions, [_cincensus_file(tmp_path)], period="quarter",
                   ids=["cin_at_end", "cin_episodes_started", "cp_plans_at_end"])
    # 30 September 2024: B (2023), D (01/06 and 01/09, once), E (open to 31 March) = 3
    assert result_of(got, "cin_at_end", "2024-25 Q2")["value"] == 3
    # 31 December 2024: B, D, E, F (01/10) = 4
    assert result_of(got, "cin_at_end", "2024-25 Q3")["value"] == 4
    # episodes started: Q1 D 01/06 (E is RC8) = 1; Q2 D 01/09 = 1; Q3 F = 1; Q4 A = 1 (C is NFA)
    assert [result_of(got, "cin_episodes_started", f"2024-25 Q{q}")["value"] for q in (1, 2, 3, 4)] == [1, 1, 1, 1]
    # F's plan from 20 October: on a plan at 31 December and 31 March, not at 30 September
    assert [result_of(got, "cp_plans_at_end", f"2024-25 Q{q}")["value"] for q in (2, 3, 4)] == [0, 1, 1]


def _cp_censuses(tmp_path: Path) -> tuple[Path, Path]:
    earlier = census_file(
        tmp_path, 2024,
        child("P", details("2023-05-01", modules=cpp("2023-06-01"))),
        child("Q", details("2022-02-01", modules=cpp("2022-03-01"))),  # open in 2024, absent from the 2025 census
        child("S", details("2022-03-01", modules=cpp("2022-04-01"))),
        child("T", details("2023-03-01", modules=cpp("2023-03-31"))),
    )
    later = census_file(
        tmp_path, 2025,
        child("P", details("2023-05-01", modules=cpp("2023-06-01", "2024-06-01"))),  # ended in year, 1 year
        child("R", details("2024-04-20", modules=cpp("2024-05-01") + cpp("2024-11-01", previous=1))),  # two open
        child("S", details("2022-03-01", modules=cpp("2022-04-01", "2024-04-01"))),  # ended after exactly 2 years
        child("T", details("2023-03-01", modules=cpp("2023-03-31"))),  # 2 years on 31 March 2025
        child("U", details("2023-03-01", modules=cpp("2023-04-01"))),  # a day short of 2 years
        child("V", details("2025-03-01", modules=cpp("2025-03-31"))),  # started on 31 March
    )
    return earlier, later


def test_child_protection_stocks_and_flows(tmp_path, cin_definitions):
    got = compute_results(cin_definitions, list(_cp_censuses(tmp_path)))
    # 31 March 2025 from census 2025: R (two plans, once), T, U, V = 4; P and S ended; Q's "open" row is in the
    # 2024 census only, which does not speak for 2025
    assert result_of(got, "cp_plans_at_end", "2024-25")["value"] == 4
    # started in 2024-25: R 01/05, R 01/11, V 31/03 = 3 plans; second or subsequent: R's 01/11 = 1 / 3
    assert result_of(got, "cp_plans_started", "2024-25")["value"] == 3
    assert _nd(result_of(got, "cp_second_or_subsequent", "2024-25"))[:2] == (1, 3)
    # ended in 2024-25: P 01/06, S 01/04 = 2; S lasted exactly 2 years (01/04/2022 + 24 months) = 1 / 2 = 50%
    assert result_of(got, "cp_plans_ended", "2024-25")["value"] == 2
    assert _nd(result_of(got, "cp_ceased_2y_plus", "2024-25")) == (1, 2, 50.0)
    # open 2 years or more at 31 March 2025 (start <= 31/03/2023): T of R, T, U, V = 1 / 4 = 25%
    assert _nd(result_of(got, "cp_open_2y_plus", "2024-25")) == (1, 4, 25.0)
    # 2023-24 from census 2024: on a plan at 31 March 2024 P, Q, S, T = 4; started in 2023-24: P = 1;
    # open 2 years (start <= 31/03/2022): Q = 1 / 4
    assert result_of(got, "cp_plans_at_end", "2023-24")["value"] == 4
    assert result_of(got, "cp_plans_started", "2023-24")["value"] == 1
    assert _nd(result_of(got, "cp_open_2y_plus", "2023-24")) == (1, 4, 25.0)
    rate = result_of(got, "cp_started_per_10k", "2024-25")
    assert rate["source"] == "cin_census" and rate["value"] == pytest.approx(3 * 10_000 / rate["denominator"])


def _review_censuses(tmp_path: Path) -> tuple[Path, Path]:
    earlier = census_file(tmp_path, 2024, child("E", details("2023-09-01", modules=cpp("2023-10-01", reviews=["2023-12-20"]))))
    later = census_file(
        tmp_path, 2025,
        # 15/07 = start + 3 months, 15/01 = exactly 6 months after: on time
        child("A", details("2024-04-01", modules=cpp("2024-04-15", reviews=["2024-07-15", "2025-01-15"]))),
        # last review 30/09: + 6 months = 30/03 (clamped), before 31 March: overdue
        child("B", details("2024-04-01", modules=cpp("2024-04-15", reviews=["2024-07-15", "2024-09-30"]))),
        # started after 31/12/2024 (31 March - 3 months): not judged
        child("C", details("2025-01-01", modules=cpp("2025-01-15"))),
        # two open plans: judged on the earliest (on time); the later one has no review and would be overdue
        child("D", details("2024-05-01", modules=cpp("2024-06-01", reviews=["2024-08-20", "2025-02-01"])
                           + cpp("2024-10-01"))),
        # started 01/10/2023: first review 20/12/2023 is in the 2024 census; 15/06 <= 20/06, 10/12 <= 15/12
        child("E", details("2023-09-01", modules=cpp("2023-10-01", reviews=["2024-06-15", "2024-12-10"]))),
        # first review 02/08, a day after start + 3 months (01/08): late
        child("F", details("2024-04-20", modules=cpp("2024-05-01", reviews=["2024-08-02", "2025-01-15"]))),
    )
    return earlier, later


def test_cp_reviews_on_time_across_censuses(tmp_path, cin_definitions):
    got = compute_results(cin_definitions, list(_review_censuses(tmp_path)), ids=["cp_reviews_on_time"])
    # judged at 31 March 2025: A, B, D, E, F = 5; on time A, D, E = 3 -> 60%; E's chain is anchored (2024 census)
    r = result_of(got, "cp_reviews_on_time", "2024-25")
    assert (*_nd(r), r["status"], r["source"]) == (3, 5, 60.0, "ok", "cin_census")
    # 31 March 2024: E (01/10/2023 <= 31/12/2023), reviewed 20/12/2023 <= 01/01/2024, not overdue = 1 / 1
    assert _nd(result_of(got, "cp_reviews_on_time", "2023-24")) == (1, 1, 100.0)


def test_cp_reviews_unanchored_without_the_previouscensus_file(tmp_path, cin_definitions):
    _, later = _review_censuses(tmp_path)
    r = result_of(compute_results(cin_definitions, [later], ids=["cp_reviews_on_time"]), "cp_reviews_on_time", "2024-25")
    # E's plan started before 1 April 2024: its first review cannot be tested; 10/12 <= 15/06 + 6 months and
    # not overdue, so still on time: 3 / 5, but incomplete for 1 child
    assert _nd(r) == (3, 5, 60.0) and r["status"] == "incomplete"
    assert {f["code"]: f["args"]["rows"] for f in r["findings"]} == {"CSC320": 1}


def test_review_status_unanchored_plan_without_a_loaded_review_is_not_on_time():
    cpp_rows = pl.DataFrame({"la_child_id": ["G", "H"], "cin_details_id": [1, 1], "cpp_id": [1, 1],
                             "cpp_start_date": [date(2022, 1, 10), date(2024, 4, 1)],
                             "cpp_end_date": [None, None], "census_year": [2025, 2025]},
                            schema_overrides={"cpp_end_date": pl.Date, "census_year": pl.Int32})
    reviews = pl.DataFrame({"la_child_id": ["H"], "cin_details_id": [1], "cpp_id": [1],
                            "cpp_review_date": [date(2024, 7, 1)], "census_year": [2025]},
                           schema_overrides={"census_year": pl.Int32})
    details_rows = pl.DataFrame({"la_child_id": ["G", "H"], "cin_details_id": [1, 1],
                                 "cin_referral_date": [date(2021, 12, 1), date(2024, 3, 1)], "census_year": [2025, 2025]},
                                schema_overrides={"census_year": pl.Int32})
    out = cp_review_status(details_rows, cpp_rows, reviews)
    # G: started 2022, no loaded review: unanchored and not on time. H: reviewed 01/07 (start + 3 months) but the
    # last review + 6 months = 01/01/2025 is before 31 March: overdue
    assert out.select("la_child_id", "on_time", "unanchored").rows() == [("G", "N", "Y"), ("H", "N", "N")]


def test_compute_json_gives_every_section_32_id_from_thecensus_file(tmp_path, cin_definitions):
    earlier, later = _review_censuses(tmp_path)
    folder = tmp_path / "censuses"
    folder.mkdir()
    for p in (earlier, later):
        shutil.copy(p, folder / p.name)
    out = tmp_path / "out.json"
    run_cli(["compute", folder, "--definitions", cin_definitions, "--period", "year", "--la", "808",
             "--no-store", "--format", "json", "-o", out])
    results = json.loads(out.read_text())["results"]
    year = {r["indicator"]: r for r in results if r["period"] == "2024-25"}
    assert set(SECTION_32) <= set(year)
    assert {year[i]["source"] for i in SECTION_32} == {"cin_census"}
