"""The bound dates that replace calendar addition on every row for a months/years timescale to a fixed date."""

from datetime import date

import polars as pl
import pytest

from csc_metrics.engine.expressions import add_months, first_start_reaching, last_start_within


@pytest.mark.parametrize(("day", "months", "bound"), [
    (date(2025, 3, 31), 24, date(2023, 3, 31)),  # 31/03/2023 + 24 = 31/03/2025; 01/04/2023 + 24 = 01/04/2025
    (date(2025, 2, 28), 12, date(2024, 2, 29)),  # 29/02/2024 + 12 = 28/02/2025 (clamped); 01/03/2024 -> 01/03/2025
    (date(2025, 2, 28), 1, date(2025, 1, 31)),   # 31/01 + 1 = 28/02 (clamped); 01/02 + 1 = 01/03
    (date(2025, 3, 31), 30, date(2022, 9, 30)),  # 30/09/2022 + 30 = 30/03/2025; 01/10/2022 -> 01/04/2025
])
def test_last_start_within(day, months, bound):
    assert last_start_within(day, months) == bound


@pytest.mark.parametrize(("day", "months", "bound"), [
    (date(2025, 2, 28), 1, date(2025, 1, 28)),   # 27/01 + 1 = 27/02 (before); 28/01 + 1 = 28/02
    (date(2025, 3, 31), 30, date(2022, 10, 1)),  # 30/09/2022 + 30 = 30/03/2025 (before); 01/10/2022 -> 01/04/2025
    (date(2025, 2, 28), 12, date(2024, 2, 28)),  # 27/02/2024 + 12 = 27/02/2025 (before); 28/02/2024 -> 28/02/2025
])
def test_first_start_reaching(day, months, bound):
    assert first_start_reaching(day, months) == bound


def test_bounds_agree_with_calendar_addition_on_every_start():
    starts = pl.DataFrame({"s": pl.date_range(date(2019, 1, 1), date(2026, 12, 31), eager=True)})
    for day in (date(2025, 3, 31), date(2024, 2, 29), date(2025, 2, 28), date(2023, 1, 31), date(2024, 4, 30)):
        for months in (1, 6, 12, 24, 30):
            t = starts.with_columns(t=add_months(pl.col("s"), months))
            within = t.select((pl.col("t") <= day) == (pl.col("s") <= last_start_within(day, months)))
            reaching = t.select((pl.col("t") >= day) == (pl.col("s") >= first_start_reaching(day, months)))
            assert within.to_series().all() and reaching.to_series().all(), (day, months)
