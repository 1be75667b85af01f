"""SSDA903 structures over repaired episodes: short breaks, periods of care, placements, carer spells, cohorts.

returns.md §2.3-§2.8 with §6.5-§6.9 and §6.14. Every function is a polars query over all children at once;
inputs are episodes as `repair_episodes` returns them (one child's episodes ordered by DECOM, never overlapping)."""

from __future__ import annotations

from datetime import date

import polars as pl

from csc_metrics.dates import whole_years
from csc_metrics.derive.ssda903_common import (
    ADOPTION_PLACEMENTS,
    NEW_CARER_RNE,
    RNE_CODES,
    SHORT_BREAKS,
    TEMPORARY,
    X1,
    at_start,
    cum_sum_in,
    episode_order,
    first_of,
    forward_fill_in,
    per_run,
    prepare,
    prev_in,
    remember_last,
    text,
)
from csc_metrics.io.model import ROW, SRC


def _window(year_ending: int) -> tuple[date, date]:
    return date(year_ending - 1, 4, 1), date(year_ending, 3, 31)


@remember_last
def remove_short_breaks(episodes: pl.DataFrame) -> pl.DataFrame:
    """Episodes without the short-break ones (`LS` V3/V4, §2.4): every CLA measure but the OC2 cohort test."""
    return prepare(episodes).filter(~text("ls").is_in(SHORT_BREAKS).fill_null(False))


def open_at(episodes: pl.DataFrame, when: date) -> pl.DataFrame:
    """Episodes open at `when` (DECOM <= when and DEC blank or after it). R5: a DEC after `when` reads as open."""
    return prepare(episodes).filter(
        (pl.col("decom") <= when) & (pl.col("dec").is_null() | (pl.col("dec") > when))
    )


@remember_last
def with_periods(episodes: pl.DataFrame) -> pl.DataFrame:
    """Episodes with `poc` (1, 2, ... within the child), `poc_start` and `poc_start_known` (§2.3).

    A period of care starts at an episode with RNE S, at a child's first episode, or where the link from the
    previous episode is broken (the previous one did not end with X1 on this episode's DECOM)."""
    ep = episode_order(prepare(episodes)).with_columns(_first=first_of("child"))
    first = pl.col("_first")
    linked = prev_in(pl.col("rec") == X1, first) & (prev_in(pl.col("dec"), first) == pl.col("decom"))
    new = ~linked.fill_null(False) | (pl.col("rne") == "S").fill_null(False)
    ep = ep.with_columns(poc=cum_sum_in(new.cast(pl.Int32), first)).drop("_first")
    poc_first = first_of("child", "poc")  # a child's periods are numbered in episode order: each is a run
    return ep.with_columns(
        poc_start=at_start(pl.col("decom"), poc_first),
        poc_start_known=at_start((pl.col("rne") == "S").fill_null(False), poc_first),
    )


def periods_of_care(episodes: pl.DataFrame) -> pl.DataFrame:
    """One row per period of care: `child, poc, poc_start, poc_end` (blank while open), `poc_start_known`
    (false when the first episode is not RNE S: earlier returns are not loaded, and `poc_start` is then only
    the earliest date the child is known to have been in care), `rec` (how it ended), `episodes`, and the
    `__src`/`__row`/`year` of its first episode."""
    ep = with_periods(episodes)
    return per_run(ep, ["child", "poc"], {  # in episode order, a period's episodes are together
        "poc_start": ("first", pl.col("decom")), "poc_end": ("last", pl.col("dec")),
        "poc_start_known": ("first", pl.col("poc_start_known")), "rec": ("last", pl.col("rec")),
        "episodes": ("len", None), **{c: ("first", pl.col(c)) for c in (SRC, ROW, "year")},
    }).with_columns(rec=pl.when(pl.col("poc_end").is_not_null()).then(pl.col("rec")))


def _location() -> pl.Expr:
    """Where a placement is: its URN, else its placement postcode (without spaces, upper case)."""
    return pl.coalesce(text("urn"), text("pl_post").str.replace_all(r"\s+", "").str.to_uppercase())


@remember_last
def _with_carer_breaks(episodes: pl.DataFrame) -> pl.DataFrame:
    """Episodes with periods of care, `_temp` (a T0-T4 episode) and `_opens`: this episode starts a new
    placement / carer (§2.5 rules 1-2, §2.6).

    A non-temporary episode opens one when it is the first non-temporary episode of its period of care, when
    it follows a temporary excursion and does not return to the placement before it (same PLACE,
    PLACE_PROVIDER and URN, or PL_POST when URN is blank), or otherwise when its RNE is S, P or B, or its RNE
    is blank or not a code and PLACE, PLACE_PROVIDER or the location changed."""
    ep = with_periods(episodes)
    temp = text("place").is_in(TEMPORARY).fill_null(False)
    group = ["child", "poc"]
    ep = ep.with_columns(_temp=temp, _loc=_location(), _first=first_of(*group))
    first, kept = pl.col("_first"), ~pl.col("_temp")
    before = {f"_prev_{c}": forward_fill_in(prev_in(pl.when(kept).then(pl.col(c)), first), first)
              for c in ("place", "place_provider", "_loc")}
    ep = ep.with_columns(
        _prior=cum_sum_in(kept.cast(pl.Int32), first) - kept.cast(pl.Int32),
        _after_temp=prev_in(pl.col("_temp"), first).fill_null(False),
        **before,
    ).drop("_first")
    returns = (text("place").eq_missing(pl.col("_prev_place"))
               & text("place_provider").eq_missing(pl.col("_prev_place_provider"))
               & pl.col("_loc").eq_missing(pl.col("_prev__loc")))
    known = text("rne").is_in(RNE_CODES).fill_null(False)
    opens = ~pl.col("_temp") & (
        (pl.col("_prior") == 0)
        | (pl.col("_after_temp") & ~returns)
        | (~pl.col("_after_temp") & text("rne").is_in(NEW_CARER_RNE).fill_null(False))
        | (~pl.col("_after_temp") & ~known & ~returns)  # blank or invalid RNE: judged by what changed
    )
    return ep.with_columns(_opens=opens).drop("_prior", "_after_temp", *before)


def placements(episodes: pl.DataFrame) -> pl.DataFrame:
    """One row per placement (§2.5): `child, placement` (1, 2, ... within the child), `poc`, `start` (first
    DECOM), `end` (last DEC, blank while open), `place` and `place_last` (first and last PLACE), `episodes`,
    `zero_day` (span of 0 days: not counted) and the opening episode's `__src`/`__row`/`year`.

    Pass episodes without short breaks. Temporary placements (T0-T4) belong to no placement: a return to the
    same carer continues the placement before the excursion; a move on from one opens a new placement."""
    ep = _with_carer_breaks(episodes).filter(~pl.col("_temp"))
    ep = ep.with_columns(placement=cum_sum_in(pl.col("_opens").cast(pl.Int32), first_of("child")))
    # a child's placements are numbered in episode order: each one's rows are together
    return per_run(ep, ["child", "placement"], {
        "poc": ("first", pl.col("poc")), "start": ("first", pl.col("decom")), "end": ("last", pl.col("dec")),
        "place": ("first", pl.col("place")), "place_last": ("last", pl.col("place")), "episodes": ("len", None),
        **{c: ("first", pl.col(c)) for c in (SRC, ROW, "year")},
    }).with_columns(zero_day=(pl.col("end") == pl.col("start")).fill_null(False))


def count_placements(placement_rows: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """`child, placements`: placements overlapping [start, end] (first DECOM <= end and last DEC blank or
    >= start, §6.7: a move on `start` counts the placement that ended that day), 0-day placements left out.
    Children with none are absent."""
    return (
        placement_rows.filter((pl.col("start") <= end) & (pl.col("end").is_null() | (pl.col("end") >= start))
                              & ~pl.col("zero_day"))
        .group_by("child", maintain_order=True)
        .agg(placements=pl.len().cast(pl.UInt32))
    )


@remember_last
def carer_spells(episodes: pl.DataFrame) -> pl.DataFrame:
    """Episodes with `carer_spell` (1, 2, ... within the child), `carer_start` (§2.6: DECOM of the earliest
    episode reached walking back while the carer does not change) and `carer_start_adoption` (for an A3-A6
    episode the walk crosses one more carer change, §6.8: the start of the spell before, in the same period of
    care; otherwise `carer_start`). A temporary (T0-T4) episode stays in the spell it interrupts; one that opens
    a period of care starts a spell of its own."""
    ep = _with_carer_breaks(episodes)
    ep = ep.with_columns(_first=first_of("child"))
    first = pl.col("_first")
    first_in_poc = pl.col("poc") != prev_in(pl.col("poc"), first)
    breaks = pl.col("_opens") | (pl.col("_temp") & first_in_poc.fill_null(True))
    ep = ep.with_columns(carer_spell=cum_sum_in(breaks.cast(pl.Int32), first)).drop("_first")
    # a child's spells are numbered in episode order: each spell's rows are together (a run)
    spell_start = first_of("child", "carer_spell")
    ep = ep.with_columns(carer_start=at_start(pl.col("decom"), spell_start),
                         _spell=(spell_start.cum_sum() - 1).cast(pl.UInt32))
    spells = per_run(ep, ["child", "carer_spell"], {"poc": ("first", pl.col("poc")),
                                                     "_start": ("first", pl.col("carer_start"))})
    before = spells.select(prev_in(pl.col("_start"), first_of("child", "poc")))
    adoptive = text("place").is_in(ADOPTION_PLACEMENTS).fill_null(False)
    return (
        ep.with_columns(_before=before.to_series().gather(ep["_spell"]))
        .with_columns(carer_start_adoption=pl.when(adoptive).then(pl.coalesce("_before", "carer_start"))
                      .otherwise(pl.col("carer_start")))
        .drop("_spell", "_before", "_temp", "_loc", "_opens")
    )


@remember_last
def _dobs(header: pl.DataFrame | None) -> pl.DataFrame:
    """`child, dob`: one date of birth per child, from the latest return (header as stacked)."""
    if header is None or header.height == 0:
        return pl.DataFrame(schema={"child": pl.String, "dob": pl.Date})
    h = prepare(header, ["child"])
    return (h.sort("year", descending=True, nulls_last=True, maintain_order=True)
            .unique("child", keep="first", maintain_order=True).select("child", "dob"))


def oc2_cohort(episodes: pl.DataFrame, header: pl.DataFrame | None, year_ending: int) -> pl.DataFrame:
    """Children continuously looked after for 12 months at 31 March (§2.7, §6.5): `child, dob, age` (at 31 March).

    Pass repaired episodes WITH short breaks. In the cohort: an episode overlapping the year, and none of: an
    RNE S start with 1 April < DECOM <= 31 March; a cessation (REC not X1, a blank REC included) with
    1 April <= DEC < 31 March (ceasing on 31 March keeps continuity); a V3/V4 episode overlapping the year."""
    s, e = _window(year_ending)
    ep = prepare(episodes)
    overlaps = (pl.col("decom") <= e) & (pl.col("dec").is_null() | (pl.col("dec") >= s))
    flags = ep.group_by("child").agg(
        any_overlap=overlaps.any(),
        started=((pl.col("rne") == "S") & (pl.col("decom") > s) & (pl.col("decom") <= e)).fill_null(False).any(),
        ceased=((pl.col("rec").ne_missing(pl.lit(X1))) & (pl.col("dec") >= s) & (pl.col("dec") < e))
        .fill_null(False).any(),
        short=(overlaps & text("ls").is_in(SHORT_BREAKS)).fill_null(False).any(),
    )
    cohort = flags.filter(pl.col("any_overlap") & ~pl.col("started") & ~pl.col("ceased") & ~pl.col("short"))
    return (cohort.select("child").join(_dobs(header), on="child", how="left")
            .with_columns(age=whole_years(pl.col("dob"), pl.lit(e)))
            .sort("child"))


def _birthday(dob: pl.Expr, year: pl.Expr) -> pl.Expr:
    """The birthday in `year`; born 29 February: 28 February in a year that is not a leap year."""
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    day = pl.when((dob.dt.month() == 2) & (dob.dt.day() == 29) & ~leap).then(28).otherwise(dob.dt.day())
    return pl.date(year, dob.dt.month(), day)


@remember_last
def final_episodes(episodes: pl.DataFrame) -> pl.DataFrame:
    """`child, final_rec, final_place, final_dec`: REC, PLACE and DEC of each child's final episode, short
    breaks left out (pass repaired episodes)."""
    return (episode_order(remove_short_breaks(episodes)).group_by("child", maintain_order=True)
            .agg(final_rec=pl.col("rec").last(), final_place=text("place").last(), final_dec=pl.col("dec").last()))


def care_leaver_cohort(episodes: pl.DataFrame, header: pl.DataFrame | None, oc3: pl.DataFrame,
                       year_ending: int) -> pl.DataFrame:
    """OC3 rows of return `year_ending` (§2.8, §6.14) with `dob` (Header, else OC3), `age` (the k with the k-th
    birthday in 1 April - 31 March), `birthday` (that date; a 29 February birthday falls on 28 February in a
    year that is not a leap year), `band` (`17-18`, `19-21`, else blank), `excluded` (blank, or `no_dob`,
    `out_of_band`, `died_or_returned_home` for IN_TOUCH DIED/RHOM, `care_transferred` when the child's final
    non-short-break episode ceased E3) and `in_cohort`."""
    rows = prepare(oc3, ["child", "in_touch", "activ", "accom"])
    if rows["year"].is_not_null().any():
        rows = rows.filter(pl.col("year") == year_ending)
    last = final_episodes(episodes).select("child", _final_rec="final_rec")
    dobs = _dobs(header).rename({"dob": "_header_dob"})
    rows = rows.join(dobs, on="child", how="left", maintain_order="left").join(
        last, on="child", how="left", maintain_order="left")
    dob = pl.coalesce("_header_dob", *(["dob"] if "dob" in rows.columns else []))
    md = pl.col("dob").dt.month().cast(pl.Int32) * 100 + pl.col("dob").dt.day().cast(pl.Int32)
    birthday_year = pl.when(md >= 401).then(year_ending - 1).otherwise(year_ending)
    rows = rows.with_columns(dob=dob).with_columns(
        age=(birthday_year - pl.col("dob").dt.year().cast(pl.Int32)).cast(pl.Int32),
        birthday=_birthday(pl.col("dob"), birthday_year.cast(pl.Int32)),
    ).with_columns(
        band=pl.when(pl.col("age").is_between(17, 18)).then(pl.lit("17-18"))
        .when(pl.col("age").is_between(19, 21)).then(pl.lit("19-21")),
    )
    excluded = (
        pl.when(pl.col("dob").is_null()).then(pl.lit("no_dob"))
        .when(pl.col("band").is_null()).then(pl.lit("out_of_band"))
        .when(text("in_touch").str.to_uppercase().is_in(["DIED", "RHOM"]).fill_null(False))
        .then(pl.lit("died_or_returned_home"))
        .when((pl.col("_final_rec") == "E3").fill_null(False)).then(pl.lit("care_transferred"))
    )
    return rows.with_columns(excluded=excluded).with_columns(
        in_cohort=pl.col("excluded").is_null()).drop("_header_dob", "_final_rec")
