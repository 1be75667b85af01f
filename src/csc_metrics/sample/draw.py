"""Deterministic, vectorised random draws for the synthetic extract.

Every draw is a polars expression over a unique integer row id (`rid`): a seeded hash mapped to [0, 1). The same
seed and key give the same numbers on every run (with the same polars version), no Python loop touches a row, and
independent draws use different keys.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date

import polars as pl

from csc_metrics.dates import whole_years
from csc_metrics.engine.calendar import england_bank_holidays

_U53 = 1 << 53


class Draw:
    """Uniform and categorical draws keyed by (seed, key) over the column `rid`."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def u(self, key: int, col: str = "rid") -> pl.Expr:
        """A uniform number in [0, 1) per row."""
        s = (self.seed * 1_000_003 + key * 7_919 + 17) % (1 << 62)
        return (pl.col(col).hash(s) % _U53).cast(pl.Float64) / _U53

    def between(self, key: int, lo: int | pl.Expr, hi: int | pl.Expr) -> pl.Expr:
        """A whole number in [lo, hi] (both inclusive)."""
        lo_e = lo if isinstance(lo, pl.Expr) else pl.lit(lo)
        hi_e = hi if isinstance(hi, pl.Expr) else pl.lit(hi)
        return (lo_e + (self.u(key) * (hi_e - lo_e + 1)).floor()).cast(pl.Int64)

    def chance(self, key: int, p: float | pl.Expr) -> pl.Expr:
        return self.u(key) < p

    def choice(self, key: int, weights: dict[str, float]) -> pl.Expr:
        """One of the keys, with the given relative weights."""
        return pick(self.u(key), weights)

    def mixture(self, key: int, parts: Sequence[tuple[int, int, float]]) -> pl.Expr:
        """A whole number from a mixture of uniform ranges [(lo, hi, weight), ...]."""
        group = index_of(self.u(key), [w for _, _, w in parts])
        lo = group.replace_strict({i: p[0] for i, p in enumerate(parts)}, return_dtype=pl.Int64)
        hi = group.replace_strict({i: p[1] for i, p in enumerate(parts)}, return_dtype=pl.Int64)
        return (lo + (self.u(key + 500_000) * (hi - lo + 1)).floor()).cast(pl.Int64)


def index_of(u: pl.Expr, weights: Sequence[float]) -> pl.Expr:
    """The index of the bucket a uniform number falls in, buckets sized by `weights`."""
    total = float(sum(weights))
    acc, bounds = 0.0, []
    for w in weights[:-1]:
        acc += w / total
        bounds.append(acc)
    if not bounds:
        return pl.lit(0, dtype=pl.Int64)
    return pl.sum_horizontal([(u >= b).cast(pl.Int64) for b in bounds])


def pick(u: pl.Expr, weights: dict[str, float]) -> pl.Expr:
    keys = list(weights)
    return index_of(u, list(weights.values())).replace_strict(dict(enumerate(keys)), return_dtype=pl.String)


def days(n: int | pl.Expr) -> pl.Expr:
    return pl.duration(days=n)


@functools.lru_cache(maxsize=8)
def bank_holidays(first_year: int, last_year: int) -> tuple[date, ...]:
    """England and Wales bank holidays (including one-off days) for the years given."""
    return tuple(sorted(england_bank_holidays(first_year, last_year)))


def add_working_days(d: pl.Expr, n: int | pl.Expr, hols: Sequence[date]) -> pl.Expr:
    """`n` working days after `d` (Monday-Friday less bank holidays); a non-working `d` rolls forward first."""
    return d.dt.add_business_days(n, holidays=hols, roll="forward")


def age_at(dob: pl.Expr, when: pl.Expr) -> pl.Expr:
    """Whole years at the last birthday (the reader's and engine's definition)."""
    return whole_years(dob, when)
