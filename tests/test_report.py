"""The quarterly report: its model (layout, last year's figure, comparators, headlines), the HTML page, the
commentary, the Excel workbook read back with openpyxl, and the `report` command over a real history store."""

from __future__ import annotations

import json
import re
import statistics

import openpyxl
import pytest
from tests.conftest import run_cli
from tests.report_helpers import (
    catalogue_payload,
    external_references,
    link_previous,
    metadata,
    quarter,
    result,
)

from csc_metrics.errors import CscError, InputError
from csc_metrics.reference import lait_value, statistical_neighbours
from csc_metrics.report.commentary import markdown_html, parse_commentary
from csc_metrics.report.html import render_html
from csc_metrics.report.model import ReportOptions
from csc_metrics.report.publish import write_report
from csc_metrics.reporting import quarterly_report
from csc_metrics.results import Result
from csc_metrics.store import HistoryStore


@pytest.fixture(scope="module")
def payload() -> dict:
    return catalogue_payload()


@pytest.fixture(scope="module")
def report(payload):
    return quarterly_report(payload["results"], payload["metadata"], ReportOptions(la_code="808"))


def rows_by_id(report) -> dict:
    return {r.indicator: r for r in report.rows}


# ---- the model -------------------------------------------------------------------------------------------


def test_layout_year_columns_and_sections(report, payload):
    assert report.year == "2025-26" and report.baseline_label == "2024-25"
    assert report.columns == ["2025-26 Q1", "2025-26 Q2", "2025-26 Q3", "2025-26 Q4"]
    assert [s.key for s in report.sections] == ["inputs", "processes", "outputs"]
    row = rows_by_id(report)["re_referrals_12m"]
    assert [c.period.label if c else None for c in row.cells] == report.columns[:3] + [None]  # Q4 not yet
    assert row.baseline.period.label == "2024-25"  # the annual result, not a quarter
    assert [p for p, _ in row.trend][:4] == ["2024-25 Q1", "2024-25 Q2", "2024-25 Q3", "2024-25 Q4"]
    assert row.sources == ["List 3"]
    by_section = {s.key: {r.indicator for r in s.rows} for s in report.sections}
    assert "referrals" in by_section["inputs"] and "cla_at_end" in by_section["outputs"]
    breakdowns = {b.indicator for s in report.sections for b in s.breakdowns}
    assert {"referrals_by_source", "cp_plans_started_by_category", "cla_by_legal_status"} <= breakdowns


def test_england_and_sn_levels_from_published_figures(report):
    """2025-26 Q3 ends in December 2025: the latest published year not after it is 2025 (year to March 2025)."""
    row = rows_by_id(report)["re_referrals_12m"]
    england = lait_value("ReReferral", "970", 2025).value
    sn_values = [v for n in statistical_neighbours("808", "2025")
                 if (v := lait_value("ReReferral", n.code, 2025).value) is not None]
    assert row.england.value == pytest.approx(england) and row.england.year == 2025
    assert row.sn.value == pytest.approx(statistics.fmean(sn_values))
    # a quarter is not like-for-like with published years: England and SN levels shown, no band or rank
    assert row.band is None and row.rank is None
    assert rows_by_id(report)["referrals"].england is None  # counts: not comparable between authorities


def test_baseline_rules_without_an_annual_result():
    """No annual results stored: a stock uses its 31 March position, an event count the sum of the four
    quarters (12 + 15 + 9 + 14 = 50), a share stays blank (summing quarters is not always right)."""
    res = []
    for q, n in zip(range(1, 5), (12, 15, 9, 14), strict=True):
        p = quarter(2024, q)
        res.append(result("referrals", "Referrals", "inputs", "count", p, num=n))
        res.append(result("cla_at_end", "CLA", "outputs", "children", p, num=100 + q, kind="stock"))
        res.append(result("re_referrals_12m", "Re-referrals", "inputs", "percent", p, num=2, den=10))
    p = quarter(2025, 1)
    res += [result("referrals", "Referrals", "inputs", "count", p, num=20),
            result("cla_at_end", "CLA", "outputs", "children", p, num=110, kind="stock"),
            result("re_referrals_12m", "Re-referrals", "inputs", "percent", p, num=3, den=12)]
    link_previous(res)
    rep = quarterly_report(res, metadata([], la=None), ReportOptions())
    rows = rows_by_id(rep)
    assert rows["referrals"].baseline.value == 50
    assert rows["cla_at_end"].baseline.value == 104 and "Q4" in rows["cla_at_end"].baseline_note
    assert rows["re_referrals_12m"].baseline is None
    # an incomplete quarter is not summed
    res[9]["complete"] = False
    assert rows_by_id(quarterly_report(res, metadata([], la=None), ReportOptions()))["referrals"].baseline is None


def test_headlines_rank_relative_movements():
    """Into Q2: A 10% -> 5% (halved, better), B 100 -> 90 (-10%, better, polarity low),
    C 20% -> 30% (+50%, worse), D 50 -> 55 (+10%, no polarity: never a headline)."""
    q1, q2 = quarter(2025, 1), quarter(2025, 2)
    res = [
        result("a", "A", "inputs", "percent", q1, num=10, den=100, polarity="low"),
        result("a", "A", "inputs", "percent", q2, num=5, den=100, polarity="low"),
        result("b", "B", "inputs", "count", q1, num=100, polarity="low"),
        result("b", "B", "inputs", "count", q2, num=90, polarity="low"),
        result("c", "C", "inputs", "percent", q1, num=20, den=100, polarity="low"),
        result("c", "C", "inputs", "percent", q2, num=30, den=100, polarity="low"),
        result("d", "D", "inputs", "count", q1, num=50),
        result("d", "D", "inputs", "count", q2, num=55),
    ]
    link_previous(res)
    section = quarterly_report(res, metadata([], la=None), ReportOptions()).sections[0]
    assert [h.row.indicator for h in section.better] == ["a", "b"]
    assert [h.row.indicator for h in section.worse] == ["c"]
    assert section.better[0].size == pytest.approx(0.5) and section.better[1].size == pytest.approx(0.1)
    # a part-covered Q3 for C (30% -> 90% so far) is not a headline: its Q2 movement still is
    res.append(result("c", "C", "inputs", "percent", quarter(2025, 3), num=90, den=100, polarity="low",
                      complete=False))
    link_previous(res)
    worse = quarterly_report(res, metadata([], la=None), ReportOptions()).sections[0].worse
    assert [(h.row.indicator, h.result.period.label) for h in worse] == [("c", "2025-26 Q2")]


def test_year_choice_and_errors(payload):
    with pytest.raises(CscError, match="no quarterly or annual results for 2019-20"):
        quarterly_report(payload["results"], payload["metadata"], ReportOptions(year="2019-20"))
    with pytest.raises(CscError, match="not recognised"):
        quarterly_report(payload["results"], payload["metadata"], ReportOptions(year="2025"))
    # the label parser of `compute`: any case, `/` for `-`, a quarter names its year
    for label in ("2024/25", "2024-2025", "2024-25 q3"):
        assert quarterly_report(payload["results"], payload["metadata"],
                                ReportOptions(year=label, benchmarks=False)).year == "2024-25"
    last = quarterly_report(payload["results"], payload["metadata"], ReportOptions(year="2024-25",
                                                                                    benchmarks=False))
    assert last.columns[0] == "2024-25 Q1" and all(c is not None for c in rows_by_id(last)["referrals"].cells)


# ---- commentary ------------------------------------------------------------------------------------------


def test_commentary_sections_and_safe_markdown():
    text = ("Intro line.\n\n## Inputs\nReferrals **rose** by *5%*.\n\n- police up\n- schools down\n\n"
            "## processes\n<script>alert(1)</script> [link](https://example.org)\n")
    parts = parse_commentary(text)
    assert set(parts) == {"summary", "inputs", "processes"}
    html = markdown_html(parts["inputs"])
    assert "<strong>rose</strong>" in html and "<em>5%</em>" in html
    assert "<ul><li>police up</li><li>schools down</li></ul>" in html
    unsafe = markdown_html(parts["processes"])
    assert "<script>" not in unsafe and "&lt;script&gt;" in unsafe and "<a " not in unsafe
    with pytest.raises(InputError, match="line 3: heading '## Outcomes'"):
        parse_commentary("x\n\n## Outcomes\ny", "notes.md")


def test_commentary_placed_under_its_section_and_placeholders(payload):
    opts = ReportOptions(la_code="808", commentary=parse_commentary("## Outputs\nFewer children **entered** care."))
    page = render_html(quarterly_report(payload["results"], payload["metadata"], opts))
    outputs = page[page.index('id="outputs"'):page.index('id="about"')]
    assert "Fewer children <strong>entered</strong> care." in outputs
    inputs = page[page.index('id="inputs"'):page.index('id="processes"')]
    assert "Commentary for Inputs: add a <code>## Inputs</code>" in inputs


# ---- HTML ------------------------------------------------------------------------------------------------

def test_html_self_contained_and_escaped(payload):
    res = [dict(r) for r in payload["results"]]
    for r in res:
        if r["category"] == "q) 6: Police":
            r["category"] = "<img src=x onerror=alert(1)>"
    page = render_html(quarterly_report(res, payload["metadata"], ReportOptions(la_code="808")))
    assert external_references(page) == []
    assert external_references('<a href="https://x.org">x</a><style>@import "y.css";</style>') == [
        "https://x.org", '@import "y.css"']
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("<svg") == page.count("<title id=") == page.count("<desc id=")


def test_write_report_formats(report, tmp_path):
    write_report(report, tmp_path / "r.html", "html")
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    with pytest.raises(CscError, match="unknown report format"):
        write_report(report, tmp_path / "r.pdf", "pdf")


# ---- Excel -----------------------------------------------------------------------------------------------


def test_workbook_read_back_with_openpyxl(report, tmp_path):
    path = tmp_path / "report.xlsx"
    write_report(report, path, "xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Inputs", "Processes", "Outputs", "Metadata"]
    ws = wb["Inputs"]
    assert ws.freeze_panes == "B6"
    header = [c.value for c in ws[4]]
    sub = [c.value for c in ws[5]]
    q1 = header.index("Q1 2025-26") + 1  # 1-based column of Q1's value
    assert sub[q1 - 1] == "Value" and sub[header.index("2024-25")] == "No."
    rows = {ws.cell(r, 1).value: r for r in range(6, ws.max_row + 1) if ws.cell(r, 1).value}
    src = rows_by_id(report)["re_referrals_12m"]
    r = rows["Re-referrals within 12 months"]
    cell = ws.cell(r, q1)
    assert cell.data_type == "n" and cell.value == pytest.approx(src.cells[0].value)
    assert cell.number_format == '0.0"%"'
    assert ws.cell(r, q1 + 1).value == src.cells[0].numerator and ws.cell(r, q1 + 1).number_format == "#,##0"
    assert ws.cell(r, q1 + 3).number_format.startswith('+0.0" pts"')
    count_row = rows["Referrals"]
    assert ws.cell(count_row, q1).number_format == "#,##0"
    assert ws.cell(count_row, q1).value == rows_by_id(report)["referrals"].cells[0].value
    # a category label from the extract that looks like a formula stays text
    link = next(c for row in ws.iter_rows() for c in row if c.value == '=HYPERLINK("x")')
    assert link.data_type == "s"
    meta = {row[0].value: row[1].value for row in wb["Metadata"].iter_rows(min_row=3, max_row=25) if row[0].value}
    assert meta["Definitions hash"] == "sha256:" + "ab" * 32 and meta["Bank holidays version"] == "0.109"
    assert meta["Population year (mid-year)"] == 2024 and meta["Data as at"] == "2025-12-31"
    paths = [c.value for c in wb["Metadata"]["A"] if isinstance(c.value, str) and c.value.startswith("extracts/")]
    assert paths == ['extracts/list3 =HYPERLINK("x").csv']


# ---- the command -----------------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path, payload):
    path = tmp_path / "history.sqlite"
    HistoryStore(path).write_run(json.loads(json.dumps(payload)))
    return path


def test_report_command_html_and_xlsx(store, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("## Inputs\nDemand is **stable**.\n", encoding="utf-8")
    out = run_cli(["report", "--store", store, "--out", tmp_path / "r.html", "--commentary", notes])
    assert "wrote" in out.stderr and "2025-26" in out.stderr
    page = (tmp_path / "r.html").read_text()
    assert "Demand is <strong>stable</strong>." in page and "Stockton-on-Tees" in page
    run_cli(["report", "--store", store, "--out", tmp_path / "r.xlsx", "--year", "2024-25", "--la", "808"])
    assert openpyxl.load_workbook(tmp_path / "r.xlsx")["Inputs"]["A1"].value.startswith("Inputs: Stockton")


def test_report_command_errors(store, tmp_path):
    err = run_cli(["report", "--store", tmp_path / "none.sqlite", "--out", tmp_path / "r.html"], code=2).stderr
    assert "run csc-metrics compute first" in err and "Traceback" not in err
    empty = tmp_path / "empty.sqlite"
    HistoryStore(empty)
    assert "no stored runs" in run_cli(["report", "--store", empty, "--out", tmp_path / "r.html"], code=2).stderr
    err = run_cli(["report", "--store", store, "--out", tmp_path / "r.html", "--year", "2030-31"], code=2).stderr
    assert "no quarterly or annual results for 2030-31" in err and len(err.strip().splitlines()) == 1
    assert "report.html or report.xlsx" in run_cli(["report", "--store", store, "--out", tmp_path / "r.pdf"],
                                                   code=2).stderr
    assert "not found" in run_cli(["report", "--store", store, "--out", tmp_path / "r.html", "--commentary",
                                   tmp_path / "missing.md"], code=2).stderr


def test_compute_and_compare_one_off_outputs(payload, tmp_path):
    from csc_metrics.compare import compare_results
    from csc_metrics.report.publish import write_compare_report
    from csc_metrics.reporting import write_compute_report

    write_compute_report(payload, tmp_path / "c.html", "html")
    page = (tmp_path / "c.html").read_text()
    assert 'id="table-inputs"' in page and "Q3 2025-26" in page
    write_compute_report(payload, tmp_path / "c.xlsx", "xlsx")
    assert "Inputs" in openpyxl.load_workbook(tmp_path / "c.xlsx").sheetnames
    results = tmp_path / "results.json"
    results.write_text(json.dumps(payload), encoding="utf-8")
    run_cli(["compare", "--results", results, "--la", "808", "--period", "2024-25", "--format", "html",
             "--output", tmp_path / "cmp.html"])
    cmp_page = (tmp_path / "cmp.html").read_text()
    assert "Re-referrals within 12 months" in cmp_page and "England" in cmp_page
    compared = compare_results(payload, la_code="808", benchmarks=["england"], benchmark_year=None,
                               targets={}, period="2024-25", indicator_meta={})
    write_compare_report(compared, tmp_path / "cmp.xlsx", "xlsx")
    ws = openpyxl.load_workbook(tmp_path / "cmp.xlsx")["Inputs"]
    row = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[0] == "Re-referrals within 12 months")
    assert row[5] == "England" and row[6] == 2025
    assert row[7] == pytest.approx(lait_value("ReReferral", "970", 2025).value)
    assert "writes a file" in run_cli(["compare", "--results", results, "--format", "html"], code=2).stderr


def test_compute_format_html_end_to_end(tmp_path):
    """A real `compute` run on a small referrals list, written through the report renderer; the report
    command then reads the run back from the store."""
    from tests.test_compute_cli import referrals, write_list

    folder = tmp_path / "extract"
    folder.mkdir()
    rows = referrals([(f"C{i}", f"{d:02d}/0{m}/2024") for i, (d, m) in
                      enumerate([(1, 4), (2, 5), (3, 6), (4, 7), (5, 8), (6, 9), (7, 7), (8, 8)])])
    write_list(folder, "annex_a_list_3", rows)
    store = tmp_path / "h.sqlite"
    run_cli(["compute", folder, "--la", "808", "--store", store, "--as-at", "2024-09-30", "--format", "html",
             "--output", tmp_path / "c.html"])
    page = (tmp_path / "c.html").read_text()
    row = page[page.index('id="row-referrals"'):]
    row = row[: row.index("</tr>")]
    # Q1 2024-25: 1 Apr, 2 May, 3 Jun = 3 referrals; Q2: 4 Jul, 5 Aug, 6 Sep, 7 Jul, 8 Aug = 5
    assert re.findall(r'<span class="v">([^<]*)</span>', row) == ["3", "5"]
    run_cli(["report", "--store", store, "--out", tmp_path / "r.html", "--suppress-below", "5"])
    report_row = (tmp_path / "r.html").read_text()
    report_row = report_row[report_row.index('id="row-referrals"'):]
    report_row = report_row[: report_row.index("</tr>")]
    assert re.findall(r'<span class="v">([^<]*)</span>', report_row) == ["c", "5"]  # 3 < 5 suppressed


# ---- charts ----------------------------------------------------------------------------------------------


def test_chart_scale_reference_lines_and_markers():
    """Values 10% and 20%, England 25%: the axis tops at nice_max(25 x 1.05 = 26.25) = 50, so on a plot 104
    high starting at y=22 the England line sits at 22 + 104 - 25/50 x 104 = 74.0. The suppressed Q3 shows `c`
    and no dot; the incomplete Q4 a hollow dot."""
    from csc_metrics.report.charts import nice_max, trend_chart
    from csc_metrics.report.model import Level, Row

    assert [nice_max(x) for x in (0.7, 1, 26.25, 101, 3000)] == [1, 1, 50, 200, 5000]
    periods = [quarter(2025, q) for q in range(1, 5)]
    points = [result("x", "X", "inputs", "percent", periods[0], num=1, den=10),
              result("x", "X", "inputs", "percent", periods[1], num=2, den=10),
              dict(result("x", "X", "inputs", "percent", periods[2], num=3, den=10), value="c"),
              result("x", "X", "inputs", "percent", periods[3], num=1, den=10, complete=False)]
    row = Row("x", "X <b>", "inputs", "percent", "low", "flow", trend=[(r["period"], Result.from_dict(r)) for r in points],
              england=Level(25.0, 2025, "England"), sn=Level(30.0, 2025, "SN mean (10/10)"))
    svg = trend_chart(row, "c-x", "Stockton-on-Tees")
    assert 'y1="74.0" y2="74.0" stroke="#4a4a4a" stroke-width="1.6" stroke-dasharray="6 4"' in svg
    assert 'stroke-dasharray="1.5 3"' in svg  # SN: dotted, England: dashed, the authority: solid with dots
    assert ">England 25.0%</text>" in svg and ">SN 30.0%</text>" in svg
    assert svg.count("<circle") == 3 + 1  # Q1, Q2, Q4 and the legend's dot; none for the suppressed Q3
    assert 'fill="#ffffff" stroke="#1d3557"' in svg  # hollow: Q4 not fully covered
    assert 'class="marker" text-anchor="middle">c</text>' in svg
    assert "<title id=\"c-x-t\">X &lt;b&gt;: trend by quarter</title>" in svg
    assert "2025-26 Q3: c (suppressed: small number)" in svg and "England (2025): 25.0%" in svg


def test_suppressed_breakdown_shares_render(payload):
    """Suppressing counts below 50 blanks some breakdown categories (`c`): the page still renders, the
    marker in place of the share, and the "more than 100%" check adds only the shares shown."""
    rep = quarterly_report(payload["results"], payload["metadata"], ReportOptions(la_code="808", suppress_below=50))
    shares = [r.value for s in rep.sections for b in s.breakdowns for _, r in b.categories]
    assert any(v == "c" for v in shares) and any(isinstance(v, float) for v in shares)
    page = render_html(rep)
    table = page[page.index('class="small breakdown-table"'):]
    assert '<td class="num">c</td>' in table and "more than 100%" not in page
