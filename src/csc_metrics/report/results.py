"""Render `compute` results: a rich table per section (the Cabinet layout), csv, markdown, json."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from csc_metrics.report.format import (
    SECTION_TITLES,
    SECTIONS,
    fmt_change,
    fmt_fraction,
    fmt_result,
)
from csc_metrics.results import (
    DEFAULT_MIN_BASE,
    INCOMPLETE_MARK,
    INCOMPLETE_TEXT,
    MIN_CASES,
    SMALL_BASE_TEXT,
    Finding,
    Result,
    findings_of,
)

CSV_FIELDS = [
    "indicator", "title", "section", "kind", "period", "period_start", "period_end", "complete", "as_at",
    "category", "numerator", "denominator", "value", "unit", "annualised", "polarity", "previous_period",
    "previous_value", "change", "direction", "assessment", "status", "warnings", "source",
]
SOURCE_NAMES = {"annex_a": "Annex A", "ssda903": "SSDA903", "cin_census": "CIN census"}


def latest_periods(payload: dict[str, Any], n: int) -> list[str]:
    return payload["metadata"].get("periods", [])[-n:]


def latest_ok(cells: dict[str, dict[str, Any]], periods: list[str]) -> dict[str, Any] | None:
    """The latest fully covered result: a change from a part-covered quarter would mislead."""
    return next((cells[p] for p in reversed(periods) if p in cells and cells[p]["status"] == "ok"), None)


def change_text(cells: dict[str, dict[str, Any]], periods: list[str]) -> tuple[str, str | None]:
    """The Change column: the change of the latest fully covered result, and its assessment. When a later
    period is shown (incomplete, empty), the change is labelled with its own period ("▲ 5.0 pts better (Q2)"),
    so it is never read as the change into the figure beside it."""
    latest = latest_ok(cells, periods)
    if latest is None:
        return "", None
    change = fmt_change(Result.from_dict(latest))
    last_shown = next((p for p in reversed(periods) if p in cells), None)
    if change and last_shown != latest["period"]:
        label = latest["period"]
        change += f" ({label.split(' ')[-1]})"  # "(Q2)": the quarter or month of the row's own label
    return change, latest["assessment"]


def no_data_line(payload: dict[str, Any], periods: list[str] | None = None) -> str | None:
    """Indicators not computed in the `periods` shown (default: every period), listed once per absent list, and
    once per other reason (rates without an LA; a table holding no day of an earlier period is not news in a
    table of the latest ones)."""
    missing: dict[str, set[str]] = defaultdict(set)
    other: dict[str, set[str]] = defaultdict(set)
    for r in payload["results"]:
        if r["status"] == "no_data" and (periods is None or r["period"] in periods):
            findings = findings_of(r) or [Finding(code="", args={"text": "no data"})]
            first = findings[0]
            table = first.args.get("table") if first.code == "CSC305" else None
            (missing[table] if table else other[first.render()]).add(r["indicator"])
    if not missing and not other:
        return None

    def counted(groups: dict[str, set[str]]) -> str:
        return ", ".join(f"{key} ({len(ids)} indicator{'s' if len(ids) > 1 else ''})" for key, ids in groups.items())

    lines = (["Not computed, list not in the inputs: " + counted(missing)] if missing else []) + \
            (["Not computed: " + counted(other)] if other else [])
    return "\n".join(lines)


def _title(cells: dict[str, dict[str, Any]]) -> str:
    """The indicator's title; `(annualised)` when a sub-annual rate shown is scaled to a year."""
    first = next(iter(cells.values()))
    return first["title"] + (" (annualised)" if any(r.get("annualised") for r in cells.values()) else "")


def mixed_sources(payload: dict[str, Any]) -> bool:
    """True when the figures shown come from more than one source (Annex A and a return): each row says its own."""
    return len({r.get("source", "annex_a") for r in payload["results"] if r["status"] != "no_data"}) > 1


def _source(cells: dict[str, dict[str, Any]]) -> str:
    src = next(iter(cells.values())).get("source", "annex_a")
    return SOURCE_NAMES.get(src, src)


def _small(r: dict[str, Any], min_base: int) -> bool:
    return r.get("value") is not None and Result.from_dict(r).small_base(min_base)


def _style(assessment: str | None) -> str:
    return {"better": "green", "worse": "red"}.get(assessment or "", "")


def shown_periods(payload: dict[str, Any], n_periods: int, width: int) -> list[str]:
    """The period columns a terminal of `width` shows: the latest `n_periods`, fewer when narrow."""
    source_width = 13 if mixed_sources(payload) else 0  # "CIN census" and its padding
    return latest_periods(payload, max(1, min(n_periods, (width - 42 - source_width) // 13)))


def section_tables(payload: dict[str, Any], n_periods: int = 4, width: int = 120,
                   min_base: int = DEFAULT_MIN_BASE) -> list[Table]:
    """One table per section: indicators as rows, the latest periods as columns, then the latest change.
    Narrow terminals get fewer period columns rather than cropped ones; figures on fewer than `min_base`
    cases (the config's `min_base`) are marked small base."""
    sourced = mixed_sources(payload)
    source_width = 13 if sourced else 0  # "CIN census" and its padding
    periods = shown_periods(payload, n_periods, width)
    by_ind: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    breakdowns: dict[str, list[dict[str, Any]]] = defaultdict(list)
    order: list[str] = []
    for r in payload["results"]:
        if r["status"] == "no_data":
            continue
        if r["category"] is not None:
            breakdowns[r["indicator"]].append(r)
            continue
        if r["indicator"] not in by_ind:
            order.append(r["indicator"])
        by_ind[r["indicator"]][r["period"]] = r
    tables: list[Table] = []
    titles = [next(iter(c.values()))["title"] for c in by_ind.values()]
    # one indicator-column width for every section, within the terminal
    name_width = max(16, min(44, max(map(len, titles), default=16), width - 13 * len(periods) - 24 - source_width))
    for section in SECTIONS:
        ids = [i for i in order if next(iter(by_ind[i].values()))["section"] == section]
        if not ids:
            continue
        table = Table(title=SECTION_TITLES[section], title_justify="left", title_style="bold", expand=False)
        table.add_column("Indicator", width=name_width)
        if sourced:
            table.add_column("Source", no_wrap=True)
        for p in periods:
            table.add_column(p, justify="right", no_wrap=True)
        table.add_column("Change", min_width=10)
        for ind_id in ids:
            cells = by_ind[ind_id]
            row: list[Any] = [_title(cells), *([_source(cells)] if sourced else [])]
            for p in periods:
                r = cells.get(p)
                if r is None:
                    row.append("")
                    continue
                text = Text(fmt_result(r))
                frac = fmt_fraction(r)
                if frac:
                    text.append("\n" + frac + (f" {SMALL_BASE_TEXT}" if _small(r, min_base) else ""), style="dim")
                row.append(text)
            change, assessment = change_text(cells, periods)
            row.append(Text(change, style=_style(assessment) if change else ""))
            table.add_row(*row)
        tables.append(table)
    for ind_id, rows in breakdowns.items():
        tables.append(breakdown_table(ind_id, rows, periods))
    return tables


def breakdown_table(ind_id: str, rows: list[dict[str, Any]], periods: list[str]) -> Table:
    """A small table per breakdown: categories as rows, count and share per period."""
    shown = [p for p in periods if any(r["period"] == p for r in rows)] or sorted({r["period"] for r in rows})[-1:]
    table = Table(title=rows[0]["title"], title_justify="left", title_style="bold")
    table.add_column("Category")
    for p in shown:
        table.add_column(p, justify="right", no_wrap=True)
    cells = {(r["category"], r["period"]): r for r in rows}
    for cat in dict.fromkeys(r["category"] for r in rows):
        if not any((cells.get((cat, p)) or {}).get("numerator") for p in shown):
            continue  # categories with nothing in the periods shown (the JSON keeps them)
        label = next((r.get("category_label") for r in rows if r["category"] == cat and r.get("category_label")), None)
        line: list[Any] = [f"{cat}: {label}" if label else cat]
        for p in shown:
            r = cells.get((cat, p))
            if r is None:
                line.append("")
            elif r["status"] in ("no_data", "empty"):
                line.append(fmt_result(r))
            else:
                line.append(f"{r['numerator']:,} ({fmt_result(r)})")
        table.add_row(*line)
    return table


def caption(payload: dict[str, Any], min_base: int = DEFAULT_MIN_BASE) -> str:
    meta = payload["metadata"]
    la = meta.get("la_code") or "not set (rates need --la)"
    inputs = meta.get("inputs", [])
    return (f"LA {la} · as at {meta['as_at']} · {len({i.get('path', n) for n, i in enumerate(inputs)})} input file(s): "
            f"{_tables_read(inputs)} · definitions "
            f"{meta['definitions_hash'][7:19]} · ▲/▼ change from the previous period (as shown, rounded; '(Q2)': the change "
            f"into that period, the latest fully covered one), "
            f"better/worse by polarity · {INCOMPLETE_MARK} {INCOMPLETE_TEXT} · {SMALL_BASE_TEXT}: fewer than {min_base} "
            f"cases (means and medians: {MIN_CASES}) · (annualised): a sub-annual rate scaled to a year · n/a: not "
            f"available from these inputs (the reason is in --format json and explain)")


def _tables_read(inputs: list[dict[str, Any]]) -> str:
    """The tables read: Annex A lists by name, each return as its name and number of tables (a CIN census XML
    holds eleven, read from one file)."""
    tables = sorted({i["table"] for i in inputs})
    returns = {"ssda903": [t for t in tables if t.startswith("ssda903_")],
               "cin_census": [t for t in tables if t.startswith("cin_")]}
    named = [t for t in tables if not any(t in group for group in returns.values())]
    counted = [f"{SOURCE_NAMES[src]} ({len(group)} tables)" for src, group in returns.items() if group]
    return ", ".join(named + counted)


def render_table(payload: dict[str, Any], console: Console, n_periods: int = 4,
                 min_base: int = DEFAULT_MIN_BASE) -> None:
    console.print(Group(*section_tables(payload, n_periods, console.width, min_base)))
    console.print(Text(caption(payload, min_base), style="dim"))
    missing = no_data_line(payload, shown_periods(payload, n_periods, console.width))
    if missing:
        console.print(Text(missing, style="dim"))


def render_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, default=str)


def render_csv(payload: dict[str, Any]) -> str:
    """One line per result, formula-safe (`safe_csv`)."""
    from csc_metrics.safe_csv import write_csv

    return write_csv(CSV_FIELDS, ({**r, "warnings": "; ".join(r["warnings"])} for r in payload["results"]),
                     extrasaction="ignore")


def render_markdown(payload: dict[str, Any], n_periods: int = 4, min_base: int = DEFAULT_MIN_BASE) -> str:
    periods = latest_periods(payload, n_periods)
    sourced = mixed_sources(payload)
    lines: list[str] = []
    for section in SECTIONS:
        rows = [r for r in payload["results"]
                if r["section"] == section and r["category"] is None and r["status"] != "no_data"]
        if not rows:
            continue
        lines += [f"## {SECTION_TITLES[section]}", "",
                  "| Indicator | " + ("Source | " if sourced else "") + " | ".join(periods) + " | Change |",
                  "|---|" + ("---|" if sourced else "") + "---:|" * len(periods) + "---|"]
        by_ind: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for r in rows:
            by_ind[r["indicator"]][r["period"]] = r
        for cells in by_ind.values():
            vals = [fmt_result(cells[p]) if p in cells else "" for p in periods]
            source = f"{_source(cells)} | " if sourced else ""
            lines.append(f"| {_title(cells)} | {source}" + " | ".join(vals) + f" | {change_text(cells, periods)[0]} |")
        lines.append("")
    lines.append(f"_{caption(payload, min_base)}_")
    missing = no_data_line(payload, periods)
    if missing:
        lines += ["", f"_{missing}_"]
    return "\n".join(lines) + "\n"
