"""`read_tables` (the reader) and `read_inputs` (reader + data-quality checks): CSV files, xlsx workbooks or
folders of them -> one typed frame per recognised table."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from csc_metrics.diagnostics import Diagnostic, Severity
from csc_metrics.errors import InputError
from csc_metrics.io.checks import check_tables
from csc_metrics.io.convert import (
    CATEGORICAL,
    convert_columns,
    dtype_of,
    finish_tables,
    looks_numeric,
    quick_date_formats,
    typed_query,
)
from csc_metrics.io.diagnose import cell_text, problems_to_diagnostics
from csc_metrics.io.headers import Recogniser, Recognition
from csc_metrics.io.model import KEY, ROW, SRC, ReadResult, SourceInfo, TableData, number_keys
from csc_metrics.io.overlaps import resolve_overlaps
from csc_metrics.io.sources import RawSheet, open_path
from csc_metrics.spec.tables import CodeSet, ColumnType, TableSchema

if TYPE_CHECKING:
    from csc_metrics.spec.loader import Definitions

FOOTER = r"(?i)filter"  # `Filters applied`, `Filtered by ...` in the child id column


def read_inputs(paths: list[Path], definitions: Definitions, today: date | None = None, *,
                digests: bool = True, columns: Mapping[str, set[str]] | None = None,
                year: int | None = None, merge: bool = False) -> ReadResult:
    """Read every table in `paths`, convert it per its schema (`read_tables`) and run the data-quality checks
    across rows and lists (duplicates, dates out of order, in the future or before birth, over-25s,
    conflicting dates of birth). What `validate`, `compute` and `explain` read (`columns`, `year`: see
    `read_tables`).

    Two files giving one table of one collection year of a DfE return raise InputError. Two files of one
    Annex A list that cover some of the same dates raise InputError, unless `merge`: then the
    list is the union of its files (`overlaps.resolve_overlaps`, recorded in `merged`; every column is then read,
    so rows are compared whole)."""
    result = read_tables(paths, definitions, digests=digests, columns=None if merge else columns, year=year)
    result.merged = resolve_overlaps(result.tables, merge, result.returns)
    result.diagnostics += check_tables(list(result.tables.values()), today)
    if result.returns and any(r.format != "annex_a" for r in result.returns):
        from csc_metrics.io.formats.ssda903 import repair_diagnostics
        from csc_metrics.io.formats.xml import locate

        result.diagnostics += repair_diagnostics(result.tables)
        result.diagnostics = locate(result.diagnostics, [s for td in result.tables.values() for s in td.sources])
    return result


def read_tables(paths: list[Path], definitions: Definitions, *, digests: bool = True,
                columns: Mapping[str, set[str]] | None = None, year: int | None = None) -> ReadResult:
    """Read every table in `paths` and convert it per its schema, with a diagnostic for every header, cell
    and row the reader could not take as it is (no checks across rows: see `read_inputs`). Each file goes to
    the source format that recognises it (`csc_metrics.io.formats`: SSDA903, CIN census, Annex A lists).
    `digests`: hash each file (SHA-256, the run's provenance) while it is parsed; else `sha256` is "".
    `columns`: read only these columns of each Annex A table (by table id; `projection` adds the ones the
    checks and every row need), the others left null and unchecked, and rows blank in the columns read skipped
    as blank. None (validate, `compute --strict`): every column. The returns are read whole (their derived
    tables need columns no indicator names).
    `year`: the collection year (year ending) of the returns read, overriding what their content says.

    Raises InputError when a path is missing, a file named is of no kind known, is empty or cannot be opened,
    or nothing matches any table. Such a file found in a folder is reported (CSC212) and the others read."""
    from csc_metrics.io.formats.registry import read_returns

    return read_returns([Path(p) for p in paths], definitions, digests=digests, columns=columns, year=year)


def read_sheets(files: list[Path], named: set[Path], definitions: Definitions, schemas: list[TableSchema], *,
                digests: bool = True, columns: Mapping[str, set[str]] | None = None) -> ReadResult:
    """Read CSV files and workbooks as the tables `schemas` (the sheet reader of Annex A lists, also used by
    the other formats' CSV tables). Files in `named` that cannot be opened raise InputError; others are
    reported (CSC212) and skipped. Raises nothing when no table is found (the caller decides)."""
    unrecognised: list[dict] = []
    if not schemas:
        raise InputError("no table schemas in the definitions", hint="pass --definitions with definitions/tables/")
    recogniser = Recogniser(schemas)
    entries: list[_Block | Diagnostic] = []  # in file order; blocks are converted all together
    for path in files:
        try:
            sheets = list(open_path(path, digest=digests))
        except InputError as exc:
            if path in named:
                raise  # a file the user named: nothing else to read
            reason = exc.message.removeprefix(f"{path}: ")  # one file in a folder: say so and read the others
            unrecognised.append({"path": str(path), "sheet": None, "reason": reason})
            why = f"{reason} ({exc.code})" if exc.code else reason
            entries.append(Diagnostic(code="CSC212", severity=Severity.WARNING, message=f"not read: {why}",
                                      file=str(path), hint=exc.hint))
            continue
        for raw in sheets:
            rec = recogniser.recognise(raw.head, raw.name_hint)
            if rec.match is None:
                unrecognised.append({"path": raw.path, "sheet": raw.sheet, "reason": _reason(rec)})
                entries.append(_unrecognised_diag(raw, rec))
                continue
            wanted = None if columns is None else projection(rec.match.schema, columns.get(rec.match.schema.id, set()))
            entries.append(_load_block(raw, rec, wanted))
    blocks = [e for e in entries if isinstance(e, _Block)]
    kept = []
    for block, frame in zip(blocks, _collect(blocks), strict=True):
        frame, skipped = skip_rows(frame, block.schema.child_id)
        block.skipped += skipped
        kept.append((frame, block.schema))
    try:
        converted = iter(finish_tables(kept, definitions.code_sets))
    except pl.exceptions.PolarsError as exc:  # the texts of every file are converted together
        raise parse_error(", ".join(sorted({b.path for b in blocks})), None, exc) from None
    diags: list[Diagnostic] = []
    parts: dict[str, list[tuple[SourceInfo, pl.DataFrame]]] = {}
    for entry in entries:
        if isinstance(entry, Diagnostic):
            diags.append(entry)
            continue
        typed, problems = next(converted)
        source, block_diags = _finish_block(entry, typed, problems, definitions.code_sets)
        diags += block_diags
        parts.setdefault(source.table, []).append((source, typed))
    # number keys only when every table has them (some table with text ids: every join uses the ids)
    numbers = number_keys((f, definitions.tables[t].child_id) for t, items in parts.items() for _, f in items)
    tables: dict[str, TableData] = {}
    for table_id, items in parts.items():
        schema = definitions.tables[table_id]
        keep = [KEY] if numbers and schema.child_id else []
        # each part projected before the concat: a header-only file has no KEY column to drop
        frames = [f.lazy().with_columns(pl.lit(i, dtype=pl.UInt16).alias(SRC)).select(*schema.column_names, SRC, ROW, *keep)
                  for i, (_, f) in enumerate(items)]
        combined = frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical", rechunk=False)
        frame = combined.collect()
        tables[table_id] = TableData(schema, frame, [s for s, _ in items])
    return ReadResult(tables, diags, unrecognised)


def _reason(rec: Recognition) -> str:
    if rec.missing and rec.best is not None:
        headers = ", ".join(f"`{rec.best.schema.column(c).header}`" for c in rec.missing)  # type: ignore[union-attr]
        return f"{rec.reason}: {headers}"
    return rec.reason or "headers match no table"


def _unrecognised_diag(raw: RawSheet, rec: Recognition) -> Diagnostic:
    if rec.missing and rec.best is not None:
        return Diagnostic(code="CSC214", severity=Severity.ERROR, message=_reason(rec), file=raw.path, sheet=raw.sheet,
                          line=rec.header_index + 1,
                          hint="add the missing columns to the extract, or add their spelling as `variants` in the table schema")
    return Diagnostic(code="CSC212", severity=Severity.WARNING, message=f"not read: {_reason(rec)}", file=raw.path,
                      sheet=raw.sheet,
                      hint="if this is an Annex A list, check its header row; other sheets can be ignored")


@dataclass
class _Block:
    """One recognised sheet, read but not yet converted (the file's bytes are not kept)."""

    path: str
    sheet: str | None
    sha256: Callable[[], str]
    encoding: str | None
    schema: TableSchema
    headers: list[dict]
    query: pl.LazyFrame  # `typed_query` of the sheet, plus `__row` and `__filled`
    retry: Callable[[], pl.LazyFrame] | None  # the same query read again as Windows-1252 (CSV not UTF-8 after all)
    skipped: int
    diags: list[Diagnostic]


BATCH_BYTES = 64 * 2**20  # CSV text parsed together (`_collect`)
ALONE_BYTES = 16 * 2**20  # a CSV this large is parsed on its own (polars uses every core on it anyway)


def _collect(blocks: list[_Block]) -> Iterator[pl.DataFrame]:
    """Parse and convert the blocks, small CSV files together in batches of up to about `BATCH_BYTES` (one
    `collect_all`: a 903's many small files keep every core busy), a large one on its own (only its text in
    memory). A batch polars cannot parse is read again block by block (`_collect_each`), which says which
    file failed."""
    sizes = [_size(b.path) if b.sheet is None else 0 for b in blocks] + [0]
    batch: list[_Block] = []
    size = 0
    for n, b in enumerate(blocks):
        batch.append(b)
        size += sizes[n]
        after = sizes[n + 1]
        if n + 1 == len(blocks) or size + after > BATCH_BYTES or max(sizes[n], after) >= ALONE_BYTES:
            try:
                yield from pl.collect_all([x.query for x in batch])
            except pl.exceptions.PolarsError:
                yield from _collect_each(batch)
            batch, size = [], 0


def _size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def _collect_each(blocks: list[_Block]) -> Iterator[pl.DataFrame]:
    """Parse and convert each block in turn; a CSV found not to be UTF-8 past its first 256 KB is read again
    as Windows-1252. A file polars cannot parse is an InputError naming it (CSC255)."""
    for b in blocks:
        try:
            yield b.query.collect()
        except pl.exceptions.PolarsError as exc:
            if b.retry is None or "utf-8" not in str(exc).lower():
                raise parse_error(b.path, b.sheet, exc) from None
            b.encoding = "cp1252"
            try:
                yield b.retry().collect()
            except pl.exceptions.PolarsError as again:
                raise parse_error(b.path, b.sheet, again) from None


def parse_error(path: str, sheet: str | None, exc: Exception) -> InputError:
    """CSC255: polars could not parse a file; its first line, without the values it quotes (child data)."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    detail = re.sub(r"`[^`]*`|\"[^\"]*\"|'[^']*'", "…", first)[:200]
    where = f"{path} [{sheet}]" if sheet else path
    return InputError(f"{where}: cannot be read as a table ({type(exc).__name__}: {detail})", code="CSC255",
                      hint="open it in Excel and save it again (CSV UTF-8 or .xlsx); check every row has the "
                           "header's columns and quotes are paired")


def projection(schema: TableSchema, used: set[str]) -> set[str]:
    """The columns of `schema` to read for indicators that use `used`: those, plus the child id, date of birth,
    age, key and every date (the as-at date, coverage and the data-quality checks look at them)."""
    structural = [schema.child_id, schema.event_date, schema.date_of_birth, schema.age_years, *schema.key,
                  *(c for p in schema.date_pairs for c in (p.start, p.end))]
    dates = {c.name for c in schema.columns if c.type is ColumnType.DATE}
    return used | dates | {c for c in structural if c is not None}


def _load_block(raw: RawSheet, rec: Recognition, wanted: set[str] | None = None) -> _Block:
    """The rows of one recognised sheet as text, blank and footer rows skipped, and the header diagnostics.
    `wanted`: only these columns (None: all)."""
    match = rec.match
    assert match is not None
    schema = match.schema
    header_cells = raw.head[rec.header_index]
    read = {i: name for i, name in match.mapping.items() if wanted is None or name in wanted}
    categorical = frozenset(i for i, name in read.items() if schema.column(name).type in CATEGORICAL)  # type: ignore[union-attr]
    data, letters = raw.load(rec.header_index, categorical)
    first_row = rec.header_index + 2  # Excel row of the first data row
    diags: list[Diagnostic] = []
    diag = partial(Diagnostic, file=raw.path, sheet=raw.sheet, line=rec.header_index + 1)
    for i, header in match.extras:
        diags.append(diag(code="CSC218", severity=Severity.INFO, column=_letter(letters, i),
                          message=f"column `{header}` is not part of {schema.id}; ignored",
                          hint="add it to the table schema's `variants` if it is a known column"))
    for i, header, col, first in match.repeated:
        diags.append(diag(code="CSC218", severity=Severity.INFO, column=_letter(letters, i), field=col,
                          message=f"column `{header}` repeats `{col}` already read from column {_letter(letters, first)}; ignored",
                          hint="delete one of the two columns"))
    for i, header, cols in match.ambiguous:
        diags.append(diag(code="CSC211", severity=Severity.ERROR, column=_letter(letters, i),
                          message=f"header `{header}` matches several columns ({', '.join(cols)}); not read",
                          hint="rename the header to the official wording, or fix the `variants` in the schema"))

    columns = {name: f"c{i}" for i, name in read.items()}
    head = raw.head[rec.header_index + 1:]

    def seen(index: int) -> list[str | None]:  # a column's cells in the first rows
        return [cell_text(r[index]) if index < len(r) else None for r in head]

    head_ids = next((seen(i) for i, name in read.items() if name == schema.child_id), [])
    date_formats = quick_date_formats({name: seen(i) for i, name in read.items()
                                       if schema.column(name).type is ColumnType.DATE})  # type: ignore[union-attr]

    def query(data: pl.LazyFrame) -> pl.LazyFrame:
        names = data.collect_schema().names()
        cells = [pl.col(c) for c in (names if wanted is None else [n for n in names if n in columns.values()])]
        filled = pl.sum_horizontal(c.is_not_null() for c in cells) if cells else pl.lit(0)
        counted = data.with_row_index(ROW, offset=first_row).with_columns(filled.cast(pl.UInt32).alias(FILLED))
        return typed_query(counted, schema, columns, keep=[ROW, FILLED], numeric_ids=looks_numeric(head_ids),
                           date_formats=date_formats)

    retry = (lambda: query(raw.load(rec.header_index, categorical, "cp1252")[0])) if raw.encoding == "utf-8" and raw.sheet is None else None
    headers = [{"header": str(header_cells[i]).strip(), "column": name, "letter": _letter(letters, i)}
               for i, name in sorted(match.mapping.items())]
    return _Block(raw.path, raw.sheet, raw.digest.result, raw.encoding, schema, headers, query(data), retry,
                  rec.header_index, diags)


def _finish_block(block: _Block, typed: pl.DataFrame, problems: pl.DataFrame,
                  code_sets: dict[str, CodeSet]) -> tuple[SourceInfo, list[Diagnostic]]:
    """The source record and every diagnostic of one converted sheet."""
    schema = block.schema
    coverage = None
    if schema.event_date and schema.event_date in typed.columns:
        lo, hi = typed.select(pl.col(schema.event_date).min().alias("lo"), pl.col(schema.event_date).max().alias("hi")).row(0)
        coverage = (lo, hi) if lo is not None else None
    source = SourceInfo(block.path, block.sheet, schema.id, typed.height, block.skipped, block.encoding,
                        block.sha256(), coverage, block.headers)
    diags = list(block.diags)
    if block.skipped:
        diags.append(Diagnostic(code="CSC213", severity=Severity.INFO,
                                message=f"{block.skipped} row(s) skipped (title rows above the header, blank rows, filter or footer rows)",
                                file=block.path, sheet=block.sheet, count=block.skipped))
    if typed.is_empty():
        diags.append(Diagnostic(code="CSC215", severity=Severity.WARNING, message=f"{schema.id} has a header row but no data rows",
                                file=block.path, sheet=block.sheet, hint="export the list again if rows were expected"))
    diags += problems_to_diagnostics(problems, source, schema, code_sets)
    return source, diags


FILLED = "__filled"  # how many cells of the row are filled


def skip_rows(read: pl.DataFrame, child_id: str) -> tuple[pl.DataFrame, int]:
    """Drop blank rows, trailing rows with one filled cell (footers) and rows whose child id mentions a filter.
    `read`: a sheet read by its typed query (`__row`, `__filled`, columns). Returns the kept rows and how
    many were dropped."""
    filled = read[FILLED]
    sparse_mask = filled <= 2
    if read.is_empty() or not sparse_mask.any():
        return read, 0  # `__filled` stays: later steps take the columns they need
    sparse = read.filter(sparse_mask)  # footers and blank rows are sparse; only these are inspected
    n_sparse = sparse[FILLED]
    last_full = read[ROW].filter(filled >= 2).max()
    drop = n_sparse == 0
    if last_full is not None:
        drop = drop | ((sparse[ROW] > last_full) & (n_sparse <= 1))
    if child_id in read.columns:
        drop = drop | sparse[child_id].str.contains(FOOTER).fill_null(False)
    dropped = sparse[ROW].filter(drop)
    if dropped.is_empty():
        return read, 0
    return read.filter(~pl.col(ROW).is_in(dropped.implode())), dropped.len()


def _letter(letters: list[str], index: int) -> str:
    from csc_metrics.io.normalise import column_letter

    return letters[index] if index < len(letters) else column_letter(index)


def frame_from_rows(schema: TableSchema, code_sets: dict[str, CodeSet],
                    rows: list[dict[str, object]]) -> tuple[pl.DataFrame, list[Diagnostic]]:
    """Rows keyed by canonical column name, with values as an extract would hold them, converted exactly as a
    file would be. Row 1 is the header, so rows[0] is row 2. Returns the typed frame (with `__src` = 0 and
    `__row`) and the conversion diagnostics (no data-quality checks)."""
    unknown = sorted({k for r in rows for k in r} - set(schema.column_names))
    if unknown:
        raise InputError(f"{schema.id}: unknown column(s) {', '.join(unknown)}",
                         hint=f"use the canonical column names: {', '.join(schema.column_names)}")
    present = [c for c in schema.column_names if any(c in r for r in rows)]
    data = {c: pl.Series(c, [cell_text(r.get(c)) for r in rows], dtype=pl.String) for c in present}
    raw = pl.DataFrame({ROW: pl.Series(ROW, range(2, len(rows) + 2), dtype=pl.UInt32), **data})
    typed, problems = convert_columns(raw, schema, code_sets)
    headers = [{"header": schema.column(c).header, "column": c, "letter": None} for c in present]  # type: ignore[union-attr]
    source = SourceInfo("<rows>", None, schema.id, typed.height, 0, None, "", None, headers)
    typed = typed.with_columns(pl.lit(0, dtype=pl.UInt16).alias(SRC)).select(
        *schema.column_names, SRC, ROW, *([KEY] if KEY in typed.columns else []))
    return typed, problems_to_diagnostics(problems, source, schema, code_sets)


__all__ = ["read_inputs", "read_tables", "read_sheets", "frame_from_rows", "dtype_of"]
