"""Working days: Monday to Friday except England and Wales bank holidays (python-holidays) and local closures.

`polars.business_day_count` counts days in [start, end); a duration "working days d with start < d <= end" is
therefore business_day_count(start + 1 day, end + 1 day). Wrapped here so any API change touches one file.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import holidays
import polars as pl


class WorkingCalendar:
    """England and Wales bank holidays for explicit years, plus local closures, minus days the LA worked."""

    def __init__(self, first_year: int, last_year: int, closures: Iterable[date] = (),
                 working_days: Iterable[date] = ()) -> None:
        self.first_year, self.last_year = first_year, last_year
        bank = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
        self.closures = tuple(sorted(set(closures)))
        self.worked = tuple(sorted(set(working_days)))
        days = (set(bank) | set(self.closures)) - set(self.worked)
        self.holidays: tuple[date, ...] = tuple(sorted(d for d in days if d.weekday() < 5))

    def working_days_between(self, start: pl.Expr, end: pl.Expr) -> pl.Expr:
        """Working days d with start < d <= end (same day 0, Friday to Monday 1); negative when end < start;
        null when either date is null."""
        one = pl.duration(days=1)
        return pl.business_day_count(start + one, end + one, holidays=self.holidays).cast(pl.Int64)

    def metadata(self) -> dict[str, object]:
        return {
            "holidays_source": "python-holidays",
            "holidays_version": holidays.__version__,
            "years": [self.first_year, self.last_year],
            "closures": [d.isoformat() for d in self.closures],
            "working_days": [d.isoformat() for d in self.worked],
        }


def calendar_for_span(min_date: date, max_date: date, closures: Iterable[date] = (),
                      working_days: Iterable[date] = ()) -> WorkingCalendar:
    """A calendar covering the data's dates, with a year's margin for look-forwards."""
    return WorkingCalendar(min_date.year, (max_date + timedelta(days=366)).year, closures, working_days)
