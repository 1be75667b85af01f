"""Several files of one list: overlapping extracts stop the run unless merged, and repeated rows are counted by
the list's `duplicates` rule.

Two extracts of an Annex A list whose coverage overlaps (a Q3 and a Q4 extract, each a 12-month window) hold the
same events twice; appending them double-counts every event in the overlap. `--merge` takes their union
instead: a row (every typed column equal) found in several files counts as many times as the file holding it
most often has it, so two identical contacts in one file stay two. After that, rows repeating the list's `key`
are counted by its `duplicates` rule (`one_per_key`: the row from the most recent file counts, first in file
order). SSDA903 and CIN census returns are annual returns stacked by their own rules, so their coverage is not
compared; instead one collection year may come from one file per table only (`find_return_overlaps`): the same
year's SSDA903 as CSV tables and as XML, two copies of one CIN census, or two Episodes files of one year stop the
run, `--merge` or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from csc_metrics.errors import InputError
from csc_metrics.io.model import KEY, SRC, SourceInfo, TableData

if TYPE_CHECKING:
    from csc_metrics.io.formats.base import CollectionPeriod, Return

_I = "__i"


@dataclass(frozen=True)
class Overlap:
    """Two files of one list covering some of the same dates (both ends included)."""

    table: str
    title: str
    first: SourceInfo
    second: SourceInfo
    start: date
    end: date
    collection: str | None = None  # a DfE return: the collection year both files give (`2024-25`)


def find_overlaps(tables: dict[str, TableData]) -> list[Overlap]:
    """Every pair of files of the same Annex A list whose event-date coverage shares at least one day."""
    out: list[Overlap] = []
    for table_id, td in tables.items():
        if td.schema.format != "annex_a":
            continue
        for i, a in enumerate(td.sources):
            for b in td.sources[i + 1:]:
                if a.coverage is None or b.coverage is None:
                    continue
                start, end = max(a.coverage[0], b.coverage[0]), min(a.coverage[1], b.coverage[1])
                if start <= end:
                    out.append(Overlap(table_id, td.schema.title, a, b, start, end))
    return out


def find_return_overlaps(returns: list[Return]) -> list[Overlap]:
    """Every pair of files giving the same table of the same collection year of one DfE return format: stacking
    them would read that year twice (the latest-return-wins rule cannot tell two returns of one year apart)."""
    by_year: dict[tuple[str, CollectionPeriod, str], tuple[str, list[SourceInfo]]] = {}
    for r in returns:
        if r.period is None or r.format == "annex_a":
            continue
        for table_id, td in r.tables.items():
            _, sources = by_year.setdefault((r.format, r.period, table_id), (td.schema.title, []))
            sources += [s for s in td.sources if all(s is not t for t in sources)]
    return [Overlap(table_id, title, a, b, period.start, period.end, period.label)
            for (_, period, table_id), (title, sources) in by_year.items()
            for i, a in enumerate(sources) for b in sources[i + 1:]]


def overlap_error(overlaps: list[Overlap]) -> InputError:
    """The stop: both files and the dates (or collection year) of the first overlap, how many other pairs of
    files, and the ways out."""
    o = overlaps[0]
    others = len({(x.first.label, x.second.label) for x in overlaps} - {(o.first.label, o.second.label)})
    more = f"; {others} more pair(s) of files overlap the same way" if others else ""
    held = f", both holding the {o.collection} {o.title}" if o.collection else ""
    if o.first.label == o.second.label:
        it = f"; it holds the {o.collection} {o.title}" if o.collection else ""
        return InputError(f"{o.first.label} is read twice (named twice, or also inside a folder given){it}{more}",
                          "give each file once")
    if o.first.sha256 and o.first.sha256 == o.second.sha256:
        kind = "one file" if o.collection else f"one {o.title} file"
        return InputError(f"{o.first.label} and {o.second.label} are copies of {kind} (identical contents){held}"
                          f"{more}", "remove one of the copies")
    if o.collection is not None:
        return InputError(
            f"{o.first.label} and {o.second.label} both hold the {o.collection} {o.title}: reading one collection "
            f"year's return twice would count its records twice{more}",
            "give each collection year once: remove one of the two (an SSDA903 year given both as CSV tables and "
            "as XML: keep one of them); --merge does not apply to returns")
    return InputError(
        f"{o.first.label} and {o.second.label} are both {o.title} and both hold events from "
        f"{o.start.isoformat()} to {o.end.isoformat()}: counting both would count those events twice{more}",
        "pass --merge to count each event once: a row found in several files counts as often as in the file "
        "holding it most; or remove one of the files, e.g. keep only the latest extract",
    )


def _row_columns(td: TableData) -> list[str]:
    """The columns that make a row the same row: every typed column (the child's number key where read)."""
    cols = [c for c in td.schema.column_names if c in td.frame.columns]
    if KEY in td.frame.columns and td.schema.child_id in cols:
        cols = [KEY if c == td.schema.child_id else c for c in cols]
    return cols


def merge_sources(td: TableData) -> tuple[TableData, int]:
    """The union of a list's files: a row found in several files is kept as many times as the file holding it
    most often has it (the copies from the earliest file in the read order). Returns the table and the number of
    rows dropped. Row order (and so ties between rows) is kept."""
    cols = _row_columns(td)
    nth = pl.int_range(pl.len()).over([*cols, SRC]).alias("__nth")  # 0, 1, ... per identical row per file
    keep = pl.struct(*cols, "__nth").is_first_distinct()
    merged = td.frame.with_columns(nth).filter(keep).drop("__nth")
    return TableData(td.schema, merged, td.sources), td.frame.height - merged.height


def _file_order(td: TableData) -> pl.Expr:
    """Files ranked most recent first (latest coverage end; later in the read order on a tie)."""
    ends = [(s.coverage[1] if s.coverage else date.min, i) for i, s in enumerate(td.sources)]
    rank = {i: r for r, (_, i) in enumerate(sorted(ends, reverse=True))}
    return pl.col(SRC).replace_strict(rank, return_dtype=pl.UInt32)


def count_once_per_key(td: TableData) -> tuple[TableData, int]:
    """Apply a `one_per_key` list's rule: of the rows sharing a (complete) key, the one from the most recent file
    counts, first in that file; rows with a blank key part always count. Returns the table and rows dropped."""
    key = [k for k in td.schema.key if k in td.frame.columns]
    if td.schema.duplicates != "one_per_key" or not key or td.frame.is_empty():
        return td, 0
    key = [KEY if k == td.schema.child_id and KEY in td.frame.columns else k for k in key]
    hashed = pl.col(key[0]).hash(seed=0)
    for i, k in enumerate(key[1:], start=1):
        hashed = hashed ^ pl.col(k).hash(seed=i)
    if td.frame.select(hashed.n_unique()).item() == td.frame.height:
        return td, 0  # no two rows share a key (equal keys hash alike): nothing to drop, no sort
    indexed = td.frame.with_row_index(_I)
    blank = pl.any_horizontal(pl.col(k).is_null() for k in key)
    ranked = indexed.select(_I, SRC, *key).sort(_file_order(td), pl.col(_I))  # only the columns the rule needs
    kept = ranked.filter(blank | pl.struct(key).is_first_distinct()).get_column(_I)
    if kept.len() == td.frame.height:
        return td, 0
    frame = indexed.filter(pl.col(_I).is_in(kept.implode())).drop(_I)
    return TableData(td.schema, frame, td.sources), td.frame.height - frame.height


def resolve_overlaps(tables: dict[str, TableData], merge: bool,
                     returns: list[Return] | None = None) -> list[dict[str, Any]]:
    """Stop on two files of one collection year of a DfE return (`returns`, always), on overlapping files of
    one list, or (with `merge`) replace each such list by the union of its files.
    Returns one record per merged list: {table, files, rows_dropped}."""
    twice = find_return_overlaps(returns or [])
    if twice:
        raise overlap_error(twice)
    overlaps = find_overlaps(tables)
    if overlaps and not merge:
        raise overlap_error(overlaps)
    merged: list[dict[str, Any]] = []
    for table_id in dict.fromkeys(o.table for o in overlaps):
        tables[table_id], dropped = merge_sources(tables[table_id])
        merged.append({"table": table_id, "files": [s.label for s in tables[table_id].sources],
                       "rows_dropped": dropped})
    return merged


def apply_duplicate_rules(tables: dict[str, TableData]) -> list[dict[str, Any]]:
    """Count repeated rows by each list's `duplicates` rule, in place. Returns {table, rule, rows_dropped} for
    every list where the rule dropped rows."""
    out: list[dict[str, Any]] = []
    for table_id, td in tables.items():
        tables[table_id], dropped = count_once_per_key(td)
        if dropped:
            out.append({"table": table_id, "rule": td.schema.duplicates, "rows_dropped": dropped})
    return out
