"""Hostile inputs for the fuzz tests (`test_fuzz.py`) and `bench/fuzz.py`: garbled extracts, wrong encodings,
other file types named `.csv`, damaged and oversized workbooks, link loops, odd file names.

Every maker takes a `random.Random` and the base files (a small synthetic extract: name -> bytes) and writes
one input under a folder, returning the path to pass to the CLI.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

Base = dict[str, bytes]  # file name -> bytes (CSV lists and one `annex_a.xlsx`)
Maker = Callable[[random.Random, Base, Path], Path]

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"


def base_files(folder: Path) -> Base:
    """A small synthetic extract (100 children) as CSV lists and one workbook."""
    from csc_metrics.sample import generate_sample

    csv_dir, xlsx_dir = folder / "csv", folder / "xlsx"
    generate_sample(csv_dir, children=100, seed=7)
    generate_sample(xlsx_dir, children=100, seed=7, fmt="xlsx")
    files = {p.name: p.read_bytes() for p in sorted(csv_dir.glob("*.csv"))}
    files["annex_a.xlsx"] = next(xlsx_dir.glob("*.xlsx")).read_bytes()
    return files


def _csv(rng: random.Random, base: Base) -> tuple[str, bytes]:
    name = rng.choice([n for n in base if n.endswith(".csv")])
    return name, base[name]


def _write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


# --- garbled CSV --------------------------------------------------------------------------------------

def _at(rng: random.Random, data: bytes) -> int:
    return rng.randrange(0, max(len(data), 1))


def dropped_bytes(rng, base, folder):
    name, data = _csv(rng, base)
    out = bytearray(data)
    for _ in range(rng.randint(1, 40)):
        if out:
            i = _at(rng, out)
            del out[i:i + rng.randint(1, 8)]
    return _write(folder, name, bytes(out))


def stray_quotes(rng, base, folder):
    name, data = _csv(rng, base)
    out = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        i = _at(rng, out)
        out[i:i] = rng.choice([b'"', b'""', b'"\xc3\xa9', b'"x', b'\xc3"', b'" '])
    return _write(folder, name, bytes(out))


def invalid_utf8(rng, base, folder):
    """The reproducer's kind: invalid UTF-8 sequences, some right after a closing quote."""
    name, data = _csv(rng, base)
    out = bytearray(data)
    for _ in range(rng.randint(1, 15)):
        seq = rng.choice([b"\xed\xa0\x80", b"\xff", b"\xc3", b"\xf4\x90\x80\x80", b"\x80", b"\xc0\xaf", b"\xe2\x82"])
        quotes = [m.end() for m in re.finditer(rb'"(?=,)', bytes(out))]
        i = rng.choice(quotes) if quotes and rng.random() < 0.5 else _at(rng, out)
        out[i:i] = seq
    return _write(folder, name, bytes(out))


def nuls(rng, base, folder):
    name, data = _csv(rng, base)
    out = bytearray(data)
    for _ in range(rng.randint(1, 30)):
        i = _at(rng, out)
        out[i:i] = b"\x00" * rng.randint(1, 4)
    return _write(folder, name, bytes(out))


def mixed_line_ends(rng, base, folder):
    name, data = _csv(rng, base)
    lines = data.split(b"\n")
    out = b"".join(line + rng.choice([b"\n", b"\r\n", b"\r", b"\n\r", b"\r\r\n"]) for line in lines)
    return _write(folder, name, out)


def long_line(rng, base, folder):
    name, data = _csv(rng, base)
    i = data.find(b"\n", _at(rng, data))
    filler = rng.choice([b"x", b"9,", b'"a",']) * (rng.choice([1, 4]) * 1_048_576 // 2)
    return _write(folder, name, data[:i + 1] + filler + data[i + 1:])


def wide_header(rng, base, folder):
    name, data = _csv(rng, base)
    first, _, rest = data.partition(b"\n")
    extra = b",".join(b"c%d" % i for i in range(rng.choice([2_000, 100_000])))
    return _write(folder, name, first.rstrip(b"\r") + b"," + extra + b"\n" + rest)


def bom_mid_file(rng, base, folder):
    name, data = _csv(rng, base)
    out = bytearray(data)
    for _ in range(rng.randint(1, 5)):
        i = _at(rng, out)
        out[i:i] = rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])
    return _write(folder, name, bytes(out))


def truncated(rng, base, folder):
    name, data = _csv(rng, base)
    return _write(folder, name, data[:rng.randint(0, len(data))])


def ragged_rows(rng, base, folder):
    name, data = _csv(rng, base)
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 10)):
        k = rng.randrange(1, max(len(lines), 2))
        if k < len(lines):
            cells = lines[k].split(b",")
            lines[k] = b",".join(cells[:rng.randint(0, len(cells))] if rng.random() < 0.5 else cells * 3)
    return _write(folder, name, b"\n".join(lines))


# --- encodings ----------------------------------------------------------------------------------------

def other_encoding(rng, base, folder):
    name, data = _csv(rng, base)
    text = data.decode("utf-8")
    enc = rng.choice(["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "latin-1", "shift_jis", "cp1252"])
    if enc in ("latin-1", "cp1252"):
        text = text.replace("a) ", "à) ", 3).replace("Team", "Équipe")
    elif enc == "shift_jis":
        text = text.replace("Team", "チーム").replace("a) ", "日本 ", 5)
    return _write(folder, name, text.encode(enc, errors="replace"))


# --- headers ------------------------------------------------------------------------------------------

def bad_headers(rng, base, folder):
    name, data = _csv(rng, base)
    first, _, rest = data.partition(b"\n")
    cells = first.rstrip(b"\r").split(b",")
    kind = rng.choice(["blank", "duplicate", "all_blank", "none"])
    if kind == "blank":
        cells[rng.randrange(len(cells))] = b""
    elif kind == "duplicate":
        cells[rng.randrange(len(cells))] = rng.choice(cells)
    elif kind == "all_blank":
        cells = [b""] * len(cells)
    else:
        return _write(folder, name, rest)
    return _write(folder, name, b",".join(cells) + b"\n" + rest)


# --- other file types named .csv ------------------------------------------------------------------------

def wrong_type(rng, base, folder):
    name, data = _csv(rng, base)
    kind = rng.choice(["xlsx", "zip", "png", "gzip", "pdf", "xls"])
    if kind == "xlsx":
        payload = base["annex_a.xlsx"]
    elif kind == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr(name, data)
        payload = buf.getvalue()
    elif kind == "png":
        payload = PNG + bytes(rng.randrange(256) for _ in range(200))
    elif kind == "gzip":
        payload = gzip.compress(data)
    elif kind == "pdf":
        payload = b"%PDF-1.4\n" + bytes(rng.randrange(256) for _ in range(300))
    else:
        payload = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)
    return _write(folder, name, payload)


def csv_named_xlsx(rng, base, folder):
    name, data = _csv(rng, base)
    return _write(folder, name.replace(".csv", ".xlsx"), data)


# --- workbooks ------------------------------------------------------------------------------------------

def _rewrite_xlsx(data: bytes, edit: Callable[[str, bytes], bytes]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, edit(info.filename, src.read(info.filename)))
    return buf.getvalue()


def corrupt_xlsx(rng, base, folder):
    data = bytearray(base["annex_a.xlsx"])
    kind = rng.choice(["truncate", "flip", "xml"])
    if kind == "truncate":
        data = data[:rng.randint(4, len(data) - 1)]
    elif kind == "flip":
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    else:
        def garble(name: str, part: bytes) -> bytes:
            if name.startswith("xl/worksheets/") and rng.random() < 0.5:
                i = rng.randrange(len(part))
                return part[:i] + rng.choice([b"<", b"&", b"\xff", b"</row>", b'<c r="ZZZZ9" t="s"><v>99999</v></c>']) + part[i:]
            if name == "xl/sharedStrings.xml" and rng.random() < 0.5:
                return part[: len(part) // 2]
            return part
        data = bytearray(_rewrite_xlsx(bytes(data), garble))
    return _write(folder, "annex_a.xlsx", bytes(data))


def huge_dimension(rng, base, folder):
    """A sheet declaring 1,048,576 rows or 16,384 (XFD) columns; the cells themselves few."""
    ref = rng.choice([b"A1:N1048576", b"A1:XFD20", b"A1:XFD1048576", b"A1:AZ999999"])

    def declare(name: str, part: bytes) -> bytes:
        if name.startswith("xl/worksheets/"):
            return re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + ref + b'"', part)
        return part
    return _write(folder, "annex_a.xlsx", _rewrite_xlsx(base["annex_a.xlsx"], declare))


_BOMB: dict[int, bytes] = {}


def zip_bomb(rng, base, folder):
    """A workbook whose one sheet inflates to 2.2 GB of blanks (a few MB on disk; built once)."""
    if not _BOMB:
        buf = io.BytesIO()
        src = zipfile.ZipFile(io.BytesIO(base["annex_a.xlsx"]))
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
            for info in src.infolist():
                if info.filename == "xl/worksheets/sheet1.xml":
                    with out.open(info.filename, "w", force_zip64=True) as f:
                        f.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                        chunk = b" " * 16_777_216
                        for _ in range(132):
                            f.write(chunk)
                        f.write(b"</sheetData></worksheet>")
                else:
                    out.writestr(info.filename, src.read(info.filename))
        _BOMB[0] = buf.getvalue()
    return _write(folder, "annex_a.xlsx", _BOMB[0])


# --- paths ----------------------------------------------------------------------------------------------

def link_loop(rng, base, folder):
    folder.mkdir(parents=True, exist_ok=True)
    kind = rng.choice(["file", "folder", "dangling"])
    if kind == "file":
        a, b = folder / "a.csv", folder / "b.csv"
        os.symlink(b, a)
        os.symlink(a, b)
        return a
    if kind == "folder":
        name, data = _csv(rng, base)
        inner = folder / "extract"
        inner.mkdir()
        (inner / name).write_bytes(data)
        os.symlink(inner, inner / "loop")
        os.symlink(folder / "nowhere.csv", inner / "gone.csv")
        return inner
    os.symlink(folder / "missing.csv", folder / "dangling.csv")
    return folder / "dangling.csv"


ODD_NAMES = ["list 3 referrals (copy).csv", "référrals — 2025.csv", "=HYPERLINK(1).csv", "-f.csv", "[bold]x[red].csv",
             "a\tb.csv", "line\nbreak.csv", "x" * 240 + ".csv", "日本語.csv", "%s%n.csv", ".csv", "CON.csv",
             "quote'\"s.csv", "emoji 🙂.CSV", "back\\slash.csv"]


def odd_name(rng, base, folder):
    _, data = _csv(rng, base)
    return _write(folder, rng.choice(ODD_NAMES), data)


MAKERS: dict[str, Maker] = {
    "dropped_bytes": dropped_bytes, "stray_quotes": stray_quotes, "invalid_utf8": invalid_utf8, "nuls": nuls,
    "mixed_line_ends": mixed_line_ends, "long_line": long_line, "wide_header": wide_header,
    "bom_mid_file": bom_mid_file, "truncated": truncated, "ragged_rows": ragged_rows,
    "other_encoding": other_encoding, "bad_headers": bad_headers, "wrong_type": wrong_type,
    "csv_named_xlsx": csv_named_xlsx, "corrupt_xlsx": corrupt_xlsx, "huge_dimension": huge_dimension,
    "zip_bomb": zip_bomb, "link_loop": link_loop, "odd_name": odd_name,
}
CHEAP = [k for k in MAKERS if k not in ("zip_bomb", "long_line", "wide_header")]  # for the in-CI examples


def make(kind: str, seed: int, base: Base, folder: Path) -> Path:
    """One hostile input of `kind` from `seed`, written under `folder`."""
    return MAKERS[kind](random.Random(seed), base, folder)
