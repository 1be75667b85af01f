"""Read any mix of inputs: each file goes to the first format that recognises it, each format reads its
files into `Return`s, and the returns become one typed frame per table (`ReadResult`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from csc_metrics.diagnostics import Diagnostic, Severity
from csc_metrics.errors import InputError
from csc_metrics.io.formats.base import _OPTIONS, HEAD_SIZE, ReadOptions, Return, SourceFormat, formats
from csc_metrics.io.model import KEY, SRC, ReadResult, TableData
from csc_metrics.io.sources import expand_paths

if TYPE_CHECKING:
    from csc_metrics.spec.loader import Definitions


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(HEAD_SIZE)
    except OSError:
        return b""  # the format that takes it by its name reports why it cannot be read


def assign(files: list[Path]) -> tuple[dict[str, list[Path]], list[Path]]:
    """Files by the format that recognises them (registry order), and the files no format takes."""
    chosen: dict[str, list[Path]] = {}
    left: list[Path] = []
    fmts = formats()
    for path in files:
        head = _head(path)
        fmt = next((f for f in fmts if f.detect(path, head)), None)
        if fmt is None:
            left.append(path)
        else:
            chosen.setdefault(fmt.name, []).append(path)
    return chosen, left


def read_returns(paths: list[Path], definitions: Definitions, *, digests: bool = True,
                 columns: Mapping[str, set[str]] | None = None, year: int | None = None) -> ReadResult:
    """Every file of `paths` read by its format; the returns combined into tables (`combine`)."""
    files, unrecognised = expand_paths(paths)
    if not definitions.tables:
        raise InputError("no table schemas in the definitions", hint="pass --definitions with definitions/tables/")
    named = frozenset(p for p in paths if not p.is_dir())
    chosen, left = assign(files)
    diags: list[Diagnostic] = []
    for path in left:
        reason = _unknown_kind(path)
        if path in named:
            raise InputError(f"{path}: {reason}", hint=_KIND_HINT)
        unrecognised.append({"path": str(path), "sheet": None, "reason": reason})
        diags.append(Diagnostic(code="CSC212", severity=Severity.WARNING, message=f"not read: {reason}",
                                file=str(path), hint=_KIND_HINT))
    token = _OPTIONS.set(ReadOptions(named, digests, year, columns))
    try:
        returns: list[Return] = []
        by_name: dict[str, SourceFormat] = {f.name: f for f in formats()}
        for name, fmt_files in chosen.items():
            returns += _read(by_name[name], fmt_files, definitions, year)
    finally:
        _OPTIONS.reset(token)
    result = combine(returns, definitions)
    result.diagnostics = diags + result.diagnostics
    result.unrecognised = unrecognised + result.unrecognised
    if not result.tables:
        where = ", ".join(str(p) for p in paths)
        detail = "; ".join(f"{u['path']}{' [' + u['sheet'] + ']' if u['sheet'] else ''}: {u['reason']}"
                           for u in result.unrecognised[:3])
        raise InputError(f"{where}: no Annex A list or other known table found ({detail or 'no files'})",
                         hint="compare the header row with the table schemas in definitions/tables/, or pass --definitions")
    return result


def _read(fmt: SourceFormat, files: list[Path], definitions: Definitions, year: int | None) -> list[Return]:
    """`fmt.read`, with `year=` for formats that take it as a parameter (the others see `read_options()`)."""
    import inspect

    if year is not None and "year" in inspect.signature(fmt.read).parameters:
        return fmt.read(files, definitions, year=year)  # type: ignore[call-arg]
    return fmt.read(files, definitions)


_KIND_HINT = "pass Annex A lists (CSV/xlsx), SSDA903 tables (CSV or EXPSSDA903 XML) or CIN census XML"


def _unknown_kind(path: Path) -> str:
    head = _head(path)
    from csc_metrics.io.formats.xml import root_name

    root = root_name(head)
    if root is not None:
        return f"an XML file with root element <{root}>, not an SSDA903 (EXPSSDA903) or CIN census (Message) return"
    return "not an Annex A list, SSDA903 return or CIN census file"


def combine(returns: list[Return], definitions: Definitions) -> ReadResult:
    """The returns as one `ReadResult`: Annex A tables as read; returns of one format with a period stacked by
    that format's rule (SSDA903: latest return wins per episode); coverage from the periods."""
    from csc_metrics.io.formats.stacking import stack

    tables: dict[str, TableData] = {}
    diags: list[Diagnostic] = []
    unrecognised: list[dict] = []
    coverage: dict[str, tuple[date, date]] = {}
    for r in returns:
        diags += r.diagnostics
        unrecognised += r.unrecognised
    dated = [r for r in returns if r.period is not None]
    for r in returns:
        if r.period is None:
            tables.update(r.tables)
    by_format: dict[str, list[Return]] = {}
    for r in dated:
        by_format.setdefault(r.format, []).append(r)
    for fmt, rs in by_format.items():
        stacked, stack_diags = stack(fmt, rs, definitions)
        tables.update(stacked)
        diags += stack_diags
        for r in rs:
            assert r.period is not None
            for tid in r.tables:
                lo, hi = coverage.get(tid, (r.period.start, r.period.end))
                coverage[tid] = (min(lo, r.period.start), max(hi, r.period.end))
    if len({KEY in td.frame.columns for td in tables.values() if td.schema.child_id}) > 1:
        tables = {t: TableData(td.schema, td.frame.drop(KEY, strict=False), td.sources) for t, td in tables.items()}
    result = ReadResult(tables, diags, unrecognised)
    result.returns = returns
    result.coverage = coverage
    return result


def concat_sources(parts: list[TableData]) -> TableData:
    """Several reads of one table as one: rows appended, `__src` renumbered into the joined source list."""
    if len(parts) == 1:
        return parts[0]
    frames, sources, offset = [], [], 0
    for td in parts:
        frames.append(td.frame.with_columns((pl.col(SRC) + offset).cast(pl.UInt16)))
        sources += td.sources
        offset += len(td.sources)
    cols = frames[0].columns
    return TableData(parts[0].schema, pl.concat([f.select(cols) for f in frames], how="vertical_relaxed"), sources)
