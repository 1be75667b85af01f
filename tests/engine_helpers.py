"""Build typed frames by hand and run the engine on them."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

import polars as pl
from tests.conftest import DEFINITIONS

from csc_metrics.checks import empty_frame
from csc_metrics.engine.calendar import WorkingCalendar
from csc_metrics.engine.periods import Period, parse_period
from csc_metrics.engine.run import Population, Settings, evaluate
from csc_metrics.spec.loader import Definitions, load_definitions

D = date.fromisoformat


@cache
def standard() -> Definitions:
    loaded = load_definitions([DEFINITIONS])
    assert not loaded.has_errors, [d.render() for d in loaded.diagnostics]
    return loaded.definitions


def frames(defs: Definitions, rows: dict[str, list[dict[str, Any]]]) -> dict[str, pl.DataFrame]:
    """Typed frames: every declared column, given values as Python objects (dates as `date`)."""
    out = {}
    for name, records in rows.items():
        table = defs.table(name)
        empty = empty_frame(table)
        filled = [{c: r.get(c) for c in empty.columns} for r in records]
        out[table.id] = pl.DataFrame(filled, schema=empty.schema)
    return out


def run(ids: list[str], rows: dict[str, list[dict[str, Any]]], periods: list[str] | list[Period],
        as_at: date | None = None, population: int | None = None, coverage_start: date = date(2000, 1, 1),
        defs: Definitions | None = None) -> dict[tuple[str, str, str | None], dict[str, Any]]:
    defs = defs or standard()
    ps = [parse_period(p) if isinstance(p, str) else p for p in periods]
    as_at = as_at or max(p.end for p in ps)
    data = frames(defs, rows)
    settings = Settings(
        periods=ps, as_at=as_at, calendar=WorkingCalendar(2015, 2027),
        coverage={t: (coverage_start, as_at) for t in data},
        population=(lambda p: Population(population, p.start.year)) if population else None,
    )
    results = evaluate(defs, [defs.indicators[i] for i in ids], data, settings)
    return {(r["indicator"], r["period"], r["category"]): r for r in results}
