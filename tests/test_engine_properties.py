"""Properties of the engine on random data: one pass equals each indicator alone, shares stay in range."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.engine_helpers import run, standard

START = date(2023, 1, 1)
dates = st.one_of(st.none(), st.integers(0, 900).map(lambda n: START + timedelta(days=n)))
child = st.sampled_from(["A", "B", "C", "D", "E"])

referral = st.fixed_dictionaries({
    "child_id": child, "referral_date": dates, "referral_nfa": st.sampled_from(["Y", "N", None]),
    "referrals_last_12m": st.one_of(st.none(), st.integers(0, 3)), "referral_source": st.sampled_from(["6", "2A", None]),
})
assessment = st.fixed_dictionaries({
    "child_id": child, "assessment_start": dates, "assessment_authorised": dates,
    "child_seen": st.sampled_from(["Y", "N", "U", None]),
})
s47 = st.fixed_dictionaries({
    "child_id": child, "s47_start": dates, "icpc_date": dates,
    "icpc_resulted_in_plan": st.sampled_from(["Y", "N", None]),
})
plan = st.fixed_dictionaries({
    "child_id": child, "cp_start": dates, "cp_end": dates,
    "previous_cp_plans": st.one_of(st.none(), st.integers(0, 2)), "initial_category": st.sampled_from(["NEG", "EMO"]),
})
looked_after = st.fixed_dictionaries({
    "child_id": child, "cla_start": dates, "cla_end": dates, "legal_status": st.sampled_from(["C2", "V3", "E1", None]),
    "reason_ceased": st.sampled_from(["E11", "E41", "E4A", "X1", None]), "placements_last_12m": st.integers(0, 4),
})
PERIODS = ["2023-24 Q1", "2023-24 Q2", "2023-24 Q3", "2023-24 Q4", "2024-25 Q1", "2024-25 Q2"]
TABLES = ("annex_a_list_3", "annex_a_list_4", "annex_a_list_5", "annex_a_list_7", "annex_a_list_8")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(referral, max_size=12), st.lists(assessment, max_size=8), st.lists(s47, max_size=8),
       st.lists(plan, max_size=8), st.lists(looked_after, max_size=8))
def test_one_pass_equals_each_alone_and_shares_in_range(refs, assessments, s47s, plans, cla):
    defs = standard()
    rows = dict(zip(TABLES, (refs, assessments, s47s, plans, cla), strict=True))
    ids = [i.id for i in defs.indicators.values() if i.source == "annex_a"  # the Annex A recipes: these tables
           if getattr(defs.indicators.get(getattr(i, "of", i.id)), "table", None) in TABLES]
    together = run(ids, rows, PERIODS, as_at=date(2024, 9, 30), population=50000)
    for ind in ids:
        alone = run([ind], rows, PERIODS, as_at=date(2024, 9, 30), population=50000)
        for key, r in alone.items():
            assert together[key]["numerator"] == r["numerator"], key
            assert together[key]["denominator"] == r["denominator"], key
            assert together[key]["value"] == r["value"], key
    for r in together.values():
        if r["unit"] == "percent" and r["value"] is not None:
            assert 0 <= r["numerator"] <= r["denominator"]
            assert 0 <= r["value"] <= 100
