"""Reading messy CSV extracts: encodings, header drift, title/footer rows, values, and data-quality checks.
Every fixture is written here, in code; schemas come from test_read_support (Python-built, like the YAML)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from tests.test_read_support import CODE_SETS, definitions

from csc_metrics.errors import InputError
from csc_metrics.io import ROW, SRC, frame_from_rows, read_inputs, read_tables
from csc_metrics.spec.loader import Definitions
from csc_metrics.spec.tables import Column, TableSchema

TODAY = date(2025, 10, 1)
L3 = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)", "Date of referral",
      "Referral Source", "Referral NFA?", "Number of Referrals in Last 12 Months", "Allocated Team", "Allocated Worker"]


def l3_row(cid="C1", gender="a) Male", eth="a) WBRI", dob="01/01/2015", age="10", ref="02/03/2025",
           src="q) 6: Police", nfa="b) No", n12="0", team="Team A", worker="W1") -> list[str]:
    return [cid, gender, eth, dob, age, ref, src, nfa, n12, team, worker]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", bom: bytes = b"") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(bom + buf.getvalue().encode(encoding))
    return path


def read(paths: list[Path] | Path, defs: Definitions | None = None):
    paths = paths if isinstance(paths, list) else [paths]
    return read_inputs(paths, defs or definitions(), today=TODAY)


def issues(result, code: str) -> list:
    return [d for d in result.diagnostics if d.code == code]


# --- encodings --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "bom", "expected"), [
    ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
    ("utf-8", b"", "utf-8"),
    ("utf-16-le", b"\xff\xfe", "utf-16-le"),
    ("utf-16-be", b"\xfe\xff", "utf-16-be"),
    ("utf-16-le", b"", "utf-16-le"),  # no BOM: recognised from the NUL bytes
    ("cp1252", b"", "cp1252"),
])
def test_encodings_are_detected_and_recorded(tmp_path, encoding, bom, expected):
    path = write_csv(tmp_path / "referrals.csv", [L3, l3_row(cid="Zoë1", team="Équipe – Nord")], encoding, bom)
    result = read(path)
    table = result.tables["annex_a_list_3"]
    assert table.sources[0].encoding == expected
    assert table.frame["child_id"].to_list() == ["ZOË1"]  # BOM did not break the first header
    assert table.frame["allocated_team"].to_list() == ["Équipe – Nord"]
    assert table.frame["referral_date"].to_list() == [date(2025, 3, 2)]


def test_cp1252_found_past_the_first_256_kb_is_read_again(tmp_path):
    # 4,000 plain rows (~330 KB) before one team name with a cp1252 en-dash: detected as UTF-8, the parse (a
    # batch of files, `reader._collect`) fails on the byte, and the file is read again alone as Windows-1252
    rows = [L3, *(l3_row(cid=f"C{i}") for i in range(4000)), l3_row(cid="LAST", team="Team \u2013 North")]
    path = write_csv(tmp_path / "l3.csv", rows, "cp1252")
    assert path.read_bytes().index(b"\x96") > 256 * 1024
    table = read(path).tables["annex_a_list_3"]
    assert table.sources[0].encoding == "cp1252"
    assert table.frame.height == 4001
    assert table.frame["allocated_team"].to_list()[-1] == "Team \u2013 North"


def test_cp1252_curly_quotes_in_headers_and_en_dash_in_codes(tmp_path):
    headers = [*L3[:6], "Referral Source", "Referral NFA?", "Number of Referrals in Last 12 Months"]
    rows = [headers, l3_row(src="N1 \u2013 nothing")[:9], l3_row(cid="C2", src="Individual \u2013 family member, relative or carer")[:9]]
    path = write_csv(tmp_path / "l3.csv", rows, "cp1252")
    raw = path.read_bytes()
    assert b"\x96" in raw  # a real cp1252 en-dash byte, invalid as UTF-8
    result = read(path)
    table = result.tables["annex_a_list_3"]
    assert table.sources[0].encoding == "cp1252"
    # the en-dash label maps onto the code set's hyphen label; an unknown code is reported, not guessed
    assert table.frame["referral_source"].to_list() == [None, "1A"]
    (bad,) = issues(result, "CSC202")
    assert (bad.line, bad.column, bad.value) == (2, "G", "N1 \u2013 nothing")


def test_curly_quote_header_matches_straight_quote_schema(tmp_path):
    schema = definitions().tables["annex_a_list_8"]
    header = next(c.header for c in schema.columns if c.name == "missing_episodes_12m")
    curly = header.replace("'", "\u2018", 1).replace("'", "\u2019", 1)
    headers = ["CHILD UNIQUE ID", "Gender", "Ethnicity", "Does the Child have a Disability",
               "Date Started to be Looked After", "Start date of current legal status", "Child's Legal Status",
               "Number of Placements in the Last 12 months", "Start Date of Most Recent Placement", curly]
    path = write_csv(tmp_path / "x.csv", [headers, ["c1", "F", "WBRI", "No", "01/04/2024", "01/04/2024", "C2: FCO",
                                                    "1", "01/04/2024", "2"]], "cp1252")
    table = read(path).tables["annex_a_list_8"]
    assert table.frame["missing_episodes_12m"].to_list() == [2]
    assert table.frame["legal_status"].to_list() == ["C2"]


# --- headers, recognition, skipped rows ---------------------------------------------------------------------

def test_header_variants_case_drift_and_unknown_columns(tmp_path):
    headers = ["  child   ID ", "GENDER", "ethnicity", "DOB", "Age", "REFERRAL DATE", "referral source",
               "Referral NFA?", "Number of Referrals in Last 12 Months", "Notes"]
    path = write_csv(tmp_path / "q1.csv", [headers, l3_row()[:9] + ["free text"]])
    result = read(path)
    (source,) = result.tables["annex_a_list_3"].sources
    assert {h["column"]: h["letter"] for h in source.headers}["referral_date"] == "F"
    assert len(source.headers) == 9
    (extra,) = issues(result, "CSC218")
    assert (extra.severity.value, extra.column, extra.line) == ("info", "J", 1)
    frame = result.tables["annex_a_list_3"].frame
    assert frame["allocated_team"].dtype == pl.String and frame["allocated_team"].to_list() == [None]


def test_title_blank_and_footer_rows_are_skipped_and_rows_keep_excel_numbers(tmp_path):
    rows = [["Annex A - List 3: Referrals"], ["Produced 01/10/2025"], [], L3,
            l3_row(cid="C1"), [""] * 11, l3_row(cid="C2", ref="31/02/2025"), ["Filters applied: none"] + [""] * 10,
            ["", "", "", "", "", "", "", "", "", "Total 2", ""]]
    result = read(write_csv(tmp_path / "list3.csv", rows))
    table = result.tables["annex_a_list_3"]
    assert table.frame[ROW].to_list() == [5, 7]  # header is Excel row 4
    assert table.sources[0].skipped_rows == 3 + 1 + 2  # title/blank above the header, blank row, two footers
    (skipped,) = issues(result, "CSC213")
    assert skipped.count == 6
    (bad_date,) = issues(result, "CSC201")
    assert (bad_date.line, bad_date.column, bad_date.field) == (7, "F", "referral_date")


def test_missing_required_column_is_named(tmp_path):
    headers = [h for h in L3 if h != "Referral Source"]
    result_error = None
    path = write_csv(tmp_path / "l3.csv", [headers, l3_row()[:6] + l3_row()[7:]])
    with pytest.raises(InputError) as exc:
        read(path)
    result_error = str(exc.value)
    assert "annex_a_list_3" in result_error and "`Referral Source`" in result_error


def test_unrecognised_and_missing_required_reported_beside_a_good_table(tmp_path):
    write_csv(tmp_path / "good.csv", [L3, l3_row()])
    write_csv(tmp_path / "notes.csv", [["Note", "Author"], ["hello", "me"]])
    write_csv(tmp_path / "partial.csv", [[h for h in L3 if h != "Referral NFA?"], l3_row()[:7] + l3_row()[8:]])
    (tmp_path / "readme.txt").write_text("not data")
    result = read(tmp_path)
    assert set(result.tables) == {"annex_a_list_3"}
    reasons = {Path(u["path"]).name: u["reason"] for u in result.unrecognised}
    assert reasons["notes.csv"] == "headers match no table"
    assert "`Referral NFA?`" in reasons["partial.csv"]
    assert "ignored" in reasons["readme.txt"]
    assert [d.file for d in issues(result, "CSC214")] == [str(tmp_path / "partial.csv")]
    assert issues(result, "CSC214")[0].is_error
    assert [Path(d.file).name for d in issues(result, "CSC212")] == ["notes.csv"]


def test_header_matching_two_columns_is_an_error(tmp_path):
    cols = [Column(name="child_id", header="Child Unique ID", type="id", required=True),
            Column(name="start", header="Start", type="date", required=True, variants=["Date"]),
            Column(name="end", header="End", type="date", variants=["date"])]
    defs = Definitions(tables={"t": TableSchema(id="t", title="T", columns=cols)}, code_sets={})
    result = read(write_csv(tmp_path / "t.csv", [["Child Unique ID", "Start", "Date"], ["a", "01/01/2025", "x"]]), defs)
    (amb,) = issues(result, "CSC211")
    assert (amb.column, amb.is_error) == ("C", True)
    assert result.tables["t"].frame["end"].to_list() == [None]


def test_sheet_or_file_name_breaks_a_tie(tmp_path):
    cols = [Column(name="child_id", header="Child Unique ID", type="id", required=True),
            Column(name="d", header="Date", type="date", required=True)]
    defs = Definitions(tables={
        "alpha": TableSchema(id="alpha", title="A", columns=cols, sheet_names=["Alpha list"]),
        "beta": TableSchema(id="beta", title="B", columns=cols, sheet_names=["Beta list"]),
    }, code_sets={})
    write_csv(tmp_path / "beta_list_2025.csv", [["Child Unique ID", "Date"], ["a", "01/01/2025"]])
    write_csv(tmp_path / "other.csv", [["Child Unique ID", "Date"], ["a", "01/01/2025"]])
    result = read(tmp_path, defs)
    assert set(result.tables) == {"beta"}
    assert "several tables" in result.unrecognised[0]["reason"]


def test_several_files_of_one_table_are_concatenated_with_their_source(tmp_path):
    (tmp_path / "sub").mkdir()
    write_csv(tmp_path / "a.csv", [L3, l3_row(cid="A1"), l3_row(cid="A2")])
    # b.csv holds a later month: files of one list that overlap in time stop the read (see test_overlaps)
    write_csv(tmp_path / "sub" / "b.csv", [["Extract"], L3, l3_row(cid="B1", ref="02/04/2025")])
    table = read(tmp_path).tables["annex_a_list_3"]
    assert table.frame.select("child_id", SRC, ROW).rows() == [("A1", 0, 2), ("A2", 0, 3), ("B1", 1, 3)]
    assert [Path(s.path).name for s in table.sources] == ["a.csv", "b.csv"]
    assert table.frame[SRC].dtype == pl.UInt16 and table.frame[ROW].dtype == pl.UInt32
    assert all(len(s.sha256) == 64 for s in table.sources)


# --- values ----------------------------------------------------------------------------------------------

def test_dates_in_every_accepted_form_and_never_month_first(tmp_path):
    serial = (date(2025, 3, 2) - date(1899, 12, 30)).days
    refs = ["02/03/2025", "2/3/2025", "02/03/2025 00:00", "02/03/2025 13:45:10", "2025-03-02", "2025-03-02 00:00:00",
            "2025-03-02T00:00:00", "02-03-2025", "02.03.2025", str(serial), f"{serial}.5", "2 Mar 2025"]
    rows = [L3] + [l3_row(cid=f"C{i}", ref=r) for i, r in enumerate(refs)]
    rows += [l3_row(cid="X1", ref="03/15/2025"), l3_row(cid="X2", ref="31/02/2025"), l3_row(cid="X3", ref="99999"),
             l3_row(cid="X4", ref="soon"), l3_row(cid="X5", ref="0")]
    result = read(write_csv(tmp_path / "l3.csv", rows))
    got = result.tables["annex_a_list_3"].frame["referral_date"].to_list()
    assert got[: len(refs)] == [date(2025, 3, 2)] * len(refs)
    assert got[len(refs):] == [None] * 5
    bad = {(d.code, d.line, d.column, d.value) for d in result.diagnostics if d.code in ("CSC201", "CSC216")}
    n = len(refs) + 2
    assert bad == {("CSC201", n, "F", "03/15/2025"), ("CSC201", n + 1, "F", "31/02/2025"),
                   ("CSC216", n + 2, "F", "99999"), ("CSC201", n + 3, "F", "soon"), ("CSC216", n + 4, "F", "0")}


@pytest.mark.parametrize("first", ["2025-03-02 10:00:00.000", "02/03/2025 10:00", "2025-03-02T10:00:00", "2025-03-02"])
def test_the_first_rows_choose_a_date_route_but_every_form_is_still_read(tmp_path, first):
    # the first rows' form is parsed cell by cell; the rest of the column, whatever its form, goes the general route
    later = ["03/03/2025", "2025-03-04", "05/03/2025 23:59:59", "6 Mar 2025", "31/02/2025", "03/15/2025"]
    rows = [L3] + [l3_row(cid=f"A{i}", ref=first) for i in range(12)] + [l3_row(cid=f"B{i}", ref=r)
                                                                          for i, r in enumerate(later)]
    result = read(write_csv(tmp_path / "l3.csv", rows))
    got = result.tables["annex_a_list_3"].frame["referral_date"].to_list()
    assert got == [date(2025, 3, 2)] * 12 + [date(2025, 3, d) for d in (3, 4, 5, 6)] + [None, None]
    bad = {(d.line, d.value) for d in issues(result, "CSC201")}
    assert bad == {(18, "31/02/2025"), (19, "03/15/2025")}


def test_excel_serial_boundaries():
    schema = definitions().tables["annex_a_list_1"]
    rows = [{"child_id": "a", "gender": "M", "ethnicity": "WBRI", "contact_source": "6", "contact_date": v}
            for v in ("1", "61", "73050", "73051")]
    frame, diags = frame_from_rows(schema, CODE_SETS, rows)
    assert frame["contact_date"].to_list() == [date(1900, 1, 1), date(1900, 3, 1), date(2099, 12, 31), None]
    assert [(d.code, d.line) for d in diags] == [("CSC216", 5)]


def test_codes_from_labels_keyed_on_the_code_not_the_letter(tmp_path):
    cases = [("q) 6: Police", "6"), ("Q) 6: POLICE", "6"), ("6", "6"), ("6.0", "6"), ("Police", "6"),
             ("a) 1A: Individual", "1A"), ("p1) 5D: LA services", "5D"), ("police", "6")]
    rows = [L3] + [l3_row(cid=f"C{i}", src=c) for i, (c, _) in enumerate(cases)]
    rows += [l3_row(cid="E1", eth="s) NOBT"), l3_row(cid="E2", eth="s) REFU"), l3_row(cid="E3", eth="t) nobt")]
    frame = read(write_csv(tmp_path / "l3.csv", rows)).tables["annex_a_list_3"].frame
    assert frame["referral_source"].to_list()[: len(cases)] == [want for _, want in cases]
    assert frame["ethnicity"].to_list()[-3:] == ["NOBT", "REFU", "NOBT"]


def test_suitable_and_unsuitable_never_confused():
    schema = definitions().tables["annex_a_list_9"]
    base = {"child_id": "a", "gender": "F", "ethnicity": "WBRI", "disability": "No", "personal_advisor": "PA",
            "eligibility": "a) Relevant child", "in_touch": "a) Yes"}
    values = ["a) Suitable", "b) Unsuitable", "Unsuitable", "UNSUITABLE", "suitable", "Not suitable"]
    frame, diags = frame_from_rows(schema, CODE_SETS, [{**base, "accommodation_suitability": v} for v in values])
    assert frame["accommodation_suitability"].to_list() == ["SUITABLE", "UNSUITABLE", "UNSUITABLE", "UNSUITABLE",
                                                           "SUITABLE", None]
    assert [(d.code, d.line, d.value) for d in diags] == [("CSC202", 7, "Not suitable")]
    assert frame["eligibility"].to_list() == ["RELEVANT"] * 6 and frame["in_touch"].to_list() == ["YES"] * 6


def test_abuse_category_by_label_and_need_code_by_leading_token():
    l7 = definitions().tables["annex_a_list_7"]
    rows = [{"child_id": "a", "gender": "M", "ethnicity": "WBRI", "disability": "c) Unknown", "cp_start": "01/04/2025",
             "previous_cp_plans": 0, "initial_category": v} for v in ("a) Neglect", "NEG", "d) Emotional abuse", "e) Multiple/not recommended")]
    frame, diags = frame_from_rows(l7, CODE_SETS, rows)
    assert frame["initial_category"].to_list() == ["NEG", "NEG", "EMO", "MUL"]
    assert frame["disability"].to_list() == ["U"] * 4 and diags == []
    l6 = definitions().tables["annex_a_list_6"]
    frame, _ = frame_from_rows(l6, CODE_SETS, [{"child_id": "a", "gender": "M", "ethnicity": "WBRI", "disability": "N",
                                                "primary_need": "N1 - Abuse or neglect"}])
    assert frame["primary_need"].to_list() == ["N1"]


def test_yes_no_forms_placeholders_and_unknown_values():
    schema = definitions().tables["annex_a_list_3"]
    values = ["a) Yes", "Yes", "y", "1", "True", True, "b) No", "NO", "N", "0", "false", "c) Unknown", "U",
              "#N/A", "N/A", "-", ".", "<blank>", "No data", "null", "", None, "maybe"]
    rows = [{"child_id": f"c{i}", "gender": "M", "ethnicity": "WBRI", "referral_date": "01/04/2025",
             "referral_source": "6", "referrals_last_12m": 0, "referral_nfa": v} for i, v in enumerate(values)]
    frame, diags = frame_from_rows(schema, CODE_SETS, rows)
    assert frame["referral_nfa"].to_list() == ["Y"] * 6 + ["N"] * 5 + ["U"] * 2 + [None] * 10
    codes = [(d.code, d.line) for d in diags]
    blanks = [("CSC203", i + 2) for i in range(13, 22)]
    assert codes == blanks + [("CSC202", 24)]  # required blank (incl. placeholders), then the unknown value


def test_ids_trimmed_upper_cased_and_excel_floats_fixed_only_in_numeric_columns():
    schema = definitions().tables["annex_a_list_1"]
    def ids(values):
        rows = [{"child_id": v, "gender": "M", "ethnicity": "WBRI", "contact_date": "01/04/2025", "contact_source": "6"}
                for v in values]
        return frame_from_rows(schema, CODE_SETS, rows)[0]["child_id"].to_list()
    assert ids(["12345.0", " 678.0 ", "90", 1234.0]) == ["12345", "678", "90", "1234"]
    assert ids(["12.0", " ab1 ", "x-9"]) == ["12.0", "AB1", "X-9"]
    frame, diags = frame_from_rows(schema, CODE_SETS, [{"child_id": " ", "gender": "M", "ethnicity": "WBRI",
                                                       "contact_date": "01/04/2025", "contact_source": "6"}])
    assert frame.height == 1 and [(d.code, d.field) for d in diags] == [("CSC203", "child_id")]


def test_integers_fractions_and_negatives():
    schema = definitions().tables["annex_a_list_3"]
    rows = [{"child_id": f"c{i}", "gender": "M", "ethnicity": "WBRI", "referral_date": "01/04/2025",
             "referral_source": "6", "referral_nfa": "N", "referrals_last_12m": n, "age_years": age}
            for i, (n, age) in enumerate([("3.0", "6.138"), (2, 17.99), ("2.5", "0"), ("-1", "-2"), ("two", "x")])]
    frame, diags = frame_from_rows(schema, CODE_SETS, rows)
    assert frame["referrals_last_12m"].to_list() == [3, 2, None, None, None]
    assert frame["age_years"].to_list() == [6, 17, 0, None, None]
    assert frame["referrals_last_12m"].dtype == pl.Int64
    got = sorted((d.code, d.line, d.field) for d in diags)
    assert got == [("CSC210", 4, "referrals_last_12m"), ("CSC210", 6, "age_years"), ("CSC210", 6, "referrals_last_12m"),
                   ("CSC217", 5, "age_years"), ("CSC217", 5, "referrals_last_12m")]


def test_frame_from_rows_types_missing_columns_and_rejects_unknown_names():
    schema = definitions().tables["annex_a_list_3"]
    frame, diags = frame_from_rows(schema, CODE_SETS, [{"child_id": "a", "referral_date": date(2025, 3, 2)}])
    assert frame.columns == [*schema.column_names, SRC, ROW]
    assert frame.schema["referral_date"] == pl.Date and frame.schema["referrals_last_12m"] == pl.Int64
    assert frame["referral_date"].to_list() == [date(2025, 3, 2)]
    assert {d.field for d in diags} == set()  # absent columns are not reported row by row
    with pytest.raises(InputError):
        frame_from_rows(schema, CODE_SETS, [{"nope": 1}])


# --- data-quality checks ----------------------------------------------------------------------------------

def test_duplicates_end_before_start_future_before_birth_and_over_25(tmp_path):
    l7 = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Does the Child have a Disability",
          "Child Protection Plan Start Date", "Initial Category of Abuse", "Child Protection Plan End Date",
          "Number of Previous Child Protection Plans"]
    rows = [l7,
            ["A", "M", "WBRI", "01/01/2015", "N", "01/04/2025", "NEG", "", "0"],         # row 2
            ["A", "M", "WBRI", "01/01/2015", "N", "01/04/2025", "NEG", "", "0"],         # row 3: duplicate of 2
            ["B", "F", "WBRI", "01/01/2015", "N", "01/05/2025", "NEG", "30/04/2025", "0"],  # row 4: end before start
            ["C", "F", "WBRI", "01/01/2015", "N", "02/10/2025", "NEG", "", "0"],         # row 5: after TODAY
            ["D", "F", "WBRI", "01/01/2020", "N", "31/12/2019", "NEG", "", "0"],         # row 6: before birth
            ["E", "F", "WBRI", "01/04/1999", "N", "01/04/2025", "NEG", "", "0"],         # row 7: 26 at start
            ["F", "F", "WBRI", "02/04/1999", "N", "01/04/2025", "NEG", "", "0"]]         # row 8: 25 -> fine
    result = read(write_csv(tmp_path / "cp.csv", rows))
    found = {(d.code, d.line, d.column) for d in result.diagnostics if d.code in
             ("CSC204", "CSC205", "CSC206", "CSC207", "CSC208")}
    assert found == {("CSC204", 3, "F"), ("CSC205", 4, "H"), ("CSC206", 5, "F"), ("CSC207", 6, "F"),
                     ("CSC208", 7, "D")}
    dup = issues(result, "CSC204")[0]
    assert "row 2" in dup.message and dup.severity.value == "warning"
    # the reader alone (what the reading benchmark times) finds the same tables and no cross-row findings
    alone = read_tables([tmp_path / "cp.csv"], definitions())
    assert alone.tables["annex_a_list_7"].frame.equals(result.tables["annex_a_list_7"].frame)
    assert not [d for d in alone.diagnostics if d.code in ("CSC204", "CSC205", "CSC206", "CSC207", "CSC208")]


def test_conflicting_birth_dates_across_lists(tmp_path):
    write_csv(tmp_path / "l3.csv", [L3, l3_row(cid="K1", dob="01/01/2015"), l3_row(cid="K2", dob="05/05/2016")])
    l1 = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Date of Contact", "Contact Source"]
    write_csv(tmp_path / "l1.csv", [l1, ["k1", "M", "WBRI", "02/01/2015", "01/03/2025", "6"],
                                    ["K2", "M", "WBRI", "05/05/2016", "01/03/2025", "6"]])
    result = read(tmp_path)
    (conflict,) = issues(result, "CSC209")
    assert (Path(conflict.file).name, conflict.line, conflict.column) == ("l3.csv", 2, "D")
    assert conflict.message.endswith("l1.csv row 2") and conflict.value == "2015-01-01"
    assert "2015" not in conflict.message  # values stay out of messages (child-level data)


# --- unreadable input ---------------------------------------------------------------------------------------

def test_unreadable_inputs_raise_one_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "empty.csv").write_bytes(b"")
    write_csv(tmp_path / "other.csv", [["Name", "Value"], ["a", "1"]])
    for name, words in [("missing.csv", "no such file"), ("notes.txt", "not a CSV or Excel"),
                        ("empty.csv", "empty"), ("other.csv", "no Annex A list")]:
        with pytest.raises(InputError) as exc:
            read(tmp_path / name)
        assert words in str(exc.value) and "\n" not in str(exc.value)


def test_in_a_folder_an_empty_or_broken_file_is_reported_and_the_others_read(tmp_path):
    # a zero-byte export of an empty list, or a damaged workbook, must not stop the rest of the quarter's lists
    write_csv(tmp_path / "referrals.csv", [L3, l3_row()])
    (tmp_path / "adopters.csv").write_bytes(b"")
    (tmp_path / "old.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    result = read(tmp_path)
    assert list(result.tables) == ["annex_a_list_3"] and result.tables["annex_a_list_3"].frame.height == 1
    reasons = {Path(u["path"]).name: u["reason"] for u in result.unrecognised}
    assert reasons["adopters.csv"] == "the file is empty" and "Excel workbook" in reasons["old.xlsx"]
    not_read = {Path(d.file).name: d for d in issues(result, "CSC212")}
    assert set(not_read) == {"adopters.csv", "old.xlsx"} and not_read["old.xlsx"].severity.value == "warning"
    for name in ("adopters.csv", "old.xlsx"):  # named on its own, the same file is an error (exit 2)
        with pytest.raises(InputError):
            read(tmp_path / name)


def test_corrupt_workbook_is_an_input_error(tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="cannot be opened as an Excel workbook"):
        read(tmp_path / "broken.xlsx")


def test_future_check_uses_today_by_default(tmp_path):
    future = (date.today() + timedelta(days=30)).strftime("%d/%m/%Y")
    result = read_inputs([write_csv(tmp_path / "l3.csv", [L3, l3_row(ref=future)])], definitions())
    assert [d.line for d in issues(result, "CSC206")] == [2]
