"""Look-backs and look-forwards across tables, as as-of joins (never loops).

For each row (child, date D) the nearest related date of the same child is found with `join_asof`:
backward and strictly before D for `before` windows, forward from D for `after` windows. The row matches when
that nearest date lies inside the window, which is exact because the window is anchored at D.

When child keys are numbers (the usual case), child and date are packed into one Int64, `key * 2**17 + day`,
whose order is (child, date): one as-of join on it, then "same child?", is quicker than an as-of join `by`
child, and finds the same rows.
"""

from __future__ import annotations

from typing import Literal

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


DAY_BITS = 17
DAY_SHIFT = 30_000  # days from 1970 + DAY_SHIFT fit in DAY_BITS for every date from 1888 to 2246
MAX_PACKED_KEY = 2 ** (63 - DAY_BITS) - 1


def packable(frame: pl.DataFrame, date_col: str) -> bool:
    """The frame's child keys and dates fit `key * 2**17 + day` (number keys, 0..2**46, dates 1888-2246)."""
    if frame.schema.get(KEY) != pl.Int64 or frame.schema.get(date_col) != pl.Date:
        return False
    lo_k, hi_k, lo_d, hi_d = frame.select(pl.col(KEY).min().alias("a"), pl.col(KEY).max().alias("b"),
                                          pl.col(date_col).to_physical().min().alias("c"),
                                          pl.col(date_col).to_physical().max().alias("d")).row(0)
    keys_ok = lo_k is None or (lo_k >= 0 and hi_k <= MAX_PACKED_KEY)
    days_ok = lo_d is None or (lo_d + DAY_SHIFT >= 0 and hi_d + DAY_SHIFT < 2**DAY_BITS)
    return keys_ok and days_ok


def _packed(key: pl.Expr, day: pl.Expr) -> pl.Expr:
    return key * (2**DAY_BITS) + (day.to_physical().cast(pl.Int64) + DAY_SHIFT)


def lookup_flag(
    base: pl.LazyFrame,
    table: TableSchema,
    from_col: str,
    rel: Related,
    other: pl.LazyFrame,
    other_schema: TableSchema,
    other_ctx: Ctx,
    packed: bool = False,
) -> pl.LazyFrame:
    """`__rid` -> bool: the same child has a related row in the window. `packed`: both sides' keys and dates
    are `packable`."""
    same_table = other_schema.id == table.id
    before = rel.window.direction == "before"
    # within one table the row itself must not match; `before` is strictly before D anyway
    exact = not before and not same_table
    left = (base.select("__rid", KEY, pl.col(from_col).alias("__d"))
            .filter(pl.col("__d").is_not_null() & pl.col(KEY).is_not_null()))
    right = (other.filter(all_of(rel.filters, other_ctx, None))
             .select(KEY, pl.col(rel.date).alias("__other"))
             .filter(pl.col("__other").is_not_null() & pl.col(KEY).is_not_null()))
    strategy: Literal["backward", "forward"] = "backward" if before else "forward"
    bound = window_bound(pl.col("__d"), rel)
    inside = pl.col("__other") >= bound if before else pl.col("__other") <= bound
    if packed:
        joined = left.with_columns(_packed(pl.col(KEY), pl.col("__d")).alias("__pk")).sort("__pk").join_asof(
            right.select(pl.col(KEY).alias("__rkey"), "__other", _packed(pl.col(KEY), pl.col("__other")).alias("__pk"))
            .sort("__pk"),
            on="__pk", strategy=strategy, allow_exact_matches=exact, check_sortedness=False,
        )
        inside = inside & (pl.col("__rkey") == pl.col(KEY))
    else:
        joined = left.sort("__d").join_asof(
            right.with_columns(pl.col("__other").alias("__other_key")).sort("__other_key"),
            left_on="__d", right_on="__other_key", by=KEY, strategy=strategy, allow_exact_matches=exact,
            check_sortedness=False,  # sorted by date within each child; polars cannot verify that with `by`
        )
    return joined.select("__rid", inside.fill_null(False).alias("__flag"))
