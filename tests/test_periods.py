"""Financial years, financial quarters and months: labels, edges and navigation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csc_metrics.engine.periods import (
    Period,
    financial_year_start,
    parse_granularity_or_labels,
    parse_period,
    period_of,
    periods_between,
)
from csc_metrics.errors import CscError


@pytest.mark.parametrize(
    ("label", "start", "end", "granularity", "months"),
    [
        ("2025-26", date(2025, 4, 1), date(2026, 3, 31), "year", 12),
        ("2025-26 Q1", date(2025, 4, 1), date(2025, 6, 30), "quarter", 3),
        ("2025-26 Q2", date(2025, 7, 1), date(2025, 9, 30), "quarter", 3),
        ("2025-26 Q3", date(2025, 10, 1), date(2025, 12, 31), "quarter", 3),
        ("2025-26 Q4", date(2026, 1, 1), date(2026, 3, 31), "quarter", 3),  # crosses the calendar year
        ("2025-04", date(2025, 4, 1), date(2025, 4, 30), "month", 1),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "month", 1),  # leap year
        ("2025-02", date(2025, 2, 1), date(2025, 2, 28), "month", 1),
        ("2023-24 Q4", date(2024, 1, 1), date(2024, 3, 31), "quarter", 3),  # holds 29 Feb 2024
        ("1999-00", date(1999, 4, 1), date(2000, 3, 31), "year", 12),  # century rollover
    ],
)
def test_parse_labels(label, start, end, granularity, months) -> None:
    p = parse_period(label)
    assert (p.start, p.end, p.granularity, p.label, p.months) == (start, end, granularity, label, months)
    assert parse_period(p.label) == p


@pytest.mark.parametrize(
    ("lenient", "label"),
    [
        ("2025/26", "2025-26"),
        ("2025-26 q1", "2025-26 Q1"),
        ("2025/26 q4", "2025-26 Q4"),
        ("2025-26Q2", "2025-26 Q2"),
        ("  2025-26   Q3 ", "2025-26 Q3"),
        ("2025-2026", "2025-26"),
        ("2024/2025 Q4", "2024-25 Q4"),
        ("2025/04", "2025-04"),
    ],
)
def test_lenient_forms_are_normalised(lenient: str, label: str) -> None:
    assert parse_period(lenient).label == label


@pytest.mark.parametrize(
    "bad", ["2025-27", "2025-13", "2025-00", "2025-26 Q5", "2025-27 Q1", "Q1", "", "25-26"]
)
def test_bad_labels_raise_with_hint(bad: str) -> None:
    with pytest.raises(CscError) as info:
        parse_period(bad)
    assert "2025-26 Q1" in str(info.value) and "2025-04" in str(info.value)


def test_financial_year_edges() -> None:
    assert financial_year_start(date(2025, 3, 31)) == 2024 and financial_year_start(date(2025, 4, 1)) == 2025
    assert period_of(date(2025, 3, 31), "year").label == "2024-25"
    assert period_of(date(2025, 4, 1), "year").label == "2025-26"
    assert period_of(date(2025, 3, 31), "quarter").label == "2024-25 Q4"
    assert period_of(date(2025, 4, 1), "quarter").label == "2025-26 Q1"
    assert period_of(date(2025, 3, 31), "month").label == "2025-03"
    assert period_of(date(2024, 2, 29), "quarter").label == "2023-24 Q4"
    assert period_of(date(2024, 2, 29), "month").end == date(2024, 2, 29)
    assert period_of(date(2025, 12, 31), "quarter").label == "2025-26 Q3"
    assert period_of(date(2026, 1, 1), "quarter").label == "2025-26 Q4"


def test_previous() -> None:
    assert parse_period("2025-26 Q1").previous() == parse_period("2024-25 Q4")
    assert parse_period("2025-26 Q4").previous() == parse_period("2025-26 Q3")
    assert parse_period("2025-04").previous() == parse_period("2025-03")
    assert parse_period("2025-01").previous() == parse_period("2024-12")
    assert parse_period("2025-26").previous() == parse_period("2024-25")
    assert parse_period("2024-03").previous().end == date(2024, 2, 29)
    assert parse_period("2024-25 Q4").next() == parse_period("2025-26 Q1")


def test_contains_is_inclusive() -> None:
    q = parse_period("2025-26 Q1")
    assert q.contains(date(2025, 4, 1)) and q.contains(date(2025, 6, 30))
    assert not q.contains(date(2025, 3, 31)) and not q.contains(date(2025, 7, 1))


def test_periods_between() -> None:
    # 31 March 2025 .. 1 July 2025 touches 2024-25 Q4 (one day), Q1 and Q2 (one day)
    got = periods_between(date(2025, 3, 31), date(2025, 7, 1), "quarter")
    assert [p.label for p in got] == ["2024-25 Q4", "2025-26 Q1", "2025-26 Q2"]
    got = periods_between(date(2024, 1, 15), date(2024, 3, 1), "month")
    assert [p.label for p in got] == ["2024-01", "2024-02", "2024-03"]
    got = periods_between(date(2023, 4, 1), date(2025, 3, 31), "year")
    assert [p.label for p in got] == ["2023-24", "2024-25"]
    assert periods_between(date(2025, 5, 1), date(2025, 5, 1), "year") == [parse_period("2025-26")]
    assert periods_between(date(2025, 5, 2), date(2025, 5, 1), "month") == []


def test_periods_sort_by_start() -> None:
    ps = [parse_period(x) for x in ("2025-26 Q2", "2024-25 Q4", "2025-26 Q1")]
    assert [p.label for p in sorted(ps)] == ["2024-25 Q4", "2025-26 Q1", "2025-26 Q2"]


def test_parse_granularity_or_labels() -> None:
    assert parse_granularity_or_labels([]) == "quarter"
    assert parse_granularity_or_labels(["Month"]) == "month"
    assert parse_granularity_or_labels(["year"]) == "year"
    got = parse_granularity_or_labels(["2025-26 q1", "2025-04,2025/26", "2025-26 Q1"])
    # sorted by start, then end: 2025-04 (Apr) < 2025-26 Q1 (Apr-Jun) < 2025-26 (Apr-Mar); duplicate dropped
    assert [p.label for p in got] == ["2025-04", "2025-26 Q1", "2025-26"]
    with pytest.raises(CscError, match="mixes"):
        parse_granularity_or_labels(["quarter", "2025-26"])
    with pytest.raises(CscError, match="not recognised"):
        parse_granularity_or_labels(["quartr"])


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    st.sampled_from(["month", "quarter", "year"]),
)
def test_property_periods_tile_the_calendar(d: date, granularity) -> None:
    p = period_of(d, granularity)
    assert p.contains(d) and isinstance(p, Period)
    assert p.previous().end + timedelta(days=1) == p.start
    assert p.next().start == p.end + timedelta(days=1)
    assert p.previous().next() == p
    ambiguous = granularity == "month" and p.start.month == (p.start.year + 1) % 100  # 2000-01 .. 2011-12
    assert (parse_period(p.label) == p) is not ambiguous


def test_ambiguous_label_reads_as_financial_year() -> None:
    # `2011-12` could be December 2011 or the financial year 2011-12; the financial year wins.
    assert parse_period("2011-12").granularity == "year"
    assert parse_period("2012-12").granularity == "month"
