"""Annex A lists (and any local table declared in YAML): CSV files and xlsx workbooks read sheet by sheet,
each recognised by its header row (`io/reader.py`, unchanged behind this format). The catch-all format:
tried last, it takes every CSV and workbook the DfE return formats did not recognise."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from csc_metrics.io.formats.base import Return, read_options
from csc_metrics.io.sources import CSV_SUFFIXES, EXCEL_SUFFIXES

if TYPE_CHECKING:
    from csc_metrics.spec.loader import Definitions


class AnnexAFormat:
    """Ofsted Annex A lists; coverage stays the present rule (from each list's dates), so `period` is None."""

    name = "annex_a"

    def detect(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() in CSV_SUFFIXES | EXCEL_SUFFIXES

    def read(self, paths: list[Path], definitions: Definitions) -> list[Return]:
        from csc_metrics.io.reader import read_sheets

        opts = read_options()
        schemas = [t for t in definitions.tables.values() if t.format == self.name and t.id not in definitions.derived]
        read = read_sheets(paths, set(opts.named), definitions, schemas, digests=opts.digests, columns=opts.columns)
        return [Return(self.name, None, read.tables, read.diagnostics, read.unrecognised)]
