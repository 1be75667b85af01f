"""Number formatting and the ▲/▼ better/worse wording shared by every renderer."""

from __future__ import annotations

from typing import Any

SECTIONS = ("inputs", "processes", "outputs")
SECTION_TITLES = {"inputs": "Inputs", "processes": "Processes", "outputs": "Outputs"}
ARROWS = {"up": "▲", "down": "▼", "same": "="}
STATUS_TEXT = {"no_data": "no data", "empty": "–"}
# the one mark of an incomplete figure (the period, or a look-back or look-forward window, not fully covered)
INCOMPLETE_MARK = "*"
INCOMPLETE_LEGEND = (f"{INCOMPLETE_MARK} incomplete: the inputs do not cover all of the period, or of the look-back or "
                     "look-forward window the indicator needs; not compared")


def fmt_value(value: float | None, unit: str) -> str:
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
        text += INCOMPLETE_MARK
    return text


def fmt_fraction(r: dict[str, Any]) -> str:
    """`35/240` for shares, nothing where numerator and denominator do not explain the figure."""
    if r["unit"] != "percent" or r["numerator"] is None or r["denominator"] is None:
        return ""
    return f"{fmt_value(r['numerator'], 'count')}/{fmt_value(r['denominator'], 'count')}"  # markers as they are


def fmt_change(r: dict[str, Any]) -> str:
    """`▲ 1.5 worse`: arrow, size of the change and the judgement in words (meaning survives no colour)."""
    if r.get("change") is None or r.get("direction") is None:
        return ""
    arrow = ARROWS[r["direction"]]
    if r["direction"] == "same":
        return "= same"
    size = fmt_value(abs(r["change"]), r["unit"]).rstrip("%")
    if r["unit"] == "percent":
        size += " pts"
    words = f" {r['assessment']}" if r.get("assessment") in ("better", "worse") else ""
    return f"{arrow} {size}{words}"
