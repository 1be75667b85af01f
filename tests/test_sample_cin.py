"""`csc-metrics sample --cin`: CIN census XML (and VCIN CSVs) for the same children as the Annex A lists; the
flattened CSVs read back equal to the XML; `--messy` carries the CIN defects of returns.md §1.7; parsing memory
stays bounded."""

from __future__ import annotations

import tracemalloc
from collections import Counter
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from tests.cin_helpers import DEFS, assessment, child, cpp, details, message, s47
from tests.conftest import run_cli

from csc_metrics.io.formats.cin_census import CinCensusFormat
from csc_metrics.io.formats.cin_xml import parse_cin_xml
from csc_metrics.sample import generate_sample

YEARS = [2023, 2024, 2025]  # --years 2 ending 2025-03-31: 2023-24, 2024-25 and the history year 2022-23


def _label(y: int) -> str:
    return f"{y - 1}-{y % 100:02d}"


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    out = tmp_path_factory.mktemp("cin")
    paths = generate_sample(out, children=4000, seed=11, cin=True)
    generate_sample(out / "csv", children=4000, seed=11, cin=True, cin_csv=True)  # the same censuses as CSVs
    fmt = CinCensusFormat()
    xml = {y: fmt.read([out / f"cin_census_{_label(y)}.xml"], DEFS)[0] for y in YEARS}
    return out, paths, xml


def _frames(ret):
    return {t: td.frame.drop("__row", "__src") for t, td in ret.tables.items()}


def test_one_xml_per_collection_year(clean):
    out, paths, xml = clean
    assert [p.name for p in paths if p.suffix == ".xml"] == [f"cin_census_{_label(y)}.xml" for y in YEARS]
    for y, ret in xml.items():
        assert ret.period.end == date(y, 3, 31)
        assert ret.tables["cin_details"].frame.height > 100
        assert [d for d in ret.diagnostics if d.is_error] == []


def test_flattened_csvs_read_back_equal_to_the_xml(clean):
    out, _, xml = clean
    for y in YEARS:
        assert not (out / f"cin_census_{_label(y)}_csv").exists() and not (out / "csv" / f"cin_census_{_label(y)}.xml").exists()
        csvs = sorted((out / "csv" / f"cin_census_{_label(y)}_csv").glob("*.csv"))
        assert all(CinCensusFormat().detect(p, p.read_bytes()[:65536]) for p in csvs)
        [ret] = CinCensusFormat().read(csvs, DEFS)
        a, b = _frames(xml[y]), _frames(ret)
        for t in a:
            assert a[t].sort(a[t].columns, nulls_last=True).equals(b[t].sort(b[t].columns, nulls_last=True)), (y, t)


def test_census_agrees_with_the_annex_a_lists(clean):
    """The same children and events: referrals, assessments, S47s and CP plans starting in 2024-25."""
    out, _, xml = clean
    s, e = date(2024, 4, 1), date(2025, 3, 31)
    lists = {n: pl.read_csv(out / f, infer_schema=False) for n, f in (
        (3, "list_03_referrals.csv"), (4, "list_04_assessments.csv"), (5, "list_05_s47.csv"),
        (7, "list_07_child_protection.csv"))}
    census = {t: td.frame for t, td in xml[2025].tables.items()}

    def from_list(n: int, col: str) -> set:
        df = lists[n].select(pl.col("Child Unique ID").alias("c"), pl.col(col).str.to_date("%d/%m/%Y").alias("d"))
        return set(df.filter(pl.col("d").is_between(s, e)).rows())

    def from_census(t: str, col: str) -> set:
        return set(census[t].select("la_child_id", col).filter(pl.col(col).is_between(s, e)).rows())

    assert from_list(3, "Date of referral") == from_census("cin_details", "cin_referral_date")
    assert from_list(4, "Continuous Assessment Start Date") == from_census("cin_assessments", "assessment_actual_start_date")
    assert from_list(5, "Strategy discussion initiating Section 47 Enquiry Start Date") == from_census(
        "cin_s47", "s47_actual_start_date")
    assert from_list(7, "Child Protection Plan Start Date") == from_census("cin_cpp", "cpp_start_date")


def test_messy_census_carries_the_section_1_7_defects(tmp_path):
    paths = generate_sample(tmp_path, children=4000, seed=11, cin=True, messy=True)
    generate_sample(tmp_path / "csv", children=4000, seed=11, cin=True, cin_csv=True, messy=True)
    xmls = [p for p in paths if p.suffix == ".xml"]
    found: Counter = Counter()
    fmt = CinCensusFormat()
    for p in xmls:
        [ret] = fmt.read([p], DEFS)
        found.update(d.code for d in ret.diagnostics)
    # July ReferenceDate / Year disagreeing; NFA with activity; UPN and UPNunknown; Sex as 1; dates after E;
    # before birth (1960s); assessment start after authorisation; unknown factor code
    for code in ("CSC221", "CSC272", "CSC273", "CSC220", "CSC275", "CSC207", "CSC205", "CSC202"):
        assert found[code] > 0, code
    first, last = xmls[0].read_text(), xmls[-1].read_text()
    assert "<ReferenceDate>2023-07-14</ReferenceDate>" in first
    assert not last.startswith("<?xml") and not last.endswith("\n")
    assert "<FactorsIdentifiedAtAssessment>\n</FactorsIdentifiedAtAssessment>" in "".join(p.read_text() for p in xmls)
    assert "<NumberOfPreviousCPP>10</NumberOfPreviousCPP>" in "".join(p.read_text() for p in xmls)
    # flattened: Reviews header-only, Disabilities absent - still read
    folder = tmp_path / "csv" / "cin_census_2024-25_csv"
    assert not (folder / "Disabilities.csv").exists()
    assert (folder / "Reviews.csv").read_text().count("\n") == 1
    [ret] = fmt.read(sorted(folder.glob("*.csv")), DEFS)
    assert ret.tables["cin_cpp_reviews"].frame.height == 0 and ret.tables["cin_disabilities"].frame.height == 0


def test_cli_sample_cin(tmp_path):
    run_cli(["sample", "--out", tmp_path / "s", "--children", 2000, "--cin"])
    assert sorted(p.name for p in (tmp_path / "s").glob("cin_*")) == [f"cin_census_{_label(y)}.xml" for y in YEARS]


def test_parsing_memory_stays_bounded(tmp_path):
    """tracemalloc peak while streaming a ~12 MB census stays well below the file size (no tree is built)."""
    one = message(*[child(f"C{i}", details("2024-05-01", modules=assessment("2024-05-02", "2024-06-01", ["3B", "4B"])
                                           + s47("2024-05-03", "2024-05-20") + cpp("2024-05-20", None, ["2024-08-19"])),
                          details("2024-09-01", nfa="1"), disabilities=["MOB"]) for i in range(200)])
    head, body = one.split("<Children>\n", 1)
    body, tail = body.rsplit("</Children>", 1)
    path = tmp_path / "big.xml"
    with path.open("w") as f:
        f.write(head + "<Children>\n")
        for _ in range(60):
            f.write(body)
        f.write("</Children>" + tail)
    size = path.stat().st_size
    assert size > 10e6
    tracemalloc.start()
    try:
        parsed = parse_cin_xml(path, DEFS.tables)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert parsed.tables["cin_child"].height == 12_000
    assert parsed.tables["cin_cpp_reviews"].height == 12_000
    assert peak < size / 2, (peak, size)


def test_paths_written_are_returned(clean):
    out, paths, _ = clean
    assert all(Path(p).exists() for p in paths)
    assert not any(p.name == "CINdetails.csv" for p in paths)  # the XML only, without --cin-csv
    csv = generate_sample(out / "again", children=4000, seed=11, cin_csv=True)
    assert any(p.name == "CINdetails.csv" for p in csv) and not any(p.suffix == ".xml" for p in csv)
