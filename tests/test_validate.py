"""`csc-metrics validate`: recognition of every list from a folder of CSVs and from a workbook, the JSON
contract, exit codes, hidden values, and one-line errors for unreadable input."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.test_read_xlsx import cell, write_workbook
from typer.testing import CliRunner

from csc_metrics.cli import app
from csc_metrics.spec.loader import load_definitions, standard_definitions_path

DEFS_DIR = standard_definitions_path() / "tables"  # validate needs only the table schemas


@pytest.fixture(scope="module")
def shipped():
    defs = load_definitions([DEFS_DIR]).definitions
    tables = sorted((t for t in defs.tables.values() if t.annex_a_list), key=lambda t: t.annex_a_list)
    return defs, tables


def run(args: list, code: int):
    result = CliRunner().invoke(app, ["validate", *[str(a) for a in args], "--definitions", str(DEFS_DIR)],
                                env={"COLUMNS": "250"})
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr, result.exception)
    return result


def write_list_csv(path: Path, table, code_sets, mutate=None) -> None:
    header = [c.header for c in table.columns]
    rows = []
    for i in range(2):
        row = []
        for c in table.columns:
            value, how = cell(c, i, code_sets)
            row.append(value.strftime("%d/%m/%Y") if how == "date" else str(value))
        rows.append(row)
    if mutate:
        mutate(header, rows)
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])


def test_folder_of_csvs_recognises_every_list(tmp_path, shipped):
    defs, tables = shipped
    for t in tables:  # neutral file names: headers decide
        write_list_csv(tmp_path / f"q{t.annex_a_list}.csv", t, defs.code_sets)
    (tmp_path / "readme.txt").write_text("notes")
    payload = json.loads(run([tmp_path, "--format", "json"], 0).stdout)
    assert set(payload) == {"schema_version", "tables", "unrecognised", "issues", "summary"}
    assert payload["schema_version"] == 1
    found = {Path(t["path"]).name: t["table"] for t in payload["tables"]}
    assert found == {f"q{t.annex_a_list}.csv": t.id for t in tables}
    first = payload["tables"][0]
    assert set(first) == {"path", "sheet", "table", "rows", "skipped_rows", "coverage", "encoding", "headers"}
    assert first["rows"] == 2 and first["encoding"] == "utf-8" and first["coverage"] == ["2025-03-01", "2025-03-02"]
    assert set(first["headers"][0]) == {"header", "column", "letter"} and first["headers"][0]["letter"] == "A"
    assert [Path(u["path"]).name for u in payload["unrecognised"]] == ["readme.txt"]
    assert payload["summary"] == {"errors": 0, "warnings": 0}


def test_workbook_recognises_every_list_and_table_format_lists_them(tmp_path, shipped):
    defs, tables = shipped
    path = tmp_path / "annex_a.xlsx"
    write_workbook(path, tables=tables, code_sets=defs.code_sets)
    out = run([path], 0).stdout
    for t in tables:  # each sheet's row names the list it was recognised as
        assert re.search(rf"│ List {t.annex_a_list} +│ List {t.annex_a_list} +│", out), t.id
    assert "Notes" in out and "headers match no table" in out


def test_errors_exit_1_with_row_column_and_value_only_with_show_values_in_every_format(tmp_path, shipped):
    defs, tables = shipped
    l3 = tables[2]
    date_col = [c.name for c in l3.columns].index("referral_date")

    def break_date(header, rows):
        rows[1][date_col] = "31/02/2025"

    write_list_csv(tmp_path / "l3.csv", l3, defs.code_sets, break_date)
    letter = chr(ord("A") + date_col)
    expected = {"code": "CSC201", "severity": "error", "path": str(tmp_path / "l3.csv"), "sheet": None, "row": 3,
                "column": letter, "field": "referral_date"}
    # JSON: `value` omitted unless --show-values (cli.md v2)
    payload = json.loads(run([tmp_path / "l3.csv", "-f", "json"], 1).stdout)
    (issue,) = [i for i in payload["issues"] if i["code"] == "CSC201"]
    assert issue == {**expected, "message": issue["message"], "hint": issue["hint"]} and "value" not in issue
    assert payload["summary"]["errors"] == 1
    shown = json.loads(run([tmp_path / "l3.csv", "-f", "json", "--show-values"], 1).stdout)
    (issue,) = [i for i in shown["issues"] if i["code"] == "CSC201"]
    assert issue == {**expected, "value": "31/02/2025", "message": issue["message"], "hint": issue["hint"]}
    # table
    hidden = run([tmp_path / "l3.csv"], 1).stdout
    assert "CSC201" in hidden and "31/02/2025" not in hidden and "--show-values" in hidden
    assert "31/02/2025" in run([tmp_path / "l3.csv", "--show-values"], 1).stdout
    # CSV: the `value` column is always there, blank unless --show-values
    for flags, value in (([], ""), (["--show-values"], "31/02/2025")):
        rows = list(csv.DictReader(run([tmp_path / "l3.csv", "-f", "csv", *flags], 1).stdout.splitlines()))
        assert rows[0].keys() == {"code", "severity", "path", "sheet", "row", "column", "field", "value", "message",
                                  "hint"}
        assert [(r["code"], r["row"], r["column"], r["value"]) for r in rows if r["code"] == "CSC201"] == \
            [("CSC201", "3", letter, value)]


def test_warnings_only_exit_0(tmp_path, shipped):
    defs, tables = shipped

    def duplicate(header, rows):
        rows[1] = list(rows[0])

    write_list_csv(tmp_path / "l7.csv", tables[6], defs.code_sets, duplicate)
    payload = json.loads(run([tmp_path / "l7.csv", "-f", "json"], 0).stdout)
    assert [i["code"] for i in payload["issues"]] == ["CSC204"]
    assert payload["summary"] == {"errors": 0, "warnings": 1}


def test_many_issues_are_summarised_and_output_gets_the_full_list(tmp_path, shipped):
    defs, tables = shipped
    l1 = tables[0]
    src = [c.name for c in l1.columns].index("contact_source")

    def many_bad(header, rows):
        rows[:] = [[*rows[0][:src], f"bogus{i}", *rows[0][src + 1:]] for i in range(60)]
        for i, r in enumerate(rows):
            r[0] = f"C{i}"

    write_list_csv(tmp_path / "l1.csv", l1, defs.code_sets, many_bad)
    report = tmp_path / "out" / "dq.txt"
    result = run([tmp_path / "l1.csv", "--output", report], 1)
    assert "summarised" in result.stdout and "60" in result.stdout
    full = report.read_text()
    assert full.count("CSC202") == 60 and "row 61" in full


@pytest.mark.parametrize(("name", "content", "words"), [
    ("notes.txt", b"hello", "not a CSV or Excel"),
    ("empty.csv", b"", "empty"),
    ("other.csv", b"Name,Value\na,1\n", "no Annex A list"),
])
def test_unreadable_input_is_one_stderr_line_and_exit_2(tmp_path, name, content, words):
    (tmp_path / name).write_bytes(content)
    result = run([tmp_path / name], 2)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0] and name in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_python_m_validate_subprocess(tmp_path, shipped):
    defs, tables = shipped
    write_list_csv(tmp_path / "contacts.csv", tables[0], defs.code_sets)
    (tmp_path / "bad.txt").write_text("x")
    env_cmd = [sys.executable, "-m", "csc_metrics", "validate", "--definitions", str(DEFS_DIR)]
    ok = subprocess.run([*env_cmd, str(tmp_path / "contacts.csv"), "-f", "json"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["tables"][0]["table"] == "annex_a_list_1"
    bad = subprocess.run([*env_cmd, str(tmp_path / "bad.txt")], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and "bad.txt" in bad.stderr


def test_files_table_fits_an_80_column_terminal():
    # the sample extract: every file name, list and coverage readable in a narrow terminal (nothing cut to `…`)
    from rich.console import Console

    from csc_metrics.io import read_inputs
    from csc_metrics.report.validate_report import files_table

    folder = Path(__file__).resolve().parents[1] / "sample_data"
    defs = load_definitions([standard_definitions_path()]).definitions
    console = Console(width=80, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(files_table(read_inputs([folder], defs)))
    text = console.export_text()
    assert "…" not in text and f"from {folder}/" in text
    for n, csv_file in enumerate(sorted(folder.glob("list_*.csv")), start=1):
        line = next(ln for ln in text.splitlines() if csv_file.name in ln)
        assert re.search(rf"│ List {n} +│ +[\d,]+ │ \d\d/\d\d/\d{{4}} – \d\d/\d\d/\d{{4}} │", line), line
    assert "Notes" not in text and "Sheet" not in text  # nothing unusual, no workbook: no column of blanks
    # the returns beside them, in their own table: each file named once, with its return and collection year
    assert f"Returns read from {folder}/" in text
    for year in ("2022-23", "2023-24", "2024-25"):
        assert text.count(f"CIN census {year}") == 1 and f"cin_census_{year}.xml" in text
    assert text.count("SSDA903 2023-24") == text.count("SSDA903 2024-25") == 11  # a row per file of each year


def test_an_unusual_file_is_noted_and_other_header_spellings_listed_within_80_columns(tmp_path, shipped):
    defs, tables = shipped
    l3 = tables[2]

    def drift(header, rows):  # a declared variant of the child id's header, and a blank row at the end
        header[0] = "LAchildID"
        rows.append([""] * len(header))

    write_list_csv(tmp_path / "referrals_with_a_long_file_name.csv", l3, defs.code_sets, drift)
    (tmp_path / "contacts.csv").write_bytes(
        (tmp_path / "referrals_with_a_long_file_name.csv").read_bytes().replace(b"LAchildID", b"Child Unique ID"))
    # the two files hold the same referrals: --merge reads them as one list (else exit 2, see test_overlaps)
    out = CliRunner().invoke(app, ["validate", str(tmp_path), "--definitions", str(DEFS_DIR), "--merge"],
                             env={"COLUMNS": "80"}).stdout
    assert max(len(line) for line in out.splitlines()) <= 80  # nothing drawn past the terminal's edge
    assert "referrals_with_a_long_file_name.csv" in out  # the file name whole, on one line
    assert "1 row(s) skipped" in out
    spellings = out[out.index("Headers read under another spelling"):out.index("Issues in")]
    assert re.search(r"│ referrals_with_a_long_file_name\.csv +│ A +│ LAchildID +│ child_id +│", spellings)
    assert "contacts.csv" not in spellings  # official headers are not listed
