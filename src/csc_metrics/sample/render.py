"""Render the lists as an Annex A extract: official headers in template order, codes as template labels."""

from __future__ import annotations

import polars as pl

from csc_metrics.io.convert import EXCEL_EPOCH
from csc_metrics.spec.tables import CodeSet, ColumnType, TableSchema

YES_NO_LABELS = {"Y": "a) Yes", "N": "b) No", "U": "c) Unknown"}


def template_labels(code_set: CodeSet) -> dict[str, str]:
    """Code -> the label an Annex A template writes: the code's first alias (the template form, by the
    convention of `definitions/tables/code_sets.yaml`), else its label."""
    return {c.code: (c.aliases[0] if c.aliases else c.label) for c in code_set.codes}


def to_annex_a(df: pl.DataFrame, table: TableSchema, code_sets: dict[str, CodeSet]) -> pl.DataFrame:
    """Select the table's columns in template order, typed (dates stay dates), codes as labels, renamed to the
    official headers. Rows are sorted on every column so the output does not depend on join order."""
    missing = [c.name for c in table.columns if c.name not in df.columns]
    if missing:
        raise ValueError(f"sample: {table.id} lacks columns {missing}")
    exprs = []
    for col in table.columns:
        e = pl.col(col.name)
        if col.type is ColumnType.CODE and col.code_set is not None:
            e = e.replace_strict(template_labels(code_sets[col.code_set]), return_dtype=pl.String)
        elif col.type is ColumnType.YES_NO:
            e = e.replace_strict(YES_NO_LABELS, return_dtype=pl.String)
        elif col.type is ColumnType.DATE:
            e = e.cast(pl.Date)
        elif col.type is ColumnType.INTEGER:
            e = e.cast(pl.Int64)
        else:
            e = e.cast(pl.String)
        exprs.append(e.alias(col.name))
    out = df.select(exprs)
    order = [c for c in (table.event_date, table.child_id) if c] + [c for c in out.columns]
    out = out.sort(order, nulls_last=True, maintain_order=True)
    return out.rename({c.name: c.header for c in table.columns})


def as_text(df: pl.DataFrame) -> pl.DataFrame:
    """Every column as text: dates dd/mm/yyyy, numbers as written, blanks stay null."""
    return df.with_columns(
        [pl.col(c).dt.strftime("%d/%m/%Y") for c, t in df.schema.items() if t == pl.Date]
        + [pl.col(c).cast(pl.String) for c, t in df.schema.items() if t != pl.Date and t != pl.String]
    )


def excel_serial(d: pl.Expr) -> pl.Expr:
    """An Excel serial day number (1900 date system) as text."""
    return (d - pl.lit(EXCEL_EPOCH)).dt.total_days().cast(pl.String)
