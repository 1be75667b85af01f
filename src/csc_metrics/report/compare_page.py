"""A `compare` payload as a self-contained HTML page (same style as the quarterly report)."""

from __future__ import annotations

from datetime import date
from typing import Any

from csc_metrics.compare.render import MARKS, by_section
from csc_metrics.report.html import CSS
from csc_metrics.report.text import esc as _e
from csc_metrics.report.text import value_text
from csc_metrics.results import INCOMPLETE_MARK, shown_change


def _signed(v: Any, unit: str) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    text = value_text(abs(v), unit).rstrip("%")
    sign = "+" if v > 0 else ("−" if v < 0 else "")
    return sign + text + (" pts" if unit == "percent" else "")


def _mark(c: dict[str, Any]) -> str:
    return INCOMPLETE_MARK if c.get("status") == "incomplete" else ""


def _gap(c: dict[str, Any]) -> Any:
    """The gap between the values shown."""
    if c.get("difference") is None or isinstance(c.get("difference"), str):
        return c.get("difference")
    return shown_change(c.get("value"), c.get("benchmark_value"), c.get("unit") or "count")


def _row(c: dict[str, Any]) -> str:
    unit = c.get("unit") or ""
    title = str(c.get("title") or c.get("indicator"))
    if c.get("category") is not None:
        title += f" [{c['category']}]"
    verdict = MARKS.get(c.get("assessment") or "", "")
    cls = c.get("assessment") if c.get("assessment") in ("better", "worse") else "neutral"
    rank = f"{c['rank']} of {c['ranked_of']}" if c.get("rank") else ""
    notes = "; ".join(str(t) for t in (c.get("reason"), c.get("note")) if t)
    return (f'<tr><td class="ind"><span class="t">{_e(title)}</span></td><td>{_e(c.get("period") or "")}</td>'
            f'<td class="num">{_e(value_text(c.get("value"), unit) + _mark(c))}</td>'
            f'<td>{_e(c.get("benchmark_label") or c.get("benchmark") or "")}</td>'
            f'<td class="num">{_e(c.get("benchmark_year") or "")}</td>'
            f'<td class="num bench">{_e(value_text(c.get("benchmark_value"), unit))}</td>'
            f'<td class="num">{_e(_signed(_gap(c), unit))}</td>'
            f'<td><span class="chg {cls}">{_e(verdict)}</span></td>'
            f'<td class="num">{_e(c.get("quartile_band") or "")}</td><td class="num">{_e(rank)}</td>'
            f'<td><span class="sub">{_e(notes)}</span></td></tr>')


def render_compare_html(compared: dict[str, Any]) -> str:
    m = compared.get("metadata") or {}
    head = ("<thead><tr>" + "".join(f'<th scope="col"{" class=ind" if i == 0 else ""}>{h}</th>' for i, h in enumerate(
        ["Indicator", "Period", "Value", "Benchmark", "Year", "Figure", "Gap", "Verdict", "Band", "Rank", "Notes"]))
        + "</tr></thead>")
    sections = []
    for key, rows in by_section(compared):
        body = "".join(_row(c) for c in rows)
        sections.append(f'<section id="{_e(key)}"><h2>{_e(key.capitalize())}</h2><table class="cabinet">'
                        f"<caption>{_e(key.capitalize())}: local figures against published benchmarks</caption>"
                        f"{head}<tbody>{body}</tbody></table></section>")
    if not sections:
        sections.append("<p>No results with a benchmark or target to compare.</p>")
    messages = "".join(f"<li>{_e(t)}</li>" for t in m.get("messages") or [])
    who = f"{m.get('la_name', '')} ({m.get('la_code', '')}), {m.get('region', '')}"
    facts = [("Periods", ", ".join(m.get("periods") or [])), ("Statistical neighbours", m.get("sn_model") or ""),
             ("Published figures", m.get("benchmark_source") or "")]
    facts_html = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in facts if v)
    return ("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Benchmark comparison: {_e(who)}</title><style>{CSS}</style></head><body><main>"
            f'<header class="cover"><p class="kicker">Benchmark comparison</p><h1>{_e(who)}</h1>'
            f'<dl class="facts">{facts_html}</dl></header>' + "".join(sections)
            + (f'<h3>Messages</h3><ul class="notes">{messages}</ul>' if messages else "")
            + '<p class="key"><b>Verdict</b>: ▲ better / ▼ worse than the benchmark, by whether a higher or lower '
            "figure is better. <b>Band</b>: LAIT quartile band, A = best quarter; rank 1 = best.</p>"
            + f"<footer>Produced by csc-metrics on {date.today().isoformat()}; published figures: DfE, "
            f"{_e(m.get('licence') or 'Open Government Licence v3.0')}.</footer></main></body></html>\n")
