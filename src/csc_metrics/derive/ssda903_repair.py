"""SSDA903 episode repair, rules R0-R12 of returns.md §2.2 (with §6.3, §6.4): one finding per repair.

Each rule is one vectorised step over every child at once (the "next" episode is a `shift(-1)` within the
child); the steps run in the order of the table, each on the result of the one before, which is the same as
applying them child by child in order."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from csc_metrics.derive.ssda903_common import (
    EPISODE_FIELDS,
    UNK,
    X1,
    concat_findings,
    episode_order,
    notes,
    prepare,
    remember_last,
    text,
)
from csc_metrics.io.model import ROW, SRC

_NEXT = {"nxt_decom": "decom", "nxt_rne": "rne", "nxt_place": "place", "nxt_urn": "urn", "nxt_pl_post": "pl_post"}


def _with_next(ep: pl.DataFrame) -> pl.DataFrame:
    """Add the next episode's DECOM, RNE, PLACE, URN and PL_POST (null on a child's last episode)."""
    return ep.drop([c for c in _NEXT if c in ep.columns]).with_columns(
        _next(pl.col(src)).alias(name) for name, src in _NEXT.items()
    )


def _next(e: pl.Expr) -> pl.Expr:
    """`e` on the same child's next episode (the frame is in episode order), else null: a shift, not a window
    over the child, which is much faster on many children."""
    return pl.when(pl.col("child").shift(-1) == pl.col("child")).then(e.shift(-1))


def _prev(e: pl.Expr) -> pl.Expr:
    """`e` on the same child's previous episode, else null."""
    return pl.when(pl.col("child").shift(1) == pl.col("child")).then(e.shift(1))


def _ensure(ep: pl.DataFrame) -> pl.DataFrame:
    """Every Episodes column the rules read, present (null when the table lacks it)."""
    absent = [pl.lit(None, pl.Date if c in ("decom", "dec") else pl.String).alias(c)
              for c in EPISODE_FIELDS if c not in ep.columns]
    return ep.with_columns(absent) if absent else ep


@remember_last  # a run repairs its Episodes once (for the read's diagnostics, then for each derived table)
def repair_episodes(episodes: pl.DataFrame, header: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Repaired episodes (same columns, sorted by child and DECOM) and one finding per repair (R0-R12).

    `episodes` is the (stacked) Episodes table with `year` (the return each row came from), `__src`, `__row`.
    R5 changes nothing (it is a reading rule: a DEC after 31 March of the year being computed is open at that
    31 March, see `open_at`), but each DEC after the end of its own return's year is reported. `header` is part
    of the agreed signature; R0-R12 do not need it (children missing from Header are reported by `validate`).
    Repairing the frame of the call before again returns that result."""
    del header
    return _repair(episodes)


def _repair(episodes: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    ep = _ensure(prepare(episodes))
    columns = ep.columns
    found: list[pl.DataFrame] = []

    # R0: no child id, or no valid DECOM (the reader nulls an unparseable date)
    bad = pl.col("child").is_null() | (pl.col("child").str.strip_chars() == "") | pl.col("decom").is_null()
    found.append(notes(ep.filter(bad), "R0"))
    ep = ep.filter(~bad)

    # the rules run in order; a repair can re-create an earlier rule's defect (R6 closing an open episode as a
    # zero-length one on the day another zero-length episode starts: R2 again), so repeat until nothing changes
    # (a pass that repairs nothing leaves the next with nothing to do: R1 and R2 found no two rows alike, so the
    # episode order has no ties and the next pass sees the same rows in the same order)
    for first in (True, False, False):
        before = ep
        ep, step = _pass(ep, first)
        found.append(step)
        if step.is_empty() or (not first and ep.equals(before)):
            break
    return ep.select(columns), concat_findings(found)


def _pass(ep: pl.DataFrame, first: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """R1-R12 once, in order, over every child (R5 is reported on the first pass only)."""
    columns = ep.columns
    found: list[pl.DataFrame] = []
    # R1: identical rows (all 13 fields) -> keep the first (latest return, then file order)
    ep = ep.sort(["year", SRC, ROW], descending=[True, False, False], nulls_last=True, maintain_order=True)
    ep = ep.with_columns(_dup=~pl.struct(EPISODE_FIELDS).is_first_distinct())
    found.append(notes(ep.filter(pl.col("_dup")), "R1"))
    ep = ep.filter(~pl.col("_dup")).drop("_dup")

    # R2: same key (child, DECOM, zero-length or not: §6.3) with different content -> §2.1 precedence
    zero = (pl.col("dec") == pl.col("decom")).fill_null(False)
    ep = ep.sort(["year", "dec"], descending=[True, True], nulls_last=True, maintain_order=True)
    ep = ep.with_columns(_zero=zero).with_columns(_loser=~pl.struct("child", "decom", "_zero").is_first_distinct())
    found.append(notes(ep.filter(pl.col("_loser")), "R2"))
    ep = ep.filter(~pl.col("_loser")).drop("_zero", "_loser")

    # R3: open episode with a REC -> REC ignored
    r3 = pl.col("dec").is_null() & pl.col("rec").is_not_null()
    found.append(notes(ep.filter(r3), "R3", field="rec"))
    ep = ep.with_columns(rec=pl.when(r3).then(None).otherwise(pl.col("rec")))

    # R4: DEC before DECOM -> zero-length
    r4 = (pl.col("dec") < pl.col("decom")).fill_null(False)
    found.append(notes(ep.filter(r4), "R4", field="dec"))
    ep = ep.with_columns(dec=pl.when(r4).then(pl.col("decom")).otherwise(pl.col("dec")))

    if first:  # R5 (reported only): DEC after 31 March of the row's own collection year
        year_end = pl.date(pl.col("year"), 3, 31)
        found.append(notes(ep.filter((pl.col("dec") > year_end).fill_null(False)), "R5", field="dec"))

    ep = _with_next(episode_order(ep))
    has_next = pl.col("nxt_decom").is_not_null()
    next_s = (pl.col("nxt_rne") == "S").fill_null(False)
    is_x1 = (pl.col("rec") == X1).fill_null(False)

    # R6: open, or ending after the next one starts, while a later episode exists
    r6 = has_next & (pl.col("dec").is_null() | (pl.col("dec") > pl.col("nxt_decom")))
    was_open = pl.col("dec").is_null()
    found.append(notes(ep.filter(r6), "R6", field="dec"))
    ep = ep.with_columns(
        dec=pl.when(r6 & was_open & next_s)
        .then(pl.max_horizontal(pl.col("decom"), pl.col("nxt_decom") - timedelta(days=1)))
        .when(r6).then(pl.col("nxt_decom")).otherwise(pl.col("dec")),
        rec=pl.when(r6 & was_open).then(pl.when(next_s).then(pl.lit(UNK)).otherwise(pl.lit(X1)))
        .otherwise(pl.col("rec")),
    )

    # R7: X1 with a gap before the next episode
    r7 = is_x1 & (pl.col("nxt_decom") > pl.col("dec")).fill_null(False)
    found.append(notes(ep.filter(r7), "R7", field="dec"))
    ep = ep.with_columns(
        dec=pl.when(r7 & ~next_s).then(pl.col("nxt_decom")).otherwise(pl.col("dec")),
        rec=pl.when(r7 & next_s).then(pl.lit(UNK)).otherwise(pl.col("rec")),
    )

    # R8: X1 on the last episode, DEC present
    r8 = is_x1 & ~has_next & pl.col("dec").is_not_null()
    found.append(notes(ep.filter(r8), "R8", field="rec"))
    ep = ep.with_columns(rec=pl.when(r8).then(pl.lit(UNK)).otherwise(pl.col("rec")))

    ceased = pl.col("rec").is_not_null() & (pl.col("rec") != X1)
    # R9: ceased, but the next episode (not S) begins the same day -> continuous
    r9 = ceased & (pl.col("nxt_decom") == pl.col("dec")).fill_null(False) & ~next_s
    found.append(notes(ep.filter(r9), "R9", field="rec"))
    ep = ep.with_columns(rec=pl.when(r9).then(pl.lit(X1)).otherwise(pl.col("rec")))

    # R10: ceased, a gap, the next episode is not S -> the next one starts a new period of care
    ceased = pl.col("rec").is_not_null() & (pl.col("rec") != X1)
    r10 = _prev(ceased & (pl.col("nxt_decom") > pl.col("dec")).fill_null(False) & ~next_s)
    r10 = r10.fill_null(False)
    found.append(notes(ep.filter(r10), "R10", field="rne"))
    ep = ep.with_columns(rne=pl.when(r10).then(pl.lit("S")).otherwise(pl.col("rne")))

    # R11: X1 and the next episode begins the same day but says S -> P if the placement changed, else L
    ep = _with_next(ep)
    is_x1 = (pl.col("rec") == X1).fill_null(False)
    next_s = (pl.col("nxt_rne") == "S").fill_null(False)
    r11_here = is_x1 & (pl.col("nxt_decom") == pl.col("dec")).fill_null(False) & next_s
    moved_here = (pl.col("nxt_place").ne_missing(pl.col("place")) | pl.col("nxt_urn").ne_missing(pl.col("urn"))
                  | _postcode("nxt_pl_post").ne_missing(_postcode("pl_post")))
    ep = ep.with_columns(_r11=_prev(r11_here).fill_null(False), _moved=_prev(moved_here).fill_null(False))
    found.append(notes(ep.filter(pl.col("_r11")), "R11", field="rne"))
    ep = ep.with_columns(rne=pl.when(pl.col("_r11")).then(pl.when(pl.col("_moved")).then(pl.lit("P"))
                                                           .otherwise(pl.lit("L"))).otherwise(pl.col("rne")))

    # R12: still open, but the child is absent from a later loaded return (§6.4)
    last_year = pl.col("year").max().over("child")
    latest = pl.col("year").max()
    r12 = pl.col("dec").is_null() & pl.col("nxt_decom").is_null() & (last_year < latest).fill_null(False)
    ep = ep.with_columns(_r12=r12, _close=pl.date(last_year, 3, 31))
    found.append(notes(ep.filter(pl.col("_r12")), "R12", field="dec"))
    ep = ep.with_columns(
        dec=pl.when(pl.col("_r12")).then(pl.max_horizontal("decom", "_close")).otherwise(pl.col("dec")),
        rec=pl.when(pl.col("_r12")).then(pl.lit(UNK)).otherwise(pl.col("rec")),
    )
    return episode_order(ep.select(columns)), concat_findings(found)


def _postcode(col: str) -> pl.Expr:
    """A postcode compared without spaces and case."""
    return text(col).str.replace_all(r"\s+", "").str.to_uppercase()
