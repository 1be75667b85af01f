"""Issue 13's scenario end to end: a synthetic authority's lists cut at 31/12/2024 (a Q3 extract) and at
31/03/2025 (a Q4 extract), each computed by quarter, the Q4 extract also by year; then the report (HTML and
workbook), `history` and `compare` must give no incomplete figure a band, rank, verdict or headline, and must
mark last year's re-referral rate (its 12-month look-back is not in the extract) as incomplete."""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from tests.conftest import run_cli

CUT = date(2024, 12, 31)
DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")


def _day(text: str) -> date | None:
    m = DATE.match(text.strip())
    return date(int(m[3]), int(m[2]), int(m[1])) if m else None


def cut_list(src: Path, dst: Path, cut: date) -> None:
    """The list as it would have been extracted on `cut`: rows starting after it dropped (the first date column
    after date of birth is the start or event date; care leavers have none), later dates blanked (cases still
    open then)."""
    with src.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    dates = [i for i, h in enumerate(header) if "date" in h.lower() and "birth" not in h.lower()]
    start = dates[0] if dates and "care_leavers" not in src.name else None
    kept = []
    for row in body:
        if start is not None and (d := _day(row[start])) is not None and d > cut:
            continue
        kept.append([("" if i in dates and (d := _day(v)) is not None and d > cut else v) for i, v in enumerate(row)])
    with dst.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *kept])


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("two_quarters")
    full = root / "sample"
    run_cli(["sample", "--out", full, "--children", "12000", "--seed", "13", "--years", "2"])
    q4, q3 = root / "extracts" / "2024-25-q4", root / "extracts" / "2024-25-q3"
    q4.mkdir(parents=True)
    q3.mkdir(parents=True)
    for f in sorted(full.glob("list_*.csv")):
        (q4 / f.name).write_bytes(f.read_bytes())
        cut_list(f, q3 / f.name, CUT)
    store = root / "history.sqlite"
    for args in ([q3], [q4], [q4, "--period", "year"]):
        run_cli(["compute", *args, "--la", "808", "--store", store, "--format", "json", "-o", root / "x.json"])
    return {"root": root, "store": store, "q3": q3, "q4": q4}


def _cells(page: str, indicator: str) -> list[str]:
    row = re.search(rf'<tr id="row-{indicator}"[^>]*>(.*?)</tr>', page, re.S)
    assert row, indicator
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)


def test_history_stores_incomplete_figures_as_incomplete(scenario):
    out = json.loads(run_cli(["history", "--store", scenario["store"], "-i", "re_referrals_12m", "--la", "808",
                              "-f", "json"]).stdout)
    status = {r["period"]: r["status"] for r in out["series"]}
    # the lists start on 1 April 2022: the first year's re-referrals have no 12-month look-back
    assert status["2022-23"] == "incomplete" and status["2022-23 Q4"] == "incomplete"
    assert status["2023-24"] == "ok" and status["2024-25 Q3"] == "ok"
    table = run_cli(["history", "--store", scenario["store"], "-i", "re_referrals_12m", "--la", "808"]).stdout
    assert re.search(r"2022-23 Q4 +[\d.]+\*", table) and "* incomplete" in " ".join(table.split())


def test_report_marks_last_years_figure_and_judges_no_incomplete_figure(scenario, tmp_path):
    page_path = tmp_path / "r.html"
    run_cli(["report", "--store", scenario["store"], "--la", "808", "--year", "2023-24", "--out", page_path])
    page = page_path.read_text(encoding="utf-8")
    cells = _cells(page, "re_referrals_12m")
    baseline_value = re.sub(r"<[^>]+>", "", cells[2])
    assert baseline_value.endswith("*")  # last year (2022-23): incomplete, and marked
    assert "<b>*</b> incomplete" in page  # the legend says what the mark means
    # Q1 2023-24 follows an incomplete Q4 2022-23: no direction of travel from it
    q1 = cells[3]
    assert "better" not in q1 and "worse" not in q1 and "▲" not in q1 and "▼" not in q1
    # no figure marked incomplete carries a verdict; no quarter carries a band
    for row in re.findall(r'<tr id="row-[^"]+"[^>]*>.*?</tr>', page, re.S):
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S):
            if re.search(r'class="v">[^<]*\*<', cell):
                assert "better" not in cell and "worse" not in cell, cell
        assert '<span class="band">' not in row
    # the biggest movements never rest on an incomplete figure
    panels = re.findall(r'<div class="headlines".*?</div></div>', page, re.S)
    assert panels and all("*" not in p for p in panels)


def test_annual_report_bands_only_complete_years(scenario, tmp_path):
    # a store of annual figures only: a year is one column; a complete rate is banded against the same
    # published year, the incomplete first year is not
    store = tmp_path / "years.sqlite"
    run_cli(["compute", scenario["q4"], "--period", "year", "--la", "808", "--store", store, "-f", "json",
             "-o", tmp_path / "y.json"])
    pages = {}
    for year in ("2022/23", "2023-24"):
        out = tmp_path / f"{year[:4]}.html"
        run_cli(["report", "--store", store, "--la", "808", "--year", year, "--out", out])
        pages[year[:4]] = out.read_text(encoding="utf-8")
    first = _cells(pages["2022"], "re_referrals_12m")
    assert re.search(r'class="v">[^<]*\*<', first[3]) and '<span class="band">' not in "".join(first)
    second = _cells(pages["2023"], "re_referrals_12m")
    assert '<span class="band">' in "".join(second)  # 2023-24 against LAIT 2024: like for like


def test_workbook_reproduces_and_marks(scenario, tmp_path):
    path = tmp_path / "r.xlsx"
    run_cli(["report", "--store", scenario["store"], "--la", "808", "--year", "2023-24", "--out", path])
    ws = openpyxl.load_workbook(path)["Inputs"]
    header, sub = [c.value for c in ws[4]], [c.value for c in ws[5]]
    rows = {ws.cell(r, 1).value: r for r in range(6, ws.max_row + 1) if ws.cell(r, 1).value}
    r = rows["Re-referrals within 12 months"]
    notes = ws.cell(r, len(sub)).value or ""
    assert "2022-23: * incomplete" in notes  # last year's figure, marked
    for col, name in enumerate(sub, start=1):
        if name == "Travel":
            travel = ws.cell(r, col).value or ""
            assert not ("incomplete" in travel and ("better" in travel or "worse" in travel))
        quarter_value = name == "Value" and col < len(sub) and sub[col] == "No."
        if quarter_value and ws.cell(r, col + 1).value is not None:  # No./Of reproduce the value shown
            value, num, den = (ws.cell(r, col + k).value for k in range(3))
            assert round(100 * num / den, 1) == round(value, 1)
    band = header.index("Band")
    assert all(ws.cell(row, band + 1).value in (None, "") for row in rows.values())  # quarters: no band


def test_compare_gives_an_incomplete_figure_no_band_rank_or_verdict(scenario):
    out = json.loads(run_cli(["compare", "--store", scenario["store"], "--la", "808", "-p", "2022-23",
                              "-f", "json"]).stdout)
    rr = [c for c in out["comparisons"] if c["indicator"] == "re_referrals_12m"]
    assert rr and all(c["status"] == "incomplete" and c["assessment"] is None and c["quartile_band"] is None
                      and c["rank"] is None for c in rr)
    # a complete financial year is banded against the same published year; its quarter is not
    year = json.loads(run_cli(["compare", "--store", scenario["store"], "--la", "808", "-p", "2023-24",
                               "-f", "json"]).stdout)
    assert any(c["quartile_band"] for c in year["comparisons"] if c["indicator"] == "re_referrals_12m")
    quarter = json.loads(run_cli(["compare", "--store", scenario["store"], "--la", "808", "-p", "2024-25 q3",
                                  "-f", "json"]).stdout)
    assert quarter["comparisons"] and not any(c["quartile_band"] or c["rank"] for c in quarter["comparisons"])
    assert not [c for c in quarter["comparisons"] if c["unit"] in ("count", "children")
                and c["benchmark"] in ("england", "region", "sn", "sn-median")]


def test_overlapping_folder_stops_and_merge_gives_true_counts(scenario):
    folder = scenario["root"] / "extracts"  # both quarters' files, as a user keeps them
    err = " ".join(run_cli(["compute", folder, "--la", "808", "--no-store"], code=2).stderr.split())
    assert "2024-25-q3" in err and "2024-25-q4" in err and "--merge" in err
    merged = json.loads(run_cli(["compute", folder, "--merge", "--la", "808", "--no-store", "-f", "json",
                                 "-p", "2024-25 Q3"]).stdout)
    alone = json.loads(run_cli(["compute", scenario["q4"], "--la", "808", "--no-store", "-f", "json",
                                "-p", "2024-25 Q3"]).stdout)

    def contacts(payload: dict) -> float:
        return next(r["value"] for r in payload["results"] if r["indicator"] == "contacts" and r["category"] is None)

    # the Q3 extract is a cut of the same lists: every Q3 contact is in the Q4 extract, so the union counts
    # each once, as the Q4 extract alone does (not twice)
    assert contacts(merged) == contacts(alone) > 0
