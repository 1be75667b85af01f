"""The core indicators on hand-built rows: each numerator and denominator is what a person counts by hand."""

from __future__ import annotations

from tests.engine_helpers import D, run


def nd(results, ind, period, category=None):
    r = results[(ind, period, category)]
    return r["numerator"], r["denominator"]


def test_re_referrals_12m_lookback_boundaries():
    rows = {"annex_a_list_3": [
        {"child_id": "A", "referral_date": D("2023-04-01")},  # A's first referral
        {"child_id": "A", "referral_date": D("2024-04-01")},  # exactly 12 months later: re-referral
        {"child_id": "B", "referral_date": D("2023-03-31")},
        {"child_id": "B", "referral_date": D("2024-04-01")},  # 12 months and a day: not
        {"child_id": "C", "referral_date": D("2024-06-30")},  # two on the same day: neither is
        {"child_id": "C", "referral_date": D("2024-06-30")},
        {"child_id": "D", "referral_date": D("2024-05-01")},
        {"child_id": "D", "referral_date": D("2024-06-15")},  # re-referral within the same quarter
        {"child_id": "E", "referral_date": D("2024-07-01")},  # next quarter: not in the denominator
    ]}
    res = run(["re_referrals_12m"], rows, ["2024-25 Q1", "2024-25 Q2"])
    # Q1 referrals: A(2024-04-01), B(2024-04-01), C, C, D(05-01), D(06-15) = 6; re-referrals: A, D(06-15) = 2
    assert nd(res, "re_referrals_12m", "2024-25 Q1") == (2, 6)
    assert res[("re_referrals_12m", "2024-25 Q1", None)]["value"] == 100 * 2 / 6
    assert nd(res, "re_referrals_12m", "2024-25 Q2") == (0, 1)


def test_assessments_within_45_working_days_over_easter_and_period_edges():
    rows = {"annex_a_list_4": [
        # Fri 22 Mar 2024 + 45 working days (Good Friday 29 Mar, Easter Monday 1 Apr, 6 and 27 May) = Thu 30 May
        {"child_id": "A", "assessment_start": D("2024-03-22"), "assessment_authorised": D("2024-05-30")},  # 45: in
        {"child_id": "B", "assessment_start": D("2024-03-22"), "assessment_authorised": D("2024-05-31")},  # 46: out
        {"child_id": "C", "assessment_start": D("2024-06-29"), "assessment_authorised": D("2024-06-30")},  # Sat->Sun: 0
        {"child_id": "D", "assessment_start": D("2024-06-10"), "assessment_authorised": D("2024-06-05")},  # end<start
        {"child_id": "E", "assessment_start": D("2024-03-01"), "assessment_authorised": D("2024-03-31")},  # Q4
        {"child_id": "F", "assessment_start": D("2024-06-01")},  # open: not completed
    ]}
    res = run(["assessments_within_45wd", "assessments_completed", "assessment_median_wd"], rows,
              ["2023-24 Q4", "2024-25 Q1"])
    # completed in Q1: A, B, C, D = 4 events; D is excluded from the timeliness measure (end before start)
    assert nd(res, "assessments_within_45wd", "2024-25 Q1") == (2, 3)
    assert res[("assessments_completed", "2024-25 Q1", None)]["value"] == 4
    warnings = res[("assessments_within_45wd", "2024-25 Q1", None)]["warnings"]
    assert any("1 row(s) excluded" in w for w in warnings)
    # durations A 45, B 46, C 0 -> median 45
    assert res[("assessment_median_wd", "2024-25 Q1", None)]["value"] == 45
    # E: Fri 1 Mar -> Sun 31 Mar 2024 = 20 working days (29 Mar Good Friday)
    assert nd(res, "assessments_within_45wd", "2023-24 Q4") == (1, 1)


def test_icpc_within_15_working_days_christmas_and_coronation():
    rows = {"annex_a_list_5": [
        # Fri 20 Dec 2024 + 15 working days (25, 26 Dec, 1 Jan are holidays) = Wed 15 Jan 2025
        {"child_id": "A", "s47_start": D("2024-12-20"), "icpc_date": D("2025-01-15")},  # 15: in
        {"child_id": "B", "s47_start": D("2024-12-20"), "icpc_date": D("2025-01-16")},  # 16: out
        # Coronation bank holiday Mon 8 May 2023: Fri 28 Apr + 15 working days = Tue 23 May 2023
        {"child_id": "C", "s47_start": D("2023-04-28"), "icpc_date": D("2023-05-23")},  # 15 (1 and 8 May off)
        {"child_id": "D", "s47_start": D("2025-01-10"), "icpc_date": D("2025-01-05")},  # ICPC before S47
        {"child_id": "E", "icpc_date": D("2025-02-01")},  # no S47 start
        {"child_id": "F", "s47_start": D("2025-03-01")},  # no conference yet
    ]}
    res = run(["icpc_within_15wd", "icpcs"], rows, ["2023-24 Q1", "2024-25 Q4"])
    # ICPCs held in 2024-25 Q4: A, B, D, E = 4; D and E cannot be timed and leave the denominator
    assert res[("icpcs", "2024-25 Q4", None)]["value"] == 4
    assert nd(res, "icpc_within_15wd", "2024-25 Q4") == (1, 2)
    assert nd(res, "icpc_within_15wd", "2023-24 Q1") == (1, 1)


def test_cp_plans_at_period_end_and_second_plans():
    rows = {"annex_a_list_7": [
        {"child_id": "A", "cp_start": D("2024-06-30"), "previous_cp_plans": 0},  # starts on the last day: open
        {"child_id": "B", "cp_start": D("2023-01-01"), "cp_end": D("2024-06-30"), "previous_cp_plans": 1},  # closed
        {"child_id": "C", "cp_start": D("2024-04-01"), "cp_end": D("2024-07-01"), "previous_cp_plans": 2},  # open
        {"child_id": "D", "cp_start": D("2024-07-01"), "previous_cp_plans": 0},  # not yet
        {"child_id": "E", "cp_start": D("2024-02-29"), "previous_cp_plans": 1},  # open, 29 Feb start
        {"child_id": "E", "cp_start": D("2024-05-01"), "previous_cp_plans": None},  # same child twice: counted once
    ]}
    res = run(["cp_plans_at_end", "cp_second_or_subsequent", "cp_plans_started"], rows,
              ["2023-24 Q4", "2024-25 Q1"])
    # open on 30 June 2024: A, C, E (twice) -> 3 children
    assert res[("cp_plans_at_end", "2024-25 Q1", None)]["value"] == 3
    # open on 31 March 2024: B and E -> 2
    assert res[("cp_plans_at_end", "2023-24 Q4", None)]["value"] == 2
    # started in Q1: A (0), C (2), E (blank) -> 1 of 3 is a second or subsequent plan
    assert nd(res, "cp_second_or_subsequent", "2024-25 Q1") == (1, 3)
    assert nd(res, "cp_second_or_subsequent", "2023-24 Q4") == (1, 1)


def test_previous_period_and_incomplete_periods():
    rows = {"annex_a_list_3": [
        {"child_id": "A", "referral_date": D("2024-04-10")},
        {"child_id": "B", "referral_date": D("2024-07-10")},
        {"child_id": "C", "referral_date": D("2024-07-11")},
    ]}
    res = run(["referrals"], rows, ["2024-25 Q1", "2024-25 Q2"], as_at=D("2024-08-31"),
              coverage_start=D("2024-04-10"))
    q1, q2 = res[("referrals", "2024-25 Q1", None)], res[("referrals", "2024-25 Q2", None)]
    assert (q1["status"], q2["status"]) == ("incomplete", "incomplete")  # starts 10 April; ends 31 August
    assert (q1["value"], q2["value"]) == (1, 2)


def test_rates_annualise_flows_not_stocks():
    rows = {"annex_a_list_3": [{"child_id": "A", "referral_date": D("2024-04-10")}],
            "annex_a_list_7": [{"child_id": "A", "cp_start": D("2024-04-10")}]}
    res = run(["referrals_per_10k", "cp_per_10k"], rows, ["2024-25 Q1"], population=20000)
    ref = res[("referrals_per_10k", "2024-25 Q1", None)]
    assert (ref["value"], ref["annualised"]) == (1 / 20000 * 10000 * 4, True)
    cp = res[("cp_per_10k", "2024-25 Q1", None)]
    assert (cp["value"], cp["annualised"]) == (1 / 20000 * 10000, False)


def test_absent_list_is_no_data():
    res = run(["referrals", "cla_at_end"], {"annex_a_list_3": []}, ["2024-25 Q1"])
    assert res[("cla_at_end", "2024-25 Q1", None)]["status"] == "no_data"
    assert res[("referrals", "2024-25 Q1", None)]["status"] == "ok"


def test_whole_years_at_birthdays():
    import polars as pl

    from csc_metrics.dates import whole_years

    cases = [("2003-04-01", "2025-03-31", 21), ("2003-03-31", "2025-03-31", 22), ("2008-02-29", "2025-02-28", 16),
             ("2008-02-29", "2025-03-01", 17), ("2010-12-31", "2025-01-01", 14)]
    df = pl.DataFrame({"b": [D(b) for b, _, _ in cases], "o": [D(o) for _, o, _ in cases]})
    assert df.select(whole_years(pl.col("b"), pl.col("o"))).to_series().to_list() == [a for _, _, a in cases]


def test_lookback_not_covered_is_incomplete_with_the_rows_affected():
    rows = {"annex_a_list_3": [
        {"child_id": "A", "referral_date": D("2024-04-10")},
        {"child_id": "A", "referral_date": D("2025-04-10")},
    ]}
    res = run(["re_referrals_12m"], rows, ["2024-25 Q1", "2025-26 Q1"], as_at=D("2025-06-30"),
              coverage_start=D("2024-04-01"))
    first, later = res[("re_referrals_12m", "2024-25 Q1", None)], res[("re_referrals_12m", "2025-26 Q1", None)]
    # April 2024 looks back to April 2023, before the list starts: incomplete (v2), with the rows affected
    assert first["status"] == "incomplete"
    assert "look-back window not covered by annex_a_list_3 for 1 row(s)" in first["warnings"][0]
    assert first["findings"] == [{"code": "CSC301", "args": {
        "rows": 1, "window": "look-back", "length": 12, "unit": "months", "table": "annex_a_list_3",
        "coverage": ["2024-04-01", "2025-06-30"]}}]
    # April 2025 looks back to April 2024: covered, and a re-referral
    assert (later["status"], later["numerator"], later["denominator"], later["warnings"], later["findings"]) == (
        "ok", 1, 1, [], [])
