"""Look-backs and look-forwards across tables, as as-of joins (never loops).

For each row (child, date D) the nearest related date of the same child is found with `join_asof`:
backward and strictly before D for `before` windows, forward from D for `after` windows. The row matches when
that nearest date lies inside the window, which is exact because the window is anchored at D.
"""

from __future__ import annotations

import polars as pl

from csc_metrics.engine.expressions import Ctx, add_months, all_of
from csc_metrics.io.model import KEY
from csc_metrics.spec.indicators import Related
from csc_metrics.spec.tables import TableSchema


def window_bound(d: pl.Expr, rel: Related) -> pl.Expr:
    """The far end of the window from D."""
    w = rel.window
    sign = -1 if w.direction == "before" else 1
    if w.unit == "calendar_days":
        return d + pl.duration(days=sign * w.length)
    months = w.length * (12 if w.unit == "years" else 1)
    return add_months(d, sign * months)


def lookup_flag(
    base: pl.LazyFrame,
    table: TableSchema,
    from_col: str,
    rel: Related,
    other: pl.LazyFrame,
    other_schema: TableSchema,
    other_ctx: Ctx,
) -> pl.LazyFrame:
    """`__rid` -> bool: the same child has a related row in the window."""
    same_table = other_schema.id == table.id
    left = (
        base.select("__rid", KEY, pl.col(from_col).alias("__d"))
        .filter(pl.col("__d").is_not_null() & pl.col(KEY).is_not_null())
        .sort("__d")
    )
    right = (
        other.filter(all_of(rel.filters, other_ctx, None))
        .select(KEY, pl.col(rel.date).alias("__other"))
        .filter(pl.col("__other").is_not_null() & pl.col(KEY).is_not_null())
        .with_columns(pl.col("__other").alias("__other_key"))
        .sort("__other_key")
    )
    before = rel.window.direction == "before"
    joined = left.join_asof(
        right,
        left_on="__d",
        right_on="__other_key",
        by=KEY,
        strategy="backward" if before else "forward",
        check_sortedness=False,  # sorted by date within each child; polars cannot verify that with `by`
        # within one table the row itself must not match; `before` is strictly before D anyway
        allow_exact_matches=not before and not same_table,
    )
    bound = window_bound(pl.col("__d"), rel)
    inside = pl.col("__other") >= bound if before else pl.col("__other") <= bound
    return joined.select("__rid", inside.fill_null(False).alias("__flag"))
