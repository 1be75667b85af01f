"""Options and consoles shared by the commands."""

from __future__ import annotations

import io
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

console = Console(highlight=False, soft_wrap=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)  # one error = one line, any width


class SourceChoice(StrEnum):
    annex_a = "annex_a"
    ssda903 = "ssda903"
    cin_census = "cin_census"


SourceOpt = Annotated[
    SourceChoice | None,
    typer.Option("--source", help="Compute from this source only: annex_a, ssda903 or cin_census (default: for each "
                 "indicator, the DfE return when its tables are loaded, else Annex A)."),
]


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"
    xlsx = "xlsx"


DefinitionsOpt = Annotated[
    Path | None,
    typer.Option(
        "--definitions",
        "-d",
        help="Definitions folder (default: `definitions/` in the working directory, else the standard library).",
    ),
]
LaOpt = Annotated[str | None, typer.Option("--la", help="DfE 3-digit local authority code, e.g. 808.")]
YearOpt = Annotated[int | None, typer.Option(
    "--year", min=2000, max=2100,
    help="Collection year (year ENDING 31 March, e.g. 2025 for 2024-25) of SSDA903 / CIN census files whose "
         "content or name does not say it; overrides what they say (a disagreement is a warning).")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write the output to this file.")]
StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", envvar="CSC_METRICS_STORE", help="History store (default .csc-metrics/history.sqlite)."),
]
MergeOpt = Annotated[
    bool,
    typer.Option("--merge", help="Files of one list that overlap in time (a Q3 and a Q4 extract): count their union "
                 "instead of stopping; a row in several files counts as often as in the file that has it most."),
]
LA_FIX = 'pass --la CODE, the DfE 3-digit code, e.g. --la 808, or set `la = "808"` in csc-metrics.toml'
NoStoreOpt = Annotated[bool, typer.Option("--no-store", help="Do not read or write the history store.")]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Config file (default `csc-metrics.toml` if present).")
]


def require_la(la: str | None, config_la: str | None, needs: str) -> str:
    """The local authority from `--la` or the config file, or a stop (exit 2) saying why it is needed and how
    to give it. `needs`: what needs it, e.g. "`report` needs a local authority for its benchmarks"."""
    from csc_metrics.errors import ConfigError

    code = la or config_la
    if not code:
        raise ConfigError(f"{needs}, and none is set", LA_FIX)
    return code


def no_la_note() -> str:
    """The note `compute` prints before its figures when no local authority is set."""
    return f"note: no local authority set, so rates per 10,000 and benchmarks are off: {LA_FIX}"


def input_notes(metadata: dict) -> list[str]:
    """A stderr line for the lists whose overlapping files were merged, one per list whose repeated rows were
    not counted."""
    merged = metadata.get("merged") or []
    lines = []
    if merged:
        each = ", ".join(f"{m['table']} {m['rows_dropped']:,}" for m in merged)
        lines.append(f"merged the overlapping files of {len(merged)} list(s); rows found in more than one file "
                     f"counted once: {each}")
    lines += [f"{d['table']}: {d['rows_dropped']:,} repeated row(s) not counted (the list counts one row per key; "
              "see `csc-metrics validate`, CSC204)" for d in metadata.get("duplicates") or []]
    return lines


def write_output(text: str, output: Path | None) -> None:
    """Print machine output to stdout, or write it to `--output`."""
    if output is None:
        sys_stdout_write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        err_console.print(f"wrote {output}")


def write_rich(renderable: object, output: Path | None) -> None:
    """A rich table to the terminal, or as plain text (160 columns) to `--output`."""
    if output is None:
        console.print(renderable)
        return
    buf = io.StringIO()
    Console(file=buf, width=160, no_color=True, highlight=False).print(renderable)
    write_output(buf.getvalue(), output)


def write_formatted(payload: dict[str, Any], fmt: str, output: Path | None, *, csv: Callable[[Any], str],
                    markdown: Callable[[Any], str], rich: Callable[[Any], object]) -> None:
    """A command's payload in the chosen format (json, csv, markdown; else the rich table) to stdout or
    `--output`: the one place the text formats are dispatched."""
    if fmt == "json":
        import json

        write_output(json.dumps(payload, indent=2, ensure_ascii=False), output)
    elif fmt == "csv":
        write_output(csv(payload), output)
    elif fmt == "markdown":
        write_output(markdown(payload), output)
    else:
        write_rich(rich(payload), output)


def sys_stdout_write(text: str) -> None:
    import sys

    sys.stdout.write(text if text.endswith("\n") else text + "\n")
