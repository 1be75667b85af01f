"""`csc-metrics reconcile`: one financial year's figures from the SSDA903 and CIN census beside the authority's own
published LAIT values and the Annex A proxy (library: `csc_metrics.compare.reconcile`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from csc_metrics.cli import app
from csc_metrics.cli.common import (
    ConfigOpt,
    DefinitionsOpt,
    LaOpt,
    OutputOpt,
    StoreOpt,
    err_console,
    write_formatted,
)
from csc_metrics.errors import InputError


class ReconcileFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class FailOnDifference(StrEnum):
    difference = "difference"


def merged_results(paths: list[Path]) -> dict[str, Any]:
    """Several saved `compute --format json` payloads as one (a 903 run, a CIN census run, an Annex A run): a
    figure (indicator, period, category, source) in two files is taken from the later file, and said so."""
    from csc_metrics.cli.compare import read_results_file

    payloads = [(p, read_results_file(p)) for p in paths]
    las = {str(la) for _, pl in payloads if (la := (pl.get("metadata") or {}).get("la_code"))}
    if len(las) > 1:
        raise InputError(f"the --results files were computed for different LAs ({', '.join(sorted(las))})",
                         "pass the files of one local authority")
    figures: dict[tuple[Any, ...], dict[str, Any]] = {}
    repeated: set[str] = set()
    for path, pl in payloads:
        for r in pl["results"]:
            if not isinstance(r, dict):
                continue
            key = (r.get("indicator"), r.get("period"), r.get("category"), r.get("source") or "annex_a")
            if key in figures:
                repeated.add(path.name)
            figures[key] = r
    for name in sorted(repeated):
        err_console.print(f"warning: {name} repeats figures of an earlier --results file; its figures are used",
                          highlight=False, markup=False)
    first = payloads[0][1].get("metadata") or {}
    runs = [{"run_id": (pl.get("metadata") or {}).get("run_id") or path.name,
             "as_at": (pl.get("metadata") or {}).get("as_at"),
             "inputs": [{k: i.get(k) for k in ("path", "table", "coverage")}
                        for i in (pl.get("metadata") or {}).get("inputs") or []]} for path, pl in payloads]
    return {"metadata": {"la_code": next(iter(las), None), "run_id": first.get("run_id"), "runs": runs},
            "results": list(figures.values())}


@app.command()
def reconcile(
    period: Annotated[str, typer.Option("--period", "-p", help="The financial year, e.g. 2024-25 (a quarter or "
                                        "month is refused: DfE publishes years ending 31 March).")],
    results: Annotated[list[Path] | None, typer.Option("--results", help="A saved `compute --format json` "
                                                       "(repeatable: the 903, CIN census and Annex A runs) instead "
                                                       "of the history store.")] = None,
    tolerance: Annotated[float, typer.Option("--tolerance", min=0, help="A gap this small is `within tolerance`: "
                                             "percentage points for a percentage, per cent of the published "
                                             "value for a count, rate or average (default 0).")] = 0.0,
    la: LaOpt = None,
    fmt: Annotated[ReconcileFormat, typer.Option("--format", "-f", case_sensitive=False,
                                                 help="table, json, csv or markdown.")] = ReconcileFormat.table,
    output: OutputOpt = None,
    fail_on: Annotated[FailOnDifference | None, typer.Option("--fail-on", help="`difference`: exit 1 when any "
                                                             "figure differs from its published value.")] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    definitions: DefinitionsOpt = None,
) -> None:
    """Reconcile a year's figures from the DfE returns with the authority's own published figures.

    Lists each measure computed from the SSDA903 or the CIN census for the year beside the authority's published
    DfE LAIT value (bundled, no network), the difference and a verdict: **matches** (equal at the published
    precision), **matches (rounding)** (within half a unit of the published value's last digit), **within
    tolerance** (`--tolerance`), **differs**. An incomplete, empty, unavailable or no-data figure gets no verdict
    (its status is shown); a figure with no published value says why (no LAIT measure mapped, published in
    other units, year or LA not published, suppressed). Where the Annex A recipe of the same indicator has a
    figure for the year, it is shown beside it, with whether the two recipes are the same.

    Example:

        csc-metrics compute sample_data/ssda903 sample_data/cin_census_*.xml --la 808 --period year
        csc-metrics reconcile --period 2024-25 --la 808

    Without `--results` the figures come from the history store (every run holding the year).

    Exit codes: 0 success; 1 with `--fail-on difference` when any figure differs; 2 bad options or input
    (e.g. a quarter for --period, an unknown LA code, no stored results for the year).
    """
    from csc_metrics.cli.compare import DEFAULT_STORE, stored_payload
    from csc_metrics.compare.reconcile import any_difference, financial_year, reconcile_results
    from csc_metrics.compare.reconcile_render import reconcile_csv, reconcile_markdown, reconcile_rich
    from csc_metrics.config import load_config

    year = financial_year(period)  # a quarter or month stops here, before anything is read
    cfg = load_config(config)
    if results:
        payload = merged_results(results)
    else:
        payload = stored_payload(store or cfg.store or DEFAULT_STORE, la or cfg.la, year.label)
    rec = reconcile_results(payload, la_code=la or cfg.la, period=year.label, tolerance=tolerance,
                            definitions=definitions or cfg.definitions)
    for message in rec["metadata"]["messages"]:
        err_console.print(f"warning: {message}", highlight=False, markup=False)
    write_formatted(rec, fmt.value, output, csv=reconcile_csv, markdown=reconcile_markdown, rich=reconcile_rich)
    if fail_on is FailOnDifference.difference and any_difference(rec):
        raise typer.Exit(code=1)
