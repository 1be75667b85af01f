"""`csc-metrics sample`: the synthetic Annex A extract is well-formed, consistent, deterministic and realistic."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import fastexcel
import polars as pl
import pytest
from tests.conftest import run_cli
from tests.test_tables_yaml import extract_code

from csc_metrics.errors import ConfigError
from csc_metrics.sample import file_name, generate_sample, list_schemas
from csc_metrics.sample.draw import bank_holidays
from csc_metrics.sample.render import YES_NO_LABELS
from csc_metrics.spec.tables import ColumnType

END = date(2025, 3, 31)
TABLES, CODE_SETS = list_schemas()


def _date(header: str) -> pl.Expr:
    return pl.col(header).str.to_date("%d/%m/%Y", strict=True)


def _read(folder: Path) -> dict[int, pl.DataFrame]:
    return {n: pl.read_csv(folder / file_name(t), infer_schema=False) for n, t in TABLES.items()}


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[list[Path], dict[int, pl.DataFrame]]:
    out = tmp_path_factory.mktemp("small")
    paths = generate_sample(out, children=2_000, seed=3)
    return paths, _read(out)


@pytest.fixture(scope="module")
def la(tmp_path_factory) -> dict[int, pl.DataFrame]:
    """A mid-sized LA: 45,000 children aged 0-17, financial years 2023-24 and 2024-25."""
    out = tmp_path_factory.mktemp("la")
    generate_sample(out, children=45_000, seed=1)
    return _read(out)


def test_one_file_per_list_with_the_schema_headers(small):
    paths, lists = small
    assert [p.name for p in paths] == [
        "list_01_contacts.csv", "list_02_early_help.csv", "list_03_referrals.csv", "list_04_assessments.csv",
        "list_05_s47.csv", "list_06_cin.csv", "list_07_child_protection.csv", "list_08_looked_after.csv",
        "list_09_care_leavers.csv", "list_10_adoption.csv", "list_11_adopters.csv",
    ]
    for n, df in lists.items():
        assert df.columns == [c.header for c in TABLES[n].columns], n
        assert df.height > 0, n


def test_same_seed_same_bytes_other_seed_other_bytes(small, tmp_path):
    paths, _ = small
    again = generate_sample(tmp_path / "again", children=2_000, seed=3)
    other = generate_sample(tmp_path / "other", children=2_000, seed=4)
    assert _digest(again) == _digest(paths)
    assert _digest(other) != _digest(paths)


def test_cells_are_valid_labels_dates_and_numbers(small):
    """Every coded cell maps to a code of its set, yes/no cells are template labels, dates are dd/mm/yyyy,
    required cells are filled, and no date pair ends before it starts."""
    _, lists = small
    yes_no = set(YES_NO_LABELS.values())
    for n, df in lists.items():
        table = TABLES[n]
        for col in table.columns:
            values = df.get_column(col.header)
            present = values.drop_nulls()
            if col.required:
                assert values.null_count() == 0, (n, col.header)
            if col.type is ColumnType.CODE:
                cs = CODE_SETS[col.code_set]
                bad = [v for v in present.unique().to_list() if extract_code(v, cs) is None]
                assert bad == [], (n, col.header, bad[:3])
            elif col.type is ColumnType.YES_NO:
                assert set(present.unique().to_list()) <= yes_no, (n, col.header)
            elif col.type is ColumnType.DATE:
                assert present.str.contains(r"^\d{2}/\d{2}/\d{4}$").all(), (n, col.header)
                df.select(_date(col.header))  # strict: raises on an impossible date
            elif col.type is ColumnType.INTEGER:
                assert present.str.contains(r"^\d+$").all(), (n, col.header)
        for pair in table.date_pairs:
            start, end = table.column(pair.start).header, table.column(pair.end).header
            assert df.filter(_date(end) < _date(start)).height == 0, (n, pair)


def test_children_are_the_same_in_every_list(small):
    _, lists = small
    people = pl.concat(
        [lists[n].select("Child Unique ID", "Date of Birth", "Gender", "Ethnicity") for n in range(1, 11)]
    ).unique()
    assert people.height == people["Child Unique ID"].n_unique()
    # age at the extract date agrees with the date of birth
    for n in range(1, 11):
        df = lists[n].with_columns(dob=_date("Date of Birth"))
        expected = df.select(
            (pl.lit(END.year) - pl.col("dob").dt.year()
             - ((pl.col("dob").dt.month().cast(pl.Int32) * 100 + pl.col("dob").dt.day().cast(pl.Int32)) > 331)
             .cast(pl.Int32)).alias("age")
        )["age"]
        assert (df["Age of Child (Years)"].cast(pl.Int32) == expected).all(), n
    # a referral follows a contact; S47s, plans and care belong to referred (or long-known) children
    referred = set(lists[3]["Child Unique ID"])
    contacted = set(lists[1]["Child Unique ID"])
    in_window = lists[3].filter(_date("Date of referral") >= date(2022, 4, 6))
    assert set(in_window["Child Unique ID"]) <= contacted
    assert set(lists[5]["Child Unique ID"]) - referred <= set(lists[5].filter(
        _date("Strategy discussion initiating Section 47 Enquiry Start Date") < date(2022, 4, 1))["Child Unique ID"])


def test_adoption_dates_in_order_and_care_leavers_17_to_21(small, la):
    for lists in (small[1], la):
        ad = lists[10]
        order = ["Date the Child Entered Care", "Date of Decision that Child Should be Placed for Adoption",
                 "Date of Placement Order", "Date of Matching Child and Prospective Adopters",
                 "Date Placed for Adoption", "Date of Adoption Order"]
        for a, b in zip(order, order[1:], strict=False):
            assert ad.filter(_date(b) <= _date(a)).height == 0, (a, b)
        assert lists[9]["Age of Child (Years)"].cast(pl.Int32).is_between(17, 21).all()
        assert lists[9]["Child Unique ID"].is_unique().all()
    families = set(la[10]["Family identifier"].drop_nulls())
    assert families and families <= set(la[11]["Family identifier"])


def _weekdays(start: str, end: str) -> pl.Expr:
    return pl.business_day_count(_date(start), _date(end))


def test_main_rates_near_england_at_la_scale(la):
    """Rates for 2024-25 at 45,000 children against the England 2024-25 figures (per 10,000 aged 0-17)."""
    fy = (date(2024, 4, 1), END)
    per_10k = 10_000 / 45_000
    refs = la[3].with_columns(d=_date("Date of referral"), cid=pl.col("Child Unique ID"))
    in_year = refs.filter(pl.col("d").is_between(*fy))
    assert 519 * 0.85 <= in_year.height * per_10k <= 519 * 1.15
    # re-referral: another referral of the same child in the 12 months before (from the list itself)
    earlier = refs.select("cid", p="d")
    rerefs = (
        in_year.with_row_index("i").join(earlier, on="cid")
        .filter((pl.col("p") < pl.col("d")) & (pl.col("p") >= pl.col("d").dt.offset_by("-12mo")))
        .select("i").unique().height
    )
    assert 15 <= 100 * rerefs / in_year.height <= 30
    assert 3 <= 100 * (in_year["Referral NFA?"] == "a) Yes").mean() <= 10
    # the reported count agrees with the list
    assert (in_year["Number of Referrals in Last 12 Months"].cast(pl.Int32) >= 1).sum() == rerefs

    done = la[4].filter(_date("Continuous Assessment Date of Authorisation").is_between(*fy))
    within = done.select(
        (_weekdays("Continuous Assessment Start Date", "Continuous Assessment Date of Authorisation") <= 45).mean()
    ).item()
    assert 0.75 <= within <= 0.92

    s47 = la[5]
    start = "Strategy discussion initiating Section 47 Enquiry Start Date"
    icpc = "Date of Initial Child Protection Conference"
    assert 189 * 0.8 <= s47.filter(_date(start).is_between(*fy)).height * per_10k <= 189 * 1.2
    held = s47.filter(_date(icpc).is_between(*fy))
    assert 59 * 0.7 <= held.height * per_10k <= 59 * 1.3
    assert 0.70 <= held.select((_weekdays(start, icpc) <= 15).mean()).item() <= 0.90

    def open_at_end(n: int, start_h: str, end_h: str) -> int:
        df = la[n].filter((_date(start_h) <= END) & (_date(end_h).is_null() | (_date(end_h) > END)))
        return df["Child Unique ID"].n_unique()

    assert 41 * 0.7 <= open_at_end(7, "Child Protection Plan Start Date", "Child Protection Plan End Date") \
        * per_10k <= 41 * 1.3
    assert 330 * 0.8 <= open_at_end(6, "CIN Start Date", "CIN Closure Date") * per_10k <= 330 * 1.2
    assert 67 * 0.75 <= open_at_end(8, "Date Started to be Looked After", "Date Ceased to be Looked After") \
        * per_10k <= 67 * 1.25
    plans = la[7].filter(_date("Child Protection Plan Start Date").is_between(*fy))
    assert 0.15 <= (plans["Number of Previous Child Protection Plans"].cast(pl.Int32) >= 1).mean() <= 0.33
    contacts = la[1].filter(_date("Date of Contact").is_between(*fy)).height
    assert 2 <= contacts / in_year.height <= 4


def test_open_cases_keep_old_start_dates_and_edge_cases_occur(la):
    old_care = la[8].filter(_date("Date Started to be Looked After") < date(2020, 4, 1))
    assert old_care.height > 0
    assert la[7].filter(_date("Child Protection Plan Start Date") < date(2022, 4, 1)).height > 0
    hols = set(bank_holidays(2022, 2025))
    assert la[3].filter(_date("Date of referral").is_in(list(hols))).height > 0
    a = la[4]
    assert a.filter(_date("Continuous Assessment Start Date")
                    == _date("Continuous Assessment Date of Authorisation")).height > 0
    s = la[5].select(_weekdays("Strategy discussion initiating Section 47 Enquiry Start Date",
                               "Date of Initial Child Protection Conference").alias("wd"))
    assert (s["wd"] == 15).sum() > 0


@pytest.fixture(scope="module")
def messy(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("messy")
    generate_sample(out, children=2_000, seed=3, messy=True)
    return out


def test_messy_output_has_the_listed_defects(messy, small):
    tmp_path = messy
    raw = {n: (tmp_path / file_name(t)).read_bytes() for n, t in TABLES.items()}
    text = {n: b.decode("cp1252" if n == 6 else "utf-8-sig") for n, b in raw.items()}
    assert raw[3].startswith(b"\xef\xbb\xbf")  # BOM
    assert "Date of Referral," in text[3].splitlines()[0]  # header case drift
    assert text[3].splitlines()[-1].startswith("Filters")  # footer row
    assert text[1].splitlines()[0].split(",")[4] == "Age"  # short header
    assert "\n,,,,,," in text[1]  # blank rows
    assert text[8].splitlines()[0].startswith("Annex A List 8")  # title row above the header
    assert "\u2018Missing\u2019" in text[8] and "(Y/N))" in text[8]  # curly quotes, doubled parenthesis
    assert b"\x96" in raw[6] and "\u2013 " in text[6]  # cp1252 en-dash in labels
    assert "PSRMEM - Support with memory and cognition" in text[6]
    assert "#N/A" in text[6] and "#N/A" in text[9]
    l4 = pl.read_csv(tmp_path / file_name(TABLES[4]), infer_schema=False)
    assert l4["  Continuous Assessment Start Date "].str.contains(r"^\d{5}$").any()  # Excel serials
    l5 = pl.read_csv(tmp_path / file_name(TABLES[5]), infer_schema=False)
    assert l5[TABLES[5].column("s47_start").header].str.contains(r"^\d{4}-\d{2}-\d{2}$").any()  # ISO dates
    l7 = pl.read_csv(tmp_path / file_name(TABLES[7]), infer_schema=False)
    assert l7["Child Unique ID"].str.ends_with(".0").all()  # ids as floats
    assert l7.filter(_date_loose("Child Protection Plan End Date") < _date_loose(
        "Child Protection Plan Start Date")).height > 0  # end before start
    l8 = pl.read_csv(tmp_path / file_name(TABLES[8]), infer_schema=False, skip_rows=1)
    assert l8["Placement Type"].str.contains(r"^[a-z]\d$").any()  # lower-case codes
    clean = pl.read_csv(tmp_path / file_name(TABLES[1]), infer_schema=False)
    assert clean.drop_nulls().is_duplicated().any()  # duplicate rows
    # still a low rate: no list gains more than a few per cent of rows (same seed and size as `small`)
    plain = small[1]
    for n in (1, 3):
        grown = pl.read_csv(tmp_path / file_name(TABLES[n]), infer_schema=False).height / plain[n].height
        assert grown < 1.05, n


def _date_loose(header: str) -> pl.Expr:
    return pl.coalesce(pl.col(header).str.to_date("%d/%m/%Y", strict=False),
                       pl.col(header).str.to_date("%Y-%m-%d", strict=False))


def test_xlsx_workbook_has_sheets_list_1_to_11(tmp_path):
    (path,) = generate_sample(tmp_path, children=1_000, seed=2, fmt="xlsx")
    book = fastexcel.read_excel(path)
    assert book.sheet_names == [f"List {n}" for n in range(1, 12)]
    sheet = book.load_sheet_by_name("List 3").to_polars()
    assert sheet.columns == [c.header for c in TABLES[3].columns]
    csv = generate_sample(tmp_path / "csv", children=1_000, seed=2)
    assert sheet.height == pl.read_csv(csv[2], infer_schema=False).height


def test_bad_options_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="children"):
        generate_sample(tmp_path, children=10)
    with pytest.raises(ConfigError, match="years"):
        generate_sample(tmp_path, children=1_000, years=0)


def test_cli_writes_the_lists(tmp_path):
    result = run_cli(["sample", "--out", tmp_path / "out", "--children", "1000", "--seed", "5", "--years", "1",
                      "--end", "2024-03-31"])
    assert "wrote 11 file(s)" in result.stderr
    refs = pl.read_csv(tmp_path / "out" / "list_03_referrals.csv", infer_schema=False)
    assert refs.select(_date("Date of referral").max()).item() <= date(2024, 3, 31)
    bad = run_cli(["sample", "--out", tmp_path / "x", "--children", "1000", "--end", "31/03/2024"], code=2)
    assert "YYYY-MM-DD" in bad.stderr


def test_validate_finds_nothing_in_a_clean_sample_and_the_defects_in_a_messy_one(small, messy):
    """The project's own reader and data-quality checks, run on the generated files."""
    paths, _ = small
    clean = json.loads(run_cli(["validate", paths[0].parent, "--format", "json"]).stdout)
    assert clean["summary"] == {"errors": 0, "warnings": 0}
    assert sorted(t["table"] for t in clean["tables"]) == sorted(t.id for t in TABLES.values())
    report = json.loads(run_cli(["validate", messy, "--format", "json"], code=1).stdout)
    codes = {i["code"] for i in report["issues"]}
    assert {"CSC202", "CSC204", "CSC205", "CSC213"} <= codes  # unknown code, duplicates, end before start, skipped rows
    assert {t["encoding"] for t in report["tables"]} >= {"utf-8-sig", "cp1252"}
    assert len(report["tables"]) == 11  # every list still recognised despite the header drift
