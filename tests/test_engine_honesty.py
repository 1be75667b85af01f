"""Completeness is a status, and a duration shares its timeliness measure's base (issue 13 items 2 and 9).

Rows are built by hand; the comments count what a person counts."""

from __future__ import annotations

from tests.engine_helpers import D, run


def test_re_referrals_over_one_quarter_of_referrals_are_incomplete():
    # a Q3-only extract of List 3: every referral's 12-month look-back reaches before 1 October 2024
    rows = {"annex_a_list_3": [
        {"child_id": "A", "referral_date": D("2024-10-05")},
        {"child_id": "A", "referral_date": D("2024-11-20")},  # re-referral (A on 5 Oct), but the window is cut
        {"child_id": "B", "referral_date": D("2024-12-31")},
    ]}
    res = run(["re_referrals_12m", "referrals"], rows, ["2024-25 Q3"], as_at=D("2024-12-31"),
              coverage_start=D("2024-10-01"))
    r = res[("re_referrals_12m", "2024-25 Q3", None)]
    # 3 referrals, 1 re-referral found: 33.3%, but all 3 look-backs reach before the list starts
    assert (r["numerator"], r["denominator"]) == (1, 3)
    assert r["status"] == "incomplete"
    assert r["complete"] is True  # the quarter itself is covered: it is the window that is not
    assert [f["code"] for f in r["findings"]] == ["CSC301"]
    assert r["findings"][0]["args"]["rows"] == 3
    assert r["findings"][0]["args"]["window"] == "look-back"
    # the plain count needs no look-back: it is ok
    count = res[("referrals", "2024-25 Q3", None)]
    assert (count["value"], count["status"], count["findings"]) == (3, "ok", [])


def test_look_forward_past_the_extract_date_is_incomplete_for_the_rows_affected():
    rows = {
        "annex_a_list_1": [
            {"child_id": "A", "contact_date": D("2024-11-01")},  # 30 days to 1 Dec: inside the extract
            {"child_id": "B", "contact_date": D("2024-12-20")},  # 30 days to 19 Jan 2025: past 31 Dec
        ],
        "annex_a_list_3": [{"child_id": "A", "referral_date": D("2024-11-15")}],
    }
    res = run(["contacts_to_referral"], rows, ["2024-25 Q3"], as_at=D("2024-12-31"), coverage_start=D("2024-01-01"))
    r = res[("contacts_to_referral", "2024-25 Q3", None)]
    assert (r["numerator"], r["denominator"], r["status"]) == (1, 2, "incomplete")
    (f,) = r["findings"]
    assert f["code"] == "CSC301"
    assert f["args"] == {"rows": 1, "window": "look-forward", "length": 30, "unit": "calendar_days",
                         "table": "annex_a_list_3", "coverage": ["2024-01-01", "2024-12-31"]}


def test_a_period_the_inputs_only_partly_cover_is_incomplete():
    rows = {"annex_a_list_3": [
        {"child_id": "A", "referral_date": D("2024-08-20")},
        {"child_id": "B", "referral_date": D("2024-10-02")},
    ]}
    # the list runs from 15 August to the extract date 30 November 2024
    res = run(["referrals"], rows, ["2024-25 Q2", "2024-25 Q3"], as_at=D("2024-11-30"),
              coverage_start=D("2024-08-15"))
    q2, q3 = res[("referrals", "2024-25 Q2", None)], res[("referrals", "2024-25 Q3", None)]
    # Q2 (Jul-Sep) starts before the list; Q3 (Oct-Dec) ends after the extract date: one referral each
    for r in (q2, q3):
        assert (r["value"], r["status"], r["complete"]) == (1, "incomplete", False)
        assert r["findings"] == [{"code": "CSC306", "args": {
            "period": r["period"], "tables": {"annex_a_list_3": ["2024-08-15", "2024-11-30"]}}}]


def test_a_rate_carries_its_counts_incompleteness():
    rows = {"annex_a_list_3": [{"child_id": "A", "referral_date": D("2024-10-02")}]}
    res = run(["referrals_per_10k"], rows, ["2024-25 Q3"], as_at=D("2024-11-30"), population=10000,
              coverage_start=D("2024-04-01"))
    r = res[("referrals_per_10k", "2024-25 Q3", None)]
    # 1 referral per 10,000 children, annualised x 4 = 4.0, but December is not in the extract
    assert r["value"] == 4.0
    assert r["status"] == "incomplete"
    assert [f["code"] for f in r["findings"]] == ["CSC306"]


def test_a_rate_without_population_says_why_in_a_finding():
    rows = {"annex_a_list_3": [{"child_id": "A", "referral_date": D("2024-10-02")}]}
    res = run(["referrals_per_10k"], rows, ["2024-25 Q3"])
    r = res[("referrals_per_10k", "2024-25 Q3", None)]
    assert (r["status"], r["value"]) == ("no_data", None)
    assert {"code": "CSC307", "args": {}} in r["findings"]


def test_end_before_start_on_two_non_working_days_leaves_both_duration_and_timeliness():
    rows = {"annex_a_list_4": [
        # Mon 3 Jun -> Mon 10 Jun 2024: 5 working days
        {"child_id": "A", "assessment_start": D("2024-06-03"), "assessment_authorised": D("2024-06-10")},
        # Mon 3 Jun -> Wed 12 Jun 2024: 7 working days
        {"child_id": "B", "assessment_start": D("2024-06-03"), "assessment_authorised": D("2024-06-12")},
        # start Sun 9 Jun, "authorised" Sat 8 Jun: end before start, 0 working days between them
        {"child_id": "C", "assessment_start": D("2024-06-09"), "assessment_authorised": D("2024-06-08")},
    ]}
    res = run(["assessments_within_45wd", "assessment_median_wd", "assessments_completed"], rows, ["2024-25 Q1"])
    timely = res[("assessments_within_45wd", "2024-25 Q1", None)]
    median = res[("assessment_median_wd", "2024-25 Q1", None)]
    # C is excluded from both: the base is A and B in each; within 45: 2 of 2; median of 5 and 7 = 6
    assert (timely["numerator"], timely["denominator"]) == (2, 2)
    assert median["denominator"] == 2
    assert median["value"] == 6.0  # with C's 0 kept it would be the median of 0, 5, 7 = 5
    for r in (timely, median):
        assert {"code": "CSC304", "args": {"rows": 1}} in r["findings"]
    # C still counts as an assessment completed
    assert res[("assessments_completed", "2024-25 Q1", None)]["value"] == 3
