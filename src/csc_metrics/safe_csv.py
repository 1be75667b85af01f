"""Formula-safe CSV: the one writer every `--format csv` output goes through.

A spreadsheet opening a CSV evaluates a cell that begins with `=`, `+`, `-` or `@` (and some read a leading
tab or carriage return the same way), so a code, label or file name such as `=HYPERLINK(...)` read from a
user's file would run as a formula. Following the OWASP advice, such a text field is written with a leading
apostrophe (`'=HYPERLINK(...)`), which the spreadsheet shows as text. Numbers stay numbers: a Python int or
float is written as it is, and so is text that is a plain number (`-3`, `+1.5`, `-2e3`), so a negative value
is still a number in the spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """A value ready for `csv.writer`: text that a spreadsheet would take as a formula gets a leading `'`."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every value of a `csv.DictWriter` row through `safe_cell`."""
    return {k: safe_cell(v) for k, v in row.items()}


def write_csv(fieldnames: Sequence[str], rows: Iterable[Mapping[str, Any]], *, extrasaction: str = "raise") -> str:
    """The CSV text (header, then one line per row, `\\n` line ends), every cell formula-safe."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fieldnames), extrasaction=extrasaction,  # type: ignore[arg-type]
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(safe_row(row))
    return buf.getvalue()
