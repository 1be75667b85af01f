"""Date arithmetic shared by the reader and the engine: the accepted span of dates, one definition of an age."""

from __future__ import annotations

from datetime import date

import polars as pl

EPOCH = date(1970, 1, 1)  # day 0 of pl.Date
DATE_SPAN = (date(1900, 1, 1), date(2100, 12, 31))  # the dates the reader accepts; others are typing errors
DAY_SPAN = ((DATE_SPAN[0] - EPOCH).days, (DATE_SPAN[1] - EPOCH).days)  # the same, as pl.Date day numbers


def whole_years(born: pl.Expr, on: pl.Expr) -> pl.Expr:
    """Completed years from `born` to `on` (age at the last birthday; born 29 February: a year older on 1 March)."""

    def month_day(d: pl.Expr) -> pl.Expr:  # Int32 first: month * 100 overflows polars' Int8 month
        return d.dt.month().cast(pl.Int32) * 100 + d.dt.day().cast(pl.Int32)

    before_birthday = month_day(on) < month_day(born)
    return on.dt.year().cast(pl.Int32) - born.dt.year().cast(pl.Int32) - before_birthday.cast(pl.Int32)


def by_day(values: pl.Series, d: pl.Expr, first: date) -> pl.Expr:
    """`values[i]` for the date `d` that is day i after `first`; null outside the table (a look-up per row
    instead of date arithmetic)."""
    i = d.to_physical() - (first - EPOCH).days
    n = values.len()
    return pl.when(i.is_between(0, n - 1)).then(pl.lit(values).gather(i.clip(0, n - 1)))
