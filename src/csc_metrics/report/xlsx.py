"""The report as an Excel workbook (xlsxwriter): a sheet per section in the Cabinet layout, numbers stored as
numbers with number formats, a metadata sheet, frozen headers, A4 landscape print set-up.

Text is always written with `write_string` and the workbook is opened with `strings_to_formulas`,
`strings_to_urls` and `strings_to_numbers` off, so a label from the extract such as `=HYPERLINK("x")` stays text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from csc_metrics.report.model import Breakdown, Report, Row
from csc_metrics.report.text import POLARITY_TEXT, UNIT_NAMES, arrow
from csc_metrics.report.xlsx_meta import compare_sheets, metadata_sheet
from csc_metrics.report.xlsx_style import CHANGE_DEFAULT, CHANGE_FORMATS, OPTIONS, VALUE_FORMATS, Styles, put
from csc_metrics.results import (
    INCOMPLETE_MARK,
    INCOMPLETE_TEXT,
    SMALL_BASE_TEXT,
    Result,
    Status,
    direction_of,
    shown_change,
    verdict,
)

QUARTER_COLS = ("Value", "No.", "Of", "Change", "Travel")


def _travel(r: Result) -> str:
    """`▲ worse`, from the change between the values shown; `* incomplete` for an incomplete figure."""
    if r.status is Status.incomplete:
        return f"{INCOMPLETE_MARK} incomplete"
    change = shown_change(r.value, r.previous_value, r.unit)
    if r.direction is None or change is None:
        return ""
    direction = direction_of(change)
    word = verdict(change, r.polarity or "none") if r.assessment else ""
    return f"{arrow(direction)} {word or ''}".strip()


def _reproducible(r: Result, unit: str) -> bool:
    """Whether No. and Of reproduce the value shown: a share (No./Of x 100), a rate not annualised
    (No./Of x 10,000); not a mean or median, nor an annualised rate."""
    return unit == "percent" or (unit == "rate_per_10k" and not r.annualised)


def _headers(report: Report) -> tuple[list[tuple[str, int]], list[str]]:
    groups: list[tuple[str, int]] = [("Indicator", 1), ("Unit", 1), ("Polarity", 1)]
    sub = ["", "", ""]
    if report.baseline_label:
        groups.append((report.baseline_label, 2))
        sub += ["No.", "Value"]
    for title in report.column_titles:
        groups.append((title, len(QUARTER_COLS)))
        sub += list(QUARTER_COLS)
    groups += [("Published", 3), ("Band", 1), ("Rank", 1), ("Target", 1), ("Source", 1), ("Notes", 1)]
    sub += ["England", "SN", "Year", "", "", "", "", ""]
    return groups, sub


def source_text(label: str, tables: list[str]) -> str:
    """`Annex A: List 3`, `SSDA903`: where a row's figures come from."""
    return label + (f": {', '.join(tables)}" if tables else "")


def _write_row(ws: Worksheet, r_i: int, row: Row, report: Report, st: Styles) -> None:
    vf = VALUE_FORMATS.get(row.unit, "#,##0.0")
    cf = CHANGE_FORMATS.get(row.unit, CHANGE_DEFAULT)
    ws.write_string(r_i, 0, row.title, st.bold)
    ws.write_string(r_i, 1, UNIT_NAMES.get(row.unit, row.unit) + (", annualised" if row.annualised else ""),
                    st.muted)
    ws.write_string(r_i, 2, POLARITY_TEXT.get(row.polarity, row.polarity), st.muted)
    col = 3
    notes = list(row.notes)
    if report.baseline_label:
        b = row.baseline
        if b is not None:
            put(ws, r_i, col, row.baseline_number, st, "#,##0")
            if row.unit not in ("count", "children"):
                put(ws, r_i, col + 1, b.value, st, vf)
            if row.baseline_note:
                notes.append(f"{report.baseline_label}: {row.baseline_note}")
            if b.status is Status.incomplete:
                notes.append(f"{report.baseline_label}: {INCOMPLETE_MARK} {INCOMPLETE_TEXT}")
        col += 2
    for r in row.cells:
        if r is not None:
            put(ws, r_i, col, r.value, st, vf)
            if _reproducible(r, row.unit):
                put(ws, r_i, col + 1, r.numerator, st, "#,##0")
                put(ws, r_i, col + 2, r.denominator, st, "#,##0")
            elif row.unit in ("days", "working_days") and r.denominator is not None:
                notes.append(f"{r.period.label}: {r.denominator} cases")
            put(ws, r_i, col + 3, shown_change(r.value, r.previous_value, row.unit)
                if r.change is not None and not isinstance(r.change, str) else r.change, st, cf)
            style = {"better": st.better, "worse": st.worse}.get(r.assessment or "", st.text)
            travel = _travel(r)
            if travel:
                ws.write_string(r_i, col + 4, travel, style)
            if r.status is Status.incomplete:
                notes.append(f"{r.period.label}: {INCOMPLETE_MARK} {INCOMPLETE_TEXT}")
            if row.small_base(r):
                notes.append(f"{r.period.label}: {SMALL_BASE_TEXT}")
        col += len(QUARTER_COLS)
    for level in (row.england, row.sn):
        if level is not None:
            put(ws, r_i, col, level.value, st, vf)
        col += 1
    year = next((lv.year for lv in (row.england, row.sn) if lv is not None and lv.year), None)
    put(ws, r_i, col, year, st, "0")
    put(ws, r_i, col + 1, row.band, st)
    put(ws, r_i, col + 2, row.rank, st, "0")
    put(ws, r_i, col + 3, row.target, st, vf)
    ws.write_string(r_i, col + 4, source_text(row.source_label, row.sources if row.source == "annex_a" else []),
                    st.muted)
    if notes:
        ws.write_string(r_i, col + 5, "; ".join(notes), st.muted)


def write_breakdown(ws: Worksheet, r_i: int, b: Breakdown, st: Styles) -> int:
    """A breakdown's categories from row `r_i` (the column before it, then its own): No. and %."""
    ws.write_string(r_i, 0, f"{b.title} ({source_text(b.source_label, b.sources if b.source == 'annex_a' else [])})",
                    st.section)
    r_i += 1
    if b.multiple:
        ws.write_string(r_i, 0, "One case can have several categories: the shares can add up to more than 100%.",
                        st.muted)
        r_i += 1
    periods = [p for p in (b.previous_period, b.period) if p]
    ws.write_string(r_i, 0, "Category", st.head_left)
    for j, p in enumerate(periods):
        ws.write_string(r_i, 1 + 2 * j, f"{p} No.", st.head)
        ws.write_string(r_i, 2 + 2 * j, f"{p} %", st.head)
    r_i += 1
    for cat, r in b.categories:
        ws.write_string(r_i, 0, cat, st.text)  # labels come from the extract: always text
        for j, res in enumerate([b.previous.get(cat), r] if b.previous_period else [r]):
            if res is not None:
                put(ws, r_i, 1 + 2 * j, res.numerator, st, "#,##0")
                put(ws, r_i, 2 + 2 * j, res.value, st, VALUE_FORMATS["percent"])
        r_i += 1
    return r_i + 1


def section_sheet(wb: xlsxwriter.Workbook, report: Report, section: Any, st: Styles) -> None:
    ws = wb.add_worksheet(section.title[:31])
    ws.write_string(0, 0, f"{section.title}: {report.subtitle}", st.title)
    ws.write_string(1, 0, "Values are as computed (percentages 0-100, rates per 10,000 children); Travel: ▲/▼ "
                    "direction from the previous quarter and better/worse by polarity, on the values shown; "
                    f"{INCOMPLETE_MARK} {INCOMPLETE_TEXT}; {SMALL_BASE_TEXT}: fewer than {report.min_base} cases; "
                    "No./Of: the numerator and denominator that give the value (shares, rates not annualised); "
                    "England/SN: DfE published figures; Band: LAIT quartile band (A = best quarter), financial "
                    "years only"
                    + (f"; {report.marker}: suppressed small number" if report.suppress_below else ""), st.subtitle)
    groups, sub = _headers(report)
    hr = 3
    col = 0
    for name, width in groups:
        style = st.head_left if col == 0 else st.head
        if width > 1:
            ws.merge_range(hr, col, hr, col + width - 1, name, style)
        elif not sub[col]:
            ws.merge_range(hr, col, hr + 1, col, name, style)
        else:
            ws.write_string(hr, col, name, style)
        col += width
    for j, name in enumerate(sub):
        if name:
            ws.write_string(hr + 1, j, name, st.head)
    r_i = hr + 2
    for row in section.rows:
        _write_row(ws, r_i, row, report, st)
        r_i += 1
    r_i += 1
    for b in section.breakdowns:
        r_i = write_breakdown(ws, r_i, b, st)
    if section.commentary:
        ws.write_string(r_i, 0, "Commentary", st.section)
        ws.write_string(r_i + 1, 0, section.commentary, st.text)
    ws.freeze_panes(hr + 2, 1)
    ws.set_column(0, 0, 44)
    ws.set_column(1, 2, 14)
    ws.set_column(3, len(sub) - 3, 9)
    ws.set_column(len(sub) - 2, len(sub) - 2, 14)
    ws.set_column(len(sub) - 1, len(sub) - 1, 60)
    ws.set_row(hr, 30)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(hr, hr + 1)


def write_workbook(report: Report, out: Path) -> None:
    wb = xlsxwriter.Workbook(str(out), OPTIONS)
    st = Styles(wb)
    for section in report.sections:
        section_sheet(wb, report, section, st)
    from csc_metrics.report.annual_xlsx import page_sheet

    for page in report.pages:
        page_sheet(wb, report, page, st)
    metadata_sheet(wb, report, st)
    wb.close()


def write_compare_workbook(compared: dict[str, Any], out: Path) -> None:
    wb = xlsxwriter.Workbook(str(out), OPTIONS)
    st = Styles(wb)
    compare_sheets(wb, compared, st)
    wb.close()
