"""Open input paths as raw text sheets: CSV files (any common encoding) and every sheet of xlsx workbooks.

Nothing is typed here: every cell is text (`pl.String`). Excel number cells arrive as their shortest text
(`12345`, `3.5`) and real date cells as ISO text (`2025-03-02 00:00:00`), which the converters understand.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import mmap
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from csc_metrics.errors import InputError
from csc_metrics.io import known_files, limits
from csc_metrics.io.normalise import column_letter

SCAN_ROWS = 10  # rows searched for the header row
CSV_SUFFIXES = {".csv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
XML_SUFFIXES = {".xml"}  # the DfE returns (SSDA903, CIN census): read by their formats, not as sheets
SUFFIXES = CSV_SUFFIXES | EXCEL_SUFFIXES | XML_SUFFIXES


@dataclass
class RawSheet:
    """One CSV file or worksheet, before its table is known."""

    path: str
    sheet: str | None
    encoding: str | None
    digest: Future[str]  # the file's SHA-256 ("" when not asked for)
    head: list[list[str | None]]  # the first SCAN_ROWS rows, as text cells
    _loader: Callable[[int, frozenset[int], str | None], tuple[pl.LazyFrame, list[str]]]

    @property
    def name_hint(self) -> str:
        """Sheet name, else the file name without suffix (a tie-breaker for recognising tables)."""
        return self.sheet if self.sheet is not None else Path(self.path).stem

    def load(self, header_index: int, categorical: frozenset[int] = frozenset(),
             encoding: str | None = None) -> tuple[pl.LazyFrame, list[str]]:
        """The rows below the header row as text columns `c0..cN` (lazy: parsed when collected) and each
        column's Excel letter. Data row i is Excel row `header_index + 2 + i`. Columns in `categorical` may
        come as Categorical (each with its own categories: the column's distinct texts), which the CSV parser
        builds cheaply for columns of few distinct texts. `encoding`: read a CSV as this encoding instead of
        the one detected."""
        return self._loader(header_index, categorical, encoding)


QUIET_SUFFIXES = {".md", ".toml", ".json", ".yaml", ".yml", ".pdf", ".docx"}


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[dict]]:
    """Files to read (folders searched recursively) and the files ignored, as `unrecognised` entries."""
    files: list[Path] = []
    ignored: list[dict] = []
    for path in paths:
        if path.is_symlink() and not path.exists():
            raise InputError(f"{path}: a symbolic link that leads nowhere (broken, or a loop)", code="CSC254",
                             hint="point the link at the extract, or pass the extract itself")
        if not path.exists():
            raise InputError(f"{path}: no such file or folder", hint="check the path", code="CSC254")
        if path.is_dir():
            for p in _walk(path, ignored):
                if p.name.startswith(("~$", ".")) or p.suffix.lower() in QUIET_SUFFIXES:
                    continue  # Excel lock files, hidden files, notes and settings kept beside extracts
                if p.suffix.lower() in SUFFIXES:
                    files.append(p)
                else:
                    ignored.append({"path": str(p), "sheet": None, "reason": "not a .csv, .xlsx, .xlsm or .xml file; ignored"})
        elif path.suffix.lower() in SUFFIXES:
            files.append(path)
        else:
            raise InputError(
                f"{path}: not a CSV or Excel (.xlsx) file, nor an XML return",
                hint="save the extract as .csv or .xlsx, or pass the folder that holds them", code="CSC250",
            )
    return files, ignored


def _walk(folder: Path, ignored: list[dict]) -> list[Path]:
    """Regular files under `folder`, sorted; folders reached twice through links (loops) and links that
    lead nowhere are skipped and listed in `ignored`."""
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()

    def visit(d: Path) -> None:
        try:
            st = d.stat()
            if (st.st_dev, st.st_ino) in seen:
                ignored.append({"path": str(d), "sheet": None, "reason": "a link back to a folder already read; ignored"})
                return
            seen.add((st.st_dev, st.st_ino))
            entries = sorted(d.iterdir())
        except OSError as exc:
            ignored.append({"path": str(d), "sheet": None, "reason": f"cannot be read ({exc.strerror or exc}); ignored"})
            return
        for p in entries:
            try:
                if p.is_dir():
                    visit(p)
                elif p.is_file():
                    found.append(p)
                elif p.is_symlink():
                    ignored.append({"path": str(p), "sheet": None,
                                    "reason": "a symbolic link that leads nowhere (broken, or a loop); ignored"})
            except OSError as exc:
                ignored.append({"path": str(p), "sheet": None, "reason": f"cannot be read ({exc.strerror or exc}); ignored"})

    visit(folder)
    return sorted(found)


_HASHER = ThreadPoolExecutor(max_workers=1)


def open_path(path: Path, digest: bool = True) -> Iterator[RawSheet]:
    """Every raw sheet in one file; `digest`: hash the file (SHA-256) in the background, else "" for it."""
    try:
        with path.open("rb") as f:
            head = f.read(HEAD_BYTES)
            st = os.fstat(f.fileno())
    except OSError as exc:
        raise InputError(f"{path}: cannot be opened ({exc.strerror or type(exc).__name__})", code="CSC254",
                         hint="check the file exists, is a file (not a folder or a link loop) and you may read it") from None
    size, key = st.st_size, known_files.stamp(st)
    if not head.lstrip(BLANK_BYTES) and (size <= len(head) or not path.read_bytes().lstrip(BLANK_BYTES)):
        raise InputError(f"{path}: the file is empty", hint="export the list again; it has no header row or data",
                         code="CSC215")
    is_csv = path.suffix.lower() in CSV_SUFFIXES
    if is_csv:
        limits.sniff_csv(path, head)
    else:
        limits.sniff_xlsx(path, head)
    data = None if is_csv else path.read_bytes()  # a workbook is read whole, and hashed from memory
    if data is not None:
        limits.check_xlsx(path, data)
    known = known_files.recall(key, "sha256") if digest and data is None else None
    if digest and known is None:  # hashed while polars parses
        hashed: Future[str] = _HASHER.submit(_sha256, path if data is None else data, key)
    else:  # an unchanged file hashed by an earlier run, or no hash asked for
        hashed = Future()
        hashed.set_result(known or "")
    if data is None:
        yield _csv_sheet(path, head, size, hashed, key)
    else:
        yield from _excel_sheets(path, data, hashed)


BLANK_BYTES = b" \t\r\n\x00\xef\xbb\xbf\xff\xfe,;"  # a file of only these is empty


def _sha256(source: Path | bytes, key: str | None = None) -> str:
    """The SHA-256 of a workbook's bytes, or of a file (kept for its stamp `key`, see `known_files`)."""
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    with source.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    known_files.record(source, key, "sha256", digest)
    return digest


# --- CSV ------------------------------------------------------------------------------------------------

HEAD_BYTES = 262_144


def detect_encoding(data: bytes, size: int) -> str:
    """BOM first, then UTF-32/UTF-16 saved without one (ASCII text with NULs between), then UTF-8 (judged on
    the first 256 KB; polars checks the rest), else Windows-1252, else Shift-JIS when that reads the bytes
    and Windows-1252 cannot. `data`: the file, or its first 256 KB; `size`: the file's size."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    head = data[:HEAD_BYTES]
    if head.count(b"\x00") > len(head) // 4:  # UTF-16 or UTF-32 saved without a BOM: ASCII with NULs between
        quarter = len(head) // 4
        nuls = [head[i::4].count(b"\x00") for i in range(4)]
        if min(nuls[1:]) >= 0.9 * quarter and nuls[0] < 0.5 * quarter:
            return "utf-32-le"
        if min(nuls[:3]) >= 0.9 * quarter and nuls[3] < 0.5 * quarter:
            return "utf-32-be"
        return "utf-16-le" if head[1::2].count(b"\x00") > head[::2].count(b"\x00") else "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=size <= HEAD_BYTES)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    for candidate in ("cp1252", "shift_jis"):
        try:
            codecs.getincrementaldecoder(candidate)().decode(head, final=size <= HEAD_BYTES)
        except UnicodeDecodeError:
            continue
        return candidate
    return "cp1252"  # undefined bytes become U+FFFD


def _to_utf8(data: bytes, encoding: str) -> bytes:
    """The file, in an encoding other than plain UTF-8, as UTF-8 bytes without a BOM (polars reads UTF-8 only).
    Bytes the encoding does not define become U+FFFD, never a crash."""
    if encoding == "utf-8-sig":
        data = data[len(codecs.BOM_UTF8):]
        try:
            data.decode("utf-8")
            return data
        except UnicodeDecodeError:
            return data.decode("utf-8", errors="replace").encode("utf-8")
    if encoding.startswith("utf-16") and data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        data = data[2:]
    text = data.decode(encoding, errors="replace")
    return text.removeprefix("\ufeff").encode("utf-8")


def _csv_sheet(path: Path, first: bytes, size: int, digest: Future[str], key: str | None = None) -> RawSheet:
    """A CSV file; plain UTF-8 (the usual case) is parsed by polars from the file itself, other encodings
    from UTF-8 bytes converted here. Either is checked (`limits.check_csv`) before polars sees it, unless the
    same file (stamp `key`, see `known_files`) passed the same checks in an earlier run."""
    encoding = detect_encoding(first, size)
    utf8: Path | bytes = path if encoding == "utf-8" else _to_utf8(path.read_bytes(), encoding)
    checked = f"{encoding}|{limits.active().csv_max_line_bytes}"  # what the checks' verdict depends on
    if known_files.recall(key, "csv_checked") != checked:
        _check_csv(path, utf8)
        known_files.record(path, key, "csv_checked", checked)
    head_text = (first if isinstance(utf8, Path) else utf8[:HEAD_BYTES]).decode("utf-8", errors="ignore")
    head: list[list[str | None]] = []
    try:
        for record in csv.reader(io.StringIO(head_text.replace("\x00", ""))):
            limits.check_header_width(path, len(record))
            head.append([c if c.strip() else None for c in record])
            if len(head) >= SCAN_ROWS:
                break
    except csv.Error as exc:
        raise InputError(f"{path}: cannot be read as CSV ({exc})", code="CSC251",
                         hint="open it in Excel and save it again as CSV UTF-8") from None

    def load(header_index: int, categorical: frozenset[int], as_encoding: str | None) -> tuple[pl.LazyFrame, list[str]]:
        source = utf8
        if as_encoding is not None:
            source = _to_utf8(path.read_bytes(), as_encoding)
            _check_csv(path, source)
        width = max(len(head[header_index]), 1)
        dtypes = {f"c{i}": pl.Categorical(pl.Categories.random()) if i in categorical else pl.String
                  for i in range(width)}
        frame = pl.scan_csv(source, has_header=False, schema=dtypes,
                            skip_rows=header_index + 1, truncate_ragged_lines=True, raise_if_empty=False,
                            infer_schema=False, missing_columns="insert")
        return frame, [column_letter(i) for i in range(width)]

    return RawSheet(str(path), None, encoding, digest, head, load)


def _check_csv(path: Path, source: Path | bytes) -> None:
    """`limits.check_csv` on UTF-8 bytes, or on a file mapped into memory (not copied)."""
    if isinstance(source, bytes):
        limits.check_csv(path, source)
        return
    with source.open("rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            limits.check_csv(path, mapped)


# --- Excel ----------------------------------------------------------------------------------------------

def _excel_sheets(path: Path, data: bytes, digest: Future[str]) -> Iterator[RawSheet]:
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
        names = reader.sheet_names
    except Exception as exc:  # fastexcel raises CalamineError and its subclasses for every damaged part
        raise _damaged(path, None, exc) from None
    for name in names:
        # header_row=None, skip_rows=0: row 0 of the frame is Excel row 1, even when the first rows are empty
        try:
            sheet = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0, whitespace_as_null=True)
            if sheet.width == 0:
                continue
            frame = sheet.to_polars()
        except Exception as exc:
            raise _damaged(path, name, exc) from None
        cols = sheet.available_columns()
        letters = [column_letter(c.absolute_index) for c in cols]
        frame = frame.rename(dict(zip(frame.columns, [f"c{i}" for i in range(frame.width)], strict=True)))
        head = [list(r) for r in frame.head(SCAN_ROWS).rows()]

        def load(header_index: int, _: frozenset[int], __: str | None, frame: pl.DataFrame = frame,
                 letters: list[str] = letters):
            return frame.lazy().slice(header_index + 1), letters

        yield RawSheet(str(path), name, None, digest, head, load)


def _damaged(path: Path, sheet: str | None, exc: Exception) -> InputError:
    """A workbook calamine cannot read (CSC253): the file and sheet, and calamine's first line."""
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    where = f"{path} [{sheet}]" if sheet else str(path)
    return InputError(f"{where}: cannot be read as an Excel workbook: it is damaged ({detail})", code="CSC253",
                      hint="open it in Excel (which may offer to repair it) and save it again as .xlsx")
