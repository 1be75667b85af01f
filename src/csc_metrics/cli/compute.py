"""`csc-metrics compute`: the main job."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from csc_metrics.cli import app
from csc_metrics.cli.common import (
    ConfigOpt,
    DefinitionsOpt,
    Format,
    LaOpt,
    MergeOpt,
    NoStoreOpt,
    OutputOpt,
    SourceOpt,
    StoreOpt,
    YearOpt,
    console,
    err_console,
    input_notes,
    no_la_note,
    write_output,
)
from csc_metrics.errors import CscError, ExitCode
from csc_metrics.spec.sections import Section


@app.command("compute")
def compute_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Extract files (CSV, xlsx) or folders of them.")],
    period: Annotated[list[str] | None, typer.Option("--period", "-p", help="quarter (default), month, year, or labels such as 2025-26, '2025-26 Q1', 2025-04.")] = None,
    as_at: Annotated[str | None, typer.Option("--as-at", help="As-at date (YYYY-MM-DD); default the latest date in the inputs.")] = None,
    indicator: Annotated[list[str] | None, typer.Option("--indicator", "-i", help="Only these indicators (repeatable).")] = None,
    section: Annotated[Section | None, typer.Option("--section", help="inputs, processes or outputs.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Read and check every column (not only those the indicators and checks use); exit 1 when the data has data-quality errors.")] = False,
    year: YearOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, json, csv, markdown, html or xlsx.")] = Format.table,
    periods_shown: Annotated[int, typer.Option("--columns", help="How many of the latest periods the table shows.")] = 4,
    suppress_below: Annotated[int | None, typer.Option("--suppress-below", help="For publication: replace counts 1..N-1, and figures derived from them, with `c` (the store keeps the real values).", min=1)] = None,
    definitions: DefinitionsOpt = None,
    la: LaOpt = None,
    merge: MergeOpt = False,
    source: SourceOpt = None,
    postcodes: Annotated[Path | None, typer.Option("--postcodes", help="ONS postcode directory CSV (pcd, oseast1m, osnrth1m, laua): derives SSDA903 placement distances when the episodes carry no PL_DISTANCE. Never downloaded.")] = None,
    output: OutputOpt = None,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Compute every indicator for every period the extracts cover, beside the previous period.

    Reads Annex A lists (one CSV per list, an xlsx workbook, or a folder), recognises each list from its
    headers, and records the run in the history store so the next run can compare with it. An indicator with
    a recipe for a DfE return (SSDA903, CIN census) is computed from the return when it is loaded; `--source`
    chooses. Every figure says its source.

    Example: `csc-metrics compute sample_data/ --la 808`

    Two files of the same list that overlap in time (a Q3 and a Q4 extract in one folder) stop the command:
    pass `--merge` to count their union, or remove one. A period label the inputs do not cover stops it too.

    Exit codes: 0 success, 1 data-quality errors with --strict, 2 unreadable or overlapping input, a period
    the inputs do not cover, bad options or definitions.
    """
    from csc_metrics.compute import ComputeOptions, compute
    from csc_metrics.config import load_config
    from csc_metrics.report import results as render

    cfg = load_config(config, paths)
    try:
        as_at_date = date.fromisoformat(as_at) if as_at else None
    except ValueError as exc:
        raise CscError(f"--as-at {as_at!r} is not a date", "use YYYY-MM-DD, e.g. --as-at 2025-03-31") from exc
    opts = ComputeOptions(paths=paths, definitions=definitions, la=la, period=period or ["quarter"],
                          as_at=as_at_date, indicators=indicator or [], section=section.value if section else None, store=store,
                          use_store=not no_store, config=cfg, strict=strict, merge=merge, year=year,
                          source=source.value if source else None, postcodes=postcodes)
    with err_console.status("computing…", spinner="dots"):
        result = compute(opts)
    payload = result.payload
    if not payload["metadata"]["la_code"]:
        err_console.print(no_la_note(), markup=False)  # before the figures, not after them
    for line in input_notes(payload["metadata"]):
        err_console.print(line, markup=False)
    n = suppress_below or cfg.suppress_below
    if n and fmt not in (Format.html, Format.xlsx):  # the report suppresses as it builds its tables
        from csc_metrics.report.suppress import suppress

        payload = suppress(payload, n)
    errors = result.data_errors
    if result.diagnostics:
        warn = len(result.diagnostics) - len(errors)
        err_console.print(f"data quality: {len(errors)} error(s), {warn} warning(s)/note(s); "
                          "run `csc-metrics validate` on the same files for details")
    if fmt is Format.table and output is None:
        render.render_table(payload, console, periods_shown, cfg.min_base)
    elif fmt in (Format.html, Format.xlsx):
        from csc_metrics.reporting import write_compute_report

        if output is None:
            raise CscError(f"--format {fmt.value} writes a file", f"add --output results.{fmt.value}")
        from csc_metrics.report.model import ReportOptions

        write_compute_report(payload, output, fmt.value, opts=ReportOptions(suppress_below=n, min_base=cfg.min_base))
        err_console.print(f"wrote {output}")
    else:
        if fmt in (Format.markdown, Format.table):  # a table written to a file is markdown
            text = render.render_markdown(payload, min_base=cfg.min_base)
        else:
            text = {Format.json: render.render_json, Format.csv: render.render_csv}[fmt](payload)
        write_output(text, output)
    if strict and errors:
        raise typer.Exit(ExitCode.FINDINGS)
