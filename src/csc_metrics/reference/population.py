"""ONS mid-year population estimates, children aged 0-17, by DfE area code (mid-2012 to mid-2024)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import polars as pl

from csc_metrics.errors import ConfigError
from csc_metrics.reference._files import numeric, table
from csc_metrics.reference.areas import la_info

SOURCE = "ONS mid-year estimates, children aged 0-17 (current series to mid-2024)"


@dataclass(frozen=True)
class Population:
    """The population used: `year` is the mid-year actually used; `warning` says when it is not the one asked."""

    value: int
    year: int
    warning: str | None = None
    source: str = SOURCE


@cache
def _population() -> dict[str, dict[int, int]]:
    df = table("population_0_17.csv").with_columns(numeric("population").alias("n")).filter(pl.col("n").is_not_null())
    out: dict[str, dict[int, int]] = {}
    for area, year, n in df.select("area", "mid_year", "n").iter_rows():
        out.setdefault(area, {})[int(year)] = int(n)
    return out


def population_0_17(la_code: str, mid_year: int) -> Population:
    """ONS 0-17 estimate for the LA at mid-`mid_year`. DfE rates for the year ending March Y use mid-(Y-1).

    When `mid_year` is not published the latest earlier year is used (with a warning); when there is no earlier
    year (an LA created later) the earliest published year is used, also with a warning.
    """
    la = la_info(la_code)
    series = _population().get(la.code)
    if not series:
        raise ConfigError(
            f"CSC303 no ONS population for {la.code} {la.name}",
            "it is a former authority with no published 0-17 estimate; use its current LA code",
        )
    if mid_year in series:
        return Population(series[mid_year], mid_year)
    earlier = [y for y in series if y < mid_year]
    used = max(earlier) if earlier else min(series)
    why = "not published yet" if earlier else "not published for this authority"
    warning = (
        f"CSC302 ONS mid-{mid_year} population for {la.code} {la.name} {why}; mid-{used} used "
        f"({series[used]:,} children aged 0-17)"
    )
    return Population(series[used], used, warning)
