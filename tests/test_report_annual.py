"""The report over every source in the store: a row per indicator and source (never one row or trend line of
two sources), the DfE-comparable annual pages of the CIN census and the SSDA903 (statuses, no band, rank or check
for a figure that is not ok, the published value and difference as `reconcile` computes them, present only when
the return's annual figures are stored), the factors identified at assessment as a table and chart; and the
`report` command end to end on sample_data/ (HTML and the workbook read back with openpyxl)."""

from __future__ import annotations

import re
import shutil
import statistics
from pathlib import Path

import openpyxl
import pytest
from tests.conftest import ROOT, run_cli
from tests.report_helpers import annual, metadata, quarter, result

from csc_metrics.reference import la_info, lait_measure, lait_value, statistical_neighbours
from csc_metrics.reference.ranking import position
from csc_metrics.report.html import render_html
from csc_metrics.report.model import ReportOptions
from csc_metrics.reporting import quarterly_report

SAMPLE = ROOT / "sample_data"
Y, PREV = annual(2024), annual(2023)  # 2024-25 (published as 2025) and 2023-24


def _findings(r: dict, code: str, **args) -> dict:
    r["findings"] = [{"code": code, "args": args}]
    return r


def returns_results() -> list[dict]:
    """Hand-built figures of both returns for 2024-25 and 2023-24, with one Annex A figure of the same indicator."""
    cin, cla = "cin_census", "ssda903"
    res = [
        # re-referrals: the CIN census 2024-25 figure 144 / 500 = 28.8%; the Annex A one 30 / 100 = 30.0%
        result("re_referrals_12m", "Re-referrals within 12 months", "inputs", "percent", Y, num=144, den=500,
               polarity="low", measure="ReReferral", source=cin),
        result("re_referrals_12m", "Re-referrals within 12 months", "inputs", "percent", PREV, num=100, den=400,
               polarity="low", measure="ReReferral", source=cin),
        result("re_referrals_12m", "Re-referrals within 12 months", "inputs", "percent", Y, num=30, den=100,
               polarity="low", measure="ReReferral"),
        # an incomplete figure: reviews whose chain needs the previous census
        _findings(result("cp_reviews_on_time", "CP plans reviewed within timescales", "processes", "percent", Y,
                         num=40, den=50, polarity="high", measure="RevCP", source=cin, complete=False),
                  "CSC320", rows=3),
        # factors at assessment: 2 episodes, 3B in both (100%), 4B in one (50%): 150% in all
        result("assessment_factors", "Factors identified at the end of assessment", "processes", "percent", Y,
               num=2, den=2, category="3B", source=cin),
        result("assessment_factors", "Factors identified at the end of assessment", "processes", "percent", Y,
               num=1, den=2, category="4B", source=cin),
        # the 903: a count (compared with the authority's own published count only) and an unavailable figure
        result("cla_at_end", "Children looked after at 31 March", "outputs", "children", Y, num=500,
               kind="stock", measure="LACnum", source=cla),
        result("cla_at_end", "Children looked after at 31 March", "outputs", "children", PREV, num=480,
               kind="stock", measure="LACnum", source=cla),
        result("cla_at_end", "Children looked after at 31 March", "outputs", "children", Y, num=510,
               kind="stock", measure="LACnum"),
        _findings(result("cla_placed_20_miles_out", "Placed more than 20 miles out", "outputs", "percent", Y,
                         polarity="low", measure="LACDistance", source=cla), "CSC311", reason="no placement distance"),
    ]
    for r in res:
        if r["indicator"] == "cla_placed_20_miles_out":
            r["status"], r["value"] = "unavailable", None
    return res


@pytest.fixture(scope="module")
def report():
    return quarterly_report(returns_results(), metadata([]), ReportOptions(la_code="808"))


def page(report, key):
    return next(p for p in report.pages if p.key == key)


def row(pg, indicator):
    return next(r for r in pg.rows if r.result.indicator == indicator)


# ---- every source, never joined ------------------------------------------------------------------------------


def test_a_row_per_indicator_and_source(report):
    """re_referrals_12m has an Annex A and a CIN census figure for 2024-25: two rows, each of one source, each
    with its own figure (30.0% and 28.8%) and trend; the HTML rows and the Source column say which."""
    rows = [r for r in report.rows if r.indicator == "re_referrals_12m"]
    assert [(r.source, r.key, r.cells[0].value) for r in rows] == [
        ("annex_a", "re_referrals_12m", pytest.approx(30.0)),
        ("cin_census", "re_referrals_12m-cin_census", pytest.approx(28.8))]
    for r in rows:
        assert {p.source.value for _, p in r.trend if p is not None} == {r.source}
        assert {p.source.value for p in r.by_period.values()} == {r.source}
    page_html = render_html(report)
    annex = page_html[page_html.index('id="row-re_referrals_12m"'):]
    assert '<td class="src">Annex A' in annex[:annex.index("</tr>")]
    cin = page_html[page_html.index('id="row-re_referrals_12m-cin_census"'):]
    assert '<td class="src">CIN census' in cin[:cin.index("</tr>")]
    assert page_html.count('id="chart-re_referrals_12m"') == page_html.count('id="chart-re_referrals_12m-cin_census"')\
        == 1


def test_pages_hold_only_their_return(report):
    assert [p.key for p in report.pages] == ["children-in-need", "looked-after"]
    assert {r.result.source.value for r in page(report, "children-in-need").rows} == {"cin_census"}
    assert {r.result.source.value for r in page(report, "looked-after").rows} == {"ssda903"}
    # the Annex A 510 children looked after is not on the 903 page: its row is the 903's 500
    assert row(page(report, "looked-after"), "cla_at_end").result.value == 500


def test_pages_present_only_when_the_returns_annual_figures_are_stored():
    annex_only = [r for r in returns_results() if r["source"] == "annex_a"]
    assert quarterly_report(annex_only, metadata([]), ReportOptions(la_code="808")).pages == []
    cin_only = [r for r in returns_results() if r["source"] != "ssda903"]
    assert [p.key for p in quarterly_report(cin_only, metadata([]), ReportOptions(la_code="808")).pages] == [
        "children-in-need"]
    # the 903 by quarter only in 2024-25: no page, and a note says how to get one
    by_quarter = annex_only + [result("cla_at_end", "CLA", "outputs", "children", quarter(2024, 1), num=490,
                                      kind="stock", source="ssda903")]
    rep = quarterly_report(by_quarter, metadata([]), ReportOptions(la_code="808"))
    assert rep.pages == []
    assert any("No annual SSDA903 figures for 2024-25" in n and "--period year" in n for n in rep.notes)


# ---- the figures beside the published ones ---------------------------------------------------------------------


def test_ok_percentage_against_published_figures(report):
    """28.8% against the published 2025 ReReferral figures: England, the region and the SN mean as compare gives
    them, Stockton-on-Tees's own published value and the difference 28.8 - published, the band and rank of
    28.8 among all authorities (polarity low), the previous year 100 / 400 = 25.0%."""
    r = row(page(report, "children-in-need"), "re_referrals_12m")
    la = la_info("808")
    assert r.result.status.value == "ok" and r.previous.value == pytest.approx(25.0)
    assert r.england.value == pytest.approx(lait_value("ReReferral", "970", 2025).value)
    assert r.region.value == pytest.approx(lait_value("ReReferral", la.region_code, 2025).value)
    assert r.region.label == la.region
    sn = [v for n in statistical_neighbours("808", "2025") if (v := lait_value("ReReferral", n.code, 2025).value)
          is not None]
    assert r.sn.value == pytest.approx(statistics.fmean(sn))
    published = lait_value("ReReferral", "808", 2025).value
    assert r.published.published_value == published
    assert r.published.difference == pytest.approx(28.8 - published)
    assert r.check == ("matches" if published == 28.8 else "differs")
    placed = position(lait_measure("ReReferral"), 2025, 28.8, "808", "low")
    assert (r.band, r.rank, r.ranked_of) == (placed.band, placed.rank, placed.ranked_of) and r.band


def test_incomplete_and_unavailable_figures_get_no_band_rank_or_check(report):
    reviews = row(page(report, "children-in-need"), "cp_reviews_on_time")
    assert reviews.result.status.value == "incomplete"
    assert (reviews.band, reviews.rank, reviews.published.difference, reviews.published.verdict) == (
        None, None, None, None)
    assert reviews.check == "no verdict"  # a published value exists; no verdict on an incomplete figure
    assert any("load the previous return" in t for t in reviews.reasons)
    distance = row(page(report, "looked-after"), "cla_placed_20_miles_out")
    assert distance.result.status.value == "unavailable" and distance.band is None and distance.rank is None
    assert distance.published.verdict is None and "no placement distance" in "; ".join(distance.reasons)
    html = render_html(report)
    tr = html[html.index('id="row-children-in-need-cp_reviews_on_time-cin_census"'):]
    tr = tr[:tr.index("</tr>")]
    assert 'data-status="incomplete"' in tr and ">80.0%*<" in tr and "<td>–</td>" in tr and "no verdict" in tr
    tr = html[html.index('id="row-looked-after-cla_placed_20_miles_out-ssda903"'):]
    tr = tr[:tr.index("</tr>")]
    assert '<span class="v">n/a</span>' in tr and 'class="band"' not in tr and "no placement distance" in tr


def test_a_count_is_compared_with_its_own_published_count_only(report):
    """500 children looked after: no England, region or SN level (a count depends on the authority's size);
    the difference from the published LACnum is 500 - published."""
    r = row(page(report, "looked-after"), "cla_at_end")
    assert (r.england, r.region, r.sn, r.band) == (None, None, None, None)
    published = lait_value("LACnum", "808", 2025).value
    assert r.published.difference == pytest.approx(500 - published) and r.previous.value == 480


def test_factors_at_assessment_table_and_chart(report):
    """3B in 2 of 2 episodes (100%), 4B in 1 of 2 (50%): the shares add up to 150%, and the page says so."""
    pg = page(report, "children-in-need")
    (factors,) = [b for b in pg.breakdowns if b.indicator == "assessment_factors"]
    assert factors.multiple and factors.total == 2
    assert [(c.split(":")[0], r.value) for c, r in factors.categories] == [("3B", 100.0), ("4B", 50.0)]
    html = render_html(report)
    section = html[html.index('id="children-in-need"'):html.index('id="looked-after"')]
    assert 'id="chart-children-in-need-assessment_factors-cin_census"' in section
    assert "Shares add up to more than 100%" in section and "one case can have several categories" in section


# ---- end to end on sample_data/ -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    if not (SAMPLE / "list_03_referrals.csv").exists():
        pytest.skip("sample_data/ not built")
    folder = tmp_path_factory.mktemp("sample_report")
    data = folder / "sample_data"
    shutil.copytree(SAMPLE, data)
    store = folder / "s.db"
    run_cli(["compute", data, "--store", store, "--period", "year", "--format", "json", "--output",
             folder / "c.json"])
    html = run_cli(["report", "--store", store, "--la", "808", "--out", folder / "r.html"])
    xlsx = run_cli(["report", "--store", store, "--la", "808", "--out", folder / "r.xlsx"])
    return folder, html.stderr, xlsx.stderr


def test_sample_report_html_has_both_pages_and_lists_each_file_once(sample_report):
    folder, err, _ = sample_report
    page_html = (folder / "r.html").read_text()
    for key, title in (("children-in-need", "Children in need and child protection"),
                       ("looked-after", "Children looked after and care leavers")):
        assert f'<section class="report-section annual-page" id="{key}"' in page_html and title in page_html
    assert "annual pages: Children in need and child protection (CIN census), Children looked after and care " \
           "leavers (SSDA903)" in err
    runs = [line for line in err.splitlines() if line.startswith("figures from run")]
    assert len(runs) == 1
    listed = runs[0].split(": ", 1)[1].split(": ", 1)[1].split(", ")
    assert len(listed) == len(set(listed)) and "cin_census_2024-25.xml" in listed
    assert "(cin_header)" not in err and "ssda903/SSDA903_2025_episodes.csv" in listed
    # every row of the sections says its source; CIN census and SSDA903 rows are there
    sources = re.findall(r'<tr id="row-[^"]+" data-source="([a-z_0-9]+)"', page_html)
    assert {"annex_a", "cin_census", "ssda903"} <= set(sources)
    # the 903's distance figure: n/a with its reason, never banded
    tr = page_html[page_html.index('id="row-looked-after-cla_placed_20_miles_out-ssda903"'):]
    tr = tr[:tr.index("</tr>")]
    assert 'data-status="unavailable"' in tr and "postcode" in tr and 'class="band"' not in tr


def test_sample_report_workbook_reads_back(sample_report):
    folder, _, err = sample_report
    assert "wrote" in err
    wb = openpyxl.load_workbook(folder / "r.xlsx")
    assert wb.sheetnames[-3:] == ["Children in need (CIN census)", "Looked after (SSDA903)", "Metadata"]
    ws = wb["Looked after (SSDA903)"]
    heads = [c.value for c in ws[4]]
    assert heads[:5] == ["Group", "Measure", "Id", "Status", "2024-25 value"]
    rows = {ws.cell(r, 3).value: r for r in range(5, ws.max_row + 1) if ws.cell(r, 3).value}
    distance = rows["cla_placed_20_miles_out"]
    assert ws.cell(distance, 4).value == "unavailable" and ws.cell(distance, 5).value is None
    assert ws.cell(distance, heads.index("Band") + 1).value is None
    assert "postcode" in ws.cell(distance, heads.index("Notes") + 1).value
    cla = rows["cla_at_end"]
    assert ws.cell(cla, 5).data_type == "n" and ws.cell(cla, 5).number_format == "#,##0"
    cin = wb["Children in need (CIN census)"]
    assert any(c.value == "Factors identified at the end of assessment (CIN census)" for c in cin["A"])
    assert any(isinstance(c.value, str) and "more than 100%" in c.value for c in cin["A"])
    # nothing in the workbook is a formula: text that looks like one (a leading =, +, - or @) is stored as text
    for sheet in wb.worksheets:
        for line in sheet.iter_rows():
            for c in line:
                assert c.data_type != "f", (sheet.title, c.coordinate)
                if isinstance(c.value, str) and c.value[:1] in "=+-@":
                    assert c.data_type == "s"


def test_formula_like_labels_stay_text(tmp_path):
    """A title from the data that looks like a formula is written as text on the page's sheet and escaped in
    the HTML page."""
    res = returns_results()
    for r in res:
        if r["indicator"] == "cla_at_end":
            r["title"] = '=HYPERLINK("x")<b>'
    rep = quarterly_report(res, metadata([]), ReportOptions(la_code="808"))
    from csc_metrics.report.publish import write_report

    write_report(rep, tmp_path / "r.xlsx", "xlsx")
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["Looked after (SSDA903)"]
    cell = next(c for line in ws.iter_rows() for c in line if c.value == '=HYPERLINK("x")<b>')
    assert cell.data_type == "s"
    assert '=HYPERLINK(&quot;x&quot;)&lt;b&gt;' in render_html(rep)


def test_sample_compute_html_has_the_pages(sample_report):
    """`compute --period year --format html` (one payload, no year chosen) gets the pages of the latest year."""
    folder, _, _ = sample_report
    out = folder / "c.html"
    run_cli(["compute", folder / "sample_data", "--no-store", "--period", "year", "--format", "html", "--output",
             out])
    text = Path(out).read_text()
    assert 'id="children-in-need"' in text and 'id="looked-after"' in text


def test_suppressed_figures_on_the_pages_get_no_difference_or_check():
    """--suppress-below 1000: the 500 children looked after become `c`; the published count is still shown
    (it is public) but no difference or check is worked out from the suppressed figure."""
    rep = quarterly_report(returns_results(), metadata([]), ReportOptions(la_code="808", suppress_below=1000))
    r = row(page(rep, "looked-after"), "cla_at_end")
    assert r.result.value == "c" and r.published.difference is None and r.published.verdict is None
    html = render_html(rep)
    tr = html[html.index('id="row-looked-after-cla_at_end-ssda903"'):]
    assert '<span class="v">c</span>' in tr[:tr.index("</tr>")] and ">500<" not in tr[:tr.index("</tr>")]
