"""`csc-metrics check`: validate definitions for CI and pre-commit."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from csc_metrics.cli import app
from csc_metrics.cli.common import console
from csc_metrics.errors import ExitCode

if TYPE_CHECKING:
    from csc_metrics.checks import CheckReport
    from csc_metrics.diagnostics import Diagnostic


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(d: Diagnostic) -> str:
    """A GitHub Actions workflow annotation, escaped as the actions toolkit does."""
    level = "error" if d.is_error else "warning"
    props = []
    if d.file:
        props.append(f"file={_escape_property(d.file)}")
    if d.line:
        props.append(f"line={d.line}")
    if d.col:
        props.append(f"col={d.col}")
    props.append(f"title={_escape_property(f'csc-metrics ({d.code})')}")
    return f"::{level} {','.join(props)}::{_escape_data(d.render())}"


def render_check(report: CheckReport, fmt: CheckFormat) -> str:
    diags = report.diagnostics
    if fmt is CheckFormat.json:
        payload = {
            "schema_version": 1,
            "diagnostics": [d.model_dump(mode="json", exclude_none=True) for d in diags],
            "summary": {"files": len(report.definitions.files), "indicators": len(report.definitions.recipes or report.definitions.indicators),
                        "tables": len(report.definitions.tables), "tests_run": report.tests_run,
                        "tests_failed": report.tests_failed, "errors": len(report.errors),
                        "warnings": len(diags) - len(report.errors)},
        }
        return json.dumps(payload, indent=2)
    if fmt is CheckFormat.github:
        lines: list[str] = []
        current = None
        for d in diags:
            if d.file != current:
                if current is not None:
                    lines.append("::endgroup::")
                current = d.file
                lines.append(f"::group::{d.file}")
            lines.append(github_line(d))
        if current is not None:
            lines.append("::endgroup::")
        return "\n".join(lines)
    lines = [d.render() for d in diags]
    defs = report.definitions
    if diags:
        lines.append(f"Found {len(report.errors)} error(s) and {len(diags) - len(report.errors)} warning(s) in "
                     f"{len(defs.files)} file(s).")
    else:
        lines.append(f"All checks passed: {len(defs.files)} file(s), {len(defs.tables)} table(s), "
                     f"{len(defs.recipes or defs.indicators)} indicator recipe(s), {report.tests_run} embedded test(s).")
    return "\n".join(lines)


@app.command()
def check(
    paths: Annotated[list[Path] | None, typer.Argument(help="Definitions folders or files (default definitions/).")] = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", help="text, json or github (workflow annotations).")] = CheckFormat.text,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when problems are found.")] = False,
    no_tests: Annotated[bool, typer.Option("--no-tests", help="Skip the embedded tests.")] = False,
) -> None:
    """Check indicator definitions: YAML syntax, schema, cross-references, compilation and embedded tests.

    Every problem is reported as `path:line:col: CODE message`, never stopping at the first.

    Example (CI): `csc-metrics check definitions/ --format github`

    Exit codes: 0 clean, 1 problems found, 2 usage or internal error.
    """
    from csc_metrics.checks import check_definitions
    from csc_metrics.spec.loader import default_definitions_path

    targets = paths or [default_definitions_path(None)]
    report = check_definitions(targets, run_tests=not no_tests, cache=True)
    text = render_check(report, fmt)
    if text:
        console.file.write(text + "\n")
    if report.errors and not exit_zero:
        raise typer.Exit(ExitCode.FINDINGS)
