"""Number formatting and the ▲/▼ better/worse wording shared by every renderer."""

from __future__ import annotations

from typing import Any

from csc_metrics.results import INCOMPLETE_MARK, INCOMPLETE_TEXT, Result, Unit, shown_change, verdict
from csc_metrics.spec.sections import Section

SECTIONS = tuple(s.value for s in Section)
SECTION_TITLES = {s: s.capitalize() for s in SECTIONS}
ARROWS = {"up": "▲", "down": "▼", "same": "="}
STATUS_TEXT = {"no_data": "no data", "empty": "–", "unavailable": "n/a"}  # n/a: these inputs cannot give it
INCOMPLETE_LEGEND = f"{INCOMPLETE_MARK} {INCOMPLETE_TEXT}"  # the one mark of an incomplete figure


def fmt_value(value: float | str | None, unit: str) -> str:
    """Percentages and rates to 1 dp (as DfE publishes), counts as whole numbers."""
    if value is None:
        return "–"
    if isinstance(value, str):  # a suppression marker such as "c"
        return value
    if unit == "percent":
        return f"{value:.1f}%"
    if unit in ("count", "children"):
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def fmt_result(r: dict[str, Any]) -> str:
    if r["status"] in STATUS_TEXT:
        return STATUS_TEXT[r["status"]]
    text = fmt_value(r["value"], r["unit"])
    if r["status"] == "incomplete":
        text += INCOMPLETE_MARK  # the period or a window it needs is not fully in the inputs
    return text


def fmt_fraction(r: dict[str, Any]) -> str:
    """`35/240` for shares, nothing where numerator and denominator do not explain the figure."""
    if r["unit"] != "percent" or r["numerator"] is None or r["denominator"] is None:
        return ""
    return f"{fmt_value(r['numerator'], 'count')}/{fmt_value(r['denominator'], 'count')}"  # markers as they are


def fmt_change(r: Result) -> str:
    """`▲ 1.5 worse`: arrow, size of the change and the judgement in words (meaning survives no colour)."""
    if r.change is None or r.direction is None:
        return ""
    change = shown_change(r.value, r.previous_value, r.unit)  # what the reader can check
    if change is None:
        return ""
    if change == 0:
        return "= same"
    arrow = ARROWS["up" if change > 0 else "down"]
    size = fmt_value(abs(change), r.unit).rstrip("%")
    if r.unit is Unit.percent:
        size += " pts"
    judged = verdict(change, r.polarity or "none") if r.assessment else None
    words = f" {judged}" if judged in ("better", "worse") else ""
    return f"{arrow} {size}{words}"
