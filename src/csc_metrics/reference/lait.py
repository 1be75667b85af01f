"""Published LAIT measures and values (England, regions, every LA; years ending 31 March 2015-2025)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Literal

import polars as pl

from csc_metrics.reference._files import missing_reason, numeric, table

Polarity = Literal["low", "high", "none"]


@dataclass(frozen=True)
class Measure:
    """A LAIT measure (`Measure_short` code) and how DfE publishes it."""

    code: str
    name: str
    polarity: Polarity
    decimals: int
    year_type: str
    unit: str = "other"  # percent, rate_per_10k, count, score, average, other
    topic: str = ""
    quartiles: bool = True  # False where LAIT shows no quartile band
    description: str = ""

    def year_end(self, year: int) -> date:
        """Last day of the published year `year` (31 March; 30 September for workforce; 31 August academic)."""
        if self.year_type.startswith("Annual (end of Sept"):
            return date(year, 9, 30)
        if self.year_type == "Academic Year":
            return date(year, 8, 31)
        return date(year, 3, 31)


@dataclass(frozen=True)
class PublishedValue:
    """One published cell: a number, or a missing value with the reason."""

    measure: str
    area: str
    year: int
    value: float | None
    symbol: str | None = None  # '-', 'c', 'x', ... or '' (not published that year)
    reason: str | None = None


@cache
def _measures() -> dict[str, Measure]:
    out = {}
    for r in table("lait_measures.csv").iter_rows(named=True):
        out[r["code"]] = Measure(
            code=r["code"], name=r["name"] or r["code"], polarity=r["polarity"], decimals=int(r["decimals"]),
            year_type=r["year_type"] or "", unit=r["unit"] or "other", topic=r["topic"] or "",
            quartiles=r["quartiles"] == "true", description=r["description"] or "",
        )
    return out


def lait_measure(code: str) -> Measure | None:
    """The LAIT measure with this `Measure_short` code (exact, case-sensitive), or None."""
    return _measures().get(code)


def lait_measure_codes() -> set[str]:
    """Every LAIT measure code bundled (used to reject an unknown benchmark measure)."""
    return set(_measures())


@cache
def _by_measure() -> dict[str, pl.DataFrame]:
    """Long values per measure: area, year, raw (text as published), value (number or null)."""
    wide = table("lait_values.csv")
    years = [c for c in wide.columns if c.isdigit()]
    long = wide.unpivot(index=["measure", "area"], on=years, variable_name="year", value_name="raw").with_columns(
        pl.col("year").cast(pl.Int32), numeric("raw").alias("value")
    )
    return {key[0]: df.drop("measure") for key, df in long.partition_by("measure", as_dict=True).items()}


def _frame(measure: str) -> pl.DataFrame:
    return _by_measure().get(measure, pl.DataFrame(schema={"area": pl.String, "year": pl.Int32,
                                                           "raw": pl.String, "value": pl.Float64}))


def lait_years(measure: str) -> list[int]:
    """Years for which the measure has at least one published number (any area)."""
    df = _frame(measure).filter(pl.col("value").is_not_null())
    return sorted(df["year"].unique().to_list())


def lait_value(measure: str, area: str, year: int) -> PublishedValue:
    """The published value of a measure for an area (970 England, 980-990 regions, LA code) and year."""
    row = _frame(measure).filter((pl.col("area") == str(area)) & (pl.col("year") == year))
    if row.height == 0:
        return PublishedValue(measure, str(area), year, None, "", missing_reason(""))
    raw, value = row["raw"][0], row["value"][0]
    if value is not None:
        return PublishedValue(measure, str(area), year, value)
    return PublishedValue(measure, str(area), year, None, raw or "", missing_reason(raw))


def lait_values(measure: str, areas: list[str], year: int) -> list[PublishedValue]:
    """Values for several areas, in the order given."""
    return [lait_value(measure, a, year) for a in areas]


def la_values(measure: str, year: int) -> pl.DataFrame:
    """Every LA's published number for the year (areas below 970 with a value): columns area, value."""
    return _frame(measure).filter(
        (pl.col("year") == year) & pl.col("value").is_not_null() & (pl.col("area").cast(pl.Int32) < 970)
    ).select("area", "value")


def lait_series(measure: str, area: str) -> list[PublishedValue]:
    """Every year's published value for one area, oldest first."""
    years = sorted(_frame(measure)["year"].unique().to_list())
    return [lait_value(measure, area, y) for y in years]
