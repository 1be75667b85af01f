"""Working days under the spec convention: d with start < d <= end, England and Wales bank holidays."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csc_metrics.config import load_config
from csc_metrics.engine.calendar import WorkingCalendar, calendar_for_span, england_bank_holidays

CAL = WorkingCalendar(2021, 2025)


def wd(start: date | None, end: date | None, cal: WorkingCalendar = CAL) -> int | None:
    df = pl.DataFrame({"s": [start], "e": [end]}, schema={"s": pl.Date, "e": pl.Date})
    return df.select(n=cal.working_days_between(pl.col("s"), pl.col("e"))).item()


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Christmas 2022: Sun 25 Dec -> substitute Tue 27 Dec; Mon 26 Dec Boxing Day; Sun 1 Jan -> Mon 2 Jan.
        # Fri 23 Dec -> Wed 4 Jan: 24 Sat, 25 Sun, 26 hol, 27 hol, 28, 29, 30, 31 Sat, 1 Sun, 2 hol, 3, 4 = 5
        (date(2022, 12, 23), date(2023, 1, 4), 5),
        # Fri 23 Dec -> Tue 27 Dec: weekend + two holidays = 0
        (date(2022, 12, 23), date(2022, 12, 27), 0),
        # Fri 23 Dec -> Wed 28 Dec: only 28 = 1
        (date(2022, 12, 23), date(2022, 12, 28), 1),
        # Sat 31 Dec 2022 -> Tue 3 Jan 2023: 1 Jan Sun, 2 Jan substitute holiday, 3 Jan = 1
        (date(2022, 12, 31), date(2023, 1, 3), 1),
        # Easter 2024: Thu 28 Mar -> Tue 2 Apr: 29 Good Friday, 30-31 weekend, 1 Apr Easter Monday, 2 Apr = 1
        (date(2024, 3, 28), date(2024, 4, 2), 1),
        # Coronation 2023: Fri 5 May -> Tue 9 May: 6-7 weekend, 8 May Coronation, 9 = 1
        (date(2023, 5, 5), date(2023, 5, 9), 1),
        # May Day + Coronation: Fri 28 Apr -> Fri 12 May 2023: 10 weekdays (1-5, 8-12) less 1 and 8 May = 8
        (date(2023, 4, 28), date(2023, 5, 12), 8),
        # Platinum Jubilee 2022: Wed 1 Jun -> Mon 6 Jun: 2 Jun and 3 Jun holidays, 4-5 weekend, 6 = 1
        (date(2022, 6, 1), date(2022, 6, 6), 1),
        # State funeral 2022: Fri 16 Sep -> Tue 20 Sep: 17-18 weekend, 19 funeral, 20 = 1
        (date(2022, 9, 16), date(2022, 9, 20), 1),
        # Start on a Saturday: Sat 7 Jan 2023 -> Mon 9 Jan: 8 Sun, 9 Mon = 1 (polars' [start, end) gives 0)
        (date(2023, 1, 7), date(2023, 1, 9), 1),
        # Sat 7 Jan -> Fri 13 Jan 2023: 9..13 = 5
        (date(2023, 1, 7), date(2023, 1, 13), 5),
        # End on a Saturday: Fri 6 Jan -> Sat 7 Jan = 0
        (date(2023, 1, 6), date(2023, 1, 7), 0),
        # Same day = 0, also on a holiday
        (date(2023, 1, 11), date(2023, 1, 11), 0),
        (date(2022, 12, 26), date(2022, 12, 26), 0),
        # Friday -> next Monday = 1
        (date(2023, 1, 13), date(2023, 1, 16), 1),
        # Mon -> Mon one week later: Tue..Fri + Mon = 5
        (date(2023, 1, 9), date(2023, 1, 16), 5),
        # End before start: -(count of d with end < d <= start): Mon 16 Jan back to Fri 13 Jan = -1 (16 Jan)
        (date(2023, 1, 16), date(2023, 1, 13), -1),
        # and back over Christmas 2022: the same 5 days as forwards, negative
        (date(2023, 1, 4), date(2022, 12, 23), -5),
    ],
)
def test_known_durations(start: date, end: date, expected: int) -> None:
    assert wd(start, end) == expected


def test_nulls_give_null() -> None:
    assert wd(None, date(2023, 1, 4)) is None
    assert wd(date(2023, 1, 4), None) is None
    assert wd(None, None) is None


def test_vectorised_over_a_lazy_frame() -> None:
    lf = pl.LazyFrame(
        {
            "s": [date(2022, 12, 23), date(2023, 1, 16), None],
            "e": [date(2023, 1, 4), date(2023, 1, 13), date(2023, 1, 1)],
        }
    )
    out = lf.with_columns(n=CAL.working_days_between(pl.col("s"), pl.col("e"))).collect()
    assert out["n"].to_list() == [5, -1, None]


def test_local_closure_from_config(tmp_path) -> None:
    # A closure on Tue 24 Jan 2023 (a normal Tuesday).
    # Mon 23 -> Wed 25 Jan: 24, 25 = 2 normally; 1 with the closure.
    cfg_file = tmp_path / "csc-metrics.toml"
    cfg_file.write_text("closures = [2023-01-24]\n", encoding="utf-8")
    cfg = load_config(cfg_file)
    cal = WorkingCalendar(2023, 2023, closures=cfg.closures)
    assert wd(date(2023, 1, 23), date(2023, 1, 25), WorkingCalendar(2023, 2023)) == 2
    assert wd(date(2023, 1, 23), date(2023, 1, 25), cal) == 1
    assert date(2023, 1, 24) in cal.holidays


def test_worked_bank_holiday() -> None:
    # Late summer holiday Mon 26 Aug 2024.
    # Fri 23 -> Tue 27 Aug: 24-25 weekend, 26 holiday, 27 = 1; when worked: 26, 27 = 2.
    worked = WorkingCalendar(2024, 2024, working_days=[date(2024, 8, 26)])
    assert wd(date(2024, 8, 23), date(2024, 8, 27), WorkingCalendar(2024, 2024)) == 1
    assert wd(date(2024, 8, 23), date(2024, 8, 27), worked) == 2
    assert date(2024, 8, 26) not in worked.holidays


def test_holidays_attribute_is_sorted_and_combined() -> None:
    cal = WorkingCalendar(2024, 2024, closures=[date(2024, 12, 24)], working_days=[date(2024, 5, 6)])
    assert list(cal.holidays) == sorted(cal.holidays)
    assert date(2024, 12, 24) in cal.holidays  # closure added
    assert date(2024, 5, 6) not in cal.holidays  # early May holiday worked
    assert date(2024, 3, 29) in cal.holidays  # Good Friday kept
    assert all(d.weekday() < 5 for d in cal.holidays)


def test_result_is_int64() -> None:
    df = pl.DataFrame({"s": [date(2023, 1, 9)], "e": [date(2023, 1, 16)]})
    assert df.select(CAL.working_days_between(pl.col("s"), pl.col("e"))).dtypes == [pl.Int64]


def test_is_working_day() -> None:
    df = pl.DataFrame({"d": [date(2023, 5, 8), date(2023, 5, 9), date(2023, 5, 6), None]})
    assert df.select(CAL.is_working_day(pl.col("d")))["d"].to_list() == [False, True, False, None]


def test_metadata_and_span() -> None:
    cal = calendar_for_span(date(2022, 5, 1), date(2024, 3, 31), closures=[date(2023, 12, 27)])
    assert (cal.first_year, cal.last_year) == (2022, 2025)  # one year margin after the data
    assert cal.covers(date(2025, 12, 31)) and not cal.covers(date(2021, 12, 31))
    meta = cal.metadata()
    assert meta == {
        "holidays_source": "python-holidays",
        "holidays_version": holidays.__version__,
        "years": [2022, 2025],
        "closures": ["2023-12-27"],
        "working_days": [],
    }
    with pytest.raises(ValueError):
        WorkingCalendar(2025, 2024)


# --- `holidays` gotchas (style.md section 2) ---------------------------------------------------------


def test_subdiv_eng_includes_easter_monday_and_late_summer() -> None:
    eng = england_bank_holidays(2024, 2024)
    assert date(2024, 4, 1) in eng  # Easter Monday
    assert date(2024, 8, 26) in eng  # Late Summer bank holiday
    weekdays = sorted(d for d in eng if d.weekday() < 5)
    # 2024: 1 Jan, 29 Mar, 1 Apr, 6 May, 27 May, 26 Aug, 25 Dec, 26 Dec = the 8 England bank holidays
    assert len(weekdays) == 8
    uk_only = holidays.country_holidays("GB", years=[2024])
    assert date(2024, 4, 1) not in uk_only and date(2024, 8, 26) not in uk_only


def test_holidays_without_years_is_empty_until_queried() -> None:
    lazy = holidays.country_holidays("GB", subdiv="ENG")
    assert list(lazy) == []  # this is why the years are always passed explicitly


def test_one_off_and_substitute_days() -> None:
    eng = england_bank_holidays(2022, 2023)
    for d in (date(2022, 6, 2), date(2022, 6, 3), date(2022, 9, 19), date(2023, 5, 8)):
        assert d in eng
    assert date(2022, 12, 27) in eng and date(2023, 1, 2) in eng  # substitutes for Sun 25 Dec and Sun 1 Jan


# --- properties ---------------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2021, 1, 1), max_value=date(2025, 12, 31))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(DAYS, DAYS), min_size=1, max_size=40))
def test_property_matches_day_by_day_count(pairs: list[tuple[date, date]]) -> None:
    """Against a day-by-day oracle: 0 <= working days <= calendar days for end >= start, antisymmetric."""
    hol = set(CAL.holidays)

    def oracle(s: date, e: date) -> int:
        lo, hi, sign = (s, e, 1) if e >= s else (e, s, -1)
        days = (lo + timedelta(days=i) for i in range(1, (hi - lo).days + 1))
        return sign * sum(1 for d in days if d.weekday() < 5 and d not in hol)

    df = pl.DataFrame({"s": [p[0] for p in pairs], "e": [p[1] for p in pairs]})
    got = df.select(
        fwd=CAL.working_days_between(pl.col("s"), pl.col("e")),
        back=CAL.working_days_between(pl.col("e"), pl.col("s")),
    )
    for (s, e), n, back in zip(pairs, got["fwd"], got["back"], strict=True):
        assert n == oracle(s, e)
        assert back == -n
        if e >= s:
            assert 0 <= n <= (e - s).days


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.dates(date(1900, 1, 1), date(2100, 12, 31)), st.dates(date(1900, 1, 1), date(2100, 12, 31))),
                min_size=1, max_size=30))
def test_table_count_equals_polars_business_day_count(pairs: list[tuple[date, date]]) -> None:
    """The look-up table gives what `business_day_count` over (start, end] gives, to the span's edges."""
    cal = WorkingCalendar(2018, 2027, closures=[date(2023, 12, 27)], working_days=[date(2024, 12, 26)])
    df = pl.DataFrame({"s": [p[0] for p in pairs], "e": [p[1] for p in pairs]})
    lo, hi = pl.min_horizontal("s", "e"), pl.max_horizontal("s", "e")
    count = pl.business_day_count(lo.dt.offset_by("1d"), hi.dt.offset_by("1d"), holidays=cal.holidays)
    got = df.select(table=cal.working_days_between(pl.col("s"), pl.col("e")),
                    polars=pl.when(pl.col("e") < pl.col("s")).then(-count).otherwise(count).cast(pl.Int64))
    assert got["table"].to_list() == got["polars"].to_list()


def test_dates_outside_1900_to_2100_have_no_count() -> None:
    df = pl.DataFrame({"s": [date(1899, 12, 31), date(2024, 1, 1), None], "e": [date(1900, 1, 2), date(2101, 1, 1), date(2024, 1, 2)]})
    assert df.select(CAL.working_days_between(pl.col("s"), pl.col("e")).alias("n"))["n"].to_list() == [None, None, None]


def test_bank_holidays_kept_in_the_cache_folder(tmp_path, monkeypatch):
    """The list comes from `holidays` once, then from the cache file; a damaged file is rebuilt."""
    from csc_metrics.engine import calendar

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calendar._bank_holidays.cache_clear()
    want = set(holidays.country_holidays("GB", subdiv="ENG", years=range(2015, 2031)))
    assert england_bank_holidays(2015, 2030) == want
    [cached] = (tmp_path / "csc-metrics").glob("bank-holidays-*.json")
    assert calendar.holidays_version() == holidays.__version__
    # the file is what later runs read: a planted date shows it is used
    cached.write_text('{"version": "x", "dates": ["2020-06-01"]}')
    calendar._bank_holidays.cache_clear()
    assert england_bank_holidays(2020, 2020) == {date(2020, 6, 1)}
    cached.write_text("{")  # damaged: asked of `holidays` again and written anew
    calendar._bank_holidays.cache_clear()
    assert england_bank_holidays(2015, 2030) == want
    assert '"dates"' in cached.read_text()
    calendar._bank_holidays.cache_clear()
