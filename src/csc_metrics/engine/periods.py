"""Reporting periods: financial years (`2025-26`), financial quarters (`2025-26 Q1`) and months (`2025-04`).

A financial year runs from 1 April to 31 March; Q1 is April to June and Q4 is January to March of the next
calendar year. Labels are a public contract (the history store and reports key on them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, cast, get_args

from csc_metrics.errors import CscError

Granularity = Literal["month", "quarter", "year"]
GRANULARITIES: tuple[str, ...] = get_args(Granularity)
_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}

ACCEPTED_FORMS = "a financial year `2025-26`, a quarter `2025-26 Q1` (Q1 = Apr-Jun) or a month `2025-04`"
_FY_RE = re.compile(r"^(\d{4})\s*[-/]\s*(\d{2}|\d{4})(?:\s*[Qq]([1-4]))?$")
_MONTH_RE = re.compile(r"^(\d{4})\s*[-/]\s*(\d{2})$")


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    k = year * 12 + (month - 1) + n
    return k // 12, k % 12 + 1


def _month_end(year: int, month: int) -> date:
    y, m = _add_months(year, month, 1)
    return date(y, m, 1) - timedelta(days=1)


def _fy_label(fy: int) -> str:
    return f"{fy}-{(fy + 1) % 100:02d}"


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period, both ends inclusive. Orders by start, then end."""

    start: date
    end: date
    granularity: Granularity
    label: str

    @property
    def months(self) -> int:
        """Length in calendar months: 1, 3 or 12."""
        return _MONTHS[self.granularity]

    def previous(self) -> Period:
        """The period immediately before, of the same granularity."""
        return period_of(self.start - timedelta(days=1), self.granularity)

    def next(self) -> Period:
        """The period immediately after, of the same granularity."""
        return period_of(self.end + timedelta(days=1), self.granularity)

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def __str__(self) -> str:
        return self.label


def _financial_year(fy: int) -> Period:
    return Period(date(fy, 4, 1), date(fy + 1, 3, 31), "year", _fy_label(fy))


def _quarter(fy: int, q: int) -> Period:
    y, m = _add_months(fy, 4, 3 * (q - 1))
    ey, em = _add_months(y, m, 2)
    return Period(date(y, m, 1), _month_end(ey, em), "quarter", f"{_fy_label(fy)} Q{q}")


def _month(year: int, month: int) -> Period:
    return Period(date(year, month, 1), _month_end(year, month), "month", f"{year}-{month:02d}")


def _bad_label(label: str, why: str = "") -> CscError:
    return CscError(f"period `{label}` is not recognised{why}", f"use {ACCEPTED_FORMS}")


def parse_period(label: str) -> Period:
    """Parse a period label; `2025/26`, `2025-2026` and `q1` are accepted and normalised to `2025-26 Q1`
    (`2025/04` to `2025-04`). The one parser of period labels: every command reads `--period` with it.

    `YYYY-MM` is a month unless MM is the two-digit year after YYYY (only 2000-01 .. 2011-12 are both; they
    are read as financial years).
    """
    text = " ".join(label.split())
    if (m := _FY_RE.match(text)) is not None:
        fy, second, q = int(m.group(1)), m.group(2), m.group(3)
        follows = int(second) == (fy + 1 if len(second) == 4 else (fy + 1) % 100)
        if follows:
            return _quarter(fy, int(q)) if q else _financial_year(fy)
        if q:
            raise _bad_label(label, f": {second} is not the year after {fy}")
    if (m := _MONTH_RE.match(text)) is not None:
        year, month = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12:
            return _month(year, month)
        raise _bad_label(label, f": {month:02d} is neither a month nor the year after {year}")
    raise _bad_label(label)


def financial_year_start(d: date) -> int:
    """The calendar year in which the financial year containing `d` starts (1 April)."""
    return d.year if d.month >= 4 else d.year - 1


def period_of(d: date, granularity: Granularity) -> Period:
    """The period of the given granularity that contains `d`."""
    if granularity == "month":
        return _month(d.year, d.month)
    fy = financial_year_start(d)
    if granularity == "year":
        return _financial_year(fy)
    if granularity == "quarter":
        return _quarter(fy, (d.month - 4) % 12 // 3 + 1)
    raise ValueError(f"unknown granularity {granularity!r}")


def periods_between(start: date, end: date, granularity: Granularity) -> list[Period]:
    """Every period of the granularity intersecting [start, end], in order (empty when end < start)."""
    out: list[Period] = []
    if end < start:
        return out
    p = period_of(start, granularity)
    while p.start <= end:
        out.append(p)
        p = p.next()
    return out


def parse_granularity_or_labels(values: list[str]) -> Granularity | list[Period]:
    """Read `--period` values: one granularity word (`quarter`, `month`, `year`) or one or more labels.

    No values means `quarter`. Labels may also be comma-separated; the periods come back sorted, without
    duplicates.
    """
    items = [part.strip() for v in values for part in v.split(",") if part.strip()]
    if not items:
        return "quarter"
    words = [v.lower() for v in items if v.lower() in GRANULARITIES]
    if words:
        if len(items) > 1:
            raise CscError(
                f"--period mixes a granularity with other values: {', '.join(items)}",
                "give either one of month, quarter, year or one or more period labels",
            )
        return cast(Granularity, words[0])
    return sorted({parse_period(item) for item in items})
