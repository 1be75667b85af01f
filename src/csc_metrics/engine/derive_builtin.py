"""The builders shipped with csc-metrics, registered for `derived:` tables (see `engine/derive.py`): thin
wrappers over the library functions of `csc_metrics.derive` (SSDA903: h14ssda; CIN census: h14cin). Each reads
the tables it names as keyword arguments; `year_ending` (the latest collection year loaded) is passed by the
run. SSDA903 builders repair the stacked episodes first (R0-R12) and, except the OC2 cohort test, remove short
breaks (V3/V4), as returns.md §2.2-2.4 and §6.5 say."""

from __future__ import annotations

from datetime import date

import polars as pl

from csc_metrics.engine.derive import derivation

EPISODES, HEADER, OC3 = "ssda903_episodes", "ssda903_header", "ssda903_oc3"


def _repaired(episodes: pl.DataFrame) -> pl.DataFrame:
    from csc_metrics.derive.ssda903 import repair_episodes

    return repair_episodes(episodes)[0]


def _care(episodes: pl.DataFrame) -> pl.DataFrame:
    """Repaired episodes without short breaks: what every CLA measure but the OC2 cohort test counts."""
    from csc_metrics.derive.ssda903 import remove_short_breaks

    return remove_short_breaks(_repaired(episodes))


def _year(year_ending: int | None) -> int:
    if year_ending is None:
        from csc_metrics.errors import CscError

        raise CscError("this derived table needs the collection year of an SSDA903 return", "pass --year")
    return year_ending


@derivation("ssda903_repaired_episodes", inputs=[EPISODES])
def repaired_episodes(ssda903_episodes: pl.DataFrame) -> pl.DataFrame:
    """SSDA903 episodes after repair R0-R12 (returns.md §2.2), short breaks kept."""
    return _repaired(ssda903_episodes)


@derivation("ssda903_periods_of_care", inputs=[EPISODES])
def periods_of_care(ssda903_episodes: pl.DataFrame) -> pl.DataFrame:
    """Periods of care (§2.3) with `poc_start_known`, from repaired episodes without short breaks."""
    from csc_metrics.derive.ssda903 import periods_of_care as build

    return build(_care(ssda903_episodes))


@derivation("ssda903_placements", inputs=[EPISODES])
def placements(ssda903_episodes: pl.DataFrame) -> pl.DataFrame:
    """Placements (§2.5), from repaired episodes without short breaks."""
    from csc_metrics.derive.ssda903 import placements as build

    return build(_care(ssda903_episodes))


@derivation("ssda903_carer_spells", inputs=[EPISODES])
def carer_spells(ssda903_episodes: pl.DataFrame) -> pl.DataFrame:
    """Episodes with their carer spell (§2.6), from repaired episodes without short breaks."""
    from csc_metrics.derive.ssda903 import carer_spells as build

    return build(_care(ssda903_episodes))


@derivation("ssda903_oc2_cohort", inputs=[EPISODES, HEADER])
def oc2_cohort(ssda903_episodes: pl.DataFrame, ssda903_header: pl.DataFrame,
               year_ending: int | None = None) -> pl.DataFrame:
    """Children looked after continuously for 12 months at 31 March of the latest year (§2.7, §6.5)."""
    from csc_metrics.derive.ssda903 import oc2_cohort as build

    return build(_repaired(ssda903_episodes), ssda903_header, _year(year_ending))


@derivation("ssda903_care_leavers", inputs=[EPISODES, HEADER, OC3])
def care_leavers(ssda903_episodes: pl.DataFrame, ssda903_header: pl.DataFrame, ssda903_oc3: pl.DataFrame,
                 year_ending: int | None = None) -> pl.DataFrame:
    """The care-leaver birthday cohort of the latest return (§2.8, §6.14)."""
    from csc_metrics.derive.ssda903 import care_leaver_cohort

    return care_leaver_cohort(_repaired(ssda903_episodes), ssda903_header, ssda903_oc3, _year(year_ending))


@derivation("cin_episodes_of_need", inputs=["cin_details", "cin_assessments", "cin_plan_dates", "cin_s47", "cin_cpp"])
def cin_episodes_of_need(cin_details: pl.DataFrame, cin_assessments: pl.DataFrame, cin_plan_dates: pl.DataFrame,
                         cin_s47: pl.DataFrame, cin_cpp: pl.DataFrame) -> pl.DataFrame:
    """Referrals with NFA overridden by activity and `episode_of_need` (returns.md §2.10, §6.11)."""
    from csc_metrics.derive.cin import cin_episodes

    return cin_episodes(cin_details, cin_assessments, cin_plan_dates, cin_s47, cin_cpp)


@derivation("cin_icpc_set", inputs=["cin_details", "cin_s47"])
def cin_icpc_set(cin_details: pl.DataFrame, cin_s47: pl.DataFrame) -> pl.DataFrame:
    """Every initial child protection conference, S47-level and transfer-in (§2.10, §6.12)."""
    from csc_metrics.derive.cin import icpc_set

    return icpc_set(cin_details, cin_s47)


@derivation("cin_review_chains", inputs=["cin_cpp", "cin_cpp_reviews"])
def cin_review_chains(cin_cpp: pl.DataFrame, cin_cpp_reviews: pl.DataFrame) -> pl.DataFrame:
    """Each plan's reviews in order with due dates (§2.10, §6.13), anchored at the earliest census loaded."""
    from csc_metrics.derive.cin import review_chains

    years = cin_cpp["census_year"].drop_nulls() if "census_year" in cin_cpp.columns else pl.Series([], dtype=pl.Int32)
    first = date(int(years.min()) - 1, 4, 1) if years.len() else date(1900, 1, 1)  # type: ignore[arg-type]
    return review_chains(cin_cpp, cin_cpp_reviews, first)


def _front_door() -> None:
    """The CIN census front-door tables (returns.md §3.1): year-Y events from census Y, see `derive.cin_flows`."""
    from csc_metrics.derive import cin_flows

    derivation("cin_referrals", ["cin_details", "cin_assessments", "cin_plan_dates", "cin_s47", "cin_cpp"])(
        cin_flows.referrals)
    derivation("cin_assessments_in_year", ["cin_details", "cin_assessments"])(cin_flows.assessments_in_year)
    derivation("cin_assessment_factors_in_year", ["cin_details", "cin_assessments", "cin_assessment_factors"])(
        cin_flows.assessment_factors)
    derivation("cin_s47_in_year", ["cin_details", "cin_s47"])(cin_flows.s47_in_year)
    derivation("cin_icpcs", ["cin_details", "cin_s47"])(cin_flows.icpcs)


_front_door()


# ---- outcome measures (returns.md §3.5-3.7): one cohort per loaded collection year, and one row per adoption


@derivation("ssda903_oc2_outcomes", inputs=[EPISODES, HEADER, "ssda903_oc2"])
def oc2_outcomes(ssda903_episodes: pl.DataFrame, ssda903_header: pl.DataFrame, ssda903_oc2: pl.DataFrame,
                 year_ending: int | None = None) -> pl.DataFrame:
    """The 12-month cohort of each loaded year with that return's OC2 answers (§2.7, §3.5, §6.16)."""
    from csc_metrics.derive.ssda903_outcomes import loaded_years
    from csc_metrics.derive.ssda903_outcomes import oc2_outcomes as build

    years = loaded_years(ssda903_episodes, ssda903_oc2, fallback=year_ending)
    return build(_repaired(ssda903_episodes), ssda903_header, ssda903_oc2, years)


@derivation("ssda903_care_leaver_outcomes", inputs=[EPISODES, HEADER, OC3])
def care_leaver_outcomes(ssda903_episodes: pl.DataFrame, ssda903_header: pl.DataFrame, ssda903_oc3: pl.DataFrame,
                         year_ending: int | None = None) -> pl.DataFrame:
    """The care-leaver birthday cohort of each loaded year, with the staying-put test (§2.8, §3.6, §6.14)."""
    from csc_metrics.derive.ssda903_outcomes import care_leaver_outcomes as build
    from csc_metrics.derive.ssda903_outcomes import loaded_years

    years = loaded_years(ssda903_oc3, fallback=year_ending)
    return build(_repaired(ssda903_episodes), ssda903_header, ssda903_oc3, years)


@derivation("ssda903_adoptions", inputs=[EPISODES, "ssda903_ad1"])
def adoptions(ssda903_episodes: pl.DataFrame, ssda903_ad1: pl.DataFrame) -> pl.DataFrame:
    """One row per adoption with the dates of the adoption measures A1, A2, A10 (§3.7, §6.9)."""
    from csc_metrics.derive.ssda903_outcomes import adoptions as build

    return build(_care(ssda903_episodes), ssda903_ad1)


def _children_in_need() -> None:
    """The CIN census children-in-need and child-protection tables (returns.md §3.2), see `derive.cin_stocks`."""
    from csc_metrics.derive import cin_stocks

    derivation("cin_referrals_by_census", ["cin_details", "cin_assessments", "cin_plan_dates", "cin_s47", "cin_cpp"])(
        cin_stocks.referrals_by_census)
    derivation("cin_cp_plans_by_census", ["cin_details", "cin_cpp"])(cin_stocks.cp_plans_by_census)
    derivation("cin_cp_review_status", ["cin_details", "cin_cpp", "cin_cpp_reviews"])(cin_stocks.cp_review_status)


_children_in_need()
