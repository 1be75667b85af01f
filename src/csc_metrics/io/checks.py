"""Data-quality checks on typed tables: duplicates, end before start, future dates, dates before birth,
over-25s and conflicting dates of birth across lists. Each check is a polars filter; only findings reach Python."""

from __future__ import annotations

from datetime import date

import polars as pl

from csc_metrics.dates import whole_years
from csc_metrics.diagnostics import Diagnostic
from csc_metrics.io.diagnose import rows_to_diagnostics
from csc_metrics.io.model import ROW, SRC, TableData
from csc_metrics.spec.tables import ColumnType

MAX_AGE = 25


def _header(table: TableData, name: str) -> str:
    col = table.schema.column(name)
    return col.header if col else name


def _present(table: TableData, name: str | None) -> bool:
    """The column exists in the schema and at least one source had it."""
    return bool(name) and table.schema.column(name) is not None and any(s.letter(name) for s in table.sources)


def check_table(table: TableData, today: date | None = None) -> list[Diagnostic]:
    today = today or date.today()
    return [*_duplicates(table), *_date_pairs(table), *_future(table, today), *_before_birth(table), *_over_25(table)]


def _duplicates(table: TableData) -> list[Diagnostic]:
    key = [k for k in table.schema.key if table.schema.column(k) is not None]
    if not key or not all(_present(table, k) for k in key) or table.frame.is_empty():
        return []
    # hash first (cheap), then work exactly on the few rows whose hashes repeat
    hashes = table.frame.select(pl.struct(key).hash().alias("h"))["h"]
    ordered = hashes.sort()
    repeated = ordered.filter(ordered == ordered.shift(1))  # a sort is much cheaper than a hash table here
    if repeated.is_empty():
        return []
    f = table.frame.with_row_index("__i").filter(hashes.is_in(repeated.unique().implode()))
    f = f.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in key))
    f = f.with_columns(pl.col("__i").min().over(key).alias("__first"))
    dups = f.filter(pl.col("__i") != pl.col("__first"))
    if dups.is_empty():
        return []
    firsts = f.select(pl.col("__i").alias("__first"), pl.col(SRC).alias("__fsrc"), pl.col(ROW).alias("__frow"))
    dups = dups.join(firsts, on="__first", how="left")
    names = {i: s.path + (f" [{s.sheet}]" if s.sheet else "") for i, s in enumerate(table.sources)}
    dups = dups.with_columns(
        pl.when(pl.col("__fsrc") == pl.col(SRC)).then(pl.format("row {}", pl.col("__frow")))
        .otherwise(pl.format("row {} of {}", pl.col("__frow"),
                             pl.col("__fsrc").replace_strict(names, return_dtype=pl.String)))
        .alias("detail"),
        pl.col(key[-1]).alias("value"),
    )
    keys = ", ".join(f"`{_header(table, k)}`" for k in key)
    return rows_to_diagnostics(dups.select(SRC, ROW, "value", "detail"), table.sources, code="CSC204", field=key[-1],
                               message=f"duplicate row: same {keys} as {{detail}}",
                               hint="remove the repeated row, or check whether two different events were merged")


def _date_pairs(table: TableData) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for pair in table.schema.date_pairs:
        if not (_present(table, pair.start) and _present(table, pair.end)):
            continue
        bad = table.frame.filter(pl.col(pair.end) < pl.col(pair.start))
        if bad.is_empty():
            continue
        bad = bad.select(SRC, ROW, pl.col(pair.end).alias("value"))
        out += rows_to_diagnostics(bad, table.sources, code="CSC205", field=pair.end,
                                   message=f"`{_header(table, pair.end)}` is before `{_header(table, pair.start)}`",
                                   hint="check both dates in the source system")
    return out


def _date_columns(table: TableData) -> list[str]:
    return [c.name for c in table.schema.columns if c.type is ColumnType.DATE and _present(table, c.name)]


def _future(table: TableData, today: date) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for name in _date_columns(table):
        bad = table.frame.filter(pl.col(name) > today)
        if not bad.is_empty():
            out += rows_to_diagnostics(bad.select(SRC, ROW, pl.col(name).alias("value")), table.sources,
                                       code="CSC206", field=name, message=f"`{_header(table, name)}` is in the future",
                                       hint="check the date; future dates are usually typing errors")
    return out


def _before_birth(table: TableData) -> list[Diagnostic]:
    dob = table.schema.date_of_birth
    if not _present(table, dob):
        return []
    out: list[Diagnostic] = []
    for name in _date_columns(table):
        if name == dob:
            continue
        bad = table.frame.filter(pl.col(name) < pl.col(dob))
        if not bad.is_empty():
            bad = bad.select(SRC, ROW, pl.col(name).alias("value"))
            out += rows_to_diagnostics(bad, table.sources, code="CSC207", field=name,
                                       message=f"`{_header(table, name)}` is before the child's date of birth",
                                       hint="check the date and the date of birth")
    return out


def _over_25(table: TableData) -> list[Diagnostic]:
    dob, event, age = table.schema.date_of_birth, table.schema.event_date, table.schema.age_years
    out: list[Diagnostic] = []
    has_dob = _present(table, dob)
    if has_dob and _present(table, event):
        bad = (table.frame.lazy().select(SRC, ROW, pl.col(dob).alias("value"),
                                         whole_years(pl.col(dob), pl.col(event)).alias("age"))
               .filter(pl.col("age") > MAX_AGE).collect())
        if not bad.is_empty():
            bad = bad.select(SRC, ROW, "value")
            out += rows_to_diagnostics(bad, table.sources, code="CSC208", field=dob,
                                       message=f"the child is over {MAX_AGE} at `{_header(table, event)}`",
                                       hint="check the date of birth and the event date")
    if _present(table, age):
        cond = pl.col(age) > MAX_AGE
        if has_dob:
            cond = cond & pl.col(dob).is_null()
        bad = table.frame.filter(cond)
        if not bad.is_empty():
            out += rows_to_diagnostics(bad.select(SRC, ROW, pl.col(age).alias("value")), table.sources, code="CSC208",
                                       field=age, message=f"`{_header(table, age)}` is over {MAX_AGE}",
                                       hint="check the age and the date of birth")
    return out


def check_birth_dates(tables: list[TableData]) -> list[Diagnostic]:
    """CSC209: one child with different dates of birth (within or across lists). The first date seen, in table
    order, is the reference; every row that disagrees with it is reported."""
    parts = []
    for t_index, t in enumerate(tables):
        dob, cid = t.schema.date_of_birth, t.schema.child_id
        if _present(t, dob) and _present(t, cid):
            parts.append(t.frame.select(pl.col(cid).alias("__cid"), pl.col(dob).alias("__dob"), SRC, ROW,
                                         pl.lit(t_index, dtype=pl.UInt16).alias("__t"))
                         .filter(pl.col("__cid").is_not_null() & pl.col("__dob").is_not_null()))
    if not parts:
        return []
    allrows = pl.concat(parts).with_row_index("__i")
    # children whose earliest and latest birth dates differ, found on hashed ids, then checked exactly
    hashed = allrows.lazy().select(pl.col("__cid").hash().alias("h"), "__dob")
    conflicting = hashed.group_by("h").agg(pl.col("__dob").min().alias("lo"), pl.col("__dob").max().alias("hi"))
    conflicting = conflicting.filter(pl.col("lo") != pl.col("hi")).select("h").collect()
    if conflicting.is_empty():
        return []
    allrows = allrows.filter(pl.col("__cid").hash().is_in(conflicting["h"].implode()))
    allrows = allrows.filter(pl.col("__dob").n_unique().over("__cid") > 1)
    if allrows.is_empty():
        return []
    first = pl.col("__i").min().over("__cid")
    ref = allrows.filter(pl.col("__i") == first).select("__cid", pl.col("__dob").alias("__rdob"),
                                                        pl.col("__t").alias("__rt"), pl.col(SRC).alias("__rsrc"),
                                                        pl.col(ROW).alias("__rrow"))
    bad = allrows.join(ref, on="__cid").filter(pl.col("__dob") != pl.col("__rdob"))
    names = pl.DataFrame(
        [(ti, si, src.path + (f" [{src.sheet}]" if src.sheet else "")) for ti, t in enumerate(tables)
         for si, src in enumerate(t.sources)],
        schema={"__rt": pl.UInt16, "__rsrc": pl.UInt16, "__rname": pl.String}, orient="row",
    )
    bad = bad.join(names, on=["__rt", "__rsrc"], how="left").with_columns(
        pl.format("{} row {}", "__rname", "__rrow").alias("detail"))
    out: list[Diagnostic] = []
    for (t_index,), group in bad.group_by(["__t"], maintain_order=True):
        table = tables[t_index]
        rows = group.select(SRC, ROW, pl.col("__dob").alias("value"), "detail")
        out += rows_to_diagnostics(rows, table.sources, code="CSC209", field=table.schema.date_of_birth or "",
                                   message="the same child has a different date of birth in {detail}",  # no values
                                   hint="correct the date of birth so that every list agrees")
    return out
