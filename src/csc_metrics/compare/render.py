"""Renderers for `compare` and `benchmarks`: rich tables, CSV and markdown. Meaning never depends on colour:
every judgement is spelled out ("▲ better", "▼ worse")."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from csc_metrics.compare.core import ROW_KEYS, SOURCE_LABELS
from csc_metrics.results import INCOMPLETE_MARK, INCOMPLETE_TEXT, shown_change
from csc_metrics.spec.sections import Section

SECTIONS = tuple(s.value for s in Section)

MARKS = {"better": "▲ better", "worse": "▼ worse", "same": "= same"}
STYLES = {"better": "green", "worse": "red"}


def fmt(value: Any, unit: str | None = None, *, signed: bool = False, decimals: int | None = None) -> str:
    """Numbers as a report shows them: counts whole (1 dp for means), everything else 1 dp."""
    if value is None:
        return "–"
    x = float(value)
    if decimals is None:
        decimals = 0 if unit in ("count", "children") and x.is_integer() else 1
    text = f"{x:+,.{decimals}f}" if signed else f"{x:,.{decimals}f}"
    return text + ("%" if unit == "percent" and not signed else "")


def _mark(assessment: str | None) -> str:
    return MARKS.get(assessment or "", "")


def _mark_incomplete(c: dict[str, Any]) -> str:
    return INCOMPLETE_MARK if c.get("status") == "incomplete" else ""


def _gap(c: dict[str, Any]) -> str:
    """The gap between the values shown (so `10.0%` against `10.0%` is `+0.0`, never a verdict)."""
    if c.get("difference") is None:
        return ""
    gap = shown_change(c["value"], c["benchmark_value"], c["unit"] or "count")
    return fmt(gap, c["unit"], signed=True) if gap is not None else str(c["difference"])


def source_label(c: dict[str, Any]) -> str:
    """`Annex A`, `SSDA903` or `CIN census`: where the local figure came from."""
    src = str(c.get("source") or "annex_a")
    return SOURCE_LABELS.get(src, src)


def _title(c: dict[str, Any]) -> str:
    title = str(c.get("title") or c["indicator"])
    if c.get("category") is not None:
        title += f" [{c['category']}]"
    return title


def by_section(compared: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(section, comparisons) in catalogue order (inputs, processes, outputs), anything else last as `other`."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for c in compared.get("comparisons") or []:
        section = str(c.get("section") or "other").lower()
        groups.setdefault(section if section in SECTIONS else "other", []).append(c)
    return [(s, groups[s]) for s in [*SECTIONS, "other"] if s in groups]


def _sections(compared: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [(s.capitalize(), rows) for s, rows in by_section(compared)]


def _heading(compared: dict[str, Any]) -> str:
    m = compared["metadata"]
    periods = ", ".join(m.get("periods") or []) or "no periods"
    return f"{m['la_name']} ({m['la_code']}), {m['region']}: period {periods}"


def _notes(compared: dict[str, Any]) -> dict[str, int]:
    notes: dict[str, int] = {}
    for c in compared["comparisons"]:
        for text in (c.get("reason"), c.get("note")):
            if text and text not in notes:
                notes[text] = len(notes) + 1
    return notes


def _refs(c: dict[str, Any], notes: dict[str, int]) -> str:
    return " ".join(f"[{notes[t]}]" for t in (c.get("reason"), c.get("note")) if t)


def _year_label(c: dict[str, Any], years: set[Any]) -> str:
    label = c.get("benchmark_label") or c["benchmark"]
    if c.get("benchmark_year") and len(years) > 1:
        label += f" {c['benchmark_year']}"
    return label


def runs_lines(compared: dict[str, Any]) -> list[str]:
    """One line per stored run whose figures were compared: its id, as-at date and inputs."""
    lines = []
    for run in compared["metadata"].get("runs") or []:
        inputs = "; ".join(f"{i['path']} ({i['table']}" + (f", {i['coverage'][0]} to {i['coverage'][1]})"
                                                          if i.get("coverage") else ")") for i in run["inputs"])
        lines.append(f"Figures from run {run['run_id'][:8]} (as at {run['as_at']}): {inputs or 'no inputs recorded'}")
    return lines


def compare_rich(compared: dict[str, Any]) -> Group:
    """One table per section (Inputs, Processes, Outputs), then the numbered notes and any messages.

    Fits 80 columns: numbers never wrap; the year is in the heading (or beside the benchmark when years differ).
    """
    notes = _notes(compared)
    m = compared["metadata"]
    years = {c["benchmark_year"] for c in compared["comparisons"] if c.get("benchmark_year")}
    heading = _heading(compared) + (f"; published year {next(iter(years))}" if len(years) == 1 else "")
    parts: list[Any] = [Text(heading, style="bold"),
                        Text(f"{m['sn_model']}; published figures: {m['benchmark_source']}", style="dim")]
    for section, rows in _sections(compared):
        table = Table(title=section, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                      pad_edge=False, collapse_padding=True)
        table.add_column("Indicator", min_width=12, ratio=1)
        table.add_column("Source", no_wrap=True)
        table.add_column("Value", justify="right", no_wrap=True)
        table.add_column("Benchmark", no_wrap=True)
        table.add_column("Figure", justify="right", no_wrap=True)
        table.add_column("Gap", justify="right", no_wrap=True)
        table.add_column("Verdict", no_wrap=True)
        table.add_column("Band/rank", no_wrap=True)
        for i, c in enumerate(rows):
            key = (c["indicator"], c.get("category"))
            first = i == 0 or (rows[i - 1]["indicator"], rows[i - 1].get("category")) != key
            last = i == len(rows) - 1 or (rows[i + 1]["indicator"], rows[i + 1].get("category")) != key
            verdict = Text(_mark(c["assessment"]) or ("no value" if c.get("reason") else ""),
                           style=STYLES.get(c["assessment"] or "", ""))
            refs = _refs(c, notes)
            if refs:
                verdict.append(" " + refs)
            rank = f"{c['rank']}/{c['ranked_of']}" if c.get("rank") else ""
            band_rank = " ".join(x for x in (c.get("quartile_band") or "", rank) if x) if first else ""
            table.add_row(
                _title(c) if first else "",
                source_label(c) if first else "",
                fmt(c["value"], c["unit"]) + _mark_incomplete(c) if first else "",
                _year_label(c, years),
                fmt(c["benchmark_value"], c["unit"]),
                _gap(c),
                verdict,
                band_rank,
                end_section=last,
            )
        parts.append(table)
    if not compared["comparisons"]:
        parts.append(Text("No results with a benchmark or target to compare."))
    for text, n in notes.items():
        parts.append(Text(f"[{n}] {text}"))
    without = m.get("indicators_without_benchmark") or []
    if without:
        parts.append(Text(f"No benchmark or target for: {', '.join(without)}", style="dim"))
    parts.append(Text("Band: LAIT quartile band, A = best quarter of LAs; rank 1 = best; only for a complete "
                      "financial year's rate or percentage against the same published year. Verdicts compare the "
                      "values as shown (1 dp); an incomplete figure (status incomplete) is never judged.",
                      style="dim"))
    if any(c.get("status") == "incomplete" for c in compared["comparisons"]):
        parts.append(Text(f"{INCOMPLETE_MARK} {INCOMPLETE_TEXT}", style="dim"))
    parts += [Text(line, style="dim") for line in runs_lines(compared)]
    return Group(*parts)


def compare_csv(compared: dict[str, Any]) -> str:
    """One line per comparison, every field of the JSON rows, plus the LA code; formula-safe (`safe_csv`)."""
    from csc_metrics.safe_csv import write_csv

    la = compared["metadata"]["la_code"]
    return write_csv(["la_code", *ROW_KEYS],
                     ({"la_code": la, **{k: c.get(k) for k in ROW_KEYS}} for c in compared["comparisons"]))


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|")


def compare_markdown(compared: dict[str, Any]) -> str:
    """A markdown section per section of the catalogue, for pasting into a report."""
    m = compared["metadata"]
    lines = [f"**{_md(_heading(compared))}**", "", f"{_md(m['sn_model'])}; published figures: "
             f"{_md(m['benchmark_source'])}", ""]
    for section, rows in _sections(compared):
        lines += [f"### {section}", "",
                  "| Indicator | Source | Value | Benchmark | Year | Figure | Gap | Verdict | Band | Rank | Notes |",
                  "|---|---|---:|---|---:|---:|---:|---|:-:|---:|---|"]
        for c in rows:
            rank = f"{c['rank']}/{c['ranked_of']}" if c.get("rank") else ""
            verdict = _mark(c["assessment"]) or ("no value" if c.get("reason") else "")
            notes = "; ".join(t for t in (c.get("reason"), c.get("note")) if t)
            cells = [_title(c), source_label(c), fmt(c["value"], c["unit"]) + _mark_incomplete(c),
                     c.get("benchmark_label") or c["benchmark"],
                     c["benchmark_year"] or "", fmt(c["benchmark_value"], c["unit"]),
                     _gap(c), verdict, c.get("quartile_band") or "", rank, notes]
            lines.append("| " + " | ".join(_md(x) for x in cells) + " |")
        lines.append("")
    for message in compared["metadata"].get("messages") or []:
        lines.append(f"> {_md(message)}")
    if any(c.get("status") == "incomplete" for c in compared["comparisons"]):
        lines += ["", f"_{_md(INCOMPLETE_MARK)} {_md(INCOMPLETE_TEXT)}_"]
    lines += ["", *(f"_{_md(line)}_" for line in runs_lines(compared))]
    return "\n".join(lines).rstrip() + "\n"


# ---- benchmarks (a published series) ---------------------------------------------------------------------

SERIES_COLUMNS = ("year", "value", "england", "region", "sn_mean", "sn_values_used", "sn_median",
                  "quartile_band", "rank", "ranked_of", "reason")


def _series_cells(series: dict[str, Any], row: dict[str, Any]) -> list[str]:
    m = series["metadata"]
    d = m["decimals"]
    rank = f"{row['rank']}/{row['ranked_of']}" if row.get("rank") else ""
    sn = fmt(row["sn_mean"], decimals=max(d, 1)) + (f" ({row['sn_values_used']})" if row["sn_mean"] is not None else "")
    own = fmt(row["value"], decimals=d) if row["value"] is not None else f"– ({row['reason']})"
    return [str(row["year"]), own, fmt(row["england"], decimals=d), fmt(row["region"], decimals=d), sn,
            fmt(row["sn_median"], decimals=max(d, 1)), row.get("quartile_band") or "", rank]


def _series_headers(series: dict[str, Any]) -> list[str]:
    m = series["metadata"]
    return ["Year", m["la_name"], "England", m["region"], "SN mean (n)", "SN median", "Band", "Rank"]


def series_rich(series: dict[str, Any]) -> Group:
    m = series["metadata"]
    table = Table(title=f"{m['measure']}: {m['measure_name']} (polarity {m['polarity']})", title_justify="left")
    for i, header in enumerate(_series_headers(series)):
        table.add_column(header, justify="left" if i == 0 else "right")
    for row in series["series"]:
        table.add_row(*_series_cells(series, row))
    footer = [Text(f"{m['sn_model']}; source: {m['benchmark_source']}", style="dim")]
    footer += [Text(msg) for msg in m.get("messages") or []]
    return Group(table, *footer)


def series_csv(series: dict[str, Any]) -> str:
    """One line per year of a benchmark series; formula-safe (`safe_csv`)."""
    from csc_metrics.safe_csv import write_csv

    m = series["metadata"]
    return write_csv(["la_code", "measure", *SERIES_COLUMNS],
                     ({"la_code": m["la_code"], "measure": m["measure"], **{k: row.get(k) for k in SERIES_COLUMNS}}
                      for row in series["series"]))


def series_markdown(series: dict[str, Any]) -> str:
    m = series["metadata"]
    headers = _series_headers(series)
    lines = [f"**{_md(m['measure'])}: {_md(m['measure_name'])}** ({_md(m['la_name'])}, {_md(m['sn_model'])})", "",
             "| " + " | ".join(_md(h) for h in headers) + " |", "|---|" + "---:|" * (len(headers) - 1)]
    lines += ["| " + " | ".join(_md(c) for c in _series_cells(series, row)) + " |" for row in series["series"]]
    return "\n".join(lines) + "\n"
