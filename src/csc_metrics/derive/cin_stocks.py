"""CIN census children in need and child protection (returns.md §3.2): the derived tables the §3.2 measures
count, built from the CIN tables of every loaded census (appended, each row tagged `census_year`). Pure polars.

Year-Y figures come from census Y (§2.1, §6.10). A row of census Y speaks for dates in census Y's period only:
`stock_start`/`stock_end` clip a referral's or plan's open span to that period (start no earlier than 1 April
Y-1, end no later than the day after 31 March Y), so a stock on any day (31 March, a quarter end) counts the
rows of the census whose period holds that day, once per child; an earlier census's stale "still open" row
never counts for a later year. Flows carry `started_in_year` / `ended_in_year`: the event falls in the census's
own collection year.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from csc_metrics.derive.cin import (
    CHILD,
    LOOK_BACK,
    REF,
    YEAR,
    census_view,
    cin_episodes,
    review_chains,
    reviews_on_time,
)
from csc_metrics.derive.cin_flows import _carry, _linked, _yn, collection_year

_START = pl.date(pl.col(YEAR) - 1, 4, 1)  # first day of the census period
_AFTER = pl.date(pl.col(YEAR), 4, 1)  # the day after its 31 March


def _clipped(start: str, end: str) -> dict[str, pl.Expr]:
    return {"stock_start": pl.max_horizontal(pl.col(start), _START),
            "stock_end": pl.min_horizontal(pl.col(end).fill_null(_AFTER), _AFTER)}


def referrals_by_census(cin_details: pl.DataFrame, cin_assessments: pl.DataFrame, cin_plan_dates: pl.DataFrame,
                        cin_s47: pl.DataFrame, cin_cpp: pl.DataFrame, year_ending: int | None = None) -> pl.DataFrame:
    """One row per referral per census holding it: `nfa` (ReferralNFA overridden by activity, §2.10, §6.11) and
    the open span clipped to the census period (`stock_start`, `stock_end`, see the module)."""
    t = _linked(year_ending, cin_details=cin_details, cin_assessments=cin_assessments, cin_plan_dates=cin_plan_dates,
                cin_s47=cin_s47, cin_cpp=cin_cpp)
    eps = cin_episodes(t["cin_details"], t["cin_assessments"], t["cin_plan_dates"], t["cin_s47"], t["cin_cpp"])
    return (eps.filter(pl.col(REF).is_not_null())
            .select(CHILD, REF, "cin_closure_date", *_carry(eps), nfa=_yn(pl.col("nfa")),
                    census_year=pl.col(YEAR).cast(pl.Int64), **_clipped(REF, "cin_closure_date"))
            .sort(CHILD, REF, "census_year"))


def cp_plans_by_census(cin_details: pl.DataFrame, cin_cpp: pl.DataFrame,
                       year_ending: int | None = None) -> pl.DataFrame:
    """One row per child protection plan (child, start date) per census holding it, with the open span clipped to
    the census period and `started_in_year` / `ended_in_year` (start / end in the census's own year)."""
    p = _linked(year_ending, cin_details=cin_details, cin_cpp=cin_cpp)["cin_cpp"]
    start, end = pl.col("cpp_start_date"), pl.col("cpp_end_date")
    return (p.filter(start.is_not_null())
            .select(CHILD, "cpp_start_date", "cpp_end_date", pl.col("number_of_previous_cpp").cast(pl.Int64),
                    *_carry(p), census_year=pl.col(YEAR).cast(pl.Int64),
                    started_in_year=_yn(collection_year(start) == pl.col(YEAR)),
                    ended_in_year=_yn((collection_year(end) == pl.col(YEAR)).fill_null(False)),
                    **_clipped("cpp_start_date", "cpp_end_date"))
            .sort(CHILD, "cpp_start_date", "census_year"))


def cp_review_status(cin_details: pl.DataFrame, cin_cpp: pl.DataFrame, cin_cpp_reviews: pl.DataFrame,
                     year_ending: int | None = None) -> pl.DataFrame:
    """For each loaded census Y, the children on a plan at its 31 March whose plan started at least 3 months
    before, judged on the earliest such plan (§3.2, §6.13): `on_time` when its review chain (reviews of every
    loaded census up to Y, distinct, `derive.cin.review_chains`) meets start + 3 months, previous + 6 months
    and 31 March <= last + 6 months. `unanchored` Y: the plan started before 1 April of the earliest loaded
    census, so its first review cannot be tested (loading the previous census fixes it). `judged_from` is that
    31 March and `judged_to` the day after (the row counts at that date only)."""
    t = _linked(year_ending, cin_details=cin_details, cin_cpp=cin_cpp, cin_cpp_reviews=cin_cpp_reviews)
    stacked = {"cin_cpp": t["cin_cpp"], "cin_cpp_reviews": t["cin_cpp_reviews"]}
    years = sorted(int(y) for y in t["cin_cpp"][YEAR].drop_nulls().unique())
    schema = {CHILD: t["cin_cpp"].schema.get(CHILD, pl.String), "cpp_start_date": pl.Date, "reviews": pl.Int64,
              "on_time": pl.String, "unanchored": pl.String, "census_year": pl.Int64, "judged_from": pl.Date,
              "judged_to": pl.Date}
    if not years:
        return pl.DataFrame(schema=schema)
    first = date(years[0] - 1, 4, 1)
    parts = []
    for y in years:  # one pass per census year (a handful), never per child
        view = census_view(stacked, y)
        at = date(y, 3, 31)
        chains = review_chains(view["cin_cpp"], view["cin_cpp_reviews"], first)
        judged = reviews_on_time(view["cin_cpp"].filter(~pl.col(LOOK_BACK)), chains, at, first)
        parts.append(judged.select(
            CHILD, "cpp_start_date", pl.col("reviews").cast(pl.Int64), on_time=_yn(pl.col("on_time")),
            unanchored=_yn(pl.col("unanchored")), census_year=pl.lit(y, dtype=pl.Int64),
            judged_from=pl.lit(at), judged_to=pl.lit(at + timedelta(days=1))))
    return pl.concat(parts, how="vertical_relaxed").select(list(schema)).sort("census_year", CHILD)
