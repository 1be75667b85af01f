"""`csc-metrics validate`: a data-quality report on extracts."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from csc_metrics.cli import app
from csc_metrics.cli.common import (
    ConfigOpt,
    DefinitionsOpt,
    MergeOpt,
    OutputOpt,
    YearOpt,
    console,
    err_console,
    input_notes,
    write_output,
)
from csc_metrics.errors import DefinitionsError, ExitCode


class ValidateFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@app.command("validate")
def validate_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Annex A extracts (CSV, xlsx), SSDA903 tables (CSV, XML), CIN census files (XML, flattened CSV), or folders of them.")],
    definitions: DefinitionsOpt = None,
    fmt: Annotated[ValidateFormat, typer.Option("--format", "-f", help="table, json or csv.")] = ValidateFormat.table,
    output: OutputOpt = None,
    show_values: Annotated[bool, typer.Option("--show-values", help="Show the offending cell values, in every "
                                              "format (they may be child-level data).")] = False,
    merge: MergeOpt = False,
    year: YearOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Data-quality report on Annex A extracts and the DfE returns (SSDA903, CIN census): what each file or
    sheet was recognised as and for which collection year, how its headers were matched, rows read and
    skipped, the dates it covers, and every problem with file, Excel row and column (XML: element and line).
    For the returns also: episode repairs (CSC230-CSC242), codes outside their collection year (CSC220),
    year cross-checks (CSC221), children in Episodes missing from the Header (CSC223). `--year` sets the
    collection year of returns whose content or name does not say it.

    Checks: unparseable dates (CSC201), unknown codes (CSC202), blank required values (CSC203), duplicate rows
    (CSC204), end before start (CSC205), future dates (CSC206), dates before birth (CSC207), over-25s (CSC208),
    conflicting dates of birth across lists (CSC209), numbers (CSC210, CSC217), headers (CSC211-CSC218).

    Cell values can be child-level data (a child id typed into a date column is still a child id): every
    format shows them only with `--show-values` (JSON field `value`, omitted without it; CSV column `value`,
    blank without it), and then treat the output as sensitive. A message may name a code of the definitions'
    code lists (e.g. "`ACTIV` code P5 is not in the 2020-21 code list"): the list's own code, never free text.
    With many issues the table is summarised per code; `--output FILE` writes the full list.

    Example: `csc-metrics validate extracts/ --format json --output dq.json`

    In a folder, a file that cannot be read (empty, damaged, or no list recognised) is listed under "Not read"
    (CSC212, a warning) and the other files are read.

    Two files of the same list that overlap in time stop the command, as in `compute`; `--merge` checks
    their union (rows found in several files are then not reported as duplicates).

    Exit codes: 0 no errors (warnings allowed), 1 data-quality errors, 2 a file named cannot be read (not
    CSV/xlsx, empty, damaged, or no table recognised), nothing in the folders can, or files overlap.
    """
    from csc_metrics.config import load_config

    load_config(config, paths)  # its [limits] on file sizes
    result = _read(paths, definitions, merge, year)  # CscError -> one stderr line, exit 2 (the app's command guard)
    for line in input_notes({"merged": result.merged}):
        err_console.print(line, markup=False)
    from csc_metrics.report import validate_report as report

    if fmt is ValidateFormat.json:
        write_output(report.render_json(result, show_values), output)
    elif fmt is ValidateFormat.csv:
        write_output(report.render_csv(result, show_values), output)
    else:
        for part in report.render_table(result, show_values):
            console.print(part)
        if output is not None:
            write_output(report.render_text(result, show_values), output)
    errors = any(d.is_error for d in result.diagnostics)
    raise typer.Exit(ExitCode.FINDINGS if errors else ExitCode.OK)


def _read(paths: list[Path], definitions: Path | None, merge: bool = False, year: int | None = None):
    from csc_metrics.io import read_inputs
    from csc_metrics.spec.loader import default_definitions_path

    target = default_definitions_path(definitions)
    loaded = _load(target)
    if not loaded.definitions.tables:
        problems = [d.render() for d in loaded.diagnostics if d.is_error]
        raise DefinitionsError(f"no table schemas could be loaded from {target}"
                               + (f" ({problems[0]})" if problems else ""),
                               hint="pass --definitions with a folder holding tables/*.yaml, or run `csc-metrics check`")
    if loaded.has_errors:
        err_console.print(f"warning: the definitions in {target} have problems; run `csc-metrics check {target}`",
                          highlight=False)
    return read_inputs(paths, loaded.definitions, digests=False, merge=merge, year=year)  # no file hashes needed


def _load(target: Path):
    from csc_metrics.spec.loader import load_definitions

    return load_definitions([target], cache=True)
