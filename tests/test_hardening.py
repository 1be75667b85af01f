"""Hostile and damaged input files: each ends in one located message with its own code and exit 2 (or is read),
never a crash, an abort, an unbounded allocation or an "internal error"; and the catch-all for real bugs."""

from __future__ import annotations

import gzip
import io
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from tests.test_read import L3, l3_row, write_csv

from csc_metrics.diagnostics import CODES
from csc_metrics.io.sources import detect_encoding


def _validate(cli, path: Path, code: int = 2, *extra):
    return cli(["validate", path, *extra], code)


def _error(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def referrals(tmp_path: Path, name: str = "referrals.csv", n: int = 3) -> Path:
    return write_csv(tmp_path / name, [L3, *[l3_row(cid=f"C{i}") for i in range(n)]])


# --- the reproducer: polars 2.1.0 segfaults on a quoted field followed by more text -----------------------

def test_text_after_a_closing_quote_is_refused_with_file_and_line_not_a_segfault(tmp_path):
    # As ../shared/repro/segfault-bad-utf8.csv: `"RC7 - ..., need"` then a stray byte (0xC3, invalid UTF-8, so
    # the file is read as Windows-1252 and the byte becomes `Ã`): polars put a broken string in the Categorical
    # column and crashed (exit 139). In a subprocess, so a crash fails the test instead of killing it.
    lines = [",".join(row).encode() for row in [L3, *[l3_row(cid=f"C{i}") for i in range(40)]]]
    lines[30] = lines[30].replace(b",Team A,", b',"Team, North"\xc3,')  # line 31 of the file
    (tmp_path / "bad.csv").write_bytes(b"\n".join(lines) + b"\n")
    proc = subprocess.run([sys.executable, "-m", "csc_metrics", "validate", "bad.csv"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert re.fullmatch(r"error: CSC251 bad\.csv: line 31: text follows the closing quote of a field; not read \(.+\)\n",
                        proc.stderr), proc.stderr


def test_a_quote_never_closed_is_refused(tmp_path, cli):
    path = referrals(tmp_path)
    path.write_bytes(path.read_bytes().replace(b"Team A", b'"Team A', 1))
    assert "CSC251" in _error(_validate(cli, path)) and "line 2" in _error(_validate(cli, path))


def test_quoted_fields_with_commas_and_doubled_quotes_still_read(tmp_path, cli):
    path = write_csv(tmp_path / "referrals.csv", [L3, l3_row(team='Team "A", North'), l3_row(cid="C2")])
    assert b'"Team ""A"", North"' in path.read_bytes()
    cli(["validate", path], 0)


# --- encodings ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "expected"), [
    ("utf-32-le", "utf-32-le"), ("utf-32-be", "utf-32-be"), ("utf-16-be", "utf-16-be"), ("shift_jis", "shift_jis"),
    ("latin-1", "cp1252"),
])
def test_encodings_without_a_bom_are_recognised(tmp_path, encoding, expected):
    team = "チーム北" if encoding == "shift_jis" else "Équipe Nord"
    rows = [L3, *[l3_row(cid=f"C{i}", team=team) for i in range(5)]]
    path = write_csv(tmp_path / "referrals.csv", rows, encoding)
    data = path.read_bytes()
    assert detect_encoding(data, len(data)) == expected


def test_utf32_without_a_bom_is_read(tmp_path, cli):
    path = write_csv(tmp_path / "referrals.csv", [L3, l3_row(), l3_row(cid="C2")], "utf-32-le")
    out = cli(["validate", path, "-f", "json"], 0).stdout
    assert '"encoding": "utf-32-le"' in out and '"rows": 2' in out


# --- other files named .csv or .xlsx -------------------------------------------------------------------------

def _zip(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(("payload", "kind"), [
    (_zip("x.csv", b"a,b\n1,2\n"), "a zip archive"),
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "a PNG image"),
    (gzip.compress(b"a,b\n1,2\n"), "a gzip archive"),
    (b"%PDF-1.4\n" + bytes(range(256)), "a PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "an old Excel .xls"),
    (bytes(range(1, 32)) * 50, None),
])
def test_other_file_types_named_csv_are_named(tmp_path, cli, payload, kind):
    (tmp_path / "list3.csv").write_bytes(payload)
    line = _error(_validate(cli, tmp_path / "list3.csv"))
    what = f"it is {kind}" if kind else "it holds binary data"
    assert line.startswith(f"error: CSC250 {tmp_path / 'list3.csv'}: not a CSV file: {what}")


def test_csv_text_named_xlsx_is_named(tmp_path, cli):
    path = referrals(tmp_path)
    path.rename(tmp_path / "list3.xlsx")
    line = _error(_validate(cli, tmp_path / "list3.xlsx"))
    assert "CSC250" in line and "list3.xlsx: not an Excel workbook: it is text (a CSV file?)" in line


def _workbook(tmp_path: Path, name: str = "annex.xlsx") -> Path:
    from tests.test_read_xlsx import write_workbook

    write_workbook(tmp_path / name)
    return tmp_path / name


def _rewrite(path: Path, edit) -> None:
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, edit(info.filename, src.read(info.filename)))
    path.write_bytes(buf.getvalue())


def test_a_truncated_workbook_is_damaged(tmp_path, cli):
    path = _workbook(tmp_path)
    path.write_bytes(path.read_bytes()[:3000])
    line = _error(_validate(cli, path))
    assert line.startswith(f"error: CSC253 {path}: cannot be opened as an Excel workbook: it is damaged")


def test_a_sheet_with_broken_xml_names_the_workbook(tmp_path, cli):
    path = _workbook(tmp_path)
    _rewrite(path, lambda n, d: d[: len(d) // 2] if n.startswith("xl/worksheets/") else d)
    line = _error(_validate(cli, path))
    assert "CSC253" in line and str(path) in line and "internal error" not in line


@pytest.mark.parametrize(("ref", "setting"), [("A1:N1048576", "xlsx_max_rows"), ("A1:XFD20", "xlsx_max_columns"),
                                              ("A1:ALL999999", "xlsx_max_cells")])
def test_a_sheet_declaring_excels_full_size_is_refused_fast(tmp_path, cli, ref, setting):
    # the sheet holds a few rows but declares 1,048,576 (or 16,384 columns): calamine would allocate for all
    # of it (44 GB in the fuzzing that found it) before reading a cell
    path = _workbook(tmp_path)
    _rewrite(path, lambda n, d: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), d)
             if n.startswith("xl/worksheets/") else d)
    start = time.perf_counter()
    line = _error(_validate(cli, path))
    assert time.perf_counter() - start < 5
    assert re.match(rf"error: CSC252 {re.escape(str(path))} \[.+\]: the sheet declares [\d,]+ (rows|columns|cells)", line)
    assert f"raise `{setting}` under [limits]" in line


def test_limits_come_from_the_config_file(tmp_path, cli):
    path = _workbook(tmp_path)
    (tmp_path / "csc-metrics.toml").write_text("[limits]\nxlsx_max_rows = 3\n", encoding="utf-8")
    assert "the limit is 3" in _error(_validate(cli, path))
    (tmp_path / "csc-metrics.toml").write_text("[limits]\nxlsx_max_rows = 1_048_576\n", encoding="utf-8")
    assert '"table": "annex_a_list_3"' in cli(["validate", path, "-f", "json"], 1).stdout  # read (its CSC errors: 1)


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path, cli):
    path = _workbook(tmp_path)
    _rewrite(path, lambda n, d: d + b" " * 30_000_000 if n == "xl/sharedStrings.xml" else d)
    assert path.stat().st_size < 1_000_000
    (tmp_path / "csc-metrics.toml").write_text("[limits]\nxlsx_max_uncompressed_mb = 20\n", encoding="utf-8")
    line = _error(_validate(cli, path))
    assert "CSC252" in line and "inflates to 30 MB (the limit is 20 MB)" in line


def test_a_long_line_and_a_wide_header_are_refused(tmp_path, cli):
    path = referrals(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data + b"x" * 1_100_000 + b"\r\n")
    line = _error(_validate(cli, path))
    assert "CSC252" in line and "line 5 is longer than 1,048,576 bytes" in line and "csv_max_line_bytes" in line
    wide = tmp_path / "wide.csv"
    wide.write_bytes(b",".join([b"h%d" % i for i in range(100_000)]) + b"\n" + data)
    line = _error(_validate(cli, wide))
    assert "CSC252" in line and "the header row has more than 1,000 columns" in line


# --- paths --------------------------------------------------------------------------------------------

def test_link_loops_and_dangling_links(tmp_path, cli):
    os.symlink(tmp_path / "b.csv", tmp_path / "a.csv")
    os.symlink(tmp_path / "a.csv", tmp_path / "b.csv")
    line = _error(_validate(cli, tmp_path / "a.csv"))
    assert line.startswith(f"error: CSC254 {tmp_path / 'a.csv'}: a symbolic link that leads nowhere")
    folder = tmp_path / "extract"
    folder.mkdir()
    referrals(folder)
    os.symlink(folder, folder / "loop")
    out = cli(["validate", folder, "-f", "json"], 0).stdout
    assert "a link back to a folder already read" in out and '"rows": 3' in out


@pytest.mark.parametrize(("name", "shown"), [("[bold]x[red].csv", None), ("=HYPERLINK(1).csv", None),
                                             ("référrals — 2025.csv", None), ("a\tb.csv", "a\\tb.csv"),
                                             ("line\nbreak.csv", "line\\nbreak.csv")])
def test_odd_file_names_are_shown_as_they_are(tmp_path, cli, name, shown):
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(50))
    assert (shown or name) in _error(_validate(cli, path))  # control characters escaped: one line


# --- the catch-all --------------------------------------------------------------------------------------

def test_a_real_bug_says_so_and_how_to_report_it_without_the_exception_text(tmp_path, cli, monkeypatch):
    import csc_metrics.io

    def broken(*a, **k):
        raise TypeError("child 987654 broke it")

    monkeypatch.setattr(csc_metrics.io, "read_inputs", broken)
    path = referrals(tmp_path)
    result = cli(["validate", path], 2)
    assert "internal error: CSC900 this is a bug in csc-metrics (TypeError at test_hardening.py:" in result.stderr
    assert "--debug" in result.stderr and "987654" not in result.stderr + result.stdout
    with pytest.raises(TypeError, match="987654"):  # --debug: the exception itself, with its traceback
        cli(["--debug", "validate", path], 1)


def test_debug_is_a_documented_option():
    proc = subprocess.run([sys.executable, "-m", "csc_metrics", "--help"], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert "--debug" in proc.stdout


def test_debug_after_the_command_also_works(tmp_path):
    (tmp_path / "x.csv").write_bytes(b"\x89PNG\r\n\x1a\n")
    proc = subprocess.run([sys.executable, "-m", "csc_metrics", "validate", "x.csv", "--debug"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "InputError" in proc.stderr


def test_new_codes_are_registered():
    for code in ("CSC250", "CSC251", "CSC252", "CSC253", "CSC254", "CSC255", "CSC900"):
        assert code in CODES
