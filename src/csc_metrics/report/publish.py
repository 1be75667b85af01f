"""Publishing: the quarterly report and one-off `compute`/`compare` outputs as HTML or Excel files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from csc_metrics.errors import ConfigError, InputError
from csc_metrics.report.model import Report

FORMATS = ("html", "xlsx")


def format_for(out: Path) -> str:
    """`.html`/`.htm` -> html, `.xlsx` -> xlsx; anything else is a usage error."""
    suffix = out.suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix == ".xlsx":
        return "xlsx"
    raise ConfigError(f"--out {out}: unknown report format {suffix or '(no extension)'!r}",
                      "name the file report.html or report.xlsx")


def _write(out: Path, fmt: str, html: Callable[[], str], xlsx: Callable[[Path], None]) -> None:
    """Write an HTML page or a workbook, turning file-system errors into one clear message."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown report format {fmt!r}", "use html or xlsx")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        if fmt == "html":
            out.write_text(html(), encoding="utf-8")
        else:
            xlsx(out)
    except OSError as exc:
        raise InputError(f"{out}: cannot be written: {exc.strerror or exc}",
                         "check the folder exists and the file is not open in another program") from exc


def write_report(report: Report, out: Path, fmt: str) -> None:
    """Write the report model as an HTML page or an Excel workbook."""
    from csc_metrics.report.html import render_html
    from csc_metrics.report.xlsx import write_workbook

    _write(out, fmt, lambda: render_html(report), lambda path: write_workbook(report, path))


def write_compare_report(compared: dict[str, Any], out: Path, fmt: str) -> None:
    """A `compare` payload as an HTML page or a workbook: a table per section of each comparison."""
    from csc_metrics.report.compare_page import render_compare_html
    from csc_metrics.report.xlsx import write_compare_workbook

    _write(out, fmt, lambda: render_compare_html(compared), lambda path: write_compare_workbook(compared, path))
