"""Which periods a report shows: the financial year, its quarters as columns, last year as the baseline, and
the chart's trend periods. Year arithmetic is `engine.periods`'; nothing here parses a label itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from csc_metrics.engine.periods import Period, parse_period, period_of
from csc_metrics.errors import CscError
from csc_metrics.results import Result, Status

QUARTERLY_TITLE = "Children's social care: activity and performance"
PERIODS_TITLE = "Children's social care indicators"


@dataclass(frozen=True)
class Layout:
    title: str
    year: str | None  # the financial year reported (None: the latest periods of one payload)
    columns: list[str]
    trend: list[str]
    baseline: str | None  # last year's label


def financial_year(p: Period) -> Period:
    return period_of(p.start, "year")


def quarters(fy: Period) -> list[str]:
    q = period_of(fy.start, "quarter")
    out = []
    for _ in range(4):
        out.append(q.label)
        q = q.next()
    return out


def quarter_number(p: Period) -> int:
    """1 for April-June ... 4 for January-March (the financial year's quarters)."""
    return (p.start.month - 4) % 12 // 3 + 1


def column_title(label: str) -> str:
    """`2025-26 Q1` -> `Q1 2025-26`; any other period as its label."""
    p = parse_period(label)
    return f"Q{quarter_number(p)} {financial_year(p).label}" if p.granularity == "quarter" else label


def has_figure(r: Result | None) -> bool:
    return r is not None and r.status is not Status.no_data and r.value is not None


def report_years(results: list[Result]) -> list[str]:
    """Financial years that have at least one quarterly or annual figure, oldest first."""
    years = {financial_year(r.period).label for r in results
             if r.period.granularity in ("quarter", "year") and has_figure(r)}
    return sorted(years)


def choose_year(results: list[Result], year: str | None) -> str:
    """The financial year to report: `--year` read by the same parser as `compute` (any case, `/` for `-`; a
    quarter names its year), else the latest year with figures."""
    available = report_years(results)
    if year is None:
        if not available:
            raise CscError("the stored results hold no quarterly or annual figures",
                           "run `csc-metrics compute` (quarters are the default period) first")
        return available[-1]
    fy = financial_year(parse_period(year)).label
    if fy not in available:
        held = ", ".join(available) or "none"
        raise CscError(f"no quarterly or annual results for {fy} in the history store (years with data: {held})",
                       "run `csc-metrics compute` on that year's extract, or pick a year with data")
    return fy


def quarterly_layout(results: list[Result], year: str | None) -> Layout:
    """The Cabinet layout for one financial year: last year, Q1-Q4. A year stored only as annual figures
    (`compute --period year`) gets one column, the year itself, and the last five years as its trend."""
    fy = parse_period(choose_year(results, year))
    last = fy.previous().label
    this_year = quarters(fy)
    if not any(has_figure(r) for r in results if r.period.label in this_year):
        years = sorted({r.period.label for r in results if r.period.granularity == "year" and has_figure(r)})
        trend = [y for y in years if y <= fy.label][-5:]
        return Layout(QUARTERLY_TITLE, fy.label, [fy.label], trend, last)
    trend = this_year
    if any(has_figure(r) for r in results if r.period.label in quarters(fy.previous())):
        trend = quarters(fy.previous()) + trend
    return Layout(QUARTERLY_TITLE, fy.label, this_year, trend, last)


def periods_layout(results: list[Result], periods: list[str] | None, n_periods: int = 4) -> Layout:
    """The latest `n_periods` periods of one `compute` payload (its own order, else by period)."""
    labels = list(periods or [p.label for p in sorted({r.period for r in results},
                                                      key=lambda p: (financial_year(p).label, p.label))])
    return Layout(PERIODS_TITLE, None, labels[-n_periods:], labels[-8:], None)
