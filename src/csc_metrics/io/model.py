"""Result types of reading extracts: one typed frame per table, with where every row came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from csc_metrics.diagnostics import Diagnostic
from csc_metrics.spec.tables import TableSchema

SRC = "__src"  # UInt16 index into TableData.sources
ROW = "__row"  # UInt32 Excel-style row number (the row a user sees when opening the file)
KEY = "__child"  # the child id as an Int64 join key, present when every child id read is a plain number


def number_keys(frames: dict[str, pl.DataFrame], child_ids: dict[str, str | None]) -> bool:
    """Every table with a child id carries the Int64 `KEY` the reader makes (ids of digits without leading
    zeros, so equal keys are equal ids); else joins use the child id text."""
    keyed = [f for t, f in frames.items() if child_ids.get(t)]
    return bool(keyed) and all(f.schema.get(KEY) == pl.Int64 for f in keyed)


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
