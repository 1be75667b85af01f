"""Checks on an input file's bytes before a parser sees them: file type, size limits, CSV quoting.

Hostile or damaged files must end in one located message, never in a crash or an unbounded allocation:
- an xlsx declaring a sheet of a million rows or 16,384 columns, or a zip that inflates to gigabytes, is
  refused before calamine (fastexcel) allocates for it;
- a CSV line or header row beyond the limits is refused before it is parsed;
- a CSV whose quoting polars cannot read safely is refused: polars 2.1.0 reads a quoted field followed by
  more text (`"abc"é,`) into a Categorical column as a broken string and then crashes (segmentation fault)
  when the text is used.

The limits are settings (`[limits]` in `csc-metrics.toml`, see the README; `config.Limits`).
"""

from __future__ import annotations

import io
import mmap
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from csc_metrics.config import Limits, active_limits
from csc_metrics.errors import InputError


def active() -> Limits:
    """The limits in force: the config file's `[limits]`, else the defaults."""
    return active_limits()


def _too_big(path: Path, what: str, setting: str, sheet: str | None = None) -> InputError:
    where = f"{path} [{sheet}]" if sheet else str(path)
    return InputError(f"{where}: {what}; not read",
                      hint=f"check the file is the extract you meant; if it is, raise `{setting}` under [limits] "
                           "in csc-metrics.toml", code="CSC252")


# --- file type ------------------------------------------------------------------------------------------

MAGIC = (  # leading bytes of file types people save or rename by mistake
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook is one)"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls (or other Office) file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\xfd7zXZ", "an xz archive"),
    (b"SQLite format 3", "an SQLite database"),
    (b"{\\rtf", "an RTF document"),
)


def sniff_csv(path: Path, head: bytes) -> None:
    """Refuse a `.csv` whose first bytes show another file type (CSC250)."""
    for magic, kind in MAGIC:
        if head.startswith(magic):
            hint = ("rename it to .xlsx if it is a workbook" if magic == b"PK\x03\x04"
                    else "open the original in Excel and save it as CSV UTF-8")
            raise InputError(f"{path}: not a CSV file: it is {kind}", hint=hint, code="CSC250")
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        return  # text with a byte order mark
    sample = head[:65536]
    controls = sum(sample.count(bytes([b])) for b in (*range(1, 9), 11, 12, *range(14, 27), *range(28, 32)))
    if sample and controls > len(sample) // 10:
        raise InputError(f"{path}: not a CSV file: it holds binary data", code="CSC250",
                         hint="export the list again as CSV UTF-8 from the case management system or Excel")


def sniff_xlsx(path: Path, head: bytes) -> None:
    """Refuse an `.xlsx`/`.xlsm` that is not a zip archive (CSC250)."""
    if head.startswith(b"PK\x03\x04"):
        return
    kind = next((k for m, k in MAGIC if head.startswith(m)), None)
    if kind is None:
        kind = "text (a CSV file?)" if _looks_text(head) else "not a workbook"
    raise InputError(f"{path}: not an Excel workbook: it is {kind}", code="CSC250",
                     hint="rename it to .csv if it is CSV text, or open it in Excel and save it as .xlsx")


def _looks_text(head: bytes) -> bool:
    try:
        head[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --- CSV ------------------------------------------------------------------------------------------------

# A CSV, read from the start: unquoted stretches, and quoted fields ("" inside) each followed by spaces and a
# comma, a line end or the end of the file. Possessive, so it runs in one pass with no backtracking; where it
# stops short of the end, the quoting is broken.
_QUOTED = re.compile(rb'(?:[^"]++|"[^"]*+(?:""[^"]*+)*+"(?=[ \t]*+(?:[,\r\n]|\Z)))*+')
_UNCLOSED = re.compile(rb'"[^"]*+(?:""[^"]*+)*+\Z')


def check_csv(path: Path, data: bytes | mmap.mmap, limits: Limits | None = None) -> None:
    """Refuse a CSV (UTF-8 bytes) with a line longer than the limit (CSC252) or quoting polars cannot read
    safely (CSC251): a quoted field followed by more text, or a quote never closed."""
    limits = limits or active()
    _check_lines(path, data, limits.csv_max_line_bytes)
    if data.find(b'"') < 0:
        return
    end = _QUOTED.match(data).end()  # type: ignore[union-attr]  # always matches (possibly empty)
    if end == len(data):
        return
    line = data[:end].count(b"\n") + 1
    if _UNCLOSED.match(data, end):
        raise InputError(f"{path}: line {line}: a quote opens a field and is never closed; not read", code="CSC251",
                         hint="find the stray \" on that line (a quote inside a field must be doubled, \"\"), "
                              "or export the list again as CSV")
    raise InputError(f"{path}: line {line}: text follows the closing quote of a field; not read", code="CSC251",
                     hint="a field is either quoted as a whole (\"like, this\") or not at all; fix that line "
                          "or export the list again as CSV")


def _check_lines(path: Path, data: bytes | mmap.mmap, limit: int) -> None:
    """A line longer than `limit` bytes: some window of `limit` bytes from a line start holds no line end.
    Jumps from the last line end of each window, so a file costs about size/limit searches."""
    size = len(data)
    pos = 0
    while size - pos > limit:
        nl = max(data.rfind(b"\n", pos, pos + limit + 1), data.rfind(b"\r", pos, pos + limit + 1))
        if nl < 0:
            line = data[:pos].count(b"\n") + 1
            raise _too_big(path, f"line {line} is longer than {limit:,} bytes (or the file has no line breaks)",
                           "csv_max_line_bytes")
        pos = nl + 1


def check_header_width(path: Path, width: int, limits: Limits | None = None) -> None:
    limits = limits or active()
    if width > limits.csv_max_columns:
        raise _too_big(path, f"the header row has more than {limits.csv_max_columns:,} columns ({width:,} in "
                             "its first 256 KB)", "csv_max_columns")


# --- xlsx -----------------------------------------------------------------------------------------------

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="\$?([A-Z]{1,3})?\$?(\d+)?(?::\$?([A-Z]{1,3})\$?(\d+))?"')
_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_SHEET_ALT = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]*)"[^>]*?\bname="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"')
_REL_ALT = re.compile(rb'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')


@dataclass
class SheetSize:
    name: str
    rows: int
    columns: int


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def check_xlsx(path: Path, data: bytes, limits: Limits | None = None) -> None:
    """Refuse a workbook that is not a readable zip (CSC253), inflates past the limit, or has a sheet declaring
    more rows, columns or cells than the limits (CSC252). Reads only the zip directory and each sheet's first
    few kilobytes."""
    limits = limits or active()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot be opened as an Excel workbook: it is damaged ({exc})", code="CSC253",
                         hint="open it in Excel (which may offer to repair it) and save it again as .xlsx") from None
    total = sum(i.file_size for i in infos)
    if total > limits.xlsx_max_uncompressed_mb * 1_000_000:
        raise _too_big(path, f"the workbook inflates to {total / 1e6:,.0f} MB (the limit is "
                             f"{limits.xlsx_max_uncompressed_mb:,} MB)", "xlsx_max_uncompressed_mb")
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise InputError(f"{path}: not an Excel workbook: the zip archive has no xl/workbook.xml", code="CSC253",
                         hint="open it in Excel and save it as .xlsx, or pass the CSV files it holds")
    for size in _sheet_sizes(zf, names):
        cells = size.rows * size.columns
        if size.rows > limits.xlsx_max_rows:
            raise _too_big(path, f"the sheet declares {size.rows:,} rows (the limit is {limits.xlsx_max_rows:,})",
                           "xlsx_max_rows", size.name)
        if size.columns > limits.xlsx_max_columns:
            raise _too_big(path, f"the sheet declares {size.columns:,} columns (the limit is "
                                 f"{limits.xlsx_max_columns:,})", "xlsx_max_columns", size.name)
        if cells > limits.xlsx_max_cells:
            raise _too_big(path, f"the sheet declares {cells:,} cells (the limit is {limits.xlsx_max_cells:,})",
                           "xlsx_max_cells", size.name)


def _read_part(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        with zf.open(name) as f:
            return f.read(limit)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        return b""  # calamine reports a damaged part itself


def _sheet_sizes(zf: zipfile.ZipFile, names: set[str]) -> list[SheetSize]:
    """Each worksheet's declared size (`<dimension ref="A1:N500">`), named as in the workbook."""
    workbook = _read_part(zf, "xl/workbook.xml", 4_000_000)
    rels = _read_part(zf, "xl/_rels/workbook.xml.rels", 4_000_000)
    targets = {rid: target for rid, target in _REL.findall(rels)} | {rid: t for t, rid in _REL_ALT.findall(rels)}
    sheets = {rid: name for name, rid in _SHEET.findall(workbook)} | {rid: n for rid, n in _SHEET_ALT.findall(workbook)}
    by_part = {}
    for rid, name in sheets.items():
        target = targets.get(rid, b"").decode("utf-8", "replace").lstrip("/")
        part = target if target.startswith("xl/") else f"xl/{target}"
        by_part[part] = name.decode("utf-8", "replace")
    sizes = []
    for part in sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")):
        found = _DIMENSION.search(_read_part(zf, part, 16_384))
        if found is None:
            continue
        c1, r1, c2, r2 = found.groups()
        last_col = _col_number(c2 or c1 or b"A")
        last_row = int(r2 or r1 or b"1")
        sizes.append(SheetSize(by_part.get(part, part), last_row, last_col))
    return sizes
