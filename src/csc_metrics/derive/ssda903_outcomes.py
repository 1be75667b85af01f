"""SSDA903 tables for the outcome measures of returns.md §3.5-§3.7: the OC2 cohort with its OC2 answers and the
care-leaver cohort with its staying-put facts, one row per child per loaded collection year (a cohort is defined
at each 31 March, so every loaded year has its own), and one row per adoption.

Pure polars functions over repaired episodes (`repair_episodes`); the indicators over them are YAML
(`definitions/ssda903/`). Decisions where the specification is silent are in docs/returns-derived.md."""

from __future__ import annotations

from datetime import date

import polars as pl

from csc_metrics.derive.ssda903_care import (
    _birthday,
    care_leaver_cohort,
    carer_spells,
    final_episodes,
    oc2_cohort,
    with_periods,
)
from csc_metrics.derive.ssda903_common import (
    ADOPTION_PLACEMENTS,
    TEMPORARY,
    cum_sum_in,
    first_of,
    last_of,
    prepare,
    text,
)
from csc_metrics.io.model import ROW, SRC

OC2_ANSWERS = ["health_assessment", "immunisations", "teeth_check", "health_check", "convicted",
               "substance_misuse"]
FOSTER = ["U1", "U2", "U3", "U4", "U5", "U6"]
ADOPTED = ["E11", "E12"]


def loaded_years(*frames: pl.DataFrame | None, fallback: int | None = None) -> list[int]:
    """The collection years (year ending) of the rows given: their `year` values, and `fallback`."""
    years: set[int] = {fallback} if fallback is not None else set()
    for f in frames:
        if f is not None and "year" in f.columns:
            years.update(int(y) for y in f["year"].drop_nulls().unique().to_list())
    return sorted(years)


def _of_return(frame: pl.DataFrame, year: int, fields: dict[str, type[pl.DataType] | pl.DataType]) -> pl.DataFrame:
    """One row per child of return `year` (rows without a year are read as that year's), the first in file order;
    `fields` (name -> type) present, codes as text."""
    rows = prepare(frame, ["child", *(c for c, t in fields.items() if t == pl.String)])
    rows = rows.with_columns(pl.lit(None, t).alias(c) for c, t in fields.items() if c not in rows.columns)
    if "year" in rows.columns:
        rows = rows.filter(pl.col("year").fill_null(year) == year)
    return rows.filter(pl.col("child").is_not_null()).unique("child", keep="first", maintain_order=True)


def oc2_outcomes(episodes: pl.DataFrame, header: pl.DataFrame | None, oc2: pl.DataFrame,
                 years: list[int]) -> pl.DataFrame:
    """Per year Y in `years`, the children continuously looked after for 12 months at 31 March Y (§2.7, §6.5:
    pass repaired episodes WITH short breaks) with return Y's OC2 answers (§6.16): `child, year, cohort_date`
    (31 March Y), `dob` (Header, else OC2), `has_oc2` (an OC2 row in return Y: a cohort child without one
    counts as "not yes"), the yes/no answers of `OC2_ANSWERS` and `sdq_score` (kept only when 0-40)."""
    parts = []
    for y in years:
        cohort = oc2_cohort(episodes, header, y).select("child", "dob")
        rows = _of_return(oc2, y, {"dob": pl.Date, "sdq_score": pl.Int64, **dict.fromkeys(OC2_ANSWERS, pl.String)})
        rows = rows.rename({"dob": "_oc2_dob"})
        score = pl.col("sdq_score").cast(pl.Int64, strict=False)
        parts.append(
            cohort.join(rows.with_columns(_has=pl.lit(True)), on="child", how="left")
            .with_columns(year=pl.lit(y, pl.Int32), cohort_date=pl.lit(date(y, 3, 31)),
                          dob=pl.coalesce("dob", "_oc2_dob"), has_oc2=pl.col("_has").fill_null(False),
                          sdq_score=pl.when(score.is_between(0, 40)).then(score))
            .select("child", "year", "cohort_date", "dob", "has_oc2", *OC2_ANSWERS, "sdq_score",
                    *(c for c in (SRC, ROW) if c in rows.columns))
        )
    if not parts:
        return pl.DataFrame(schema={"child": pl.String, "year": pl.Int32, "cohort_date": pl.Date, "dob": pl.Date,
                                    "has_oc2": pl.Boolean, **dict.fromkeys(OC2_ANSWERS, pl.String),
                                    "sdq_score": pl.Int64})
    return pl.concat(parts, how="diagonal_relaxed").sort("year", "child")


def care_leaver_outcomes(episodes: pl.DataFrame, header: pl.DataFrame | None, oc3: pl.DataFrame,
                         years: list[int]) -> pl.DataFrame:
    """Per year Y in `years`, the care-leaver cohort of return Y (`care_leaver_cohort`, §2.8, §6.14) with
    `cohort_date` (31 March Y), `final_place`/`final_dec` (the child's final non-short-break episode in the
    stacked history) and `left_foster_at_18`: that episode was a foster placement (U1-U6) ending within one day
    of the 18th birthday (29 February: 28 February in a year that is not a leap year) — the staying-put test."""
    final = final_episodes(episodes).select("child", "final_place", "final_dec")
    parts = []
    for y in years:
        rows = care_leaver_cohort(episodes, header, oc3, y)
        if "year" in rows.columns:
            rows = rows.with_columns(pl.col("year").fill_null(y))
        parts.append(rows.with_columns(year=pl.lit(y, pl.Int32), cohort_date=pl.lit(date(y, 3, 31))))
    if not parts:
        return pl.DataFrame()
    out = pl.concat(parts, how="diagonal_relaxed").join(final, on="child", how="left", maintain_order="left")
    eighteenth = _birthday(pl.col("dob"), (pl.col("dob").dt.year().cast(pl.Int32) + 18))
    gap = (pl.col("final_dec") - eighteenth).dt.total_days().abs()
    return out.with_columns(
        left_foster_at_18=(pl.col("final_place").is_in(FOSTER) & (gap <= 1)).fill_null(False))


def adoptions(episodes: pl.DataFrame, ad1: pl.DataFrame | None) -> pl.DataFrame:
    """One row per adoption (§3.7: a period of care ending with REC E11 or E12; pass repaired episodes
    without short breaks): `child, adopted` (the DEC), `year` (its collection year), `entry` (`poc_start`),
    `poc_start_known`, `placed` (DECOM of the first episode of the final unbroken run of A3-A6 episodes ending
    at adoption, a temporary T0-T4 stay inside the run not breaking it (§2.5); blank if the run holds no A3-A6
    episode), `authority` (DECOM of the first E1/D1 episode of the period) and `authority_known` (false when the
    period's start is unknown and its earliest loaded episode is already E1/D1: the authority may be older),
    `match` and `foster_care` (AD1 of the adoption's return, else the child's latest AD1 row) and
    `moved_in` (§6.14: the carer-spell start of the placed episode, without the adoption exception, when
    FOSTER_CARE is 1; else `placed`)."""
    ep = with_periods(episodes)
    spells = carer_spells(episodes).select("child", "decom", "carer_start")
    is_a = text("place").is_in(ADOPTION_PLACEMENTS).fill_null(False)
    group = ["child", "poc"]
    breaks = ~is_a & ~text("place").is_in(TEMPORARY).fill_null(False)
    first = first_of(*group)
    ep = ep.with_columns(_a=is_a, _run=cum_sum_in(breaks.cast(pl.Int32), first), _last=last_of(first))
    # the period's final run of A3-A6 episodes: `_run` (never null) on the period's last row, carried back
    final_run = pl.col("_run") == pl.when(pl.col("_last")).then(pl.col("_run")).backward_fill()
    order = text("ls").is_in(["E1", "D1"]).fill_null(False)
    # a period's episodes are in DECOM order (blank DECOMs last), so the first DECOM of some rows is their least
    ep = ep.with_columns(_placed=pl.when(pl.col("_a") & final_run).then(pl.col("decom")),
                         _authority=pl.when(order).then(pl.col("decom")), _order=order, _rec=text("rec"))
    per = ep.group_by(group, maintain_order=True).agg(
        adopted=pl.col("dec").last(),
        rec=pl.col("_rec").last(),
        entry=pl.col("poc_start").first(),
        poc_start_known=pl.col("poc_start_known").first(),
        placed=pl.col("_placed").min(),
        authority=pl.col("_authority").min(),
        authority_known=pl.col("poc_start_known").first() | ~pl.col("_order").first(),
        **{SRC: pl.col(SRC).last(), ROW: pl.col(ROW).last()} if SRC in ep.columns else {},
    )
    per = per.filter(pl.col("rec").is_in(ADOPTED).fill_null(False) & pl.col("adopted").is_not_null())
    per = per.with_columns(year=(pl.col("adopted").dt.year() + (pl.col("adopted").dt.month() > 3)).cast(pl.Int32))
    if ad1 is not None and ad1.height:
        a = prepare(ad1, ["child", "foster_care"])
        a = a.with_columns(pl.lit(None, t).alias(c) for c, t in (("date_match", pl.Date), ("foster_care", pl.String))
                           if c not in a.columns)
        a = a.with_columns(_y=pl.col("year") if "year" in a.columns else pl.lit(None, pl.Int32))
        a = a.join(per.select("child", _adoption_year="year"), on="child", how="inner")
        a = (a.sort([(pl.col("_y") == pl.col("_adoption_year")).fill_null(False), "_y"], descending=True,
                    nulls_last=True, maintain_order=True)
             .unique("child", keep="first", maintain_order=True)
             .select("child", match="date_match", foster_care=text("foster_care")))
        per = per.join(a, on="child", how="left", maintain_order="left")
    else:
        per = per.with_columns(match=pl.lit(None, pl.Date), foster_care=pl.lit(None, pl.String))
    per = per.join(spells.rename({"decom": "placed"}), on=["child", "placed"], how="left", maintain_order="left")
    foster = pl.col("foster_care").is_in(["1", "Y"]).fill_null(False)
    return per.with_columns(moved_in=pl.when(foster).then(pl.col("carer_start")).otherwise(pl.col("placed"))).drop(
        "carer_start", "rec")
