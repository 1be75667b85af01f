"""CIN census front door and timeliness (returns.md §3.1), computed end to end from census XML built in code:
every figure counted by hand in the comments."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.cin_helpers import (
    assessment,
    census_file,
    child,
    cin_only_definitions,
    compute_results,
    details,
    result_of,
    s47,
)


@pytest.fixture(scope="module")
def cin_definitions(tmp_path_factory) -> Path:
    return cin_only_definitions(tmp_path_factory.mktemp("defs"))


def test_referrals_nfa_not_in_need_and_sources(tmp_path, cin_definitions):
    path = census_file(tmp_path, 2025,
                   child("A", details("2024-05-01", nfa="1", modules=assessment("2024-05-02", "2024-05-30"))),
                   child("B", details("2024-05-01", nfa="1")),
                   child("C", details("2024-06-01", closure="2024-07-01", reason="RC8",
                                      modules=assessment("2024-06-02", "2024-06-30"))),
                   child("D", details("2024-07-01", closure="2024-08-01", reason="RC9")),
                   child("E", details("2025-03-31", source="2A")),
                   child("F", details("2023-12-01")))  # open from the year before: not a 2024-25 referral
    got = compute_results(cin_definitions, [path])
    # referrals in 2024-25: A, B, C, D, E = 5 (F was referred in 2023-24)
    r = result_of(got, "referrals", "2024-25")
    assert (r["value"], r["status"], r["source"]) == (5, "ok", "cin_census")
    # NFA: B only (A is flagged NFA but has an assessment, so it is not NFA) = 1 / 5 = 20%
    r = result_of(got, "referrals_nfa", "2024-25")
    assert (r["numerator"], r["denominator"], r["value"]) == (1, 5, 20.0)
    # assessed not in need: C (RC8) and D (RC9) = 2 / 5 = 40%
    r = result_of(got, "referrals_assessed_not_in_need", "2024-25")
    assert (r["numerator"], r["denominator"], r["value"]) == (2, 5, 40.0)
    # by source: police (6, the default in the helper) A-D = 4 / 5; schools (2A) E = 1 / 5
    assert result_of(got, "referrals_by_source", "2024-25", "6")["value"] == 80.0
    assert result_of(got, "referrals_by_source", "2024-25", "2A")["value"] == 20.0
    # the rate divides the same count: 5 x 10,000 / population
    rate = result_of(got, "referrals_per_10k", "2024-25")
    assert rate["numerator"] == 5 and rate["value"] == pytest.approx(5 * 10_000 / rate["denominator"])


def _re_referral_censuses(tmp_path: Path) -> tuple[Path, Path]:
    earlier = census_file(tmp_path, 2024,
                      child("A", details("2023-05-15", nfa="1")),  # NFA: still a previous referral
                      child("B", details("2023-05-14")),
                      child("C", details("2023-10-01")))
    later = census_file(tmp_path, 2025,
                    child("A", details("2024-05-15")),  # exactly 12 months after 2023-05-15: a re-referral
                    child("B", details("2024-05-15")),  # 12 months and a day after 2023-05-14: not
                    child("C", details("2023-10-01"), details("2024-09-01")),  # C's 2023 episode again (open)
                    child("D", details("2024-06-01"), details("2024-06-01")),  # the same day twice: one referral
                    child("E", details("2024-04-10"), details("2024-06-10")))
    return earlier, later


def test_re_referrals_across_censuses(tmp_path, cin_definitions):
    earlier, later = _re_referral_censuses(tmp_path)
    got = compute_results(cin_definitions, [earlier, later])
    # 2024-25 referrals: A 15/05, B 15/05, C 01/09, D 01/06 (once), E 10/04, E 10/06 = 6
    # re-referrals: A (2023-05-15 is on R - 12 months), C (2023-10-01), E 10/06 (E 10/04) = 3 -> 50%
    r = result_of(got, "re_referrals_12m", "2024-25")
    assert (r["numerator"], r["denominator"], r["value"], r["status"]) == (3, 6, 50.0, "ok")
    # children: A, B, C, D, E referred = 5; A, C, E re-referred = 3 -> 60%
    r = result_of(got, "re_referrals_12m_child", "2024-25")
    assert (r["numerator"], r["denominator"], r["value"]) == (3, 5, 60.0)
    # 2023-24 is the earliest census loaded: its 3 referrals (A, B, C) lack the look-back -> incomplete
    r = result_of(got, "re_referrals_12m", "2023-24")
    assert r["status"] == "incomplete"
    codes = {f["code"]: f["args"] for f in r["findings"]}
    assert codes["CSC301"]["rows"] == 3 and codes["CSC310"]["rows"] == 3
    assert "previous year's CIN census return" in " ".join(r["warnings"])


def test_re_referrals_without_the_previous_census_are_incomplete(tmp_path, cin_definitions):
    _, later = _re_referral_censuses(tmp_path)
    r = result_of(compute_results(cin_definitions, [later]), "re_referrals_12m", "2024-25")
    # every 2024-25 referral looks back before 1 April 2024, which no loaded census covers: 6 rows
    assert r["status"] == "incomplete"
    assert {f["code"]: f["args"]["rows"] for f in r["findings"] if f["code"] in ("CSC301", "CSC310")} == \
        {"CSC301": 6, "CSC310": 6}


def test_assessments_timeliness_and_median(tmp_path, cin_definitions):
    earlier = census_file(tmp_path, 2024,
                      child("A", details("2024-03-20", modules=assessment("2024-03-22"))),  # open at 31 March 2024
                      child("F", details("2024-01-01", modules=assessment("2024-01-02", "2024-02-01"))))
    later = census_file(tmp_path, 2025,
                    child("A", details("2024-03-20", modules=assessment("2024-03-22", "2024-05-30"))),  # 45 wd
                    child("B", details("2024-03-20", modules=assessment("2024-03-22", "2024-05-31"))),  # 46 wd
                    child("C", details("2024-06-01", modules=assessment("2024-06-10", "2024-06-05"))),  # before start
                    child("D", details("2025-03-01", modules=assessment("2025-03-01"))),  # open
                    child("E", details("2024-05-01", modules=assessment("2024-05-01", "2024-05-01"))))  # 0 wd
    got = compute_results(cin_definitions, [earlier, later])
    # completed in 2024-25: A, B, C, E = 4 (F was authorised in 2023-24; D is open)
    assert result_of(got, "assessments_completed", "2024-25")["value"] == 4
    assert result_of(got, "assessments_completed", "2023-24")["value"] == 1
    # within 45 working days (Easter 2024: Good Friday and Easter Monday are not working days): A and E of
    # A, B, E (C, authorised before it started, leaves both) = 2 / 3
    r = result_of(got, "assessments_within_45wd", "2024-25")
    assert (r["numerator"], r["denominator"]) == (2, 3)
    assert r["value"] == pytest.approx(200 / 3)
    # median of 0 (E), 45 (A), 46 (B) = 45
    r = result_of(got, "assessment_median_wd", "2024-25")
    assert (r["value"], r["denominator"]) == (45, 3)


def test_factors_once_per_episode_and_code_21_alone(tmp_path, cin_definitions):
    path = census_file(tmp_path, 2025,
                   child("A", details("2024-04-20", modules=assessment("2024-04-21", "2024-05-01", ["3B", "4B"])
                                      + assessment("2024-08-01", "2024-09-01", ["3B"]))),
                   child("B", details("2024-04-20", modules=assessment("2024-04-21", "2024-05-01", ["21"]))),
                   child("C", details("2024-04-20", modules=assessment("2024-04-21", "2024-05-01", ["18A"]))),
                   child("D", details("2024-04-20", modules=assessment("2024-04-21", None, ["3B"]))),  # open
                   child("E", details("2024-04-20", modules=assessment("2024-04-21", "2024-05-01", []))))
    got = compute_results(cin_definitions, [path], ids=["assessment_factors"])
    # base: episodes with an assessment authorised in the year and a factor other than 21: A, C = 2
    # (B has 21 alone, D's assessment is open, E's factor list is empty)
    # 3B: A once (two assessments) = 1 / 2; 4B: A = 1 / 2; 18A: C = 1 / 2; 21: never a category count
    assert {c: (result_of(got, "assessment_factors", "2024-25", c)["numerator"],
                result_of(got, "assessment_factors", "2024-25", c)["denominator"]) for c in ("3B", "4B", "18A", "21")} == \
        {"3B": (1, 2), "4B": (1, 2), "18A": (1, 2), "21": (0, 2)}
    assert result_of(got, "assessment_factors", "2024-25", "3B")["value"] == 50.0
    assert "unknown" in result_of(got, "assessment_factors", "2024-25", "18A")["category_label"]


def test_s47_icpcs_and_timeliness(tmp_path, cin_definitions):
    earlier = census_file(tmp_path, 2024,
                      child("P", details("2024-03-01", modules=s47("2024-03-20"))))  # conference not yet held
    later = census_file(tmp_path, 2025,
                    child("S", details("2024-11-01", modules=s47("2024-11-15", "2024-12-06"))),  # 15 wd
                    child("L", details("2024-11-01", modules=s47("2024-11-15", "2024-12-09"))),  # 16 wd
                    child("T", details("2024-07-20", icpc="2024-08-01")),  # transfer-in, CINdetails level
                    child("B", details("2024-11-01", modules=s47("2024-11-20", "2024-11-10"))),  # ICPC before S47
                    child("D", details("2024-11-01", icpc="2024-12-06", modules=s47("2024-11-15", "2024-12-06"))),
                    child("N", details("2025-01-01", modules=s47("2025-01-10", None, "true"))),
                    child("P", details("2024-03-01", modules=s47("2024-03-20", "2024-04-05"))))  # 10 wd over Easter
    got = compute_results(cin_definitions, [earlier, later])
    # S47s started in 2024-25: S, L, B, D, N = 5 (P started in 2023-24, counted there from that census)
    assert result_of(got, "s47_enquiries", "2024-25")["value"] == 5
    assert result_of(got, "s47_enquiries", "2023-24")["value"] == 1
    # ICPCs held in 2024-25: S, L, T, B, D (once: same date at both levels), P = 6
    assert result_of(got, "icpcs", "2024-25")["value"] == 6
    # within 15 working days of the S47 start: S, D, P = 3 of all 6 (T and B stay in the denominator) = 50%
    r = result_of(got, "icpc_within_15wd", "2024-25")
    assert (r["numerator"], r["denominator"], r["value"]) == (3, 6, 50.0)
    assert result_of(got, "icpcs_per_10k", "2024-25")["numerator"] == 6
    assert result_of(got, "s47_per_10k", "2024-25")["numerator"] == 5


def test_flows_by_quarter(tmp_path, cin_definitions):
    path = census_file(tmp_path, 2025,
                   child("A", details("2024-04-01")), child("B", details("2024-06-30")),
                   child("C", details("2024-07-01", modules=s47("2024-07-02", "2024-07-10"))),
                   child("E", details("2025-03-31")))
    got = compute_results(cin_definitions, [path], period="quarter", ids=["referrals", "s47_enquiries", "icpcs"])
    # Q1: A, B; Q2: C; Q3: none; Q4: E
    assert [result_of(got, "referrals", f"2024-25 Q{q}")["value"] for q in (1, 2, 3, 4)] == [2, 1, 0, 1]
    assert [result_of(got, "icpcs", f"2024-25 Q{q}")["value"] for q in (1, 2, 3, 4)] == [0, 1, 0, 0]
    assert {r["source"] for r in got} == {"cin_census"}


def test_report_breakdown_with_several_categories_per_case_says_so():
    from csc_metrics.report.html import _breakdown_table
    from csc_metrics.report.model import Breakdown
    from csc_metrics.results import Result

    def share(cat: str, n: int, value: float) -> tuple[str, Result]:
        return cat, Result(indicator="x", period="2024-25", category=cat, numerator=n, value=value, unit="percent")

    # 2 episodes: 3B in both (100%), 4B in one (50%): shares add up to 150%
    cats = [share("3B", 2, 100.0), share("4B", 1, 50.0)]
    html = _breakdown_table(Breakdown("assessment_factors", "Factors", "processes", "2024-25", cats, total=2))
    assert "Total 2. Shares add up to more than 100%" in html
    single = _breakdown_table(Breakdown("referrals_by_source", "Sources", "inputs", "2024-25",
                                        [share("6", 1, 50.0), share("2A", 1, 50.0)], total=2))
    assert "more than 100%" not in single


def test_check_names_an_unknown_once_per_column(tmp_path, cin_definitions):
    from csc_metrics.checks import check_definitions

    folder = tmp_path / "defs"
    shutil.copytree(cin_definitions, folder)
    path = folder / "cin_census" / "01_front_door.yaml"
    path.write_text(path.read_text().replace("once_per: [la_child_id, cin_referral_date]",
                                             "once_per: [la_child_id, referral_day]"))
    report = check_definitions([folder])
    assert [d.message for d in report.diagnostics if d.code == "CSC105"] == \
        ["table `cin_assessment_factors_in_year` has no column `referral_day`"]
