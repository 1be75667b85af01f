"""CIN census XML: read by element name, any schema year, with the real-world defects of returns.md §1.7."""

from __future__ import annotations

import random
import re
from datetime import date

import polars as pl
import pytest
from tests.cin_helpers import (
    DEFS,
    assessment,
    child,
    codes,
    cpp,
    details,
    header,
    leaf,
    message,
    plan,
    read_xml,
    s47,
)
from tests.conftest import run_cli

from csc_metrics.diagnostics import CODES, Severity
from csc_metrics.errors import InputError
from csc_metrics.io.formats.cin_census import CinCensusFormat

TWO_CHILDREN = message(
    child("C1", details("2024-05-01", modules=assessment("2024-05-02", "2024-06-10", ["3B", "4B"])
                        + s47("2024-05-03", "2024-05-20") + cpp("2024-05-20", reviews=["2024-08-19"])),
          disabilities=["MOB", "LD"]),
    child("C2", details("2023-11-01", closure="2024-06-30", reason="RC7", modules=plan("2023-12-01", "2024-06-30")),
          details("2024-09-01", nfa="1", need=None)),
)


def frame(ret, table):
    return ret.tables[table].frame


def test_tables_ids_and_period(tmp_path):
    ret = read_xml(tmp_path, TWO_CHILDREN)
    assert ret.format == "cin_census"
    assert (ret.period.start, ret.period.end) == (date(2024, 4, 1), date(2025, 3, 31))
    det = frame(ret, "cin_details")
    # C1 has one CINdetails, C2 two: ordinals count within the child
    assert det.select("la_child_id", "cin_details_id", "cin_referral_date").rows() == [
        ("C1", 1, date(2024, 5, 1)), ("C2", 1, date(2023, 11, 1)), ("C2", 2, date(2024, 9, 1))]
    assert det["referral_nfa"].to_list() == ["N", "N", "Y"]
    assert frame(ret, "cin_disabilities")["disability"].to_list() == ["MOB", "LD"]
    f = frame(ret, "cin_assessment_factors")
    assert f.select("la_child_id", "cin_details_id", "assessment_id", "assessment_factor").rows() == [
        ("C1", 1, 1, "3B"), ("C1", 1, 1, "4B")]
    rv = frame(ret, "cin_cpp_reviews")
    assert rv.select("la_child_id", "cin_details_id", "cpp_id", "cpp_review_date").rows() == [
        ("C1", 1, 1, date(2024, 8, 19))]
    assert frame(ret, "cin_plan_dates").height == 1
    assert set(frame(ret, "cin_child")["census_year"]) == {2025}
    assert frame(ret, "cin_child")["census_year"].dtype == pl.Int32
    assert not [d for d in ret.diagnostics if d.severity is not Severity.INFO]


def _shuffle_children(text: str, seed: int) -> str:
    """Reverse/shuffle the order of sibling elements inside every Child's blocks (one element per line)."""
    rng = random.Random(seed)
    lines = text.splitlines()
    out, block = [], []
    for ln in lines:  # shuffle runs of leaf lines (siblings) in place
        if re.fullmatch(r"<(\w+)>[^<]*</\1>", ln):
            block.append(ln)
            continue
        rng.shuffle(block)
        out += block + [ln]
        block = []
    return "\n".join(out + block)


def test_element_order_does_not_matter(tmp_path):
    plain = read_xml(tmp_path, TWO_CHILDREN, "a.xml")
    # also put the CINdetails before ChildIdentifiers and ReferralNFA first
    moved = TWO_CHILDREN.replace("<ChildIdentifiers>", "<X>").replace("</ChildIdentifiers>\n", "</X>\n")
    moved = re.sub(r"<X>\n(.*?)</X>\n(.*?)(</Child>)", r"\2<ChildIdentifiers>\n\1</ChildIdentifiers>\n\3", moved,
                   flags=re.S)
    shuffled = read_xml(tmp_path, _shuffle_children(moved, 3), "b.xml")
    for table in plain.tables:
        a = frame(plain, table).drop("__row")
        b = frame(shuffled, table).drop("__row")
        assert a.sort(a.columns, nulls_last=True).equals(b.sort(b.columns, nulls_last=True)), table  # siblings of one name may swap


def test_unknown_element_skipped_with_one_note_and_line(tmp_path):
    text = message(child("C1", details("2024-05-01", modules="<Foo>\n<Bar>1</Bar>\n</Foo>\n"),
                         details("2024-07-01", modules="<Foo>\n<Bar>2</Bar>\n</Foo>\n")))
    ret = read_xml(tmp_path, text)
    [note] = [d for d in ret.diagnostics if d.code == "CSC224"]
    assert note.severity is Severity.INFO and note.count == 2
    assert note.element == "Message/Children/Child[1]/CINdetails[1]/Foo"
    assert text.splitlines()[note.line - 1] == "<Foo>"
    assert frame(ret, "cin_details").height == 2  # the rest is read


@pytest.mark.parametrize(("text", "value"), [("true", "Y"), ("false", "N"), ("1", "Y"), ("0", "N"), ("Y", "Y"),
                                             ("N", "N"), ("True", "Y"), ("FALSE", "N")])
def test_booleans_normalised(tmp_path, text, value):
    ret = read_xml(tmp_path, message(child("C1", details("2024-05-01", nfa=text))))
    assert frame(ret, "cin_details")["referral_nfa"].to_list() == [value]


def test_bad_boolean_is_reported_with_element_path(tmp_path):
    ret = read_xml(tmp_path, message(child("C1", details("2024-05-01", nfa="perhaps"))))
    [d] = [d for d in ret.diagnostics if d.code == "CSC202"]
    assert d.element == "Message/Children/Child[1]/CINdetails[1]/ReferralNFA" and d.line is not None
    assert "element Message/Children/Child[1]/CINdetails[1]/ReferralNFA line" in d.render()


def test_upn_and_upn_unknown_both_given(tmp_path):
    ret = read_xml(tmp_path, message(child("C1", details("2024-05-01"), upn_unknown="UN1"),
                                     child("C2", details("2024-05-01"), upn=None, upn_unknown="UN2")))
    found = [d for d in ret.diagnostics if d.code == "CSC273"]
    assert [d.element for d in found] == ["Message/Children/Child[1]/ChildIdentifiers/UPNunknown"]


def test_empty_factors_identified_gives_no_rows(tmp_path):
    ret = read_xml(tmp_path, message(child("C1", details("2024-05-01", modules=assessment("2024-05-02", None, [])))))
    assert frame(ret, "cin_assessments").height == 1
    assert frame(ret, "cin_assessment_factors").height == 0
    assert not [d for d in ret.diagnostics if d.severity is not Severity.INFO]


@pytest.mark.parametrize(("year", "sex", "expected", "warned"), [
    (2017, ("GenderCurrent", "1"), "M", False), (2020, ("GenderCurrent", "2"), "F", False),
    (2024, ("GenderCurrent", "0"), "U", False), (2024, ("GenderCurrent", "9"), "U", False),
    (2025, ("Sex", "F"), "F", False), (2026, ("Sex", "U"), "U", False),
    (2025, ("GenderCurrent", "1"), "M", True),  # the old element in a new census
    (2025, ("Sex", "1"), "M", True),  # a GenderCurrent number in Sex
])
def test_gender_current_and_sex_one_column(tmp_path, year, sex, expected, warned):
    text = message(child("C1", details(f"{year - 1}-05-01"), sex=sex), head=header(year, f"{year}-03-31"))
    ret = read_xml(tmp_path, text)
    assert frame(ret, "cin_child")["sex"].to_list() == [expected]
    assert ("CSC220" in codes(ret)) is warned


def test_every_schema_year_reads(tmp_path):
    """2013-14 .. 2026-27: CINPlanDates absent before 2021-22, the pre-proceedings block in 2026-27."""
    for year in range(2014, 2028):
        sex = ("GenderCurrent", "1") if year <= 2024 else ("Sex", "M")
        modules = assessment(f"{year - 1}-05-02", f"{year - 1}-06-01", ["21"])
        if year >= 2022:
            modules += plan(f"{year - 1}-06-02")
        if year >= 2027:
            modules += ("<PreProceedingsandFGDM>\n" + leaf("PPStartDate", f"{year - 1}-07-01")
                        + leaf("FGDMMeetingOffer", "Y") + leaf("ReviewMeetingsCount", 2) + leaf("PPOutcome", "1")
                        + "</PreProceedingsandFGDM>\n")
        text = message(child("C1", details(f"{year - 1}-05-01", modules=modules), sex=sex),
                       head=header(year, f"{year}-03-31"))
        ret = read_xml(tmp_path, text, f"{year}.xml")
        assert ret.period.end == date(year, 3, 31)
        assert frame(ret, "cin_plan_dates").height == (1 if year >= 2022 else 0)
        pp = frame(ret, "cin_pre_proceedings")
        assert pp.height == (1 if year >= 2027 else 0)
        if year >= 2027:
            assert pp.select("pp_start_date", "fgdm_meeting_offer", "review_meetings_count").row(0) == (
                date(2026, 7, 1), "Y", 2)
        assert [d for d in ret.diagnostics if d.is_error] == [], year


def test_reference_date_not_31_march(tmp_path):
    """§1.7 a July ReferenceDate: E = 31 March of Year (§6.10), with a warning."""
    ret = read_xml(tmp_path, message(child("C1", details("2024-05-01")), head=header(2025, "2025-07-14")))
    assert ret.period.end == date(2025, 3, 31)
    [d] = [d for d in ret.diagnostics if d.code == "CSC221"]
    assert d.severity is Severity.WARNING and d.element.startswith("Message/Header")


def test_year_disagreeing_with_reference_date(tmp_path):
    ret = read_xml(tmp_path, message(child("C1", details("2024-05-01")), head=header(2024, "2025-03-31")))
    assert ret.period.end == date(2025, 3, 31)  # a 31 March reference date wins
    assert "CSC221" in codes(ret)


def test_no_header_year_from_content(tmp_path):
    ret = read_xml(tmp_path, message(child("C1", details("2024-05-01"), details("2025-02-01")),
                                     head=header(None, None)))
    assert ret.period.end == date(2025, 3, 31)  # latest referral February 2025: year ending 2025
    assert "CSC221" in codes(ret)


def test_no_declaration_namespace_mixed_content_tabs_no_final_newline(tmp_path):
    body = message(child("C1", details("2024-05-01")), declaration=False)
    body = body.replace("<Message>", '<Message xmlns="http://www.dfe.gov.uk/CIN">').replace(
        "<Children>", "\t  stray text\n<Children>").rstrip("\n")
    ret = read_xml(tmp_path, body)
    assert frame(ret, "cin_details").height == 1
    prefixed = message(child("C1", details("2024-05-01"))).replace("<", "<c:").replace("<c:/", "</c:").replace(
        "<c:?xml", "<?xml").replace("<c:Message>", '<c:Message xmlns:c="urn:cin">')
    ret = read_xml(tmp_path, prefixed, "p.xml")
    assert frame(ret, "cin_details").height == 1


def test_malformed_xml_names_file_and_line(tmp_path):
    text = message(child("C1", details("2024-05-01"))).replace("</CINdetails>", "</CINdetail>")
    with pytest.raises(InputError) as exc:
        read_xml(tmp_path, text)
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "</CINdetail>" in ln)
    assert "cin.xml" in exc.value.message and f"line {line}" in exc.value.message


def test_defects_of_the_public_samples(tmp_path):
    """§1.7: NFA true with a CPP/ICPC; invalid PrimaryNeedCode; future referral; assessment start after its
    authorisation; a 1960s date; unknown factor code; NumberOfPreviousCPP 10 (read as it is)."""
    text = message(
        child("C1", details("2024-05-01", nfa="true", modules=s47("2024-05-02", "2024-05-20") + cpp("2024-05-20"))),
        child("C2", details("2024-06-01", nfa="0", need="N99")),
        child("C3", details("2025-08-01")),
        child("C4", details("2024-06-01", modules=assessment("2024-07-01", "2024-06-15", ["99Z"]))),
        child("C5", details("1965-06-01")),
        child("C6", details("2024-05-01", modules=cpp("2024-06-01", previous=10))),
    )
    ret = read_xml(tmp_path, text)
    by = {}
    for d in ret.diagnostics:
        by.setdefault(d.code, []).append(d)
    assert [d.element for d in by["CSC272"]] == ["Message/Children/Child[1]/CINdetails[1]/ReferralNFA"]
    assert {d.element for d in by["CSC202"]} == {
        "Message/Children/Child[2]/CINdetails[1]/PrimaryNeedCode",
        "Message/Children/Child[4]/CINdetails[1]/Assessments[1]/FactorsIdentifiedAtAssessment/AssessmentFactors[1]"}
    assert [d.element for d in by["CSC275"]] == ["Message/Children/Child[3]/CINdetails[1]/CINreferralDate"]
    assert [d.element for d in by["CSC205"]] == [
        "Message/Children/Child[4]/CINdetails[1]/Assessments[1]/AssessmentAuthorisationDate"]
    assert [d.element for d in by["CSC207"]] == ["Message/Children/Child[5]/CINdetails[1]/CINreferralDate"]
    assert frame(ret, "cin_cpp").filter(pl.col("la_child_id") == "C6")["number_of_previous_cpp"].to_list() == [10]
    for d in ret.diagnostics:
        assert d.code in CODES
        assert d.line is not None and d.file.endswith("cin.xml")


def test_codes_outside_their_year_warn(tmp_path):
    """RC9 and 5D from 2022-23, 24A from 2021-22, 18B from 2020-21: in 2020-21 (year 2021) RC9, 5D, 24A warn."""
    text = message(child("C1", details("2020-05-01", source="5D", closure="2020-06-01", reason="RC9",
                                       modules=assessment("2020-05-02", "2020-05-30", ["24A", "18B"]))),
                   head=header(2021, "2021-03-31"))
    ret = read_xml(tmp_path, text)
    warned = sorted(d.element.rsplit("/", 1)[-1] for d in ret.diagnostics if d.code == "CSC220")
    assert warned == ["AssessmentFactors[1]", "ReasonForClosure", "ReferralSource"]


def test_detect(tmp_path):
    fmt = CinCensusFormat()
    xml = message(child("C1", details("2024-05-01"))).encode()
    assert fmt.detect(tmp_path / "a.xml", xml)
    assert fmt.detect(tmp_path / "a.xml", b"\xef\xbb\xbf" + xml.replace(b'<?xml version="1.0" encoding="utf-8"?>\n', b""))
    assert not fmt.detect(tmp_path / "a.xml", b"<Message><Header><CollectionDetails><Collection>School</Collection>")
    assert not fmt.detect(tmp_path / "a.xml", b'<?xml version="1.0"?><EXPSSDA903><Header>')
    assert not fmt.detect(tmp_path / "a.csv", b"Child Unique ID,Gender,Date of referral\n1,M,01/01/2025\n")
    assert fmt.detect(tmp_path / "CINdetails.csv", b",LAchildID,CINdetailsID,CINreferralDate,ReferralNFA\n")
    assert fmt.detect(tmp_path / "x.csv", b"LAchildID,Date,Type,CINreferralDate\n")
    assert not fmt.detect(tmp_path / "x.csv", b"\x00\x01garbage")


LIIA_HEAD = ("LAchildID,Date,Type,CINreferralDate,ReferralSource,PrimaryNeedCode,CINclosureDate,ReasonForClosure,"
             "DateOfInitialCPC,ReferralNFA,CINPlanStartDate,CINPlanEndDate,S47ActualStartDate,InitialCPCtarget,"
             "ICPCnotRequired,AssessmentActualStartDate,AssessmentInternalReviewDate,AssessmentAuthorisationDate,"
             "Factors,CPPstartDate,CPPendDate,InitialCategoryOfAbuse,LatestCategoryOfAbuse,NumberOfPreviousCPP,UPN,"
             "FormerUPN,UPNunknown,PersonBirthDate,ExpectedPersonBirthDate,GenderCurrent,PersonDeathDate,Ethnicity,"
             "Disabilities,LA,Year\n")


def _liia_row(cid, when, kind, **cols):
    names = LIIA_HEAD.strip().split(",")
    base = {"LAchildID": cid, "Date": when, "Type": kind, "PersonBirthDate": "2015-06-01", "GenderCurrent": "1",
            "Ethnicity": "WBRI", "LA": "Stockton", "Year": "2024", **cols}
    return ",".join(f'"{base[n]}"' if n in base and "," in str(base[n]) else str(base.get(n, "")) for n in names) + "\n"


def test_liia_long_event_table_rebuilt(tmp_path):
    """§1.5 shape 3: one row per dated event; modules rebuilt on the natural keys; a CINdetails-level ICPC that
    also shows on an S47 row (the S47 had none) is taken as the S47's - the loss the warning names."""
    ep1 = dict(CINreferralDate="2023-05-01", ReferralSource="6", PrimaryNeedCode="N1", ReferralNFA="0")
    ep2 = dict(CINreferralDate="2023-09-01", ReferralSource="8", PrimaryNeedCode="N4", ReferralNFA="0",
               DateOfInitialCPC="2023-09-20")  # transfer-in: no S47
    ep3 = dict(CINreferralDate="2023-10-01", ReferralSource="6", ReferralNFA="0", DateOfInitialCPC="2023-10-10")
    asm = dict(AssessmentActualStartDate="2023-05-02", AssessmentAuthorisationDate="2023-06-01", Factors="3B,4B")
    sec = dict(S47ActualStartDate="2023-05-03", InitialCPCtarget="2023-05-24", DateOfInitialCPC="2023-05-20",
               ICPCnotRequired="0")
    plan_ = dict(CPPstartDate="2023-05-20", CPPendDate="", InitialCategoryOfAbuse="NEG",
                 LatestCategoryOfAbuse="NEG", NumberOfPreviousCPP="0")
    text = LIIA_HEAD + "".join([
        _liia_row("C1", "2023-05-01", "CINreferralDate", Disabilities="MOB,LD", **ep1),
        _liia_row("C1", "2023-05-02", "AssessmentActualStartDate", Disabilities="MOB,LD", **ep1, **asm),
        _liia_row("C1", "2023-06-01", "AssessmentAuthorisationDate", Disabilities="MOB,LD", **ep1, **asm),
        _liia_row("C1", "2023-05-03", "S47ActualStartDate", Disabilities="MOB,LD", **ep1, **sec),
        _liia_row("C1", "2023-05-20", "CPPstartDate", Disabilities="MOB,LD", **ep1, **plan_),
        _liia_row("C1", "2023-08-19", "CPPreviewDate", Disabilities="MOB,LD", **ep1, **plan_),
        _liia_row("C2", "2023-09-01", "CINreferralDate", **ep2),
        # C3: a CINdetails-level ICPC and an S47 without one; LIIA shows the CINdetails value on the S47 row
        _liia_row("C3", "2023-10-01", "CINreferralDate", **ep3),
        _liia_row("C3", "2023-10-02", "S47ActualStartDate", **{**ep3, "S47ActualStartDate": "2023-10-02"}),
    ])
    path = tmp_path / "cin_events.csv"
    path.write_text(text)
    assert CinCensusFormat().detect(path, text.encode())
    [ret] = CinCensusFormat().read([path], DEFS)
    assert ret.period.end == date(2024, 3, 31)
    t = {k: v.frame for k, v in ret.tables.items()}
    assert t["cin_details"].select("la_child_id", "cin_details_id", "cin_referral_date", "date_of_initial_cpc").rows() == [
        ("C1", 1, date(2023, 5, 1), None), ("C2", 1, date(2023, 9, 1), date(2023, 9, 20)),
        ("C3", 1, date(2023, 10, 1), None)]  # C3's transfer-in ICPC is taken as the S47's (the documented loss)
    assert t["cin_assessments"].select("assessment_actual_start_date", "assessment_authorisation_date").rows() == [
        (date(2023, 5, 2), date(2023, 6, 1))]
    assert t["cin_assessment_factors"]["assessment_factor"].to_list() == ["3B", "4B"]
    assert t["cin_s47"].select("la_child_id", "s47_actual_start_date", "date_of_initial_cpc").rows() == [
        ("C1", date(2023, 5, 3), date(2023, 5, 20)), ("C3", date(2023, 10, 2), date(2023, 10, 10))]
    assert t["cin_cpp"].select("cpp_start_date", "cpp_id").rows() == [(date(2023, 5, 20), 1)]
    assert t["cin_cpp_reviews"].select("la_child_id", "cpp_id", "cpp_review_date").rows() == [
        ("C1", 1, date(2023, 8, 19))]
    assert t["cin_disabilities"]["disability"].to_list() == ["MOB", "LD"]
    assert t["cin_child"].select("la_child_id", "sex").rows() == [("C1", "M"), ("C2", "M"), ("C3", "M")]
    [note] = [d for d in ret.diagnostics if d.code == "CSC277"]
    assert "transfer-in" in note.message and "1st of the month" in note.message  # every DOB here is a 1st
    assert "CSC221" in codes(ret)  # no ReferenceDate: the census year comes from `Year`


def test_liia_table_of_two_years_gives_two_censuses(tmp_path):
    ep = dict(CINreferralDate="2023-05-01", ReferralSource="6", ReferralNFA="0")
    later = dict(CINreferralDate="2024-05-01", ReferralSource="6", ReferralNFA="0")
    text = LIIA_HEAD + _liia_row("C1", "2023-05-01", "CINreferralDate", **ep) + _liia_row(
        "C1", "2024-05-01", "CINreferralDate", **{**later, "Year": "2025"})
    path = tmp_path / "stacked.csv"
    path.write_text(text)
    rets = CinCensusFormat().read([path], DEFS)
    assert [r.period.end.year for r in rets] == [2024, 2025]


def test_n0_on_an_episode_with_activity_and_invalid_sex(tmp_path):
    """§1.7: N0 (not stated) where a need is expected; `Sex` with an invalid value."""
    ret = read_xml(tmp_path, message(
        child("C1", details("2024-05-01", need="N0", modules=assessment("2024-05-02", "2024-05-30"))),
        child("C2", details("2024-05-01", need="N0", nfa="1")),  # an NFA referral may have no need
        child("C3", details("2024-05-01"), sex=("Sex", "X"))))
    [n0] = [d for d in ret.diagnostics if d.code == "CSC276"]
    assert n0.element == "Message/Children/Child[1]/CINdetails[1]/PrimaryNeedCode"
    [sex] = [d for d in ret.diagnostics if d.code == "CSC202"]
    assert sex.element == "Message/Children/Child[3]/ChildIdentifiers/Sex" and sex.value == "X"
    assert frame(ret, "cin_child")["sex"].to_list() == ["M", "M", None]


def test_year_override_wins_with_a_warning(tmp_path):
    path = tmp_path / "cin.xml"
    path.write_text(message(child("C1", details("2024-05-01"))))
    [ret] = CinCensusFormat().read([path], DEFS, year=2024)
    assert ret.period.end == date(2024, 3, 31)
    assert "CSC221" in codes(ret)


def test_several_censuses_read_together(tmp_path):
    """Through the reader: two census years stacked, each row tagged with its census; a file of another kind
    in the folder is reported, not fatal."""
    from csc_metrics.io.reader import read_inputs

    (tmp_path / "a.xml").write_text(message(child("C1", details("2023-05-01")), head=header(2024, "2024-03-31")))
    (tmp_path / "b.xml").write_text(message(child("C1", details("2023-05-01"), details("2024-06-01"))))
    (tmp_path / "notes.xml").write_text("<Notes><Note>x</Note></Notes>")
    result = read_inputs([tmp_path], DEFS)
    det = result.tables["cin_details"].frame
    assert det.select("census_year", "cin_referral_date").sort("census_year", "cin_referral_date").rows() == [
        (2024, date(2023, 5, 1)), (2025, date(2023, 5, 1)), (2025, date(2024, 6, 1))]
    assert any(u["path"].endswith("notes.xml") for u in result.unrecognised)


def test_utf16_census(tmp_path):
    text = message(child("C1", details("2024-05-01"))).replace('encoding="utf-8"', 'encoding="utf-16"')
    path = tmp_path / "u16.xml"
    path.write_bytes(text.encode("utf-16"))
    assert CinCensusFormat().detect(path, path.read_bytes()[:65_535])
    [ret] = CinCensusFormat().read([path], DEFS)
    assert frame(ret, "cin_details").height == 1


def test_liia_table_of_two_authorities_is_refused_by_name(tmp_path):
    """A regional LIIA table stacks several LAs: computing it as one census would add two authorities' children
    together, so it stops, naming the file, the `LA` column and the fix (not 'read twice')."""
    ep = dict(CINreferralDate="2023-05-01", ReferralSource="6", ReferralNFA="0")
    text = LIIA_HEAD + _liia_row("C1", "2023-05-01", "CINreferralDate", **ep) + _liia_row(
        "C9", "2023-06-01", "CINreferralDate", **{**ep, "CINreferralDate": "2023-06-01", "LA": "Hartlepool"})
    path = tmp_path / "region.csv"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        CinCensusFormat().read([path], DEFS)
    assert "region.csv" in str(err.value) and "2 local authorities" in str(err.value) and "`LA`" in str(err.value)
    assert "split the file" in (err.value.hint or "")
    result = run_cli(["compute", path, "--period", "year", "--no-store"], code=2)
    assert "2 local authorities" in result.stderr and "Traceback" not in result.stderr
