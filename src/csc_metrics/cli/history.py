"""`csc-metrics history`: stored runs, and one indicator over periods."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated

import typer
from rich.table import Table

from csc_metrics.cli import app
from csc_metrics.cli.common import ConfigOpt, Format, LaOpt, StoreOpt, console, err_console, write_output
from csc_metrics.config import load_config
from csc_metrics.errors import CscError
from csc_metrics.report.format import fmt_value
from csc_metrics.store import HistoryStore, default_store_path


@app.command()
def history(
    indicator: Annotated[str | None, typer.Option("--indicator", "-i", help="Show this indicator over periods.")] = None,
    category: Annotated[str | None, typer.Option("--category", help="Category of a breakdown, e.g. 6.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")] = Format.table,
    la: LaOpt = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> None:
    """List the runs in the history store, or show one indicator over periods (the latest run wins for each
    period; earlier runs stay stored).

    Example: `csc-metrics history --indicator re_referrals_12m`

    Exit codes: 0 success, 2 the store cannot be read or an explicit --store does not exist.
    """
    cfg = load_config(config)
    path = store or cfg.store or default_store_path()
    if store is not None and not path.exists():
        raise CscError(f"{path}: no history store here", "check --store, or run `csc-metrics compute` first")
    if not path.exists():
        err_console.print(f"No history yet ({path}): run `csc-metrics compute` first.")
        return
    hs = HistoryStore(path)
    la_code = la or cfg.la
    if indicator:
        rows = hs.series(indicator, la_code, category)
        if not rows:
            raise CscError(f"no stored results for `{indicator}`", "check the id, or run `csc-metrics compute`")
        keys = ["period", "value", "numerator", "denominator", "status", "run_id", "created_at"]
    else:
        rows = hs.runs(la_code)
        keys = ["run_id", "created_at", "la_code", "as_at", "tool_version", "definitions_hash", "n_results"]
    if fmt is Format.json:
        write_output(json.dumps(rows, indent=2), None)
    elif fmt is Format.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        write_output(buf.getvalue(), None)
    else:
        table = Table(title=f"{indicator}{f' ({category})' if category else ''} over periods" if indicator
                      else f"Stored runs ({path})", title_justify="left")
        if indicator:
            for name in ("Period", "Value", "Numerator", "Denominator", "Status", "Run"):
                table.add_column(name, justify="right" if name in ("Value", "Numerator", "Denominator") else "left")
            for r in rows:
                table.add_row(r["period"], fmt_value(r["value"], "number"),
                              "" if r["numerator"] is None else f"{r['numerator']:,.0f}",
                              "" if r["denominator"] is None else f"{r['denominator']:,.0f}", r["status"],
                              r["run_id"][:8])
        else:
            for name in ("Run", "Time (UTC)", "LA", "As at", "Inputs", "Results"):
                table.add_column(name)
            for r in rows:
                tables = ", ".join(sorted({i["table"].replace("annex_a_", "") for i in r["inputs"]}))
                table.add_row(r["run_id"][:8], r["created_at"], r["la_code"] or "–", r["as_at"], tables,
                              str(r["n_results"]))
        console.print(table)
