"""Cell text for the published report: the shared number formats, with the suppression marker passed through."""

from __future__ import annotations

from html import escape
from typing import Any

from csc_metrics.report.format import ARROWS, fmt_change, fmt_value
from csc_metrics.report.suppress import is_suppressed
from csc_metrics.results import INCOMPLETE_MARK, SMALL_BASE_TEXT, Result, Status, Unit

UNIT_NAMES = {"count": "Number", "children": "Children", "percent": "Per cent", "rate_per_10k": "Per 10,000 children",
              "working_days": "Working days", "days": "Days"}
POLARITY_TEXT = {"low": "lower is better", "high": "higher is better", "none": "no better or worse"}


value_text = fmt_value  # a figure in its unit; a suppression marker as it is


def number_text(value: Any) -> str:
    """A whole number (or a suppression marker); blank for none."""
    return "" if value is None else fmt_value(value, "count")


def result_text(r: Result | None) -> str:
    """A result's figure: value, `*` when incomplete (the period or a window it needs is not fully in the
    inputs), `–` when there is none."""
    if r is None:
        return ""
    if r.status is Status.no_data:
        return "no data"
    return value_text(r.value, r.unit) + (INCOMPLETE_MARK if r.status is Status.incomplete or not r.complete else "")


def fraction_text(r: Result | None, small_base: bool = False) -> str:
    """`35 of 240` for shares; the count behind a rate; cases behind a duration; `small base` added when the
    figure rests on too few cases to headline."""
    if r is None or r.value is None:
        return ""
    num, den = r.numerator, r.denominator
    small = f", {SMALL_BASE_TEXT}" if small_base else ""
    if r.unit is Unit.percent and num is not None and den is not None:
        return f"{number_text(num)} of {number_text(den)}{small}"
    if r.unit is Unit.rate_per_10k and num is not None:
        return f"n = {number_text(num)}{small}"
    if r.unit.is_duration and den is not None:
        return f"{number_text(den)} cases{small}"
    return SMALL_BASE_TEXT if small else ""


def change_text(r: Result | None) -> str:
    """`▲ 1.5 pts worse`; the marker when the change is suppressed; nothing when there is no change."""
    if r is None:
        return ""
    if is_suppressed(r.change) or is_suppressed(r.previous_value):
        return "change c"
    return fmt_change(r)


def arrow(direction: str | None) -> str:
    return ARROWS.get(direction or "", "")


def esc(text: Any) -> str:
    """Text for HTML and SVG: `&`, `<`, `>` and both quotes escaped."""
    return escape(str(text), quote=True)
