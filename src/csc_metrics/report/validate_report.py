"""Render the `validate` report: JSON and CSV (every issue, with values) and a rich table for people
(values only with --show-values; large reports summarised per code with a few examples)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from csc_metrics.diagnostics import Diagnostic, Severity
from csc_metrics.io.model import ReadResult
from csc_metrics.io.normalise import norm_header
from csc_metrics.spec.tables import TableSchema

ISSUE_FIELDS = ["code", "severity", "path", "sheet", "row", "column", "field", "value", "message", "hint"]
LIST_LIMIT = 40  # above this many issues the table format summarises per code
EXAMPLES = 3
_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def natural(text: str | None) -> tuple:
    """Sort key that puts `List 2` before `List 10`."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text or ""))


def sorted_issues(diags: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(diags, key=lambda d: (natural(d.file), natural(d.sheet), d.line or 0, _col_key(d.column), d.code))


def _col_key(letter: str | None) -> tuple[int, str]:
    return (len(letter or ""), letter or "")


def issue_dict(d: Diagnostic) -> dict[str, Any]:
    return {"code": d.code, "severity": d.severity.value, "path": d.file, "sheet": d.sheet, "row": d.line,
            "column": d.column, "field": d.field, "value": d.value, "message": d.message, "hint": d.hint}


def validate_payload(result: ReadResult) -> dict[str, Any]:
    """The `validate --format json` document (cli.md contract, schema_version 1)."""
    tables = []
    for data in result.tables.values():
        for s in data.sources:
            tables.append({
                "path": s.path, "sheet": s.sheet, "table": s.table, "rows": s.rows, "skipped_rows": s.skipped_rows,
                "coverage": [s.coverage[0].isoformat(), s.coverage[1].isoformat()] if s.coverage else None,
                "encoding": s.encoding, "headers": s.headers,
            })
    tables.sort(key=lambda t: (natural(t["path"]), natural(t["sheet"])))
    issues = [issue_dict(d) for d in sorted_issues(result.diagnostics)]
    return {
        "schema_version": 1,
        "tables": tables,
        "unrecognised": result.unrecognised,
        "issues": issues,
        "summary": {"errors": sum(i["severity"] == "error" for i in issues),
                    "warnings": sum(i["severity"] == "warning" for i in issues)},
    }


def render_json(result: ReadResult) -> str:
    return json.dumps(validate_payload(result), indent=2, ensure_ascii=False)


def render_csv(result: ReadResult) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=ISSUE_FIELDS, lineterminator="\n")
    writer.writeheader()
    for d in sorted_issues(result.diagnostics):
        writer.writerow(issue_dict(d))
    return buf.getvalue()


def _where(d: Diagnostic, short: bool = False) -> str:
    parts = [Path(d.file).name if short and d.file else d.file or ""]
    if d.sheet:
        parts.append(f"[{d.sheet}]")
    if d.line is not None:
        parts.append(f"row {d.line}")
    if d.column:
        parts.append(f"col {d.column}")
    return " ".join(parts)


def _severity_text(sev: Severity) -> Text:
    style = {"error": "bold red", "warning": "yellow", "info": "dim"}[sev.value]
    return Text(sev.value, style=style)


DEFAULT_ENCODINGS = {"utf-8", "utf-8-sig", None}  # CSV UTF-8 and workbooks: the Encoding column is left out


def files_table(result: ReadResult) -> Table:
    """One row per file (or sheet) read. Sized for an 80-column terminal: file names under their common
    folder, the list number, and the Sheet, Skipped and Encoding columns only when some row has one."""
    sources = sorted(((data, s) for data in result.tables.values() for s in data.sources),
                     key=lambda ds: (natural(ds[1].path), natural(ds[1].sheet)))
    folders = {str(Path(s.path).parent) for _, s in sources}
    common = folders.pop() if len(folders) == 1 else None
    title = "Files read" + (f" from {common}/" if common and common != "." else "")
    table = Table(title=title, title_justify="left", show_lines=False)
    headers = {id(s): _header_note(data.schema, s.headers) for data, s in sources}
    show = {"Sheet": any(s.sheet for _, s in sources), "Skipped": any(s.skipped_rows for _, s in sources),
            "Encoding": any(s.encoding not in DEFAULT_ENCODINGS for _, s in sources),
            "Headers": any(headers.values())}
    if sources and not show["Headers"]:
        table.caption, table.caption_justify = "Every column of each list found, under its official header.", "left"
    names = ["File", "Sheet", "Table", "Rows", "Skipped", "Coverage", "Encoding", "Headers"]
    for name in names:
        if show.get(name, True):
            table.add_column(name, justify="right" if name in ("Rows", "Skipped") else "left",
                             no_wrap=name != "File", overflow="fold")
    for data, s in sources:
        cov = f"{s.coverage[0]:%d/%m/%Y}–{s.coverage[1]:%d/%m/%Y}" if s.coverage else "-"
        cells = {"File": Path(s.path).name if common else s.path, "Sheet": s.sheet or "", "Table": _short_name(data.schema),
                 "Rows": f"{s.rows:,}", "Skipped": f"{s.skipped_rows:,}", "Coverage": cov,
                 "Encoding": s.encoding or "xlsx",
                 "Headers": headers[id(s)] or f"{len(s.headers)}/{len(data.schema.columns)}"}
        table.add_row(*(cells[n] for n in names if show.get(n, True)))
    return table


def _header_note(schema: TableSchema, headers: list[dict]) -> str:
    """How many of the list's columns were found, and the headers read under another spelling ("" when every
    column was found under its official header)."""
    official = {c.name: norm_header(c.header) for c in schema.columns}
    variants = [f"{h['letter']} `{h['header']}` -> {h['column']}" for h in headers
                if norm_header(h["header"]) != official.get(h["column"])]
    if not variants and len(headers) == len(schema.columns):
        return ""
    return "\n".join([f"{len(headers)}/{len(schema.columns)}", *variants])


def _short_name(schema: TableSchema) -> str:
    """`List 3` for an Annex A list (its title is in `--format json` and the definitions), else the id."""
    return f"List {schema.annex_a_list}" if schema.annex_a_list else schema.alias or schema.id


def unrecognised_table(result: ReadResult) -> Table | None:
    if not result.unrecognised:
        return None
    table = Table(title="Not read", title_justify="left")
    for name in ("File", "Sheet", "Reason"):
        table.add_column(name)
    for u in result.unrecognised:
        table.add_row(u["path"], u["sheet"] or "", u["reason"])
    return table


def issues_table(diags: list[Diagnostic], show_values: bool) -> Table:
    table = Table(title=f"Issues ({len(diags)})", title_justify="left")
    for name in ("Code", "Severity", "Where", "Field", *(["Value"] if show_values else []), "Problem"):
        table.add_column(name)
    files = {d.file for d in diags if d.file}
    short = len({Path(f).name for f in files}) == len(files)  # file names alone are unambiguous
    for d in diags:
        problem = d.message + (f"\nfix: {d.hint}" if d.hint else "")
        values = [d.value or ""] if show_values else []
        table.add_row(d.code, _severity_text(d.severity), _where(d, short), d.field or "", *values, problem)
    return table


def summary_table(diags: list[Diagnostic], show_values: bool) -> Table:
    """One line per (code, file, sheet, field) with a count and the first few rows."""
    groups: dict[tuple, list[Diagnostic]] = defaultdict(list)
    for d in diags:
        groups[(d.code, d.severity, d.file, d.sheet, d.field)].append(d)
    table = Table(title=f"Issues ({len(diags)}), summarised", title_justify="left")
    for name in ("Code", "Severity", "File", "Field", "Count", "First rows", "Problem"):
        table.add_column(name, justify="right" if name == "Count" else "left")
    for (code, sev, file, sheet, field), items in sorted(groups.items(), key=lambda kv: (_ORDER[kv[0][1]], kv[0][0])):
        examples = []
        for d in items[:EXAMPLES]:
            where = f"{d.line}{d.column or ''}" if d.line is not None else "-"
            examples.append(f"{where} {d.value!r}" if show_values and d.value is not None else where)
        count = sum(d.count or 1 for d in items)
        first = items[0]
        problem = first.message + (f"\nfix: {first.hint}" if first.hint else "")
        table.add_row(code, _severity_text(sev), (file or "") + (f" [{sheet}]" if sheet else ""), field or "",
                      f"{count:,}", ", ".join(examples), problem)
    return table


def render_table(result: ReadResult, show_values: bool = False, full: bool = False) -> list[RenderableType]:
    """Renderables for the console: files, tables not read, issues (listed, or summarised when many)."""
    parts: list[RenderableType] = [files_table(result)]
    unrec = unrecognised_table(result)
    if unrec is not None:
        parts.append(unrec)
    diags = sorted_issues(result.diagnostics)
    if diags:
        if full or len(diags) <= LIST_LIMIT:
            parts.append(issues_table(diags, show_values))
        else:
            parts.append(summary_table(diags, show_values))
            parts.append(Text("Full list: add --output FILE (or use --format json / csv).", style="dim"))
    errors = sum(d.is_error for d in diags)
    warnings = sum(d.severity is Severity.WARNING for d in diags)
    notes = len(diags) - errors - warnings
    verdict = "bold red" if errors else ("yellow" if warnings else "green")
    parts.append(Text(f"{errors} error(s), {warnings} warning(s), {notes} note(s)", style=verdict))
    if not show_values and any(d.value for d in diags):
        parts.append(Text("Cell values are hidden (child-level data); add --show-values to see them.", style="dim"))
    return parts


def render_text(result: ReadResult, show_values: bool = False, width: int = 200) -> str:
    """The full table report as plain text (for --output)."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, no_color=True, highlight=False, soft_wrap=False)
    console.print(Group(*render_table(result, show_values, full=True)))
    return buf.getvalue()
