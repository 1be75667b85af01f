"""Shared xlsxwriter set-up: workbook options that keep text as text, cell formats, and `put`."""

from __future__ import annotations

from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from csc_metrics.report.suppress import is_suppressed

OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
           "constant_memory": False}
VALUE_FORMATS = {"count": "#,##0", "children": "#,##0", "percent": '0.0"%"', "rate_per_10k": "#,##0.0",
                 "working_days": "#,##0.0", "days": "#,##0.0"}
CHANGE_FORMATS = {"count": "+#,##0;-#,##0;0", "children": "+#,##0;-#,##0;0",
                  "percent": '+0.0" pts";-0.0" pts";0.0" pts"'}
CHANGE_DEFAULT = "+#,##0.0;-#,##0.0;0.0"
INK = "#1D3557"


class Styles:
    """Cell formats, created once per workbook and reused."""

    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self.wb = wb
        self.title = wb.add_format({"bold": True, "font_size": 14, "font_color": INK})
        self.subtitle = wb.add_format({"italic": True, "font_color": "#5F6B7A"})
        self.head = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": INK, "border": 1,
                                   "border_color": "#FFFFFF", "align": "center", "valign": "vcenter",
                                   "text_wrap": True})
        self.head_left = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": INK, "border": 1,
                                        "border_color": "#FFFFFF", "valign": "vcenter", "text_wrap": True})
        self.text = wb.add_format({"valign": "top", "text_wrap": True})
        self.bold = wb.add_format({"bold": True, "valign": "top", "text_wrap": True})
        self.muted = wb.add_format({"font_color": "#5F6B7A", "valign": "top", "text_wrap": True})
        self.marker = wb.add_format({"align": "right", "valign": "top"})
        self.better = wb.add_format({"font_color": "#0B6B2F", "valign": "top"})
        self.worse = wb.add_format({"font_color": "#A4161A", "valign": "top"})
        self.section = wb.add_format({"bold": True, "font_size": 12, "font_color": INK, "bottom": 2,
                                      "bottom_color": INK})
        self._num: dict[str, Any] = {}

    def num(self, fmt: str) -> Any:
        if fmt not in self._num:
            self._num[fmt] = self.wb.add_format({"num_format": fmt, "valign": "top"})
        return self._num[fmt]


def put(ws: Worksheet, row: int, col: int, value: Any, st: Styles, fmt: str | None = None) -> None:
    """A number as a number (with `fmt`), the suppression marker and any text as a string, None as blank."""
    if value is None:
        return
    if is_suppressed(value):
        ws.write_string(row, col, str(value), st.marker)
    elif isinstance(value, bool):
        ws.write_string(row, col, "yes" if value else "no", st.text)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, st.num(fmt or "General"))
    else:
        ws.write_string(row, col, str(value), st.text)
