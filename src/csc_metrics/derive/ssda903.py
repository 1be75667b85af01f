"""SSDA903 derivations (returns.md §2.1-§2.8, §6): stacking several returns, episode repair, periods of care,
short breaks, placements, carer spells, the OC2 and care-leaver cohorts, and findings as diagnostics.

Pure functions over polars frames with the canonical lower-case columns (`child, decom, rne, ...`), dates as
`pl.Date`, codes as text (categorical or enum accepted), `year` (Int32, the collection year ending) and the
reader's `__src`/`__row` provenance, which every derived row that maps to an input row carries through.
A typical pipeline: `stack_returns` -> `repair_episodes` -> `remove_short_breaks` -> `periods_of_care`,
`placements` / `count_placements`, `carer_spells`; `oc2_cohort` takes the repaired episodes with short breaks.
Decisions where the specification is silent are in docs/returns-derived.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from csc_metrics.derive.ssda903_care import (
    care_leaver_cohort,
    carer_spells,
    count_placements,
    oc2_cohort,
    open_at,
    periods_of_care,
    placements,
    remove_short_breaks,
    with_periods,
)
from csc_metrics.derive.ssda903_common import (
    EPISODES,
    FINDING_SCHEMA,
    HEADER,
    RULES,
    child_key,
    concat_findings,
    empty_findings,
    notes,
    prepare,
)
from csc_metrics.derive.ssda903_repair import repair_episodes
from csc_metrics.diagnostics import Diagnostic, Severity
from csc_metrics.io.model import ROW, SRC, SourceInfo

__all__ = [
    "DEDUPLICATE_ON", "FINDING_SCHEMA", "PER_RETURN", "care_leaver_cohort", "carer_spells", "count_placements",
    "findings_to_diagnostics", "oc2_cohort", "open_at", "periods_of_care", "placements", "remove_short_breaks",
    "repair_episodes", "stack_returns", "with_periods",
]

# Tables other than Episodes and Header: natural key -> one row per key, the latest return winning (§6 15, 18,
# 19; the rest are decisions, docs/returns-derived.md). PER_RETURN tables keep every return's rows: measures use
# the rows of return Y only (§6 14, 16; AD1 lists the children adopted in that year).
DEDUPLICATE_ON: dict[str, list[str]] = {
    "ssda903_uasc": ["child"],
    "ssda903_missing": ["child", "mis_start", "missing"],
    "ssda903_sw_episodes": ["child", "sw_id", "sw_decom"],
    "ssda903_reviews": ["child", "review"],
    "ssda903_placed_adoption": ["child", "date_placed"],
    "ssda903_prev_perm": ["child"],
    "ssda903_dolo": ["child", "dolo_start"],
}
PER_RETURN = ("ssda903_oc2", "ssda903_oc3", "ssda903_ad1")


def stack_returns(
    returns: list[tuple[int, dict[str, pl.DataFrame]]],
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Several years' returns (collection year ending, table id -> frame) as one set of tables, and findings.

    Episodes (§2.1, §6.3): key (child, DECOM, DEC = DECOM); the row from the latest return wins unconditionally;
    duplicates within one return are left to `repair_episodes` (R1, R2). A later return is authoritative for a
    child's history from the first DECOM it holds for that child: an earlier return's episode on or after that
    date that the later return no longer holds is dropped and reported. Header: the latest return's row per
    child; a date of birth that differs between returns is reported on the earlier row. Other tables: see
    `DEDUPLICATE_ON` and `PER_RETURN`; a table not listed there is stacked whole."""
    by_table: dict[str, list[pl.DataFrame]] = {}
    for year, tables in returns:
        for table_id, frame in tables.items():
            if "year" in frame.columns:
                frame = frame.with_columns(pl.col("year").cast(pl.Int32).fill_null(year))
            else:
                frame = frame.with_columns(year=pl.lit(year, pl.Int32))
            by_table.setdefault(table_id, []).append(frame)
    out: dict[str, pl.DataFrame] = {}
    found: list[pl.DataFrame] = []
    for table_id, frames in by_table.items():
        frame = pl.concat(frames, how="diagonal_relaxed")
        if table_id == EPISODES:
            frame, notes_ = _stack_episodes(frame)
            found.append(notes_)
        elif table_id == HEADER:
            frame, notes_ = _stack_header(frame)
            found.append(notes_)
        elif table_id in DEDUPLICATE_ON:
            frame = _latest(prepare(frame, ["child"]), DEDUPLICATE_ON[table_id])
        out[table_id] = frame
    return out, concat_findings(found)


def _latest(frame: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """One row per key: the latest return's, then the first in file order."""
    by = child_key(frame)
    key = [by if k == "child" else k for k in key if k in frame.columns]
    ordered = frame.sort(["year", SRC, ROW], descending=[True, False, False], nulls_last=True, maintain_order=True)
    return ordered.filter(pl.struct(key).is_first_distinct())  # the first row of each key, in order


def _stack_episodes(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    ep = prepare(frame, ["child"]).with_row_index("_i")
    by = child_key(ep)
    keyed = pl.col("child").is_not_null() & pl.col("decom").is_not_null()
    zero = (pl.col("dec") == pl.col("decom")).fill_null(False)
    superseded = keyed & (pl.col("year") < pl.col("year").max().over([by, "decom", zero]))
    ep = ep.filter(~superseded.fill_null(False))
    firsts = (ep.filter(keyed).group_by([by, "year"])
              .agg(_first=pl.col("decom").min()).rename({"year": "_later"}))
    dropped = (
        ep.filter(keyed).select("_i", by, "year", "decom")
        .join(firsts, on=by)
        .filter((pl.col("_later") > pl.col("year")) & (pl.col("_first") <= pl.col("decom")))
        .select("_i").unique()
    )
    gone = ep.join(dropped, on="_i", how="semi")
    kept = ep.join(dropped, on="_i", how="anti", maintain_order="left")
    return kept.drop("_i"), notes(gone, "stack")


def _stack_header(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    h = prepare(frame, ["child"])
    if "child" not in h.columns:
        return h, empty_findings()
    h = h.sort(["year", SRC, ROW], descending=[True, False, False], nulls_last=True, maintain_order=True)
    by = child_key(h)
    keyed = pl.col("child").is_not_null()
    h = h.with_columns(_later=pl.when(keyed).then(~pl.col(by).is_first_distinct()))  # not the child's first
    if "dob" in h.columns:
        latest_dob = pl.col("dob").first().over(by)
        differs = keyed & pl.col("_later") & (pl.col("dob") != latest_dob).fill_null(False)
        found = notes(h.filter(differs), "dob", table=HEADER, field="dob")
    else:
        found = empty_findings()
    return h.filter(pl.col("_later").is_null() | ~pl.col("_later")).drop("_later"), found


def findings_to_diagnostics(
    findings: pl.DataFrame,
    sources_by_year: Mapping[int, Sequence[SourceInfo] | Mapping[str, Sequence[SourceInfo]]],
) -> list[Diagnostic]:
    """One `Diagnostic` (warning) per finding, located by file (the `SourceInfo` at index `__src` of that year's
    return), row (`__row`) and, where a column was changed, its letter. `sources_by_year` maps a collection year
    to the source list of its Episodes table, or to {table id: source list} for findings on several tables."""
    out: list[Diagnostic] = []
    for f in findings.iter_rows(named=True):  # one row per repair: bounded by the data's defects, not its size
        code = f["code"]
        hint = next((h for c, _, h in RULES.values() if c == code), None)
        src = _source(sources_by_year, f.get("year"), f.get("table") or EPISODES, f.get(SRC))
        column = src.letter(f["field"]) if src is not None and f.get("field") else None
        elements = getattr(src, "elements", None)  # an XML source: the row's line -> its element path
        element = elements.get(f.get(ROW), "?") if isinstance(elements, dict) else None
        out.append(Diagnostic(
            code=code, severity=Severity.WARNING, message=f["message"], hint=hint,
            file=src.path if src else None, sheet=src.sheet if src else None, line=f.get(ROW),
            column=None if element else column, element=element, field=f.get("field"),
        ))
    return out


def _source(sources_by_year: Mapping, year: int | None, table: str, index: int | None) -> SourceInfo | None:
    if year is None or index is None or year not in sources_by_year:
        return None
    sources = sources_by_year[year]
    if isinstance(sources, Mapping):
        sources = sources.get(table, [])
    return sources[index] if 0 <= index < len(sources) else None
