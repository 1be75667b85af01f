"""Data-quality checks on typed tables: duplicates, end before start, future dates, dates before birth,
over-25s and conflicting dates of birth across lists. Each check is a polars filter; only findings reach Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from csc_metrics.dates import whole_years
from csc_metrics.diagnostics import Diagnostic
from csc_metrics.io.diagnose import rows_to_diagnostics
from csc_metrics.io.model import KEY, ROW, SRC, TableData, number_keys
from csc_metrics.spec.tables import ColumnType

MAX_AGE = 25


def _header(table: TableData, name: str) -> str:
    col = table.schema.column(name)
    return col.header if col else name


def _present(table: TableData, name: str | None) -> str | None:
    """`name` when the column exists in the schema and at least one source had it, else None."""
    if name and table.schema.column(name) is not None and any(s.letter(name) for s in table.sources):
        return name
    return None


def check_tables(tables: list[TableData], today: date | None = None) -> list[Diagnostic]:
    """Each table's checks (duplicates, date pairs, future dates, dates before birth, over-25s), then dates of
    birth across tables. One parallel pass first counts, per check and table, the rows that could be findings;
    only checks with some run in full."""
    today = today or date.today()
    rules = [_rules(t, today) for t in tables]
    screens = [_screen(t, r) for t, r in zip(tables, rules, strict=True)]
    births = _birth_rows(tables)
    queries = [q for q in screens if q is not None] + ([_birth_conflicts(births)] if births is not None else [])
    results = iter([q.collect() for q in queries])  # one at a time: one table's hash tables in memory at once
    out: list[Diagnostic] = []
    for table, table_rules, screen in zip(tables, rules, screens, strict=True):
        if screen is not None:
            flagged = {name for name, found in next(results).row(0, named=True).items() if found}
            out += _duplicates(table) if "duplicates" in flagged else []
            out += _findings(table, [r for r in table_rules if r.check in flagged])
    if births is not None:
        out += _birth_findings(tables, births, next(results))
    return out


@dataclass(frozen=True)
class _Rule:
    """One check on one column: the rows that are findings, and how each is reported (value: the field's)."""

    check: str  # the screen's name for it
    rows: pl.Expr
    field: str
    code: str
    message: str
    hint: str
    maybe: pl.Expr | None = None  # a cheaper condition true of every finding (screened instead of `rows`)


def _rules(table: TableData, today: date) -> list[_Rule]:
    """Every row-by-row check of a table, in report order: date pairs, future dates, dates before birth, over-25s."""
    rules = [_Rule("date_pairs", pl.col(p.end) < pl.col(p.start), p.end, "CSC205",
                   f"`{_header(table, p.end)}` is before `{_header(table, p.start)}`", "check both dates in the source system")
             for p in table.schema.date_pairs if _present(table, p.start) and _present(table, p.end)]
    dates = _date_columns(table)
    rules += [_Rule("future", pl.col(name) > today, name, "CSC206", f"`{_header(table, name)}` is in the future",
                    "check the date; future dates are usually typing errors")
              for name in dates if name not in _future_allowed(table)]
    schema = table.schema
    dob, event, age = (_present(table, schema.date_of_birth), _present(table, schema.event_date),
                       _present(table, schema.age_years))
    if dob:
        rules += [_Rule("before_birth", pl.col(name) < pl.col(dob), name, "CSC207",
                        f"`{_header(table, name)}` is before the child's date of birth",
                        "check the date and the date of birth") for name in dates if name != dob]
    if dob and event:
        maybe = _maybe_over(dob, event)
        rules.append(_Rule("over_25", maybe & (whole_years(pl.col(dob), pl.col(event)) > MAX_AGE), dob,
                           "CSC208", f"the child is over {MAX_AGE} at `{_header(table, event)}`",
                           "check the date of birth and the event date", maybe=maybe))
    if age:
        over = pl.col(age) > MAX_AGE
        rules.append(_Rule("over_25", over & pl.col(dob).is_null() if dob else over, age, "CSC208",
                           f"`{_header(table, age)}` is over {MAX_AGE}", "check the age and the date of birth"))
    return rules


def _findings(table: TableData, rules: list[_Rule]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for r in rules:
        bad = (table.frame if r.maybe is None else table.frame.filter(r.maybe)).filter(r.rows)
        if not bad.is_empty():
            out += rows_to_diagnostics(bad.select(SRC, ROW, pl.col(r.field).alias("value")), table.sources,
                                       code=r.code, field=r.field, message=r.message, hint=r.hint)
    return out


def _screen(table: TableData, rules: list[_Rule]) -> pl.LazyFrame | None:
    """One row: per check, whether any row could be a finding (False: the check certainly finds nothing)."""
    checks: dict[str, list[pl.Expr]] = {}
    key = _duplicate_key(table)
    if key:
        checks["duplicates"] = [_key_hash(_hashed(table, key)).n_unique() < pl.len()]  # some hash repeats
    for r in rules:
        checks.setdefault(r.check, []).append(r.rows if r.maybe is None else r.maybe)
    exprs = [pl.any_horizontal([e.any() for e in found]).alias(name) for name, found in checks.items()]
    return table.frame.lazy().select(exprs) if exprs else None


def _maybe_over(dob: str, event: str) -> pl.Expr:
    """At least (MAX_AGE + 1) * 365 days from birth to the event: every child over MAX_AGE is among these."""
    return (pl.col(event).to_physical() - pl.col(dob).to_physical()) >= (MAX_AGE + 1) * 365


def _key_hash(key: list[str]) -> pl.Expr:
    """One hash per row of the key columns: equal keys hash alike, so rows with a unique hash are unique; rows
    sharing one are compared exactly afterwards (cheaper than hashing a struct)."""
    out = pl.col(key[0]).hash(seed=0)
    for i, k in enumerate(key[1:], start=1):
        out = out ^ pl.col(k).hash(seed=i)
    return out


def _hashed(table: TableData, key: list[str]) -> list[str]:
    """The key with the child id read from its join key (a number, quicker to hash; equal ids, equal keys)."""
    if KEY not in table.frame.columns:
        return key
    return [KEY if k == table.schema.child_id else k for k in key]


def _duplicate_key(table: TableData) -> list[str]:
    """The table's key when every column of it was read or is filled by the reader (an SSDA903 table's `year`,
    the collection year its file was dated to), else [] (no duplicate check)."""
    key = [k for k in table.schema.key if table.schema.column(k) is not None]
    if not key or table.frame.is_empty() or not all(_present(table, k) or _filled(table, k) for k in key):
        return []
    return key


def _filled(table: TableData, name: str) -> bool:
    """Whether `name` is a column a file may lack (`header_optional`, e.g. `YEAR`) and the reader gave every row a
    value of it."""
    col = table.schema.column(name)
    return (col is not None and col.header_optional and name in table.frame.columns
            and table.frame[name].null_count() == 0)


def _duplicates(table: TableData) -> list[Diagnostic]:
    key = _duplicate_key(table)
    if not key:
        return []
    # hash first (cheap), then work exactly on the few rows whose hashes repeat
    hashes = table.frame.select(_key_hash(_hashed(table, key)).alias("h"))["h"]
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
    names = {i: s.label for i, s in enumerate(table.sources)}
    dups = dups.with_columns(
        pl.when(pl.col("__fsrc") == pl.col(SRC)).then(pl.format("row {}", pl.col("__frow")))
        .otherwise(pl.format("row {} of {}", pl.col("__frow"),
                             pl.col("__fsrc").replace_strict(names, return_dtype=pl.String)))
        .alias("detail"),
        pl.col(key[-1]).alias("value"),
    )
    keys = ", ".join(f"`{_header(table, k)}`" for k in key)
    counted = ("counted once (the list counts one row per key)" if table.schema.duplicates == "one_per_key"
               else "both counted (the list counts every row)")
    return rows_to_diagnostics(dups.select(SRC, ROW, "value", "detail"), table.sources, code="CSC204", field=key[-1],
                               message=f"duplicate row: same {keys} as {{detail}}; {counted}",
                               hint="remove the repeated row, or check whether two different events were merged")


def _future_allowed(table: TableData) -> set[str]:
    """Date columns that may lie ahead (e.g. UASC `DUC`, the expected 18th birthday): no CSC206."""
    return {c.name for c in table.schema.columns if c.future_allowed}


def _date_columns(table: TableData) -> list[str]:
    return [c.name for c in table.schema.columns if c.type is ColumnType.DATE and _present(table, c.name)]


def _run(table: TableData, check: str, today: date | None = None) -> list[Diagnostic]:
    """One check's findings without the screen."""
    return _findings(table, [r for r in _rules(table, today or date.today()) if r.check == check])


def _date_pairs(table: TableData) -> list[Diagnostic]:
    return _run(table, "date_pairs")


def _future(table: TableData, today: date) -> list[Diagnostic]:
    return _run(table, "future", today)


def _before_birth(table: TableData) -> list[Diagnostic]:
    return _run(table, "before_birth")


def _over_25(table: TableData) -> list[Diagnostic]:
    return _run(table, "over_25")


def _birth_rows(tables: list[TableData]) -> pl.LazyFrame | None:
    """(`__cid`, `__dob`, `__src`, `__row`, `__t`) of every row with a child id and a date of birth, in table
    order (`_birth_findings` numbers them; the screen needs no row index, which would slow its concat)."""
    parts = []
    columns = {i: (dob, cid) for i, t in enumerate(tables)
               if (dob := _present(t, t.schema.date_of_birth)) and (cid := _present(t, t.schema.child_id))}
    keyed = number_keys((tables[i].frame, cid) for i, (_, cid) in columns.items())
    for t_index, t in enumerate(tables):
        if t_index in columns:
            dob, cid = columns[t_index]
            child = pl.col(KEY if keyed else cid)
            parts.append(t.frame.lazy().select(child.alias("__cid"), pl.col(dob).alias("__dob"), SRC, ROW,
                                                pl.lit(t_index, dtype=pl.UInt16).alias("__t"))
                         .filter(pl.col("__cid").is_not_null() & pl.col("__dob").is_not_null()))
    return pl.concat(parts) if parts else None


def _birth_conflicts(births: pl.LazyFrame) -> pl.LazyFrame:
    """Hashed ids of the children whose earliest and latest birth dates differ (checked exactly afterwards)."""
    hashed = births.select(pl.col("__cid").hash().alias("h"), "__dob")
    conflicting = hashed.group_by("h").agg(pl.col("__dob").min().alias("lo"), pl.col("__dob").max().alias("hi"))
    return conflicting.filter(pl.col("lo") != pl.col("hi")).select("h")


def _birth_findings(tables: list[TableData], births: pl.LazyFrame, conflicting: pl.DataFrame) -> list[Diagnostic]:
    """CSC209: one child with different dates of birth (within or across lists). The first date seen, in table
    order, is the reference; every row that disagrees with it is reported."""
    if conflicting.is_empty():
        return []
    numbered = births.with_row_index("__i")  # numbered before the filter: `__i` is the row's place in table order
    allrows = numbered.filter(pl.col("__cid").hash().is_in(conflicting["h"].implode())).collect()
    allrows = allrows.filter(pl.col("__dob").n_unique().over("__cid") > 1)
    if allrows.is_empty():
        return []
    first = pl.col("__i").min().over("__cid")
    ref = allrows.filter(pl.col("__i") == first).select("__cid", pl.col("__dob").alias("__rdob"),
                                                        pl.col("__t").alias("__rt"), pl.col(SRC).alias("__rsrc"),
                                                        pl.col(ROW).alias("__rrow"))
    bad = allrows.join(ref, on="__cid").filter(pl.col("__dob") != pl.col("__rdob"))
    names = pl.DataFrame(
        [(ti, si, src.label) for ti, t in enumerate(tables)
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
