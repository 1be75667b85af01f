"""Reporting periods: financial years (`2025-26`), financial quarters (`2025-26 Q1` = April-June), months (`2025-04`)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from csc_metrics.errors import CscError

Granularity = Literal["month", "quarter", "year"]
GRANULARITIES: tuple[Granularity, ...] = ("month", "quarter", "year")
_FY = re.compile(r"^(\d{4})\s*[-/](\d{2})(?:\s*[qQ]([1-4]))?$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
HINT = "use a financial year `2025-26`, a quarter `2025-26 Q1` (April-June) or a month `2025-04`"


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _fy_label(fy: int) -> str:
    return f"{fy}-{(fy + 1) % 100:02d}"


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    granularity: Granularity
    label: str

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.granularity]

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def previous(self) -> Period:
        """The period immediately before, of the same granularity."""
        month = self.start.month - self.months
        year = self.start.year
        while month < 1:
            month += 12
            year -= 1
        return period_of(date(year, month, 1), self.granularity)


def financial_year_start(d: date) -> int:
    return d.year if d.month >= 4 else d.year - 1


def period_of(d: date, granularity: Granularity) -> Period:
    """The period of the given granularity containing `d`."""
    if granularity == "month":
        return Period(date(d.year, d.month, 1), _month_end(d.year, d.month), "month", f"{d.year}-{d.month:02d}")
    fy = financial_year_start(d)
    if granularity == "year":
        return Period(date(fy, 4, 1), date(fy + 1, 3, 31), "year", _fy_label(fy))
    q = ((d.month + 8) % 12) // 3 + 1
    first = (q - 1) * 3 + 4
    year = fy if first <= 12 else fy + 1
    first = first if first <= 12 else first - 12
    return Period(date(year, first, 1), _month_end(year, first + 2), "quarter", f"{_fy_label(fy)} Q{q}")


def parse_period(label: str) -> Period:
    """`2025-26`, `2025-26 Q1` (also `2025/26 q1`) or `2025-04`."""
    text = " ".join(label.split())
    m = _FY.match(text)
    month_like = _MONTH.match(text)
    if m and not (m.group(3) is None and month_like and (int(m.group(1)) + 1) % 100 != int(m.group(2))):
        fy, short, q = int(m.group(1)), int(m.group(2)), m.group(3)
        if (fy + 1) % 100 != short:
            raise CscError(f"period {label!r}: {fy} is not followed by {short:02d}", HINT)
        if q is None:
            return period_of(date(fy, 4, 1), "year")
        month = (int(q) - 1) * 3 + 4
        return period_of(date(fy if month <= 12 else fy + 1, month if month <= 12 else month - 12, 1), "quarter")
    m = month_like
    if m and 1 <= int(m.group(2)) <= 12:
        return period_of(date(int(m.group(1)), int(m.group(2)), 1), "month")
    raise CscError(f"period {label!r} is not recognised", HINT)


def periods_between(start: date, end: date, granularity: Granularity) -> list[Period]:
    """Every period of the granularity that intersects [start, end], in order."""
    out: list[Period] = []
    p = period_of(start, granularity)
    while p.start <= end:
        out.append(p)
        nxt = p.end.toordinal() + 1
        p = period_of(date.fromordinal(nxt), granularity)
    return out


def parse_granularity_or_labels(values: list[str]) -> Granularity | list[Period]:
    """`--period`: one granularity word, or one or more period labels."""
    words = [v.strip().lower() for v in values]
    if len(words) == 1 and words[0] in GRANULARITIES:
        return words[0]  # type: ignore[return-value]
    if any(w in GRANULARITIES for w in words):
        raise CscError("--period takes either one granularity or period labels, not both", HINT)
    return sorted({parse_period(v) for v in values})
