"""The builders shipped with csc-metrics, registered for `derived:` tables (see `engine/derive.py`).

Each wraps a library function of `csc_metrics.derive` (SSDA903, CIN census); a builder whose library function
has not been installed is simply not registered, so `check` reports a table that names it."""

from __future__ import annotations

from csc_metrics.derive import cin_flows
from csc_metrics.engine.derive import derivation

# CIN census front door (returns.md §3.1)
derivation("cin_referrals", ["cin_details", "cin_assessments", "cin_plan_dates", "cin_s47", "cin_cpp"])(
    cin_flows.referrals)
derivation("cin_assessments_in_year", ["cin_details", "cin_assessments"])(cin_flows.assessments_in_year)
derivation("cin_assessment_factors_in_year", ["cin_details", "cin_assessments", "cin_assessment_factors"])(
    cin_flows.assessment_factors)
derivation("cin_s47_in_year", ["cin_details", "cin_s47"])(cin_flows.s47_in_year)
derivation("cin_icpcs", ["cin_details", "cin_s47"])(cin_flows.icpcs)
