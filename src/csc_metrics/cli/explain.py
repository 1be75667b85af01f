"""`csc-metrics explain`: how one indicator is computed, step by step."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from csc_metrics.cli import app
from csc_metrics.cli.common import (
    ConfigOpt,
    DefinitionsOpt,
    LaOpt,
    MergeOpt,
    SourceOpt,
    YearOpt,
    console,
    err_console,
    input_notes,
    require_la,
)
from csc_metrics.errors import CscError


@app.command("explain")
def explain_cmd(
    indicator: Annotated[str, typer.Argument(help="Indicator id, e.g. re_referrals_12m.")],
    paths: Annotated[list[Path] | None, typer.Argument(help="Extracts to count rows in (optional).")] = None,
    period: Annotated[str | None, typer.Option("--period", "-p", help="Period label; default the latest complete quarter.")] = None,
    as_at: Annotated[str | None, typer.Option("--as-at", help="As-at date (YYYY-MM-DD).")] = None,
    ids: Annotated[bool, typer.Option("--ids", help="List the child IDs and rows in the numerator and denominator (sensitive: for audit only).")] = False,
    plan: Annotated[bool, typer.Option("--plan/--no-plan", help="Show the polars query plan.")] = True,
    definitions: DefinitionsOpt = None,
    la: LaOpt = None,
    merge: MergeOpt = False,
    source: SourceOpt = None,
    year: YearOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Explain one indicator: its definition in plain English and, given extracts, the rows left after each
    step, the numerator and denominator, and the query plan.

    Example: `csc-metrics explain re_referrals_12m sample_data/ --period "2024-25 Q4"`

    Child IDs are shown only with `--ids`, for audit; they are never logged.

    Exit codes: 0 success, 2 unknown indicator, unreadable or overlapping input (see `--merge`), a period the
    inputs do not cover, a rate without a local authority, or bad options.
    """
    from csc_metrics.compute import (
        choose_recipes,
        load_checked_definitions,
        population_lookup,
        prepare_inputs,
        recipes_of,
        require_covered,
        run_periods,
        select_indicators,
    )
    from csc_metrics.config import load_config
    from csc_metrics.engine.calendar import calendar_for_span
    from csc_metrics.engine.periods import parse_period
    from csc_metrics.engine.run import Settings, source_tables
    from csc_metrics.explain import explain
    from csc_metrics.spec.indicators import RateIndicator

    cfg = load_config(config, paths)
    defs = load_checked_definitions(definitions or cfg.definitions)
    ind = select_indicators(defs, [indicator], None)[0]
    src = source.value if source else None
    candidates = recipes_of(defs, [ind], src)
    if not candidates:
        raise CscError(f"`{ind.id}` has no `{src}` recipe", f"it is computed from: {', '.join(defs.sources(ind.id))}")
    if not paths:
        defs, picked = choose_recipes(defs, candidates, {}, src)
        ind = picked[0]
        result = explain(defs, ind, None, None, None)
        console.print("\n".join(result.lines), markup=False)
        return
    la_code = la or cfg.la
    if isinstance(ind, RateIndicator):
        la_code = require_la(la, cfg.la, f"`{ind.id}` is a rate per 10,000 children, so it needs the local "
                                         "authority's population")
    try:
        as_at_given = date.fromisoformat(as_at) if as_at else None
    except ValueError as exc:
        raise CscError(f"--as-at {as_at!r} is not a date", "use YYYY-MM-DD, e.g. --as-at 2025-03-31") from exc
    inputs = prepare_inputs(paths, defs, cfg, as_at_given, merge=merge, indicators=candidates, year=year)
    frames, as_at_date, coverage = inputs.frames, inputs.as_at, inputs.coverage
    defs, chosen_recipes = choose_recipes(defs, candidates, frames, src)
    ind = chosen_recipes[0]
    for line in input_notes({"merged": inputs.read.merged, "duplicates": inputs.duplicates}):
        err_console.print(line, markup=False)
    if period:
        chosen = parse_period(period)
        require_covered([chosen], defs, coverage)
    else:
        periods = run_periods(["quarter"], defs, coverage, as_at_date)
        complete = [p for p in periods if p.end <= as_at_date]
        if not (complete or periods):
            raise CscError(f"{', '.join(str(p) for p in paths)}: the inputs cover no period", "pass --period")
        chosen = (complete or periods)[-1]
    start = min([chosen.start] + [c[0] for c in coverage.values()])
    settings = Settings(periods=[chosen], as_at=as_at_date, calendar=calendar_for_span(start, as_at_date, cfg.closures,
                        cfg.working_days), coverage=coverage, population=population_lookup(la_code))
    missing = [t for t in source_tables(ind, defs) if t not in frames]
    result = explain(defs, ind, frames, settings, chosen, with_ids=ids)
    console.print("\n".join(result.lines), markup=False)
    if missing:
        console.print(f"\nNo data: {', '.join(missing)} not in the inputs.", markup=False)
        return
    table = Table(title=f"Rows at each step, {result.period}", title_justify="left")
    table.add_column("Step")
    table.add_column("Rows", justify="right")
    for label, n in result.steps:
        table.add_row(label, f"{n:,}")
    console.print(table)
    from csc_metrics.results import INCOMPLETE_MARK, INCOMPLETE_TEXT

    mark = INCOMPLETE_MARK if result.status == "incomplete" else ""
    console.print(f"Numerator {result.numerator}, denominator {result.denominator}, value "
                  f"{'–' if result.value is None else round(result.value, 3)}{mark}, status {result.status} "
                  "(as `compute` reports it).", markup=False)
    if mark:
        console.print(f"{INCOMPLETE_MARK} {INCOMPLETE_TEXT}", markup=False)
    for warning in result.warnings:
        console.print(f"warning: {warning}", markup=False)
    if plan and result.plan:
        console.print("\nQuery plan (polars):", markup=False)
        console.print(result.plan, markup=False, highlight=False)
    if ids:
        for name, rows in result.ids.items():
            console.print(f"\n{name.capitalize()} rows ({len(rows)}): child id row number", markup=False)
            console.print("\n".join(rows) or "(none)", markup=False)
