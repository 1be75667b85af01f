"""Quartile bands and national rank as LAIT computes them (`R/fn_analysis.R`).

Cut points are R's default `quantile()` (type 7) over every LA value for the year. Polarity low:
A = [min, Q1], B = (Q1, Q2], C = (Q2, Q3], D = (Q3, max]; polarity high runs the other way
(D = [min, Q1] ... A = (Q3, max]). Rank 1 = best; ties share the lower rank (`ties.method = "min"`).
A local value outside the published range falls in the outer band (LAIT would show "Error").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from csc_metrics.reference.lait import Measure


def quantile7(values: Sequence[float], p: float) -> float:
    """R `quantile(x, p, type = 7)`: linear interpolation between order statistics at h = (n - 1) p."""
    xs = sorted(values)
    if not xs:
        raise ValueError("quantile of no values")
    h = (len(xs) - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def quartile_band(value: float, values: Sequence[float], polarity: str) -> str | None:
    """A-D (A = best quarter) of `value` against the cut points of `values`; None for polarity none."""
    if polarity not in ("low", "high") or len(values) < 2:
        return None
    q1, q2, q3 = (quantile7(values, p) for p in (0.25, 0.5, 0.75))
    ascending = "A" if value <= q1 else "B" if value <= q2 else "C" if value <= q3 else "D"
    return ascending if polarity == "low" else "DCBA"["ABCD".index(ascending)]


def national_rank(value: float, others: Sequence[float], polarity: str) -> int | None:
    """Rank of `value` among `others` (every other LA): 1 + how many are strictly better."""
    if polarity == "low":
        return 1 + sum(1 for v in others if v < value)
    if polarity == "high":
        return 1 + sum(1 for v in others if v > value)
    return None


@dataclass(frozen=True)
class Position:
    band: str | None
    rank: int | None
    ranked_of: int | None


def position(measure: Measure, year: int, value: float, la_code: str, polarity: str) -> Position:
    """Band and national rank of `value` for `la_code` among every LA's published `measure` for `year`: the one
    ranking `compare`, `benchmarks` and the report use. The band's cut points use every LA's value (as LAIT);
    the rank is among the other LAs, out of them plus this one."""
    from csc_metrics.reference.lait import la_values

    everyone = la_values(measure.code, year)
    others = everyone.filter(everyone["area"] != la_code)["value"].to_list()
    band = quartile_band(value, everyone["value"].to_list(), polarity) if measure.quartiles else None
    rank = national_rank(value, others, polarity) if others else None
    return Position(band, rank, len(others) + 1 if rank is not None else None)
