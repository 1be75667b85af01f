"""Result types of reading extracts: one typed frame per table, with where every row came from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from csc_metrics.diagnostics import Diagnostic
from csc_metrics.spec.tables import TableSchema

SRC = "__src"  # UInt16 index into TableData.sources
ROW = "__row"  # UInt32 Excel-style row number (the row a user sees when opening the file)
KEY = "__child"  # the child id as an Int64 join key, present when every child id read is a plain number


def number_keys(tables: Iterable[tuple[pl.DataFrame, str | None]]) -> bool:
    """Every (frame, child id column) with a child id carries the Int64 `KEY` the reader makes (ids that are
    plain whole numbers, so equal keys are equal ids); else joins use the child id text."""
    keyed = [frame for frame, child_id in tables if child_id]
    return bool(keyed) and all(frame.schema.get(KEY) == pl.Int64 for frame in keyed)


@dataclass
class SourceInfo:
    """One file (or one sheet of a workbook) read as one table."""

    path: str
    sheet: str | None
    table: str
    rows: int
    skipped_rows: int
    encoding: str | None
    sha256: str
    coverage: tuple[date, date] | None
    headers: list[dict] = field(default_factory=list)  # {"header", "column", "letter"}

    @property
    def label(self) -> str:
        """`path`, or `path [sheet]` for a worksheet."""
        return self.path + (f" [{self.sheet}]" if self.sheet else "")

    def letter(self, column: str) -> str | None:
        """The Excel column letter a canonical column was read from, if it was present."""
        return next((h["letter"] for h in self.headers if h["column"] == column), None)


@dataclass
class TableData:
    """Every row of one table: typed schema columns plus `__src` and `__row`."""

    schema: TableSchema
    frame: pl.DataFrame
    sources: list[SourceInfo]


@dataclass
class ReadResult:
    tables: dict[str, TableData]
    diagnostics: list[Diagnostic]
    unrecognised: list[dict]  # {"path", "sheet", "reason"}
    returns: list = field(default_factory=list)  # the `Return`s read (io.formats), one per collection
    coverage: dict[str, tuple[date, date]] = field(default_factory=dict)  # tables of returns with a period
    merged: list[dict] = field(default_factory=list)  # lists whose overlapping files were merged (`--merge`)
