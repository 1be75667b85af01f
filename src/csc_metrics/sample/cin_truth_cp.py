"""The true CIN census §3.2 figures of a synthetic sample (children in need, child protection, reviews on time),
known by construction: counted from the journeys' referrals and plans (`eps`) and, for previous-plan counts and
reviews, from the census frames the generator wrote, independently of the derived tables and the engine (the
review rule of returns.md §6.13 is re-implemented here, date by date). Merged into `truth_cin_census.json`."""

from __future__ import annotations

import calendar
from datetime import date

import polars as pl

from csc_metrics.sample.cin import Census


def add_months(d: date, n: int) -> date:
    """Calendar addition with month-end clamping (30 September + 6 months = 30 March)."""
    m = d.month - 1 + n
    y, m = d.year + m // 12, m % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def _in_year(col: str, year: int) -> pl.Expr:
    return pl.col(col).is_between(pl.lit(date(year - 1, 4, 1)), pl.lit(date(year, 3, 31)), closed="both")


def _on_time(start: date, reviews: list[date], e: date, anchored: bool) -> bool:
    """§3.2 / §6.13: r1 <= start + 3 months (anchored plans only), r_i <= r_(i-1) + 6 months, e <= r_n + 6 months;
    no review: anchored and e <= start + 3 months."""
    if not reviews:
        return anchored and e <= add_months(start, 3)
    if anchored and reviews[0] > add_months(start, 3):
        return False
    if any(b > add_months(a, 6) for a, b in zip(reviews, reviews[1:], strict=False)):
        return False
    return e <= add_months(reviews[-1], 6)


def cin_cp_truth(eps: pl.DataFrame, censuses: list[Census]) -> dict[int, dict]:
    """Per collection year (year ending): every §3.2 count, numerator and denominator."""
    refs = eps.unique(["cid", "ref_date"], keep="first", maintain_order=True)
    plans = (eps.filter(pl.col("cp_start").is_not_null()).select("cid", "cp_start", "cp_end")
             .unique(["cid", "cp_start"], keep="first"))
    day = pl.col("CPPstartDate").str.to_date()
    cpp = pl.concat([c.cpp.select("cid", "ep", start=day, previous=pl.col("NumberOfPreviousCPP").cast(pl.Int64),
                                  census=pl.lit(c.year)) for c in censuses])
    reviews = pl.concat([c.reviews.join(c.cpp.select("cid", "ep", "CPPstartDate"), on=["cid", "ep"])
                         .select("cid", start=day, review=pl.col("CPPreviewDate").str.to_date()) for c in censuses]
                        ).unique()
    first = date(min(c.year for c in censuses) - 1, 4, 1)
    out: dict[int, dict] = {}
    for c in censuses:
        y, e = c.year, date(c.year, 3, 31)
        r = refs.filter(_in_year("ref_date", y))
        in_need = refs.filter(~pl.col("nfa") & (pl.col("ref_date") <= e)
                              & (pl.col("cin_closure").is_null() | (pl.col("cin_closure") > e)))
        not_in_need = pl.col("closure_reason").is_in(["RC8", "RC9"]) & (pl.col("cin_closure") <= e)
        started = r.filter(~pl.col("nfa") & ~not_in_need.fill_null(False))
        open_ = plans.filter((pl.col("cp_start") <= e) & (pl.col("cp_end").is_null() | (pl.col("cp_end") > e)))
        earliest = open_.group_by("cid").agg(pl.col("cp_start").min())
        begun = plans.filter(_in_year("cp_start", y))
        prev = cpp.filter((pl.col("census") == y) & _in_year("start", y))
        ended = plans.filter(pl.col("cp_end").is_not_null() & _in_year("cp_end", y)).with_columns(
            long=pl.col("cp_start").dt.offset_by("24mo") <= pl.col("cp_end"))
        # reviews: earliest open plan started on or before e - 3 months, its reviews of censuses up to y
        judged = open_.filter(pl.col("cp_start") <= add_months(e, -3)).group_by("cid").agg(pl.col("cp_start").min())
        held = reviews.filter(pl.col("review") <= e)
        on_time, unanchored = 0, 0
        for cid, start in judged.iter_rows():
            dates = sorted(held.filter((pl.col("cid") == cid) & (pl.col("start") == start)
                                       & (pl.col("review") > start))["review"].to_list())
            anchored = start >= first
            unanchored += not anchored
            on_time += _on_time(start, dates, e, anchored)
        out[y] = {
            "cin_at_end": in_need["cid"].n_unique(),
            "cin_episodes_started": started.height,
            "cp_plans_at_end": earliest.height,
            "cp_plans_started": begun.height,
            "cp_second_or_subsequent": [prev.filter(pl.col("previous") >= 1).height, prev.height],
            "cp_plans_ended": ended.height,
            "cp_ceased_2y_plus": [ended.filter("long").height, ended.height],
            "cp_open_2y_plus": [earliest.filter(pl.col("cp_start") <= add_months(e, -24)).height, earliest.height],
            "cp_reviews_on_time": [on_time, judged.height],
            "cp_reviews_unanchored": unanchored,
        }
    return out
