"""The truth.json keys of each §3.3-3.7 measure (tests/test_sample_data.py checks every one on the shipped
sample; tests/test_returns_outcomes.py the OC2 and care-leaver shares on its own sample)."""

# Every §3.3-3.7 id against truth.json (sample/ssda903_truth.py: the generator's own periods of care, placements
# and List 10 dates, never the reader or the derived structures). id: (numerator, denominator) keys, a pair key
# ([numerator, denominator]), a count key, or for a duration a [total days, adoptions] key (pooled: three years).
COUNTS = {"cla_at_end": "looked_after_at_31_march", "cla_started": "children_started",
          "cla_ceased": "children_ceased"}  # children, not periods: a child who ceases twice counts once
SHARES = {
    "cla_ceased_adopted": ("adopted", "children_ceased"),
    "cla_uasc_at_end": ("uasc_at_31_march", "looked_after_at_31_march"),
    "cla_started_uasc": ("children_started_uasc", "children_started"),
    "cla12_health_assessment": ("oc2_health_assessment", "oc2_cohort"),
    "cla12_immunisations": ("oc2_immunisations", "oc2_cohort"),
    "cla12_dental": ("oc2_teeth_check", "oc2_cohort"),
    "cla12_substance_misuse": ("oc2_substance_misuse", "oc2_cohort"),
    "cla12_development_check": ("oc2_under_5_health_check", "oc2_under_5"),
    "cla12_convicted": ("oc2_10_17_convicted", "oc2_10_17"),
    "cla12_sdq_received": ("sdq_scores", "sdq_5_16"),
    "care_leavers_eet": ("care_leavers_19_21_eet", "care_leavers_19_21"),
    "care_leavers_17_18_eet": ("care_leavers_17_18_eet", "care_leavers_17_18"),
    "care_leavers_neet": ("care_leavers_19_21_neet", "care_leavers_19_21"),
    "care_leavers_higher_education": ("care_leavers_19_21_higher_education", "care_leavers_19_21"),
    "care_leavers_not_in_touch": ("care_leavers_19_21_not_in_touch", "care_leavers_19_21"),
}
PAIRS = {"cla12_sdq_concern": "sdq_concern", "care_leavers_suitable_accommodation": "care_leavers_19_21_suitable",
         "care_leavers_17_18_suitable_accommodation": "care_leavers_17_18_suitable",
         "care_leavers_staying_put": "care_leavers_staying_put", "cla_3plus_placements": "placements_3plus",
         "cla_3plus_placements_2y": "placements_3plus_2y", "cla_long_term_stability": "long_term_stable",
         "cla_missing": "missing", "cla_away": "away"}
REASONS = {"cla_ceased_sgo": ["E45", "E46", "E47", "E48"], "cla_ceased_cao": ["E41"],
           "cla_ceased_returned_home": ["E4A", "E4B"], "cla_ceased_returned_home_planned": ["E4A"],
           "cla_ceased_returned_home_unplanned": ["E4B"]}  # children by their last cessation's reason
BREAKDOWNS = {"cla_by_legal_status": "legal_status_at_31_march", "cla_by_placement_type": "placement_type_at_31_march"}
DAYS = {"adoption_entry_to_placement_days": "a1_days", "adoption_a10_days": "a10_days",
        "adoption_order_to_match_days": "a2_days"}
POOLED = {"adoption_a1_3yr_days": "a1_days", "adoption_a10_3yr_days": "a10_days", "adoption_a2_3yr_days": "a2_days"}
RATES = {"cla_per_10k": "cla_at_end", "cla_started_per_10k": "cla_started", "cla_ceased_per_10k": "cla_ceased"}
OTHER = {"cla12_sdq_mean": "sdq_mean", "cla_3plus_social_workers": "social_workers_3plus",
         "cla_placed_20_miles_out": "unavailable: no PL_DISTANCE and no --postcodes file"}
