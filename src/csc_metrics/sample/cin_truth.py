"""The true CIN census front-door figures of a synthetic sample (returns.md §3.1), known by construction: counted
from the journeys' referrals (`eps`) and the factors the census generator drew, with polars, independently of
the derived tables and the engine. Written as `truth_cin_census.json` beside the census XML."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl

from csc_metrics.sample.cin import Census


def _in_year(col: str, year: int) -> pl.Expr:
    return pl.col(col).is_between(pl.lit(date(year - 1, 4, 1)), pl.lit(date(year, 3, 31)), closed="both")


def _working_days(start: str, end: str, hols: Sequence[date]) -> pl.Expr:
    """Working days d with start < d <= end (weekends and bank holidays excluded)."""
    one = timedelta(days=1)
    return pl.business_day_count(pl.col(start) + one, pl.col(end) + one, holidays=list(hols))


def front_door_truth(eps: pl.DataFrame, censuses: list[Census], hols: Sequence[date]) -> dict[int, dict]:
    """Per collection year (year ending): every §3.1 count, numerator and denominator."""
    refs = eps.unique(["cid", "ref_date"], keep="first", maintain_order=True)
    prev = refs.select("cid", pl.col("ref_date").alias("prev_date"))
    rereferred = (refs.join(prev, on="cid").filter(
        (pl.col("prev_date") < pl.col("ref_date"))
        & (pl.col("prev_date") >= pl.col("ref_date").dt.offset_by("-12mo")))
        .select("cid", "ref_date").unique().with_columns(re=pl.lit(True)))
    refs = refs.join(rereferred, on=["cid", "ref_date"], how="left").with_columns(pl.col("re").fill_null(False))
    out: dict[int, dict] = {}
    for c in censuses:
        y, e = c.year, date(c.year, 3, 31)
        r = refs.filter(_in_year("ref_date", y))
        source = c.details.filter(pl.col("CINreferralDate").str.to_date() >= date(y - 1, 4, 1)).select(
            "ReferralSource").to_series().value_counts()
        not_in_need = r.filter(pl.col("closure_reason").is_in(["RC8", "RC9"]) & (pl.col("cin_closure") <= e)).height
        a = eps.filter(pl.col("assess_end").is_not_null() & _in_year("assess_end", y)).with_columns(
            wd=_working_days("assess_start", "assess_end", hols))
        ok_a = a.filter(pl.col("assess_end") >= pl.col("assess_start"))
        s = eps.filter(pl.col("s47_start").is_not_null() & _in_year("s47_start", y))
        i = eps.filter(pl.col("icpc_date").is_not_null() & _in_year("icpc_date", y)).with_columns(
            wd=_working_days("s47_start", "icpc_date", hols))
        authorised = c.assessments.filter(pl.col("AssessmentAuthorisationDate").is_not_null()).select("ep", "sub")
        factors = c.factors.join(authorised, on=["ep", "sub"]).filter(pl.col("AssessmentFactors") != "21") \
            .select("ep", "AssessmentFactors").unique()
        base = factors["ep"].n_unique()
        out[y] = {
            "referrals": r.height,
            "referrals_nfa": r["nfa"].sum(),
            "referrals_assessed_not_in_need": not_in_need,
            "re_referrals_12m": int(r["re"].sum()),
            "re_referrals_12m_child": [r.filter("re")["cid"].n_unique(), r["cid"].n_unique()],
            "referrals_by_source": {k: v for k, v in source.iter_rows()},
            "assessments_completed": a.height,
            "assessments_within_45wd": [ok_a.filter(pl.col("wd") <= 45).height, ok_a.height],
            "assessment_median_wd": ok_a["wd"].median(),
            "assessment_factors": {"base": base, **dict(factors["AssessmentFactors"].value_counts().iter_rows())},
            "s47_enquiries": s.height,
            "icpcs": i.height,
            "icpc_within_15wd": [i.filter((pl.col("icpc_date") >= pl.col("s47_start")) & (pl.col("wd") <= 15)).height,
                                 i.height],
        }
    return out
