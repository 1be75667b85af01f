"""Render the `validate` report: JSON and CSV (every issue) and a rich table for people (large reports
summarised per code with a few examples). In every format the offending cell's `value` is shown only with
`--show-values` (`show_values`): it may be child-level data (cli.md v2)."""

from __future__ import annotations

import io
import json
import os
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from csc_metrics.diagnostics import Diagnostic, Severity
from csc_metrics.io.model import ReadResult, SourceInfo
from csc_metrics.io.normalise import norm_header
from csc_metrics.spec.tables import TableSchema

ISSUE_FIELDS = ["code", "severity", "path", "sheet", "row", "column", "field", "value", "message", "hint", "element"]
FORMAT_NAMES = {"annex_a": "Annex A", "ssda903": "SSDA903", "cin_census": "CIN census"}
REPAIR_CODES = {f"CSC{n}" for n in range(230, 243)}  # SSDA903 episode repairs R0-R12 (csc_metrics.derive.ssda903)
YEAR_CODES = {"CSC220"}  # codes outside their collection year (SSDA903, CIN census)
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


def issue_dict(d: Diagnostic, show_values: bool = False) -> dict[str, Any]:
    """One issue; `element` (an XML element path, with `row` its line) is there for returns read from XML;
    `value` only when asked for (`--show-values`; else absent)."""
    out = {"code": d.code, "severity": d.severity.value, "path": d.file, "sheet": d.sheet, "row": d.line,
           "column": d.column, "field": d.field, "value": d.value, "message": d.message, "hint": d.hint}
    if not show_values:
        del out["value"]
    if d.element is not None:
        out["element"] = d.element
    return out


def source_returns(result: ReadResult) -> dict[int, tuple[str, list[str]]]:
    """Per source (by `id`), its format and the collection years (labels) it was read for."""
    out: dict[int, tuple[str, list[str]]] = {}
    for r in result.returns:
        for td in r.tables.values():
            for s in td.sources:
                fmt, years = out.setdefault(id(s), (r.format, []))
                if r.period is not None and r.period.label not in years:
                    years.append(r.period.label)
    return out


def returns_summary(result: ReadResult) -> list[dict[str, Any]]:
    """One entry per collection read from a return (SSDA903 year, CIN census): its period, files and rows."""
    out = []
    for r in result.returns:
        if r.period is None:
            continue
        out.append({"format": r.format, "collection_year": r.period.label,
                    "period": [r.period.start.isoformat(), r.period.end.isoformat()],
                    "tables": {t: td.frame.height for t, td in r.tables.items()},
                    "files": sorted({s.label for td in r.tables.values() for s in td.sources}, key=natural)})
    return sorted(out, key=lambda e: (e["format"], e["collection_year"]))


def validate_payload(result: ReadResult, show_values: bool = False) -> dict[str, Any]:
    """The `validate --format json` document (cli.md contract, schema_version 1)."""
    tables: list[dict[str, Any]] = []
    kinds = source_returns(result)
    for data in result.tables.values():
        for s in data.sources:
            fmt, years = kinds.get(id(s), (data.schema.format, []))
            tables.append({
                "path": s.path, "sheet": s.sheet, "table": s.table, "rows": s.rows, "skipped_rows": s.skipped_rows,
                "coverage": [s.coverage[0].isoformat(), s.coverage[1].isoformat()] if s.coverage else None,
                "encoding": s.encoding, "headers": s.headers,
                **({"format": fmt, "collection_years": years} if fmt != "annex_a" else {}),  # the returns only
            })
    tables.sort(key=lambda t: (natural(t["path"]), natural(t["sheet"])))
    issues = [issue_dict(d, show_values) for d in sorted_issues(result.diagnostics)]
    summary = {"errors": sum(i["severity"] == "error" for i in issues),
               "warnings": sum(i["severity"] == "warning" for i in issues)}
    returns = returns_summary(result)
    if returns:  # the DfE returns' own counts, only when some were read
        summary.update(repairs=sum(i["code"] in REPAIR_CODES for i in issues),
                       codes_outside_year=sum(i["code"] in YEAR_CODES for i in issues),
                       children_missing_from_header=sum(d.count or 0 for d in result.diagnostics if d.code == "CSC223"))
    return {
        "schema_version": 1,
        "tables": tables,
        "unrecognised": result.unrecognised,
        "issues": issues,
        **({"returns": returns} if returns else {}),
        "summary": summary,
    }


def render_json(result: ReadResult, show_values: bool = False) -> str:
    return json.dumps(validate_payload(result, show_values), indent=2, ensure_ascii=False)


def render_csv(result: ReadResult, show_values: bool = False) -> str:
    """Every issue, one row each (`value` blank unless `show_values`; the `element` column only for XML
    returns), formula-safe (`safe_csv`)."""
    from csc_metrics.safe_csv import write_csv

    xml = any(d.element is not None for d in result.diagnostics)
    fields = ISSUE_FIELDS if xml else ISSUE_FIELDS[:-1]
    return write_csv(fields, ({"value": "", **issue_dict(d, show_values)} for d in sorted_issues(result.diagnostics)),
                     extrasaction="ignore")


def _where(d: Diagnostic) -> str:
    """`[sheet] row 5 col F`, or `Child[3]/CINdetails[1] line 40` for XML (the file is in the table's title)."""
    if d.element is not None:  # the path below the root's list of records, which every element shares
        path = d.element.removeprefix("Message/Children/").removeprefix("Message/").removeprefix("EXPSSDA903/")
        return path + (f" line {d.line}" if d.line is not None else "")
    parts = [f"[{d.sheet}]"] if d.sheet else []
    if d.line is not None:
        parts.append(f"row {d.line}")
    if d.column:
        parts.append(f"col {d.column}")
    return " ".join(parts)


def _code_cell(code: str, sev: Severity) -> Text:
    """The code above its severity, coloured (and said in words, never by colour alone)."""
    style = {"error": "bold red", "warning": "yellow", "info": "dim"}[sev.value]
    return Text.assemble(code, "\n", (sev.value, style))


def _problem(d: Diagnostic) -> str:
    return d.message + (f"\nfix: {d.hint}" if d.hint else "")


ENCODING_NAMES = {"cp1252": "Windows-1252", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16"}  # others: UTF-8 or xlsx


def files_table(result: ReadResult) -> RenderableType:
    """The files read, sized for an 80-column terminal: the Annex A lists (with their coverage) in one table, the
    returns (named by return and collection year, a row per table they hold) in another."""
    sources = sorted(((data, s) for data in result.tables.values() for s in data.sources),
                     key=lambda ds: (natural(ds[1].path), natural(ds[1].sheet)))
    kinds = source_returns(result)
    returns = [(d, s) for d, s in sources if _return_label(kinds.get(id(s)), d.schema) != FORMAT_NAMES["annex_a"]]
    lists = [(d, s) for d, s in sources if (d, s) not in returns]
    paths = [Path(s.path).parent for _, s in sources]
    common = Path(os.path.commonpath(paths)) if paths and len({p.is_absolute() for p in paths}) == 1 else None
    tables = [_files_table(lists, common, "Files read"), _returns_table(returns, common, kinds)]
    shown = [t for t in tables if t is not None]
    return shown[0] if len(shown) == 1 else Group(*shown) if shown else _files_table([], None, "Files read") or Group()


def _relative(path: str, common: Path | None) -> str:
    return str(Path(path).relative_to(common)) if common is not None and str(common) != "." else path


def _title(what: str, common: Path | None) -> Text:
    return Text(what + (f" from {common}/" if common is not None and str(common) != "." else ""), no_wrap=True,
                overflow="ignore")


def _files_table(sources: list[tuple[Any, SourceInfo]], common: Path | None, what: str) -> Table | None:
    """One row per Annex A file (or sheet): its name under the common folder, the list, rows, coverage, and a
    note only where something is unusual (rows skipped, an encoding other than UTF-8, columns missing)."""
    if not sources:
        return None
    one_file = len({s.path for _, s in sources}) == 1  # a workbook: its name in the title, a row per sheet
    if one_file:
        path = sources[0][1].path
        title = Text(f"Sheets read from {path}" if sources[0][1].sheet else f"Read {path}", no_wrap=True,
                     overflow="ignore")
    else:
        title = _title(what, common)
    table = Table(title=title, title_justify="left", show_lines=False)
    files = [_relative(s.path, common) for _, s in sources]
    notes = [_file_note(data.schema, s) for data, s in sources]
    sheets = any(s.sheet for _, s in sources)
    if not one_file:
        table.add_column("File", overflow="fold", no_wrap=max(map(len, files), default=0) <= 30)  # long paths fold
    if sheets:
        table.add_column("Sheet", overflow="fold")
    table.add_column("Table", no_wrap=True)
    table.add_column("Rows", justify="right", no_wrap=True)
    table.add_column("Coverage")
    if any(notes):
        table.add_column("Notes")
    for (data, s), file, note in zip(sources, files, notes, strict=True):
        cov = f"{s.coverage[0]:%d/%m/%Y} – {s.coverage[1]:%d/%m/%Y}" if s.coverage else "-"
        cells = [*([] if one_file else [file]), *([s.sheet or ""] if sheets else []), _short_name(data.schema),
                 f"{s.rows:,}", cov]
        table.add_row(*cells, *([note] if any(notes) else []))
    return table


def _returns_table(sources: list[tuple[Any, SourceInfo]], common: Path | None,
                   kinds: dict[int, tuple[str, list[str]]]) -> Table | None:
    """One row per table read from a return file, the file and its return (with the collection year, which is
    what the file covers) named on the file's first row, the table without the return's prefix (`episodes`), and a
    note where something is unusual."""
    if not sources:
        return None
    table = Table(title=_title("Returns read", common), title_justify="left", show_lines=False)
    files = [_relative(s.path, common) for _, s in sources]
    notes = [_file_note(data.schema, s) for data, s in sources]
    table.add_column("File", overflow="fold", no_wrap=max(map(len, files), default=0) <= 30)
    table.add_column("Return", no_wrap=True)
    table.add_column("Table", no_wrap=True)
    table.add_column("Rows", justify="right", no_wrap=True)
    if any(notes):
        table.add_column("Notes")
    previous = None
    for (data, s), file, note in zip(sources, files, notes, strict=True):
        first = file != previous
        previous = file
        cells = [file if first else "", _return_label(kinds.get(id(s)), data.schema) if first else "",
                 _short_name(data.schema).removeprefix("ssda903_").removeprefix("cin_"), f"{s.rows:,}"]
        table.add_row(*cells, *([note] if any(notes) else []))
    return table


def _return_label(kind: tuple[str, list[str]] | None, schema: TableSchema) -> str:
    """`SSDA903 2024-25`, `CIN census 2024-25`, `Annex A`: what a file was recognised as, for which years."""
    fmt, years = kind or (schema.format, [])
    return " ".join([FORMAT_NAMES.get(fmt, fmt), *years])


def _file_note(schema: TableSchema, s: SourceInfo) -> str:
    """What is unusual about one file read: rows skipped, its encoding, columns not found."""
    notes = []
    if s.skipped_rows:
        notes.append(f"{s.skipped_rows:,} row(s) skipped")
    if s.encoding in ENCODING_NAMES:
        notes.append(ENCODING_NAMES[s.encoding])
    expected = [c for c in schema.columns if not (schema.match == "all" and c.header_optional)]
    if len(s.headers) < len(expected):
        notes.append(f"{len(s.headers)} of {len(expected)} columns")
    return "; ".join(notes)


def _spellings(schema: TableSchema, headers: list[dict]) -> list[dict]:
    """The headers read under a spelling other than the official one."""
    official = {c.name: norm_header(c.header) for c in schema.columns}
    return [h for h in headers if norm_header(h["header"]) != official.get(h["column"])]


def spellings_table(result: ReadResult) -> Table | None:
    """Headers recognised under another spelling (a `variants` entry, or quotes, dashes and case)."""
    rows = [(s, h) for data in result.tables.values() for s in data.sources for h in _spellings(data.schema, s.headers)]
    if not rows:
        return None
    table = Table(title="Headers read under another spelling", title_justify="left")
    for name in ("File", "Column", "Header in the file", "Read as"):
        table.add_column(name, no_wrap=name == "Column", overflow="fold")
    for s, h in sorted(rows, key=lambda r: (natural(r[0].path), natural(r[0].sheet), _col_key(r[1]["letter"]))):
        table.add_row(Path(s.path).name + (f" [{s.sheet}]" if s.sheet else ""), h["letter"] or "", h["header"],
                      h["column"])
    return table


def _short_name(schema: TableSchema) -> str:
    """`List 3` for an Annex A list (its title is in `--format json` and the definitions), else the id."""
    return f"List {schema.annex_a_list}" if schema.annex_a_list else schema.alias or schema.id


NOT_READ = "CSC212"  # a file or sheet not read: listed in the "Not read" table, with its fix, not among the issues


def unrecognised_table(result: ReadResult) -> Table | None:
    """Files and sheets not read, each with the reason and, where there is one, how to fix it."""
    if not result.unrecognised:
        return None
    hints = {(d.file, d.sheet): d.hint for d in result.diagnostics if d.code == NOT_READ and d.hint}
    sheets = any(u["sheet"] for u in result.unrecognised)
    table = Table(title="Not read", title_justify="left")
    for name in ("File", *(["Sheet"] if sheets else []), "Reason"):
        table.add_column(name, overflow="fold")
    for u in sorted(result.unrecognised, key=lambda u: (natural(u["path"]), natural(u["sheet"]))):
        hint = hints.get((u["path"], u["sheet"]))
        reason = u["reason"] + (f"\nfix: {hint}" if hint else "")
        table.add_row(u["path"], *([u["sheet"] or ""] if sheets else []), reason)
    return table


def issues_table(diags: list[Diagnostic], show_values: bool, title: str = "Issues") -> Table:
    """Every issue of one file: code and severity, row and column, the problem and its fix. The message
    names the column by its header; `field` is in JSON and CSV."""
    table = Table(title=f"{title} ({len(diags)})", title_justify="left")
    for name in ("Code", "Where", *(["Value"] if show_values else []), "Problem"):
        table.add_column(name, no_wrap=name == "Code", ratio=3 if name == "Problem" else None,
                         overflow="fold" if name == "Where" else "ellipsis")
    for d in diags:
        values = [d.value or ""] if show_values else []
        table.add_row(_code_cell(d.code, d.severity), _where(d), *values, _problem(d))
    return table


def summary_table(diags: list[Diagnostic], show_values: bool, title: str = "Issues") -> Table:
    """The issues of one file, one line per (code, sheet, field) with a count and the first few rows."""
    groups: dict[tuple, list[Diagnostic]] = defaultdict(list)
    for d in diags:
        groups[(d.code, d.severity, d.sheet, d.field)].append(d)
    table = Table(title=f"{title} ({len(diags)}), summarised", title_justify="left")
    for name in ("Code", "Count", "First rows", "Problem"):
        table.add_column(name, justify="right" if name == "Count" else "left", no_wrap=name in ("Code", "Count"),
                         ratio=3 if name == "Problem" else None)
    for (code, sev, sheet, _), items in sorted(groups.items(), key=lambda kv: (_ORDER[kv[0][1]], kv[0][0])):
        examples = []
        for d in items[:EXAMPLES]:
            where = f"{d.line}{d.column or ''}" if d.line is not None else "-"
            examples.append(f"{where} {d.value!r}" if show_values and d.value is not None else where)
        count = sum(d.count or 1 for d in items)
        first = (f"[{sheet}] " if sheet else "") + ", ".join(examples)
        table.add_row(_code_cell(code, sev), f"{count:,}", first, _problem(items[0]))
    return table


def _by_file(diags: list[Diagnostic]) -> list[tuple[str, list[Diagnostic]]]:
    """Issues grouped by file, in report order, each titled by the file's name (its path when two share one)."""
    groups: dict[str | None, list[Diagnostic]] = defaultdict(list)
    for d in diags:
        groups[d.file].append(d)
    names = [Path(f).name for f in groups if f]
    unique = len(set(names)) == len(names)
    return [(f"Issues in {Path(f).name if unique else f}" if f else "Issues", items) for f, items in groups.items()]


def render_table(result: ReadResult, show_values: bool = False, full: bool = False) -> list[RenderableType]:
    """Renderables for the console: files, tables not read, issues (listed, or summarised when many)."""
    parts: list[RenderableType] = [files_table(result)]
    unrec = unrecognised_table(result)
    if unrec is not None:
        parts.append(unrec)
    spellings = spellings_table(result)
    if spellings is not None:
        parts.append(spellings)
    diags = sorted_issues(result.diagnostics)
    listed = [d for d in diags if d.code != NOT_READ]
    summarised = not full and len(listed) > LIST_LIMIT  # many issues in all: every file's summarised
    for title, items in _by_file(listed):
        table = summary_table if summarised else issues_table
        parts.append(table(items, show_values, title))
    if summarised:
        parts.append(Text("Full list: add --output FILE (or use --format json / csv).", style="dim"))
    errors = sum(d.is_error for d in diags)
    warnings = sum(d.severity is Severity.WARNING for d in diags)
    notes = len(diags) - errors - warnings
    verdict = "bold red" if errors else ("yellow" if warnings else "green")
    parts.append(Text(f"{errors} error(s), {warnings} warning(s), {notes} note(s)", style=verdict))
    if not show_values and any(d.value for d in diags):
        parts.append(Text("Cell values are hidden (child-level data; a message names only codes of the code lists, "
                          "never what a cell holds); add --show-values to see them.", style="dim"))
    return parts


def render_text(result: ReadResult, show_values: bool = False, width: int = 200) -> str:
    """The full table report as plain text (for --output)."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, no_color=True, highlight=False, soft_wrap=False)
    console.print(Group(*render_table(result, show_values, full=True)))
    return buf.getvalue()
