"""The returns' DfE-comparable annual pages in the workbook: a sheet each, the same content as the HTML page (a
row per measure with its status, the previous year, England, region, SN mean, the published value, the
difference and the check, band and rank; then the return's breakdowns). Numbers are numbers; text is text."""

from __future__ import annotations

from typing import Any

import xlsxwriter

from csc_metrics.compare.reconcile_render import VERDICT_TEXT
from csc_metrics.report.annual import STATUS_WORDS, AnnualPage, AnnualRow
from csc_metrics.report.model import Report
from csc_metrics.report.text import POLARITY_TEXT, UNIT_NAMES
from csc_metrics.report.xlsx import write_breakdown
from csc_metrics.report.xlsx_style import CHANGE_DEFAULT, CHANGE_FORMATS, VALUE_FORMATS, Styles, put
from csc_metrics.results import INCOMPLETE_MARK, INCOMPLETE_TEXT, Status


def _heads(page: AnnualPage, region: str, who: str) -> list[str]:
    return ["Group", "Measure", "Id", "Status", f"{page.year} value", "No.", "Of", "Unit", "Polarity",
            f"{page.previous_year} value", f"{page.previous_year} status", "England", region, "SN mean",
            "Comparators' year", "LAIT measure", f"Published ({who})", "Published year", "Difference", "Check",
            "Band", "Rank", "Ranked of", "Notes"]


def _cells(group: str, row: AnnualRow) -> list[tuple[Any, str | None]]:
    """The row's cells with their number formats (None: text or general)."""
    r = row.result
    unit = r.unit.value
    vf = VALUE_FORMATS.get(unit, "#,##0.0")
    rec = row.published
    prev = row.previous
    year = next((lv.year for lv in (row.england, row.region, row.sn) if lv is not None and lv.year), None)
    shares = unit == "percent" or (unit == "rate_per_10k" and not r.annualised)
    return [
        (group, None), (row.title, None), (r.indicator + (f" [{r.category}]" if r.category else ""), None),
        (STATUS_WORDS.get(r.status.value, r.status.value), None), (r.value, vf),
        (r.numerator if shares else None, "#,##0"), (r.denominator if shares else None, "#,##0"),
        (UNIT_NAMES.get(unit, unit), None), (POLARITY_TEXT.get(r.polarity, r.polarity), None),
        (prev.value if prev else None, vf), (prev.status.value if prev else None, None),
        *[(lv.value if lv else None, vf) for lv in (row.england, row.region, row.sn)],
        (year, "0"), (row.measure, None),
        (rec.published_value if rec else None, vf), (rec.published_year if rec and rec.published_value is not None
                                                    else None, "0"),
        (rec.difference if rec else None, CHANGE_FORMATS.get(unit, CHANGE_DEFAULT)), (row.check or None, None),
        (row.band, None), (row.rank, "0"), (row.ranked_of, "0"), ("; ".join(row.reasons) or None, None),
    ]


def page_sheet(wb: xlsxwriter.Workbook, report: Report, page: AnnualPage, st: Styles) -> None:
    """One return's page as a sheet: the measures by group, then its breakdowns."""
    ws = wb.add_worksheet(page.sheet[:31])
    who = report.la_name or "the authority"
    ws.write_string(0, 0, f"{page.title} ({page.source_label}, {page.year}): {report.subtitle}", st.title)
    ws.write_string(1, 0, f"Every figure is computed from the {page.source_label}, as DfE computes its own measures "
                    "(never an Annex A figure). Status: only an ok figure gets a band, rank or check; "
                    f"{INCOMPLETE_MARK} {INCOMPLETE_TEXT}. England, region and SN mean: DfE published figures (not "
                    "for counts). Published, Difference, Check: the authority's own published LAIT value for the "
                    f"same year, the computed figure minus it, and {VERDICT_TEXT} Band: LAIT quartile band (A = "
                    "best quarter), an ok rate or percentage against the same published year.", st.subtitle)
    region = next((r.region.label for r in page.rows if r.region is not None), "Region")
    heads = _heads(page, region, who)
    hr = 3
    for j, h in enumerate(heads):
        ws.write_string(hr, j, h, st.head_left if j < 2 else st.head)
    r_i = hr + 1
    for group in page.groups:
        for row in group.rows:
            for j, (value, fmt) in enumerate(_cells(group.title, row)):
                if isinstance(value, str):
                    style = st.bold if j == 1 else (st.worse if j == 3 and row.result.status is not Status.ok
                                                    else st.text)
                    ws.write_string(r_i, j, value, style)  # titles and labels from the data: always text
                else:
                    put(ws, r_i, j, value, st, fmt)
            r_i += 1
    r_i += 1
    for b in page.breakdowns:
        r_i = write_breakdown(ws, r_i, b, st)
    ws.freeze_panes(hr + 1, 2)
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 44)
    ws.set_column(2, 2, 30)
    ws.set_column(3, len(heads) - 2, 11)
    ws.set_column(len(heads) - 1, len(heads) - 1, 70)
    ws.set_row(hr, 30)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(hr)
