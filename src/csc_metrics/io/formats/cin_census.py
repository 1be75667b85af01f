"""The CIN census as a source format: the XML of any schema year 2013-14 to 2026-27, or its flattened CSV tables.

`CinCensusFormat.detect` claims an XML file whose root is `Message` with a `CIN` collection in its header, and
CSV files whose header row is one of the flattened shapes of returns.md §1.5 (VCIN `xmltocsv`, the analyst
`Fake*` variants, the LIIA long event table). `read` returns one `Return` per census: one per XML file, one per
folder (or per year of a LIIA table) of flattened CSVs. See docs/cin-census.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from csc_metrics.diagnostics import Diagnostic, Severity
from csc_metrics.io.formats.base import Return
from csc_metrics.io.formats.cin_csv import csv_shape, read_csv_censuses
from csc_metrics.io.formats.cin_tables import FORMAT, RawCensus, census_return, cin_schemas
from csc_metrics.io.formats.cin_xml import parse_cin_xml

if TYPE_CHECKING:
    from csc_metrics.spec.loader import Definitions

_ROOT = re.compile(rb"<(?:[\w.-]+:)?Message[\s>/]")
_COLLECTION = re.compile(rb"<(?:[\w.-]+:)?Collection\s*>\s*CIN\s*<")


def is_cin_xml(head: bytes) -> bool:
    """An XML `Message` whose header names the CIN collection (first 64 KiB)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 (the head may end mid-character)
        text = text[: len(text) // 2 * 2].decode("utf-16", errors="ignore").encode("utf-8", errors="replace")
    if not text.startswith(b"<"):
        return False
    root = _ROOT.search(text)
    return root is not None and _COLLECTION.search(text) is not None and not re.search(
        rb"<(?!\?|!)(?:[\w.-]+:)?(?!Message)[\w.-]+", text[: root.start()])


class CinCensusFormat:
    """CIN census XML and flattened CIN CSVs (returns.md §1.4-1.5)."""

    name = FORMAT

    def detect(self, path: Path, head: bytes) -> bool:
        try:
            if is_cin_xml(head):
                return True
            return csv_shape(head) is not None
        except Exception:  # detect never raises (contract)
            return False

    def read(self, paths: list[Path], definitions: Definitions, year: int | None = None) -> list[Return]:
        """One Return per XML file and per census of flattened CSVs, in the order of `paths`."""
        schemas = cin_schemas(definitions.tables)
        out: list[Return] = []
        csvs: list[Path] = []
        for path in paths:
            with path.open("rb") as f:
                head = f.read(65_536)
            if is_cin_xml(head):
                out.append(read_xml(path, definitions, year))
            else:
                csvs.append(path)
        if csvs:
            for raw in read_csv_censuses(csvs, schemas):
                out.append(census_return(raw, schemas, definitions.code_sets, year))
        return out


def read_xml(path: Path, definitions: Definitions, year: int | None = None) -> Return:
    """One census XML file -> its Return (InputError for malformed XML, naming the file and line)."""
    schemas = cin_schemas(definitions.tables)
    parsed = parse_cin_xml(path, schemas)
    notes = [Diagnostic(code="CSC224", severity=Severity.WARNING if s.repeated else Severity.INFO,
                        message=(f"`{s.path.rsplit('/', 1)[-1]}` is given twice in one record; the first is kept"
                                 if s.repeated else f"element `{s.path.rsplit('/', 1)[-1]}` ({s.path}) is not part of "
                                 "the CIN census schemas read; skipped with its contents")
                        + (f" ({s.count} times)" if s.count > 1 else ""),
                        hint=None if s.repeated else "nothing to do if the element is newer than this tool",
                        file=str(path), element=s.element, line=s.line, count=s.count)
             for s in parsed.skipped]
    tables = dict(parsed.tables)
    raw = RawCensus(tables, {t: str(path) for t in tables}, {t: parsed.sha256 for t in tables}, xml=True,
                    diagnostics=notes, elements=parsed.elements)
    return census_return(raw, schemas, definitions.code_sets, year)

