"""Working days for England: bank holidays from `holidays`, counted with polars' business-day functions.

Convention (spec, "Working days"): the duration from start to end is the number of working days d with
start < d <= end, so the same day is 0 and Friday to the next Monday is 1. Counted from a table of the
working days up to each day (polars' `is_business_day` over 1900-2100, the dates a reader accepts): the count
is table[end] - table[start], two look-ups a row (tested equal to `business_day_count`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Iterable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from csc_metrics.cache import cache_dir
from csc_metrics.dates import DATE_SPAN, by_day

HOLIDAYS_SOURCE = "python-holidays"


def england_bank_holidays(first_year: int, last_year: int) -> set[date]:
    """England and Wales bank holidays, substitute days and one-off days included, for the years given."""
    _, days = _bank_holidays()
    return {d for d in days if first_year <= d.year <= last_year}


def holidays_version() -> str:
    """The version of the `holidays` package the bank holidays come from."""
    return _bank_holidays()[0]


@cache
def _bank_holidays() -> tuple[str, tuple[date, ...]]:
    """(holidays version, every England and Wales bank holiday of DATE_SPAN's years), from `holidays`.

    Importing `holidays` loads every country's calendar (~0.1 s), so the list is kept in the user's cache
    folder, keyed by the installed package (its folder and version file), and `holidays` is imported only
    when that changes."""
    spec = importlib.util.find_spec("holidays")  # finds the package without importing it
    where = Path(spec.origin).parent if spec and spec.origin else None
    version_file = where / "version.py" if where else None
    key = hashlib.sha256(f"{where}|{version_file.read_bytes() if version_file and version_file.is_file() else b''!r}"
                         .encode()).hexdigest()[:32]
    cached = cache_dir() / f"bank-holidays-{key}.json"
    try:
        data = json.loads(cached.read_text())
        return data["version"], tuple(date.fromisoformat(d) for d in data["dates"])
    except Exception:  # missing, stale or damaged: ask `holidays` again
        pass
    import holidays as holidays_pkg

    # subdiv="ENG" is required (without it Easter Monday and the late summer holiday are missing) and the
    # years must be explicit (without them the object fills lazily and lists nothing)
    years = range(DATE_SPAN[0].year, DATE_SPAN[1].year + 1)
    days = tuple(sorted(holidays_pkg.country_holidays("GB", subdiv="ENG", years=years)))
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": holidays_pkg.__version__, "dates": [d.isoformat() for d in days]}))
        tmp.replace(cached)
    except OSError:
        pass  # a read-only home: no cache, same result
    return holidays_pkg.__version__, days


class WorkingCalendar:
    """Monday to Friday, less England and Wales bank holidays and local closures, plus bank holidays worked.

    `holidays` holds the resulting non-working weekdays, sorted.

    Only dates inside `first_year`..`last_year` know their bank holidays: build the calendar over the span of
    the data (see `calendar_for_span`).
    """

    def __init__(
        self,
        first_year: int,
        last_year: int,
        closures: Iterable[date] = (),
        working_days: Iterable[date] = (),
    ) -> None:
        if first_year > last_year:
            raise ValueError(f"first_year {first_year} is after last_year {last_year}")
        self.first_year = first_year
        self.last_year = last_year
        self.closures: tuple[date, ...] = tuple(sorted(set(closures)))
        self.working_days: tuple[date, ...] = tuple(sorted(set(working_days)))
        bank = england_bank_holidays(first_year, last_year)
        days = (bank | set(self.closures)) - set(self.working_days)
        # weekend dates (e.g. Sunday 25 Dec 2022) are dropped: the week mask already excludes them
        self.holidays: tuple[date, ...] = tuple(sorted(d for d in days if d.weekday() < 5))
        self._table: pl.Series | None = None

    def cumulative(self) -> pl.Series:
        """Working days from DATE_SPAN's start up to and including each day of the span (Int32)."""
        if self._table is None:
            days = pl.date_range(*DATE_SPAN, eager=True)
            self._table = days.dt.is_business_day(holidays=self.holidays).cast(pl.Int32).cum_sum()
        return self._table

    def working_days_between(self, start: pl.Expr, end: pl.Expr) -> pl.Expr:
        """Number of working days d with start < d <= end (same day = 0; Friday -> next Monday = 1).

        Null when either is null or outside 1900-2100. When end < start the result is negative (-(count of d
        with end < d <= start)), so callers can detect and exclude it. Both expressions must be of type Date.
        """
        table = self.cumulative()
        return (by_day(table, end, DATE_SPAN[0]) - by_day(table, start, DATE_SPAN[0])).cast(pl.Int64)

    def is_working_day(self, d: pl.Expr) -> pl.Expr:
        """True on a working day, null when the date is null."""
        return d.dt.is_business_day(holidays=self.holidays)

    def covers(self, d: date) -> bool:
        """Whether the calendar knows the bank holidays of `d`'s year."""
        return self.first_year <= d.year <= self.last_year

    def metadata(self) -> dict[str, Any]:
        """Provenance for result metadata: the holidays package version, the years and local overrides."""
        return {
            "holidays_source": HOLIDAYS_SOURCE,
            "holidays_version": holidays_version(),
            "years": [self.first_year, self.last_year],
            "closures": [d.isoformat() for d in self.closures],
            "working_days": [d.isoformat() for d in self.working_days],
        }

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar({self.first_year}, {self.last_year}, closures={len(self.closures)}, "
            f"working_days={len(self.working_days)})"
        )


def calendar_for_span(
    min_date: date,
    max_date: date,
    closures: Iterable[date] = (),
    working_days: Iterable[date] = (),
) -> WorkingCalendar:
    """A calendar covering `min_date`..`max_date`, plus one year after for look-forward windows."""
    if min_date > max_date:
        min_date, max_date = max_date, min_date
    return WorkingCalendar(min_date.year, max_date.year + 1, closures, working_days)
