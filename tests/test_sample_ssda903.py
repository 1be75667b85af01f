"""`csc-metrics sample --ssda903`: SSDA903 returns for the same children as the Annex A lists, readable, true to
the figures the generator built (truth.json), consistent with List 8, and with the §1.7 defects under --messy."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from tests.conftest import run_cli

from csc_metrics.derive.ssda903 import (
    count_placements,
    oc2_cohort,
    open_at,
    periods_of_care,
    placements,
    remove_short_breaks,
    repair_episodes,
    stack_returns,
)
from csc_metrics.io.model import ROW, SRC
from csc_metrics.sample import generate_sample
from csc_metrics.sample import lists as _lists
from csc_metrics.sample.draw import Draw, bank_holidays
from csc_metrics.sample.journeys import Window
from csc_metrics.sample.ssda903 import HEADERS, _episodes, _periods

DATES = {"DECOM", "DEC", "DOB", "MC_DOB", "DUC", "REVIEW", "DATE_INT", "DATE_MATCH", "DATE_PLACED",
         "DATE_PLACED_CEASED", "DATE_PERM", "MIS_START", "MIS_END", "SW_DECOM", "SW_DEC"}
TABLE_IDS = {"header": "ssda903_header", "episodes": "ssda903_episodes"}


def _read(folder: Path, year: int, table: str) -> pl.DataFrame:
    """One CSV as the reader would give it: lower-case columns, dates, `__src`/`__row`."""
    df = pl.read_csv(folder / f"SSDA903_{year}_{table}.csv", infer_schema=False)
    df = df.with_columns(pl.col(c).str.to_date("%d/%m/%Y", strict=False) for c in df.columns if c in DATES)
    return df.rename({c: c.lower() for c in df.columns}).with_row_index(ROW, offset=2).with_columns(
        pl.col(ROW).cast(pl.UInt32), pl.lit(0, pl.UInt16).alias(SRC))


def _stack(folder: Path, years: list[int]) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame]:
    returns = [(y, {TABLE_IDS[t]: _read(folder, y, t) for t in TABLE_IDS}) for y in years]
    tables, found = stack_returns(returns)
    episodes, repairs = repair_episodes(tables["ssda903_episodes"], tables["ssda903_header"])
    return {**tables, "ssda903_episodes": episodes}, found, repairs


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("s903")
    generate_sample(out, children=6_000, seed=7, ssda903=True)
    return out


@pytest.fixture(scope="module")
def messy(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("s903m")
    generate_sample(out, children=6_000, seed=7, ssda903=True, messy=True)
    return out


def test_one_csv_per_table_and_year_with_the_dfe_headers(clean):
    folder = clean / "ssda903"
    for year in (2024, 2025):
        for table, headers in HEADERS.items():
            path = folder / f"SSDA903_{year}_{table}.csv"
            if table == "dolo":  # collected from 2026-27 only
                assert not path.exists()
                continue
            head = path.read_text().splitlines()[0]
            assert head.split(",") == headers, path.name
            df = pl.read_csv(path, infer_schema=False)
            for col in DATES & set(df.columns):  # dd/mm/yyyy throughout (strict parse fails otherwise)
                df[col].drop_nulls().str.to_date("%d/%m/%Y", strict=True)
    assert not (clean / "ssda903_xml").exists()  # each year once: the CSVs, or with --ssda903-xml the XML


@pytest.fixture(scope="module")
def as_xml(tmp_path_factory) -> Path:
    """The same sample (same seed) with the returns written as XML instead of CSV."""
    out = tmp_path_factory.mktemp("s903x")
    generate_sample(out, children=6_000, seed=7, ssda903_xml=True)
    return out


def test_the_annex_a_lists_are_unchanged_by_returns(clean, tmp_path):
    generate_sample(tmp_path, children=6_000, seed=7)

    def digest(folder: Path) -> str:
        return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(folder.glob("list_*.csv")))).hexdigest()

    assert digest(tmp_path) == digest(clean)
    assert not (tmp_path / "ssda903").exists()


def test_episodes_are_dated_in_their_collection_year(clean):
    for year in (2024, 2025):
        ep = _read(clean / "ssda903", year, "episodes")
        s, e = date(year - 1, 4, 1), date(year, 3, 31)
        # every episode is open at some time in the year; no DEC after the year end (the return is as at E)
        assert ep.filter((pl.col("decom") > e) | (pl.col("dec") < s) | (pl.col("dec") > e)).height == 0
        # the year from content (§2.1): the latest DECOM falls in the year
        assert s <= ep["decom"].max() <= e


def test_clean_returns_need_no_repair_and_give_the_true_figures(clean):
    truth = json.loads((clean / "ssda903" / "truth.json").read_text())["years"]
    tables, found, repairs = _stack(clean / "ssda903", [2024, 2025])
    assert found.height == 0 and repairs.height == 0  # a consistent history: nothing to repair
    episodes = remove_short_breaks(tables["ssda903_episodes"])
    pocs = periods_of_care(episodes)
    for year in (2024, 2025):
        s, e, t = date(year - 1, 4, 1), date(year, 3, 31), truth[str(year)]
        assert open_at(episodes, e)["child"].n_unique() == t["looked_after_at_31_march"] > 0
        # starts are periods whose first episode is RNE S in the year (a known start)
        assert pocs.filter(pl.col("poc_start").is_between(s, e) & pl.col("poc_start_known")).height == t["started"]
        assert pocs.filter(pl.col("poc_end").is_between(s, e)).height == t["ceased"]
        ceased = pocs.filter(pl.col("poc_end").is_between(s, e))
        assert dict(ceased.group_by("rec").len().iter_rows()) == t["ceased_by_reason"]
        assert oc2_cohort(tables["ssda903_episodes"], tables["ssda903_header"], year).height == \
            t["continuously_12_months"]
    # the OC2 table holds exactly the cohort
    oc2 = _read(clean / "ssda903", 2025, "oc2")
    cohort = oc2_cohort(tables["ssda903_episodes"], tables["ssda903_header"], 2025)
    assert sorted(oc2["child"]) == sorted(cohort["child"])


def test_the_903_agrees_with_list_8():
    """The episode open at the List 8 date (the extract date, or the day care ended) has List 8's legal status,
    placement type, provider, postcode and URN, and the placements in the 12 months to that date are List 8's
    count, except for A5 (placed for adoption with the current foster carers: not a move under §2.5)."""
    w, d = Window.of(date(2025, 3, 31), 2), Draw(7)
    frames = _lists.build(6_000, w, d, bank_holidays(w.burn.year - 2, w.end.year + 5))
    periods = _periods(frames[8], w)
    eps = _episodes(periods, d)
    at = (eps.join(periods.select("pid", "as_of"), on="pid")
          .filter((pl.col("decom") <= pl.col("as_of")) & (pl.col("dec").is_null() | (pl.col("dec") >= pl.col("as_of"))))
          .sort("pid", "decom").unique("pid", keep="last").join(periods, on="pid"))
    assert at.height == periods.height
    for ours, theirs in [("ls", "legal_status"), ("place", "placement_type"), ("place_provider", "placement_provider"),
                         ("pl_post", "placement_postcode"), ("urn", "placement_urn"), ("child", "child_id")]:
        assert at.filter(pl.col(ours).ne_missing(pl.col(theirs))).height == 0, ours
    rows = placements(eps.drop("pid", "cid")).join(
        periods.select(child="child_id", as_of="as_of", year_ago="year_ago", l8="placements_last_12m",
                       type_="placement_type", placement_start="placement_start"), on="child")
    # the 12 months to as_of: (as_of - 12 months, as_of]
    counted = rows.filter((pl.col("start") <= pl.col("as_of")) & ~pl.col("zero_day")
                          & (pl.col("end").is_null() | (pl.col("end") > pl.col("year_ago"))))
    n = counted.group_by("child", "as_of").agg(n=pl.len(), l8=pl.col("l8").first(), t=pl.col("type_").first())
    assert n.height == periods.height
    assert n.filter((pl.col("n") != pl.col("l8")) & (pl.col("t") != "A5")).height == 0
    # and the placement holding as_of starts on List 8's placement start (A5: the foster placement's start)
    current = counted.filter(pl.col("end").is_null() | (pl.col("end") >= pl.col("as_of"))).sort("start").unique(
        ["child", "as_of"], keep="last")
    assert current.filter((pl.col("start") != pl.col("placement_start")) & (pl.col("type_") != "A5")).height == 0


def test_the_xml_holds_the_same_return(clean, as_xml):
    assert sorted(p.name for p in (as_xml / "ssda903_xml").iterdir()) == [
        "SSDA903_2024.xml", "SSDA903_2025.xml", "truth.json"]
    assert not (as_xml / "ssda903").exists()
    assert (as_xml / "ssda903_xml" / "truth.json").read_bytes() == (clean / "ssda903" / "truth.json").read_bytes()
    root = ET.parse(as_xml / "ssda903_xml" / "SSDA903_2025.xml").getroot()
    assert root.tag == "EXPSSDA903"
    children = root.findall("CHILD")
    header = _read(clean / "ssda903", 2025, "header")
    episodes = _read(clean / "ssda903", 2025, "episodes")
    oc3 = _read(clean / "ssda903", 2025, "oc3")
    assert len(children) == header.height
    assert sorted(c.findtext("HEADER/CHILDID") for c in children) == sorted(header["child"])
    assert sum(len(c.findall("EPISODE")) for c in children) == episodes.height
    assert sum(1 for c in children if c.findtext("HEADER/IN_TOUCH")) == oc3.height
    first = episodes.sort("child", "decom").row(0, named=True)
    xml_child = next(c for c in children if c.findtext("HEADER/CHILDID") == first["child"])
    ep = xml_child.find("EPISODE")
    assert ep is not None and ep.findtext("DECOM") == first["decom"].strftime("%d/%m/%Y")
    assert ep.findtext("PL") == first["place"]  # PLACE is PL in the XML


def test_messy_returns_carry_the_1_7_defects_and_repairs_recover(messy):
    folder = messy / "ssda903"
    truth = json.loads((folder / "truth.json").read_text())["years"]
    tables, found, repairs = _stack(folder, [2024, 2025])
    kinds = set(repairs["rule"])
    # R0 (blank CHILD, DECOM notadate), R1/R2 (duplicate DECOMs), R3 (open episode with REC), R5 (DEC 1 April),
    # R6 (overlaps, several open episodes), R10 (return to care without S)
    assert {"R0", "R1", "R2", "R3", "R5", "R6", "R10"} <= kinds
    assert "dob" in set(found["rule"])  # the same child with two DOBs across returns
    raw = (folder / "SSDA903_2025_header.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert "TEST" in pl.read_csv(folder / "SSDA903_2024_episodes.csv", n_rows=1).columns
    header = pl.read_csv(folder / "SSDA903_2025_header.csv", infer_schema=False)
    assert header["SEX"].is_in(["1", "2"]).any() and header["SEX"].is_in(["M", "F"]).any()
    # the defects move the stock at 31 March by no more than a few children either way
    at = open_at(remove_short_breaks(tables["ssda903_episodes"]), date(2025, 3, 31))["child"].n_unique()
    assert abs(at - truth["2025"]["looked_after_at_31_march"]) <= 5


def test_cli_writes_returns_on_request(tmp_path):
    result = run_cli(["sample", "--out", str(tmp_path), "--children", "500", "--ssda903"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ssda903" / "SSDA903_2025_episodes.csv").exists()
    assert not (tmp_path / "ssda903_xml").exists()
    # a count placements for some child works on what was written (smoke: the frames are well-typed)
    eps, _ = repair_episodes(_read(tmp_path / "ssda903", 2025, "episodes"), None)
    assert count_placements(placements(eps), date(2024, 4, 1), date(2025, 3, 31)).height > 0


def test_validate_reads_the_903_folder_and_xml_including_header_only_tables(tmp_path):
    # 800 children over three years: some AD1 files hold no adoptions (a header line only), which must still
    # read beside the years that have rows
    generate_sample(tmp_path, children=800, seed=1, years=3, ssda903=True, messy=True)
    # an XML return is dated by its latest DECOM: 1,200 children give every year a start of care
    generate_sample(tmp_path / "x", children=1200, seed=1, years=3, ssda903_xml=True, messy=True)
    assert any(len(p.read_text().splitlines()) == 1 for p in (tmp_path / "ssda903").glob("*_ad1.csv"))
    from typer.testing import CliRunner

    from csc_metrics.cli import app

    for folder in ("ssda903", "x/ssda903_xml"):  # the same returns as CSV tables and as XML
        result = CliRunner().invoke(app, ["validate", str(tmp_path / folder), "--format", "json"])
        assert result.exit_code in (0, 1), result.output  # findings, not a failure to read
        report = json.loads(result.stdout)
        tables = {t["table"] for t in report["tables"]}
        assert {"ssda903_episodes", "ssda903_header", "ssda903_oc3"} <= tables
        assert "CSC201" in {i["code"] for i in report["issues"]}  # the messy DECOM "notadate", located
        assert folder != "ssda903" or "ssda903_ad1" in tables  # header-only AD1 files read


@pytest.mark.parametrize("formats", [["--ssda903", "--cin"], ["--ssda903-xml", "--cin-csv"]])
def test_compute_reads_the_folder_sample_just_wrote(tmp_path, formats):
    """`sample --out x` with the returns, then `compute x`: every year of every return once, so no stop for a
    year read twice (exit 2); the 903 and CIN figures come from the returns."""
    run_cli(["sample", "--out", tmp_path / "x", "--children", "1500", "--seed", "3", *formats])
    payload = json.loads(run_cli(["compute", tmp_path / "x", "--period", "2024-25", "--format", "json",
                                  "--no-store", "-i", "cla_at_end", "-i", "referrals"]).stdout)
    truth = json.loads(next((tmp_path / "x").glob("ssda903*/truth.json")).read_text())["years"]["2025"]
    got = {r["indicator"]: r for r in payload["results"]}
    assert (got["cla_at_end"]["value"], got["cla_at_end"]["source"]) == (truth["looked_after_at_31_march"], "ssda903")
    assert got["referrals"]["source"] == "cin_census"
