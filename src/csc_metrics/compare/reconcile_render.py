"""Renderers for `csc-metrics reconcile`: a rich table, CSV (formula-safe) and markdown. Every verdict is spelled
out; a figure with no verdict says why (its status, or the reason there is no published value)."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from csc_metrics.compare.core import SOURCE_LABELS
from csc_metrics.compare.reconcile import Reconciled
from csc_metrics.compare.render import fmt, runs_lines
from csc_metrics.results import INCOMPLETE_MARK, INCOMPLETE_TEXT

ROW_KEYS = tuple(Reconciled.__dataclass_fields__)
STYLES = {"matches": "green", "matches (rounding)": "green", "within tolerance": "yellow", "differs": "red"}
VERDICT_TEXT = ("matches: equal at the published precision; matches (rounding): within half a unit of the "
                "published value's last digit; within tolerance: the gap is within --tolerance; differs: otherwise. "
                "Only a complete figure gets a verdict.")


def _value(r: dict[str, Any]) -> str:
    mark = INCOMPLETE_MARK if r.get("status") == "incomplete" else ""
    if r.get("value") is None:
        return f"– ({r['status']})" if r.get("status") != "ok" else "–"
    return fmt(r["value"], r["unit"]) + mark


def published_text(r: dict[str, Any]) -> str:
    if r.get("published_value") is None:
        return "–"
    return fmt(r["published_value"], r.get("published_unit") or r["unit"], decimals=r.get("published_decimals"))


def difference_text(r: dict[str, Any]) -> str:
    if r.get("difference") is None:
        return ""
    decimals = max(r.get("published_decimals") or 0, 1 if r.get("unit") not in ("count", "children") else 0)
    return fmt(r["difference"], r["unit"], signed=True, decimals=decimals)


def _proxy(r: dict[str, Any]) -> str:
    if r.get("proxy_status") is None:
        return ""
    mark = INCOMPLETE_MARK if r["proxy_status"] == "incomplete" else ""
    if r.get("proxy_value") is None:
        return f"– ({r['proxy_status']})"
    return fmt(r["proxy_value"], r["unit"]) + mark


def _title(r: dict[str, Any]) -> str:
    return str(r.get("title") or r["indicator"]) + (f" [{r['category']}]" if r.get("category") is not None else "")


def _verdict(r: dict[str, Any]) -> str:
    return r.get("verdict") or "no verdict"


def _notes(rows: list[dict[str, Any]]) -> dict[str, int]:
    notes: dict[str, int] = {}
    for r in rows:
        for text in (r.get("reason"), r.get("proxy_note")):
            if text and text not in notes:
                notes[text] = len(notes) + 1
    return notes


def _refs(r: dict[str, Any], notes: dict[str, int]) -> str:
    return " ".join(f"[{notes[t]}]" for t in (r.get("reason"), r.get("proxy_note")) if t)


def _heading(rec: dict[str, Any]) -> str:
    m = rec["metadata"]
    tol = f"; tolerance {m['tolerance']:g}" if m.get("tolerance") else ""
    return (f"{m['la_name']} ({m['la_code']}): {m['period']} computed from the returns against the published "
            f"{m['published_year']} figures{tol}")


def _counts(rec: dict[str, Any]) -> str:
    c = rec["metadata"]["counts"]
    return ", ".join(f"{c[k]} {k.replace('_', ' ')}" for k in (*STYLES, "no_verdict") if c.get(k)) \
        or "nothing to reconcile"


def _source(r: dict[str, Any]) -> str:
    return SOURCE_LABELS.get(r["source"], r["source"])


def reconcile_rich(rec: dict[str, Any]) -> Group:
    """One table (indicator, source, value, published, difference, verdict, Annex A proxy), then the notes."""
    rows = rec["rows"]
    notes = _notes(rows)
    m = rec["metadata"]
    parts: list[Any] = [Text(_heading(rec), style="bold"),
                        Text(f"Published figures: {m['benchmark_source']}", style="dim")]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("Indicator", min_width=12, ratio=1)
    table.add_column("Source", no_wrap=True)
    table.add_column("Value", justify="right", no_wrap=True)
    table.add_column("Published", justify="right", no_wrap=True)
    table.add_column("Diff.", justify="right", no_wrap=True)
    table.add_column("Verdict", no_wrap=True)
    table.add_column("Annex A", justify="right", no_wrap=True)
    for r in rows:
        verdict = Text(_verdict(r), style=STYLES.get(r.get("verdict") or "", ""))
        refs = _refs(r, notes)
        if refs:
            verdict.append(" " + refs)
        table.add_row(_title(r), _source(r), _value(r), published_text(r), difference_text(r), verdict, _proxy(r))
    if rows:
        parts.append(table)
    parts.append(Text(_counts(rec)))
    parts += [Text(f"[{n}] {text}") for text, n in notes.items()]
    parts += [Text(msg) for msg in m.get("messages") or []]
    parts.append(Text(VERDICT_TEXT, style="dim"))
    if any(r.get("status") == "incomplete" or r.get("proxy_status") == "incomplete" for r in rows):
        parts.append(Text(f"{INCOMPLETE_MARK} {INCOMPLETE_TEXT}", style="dim"))
    parts += [Text(line, style="dim") for line in runs_lines(rec)]
    return Group(*parts)


def reconcile_csv(rec: dict[str, Any]) -> str:
    """One line per figure, every field of the JSON rows plus the LA code; formula-safe (`safe_csv`)."""
    from csc_metrics.safe_csv import write_csv

    la = rec["metadata"]["la_code"]
    return write_csv(["la_code", *ROW_KEYS], ({"la_code": la, **{k: r.get(k) for k in ROW_KEYS}} for r in rec["rows"]))


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|")


def reconcile_markdown(rec: dict[str, Any]) -> str:
    """The table for pasting into a report, the notes as a list."""
    rows = rec["rows"]
    m = rec["metadata"]
    lines = [f"**{_md(_heading(rec))}**", "", f"Published figures: {_md(m['benchmark_source'])}", ""]
    if rows:
        lines += ["| Indicator | Source | Value | Published | Difference | Verdict | Annex A | Notes |",
                  "|---|---|---:|---:|---:|---|---:|---|"]
        for r in rows:
            notes = "; ".join(t for t in (r.get("reason"), r.get("proxy_note")) if t)
            cells = [_title(r), _source(r), _value(r), published_text(r), difference_text(r), _verdict(r), _proxy(r), notes]
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
        lines.append("")
    lines.append(_md(_counts(rec)))
    lines += [f"> {_md(msg)}" for msg in m.get("messages") or []]
    lines += ["", f"_{_md(VERDICT_TEXT)}_"]
    if any(r.get("status") == "incomplete" or r.get("proxy_status") == "incomplete" for r in rows):
        lines.append(f"_{_md(INCOMPLETE_MARK)} {_md(INCOMPLETE_TEXT)}_")
    lines += [f"_{_md(line)}_" for line in runs_lines(rec)]
    return "\n".join(lines).rstrip() + "\n"
