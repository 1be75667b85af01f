"""Shared pieces of the SSDA903 derivations: episode columns, provenance, the findings frame, repair codes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import polars as pl

from csc_metrics.io.model import KEY, ROW, SRC

EPISODES = "ssda903_episodes"
HEADER = "ssda903_header"
# the 13 DfE Episodes fields, lower-cased (R1 compares all of them)
EPISODE_FIELDS = ["child", "decom", "rne", "ls", "cin", "place", "place_provider", "dec", "rec",
                  "reason_place_change", "home_post", "pl_post", "urn"]
TEXT_FIELDS = [c for c in EPISODE_FIELDS if c not in ("decom", "dec")]
TEMPORARY = ["T0", "T1", "T2", "T3", "T4"]  # temporary placements (§2.5 rule 2)
SHORT_BREAKS = ["V3", "V4"]
ADOPTION_PLACEMENTS = ["A3", "A4", "A5", "A6"]
RNE_CODES = ["S", "L", "P", "T", "B", "U"]
NEW_CARER_RNE = ["S", "P", "B"]  # RNE codes that change carer; L, T and U keep the carer (§2.5, §2.6)
X1 = "X1"  # episode ceased, a new one began the same day: still in care
UNK = "UNK"  # ceased, reason unknown (§2.2; LIIA's E99 means the same)

FINDING_SCHEMA: dict[str, pl.DataType] = {
    "code": pl.String(), "rule": pl.String(), "message": pl.String(), SRC: pl.UInt16(), ROW: pl.UInt32(),
    "year": pl.Int32(), "table": pl.String(), "field": pl.String(),
}
"""Findings (stacking) and repairs: `code, rule, message, __src, __row, year` (the agreed columns) plus `table`
(the table the row is in) and `field` (the column changed, if one) so that diagnostics can name file, row and
column. Messages never carry child ids or values."""

# rule -> (code, message, hint); codes registered in csc_metrics.diagnostics.CODES
RULES: dict[str, tuple[str, str, str]] = {
    "R0": ("CSC230", "episode dropped: no child id or no valid start date (DECOM)",
           "fill CHILD and DECOM (dd/mm/yyyy) in the Episodes table"),
    "R1": ("CSC231", "duplicate episode removed (identical to another row)",
           "delete the repeated row from the Episodes table"),
    "R2": ("CSC232", "another version of the same episode (same child, start date) kept: latest return, then "
                     "the one with an end date, then the later end date",
           "keep one row per child and DECOM"),
    "R3": ("CSC233", "open episode (no DEC) carries a reason for ceasing (REC); REC ignored",
           "blank REC on open episodes, or fill DEC"),
    "R4": ("CSC234", "episode ends before it starts; DEC set to DECOM (zero-length episode)",
           "correct DEC or DECOM"),
    "R5": ("CSC235", "episode ends after 31 March of its collection year; read as open at 31 March for that year",
           "a DEC after the year end belongs in next year's return: blank it (with REC)"),
    "R6": ("CSC236", "episode open or overlapping while a later episode exists; DEC set from the next episode "
                     "(REC X1 if it continues, UNK if the next one starts a new period of care)",
           "close each episode on the day the next begins"),
    "R7": ("CSC237", "REC X1 but the next episode starts later; bridged to the next start if that is not a new "
                     "period of care, else REC set to UNK",
           "X1 means a new episode begins the same day: fix DEC or REC"),
    "R8": ("CSC238", "REC X1 on the child's last episode; REC set to UNK (ceased, reason unknown)",
           "record the reason the child left care, or blank DEC if still looked after"),
    "R9": ("CSC239", "episode ceased but the next continues the same day without RNE S; REC read as X1",
           "use REC X1 when a new episode begins the same day"),
    "R10": ("CSC240", "episode after a cessation and a gap has RNE other than S; read as a new period of care (S)",
            "a return to care starts with RNE S"),
    "R11": ("CSC241", "RNE S on an episode that continues an X1 the same day; read as P (placement changed) or "
                      "L (legal status only)",
            "use RNE L, P, T, B or U for a new episode within a period of care"),
    "R12": ("CSC242", "episode still open but the child is absent from a later return; closed at 31 March of the "
                      "child's last return with REC UNK",
            "include every child looked after in each year's return, or close the episode"),
    "stack": ("CSC243", "episode of an earlier return not held by a later return that covers that date; dropped",
              "a later return is authoritative for the history it holds: resubmit the episode if it is real"),
    "dob": ("CSC244", "date of birth differs between Header rows of the same child; the latest return's (its "
                      "first row) is used",
            "correct DOB in the Header so that every return gives one date of birth"),
}


F = TypeVar("F", bound=Callable[..., Any])


def remember_last(fn: F) -> F:
    """`fn` that returns its last result again when called with the very same first argument (`is`, not
    equality; any further arguments must not change the result): a run derives several tables from one
    Episodes frame, and each step (repair, short breaks, periods of care, carer breaks) is then worked out
    once, not once per table. The frame is held, so `is` cannot match a new one; frames are immutable, so
    sharing the result is safe."""
    last: list[tuple[Any, Any]] = []

    @functools.wraps(fn)
    def wrapper(frame: Any, *args: Any) -> Any:
        if last and last[0][0] is frame:
            return last[0][1]
        result = fn(frame, *args)
        last[:] = [(frame, result)]
        return result

    return wrapper  # type: ignore[return-value]


def child_key(frame: pl.DataFrame) -> str:
    """The column to group, deduplicate and join children by: the reader's Int64 `KEY` when every row with a
    child id has it (the ids are plain whole numbers: equal keys are equal ids), else `child` (text). Only
    for grouping: sorting by it would not order as the text does."""
    if frame.schema.get(KEY) != pl.Int64 or "child" not in frame.columns:
        return "child"
    same = frame.select((pl.col(KEY).is_null() == pl.col("child").is_null()).all()).item()
    return KEY if same else "child"


def empty_findings() -> pl.DataFrame:
    return pl.DataFrame(schema=FINDING_SCHEMA)


def text(col: str) -> pl.Expr:
    """A code column as text (categorical and enum columns compared as strings)."""
    return pl.col(col).cast(pl.String)


def prepare(frame: pl.DataFrame, fields: list[str] | None = None) -> pl.DataFrame:
    """Code columns as text, and the provenance columns `__src`, `__row`, `year` present (null when absent)."""
    fields = TEXT_FIELDS if fields is None else fields
    casts = [text(c) for c in fields if c in frame.columns and frame.schema[c] != pl.String]
    missing = [pl.lit(None, dtype).alias(c) for c, dtype in ((SRC, pl.UInt16), (ROW, pl.UInt32), ("year", pl.Int32))
               if c not in frame.columns]
    out = frame.with_columns(*casts, *missing) if casts or missing else frame
    if out.schema["year"] != pl.Int32:
        out = out.with_columns(pl.col("year").cast(pl.Int32))
    return out


def notes(rows: pl.DataFrame, rule: str, table: str = EPISODES, field: str | None = None) -> pl.DataFrame:
    """One finding per row of `rows` for `rule`."""
    code, message, _ = RULES[rule]
    return rows.select(
        pl.lit(code, pl.String).alias("code"), pl.lit(rule, pl.String).alias("rule"),
        pl.lit(message, pl.String).alias("message"), pl.col(SRC).cast(pl.UInt16), pl.col(ROW).cast(pl.UInt32),
        pl.col("year").cast(pl.Int32), pl.lit(table, pl.String).alias("table"),
        pl.lit(field, pl.String).alias("field"),
    )


def concat_findings(parts: list[pl.DataFrame]) -> pl.DataFrame:
    parts = [p for p in parts if p.height]
    return pl.concat(parts, how="vertical") if parts else empty_findings()


ORDER = ["child", "decom", "dec"]


def episode_order(frame: pl.DataFrame) -> pl.DataFrame:
    """A child's episodes in time order: by DECOM, a zero-length episode before one starting the same day.
    A frame already in that order is returned as it is (what the stable sort would return)."""
    if _in_order(frame, ORDER):
        return frame
    return frame.sort(ORDER, nulls_last=True, maintain_order=True)


def _in_order(frame: pl.DataFrame, keys: list[str]) -> bool:
    """Every row at or before the next by `keys` (ascending, nulls last), text keys compared as the sort does."""
    if frame.height < 2:
        return True
    if not all(k in frame.columns and (frame.schema[k] == pl.String or frame.schema[k].is_temporal()
                                       or frame.schema[k].is_numeric()) for k in keys):
        return False
    ok: pl.Expr = pl.lit(True)  # every key equal: in order (a stable sort keeps them)
    for k in reversed(keys):
        here, nxt = pl.col(k), pl.col(k).shift(-1)
        after = (here.is_not_null() & nxt.is_null()) | (nxt > here).fill_null(False)
        ok = after | (here.eq_missing(nxt) & ok)
    return bool(frame.select(ok.head(frame.height - 1).all()).item())


# ---- windows over a frame sorted by its group key: a shift, cumulative sum or fill that stops at the group's
# first row. The same values as `.over(key)`, which on ~100,000 small groups is 10-100 times slower (and
# nested inside another `.over` evaluates once per group).


def first_of(*keys: str) -> pl.Expr:
    """True on the first row of each run of equal `keys` (nulls equal), the frame sorted by them."""
    new = pl.int_range(pl.len()) == 0
    for k in keys:
        new = new | pl.col(k).ne_missing(pl.col(k).shift(1))
    return new


def last_of(first: pl.Expr) -> pl.Expr:
    """True on the last row of each run, given `first` (`first_of`): the row before the next run's first."""
    return first.shift(-1, fill_value=True)


def per_run(frame: pl.DataFrame, keys: list[str], aggs: dict[str, tuple[str, pl.Expr | None]]) -> pl.DataFrame:
    """One row per run of equal `keys` (nulls equal) in a frame sorted by them: the keys, then each named
    aggregate, `("first", e)` / `("last", e)` (`e` on the run's first / last row) or `("len", ...)` (its rows,
    UInt32). The rows of `group_by(keys, maintain_order=True)` when each key's rows are together, without
    hashing the keys."""
    start = first_of(*keys)
    marked = frame.with_columns(_start=start, _end=last_of(start),
                                _i=pl.int_range(pl.len(), dtype=pl.UInt32))
    def on(row: str) -> list[pl.Expr]:
        return [e.alias(n) for n, (how, e) in aggs.items() if how == row and e is not None]

    head = marked.filter("_start").select(*keys, *on("first"), _i0="_i")
    tail = marked.filter("_end").select(*on("last"), _i1="_i")
    out = pl.concat([head, tail], how="horizontal")
    lens = {n: (pl.col("_i1") - pl.col("_i0") + 1).cast(pl.UInt32).alias(n) for n, (how, _) in aggs.items()
            if how == "len"}
    return out.select(*keys, *(lens.get(n, pl.col(n)) for n in aggs))


def at_start(e: pl.Expr, first: pl.Expr) -> pl.Expr:
    """`e` on the first row of the group, on every row of it: `e.first().over(key)`."""
    return e.gather(pl.when(first).then(pl.int_range(pl.len(), dtype=pl.UInt32)).forward_fill())


def prev_in(e: pl.Expr, first: pl.Expr) -> pl.Expr:
    """`e` on the previous row of the same group (null on a group's first row): `e.shift(1).over(key)`."""
    return pl.when(~first).then(e.shift(1))


def cum_sum_in(e: pl.Expr, first: pl.Expr) -> pl.Expr:
    """The running sum of `e` (an Int32 without nulls) within the group: `e.cum_sum().over(key)`."""
    total = e.cum_sum()
    return (total - pl.when(first).then(total - e).forward_fill()).cast(pl.Int32)


def forward_fill_in(e: pl.Expr, first: pl.Expr) -> pl.Expr:
    """`e` with each null taken from the last non-null before it in the same group: `e.forward_fill().over(key)`."""
    row = pl.int_range(pl.len(), dtype=pl.UInt32)
    last = pl.when(e.is_not_null()).then(row).forward_fill()
    start = pl.when(first).then(row).forward_fill()
    return pl.when(last >= start).then(e.gather(last.fill_null(0)))
