"""Access to the data files bundled in `csc_metrics/data/` (built by `scripts/build_data.py`)."""

from __future__ import annotations

import io
import json
from functools import cache
from importlib import resources
from typing import Any

import polars as pl

from csc_metrics.errors import CscError

# What each published symbol means. A symbol is a missing value with a reason, never a zero.
SYMBOL_REASONS: dict[str, str] = {
    "-": "no value published ('-': suppressed or not available)",
    "c": "suppressed to protect confidentiality ('c')",
    "x": "not available ('x')",
    "z": "not applicable ('z')",
    "u": "low reliability ('u')",
    "k": "rounds to zero, withheld ('k')",
    "low": "rounds to zero, withheld ('low')",
    "": "not published for this year",
}


def missing_reason(symbol: str | None) -> str:
    """Plain-English reason for a published symbol (`-`, `c`, `x`, ...); empty or None = not published."""
    symbol = (symbol or "").strip()
    return SYMBOL_REASONS.get(symbol, f"no value published ({symbol!r})")


def _read_bytes(name: str) -> bytes:
    try:
        return resources.files("csc_metrics").joinpath("data", name).read_bytes()
    except (FileNotFoundError, OSError) as exc:
        raise CscError(
            f"bundled data file csc_metrics/data/{name} is missing",
            "reinstall csc-metrics, or rebuild it with `python scripts/build_data.py`",
        ) from exc


@cache
def table(name: str) -> pl.DataFrame:
    """A bundled CSV, every column as text (codes keep their leading zeros, symbols stay symbols)."""
    return pl.read_csv(io.BytesIO(_read_bytes(name)), infer_schema=False)


@cache
def manifest() -> dict[str, Any]:
    """`data/manifest.json`: sources, licence, vintages, files."""
    return json.loads(_read_bytes("manifest.json"))


def numeric(col: str) -> pl.Expr:
    """A published text column as a number; symbols and blanks become null."""
    return pl.col(col).cast(pl.Float64, strict=False)
