"""SSDA903 behind the format seam: every table recognised by its columns (extras reported, index column,
BOM + CRLF, ISO dates), the XML flattened with element locations, the collection year from content / file name /
YEAR / --year, SEX 1/2, codes outside their year, a file of another kind, two years in one folder."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from tests.conftest import run_cli

from csc_metrics.errors import InputError
from csc_metrics.io import read_inputs
from csc_metrics.io.formats import formats
from csc_metrics.io.formats.ssda903 import name_year, year_ending
from csc_metrics.spec.loader import load_definitions, standard_definitions_path

DEFS = standard_definitions_path()

# one data row per table, as the DfE CSVs write it (dd/mm/yyyy); the tables' DfE column sets (returns.md §1.1)
TABLES = {
    "ssda903_header": ("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB", "1,M,01/02/2010,WBRI,A123456789012,0,"),
    "ssda903_episodes": ("CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN",
                         "1,01/05/2024,S,C2,N1,U1,PR1,,,,AB1 2CD,AB1 3CD,SC123456"),
    "ssda903_uasc": ("CHILD,SEX,DOB,DUC", "1,M,01/02/2010,01/02/2028"),
    "ssda903_reviews": ("CHILD,DOB,REVIEW,REVIEW_CODE", "1,01/02/2010,01/06/2024,PN1"),
    "ssda903_oc2": ("CHILD,DOB,SDQ_SCORE,SDQ_REASON,CONVICTED,HEALTH_CHECK,IMMUNISATIONS,TEETH_CHECK,HEALTH_ASSESSMENT,"
                    "SUBSTANCE_MISUSE,INTERVENTION_RECEIVED,INTERVENTION_OFFERED", "1,01/02/2010,12,,0,,1,1,1,0,,"),
    "ssda903_oc3": ("CHILD,DOB,IN_TOUCH,ACTIV,ACCOM", "1,01/02/2006,YES,F1,B1"),
    "ssda903_ad1": ("CHILD,DOB,DATE_INT,DATE_MATCH,FOSTER_CARE,NB_ADOPTR,SEX_ADOPTR,LS_ADOPTR",
                    "1,01/02/2020,01/03/2024,01/05/2024,0,2,MF,L0"),
    "ssda903_placed_adoption": ("CHILD,DOB,DATE_PLACED,DATE_PLACED_CEASED,REASON_PLACED_CEASED", "1,01/02/2020,01/03/2024,,"),
    "ssda903_prev_perm": ("CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM", "1,01/02/2020,Z1,,"),
    "ssda903_missing": ("CHILD,DOB,MISSING,MIS_START,MIS_END", "1,01/02/2010,M,02/07/2024,03/07/2024"),
    "ssda903_sw_episodes": ("CHILD,DOB,SW_ID,SW_DECOM,SW_DEC,SW_REASON", "1,01/02/2010,SW1,01/05/2024,,"),
    "ssda903_dolo": ("CHILD,DOB,DOLO_START,DOLO_END", "1,01/02/2010,01/06/2024,"),
}


@pytest.fixture(scope="module")
def defs():
    return load_definitions([DEFS]).definitions


def write(folder: Path, name: str, header: str, *rows: str, newline: str = "\n", bom: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    text = newline.join([header, *rows]) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def test_the_format_registry_tries_the_returns_before_annex_a():
    assert [f.name for f in formats()] == ["ssda903", "cin_census", "annex_a"]


def test_every_903_table_is_recognised_by_its_columns(tmp_path, defs):
    folder = tmp_path / "903"
    for table, (header, row) in TABLES.items():
        write(folder, f"SSDA903_2025_{table.removeprefix('ssda903_')}.csv", header, row)
    read = read_inputs([folder], defs)
    assert sorted(read.tables) == sorted(TABLES)
    for table, td in read.tables.items():
        assert td.schema.format == "ssda903"
        assert td.frame.height == 1, table
        assert td.frame["year"].to_list() == [2025], table  # Episodes from content, the rest from the file name
    assert read.tables["ssda903_episodes"].frame["decom"].to_list() == [date(2024, 5, 1)]
    assert [r.period.label for r in read.returns if r.format == "ssda903"] == ["2024-25"]
    # nothing but the tables themselves: no errors, nothing unrecognised
    assert not [d for d in read.diagnostics if d.is_error] and not read.unrecognised


def test_extra_columns_index_column_bom_crlf_and_iso_dates(tmp_path, defs):
    # a pandas index column (blank header), an extra LA column, lower-case headers with spaces, UTF-8 BOM, CRLF,
    # ISO dates (LIIA outputs)
    header = ",child, decom ,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN,LA"
    path = write(tmp_path, "episodes.csv", header, "0,7,2024-06-01,S,C2,N1,U1,PR1,2024-09-30,E11,,,,,808",
                 newline="\r\n", bom=True)
    read = read_inputs([path], defs)
    eps = read.tables["ssda903_episodes"].frame
    assert eps.select("child", "decom", "dec").row(0) == ("7", date(2024, 6, 1), date(2024, 9, 30))
    extras = [d for d in read.diagnostics if d.code == "CSC218"]
    assert len(extras) == 1 and "`LA`" in extras[0].message and not extras[0].is_error


def test_a_file_missing_a_column_of_the_table_is_refused_with_the_missing_column(tmp_path, defs):
    header, row = TABLES["ssda903_episodes"]
    path = write(tmp_path / "f", "episodes.csv", header.replace(",URN", ""), row.rsplit(",", 1)[0])
    with pytest.raises(InputError, match="URN"):
        read_inputs([path], defs)


def test_header_and_uasc_are_told_apart(tmp_path, defs):
    # UASC (CHILD,SEX,DOB,DUC) is a subset of no other table; Header has ETHNIC instead of DUC
    write(tmp_path, "a_2025.csv", *TABLES["ssda903_header"])
    write(tmp_path, "b_2025.csv", *TABLES["ssda903_uasc"])
    read = read_inputs([tmp_path], defs)
    assert {s.path.rsplit("/", 1)[-1]: t for t, td in read.tables.items() for s in td.sources} == {
        "a_2025.csv": "ssda903_header", "b_2025.csv": "ssda903_uasc"}


# -- collection year ----------------------------------------------------------------------------------------

def test_year_ending_and_file_name_years():
    assert year_ending(date(2025, 3, 31)) == 2025 and year_ending(date(2025, 4, 1)) == 2026
    assert name_year("SSDA903_2025_oc3.csv") == 2025 and name_year("episodes.csv") is None
    assert name_year("2021-2022-header.csv") is None  # two different years: not evidence


def test_episodes_year_from_content_wins_over_the_file_name(tmp_path, defs):
    # named 2021 but the latest DECOM is 10 January 2022 (month <= 3: year ending 2022) -> 2021-22, a warning
    header = TABLES["ssda903_episodes"][0]
    path = write(tmp_path, "2021-episodes.csv", header, "1,01/05/2021,S,C2,N1,U1,PR1,,,,,,", "2,10/01/2022,S,C2,N1,U1,PR1,,,,,,")
    read = read_inputs([path], defs)
    assert read.tables["ssda903_episodes"].frame["year"].unique().to_list() == [2022]
    warn = [d for d in read.diagnostics if d.code == "CSC221"]
    assert len(warn) == 1 and "file name says 2020-21" in warn[0].message and "2021-22" in warn[0].message


def test_header_takes_the_year_of_the_episodes_in_its_folder(tmp_path, defs):
    write(tmp_path, "episodes.csv", TABLES["ssda903_episodes"][0], "1,01/05/2024,S,C2,N1,U1,PR1,,,,,,")
    write(tmp_path, "header.csv", *TABLES["ssda903_header"])
    read = read_inputs([tmp_path], defs)
    assert read.tables["ssda903_header"].frame["year"].to_list() == [2025]


def test_a_table_that_cannot_be_dated_is_refused(tmp_path, defs):
    path = write(tmp_path, "header.csv", *TABLES["ssda903_header"])
    with pytest.raises(InputError, match="cannot tell which collection year"):
        read_inputs([path], defs)
    # --year dates it
    read = read_inputs([path], defs, year=2024)
    assert read.tables["ssda903_header"].frame["year"].to_list() == [2024]
    # in a folder with other files: reported (CSC222, an error) and the others read
    write(tmp_path / "folder", "header.csv", *TABLES["ssda903_header"])
    write(tmp_path / "folder", "reviews_2025.csv", *TABLES["ssda903_reviews"])
    read = read_inputs([tmp_path / "folder"], defs)
    assert list(read.tables) == ["ssda903_reviews"]
    assert [d.code for d in read.diagnostics if d.is_error] == ["CSC222"]


def test_year_override_wins_and_disagreement_is_a_warning(tmp_path, defs):
    path = write(tmp_path, "SSDA903_2025_episodes.csv", TABLES["ssda903_episodes"][0], "1,01/05/2024,S,C2,N1,U1,PR1,,,,,,")
    read = read_inputs([path], defs, year=2023)
    assert read.tables["ssda903_episodes"].frame["year"].to_list() == [2023]
    msgs = sorted(d.message for d in read.diagnostics if d.code == "CSC221")
    # the file name (2024-25) and the content (latest DECOM May 2024: 2024-25) both disagree with --year
    assert len(msgs) == 2 and all("read as 2022-23 (from --year)" in m for m in msgs)


def test_year_column_of_a_stacked_file_splits_it_into_returns(tmp_path, defs):
    # a LIIA stacked Episodes file: YEAR is the return each row came from; the same episode in both returns
    header = TABLES["ssda903_episodes"][0] + ",YEAR"
    path = write(tmp_path, "la_agg_episodes.csv", header,
                 "1,01/05/2023,S,C2,N1,U1,PR1,,,,,,,2024",
                 "1,01/05/2023,S,C2,N1,U1,PR1,01/06/2024,E11,,,,,2025",
                 "2,01/02/2025,S,V2,N4,U4,PR4,,,,,,,2025")
    read = read_inputs([path], defs)
    assert sorted(r.period.label for r in read.returns if r.format == "ssda903") == ["2023-24", "2024-25"]
    eps = read.tables["ssda903_episodes"].frame.sort("child")
    # stacked: child 1's episode once, from the latest return (closed E11); child 2 once
    assert eps.select("child", "dec", "year").rows() == [("1", date(2024, 6, 1), 2025), ("2", None, 2025)]
    assert eps["__src"].to_list() == [0, 0]  # one file, listed once
    assert len(read.tables["ssda903_episodes"].sources) == 1


def test_two_collection_years_in_one_folder_are_named_by_validate(tmp_path, cli):
    eps = TABLES["ssda903_episodes"][0]
    write(tmp_path / "903", "SSDA903_2024_episodes.csv", eps, "1,01/05/2023,S,C2,N1,U1,PR1,,,,,,")
    write(tmp_path / "903", "SSDA903_2025_episodes.csv", eps, "1,01/05/2023,S,C2,N1,U1,PR1,01/06/2024,E11,,,,",
          "2,01/02/2025,S,V2,N4,U4,PR4,,,,,,")
    write(tmp_path / "903", "SSDA903_2024_header.csv", TABLES["ssda903_header"][0], "1,1,01/02/2010,WBRI,,0,")
    write(tmp_path / "903", "SSDA903_2025_header.csv", TABLES["ssda903_header"][0], "1,M,01/02/2010,WBRI,,0,",
          "2,F,01/02/2012,WBRI,,0,")
    out = json.loads(cli(["validate", tmp_path / "903", "--format", "json", "--definitions", DEFS]).stdout)
    assert [(r["format"], r["collection_year"], sorted(r["tables"])) for r in out["returns"]] == [
        ("ssda903", "2023-24", ["ssda903_episodes", "ssda903_header"]),
        ("ssda903", "2024-25", ["ssda903_episodes", "ssda903_header"])]
    years = {Path(t["path"]).name: (t["format"], t["collection_years"]) for t in out["tables"]}
    assert years["SSDA903_2024_header.csv"] == ("ssda903", ["2023-24"])
    assert years["SSDA903_2025_episodes.csv"] == ("ssda903", ["2024-25"])
    table = cli(["validate", tmp_path / "903", "--definitions", DEFS]).stdout
    assert "SSDA903 2023-24" in table and "SSDA903 2024-25" in table


def test_oc2_oc3_rows_repeat_only_within_one_return(tmp_path, defs):
    # OC2/OC3 hold the rows of return Y (returns.md §6.14, §6.16): child 1 in both years' OC2 and OC3 is one row
    # per return, not a duplicate; child 2 twice in the 2024-25 OC2 (rows 3 and 4) and OC3 (rows 3, 4) is
    oc2_header, oc2_row = TABLES["ssda903_oc2"]
    oc3_header, oc3_row = TABLES["ssda903_oc3"]
    write(tmp_path, "SSDA903_2024_oc2.csv", oc2_header, oc2_row)
    write(tmp_path, "SSDA903_2025_oc2.csv", oc2_header, oc2_row, "2" + oc2_row[1:], "2" + oc2_row[1:])
    write(tmp_path, "SSDA903_2024_oc3.csv", oc3_header, oc3_row)
    write(tmp_path, "SSDA903_2025_oc3.csv", oc3_header, oc3_row, "2" + oc3_row[1:], "2" + oc3_row[1:])
    read = read_inputs([tmp_path], defs, today=date(2025, 6, 1))
    assert read.tables["ssda903_oc2"].frame.height == 4  # every return's rows are kept
    dups = sorted((d.file.rsplit("/", 1)[-1], d.line) for d in read.diagnostics if d.code == "CSC204")
    assert dups == [("SSDA903_2025_oc2.csv", 4), ("SSDA903_2025_oc3.csv", 4)]


def test_a_future_duc_is_not_a_future_date_but_other_future_dates_are(tmp_path, defs):
    # DUC is the date UASC status ceases, the 18th birthday, often still ahead (returns.md §1.7, §6.18): child 1's
    # 01/02/2028 is not reported; child 2's date of birth 01/02/2026 (after today, 1 June 2025) is, and so is the
    # 01/07/2025 DECOM of an Episodes row
    write(tmp_path, "SSDA903_2025_uasc.csv", TABLES["ssda903_uasc"][0], "1,M,01/02/2010,01/02/2028",
          "2,F,01/02/2026,01/02/2044")
    write(tmp_path, "SSDA903_2025_episodes.csv", TABLES["ssda903_episodes"][0], "1,01/05/2024,S,C2,N1,U1,PR1,,,,,,",
          "1,01/07/2025,P,C2,N1,U1,PR1,,,,,,")
    read = read_inputs([tmp_path], defs, today=date(2025, 6, 1))
    future = sorted((d.file.rsplit("/", 1)[-1], d.line, d.field) for d in read.diagnostics if d.code == "CSC206")
    assert future == [("SSDA903_2025_episodes.csv", 3, "decom"), ("SSDA903_2025_uasc.csv", 3, "dob")]


# -- codes by collection year ---------------------------------------------------------------------------------

def test_sex_1_2_read_as_m_f_and_warned_from_2024_25(tmp_path, defs):
    header = TABLES["ssda903_header"][0]
    write(tmp_path, "SSDA903_2024_header.csv", header, "1,1,01/02/2010,WBRI,,0,", "2,2,01/02/2010,WBRI,,0,",
          "3,9,01/02/2010,WBRI,,0,")
    write(tmp_path, "SSDA903_2025_header.csv", header, "4,1,01/02/2010,WBRI,,0,", "5,F,01/02/2010,WBRI,,0,",
          "6,0,01/02/2010,WBRI,,0,")
    read = read_inputs([tmp_path], defs)
    frame = read.tables["ssda903_header"].frame.sort("child")
    assert frame.select("child", "sex").rows() == [("1", "M"), ("2", "F"), ("3", "U"), ("4", "M"), ("5", "F"), ("6", "U")]
    warned = sorted((d.line, d.file.rsplit("/", 1)[-1]) for d in read.diagnostics if d.code == "CSC220")
    # 2023-24: 1/2/9 are that year's codes (no warning); 2024-25: 1 (row 2) and 0 (row 4) are outside their year
    assert warned == [(2, "SSDA903_2025_header.csv"), (4, "SSDA903_2025_header.csv")]
    assert all(d.severity.value == "warning" for d in read.diagnostics if d.code == "CSC220")


def test_placement_codes_outside_their_year_are_warnings(tmp_path, defs):
    header = TABLES["ssda903_episodes"][0]
    # 2024-25: H5 and P2 are gone (valid to 2023-24), K3 is in; 2022-23: K3 not yet (from 2023-24)
    write(tmp_path, "SSDA903_2025_episodes.csv", header, "1,01/05/2024,S,C2,N1,H5,PR1,,,,,,",
          "2,01/05/2024,S,C2,N1,K3,PR1,,,,,,", "3,01/06/2024,S,C2,N1,P2,PR1,,,,,,")
    write(tmp_path, "SSDA903_2023_episodes.csv", header, "9,01/05/2022,S,C2,N1,K3,PR1,01/06/2022,E8,,,,")
    read = read_inputs([tmp_path], defs)
    out = sorted((d.file.rsplit("/", 1)[-1], d.line, d.field) for d in read.diagnostics if d.code == "CSC220")
    assert out == [("SSDA903_2023_episodes.csv", 2, "place"), ("SSDA903_2025_episodes.csv", 2, "place"),
                   ("SSDA903_2025_episodes.csv", 4, "place")]
    assert read.tables["ssda903_episodes"].frame.sort("child")["place"].to_list() == ["H5", "K3", "P2", "K3"]


def test_code_years_are_part_of_the_code_set_model():
    from csc_metrics.spec.tables import Code, CodeSet

    cs = CodeSet(id="x", title="x", codes=[Code(code="A", label="a", valid_to=2024), Code(code="B", label="b", read_as="A")])
    assert cs.has_years and cs.codes[0].valid_in(2024) and not cs.codes[0].valid_in(2025)
    with pytest.raises(ValueError, match="not in the set"):
        CodeSet(id="x", title="x", codes=[Code(code="A", label="a", read_as="Z")])


# -- XML ------------------------------------------------------------------------------------------------------

XML = """<?xml version="1.0" encoding="utf-8"?>
<EXPSSDA903>
  <CHILD>
    <HEADER>
      <CHILDID>201</CHILDID>
      <UPN>A1</UPN>
      <SEX>2</SEX>
      <DOB>01/02/2010</DOB>
      <ETHNIC>WBRI</ETHNIC>
      <UASC>1</UASC>
      <DUC>01/02/2028</DUC>
      <MOTHER />
      <MC_DOB />
      <IN_TOUCH>YES</IN_TOUCH>
      <ACTIV>F1</ACTIV>
      <ACCOM>B1</ACCOM>
      <AREVIEW>
        <REVIEW>01/06/2024</REVIEW>
        <REVIEW_CODE>PN1</REVIEW_CODE>
      </AREVIEW>
      <AREVIEW>
        <REVIEW>01/12/2024</REVIEW>
        <REVIEW_CODE>PN9</REVIEW_CODE>
      </AREVIEW>
      <AMISSING>
        <MISSING>M</MISSING>
        <MIS_START>02/07/2024</MIS_START>
        <MIS_END />
      </AMISSING>
      <EXTRA_THING>x</EXTRA_THING>
    </HEADER>
    <EPISODE>
      <DECOM>01/05/2024</DECOM>
      <RNE>S</RNE>
      <LS>C2</LS>
      <CIN>N1</CIN>
      <PL>U1</PL>
      <PL_POST>AB1 2CD</PL_POST>
      <HOME_POST>AB1 3CD</HOME_POST>
      <URN>SC1</URN>
      <PLACE_PROVIDER>PR1</PLACE_PROVIDER>
      <DEC>01/09/2024</DEC>
      <REC>X1</REC>
      <REASON_PLACE_CHANGE>CARPL</REASON_PLACE_CHANGE>
    </EPISODE>
    <EPISODE>
      <DECOM>01/09/2024</DECOM>
      <RNE>P</RNE>
      <LS>C2</LS>
      <CIN>N1</CIN>
      <PL>U4</PL>
      <PLACE_PROVIDER>PR1</PLACE_PROVIDER>
      <DEC />
      <REC />
    </EPISODE>
  </CHILD>
  <CHILD>
    <HEADER>
      <CHILDID>202</CHILDID>
      <SEX>M</SEX>
      <DOB>2012-03-04</DOB>
      <ETHNIC>WBRI</ETHNIC>
    </HEADER>
  </CHILD>
</EXPSSDA903>
"""


def test_xml_is_flattened_to_the_csv_tables(tmp_path, defs):
    path = tmp_path / "export.xml"
    path.write_text(XML)
    read = read_inputs([path], defs)
    t = {k: v.frame for k, v in read.tables.items()}
    assert sorted(t) == ["ssda903_episodes", "ssda903_header", "ssda903_missing", "ssda903_oc3", "ssda903_reviews",
                         "ssda903_uasc"]
    assert t["ssda903_header"].sort("child").select("child", "sex", "dob").rows() == [
        ("201", "F", date(2010, 2, 1)), ("202", "M", date(2012, 3, 4))]  # 2 -> F (warned), ISO date read
    assert t["ssda903_episodes"].select("child", "place", "dec", "rec").rows() == [
        ("201", "U1", date(2024, 9, 1), "X1"), ("201", "U4", None, None)]  # PL -> place; CHILD from HEADER
    assert t["ssda903_reviews"].select("child", "dob", "review").rows() == [
        ("201", date(2010, 2, 1), date(2024, 6, 1)), ("201", date(2010, 2, 1), date(2024, 12, 1))]
    assert t["ssda903_uasc"]["duc"].to_list() == [date(2028, 2, 1)]
    assert t["ssda903_oc3"].select("in_touch", "accom").rows() == [("YES", "B1")]
    assert t["ssda903_missing"]["mis_start"].to_list() == [date(2024, 7, 2)]
    assert all(f["year"].unique().to_list() == [2025] for f in t.values())  # the year of the XML's episodes
    # locations: element path and line, no column letter
    bad = next(d for d in read.diagnostics if d.code == "CSC202")
    assert (bad.element, bad.line, bad.column, bad.field) == ("EXPSSDA903/CHILD[1]/HEADER[1]/AREVIEW[2]", 21, None,
                                                              "review_code")
    assert bad.location().endswith("export.xml element EXPSSDA903/CHILD[1]/HEADER[1]/AREVIEW[2] line 21")
    sex = next(d for d in read.diagnostics if d.code == "CSC220")
    assert (sex.element, sex.line) == ("EXPSSDA903/CHILD[1]/HEADER[1]", 4)
    unknown = [d for d in read.diagnostics if d.code == "CSC224"]
    assert [(d.element, d.line) for d in unknown] == [("EXPSSDA903/CHILD[1]/HEADER[1]/EXTRA_THING", 30)]


def test_malformed_xml_names_the_file_and_line(tmp_path, defs):
    path = tmp_path / "bad.xml"
    path.write_text("<EXPSSDA903>\n<CHILD>\n<HEADER></CHILD>\n</EXPSSDA903>\n")
    with pytest.raises(InputError, match=r"bad.xml: not well-formed XML at line 3"):
        read_inputs([path], defs)


# -- other kinds -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, content", [
    ("other.xml", b'<?xml version="1.0"?>\n<Invoice><Line/></Invoice>\n'),
    ("notes.txt", b"hello"),
    ("other.csv", b"a,b\n1,2\n"),
])
def test_a_file_of_another_kind_gets_one_line_and_exit_2(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    result = run_cli(["validate", path, "--definitions", DEFS], code=2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and name in lines[0]
    assert "Traceback" not in result.stderr


def test_an_xml_of_another_kind_in_a_folder_is_listed_as_not_read(tmp_path, defs):
    (tmp_path / "other.xml").write_bytes(b"<Invoice/>")
    write(tmp_path, "SSDA903_2025_reviews.csv", *TABLES["ssda903_reviews"])
    read = read_inputs([tmp_path], defs)
    assert [u["path"].rsplit("/", 1)[-1] for u in read.unrecognised] == ["other.xml"]
    assert "root element <Invoice>" in read.unrecognised[0]["reason"]


def test_annex_a_and_903_mixed_in_one_folder(tmp_path, defs):
    from csc_metrics.sample import generate_sample

    generate_sample(tmp_path / "mix", children=100, seed=1, years=1)
    write(tmp_path / "mix", "SSDA903_2025_reviews.csv", *TABLES["ssda903_reviews"])
    read = read_inputs([tmp_path / "mix"], defs)
    formats_read = {td.schema.format for td in read.tables.values()}
    assert formats_read == {"annex_a", "ssda903"}
    assert read.coverage == {"ssda903_reviews": (date(2024, 4, 1), date(2025, 3, 31))}
    assert pl.Series(read.tables["ssda903_reviews"].frame["year"]).to_list() == [2025]


def test_validate_recognises_a_mix_of_annex_a_903_csv_and_xml_and_cin_xml(tmp_path, cli):
    """`sample --ssda903 --cin` writes the three kinds for the same children (`--ssda903-xml` the 903 as XML);
    validate names every return."""
    import shutil

    from csc_metrics.sample import generate_sample

    generate_sample(tmp_path / "s", children=2000, seed=4, years=2, ssda903=True, cin=True)
    generate_sample(tmp_path / "x", children=2000, seed=4, years=2, ssda903_xml=True)
    for path in (tmp_path / "s" / "ssda903").glob("SSDA903_2025_*.csv"):
        path.unlink()  # 2024-25 from the XML instead: one collection year is read once (tests/test_returns_twice.py)
    (tmp_path / "s" / "ssda903_xml").mkdir()
    shutil.copy(tmp_path / "x" / "ssda903_xml" / "SSDA903_2025.xml", tmp_path / "s" / "ssda903_xml")
    out = json.loads(cli(["validate", tmp_path / "s", "--format", "json", "--definitions", DEFS]).stdout)
    kinds = {(r["format"], r["collection_year"]) for r in out["returns"]}
    assert {("ssda903", "2023-24"), ("ssda903", "2024-25"), ("cin_census", "2024-25")} <= kinds
    assert not out["unrecognised"]
    tables = {t["table"] for t in out["tables"]}
    assert {"annex_a_list_8", "ssda903_episodes", "ssda903_header", "cin_details"} <= tables
    xml_tables = [t for t in out["tables"] if t["path"].endswith(".xml") and t["format"] == "ssda903"]
    assert xml_tables and all(t["collection_years"] for t in xml_tables)


def test_a_year_no_return_covers_is_no_data_and_a_table_not_collected_that_year_unavailable(tmp_path):
    """Returns 2023-24 and 2024-25; SWEpisodes only in 2024-25 (as if collected from then). 2023-24: child 1 in
    care from 01/05/2023, so looked after at 31 March 2024 = 1 (ok), but its social workers have no table that
    year: unavailable (CSC321), not 0 of 1. 2024-25: children 1 and 2 at 31 March 2025 = 2; child 1 has 3
    workers (SW1, SW2, SW3 overlap the year), child 2 one: 1 of 2 = 50%. A 2022-23 period (asked for by name
    with an Annex A list of referrals from 2022) shares no day with the returns: no_data, not a stock of
    episodes open on 1 April 2023."""
    eps, head = TABLES["ssda903_episodes"][0], TABLES["ssda903_header"][0]
    sw = TABLES["ssda903_sw_episodes"][0]
    write(tmp_path, "SSDA903_2024_episodes.csv", eps, "1,01/05/2023,S,C2,N1,U1,PR1,,,,,,")
    write(tmp_path, "SSDA903_2025_episodes.csv", eps, "1,01/05/2023,S,C2,N1,U1,PR1,,,,,,",
          "2,01/02/2025,S,C2,N4,U4,PR4,,,,,,")
    write(tmp_path, "SSDA903_2024_header.csv", head, "1,1,01/02/2010,WBRI,,0,")
    write(tmp_path, "SSDA903_2025_header.csv", head, "1,M,01/02/2010,WBRI,,0,", "2,F,01/02/2012,WBRI,,0,")
    write(tmp_path, "SSDA903_2025_swepisodes.csv", sw, "1,01/02/2010,SW1,01/04/2023,01/06/2024,LEFTRL",
          "1,01/02/2010,SW2,01/06/2024,01/09/2024,LEFTRL", "1,01/02/2010,SW3,01/09/2024,,",
          "2,01/02/2012,SW4,01/02/2025,,")
    out = json.loads(run_cli(["compute", tmp_path, "--period", "year", "--format", "json", "--no-store",
                              "-i", "cla_at_end", "-i", "cla_3plus_social_workers"]).stdout)
    got = {(r["indicator"], r["period"]): r for r in out["results"] if r["category"] is None}
    assert (got[("cla_at_end", "2023-24")]["status"], got[("cla_at_end", "2023-24")]["value"]) == ("ok", 1)
    sw23 = got[("cla_3plus_social_workers", "2023-24")]
    assert (sw23["status"], sw23["value"], sw23["numerator"]) == ("unavailable", None, None)
    assert [(f["code"], f["args"]["table"], f["args"]["coverage"]) for f in sw23["findings"]] == [
        ("CSC321", "ssda903_sw_episodes", "2024-04-01 to 2025-03-31")]
    sw24 = got[("cla_3plus_social_workers", "2024-25")]
    assert (sw24["status"], sw24["numerator"], sw24["denominator"], sw24["value"]) == ("ok", 1, 2, 50.0)
    # a list of referrals from April 2022 makes 2022-23 a period of the run: the returns hold no day of it
    write(tmp_path, "list_03_referrals.csv", "Child Unique ID,Gender,Ethnicity,Date of Birth,Age of Child (Years),"
          "Date of referral,Referral Source,Referral NFA?,Number of Referrals in Last 12 Months,Allocated Team,"
          "Allocated Worker", "9,a) Male,a) WBRI,03/02/2012,13,15/06/2022,m) 4: Housing,b) No,0,Team A,SW0001")
    out = json.loads(run_cli(["compute", tmp_path, "--period", "year", "--format", "json", "--no-store",
                              "-i", "cla_at_end", "-i", "cla_started"]).stdout)
    got = {(r["indicator"], r["period"]): r for r in out["results"] if r["category"] is None}
    for ind in ("cla_at_end", "cla_started"):
        r = got[(ind, "2022-23")]
        assert (r["status"], r["value"], [f["code"] for f in r["findings"]]) == ("no_data", None, ["CSC321"]), r
        assert got[(ind, "2023-24")]["status"] == "ok"
