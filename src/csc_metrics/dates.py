"""Date arithmetic shared by the reader's checks and the engine (one definition of an age)."""

from __future__ import annotations

import polars as pl


def whole_years(born: pl.Expr, on: pl.Expr) -> pl.Expr:
    """Completed years from `born` to `on` (age at the last birthday; born 29 February: a year older on 1 March)."""

    def month_day(d: pl.Expr) -> pl.Expr:  # Int32 first: month * 100 overflows polars' Int8 month
        return d.dt.month().cast(pl.Int32) * 100 + d.dt.day().cast(pl.Int32)

    before_birthday = month_day(on) < month_day(born)
    return on.dt.year().cast(pl.Int32) - born.dt.year().cast(pl.Int32) - before_birthday.cast(pl.Int32)
