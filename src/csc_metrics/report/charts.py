"""Inline SVG charts: a small trend chart per indicator and a bar chart per breakdown.

Accessible by construction: every chart has `role="img"`, a `<title>` and a `<desc>` that states the data in
words, axis labels, and meaning carried by shape and text as well as colour (solid line with dots for the
authority, dashed line for England, dotted for the statistical neighbours, each labelled; hollow dots for
periods not fully covered; `c` where a figure is suppressed). No external references.
"""

from __future__ import annotations

import math
from typing import Any

from csc_metrics.engine.periods import parse_period
from csc_metrics.report.layout import financial_year, quarter_number
from csc_metrics.report.model import Breakdown, Level, Row
from csc_metrics.report.suppress import is_suppressed
from csc_metrics.report.text import UNIT_NAMES, number_text, value_text
from csc_metrics.report.text import esc as _e
from csc_metrics.results import Result, Status

INK = "#1d3557"
ENGLAND = "#4a4a4a"
SN = "#b5520b"
GRID = "#d9dde3"
MUTED = "#5f6b7a"


def _svg_open(kind: str, w: int, h: int, chart_id: str, title: str, desc: str) -> list[str]:
    """The opening of an accessible chart: `role="img"`, labelled by its `<title>` and `<desc>`."""
    return [f'<svg class="chart {kind}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
            f'aria-labelledby="{chart_id}-t {chart_id}-d">',
            f'<title id="{chart_id}-t">{_e(title)}</title>',
            f'<desc id="{chart_id}-d">{_e(desc)}</desc>']


def nice_max(x: float) -> float:
    """A round number at or above x (1, 2, 2.5, 5 x 10^k) for the top of an axis."""
    if x <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if m * exp >= x - 1e-12:
            return m * exp
    return 10 * exp  # pragma: no cover


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None  # not a marker


def _tick(v: float, unit: str) -> str:
    text = f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"
    return text + ("%" if unit == "percent" else "")


def _x_labels(labels: list[str]) -> list[tuple[str, str]]:
    out = []
    for i, label in enumerate(labels):
        p = parse_period(label)
        if p.granularity == "quarter":
            q = quarter_number(p)
            out.append((f"Q{q}", financial_year(p).label[2:] if q == 1 or i == 0 else ""))
        else:
            out.append((label, ""))
    return out


def trend_chart(row: Row, chart_id: str, la_label: str = "This authority") -> str:
    """A line chart of the row's trend periods with England and SN levels as labelled reference lines."""
    w, h = 320, 196
    left, right, top, bottom = 46, 78, 22, 70
    pw, ph = w - left - right, h - top - bottom
    points = row.trend
    values = [v for _, r in points if r is not None and (v := _num(r.value)) is not None]
    refs: list[tuple[str, Level, str, str]] = []
    if row.england is not None:
        refs.append(("England", row.england, ENGLAND, "6 4"))
    if row.sn is not None:
        refs.append(("SN", row.sn, SN, "1.5 3"))
    top_value = max(values + [lv.value for _, lv, _, _ in refs] + [0.0])
    ymax = nice_max(top_value * 1.05) if top_value else 1.0
    if row.unit == "percent" and top_value <= 100:
        ymax = min(ymax, 100.0)  # a share never needs an axis past 100%
    n = max(len(points), 1)
    step = pw / max(n - 1, 1)

    def x(i: int) -> float:
        return left + (i * step if n > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph - (v / ymax) * ph

    unit_name = UNIT_NAMES.get(row.unit, row.unit)
    desc = _trend_desc(row, points, refs, la_label)
    parts = [*_svg_open("trend", w, h, chart_id, f"{row.title}: trend by quarter", desc),
             f'<text x="{left - 6}" y="12" class="axis-label" text-anchor="start">{_e(unit_name)}</text>']
    for frac in (0, 0.5, 1):
        v = ymax * frac
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="{GRID}" '
                     'stroke-width="1"/>')
        parts.append(f'<text x="{left - 5}" y="{y(v) + 3.5:.1f}" class="tick" text-anchor="end">'
                     f'{_e(_tick(v, row.unit))}</text>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}" stroke="{MUTED}" stroke-width="1"/>')
    for i, (q, yr) in enumerate(_x_labels([p for p, _ in points])):
        parts.append(f'<text x="{x(i):.1f}" y="{top + ph + 13}" class="tick" text-anchor="middle">{_e(q)}</text>')
        if yr:
            parts.append(f'<text x="{x(i):.1f}" y="{top + ph + 24}" class="tick year" text-anchor="middle">'
                         f'{_e(yr)}</text>')
    parts.append(f'<text x="{left + pw / 2:.1f}" y="{top + ph + 36}" class="axis-label" text-anchor="middle">'
                 'Quarter (financial year)</text>')
    wanted: list[tuple[float, str, Level, str]] = []
    for name, lv, colour, dash in refs:
        yy = y(lv.value)
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{colour}" '
                     f'stroke-width="1.6" stroke-dasharray="{dash}"/>')
        wanted.append((yy + 3.5, name, lv, colour))
    wanted.sort(key=lambda t: t[0])
    ys: list[float] = []
    for want, *_ in wanted:  # labels never overlap, never below the axis
        ys.append(max(want, ys[-1] + 11) if ys else want)
    overflow = (ys[-1] - (top + ph + 3)) if ys else 0
    for ly, (_, name, lv, colour) in zip(ys, wanted, strict=True):
        ly -= max(overflow, 0)
        parts.append(f'<text x="{left + pw + 4}" y="{ly:.1f}" class="ref" fill="{colour}">'
                     f'{_e(name)} {_e(value_text(lv.value, row.unit))}</text>')
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, (_, r) in enumerate(points):
        v = _num(r.value) if r is not None else None
        if v is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{x(i):.1f},{y(v):.1f}")
    if segment:
        segments.append(segment)
    for seg in segments:
        parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{INK}" stroke-width="2.4"/>')
    last_i = None
    for i, (_, r) in enumerate(points):
        if r is None:
            continue
        if is_suppressed(r.value):
            parts.append(f'<text x="{x(i):.1f}" y="{top + ph - 8}" class="marker" text-anchor="middle">'
                         f'{_e(r.value)}</text>')
            continue
        v = _num(r.value)
        if v is None:
            continue
        hollow = r.status is Status.incomplete or not r.complete
        fill = "#ffffff" if hollow else INK
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.6" fill="{fill}" stroke="{INK}" '
                     'stroke-width="1.8"/>')
        last_i = i
    if last_i is not None:
        r = points[last_i][1]
        assert r is not None
        v = _num(r.value) or 0.0
        label = value_text(r.value, row.unit)
        if x(last_i) + 7 + 6.5 * len(label) <= left + pw:  # room on the right: beside the point
            tx, ty, anchor = x(last_i) + 7, y(v) + 4, "start"
        else:
            tx, ty, anchor = x(last_i), (y(v) - 8 if y(v) - 8 > top else y(v) + 15), "middle"
        parts.append(f'<text x="{tx:.1f}" y="{ty:.1f}" class="point-label" text-anchor="{anchor}">'
                     f'{_e(label)}</text>')
    parts.append(_legend(refs, top + ph + 46, left, la_label))
    parts.append("</svg>")
    return "".join(parts)


def _legend(refs: list[tuple[str, Level, str, str]], ly: float, left: float, la_label: str) -> str:
    items = [f'<g class="legend"><line x1="{left}" x2="{left + 18}" y1="{ly}" y2="{ly}" stroke="{INK}" '
             f'stroke-width="2.4"/><circle cx="{left + 9}" cy="{ly}" r="3" fill="{INK}"/>'
             f'<text x="{left + 22}" y="{ly + 3.5}">{_e(la_label)}</text>']
    x0 = left
    yy = ly + 13
    for name, lv, colour, dash in refs:
        year = f" {lv.year}" if lv.year else ""
        text = f"{'England' if name == 'England' else lv.label}{year}"
        items.append(f'<line x1="{x0}" x2="{x0 + 18}" y1="{yy}" y2="{yy}" stroke="{colour}" stroke-width="1.6" '
                     f'stroke-dasharray="{dash}"/><text x="{x0 + 22}" y="{yy + 3.5}">{_e(text)}</text>')
        x0 += 22 + 6.2 * len(text) + 12
    items.append("</g>")
    return "".join(items)


def _trend_desc(row: Row, points: list[tuple[str, Result | None]], refs: list[tuple[str, Level, str, str]],
                la_label: str) -> str:
    said = []
    for label, r in points:
        if r is None or r.value is None:
            said.append(f"{label}: no figure")
            continue
        note = " (period not fully covered)" if r.status is Status.incomplete else ""
        note = " (suppressed: small number)" if is_suppressed(r.value) else note
        said.append(f"{label}: {value_text(r.value, row.unit)}{note}")
    text = f"{la_label}, {row.title} ({row.source_label}), {UNIT_NAMES.get(row.unit, row.unit).lower()}. " + "; ".join(said) + "."
    for name, lv, _, _ in refs:
        year = f" ({lv.year})" if lv.year else ""
        text += f" {name if name == 'England' else lv.label}{year}: {value_text(lv.value, row.unit)}."
    return text


def _short(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def breakdown_chart(b: Breakdown, chart_id: str) -> str:
    """Horizontal bars: each category's share of the latest period, labelled `count (share)`; a diamond marks
    the previous period's share."""
    w = 600
    left, label_w, top, bar_h, gap = 196, 110, 24, 15, 7
    pw = w - left - label_w
    n = len(b.categories)
    h = top + n * (bar_h + gap) + 34
    shares = [_num(r.value) or 0.0 for _, r in b.categories]
    prev_shares = [_num(p.value) if (p := b.previous.get(c)) is not None else None for c, _ in b.categories]
    smax = nice_max(max(shares + [p for p in prev_shares if p is not None] + [1.0]))
    desc_bits = []
    for cat, r in b.categories:
        desc_bits.append(f"{cat}: {number_text(r.numerator)} ({value_text(r.value, 'percent')})")
    desc = f"{b.title} ({b.source_label}), {b.period}, share of {number_text(b.total) or 'the total'}: " + "; ".join(desc_bits) + "."
    if b.previous_period:
        desc += f" Diamonds mark the {b.previous_period} share."
    if b.multiple:
        desc += " One case can have several categories: the shares can add up to more than 100%."
    parts = [*_svg_open("bars", w, h, chart_id, f"{b.title}, {b.period}", desc),
             f'<text x="{left}" y="12" class="axis-label">Share of the total, % ({_e(b.period)})</text>']
    for frac in (0, 0.5, 1):
        gx = left + pw * frac
        parts.append(f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="{top - 4}" y2="{h - 30}" stroke="{GRID}"/>')
        parts.append(f'<text x="{gx:.1f}" y="{h - 18}" class="tick" text-anchor="middle">'
                     f'{_e(_tick(smax * frac, "percent"))}</text>')
    for i, (cat, r) in enumerate(b.categories):
        yy = top + i * (bar_h + gap)
        parts.append(f'<text x="{left - 8}" y="{yy + bar_h - 3.5}" class="cat" text-anchor="end">'
                     f'<title>{_e(cat)}</title>{_e(_short(cat))}</text>')
        share = _num(r.value)
        count = r.numerator
        if share is None:
            label = "c (suppressed)" if is_suppressed(r.value) else "–"
        else:
            bw = pw * share / smax
            parts.append(f'<rect x="{left}" y="{yy}" width="{bw:.1f}" height="{bar_h}" fill="{INK}"/>')
            label = f"{number_text(count)} ({value_text(share, 'percent')})"
        end = left + (pw * share / smax if share else 0)
        prev = prev_shares[i]
        if prev is not None:
            px, cy = left + pw * prev / smax, yy + bar_h / 2
            end = max(end, px + 5)  # the label starts clear of the diamond
            parts.append(f'<path d="M{px:.1f} {cy - 6:.1f} L{px + 5:.1f} {cy:.1f} L{px:.1f} {cy + 6:.1f} '
                         f'L{px - 5:.1f} {cy:.1f} Z" fill="#ffffff" stroke="{SN}" stroke-width="1.6"/>')
        parts.append(f'<text x="{end + 5:.1f}" y="{yy + bar_h - 3.5}" class="bar-label">{_e(label)}</text>')
    if b.previous_period:
        ly = h - 5
        parts.append(f'<g class="legend"><rect x="{left}" y="{ly - 8}" width="14" height="9" fill="{INK}"/>'
                     f'<text x="{left + 18}" y="{ly}">{_e(b.period)}</text>'
                     f'<path d="M{left + 130} {ly - 9} L{left + 135} {ly - 4} L{left + 130} {ly + 1} '
                     f'L{left + 125} {ly - 4} Z" fill="#ffffff" stroke="{SN}" stroke-width="1.6"/>'
                     f'<text x="{left + 140}" y="{ly}">{_e(b.previous_period)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)
