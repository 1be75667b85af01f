"""Workbook sheets besides the section tables: metadata (inputs, definitions hash, vintages) and the sheets of
a `compare` payload."""

from __future__ import annotations

from typing import Any

import xlsxwriter

from csc_metrics.compare.render import MARKS, by_section
from csc_metrics.report.model import Report
from csc_metrics.report.text import POLARITY_TEXT, UNIT_NAMES
from csc_metrics.report.xlsx_style import CHANGE_DEFAULT, CHANGE_FORMATS, VALUE_FORMATS, Styles, put


def _pairs(report: Report) -> list[tuple[str, Any]]:
    m = report.metadata
    cal = m.get("calendar") or {}
    pop = m.get("population") or {}
    years = cal.get("years") or []
    pairs: list[tuple[str, Any]] = [
        ("Report", report.title), ("Local authority", report.la_name or ""), ("LA code", report.la_code or ""),
        ("Year", report.year or ", ".join(report.columns)), ("Columns", ", ".join(report.columns)),
        ("Data as at", m.get("as_at") or ""), ("Tool version", m.get("tool_version") or ""),
        ("Definitions hash", m.get("definitions_hash") or ""), ("Latest run", m.get("run_id") or ""),
        ("Bank holidays source", cal.get("holidays_source") or ""),
        ("Bank holidays version", cal.get("holidays_version") or ""),
        ("Bank holidays years", "-".join(str(y) for y in years)),
        ("Population source", pop.get("source") or ""), ("Population year (mid-year)", pop.get("year")),
        ("Population (children 0-17)", pop.get("value")),
        ("Published figures", report.benchmark_source or ""), ("Statistical neighbours", report.sn_model or ""),
        ("Suppression", f"counts 1 to {report.suppress_below - 1} and figures derived from them shown as "
         f"{report.marker}" if report.suppress_below else "none"),
        ("Generated", report.generated),
    ]
    return pairs + [("Note", n) for n in report.notes]


def metadata_sheet(wb: xlsxwriter.Workbook, report: Report, st: Styles) -> None:
    ws = wb.add_worksheet("Metadata")
    ws.write_string(0, 0, "About this workbook", st.title)
    r = 2
    for key, value in _pairs(report):
        ws.write_string(r, 0, key, st.bold)
        put(ws, r, 1, value, st, "#,##0" if isinstance(value, int) and value > 9999 else "0")
        r += 1
    r += 1
    ws.write_string(r, 0, "Input files", st.section)
    r += 1
    heads = ["Path", "Sheet", "List", "Rows", "Covers from", "Covers to", "SHA-256"]
    for j, h in enumerate(heads):
        ws.write_string(r, j, h, st.head_left)
    for item in report.metadata.get("inputs") or []:
        r += 1
        cov = item.get("coverage") or [None, None]
        for j, v in enumerate([item.get("path"), item.get("sheet"), item.get("table"), item.get("rows"),
                               cov[0], cov[1], item.get("sha256")]):
            put(ws, r, j, v, st, "#,##0")
    r += 2
    ws.write_string(r, 0, "Indicators", st.section)
    r += 1
    for j, h in enumerate(["Indicator", "Id", "Section", "Unit", "Polarity", "Source", "LAIT measure",
                           "Definition"]):
        ws.write_string(r, j, h, st.head_left)
    for row in report.rows:
        r += 1
        for j, v in enumerate([row.title, row.indicator, row.section, UNIT_NAMES.get(row.unit, row.unit),
                               POLARITY_TEXT.get(row.polarity, row.polarity),
                               ": ".join([row.source_label, ", ".join(row.sources)]),
                               row.measure or "", row.description]):
            ws.write_string(r, j, str(v), st.text)
    ws.set_column(0, 0, 32)
    ws.set_column(1, 1, 48)
    ws.set_column(2, 6, 14)
    ws.set_column(7, 7, 90)


COMPARE_COLUMNS = [("Indicator", "title"), ("Category", "category"), ("Period", "period"), ("Value", "value"),
                   ("Unit", "unit"), ("Benchmark", "benchmark_label"), ("Year", "benchmark_year"),
                   ("Benchmark value", "benchmark_value"), ("Difference", "difference"), ("Verdict", "assessment"),
                   ("Band", "quartile_band"), ("Rank", "rank"), ("Of", "ranked_of"), ("Status", "status"),
                   ("Note", "note"), ("Reason", "reason")]


def compare_sheets(wb: xlsxwriter.Workbook, compared: dict[str, Any], st: Styles) -> None:
    """A sheet per section of comparisons, then the metadata."""
    m = compared.get("metadata") or {}
    groups = dict(by_section(compared))
    for key in groups or ["comparisons"]:
        ws = wb.add_worksheet(key.capitalize()[:31])
        ws.write_string(0, 0, f"{key.capitalize()}: {m.get('la_name', '')} ({m.get('la_code', '')}) against "
                        "published benchmarks", st.title)
        for j, (h, _) in enumerate(COMPARE_COLUMNS):
            ws.write_string(2, j, h, st.head_left if j == 0 else st.head)
        for i, c in enumerate(groups.get(key, []), start=3):
            unit = c.get("unit") or ""
            vf = VALUE_FORMATS.get(unit, "#,##0.0")
            for j, (_, field) in enumerate(COMPARE_COLUMNS):
                v = c.get(field)
                if field == "assessment":
                    v = MARKS.get(v or "", "")
                elif field == "unit":
                    v = UNIT_NAMES.get(unit, unit)
                fmt = {"value": vf, "benchmark_value": vf, "difference": CHANGE_FORMATS.get(unit, CHANGE_DEFAULT),
                       "benchmark_year": "0", "rank": "0", "ranked_of": "0"}.get(field)
                put(ws, i, j, v, st, fmt)
        ws.freeze_panes(3, 1)
        ws.set_column(0, 0, 44)
        ws.set_column(1, 12, 11)
        ws.set_column(13, 14, 60)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(2)
    ws = wb.add_worksheet("Metadata")
    ws.write_string(0, 0, "About this workbook", st.title)
    for i, key in enumerate(["la_code", "la_name", "region", "run_id", "sn_model", "benchmark_source", "licence",
                             "periods", "benchmarks", "messages", "suppression"], start=2):
        value = m.get(key)
        if isinstance(value, list):
            value = "; ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        ws.write_string(i, 0, key.replace("_", " ").capitalize(), st.bold)
        put(ws, i, 1, value if value is not None else "", st)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 100)
