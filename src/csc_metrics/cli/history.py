"""`csc-metrics history`: stored runs, and one indicator's values over periods."""

from __future__ import annotations

import difflib
import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from csc_metrics.cli import app
from csc_metrics.cli.common import (
    ConfigOpt,
    LaOpt,
    OutputOpt,
    SourceChoice,
    StoreOpt,
    err_console,
    write_output,
    write_rich,
)
from csc_metrics.errors import CscError

if TYPE_CHECKING:
    from csc_metrics.store import HistoryStore


class HistoryFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


RUN_FIELDS = ("run_id", "created_at", "tool_version", "la_code", "as_at", "definitions_hash", "n_results")
SERIES_FIELDS = (
    "period",
    "period_start",
    "period_end",
    "granularity",
    "category",
    "value",
    "numerator",
    "denominator",
    "unit",
    "status",
    "complete",
    "annualised",
    "as_at",
    "source",
    "run_id",
    "created_at",
)


@app.command()
def history(
    indicator: Annotated[
        str | None, typer.Option("--indicator", "-i", help="Show this indicator's values over periods.")
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="For a breakdown indicator: the category code, e.g. 6.")
    ] = None,
    all_runs: Annotated[
        bool, typer.Option("--all-runs", help="With --indicator: also show figures later runs superseded.")
    ] = False,
    source: Annotated[
        SourceChoice | None, typer.Option("--source", help="With --indicator: only the figures of this source "
                                          "(annex_a, ssda903, cin_census); default every source stored, each "
                                          "its own series (figures of two sources are never one series).")
    ] = None,
    store: StoreOpt = None,
    la: LaOpt = None,
    fmt: Annotated[
        HistoryFormat, typer.Option("--format", "-f", case_sensitive=False, help="table, json or csv.")
    ] = HistoryFormat.table,
    output: OutputOpt = None,
    config: ConfigOpt = None,
) -> None:
    """List the runs in the history store, or show one indicator's values over periods.

    Every `csc-metrics compute` records a run (inputs with their sha256, definitions hash, results).
    When several runs cover a period, the latest one is shown (a complete figure beats a later
    incomplete one); `--all-runs` shows the superseded figures as well.

    **Examples**

    ```
    csc-metrics history
    csc-metrics history --indicator re_referrals_12m
    csc-metrics history -i referrals_by_source --category 6 --format csv -o sources.csv
    ```

    **Exit codes:** 0 success (also when nothing is stored yet); 2 the store named by `--store`,
    `CSC_METRICS_STORE` or the config file does not exist or is unreadable, or an unknown indicator or
    category.
    """
    from csc_metrics.config import load_config
    from csc_metrics.store import HistoryStore, resolve_store_path

    cfg = load_config(config)
    path, explicit = resolve_store_path(store, cfg.store)
    la_code = la or cfg.la
    if not path.exists():
        if explicit:
            raise CscError(
                f"{path}: history store not found",
                "check --store / CSC_METRICS_STORE, or run `csc-metrics compute` to create it",
            )
        _nothing_yet(path, fmt, output, indicator)
        return
    hs = HistoryStore(path)
    if indicator is None:
        runs = hs.runs(la_code)
        if not runs:
            _nothing_yet(path, fmt, output, None, la_code)
            return
        _show_runs(runs, path, fmt, output)
        return
    if not hs.runs(la_code):
        _nothing_yet(path, fmt, output, indicator, la_code)
        return
    stored = hs.sources(indicator, la_code)
    wanted = [source.value] if source else stored
    series = {src: hs.series(indicator, la_code, category, all_runs=all_runs, source=src) for src in wanted}
    _check_indicator(hs, indicator, category, la_code,
                     None if all_runs else [r for rows in series.values() for r in rows])
    if source and source.value not in stored:
        from csc_metrics.compare import SOURCE_LABELS

        raise CscError(f"`{indicator}` has no stored figures from {SOURCE_LABELS[source.value]}",
                       f"it has figures from {', '.join(SOURCE_LABELS.get(s, s) for s in stored)}: drop --source "
                       "or choose one of them")
    _show_series(series, indicator, category, path, fmt, output, all_runs)


def _nothing_yet(
    path: Path, fmt: HistoryFormat, output: Path | None, indicator: str | None, la_code: str | None = None
) -> None:
    who = f" for LA {la_code}" if la_code else ""
    err_console.print(f"No runs stored{who} in {path} yet: run `csc-metrics compute PATH...` first.")
    if fmt is HistoryFormat.json:
        key = "series" if indicator else "runs"
        write_output(json.dumps({"schema_version": 1, "store": str(path), key: []}, indent=2), output)
    elif fmt is HistoryFormat.csv:
        write_output(_csv([], SERIES_FIELDS if indicator else (*RUN_FIELDS, "inputs")), output)


def _check_indicator(hs: HistoryStore, indicator: str, category: str | None, la_code: str | None,
                     latest: list[dict[str, Any]] | None) -> None:
    """`latest`: the series already read (latest run per period), if it was."""
    stored = hs.indicators(la_code)
    if indicator not in stored:
        close = difflib.get_close_matches(indicator, list(stored), n=3)
        hint = (
            f"did you mean {', '.join(close)}?" if close else "`csc-metrics history --format json` lists runs"
        )
        raise CscError(f"indicator `{indicator}` has no stored results", hint)
    categories = stored[indicator]
    if category is None and categories and not (latest if latest is not None else hs.series(indicator, la_code, None)):
        raise CscError(
            f"`{indicator}` is a breakdown: choose a category", f"--category one of {', '.join(categories)}"
        )
    if category is not None and category not in categories:
        options = f"--category one of {', '.join(categories)}" if categories else "drop --category"
        raise CscError(f"`{indicator}` has no stored category `{category}`", options)


def _csv(rows: list[dict[str, Any]], fields: tuple[str, ...]) -> str:
    from csc_metrics.safe_csv import write_csv

    return write_csv(fields, rows, extrasaction="ignore")  # formula-safe


def _show_runs(runs: list[dict[str, Any]], path: Path, fmt: HistoryFormat, output: Path | None) -> None:
    if fmt is HistoryFormat.json:
        write_output(json.dumps({"schema_version": 1, "store": str(path), "runs": runs}, indent=2), output)
        return
    if fmt is HistoryFormat.csv:
        flat = [r | {"inputs": ";".join(f"{i['table']}:{i['sha256']}" for i in r["inputs"])} for r in runs]
        write_output(_csv(flat, (*RUN_FIELDS, "inputs")), output)
        return
    headers = ("Run", "Time (UTC)", "LA", "As at", "Defs", "Inputs", "Results")
    cells = [
        (
            r["run_id"][:8],
            (r["created_at"] or "")[:16].replace("T", " "),
            r["la_code"] or "-",
            r["as_at"] or "-",
            (r["definitions_hash"] or "-").removeprefix("sha256:")[:8],
            str(len(r["inputs"])),
            str(r["n_results"]),
        )
        for r in runs
    ]
    write_rich(_table("Stored runs", f"{path} (oldest first)", headers, cells, n_left=5), output)


def _fmt_number(v: Any, unit: str | None) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and not (unit in ("count", "children") and v.is_integer()):
        return f"{v:,.1f}"
    return f"{int(v):,}"


def _show_series(
    series: dict[str, list[dict[str, Any]]],
    indicator: str,
    category: str | None,
    path: Path,
    fmt: HistoryFormat,
    output: Path | None,
    all_runs: bool,
) -> None:
    """One series per source (DfE returns first), each labelled: JSON `sources` (and `series`/`source`: the
    first of them, as before), CSV rows with a `source` column, one table per source."""
    from rich.console import Group

    from csc_metrics.compare import SOURCE_LABELS
    from csc_metrics.results import INCOMPLETE_MARK, INCOMPLETE_TEXT

    fields = (*SERIES_FIELDS, "superseded") if all_runs else SERIES_FIELDS
    first = next(iter(series), None)
    if fmt is HistoryFormat.json:
        doc = {
            "schema_version": 1,
            "store": str(path),
            "indicator": indicator,
            "category": category,
            "source": first,
            "series": [{k: r.get(k) for k in fields} for r in series.get(first or "", [])],
            "sources": [{"source": src, "label": SOURCE_LABELS.get(src, src),
                         "series": [{k: r.get(k) for k in fields} for r in rows]} for src, rows in series.items()],
        }
        write_output(json.dumps(doc, indent=2), output)
        return
    if fmt is HistoryFormat.csv:
        write_output(_csv([r for rows in series.values() for r in rows], fields), output)
        return
    tables = []
    for src, rows in series.items():
        unit = rows[0]["unit"] if rows else None
        title = indicator + (f" [{category}]" if category else "") + f" ({SOURCE_LABELS.get(src, src)})"
        headers = ("Period", "Value", "Numerator", "Denominator", "Status", "Run") + (
            ("Shown",) if all_runs else ()
        )
        cells = []
        for r in rows:
            mark = INCOMPLETE_MARK if r["status"] == "incomplete" else ""
            row = [
                r["period"],
                _fmt_number(r["value"], r["unit"]) + mark,
                _fmt_number(r["numerator"], "count"),
                _fmt_number(r["denominator"], "count"),
                r["status"] or "-",
                r["run_id"][:8],
            ]
            if all_runs:
                row.append("superseded" if r["superseded"] else "latest")
            cells.append(row)
        caption = f"{path}; source: {SOURCE_LABELS.get(src, src)}" + (f"; unit: {unit}" if unit else "")
        if len(series) > 1:
            caption += "; a separate series: figures of two sources are never one trend line"
        if any(r["status"] == "incomplete" for r in rows):
            caption += f"\n{INCOMPLETE_MARK} {INCOMPLETE_TEXT}"
        tables.append(_table(title, caption, headers, cells, n_left=1, right=(1, 2, 3)))
    write_rich(Group(*tables), output)


def _table(
    title: str,
    caption: str,
    headers: tuple[str, ...],
    cells: list[Any],
    n_left: int,
    right: tuple[int, ...] | None = None,
) -> Table:
    """A table whose columns never shrink below their widest cell (numbers and ids are not truncated)."""
    right = right if right is not None else tuple(range(n_left, len(headers)))
    table = Table(
        title=title, caption=caption, box=box.SIMPLE_HEAD, title_justify="left", caption_justify="left"
    )
    for i, name in enumerate(headers):
        width = max([len(name), *(len(str(row[i])) for row in cells)])
        table.add_column(name, justify="right" if i in right else "left", no_wrap=True, min_width=width)
    for row in cells:
        table.add_row(*(str(c) for c in row))
    return table


