"""The HTML report opened in real headless Chromium (DevTools protocol over a pipe): every section, table and
chart is present and drawn in the rendered page, the page requests nothing but itself, a screenshot is taken
and it prints on A4."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.report_cdp import Browser, find_chromium
from tests.report_helpers import catalogue_payload, external_references

from csc_metrics.report.commentary import parse_commentary
from csc_metrics.report.html import render_html
from csc_metrics.report.model import ReportOptions
from csc_metrics.reporting import quarterly_report

pytestmark = pytest.mark.browser

CHROMIUM = find_chromium()

PROBE = """(() => {
  const box = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const q = s => Array.from(document.querySelectorAll(s));
  return {
    sections: q('section[id]').map(s => [s.id, s.querySelector('h2') && s.querySelector('h2').textContent]),
    tables: q('table.cabinet').map(t => [t.id, t.tBodies[0].rows.length, box(t)]),
    rows: q('table.cabinet tbody tr').map(r => r.id),
    breakdownTables: q('table.breakdown-table').length,
    charts: q('svg.chart').map(s => [s.closest('figure').id, box(s),
      (s.querySelector('title') || {}).textContent || '', (s.querySelector('desc') || {}).textContent || '',
      s.getAttribute('role'), s.querySelectorAll('polyline, rect').length]),
    commentary: q('.commentary:not(.placeholder)').map(c => c.closest('section').id),
    overflow: document.documentElement.scrollWidth > window.innerWidth,
  };
})()"""


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[Path, object]:
    if CHROMIUM is None:
        pytest.skip("headless Chromium not found: install it (apt-get install chromium) to run the browser test")
    payload = catalogue_payload()
    notes = parse_commentary("Overall, demand is **steady**.\n\n## Inputs\n- Police referrals up\n\n"
                             "## Outputs\nFewer children *entered* care.")
    report = quarterly_report(payload["results"], payload["metadata"],
                              ReportOptions(la_code="808", commentary=notes, suppress_below=5))
    folder = tmp_path_factory.mktemp("browser")
    html = folder / "report.html"
    html.write_text(render_html(report), encoding="utf-8")
    return html, report


def test_rendered_page_has_every_section_table_and_chart(page):
    html, report = page
    folder = html.parent
    browser = Browser(CHROMIUM, folder / "profile")
    try:
        browser.open(html.as_uri(), width=1200, height=3000)
        seen = browser.evaluate(PROBE)
        urls = browser.requested_urls()
        browser.screenshot(folder / "report.png")
        browser.pdf(folder / "report.pdf")
    finally:
        browser.close()

    assert [s[0] for s in seen["sections"]] == ["summary", "inputs", "processes", "outputs", "about"]
    assert [s[1] for s in seen["sections"][1:4]] == ["Inputs", "Processes", "Outputs"]
    assert [t[0] for t in seen["tables"]] == ["table-inputs", "table-processes", "table-outputs"]
    assert all(t[2] for t in seen["tables"])  # drawn, not hidden
    assert [t[1] for t in seen["tables"]] == [len(s.rows) for s in report.sections]
    assert seen["rows"] == [f"row-{r.indicator}" for r in report.rows]
    breakdowns = [b for s in report.sections for b in s.breakdowns]
    assert seen["breakdownTables"] == len(breakdowns) >= 3
    charts = {c[0]: c for c in seen["charts"]}
    expected = [f"chart-{r.indicator}" for r in report.rows] + [f"chart-{b.indicator}" for b in breakdowns]
    assert sorted(charts) == sorted(expected) and len(seen["charts"]) == len(expected)
    for fig, drawn, title, desc, role, marks in seen["charts"]:
        assert drawn and role == "img" and title and len(desc) > 20 and marks >= 1, fig
    assert "Re-referrals within 12 months" in charts["chart-re_referrals_12m"][2]
    assert "England" in charts["chart-re_referrals_12m"][3]
    assert seen["commentary"] == ["summary", "inputs", "outputs"]
    assert not seen["overflow"]

    assert urls and all(u.startswith(("file:", "data:", "about:")) for u in urls), urls
    assert external_references(html.read_text()) == []

    png = (folder / "report.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
    pdf = (folder / "report.pdf").read_bytes()
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert len(boxes) >= 4  # cover and summary, then a page or more per section
    assert all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes)  # A4 portrait


ANNUAL_PROBE = """(() => {
  const box = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const q = (root, s) => Array.from(root.querySelectorAll(s));
  return q(document, 'section.annual-page').map(s => ({
    id: s.id, title: s.querySelector('h2').textContent,
    tables: q(s, 'table.annual').map(t => [t.tBodies[0].rows.length, box(t)]),
    statuses: q(s, 'table.annual tbody tr').map(r => r.dataset.status),
    charts: q(s, 'figure svg.chart').map(c => [c.closest('figure').id, box(c), c.querySelectorAll('rect').length]),
    toc: !!document.querySelector('nav.toc a[href="#' + s.id + '"]'),
  }));
})()"""


@pytest.fixture(scope="module")
def sample_page(tmp_path_factory) -> tuple[Path, object]:
    """The report of `compute sample_data/ --period year`: every source, both annual pages."""
    from tests.conftest import ROOT, run_cli

    from csc_metrics.store import HistoryStore

    if CHROMIUM is None:
        pytest.skip("headless Chromium not found: install it (apt-get install chromium) to run the browser test")
    if not (ROOT / "sample_data" / "list_03_referrals.csv").exists():
        pytest.skip("sample_data/ not built")
    folder = tmp_path_factory.mktemp("browser_annual")
    store = folder / "s.db"
    run_cli(["compute", ROOT / "sample_data", "--store", store, "--period", "year", "--format", "json",
             "--output", folder / "c.json"])
    history = HistoryStore(store)
    report = quarterly_report(history.latest_results("808", source=None),
                              history.latest_payload("808", results=False)["metadata"], ReportOptions(la_code="808"))
    html = folder / "report.html"
    html.write_text(render_html(report), encoding="utf-8")
    return html, report


def test_rendered_annual_pages_of_the_returns(sample_page):
    html, report = sample_page
    browser = Browser(CHROMIUM, html.parent / "profile")
    try:
        browser.open(html.as_uri(), width=1200, height=3000)
        seen = browser.evaluate(ANNUAL_PROBE)
        urls = browser.requested_urls()
        browser.screenshot(html.parent / "report.png")
    finally:
        browser.close()
    assert [p["id"] for p in seen] == [p.key for p in report.pages] == ["children-in-need", "looked-after"]
    for got, page in zip(seen, report.pages, strict=True):
        assert got["title"].startswith(page.title) and page.source_label in got["title"] and got["toc"]
        assert [t[0] for t in got["tables"]] == [len(g.rows) for g in page.groups] and all(t[1] for t in got["tables"])
        assert got["statuses"] == [r.result.status.value for r in page.rows]
        assert [c[0] for c in got["charts"]] == [f"chart-{page.key}-{b.key}" for b in page.breakdowns]
        assert all(c[1] and c[2] >= 1 for c in got["charts"])  # drawn, with bars
    assert "chart-children-in-need-assessment_factors-cin_census" in [c[0] for c in seen[0]["charts"]]
    assert "unavailable" in seen[1]["statuses"]  # distance without postcodes
    assert urls and all(u.startswith(("file:", "data:", "about:")) for u in urls), urls
