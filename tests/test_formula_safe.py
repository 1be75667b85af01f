"""Formula-safe CSV (OWASP): a text cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR first) is
written with a leading apostrophe; numbers, negative ones included, stay numbers. One writer
(`csc_metrics.safe_csv`) serves every `--format csv`; here each command is run on inputs carrying formulas
(a file name, an indicator title, an unknown code) and every cell of its CSV is checked."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from tests.conftest import DEFINITIONS, run_cli
from typer.testing import CliRunner

from csc_metrics.cli import app
from csc_metrics.safe_csv import safe_cell, write_csv

FORMULA = '=HYPERLINK("http://example.invalid","open")'
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


@pytest.mark.parametrize(("value", "written"), [
    ("=1+1", "'=1+1"), ("+44 20 7946 0000", "'+44 20 7946 0000"), ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("-", "'-"), ("- item", "'- item"),
    ("-3", "-3"), ("-2.5", "-2.5"), ("+1.5", "+1.5"), ("-2e3", "-2e3"), ("plain", "plain"), ("a=b", "a=b"),
    ("", ""), (-3, -3), (-2.5, -2.5), (0, 0), (True, True), (None, None),
])
def test_safe_cell(value, written):
    assert safe_cell(value) == written


def test_write_csv_round_trips_as_text_and_numbers():
    text = write_csv(["a", "b", "c"], [{"a": FORMULA, "b": -1.25, "c": "-7"}])
    assert text.splitlines() == ["a,b,c", f'"\'{FORMULA.replace(chr(34), chr(34) * 2)}",-1.25,-7']


def assert_formula_safe(text: str) -> list[list[str]]:
    """Every cell a spreadsheet would evaluate is a plain number; returns the rows."""
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows:
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                assert NUMBER.fullmatch(cell), f"formula-like cell written as it is: {cell!r}"
    return rows


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """A folder with: an extract whose List 3 file is named `=cmd.csv` and holds an unknown referral source
    `@SUM(1)` and a broken date; definitions whose `re_referrals_12m` title is a formula."""
    from csc_metrics.sample import generate_sample

    root = tmp_path_factory.mktemp("formula")
    extract = root / "extract"
    generate_sample(extract, children=100, seed=3)
    l3 = extract / "list_03_referrals.csv"
    rows = list(csv.reader(io.StringIO(l3.read_text(encoding="utf-8"))))
    rows[1][rows[0].index("Referral Source")] = "@SUM(1)"
    rows[2][rows[0].index("Date of referral")] = "-31/02/2025"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (extract / "=cmd.csv").write_text(buf.getvalue(), encoding="utf-8")
    l3.unlink()
    defs = root / "definitions"
    shutil.copytree(DEFINITIONS, defs)
    front = defs / "01_front_door.yaml"
    text = front.read_text(encoding="utf-8")
    text, n = re.subn(r"(?m)^    title: Re-referrals within 12 months$", f"    title: '{FORMULA}'", text)
    assert n == 1
    front.write_text(text, encoding="utf-8")
    return root


def _in(folder: Path, args: list) -> str:
    import os

    cwd = os.getcwd()
    os.chdir(folder)  # relative paths: the file name `=cmd.csv` starts a cell
    try:
        result = CliRunner().invoke(app, [str(a) for a in args])
        assert result.exit_code in (0, 1), result.stderr
        return result.stdout
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def store(hostile) -> Path:
    path = hostile / "history.sqlite"
    _in(hostile / "extract", ["compute", ".", "-d", hostile / "definitions", "--la", "808", "--store", path,
                              "-f", "json"])
    return path


def test_compute_csv(hostile, store):
    rows = assert_formula_safe(_in(hostile / "extract", ["compute", ".", "-d", hostile / "definitions", "--la", "808",
                                                         "--no-store", "-f", "csv"]))
    header = rows[0]
    titles = {r[header.index("title")] for r in rows[1:]}
    assert "'" + FORMULA in titles
    changes = [r[header.index("change")] for r in rows[1:] if r[header.index("change")].startswith("-")]
    assert changes and all(NUMBER.fullmatch(c) for c in changes)  # negative numbers stay numbers


def test_compare_csv(hostile, store):
    rows = assert_formula_safe(_in(hostile, ["compare", "--store", store, "-d", hostile / "definitions", "--la",
                                             "808", "-f", "csv"]))
    header = rows[0]
    assert "'" + FORMULA in {r[header.index("title")] for r in rows[1:]}
    assert any(r[header.index("difference")].startswith("-") for r in rows[1:])


def test_validate_csv(hostile):
    rows = assert_formula_safe(_in(hostile / "extract", ["validate", "=cmd.csv", "list_01_contacts.csv", "-f", "csv",
                                                         "--show-values"]))
    header = rows[0]
    assert {r[header.index("path")] for r in rows[1:]} >= {"'=cmd.csv"}
    values = {r[header.index("value")] for r in rows[1:]}
    assert {"'@SUM(1)", "'-31/02/2025"} <= values


def test_history_csv(hostile, store, monkeypatch):
    # history's cells are the tool's own (run ids, hashes, periods, figures), through the same writer: a
    # negative change stays a number, and text from the store that looks like a formula would be quoted
    assert_formula_safe(_in(hostile, ["history", "--store", store, "-f", "csv"]))
    series = assert_formula_safe(_in(hostile, ["history", "--store", store, "-f", "csv", "-i", "re_referrals_12m"]))
    assert len(series) > 1
    import csc_metrics.cli.history as history

    real = history._csv
    monkeypatch.setattr(history, "_csv", lambda rows, fields: real([{**r, fields[0]: FORMULA} for r in rows], fields))
    rows = assert_formula_safe(_in(hostile, ["history", "--store", store, "-f", "csv"]))
    assert rows[1][0] == "'" + FORMULA


def test_benchmarks_csv():
    assert_formula_safe(run_cli(["benchmarks", "--la", "808", "-m", "ReReferral", "-f", "csv"]).stdout)
