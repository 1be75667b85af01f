"""Turn problem rows (small polars frames) into Diagnostics with file, sheet, Excel row and column letter."""

from __future__ import annotations

from datetime import date

import polars as pl

from csc_metrics.diagnostics import Diagnostic, Severity
from csc_metrics.io.model import ROW, SRC, SourceInfo
from csc_metrics.spec.tables import CodeSet, TableSchema

MAX_PER_GROUP = 10_000  # row-level diagnostics per (source, column, code); the rest are summarised in one

SEVERITY: dict[str, Severity] = {
    "CSC201": Severity.ERROR, "CSC202": Severity.ERROR, "CSC203": Severity.ERROR, "CSC210": Severity.ERROR,
    "CSC216": Severity.ERROR, "CSC217": Severity.ERROR, "CSC204": Severity.WARNING, "CSC205": Severity.WARNING,
    "CSC206": Severity.WARNING, "CSC207": Severity.WARNING, "CSC208": Severity.WARNING, "CSC209": Severity.WARNING,
    "CSC220": Severity.WARNING,
}


def cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def conversion_message(code: str, schema: TableSchema, field: str, code_sets: dict[str, CodeSet]) -> tuple[str, str]:
    """(message, hint) for a cell that could not be converted."""
    col = schema.column(field)
    header = col.header if col else field
    if code == "CSC201":
        return (f"`{header}` is not a date", "write dates as dd/mm/yyyy (02/03/2025 is 2 March 2025) or yyyy-mm-dd")
    if code == "CSC216":
        return (f"`{header}` is a number outside Excel's date range 1900-2100",
                "format the column as dates in Excel, or write dd/mm/yyyy")
    if code == "CSC202":
        if col is not None and col.type.value == "yes_no":
            return (f"`{header}` is not Yes, No or Unknown", "use Yes/No/Unknown (or a) Yes, b) No, c) Unknown)")
        cs = code_sets.get(col.code_set or "") if col else None
        if cs is None:
            return (f"`{header}`: code set `{col.code_set if col else '?'}` is not defined", "add the code set to the definitions")
        codes = cs.code_values()
        shown = ", ".join(codes[:15]) + (", ..." if len(codes) > 15 else "")
        return (f"`{header}` holds a value that is not a `{cs.id}` code", f"use one of the codes ({shown}) or their labels")
    if code == "CSC203":
        return (f"required `{header}` is blank", f"fill in `{header}` in the source system and export again")
    if code == "CSC210":
        whole = col is not None and col.type.value == "integer" and not col.allow_fraction
        return (f"`{header}` is not a {'whole ' if whole else ''}number", "write a number such as 3")
    if code == "CSC217":
        return (f"`{header}` is negative", "counts cannot be negative; correct the value")
    return (f"`{header}`: problem {code}", "")


def problems_to_diagnostics(problems: pl.DataFrame, source: SourceInfo, schema: TableSchema,
                            code_sets: dict[str, CodeSet]) -> list[Diagnostic]:
    """Conversion problems of one source (`__row`, `field`, `code`, `value`) -> Diagnostics, capped per group."""
    out: list[Diagnostic] = []
    if problems.is_empty():
        return out
    problems = problems.sort(ROW)
    for (field, code), group in problems.group_by(["field", "code"], maintain_order=True):
        message, hint = conversion_message(code, schema, field, code_sets)
        common = dict(code=code, severity=SEVERITY.get(code, Severity.ERROR), message=message, hint=hint,
                      file=source.path, sheet=source.sheet, column=source.letter(field), field=field)
        for row, value in group.head(MAX_PER_GROUP).select(ROW, "value").iter_rows():
            out.append(Diagnostic.model_construct(**{**_defaults(), **common, "line": row, "value": value}))
        rest = group.height - MAX_PER_GROUP
        if rest > 0:
            out.append(Diagnostic.model_construct(
                **{**_defaults(), **common, "message": message + f" (and {rest} more rows)", "count": rest}))
    return out


def _defaults() -> dict:
    return dict(hint=None, file=None, line=None, col=None, sheet=None, column=None, field=None, value=None,
                indicator=None, count=None)


def rows_to_diagnostics(rows: pl.DataFrame, sources: list[SourceInfo], *, code: str, field: str,
                        message: str, hint: str) -> list[Diagnostic]:
    """Check findings (`__src`, `__row`, `value`, optional `detail`) -> Diagnostics; `{detail}` in message."""
    out: list[Diagnostic] = []
    has_detail = "detail" in rows.columns
    counts = dict(rows.group_by(SRC).len().iter_rows())
    rows = rows.sort(SRC, ROW).filter(pl.int_range(pl.len()).over(SRC) < MAX_PER_GROUP)
    for rec in rows.iter_rows(named=True):
        src = sources[rec[SRC]]
        text = message.format(detail=rec["detail"]) if has_detail else message
        out.append(Diagnostic.model_construct(
            **{**_defaults(), "code": code, "severity": SEVERITY[code], "message": text, "hint": hint,
               "file": src.path, "sheet": src.sheet, "line": rec[ROW], "column": src.letter(field), "field": field,
               "value": cell_text(rec["value"])}))
    for src_index, n in counts.items():
        if n > MAX_PER_GROUP:
            src = sources[src_index]
            out.append(Diagnostic.model_construct(
                **{**_defaults(), "code": code, "severity": SEVERITY[code],
                   "message": message.format(detail="...") + f" (and {n - MAX_PER_GROUP} more rows)", "hint": hint,
                   "file": src.path, "sheet": src.sheet, "column": src.letter(field), "field": field,
                   "count": n - MAX_PER_GROUP}))
    return out
