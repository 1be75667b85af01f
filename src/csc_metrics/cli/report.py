"""`csc-metrics report`: the quarterly performance report (HTML with charts, or an Excel workbook)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from csc_metrics.cli import app
from csc_metrics.cli.common import ConfigOpt, DefinitionsOpt, LaOpt, StoreOpt, err_console
from csc_metrics.errors import ConfigError, CscError


@app.command("report")
def report_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="report.html (a self-contained page) or report.xlsx.")],
    year: Annotated[str | None, typer.Option("--year", "-y", help="Financial year, e.g. 2025-26 or 2025/26 (any "
                                             "label `compute` accepts; default: the latest year with results "
                                             "in the history store).")] = None,
    commentary: Annotated[Path | None, typer.Option("--commentary", help="Markdown file with `## Summary`, "
                                                    "`## Inputs`, `## Processes`, `## Outputs` sections.")] = None,
    suppress_below: Annotated[int | None, typer.Option("--suppress-below", min=0, help="Show counts 1..N-1 (and "
                                                       "figures derived from them) as c, for publication.")] = None,
    sn_model: Annotated[str | None, typer.Option("--sn-model", help="Statistical-neighbour model: 2025 (default) "
                                                 "or 2021.")] = None,
    la: LaOpt = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    definitions: DefinitionsOpt = None,
) -> None:
    """Write the quarterly activity and performance report from the history store.

    Every source in the store is read (Annex A, SSDA903, CIN census). For each indicator and source, by section
    (Inputs, Processes, Outputs): last year's figure, Q1-Q4 of the year with the direction of travel from the
    previous quarter (▲/▼, better/worse), England and statistical-neighbour figures, the LAIT quartile band and
    the source; the biggest movements; a trend chart per row and the breakdowns. Figures of two sources are
    never one row or one trend line.

    With a return's annual figures for the year stored, its DfE-comparable page follows: "Children in need and
    child protection" (CIN census) and "Children looked after and care leavers" (SSDA903), each measure with its
    status, the previous year, England, region, SN mean, the authority's published value and the difference (as
    `reconcile`), a band and rank only for an ok annual figure; the factors identified at assessment and the
    other breakdowns as tables and charts. `.html` gives one self-contained page (no network needed, prints on
    A4); `.xlsx` a workbook with a sheet per section and per page, and a metadata sheet.

    Example:

        csc-metrics compute sample_data/ --store s.db --period year
        csc-metrics report --store s.db --la 808 --out r.html
        csc-metrics report --year 2025-26 --commentary notes.md --suppress-below 5 --out report.xlsx

    Exit codes: 0 written; 2 no stored runs, no data for the year, or bad options.
    """
    from csc_metrics.config import load_config
    from csc_metrics.report.commentary import read_commentary
    from csc_metrics.report.model import ReportOptions
    from csc_metrics.report.publish import format_for, write_report
    from csc_metrics.reporting import quarterly_report
    from csc_metrics.store import HistoryStore, default_store_path

    fmt = format_for(out)
    cfg = load_config(config)
    model = sn_model or cfg.sn_model or "2025"
    if model not in ("2025", "2021"):
        raise ConfigError(f"--sn-model {model!r} is not a statistical-neighbour model", "use 2025 or 2021")
    path = store or cfg.store or default_store_path()
    la_code = la or cfg.la
    if not Path(path).exists():
        raise CscError(f"CSC404 no stored runs: {path} does not exist", "run csc-metrics compute first")
    history = HistoryStore(Path(path))
    payload = history.latest_payload(la_code, results=False)  # its metadata; the results come next
    if payload is None:
        raise history.no_run_error(la_code)
    la_code = la_code or payload["metadata"].get("la_code")
    if not la_code:
        raise ConfigError("the report needs a local authority, and neither --la, the config file nor the stored "
                          "run names one", 'pass --la CODE (e.g. --la 808), or set la = "808" in csc-metrics.toml')
    results = history.latest_results(la_code, source=None)  # every source, each kept apart
    below = suppress_below if suppress_below is not None else cfg.suppress_below
    opts = ReportOptions(la_code=la_code, year=year, sn_model=model,
                         definitions=definitions or cfg.definitions,
                         commentary=read_commentary(commentary) if commentary else {},
                         suppress_below=below, targets=cfg.targets, min_base=cfg.min_base,
                         runs={r["run_id"]: r["inputs"] for r in history.runs(la_code)})
    report = quarterly_report(results, payload["metadata"], opts)
    write_report(report, out, fmt)
    pages = "; annual pages: " + ", ".join(f"{p.title} ({p.source_label})" for p in report.pages) \
        if report.pages else ""
    err_console.print(f"wrote {out} ({report.year}, {len(report.rows)} indicators{pages})", highlight=False,
                      markup=False)
    for run in history.runs(la_code):
        if run["run_id"] in report.run_ids:
            err_console.print(f"figures from run {run['run_id'][:8]} (as at {run['as_at']}): "
                              f"{files_text(run['inputs'])}", highlight=False, markup=False)


def files_text(inputs: list[dict[str, Any]]) -> str:
    """Each input file once (a return file holds many tables), under the folder they share: `3 files in
    sample_data: list_01.csv, ssda903/a.csv, b.xml`."""
    files = list(dict.fromkeys(str(i["path"]) for i in inputs))
    if not files:
        return "no input files recorded"
    folder = os.path.commonpath([os.path.dirname(f) or "." for f in files]) if len(files) > 1 else ""
    if folder in (".", os.sep) or os.path.dirname(folder) == folder:
        folder = ""  # nothing shared but the working folder or the root: the paths as recorded
    names = [os.path.relpath(f, folder) if folder else f for f in files]
    where = f" in {folder}" if folder else ""
    return f"{len(files)} file{'s' if len(files) != 1 else ''}{where}: {', '.join(names)}"
