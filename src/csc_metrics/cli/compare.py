"""`csc-metrics compare`: computed results against England, region, statistical neighbours, published figures
and targets."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from csc_metrics.cli import app
from csc_metrics.cli.common import (
    ConfigOpt,
    DefinitionsOpt,
    Format,
    LaOpt,
    OutputOpt,
    SourceChoice,
    StoreOpt,
    err_console,
    write_formatted,
)
from csc_metrics.errors import ConfigError, CscError, InputError

DEFAULT_STORE = Path(".csc-metrics/history.sqlite")


class Benchmark(StrEnum):
    england = "england"
    region = "region"
    sn = "sn"
    sn_median = "sn-median"
    published = "published"
    target = "target"
    all = "all"


class SnModel(StrEnum):
    m2025 = "2025"
    m2021 = "2021"


class FailOn(StrEnum):
    worse = "worse"


def read_results_file(path: Path) -> dict[str, Any]:
    """A saved `compute --format json` payload; a clear one-line error when it is not one."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: file not found", "check the --results path") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read: {exc}", "pass the JSON written by `compute --format json`") from exc
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})",
                         "pass the JSON written by `csc-metrics compute --format json`") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise InputError(f"{path}: not a `compute --format json` payload (no `results` list)",
                         "pass the JSON written by `csc-metrics compute --format json`")
    return payload


def stored_payload(store: Path, la_code: str | None, period: str | None,
                   source: str | None = None) -> dict[str, Any]:
    """From the history store, as a `compute --format json` payload: the latest run, or with `period` the
    figures for that period from whichever stored runs hold it (the latest complete figure of each indicator
    and source: every source, or only `source`), with `metadata.runs` listing each contributing run and its
    inputs."""
    if not store.exists():
        raise CscError(f"CSC404 no stored run: {store} does not exist",
                       "run `csc-metrics compute PATH --la CODE` first, or pass --results FILE.json")
    from csc_metrics.engine.periods import parse_period
    from csc_metrics.store import HistoryStore

    history = HistoryStore(store)
    wanted = parse_period(period) if period else None  # the label parser of `compute`
    payload = history.latest_payload(la_code, results=wanted is None)
    if not payload:
        raise history.no_run_error(la_code)
    la = la_code or payload["metadata"].get("la_code")
    if wanted is not None:
        stored = history.latest_results(la, source=source)
        results = [r for r in stored if r.get("period") == wanted.label]
        if not results:
            from csc_metrics.compare import SOURCE_LABELS

            held = [p.label for p in sorted({parse_period(r["period"]) for r in stored})]
            of = f" of {SOURCE_LABELS.get(source, source)}" if source else ""
            raise CscError(f"no stored results{of} for {wanted.label} (LA {la})",
                           f"the store holds {', '.join(held[-12:]) or 'no periods'}{of}; pass one of them "
                           "with --period")
        payload["results"] = results
        run_ids = {r.get("run_id") for r in results}
    else:
        run_ids = {payload["metadata"].get("run_id")}
    payload["metadata"]["runs"] = [
        {"run_id": r["run_id"], "created_at": r["created_at"], "as_at": r["as_at"],
         "inputs": [{k: i[k] for k in ("path", "table", "coverage")} for i in r["inputs"]]}
        for r in history.runs(la) if r["run_id"] in run_ids]
    return payload


@app.command()
def compare(
    benchmark: Annotated[
        list[Benchmark] | None,
        typer.Option("--benchmark", "-b", help="england, region, sn, sn-median, published, target or all "
                     "(repeatable; default all available).", case_sensitive=False),
    ] = None,
    benchmark_year: Annotated[
        int | None,
        typer.Option("--benchmark-year", help="Published year (ending 31 March) to compare with; default the "
                     "latest published year not after the period.", min=2000, max=2100),
    ] = None,
    period: Annotated[str | None, typer.Option("--period", "-p", help="Period label, e.g. 2024-25 or "
                                               "2025-26 Q1: any period in the history store, from whichever run "
                                               "holds it (default: the latest run's latest complete period).")] = None,
    results: Annotated[Path | None, typer.Option("--results", help="A saved `compute --format json` to "
                                                 "compare instead of the latest stored run.")] = None,
    la: LaOpt = None,
    sn_model: Annotated[SnModel | None, typer.Option("--sn-model", help="Statistical-neighbour model: 2025 "
                                                      "(default) or 2021.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, json, csv, markdown, html or "
                                        "xlsx (html and xlsx need --output).")] = Format.table,
    output: OutputOpt = None,
    fail_on: Annotated[FailOn | None, typer.Option("--fail-on", help="`worse`: exit 1 when any indicator is "
                                                   "worse than a benchmark.")] = None,
    source: Annotated[SourceChoice | None, typer.Option(
        "--source", help="Compare figures of this source only: annex_a, ssda903 or cin_census (default: where "
        "two sources have figures of one indicator for the period, the DfE return's).")] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    definitions: DefinitionsOpt = None,
    suppress_below: Annotated[int | None, typer.Option("--suppress-below", help="For publication: replace "
                                                       "local counts 1..N-1 and figures from them with `c`.",
                                                       min=1)] = None,
) -> None:
    """Compare computed results with published benchmarks and local targets.

    Benchmarks: **england**, **region** (London authorities: Inner or Outer London), **sn** (mean of the
    statistical neighbours that have a value, as DfE LAIT shows it), **sn-median** (as the DfE CSC outcomes
    dashboard shows it), **published** (the authority's own published DfE figure), **target** (`[targets]` in
    `csc-metrics.toml`). Each comparison gives the gap, "▲ better" / "▼ worse" by the indicator's polarity, and
    the LAIT quartile band (A = best quarter) and national rank. Quarterly and monthly results are compared
    with the latest published year (rates annualised), and every such row says so. Every row says the source
    of its figure (Annex A, SSDA903, CIN census); where two sources have figures of one indicator for the
    period, the DfE return's is compared unless `--source` chooses.

    Example:

        csc-metrics compute extracts/ --period year --format json -o results.json
        csc-metrics compare --results results.json --la 808 --benchmark sn --benchmark england

    Without `--results` the latest run in the history store is compared. Published figures are bundled
    (DfE LAIT, Open Government Licence v3.0): no network needed.

    Exit codes: 0 success; 1 with `--fail-on worse` when any comparison is worse; 2 bad options or input
    (e.g. an unknown LA code).
    """
    from csc_metrics.compare import any_worse, compare_results, indicator_meta_from_definitions
    from csc_metrics.compare.render import compare_csv, compare_markdown, compare_rich
    from csc_metrics.config import load_config

    if fmt in (Format.html, Format.xlsx) and output is None:
        raise ConfigError(f"--format {fmt.value} writes a file", f"add --output compare.{fmt.value}")
    cfg = load_config(config)
    if results is not None:
        payload = read_results_file(results)
    else:
        payload = stored_payload(store or cfg.store or DEFAULT_STORE, la or cfg.la, period,
                                 source.value if source else None)
    la_code = la or (payload.get("metadata") or {}).get("la_code") or cfg.la
    meta = indicator_meta_from_definitions(definitions or cfg.definitions)
    compared = compare_results(
        payload,
        la_code=str(la_code) if la_code else None,
        benchmarks=[b.value for b in benchmark or []],
        benchmark_year=benchmark_year,
        sn_model=(sn_model.value if sn_model else None) or cfg.sn_model or "2025",
        targets=cfg.targets,
        period=period,
        indicator_meta=meta,
        source=source.value if source else None,
    )
    compared["metadata"]["runs"] = payload["metadata"].get("runs") or []
    n = suppress_below or cfg.suppress_below
    if n:
        from csc_metrics.report.suppress import suppress_compare

        compared = suppress_compare(compared, n, payload)
    for message in compared["metadata"]["messages"]:
        err_console.print(f"warning: {message}", highlight=False, markup=False)
    if fmt in (Format.html, Format.xlsx) and output is not None:
        from csc_metrics.report.publish import write_compare_report

        write_compare_report(compared, output, fmt.value)
        err_console.print(f"wrote {output}")
    else:
        write_formatted(compared, fmt.value, output, csv=compare_csv, markdown=compare_markdown, rich=compare_rich)
    if fail_on is FailOn.worse and any_worse(compared):
        raise typer.Exit(code=1)
