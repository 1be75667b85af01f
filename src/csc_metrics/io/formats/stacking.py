"""Several returns of one format as one table per table id: SSDA903 by its stacking rule (latest return wins
per `(CHILD, DECOM)`, `csc_metrics.derive.ssda903.stack_returns`), other formats appended."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from csc_metrics.diagnostics import Diagnostic
from csc_metrics.io.formats.base import Return
from csc_metrics.io.model import SRC, SourceInfo, TableData

if TYPE_CHECKING:
    from csc_metrics.spec.loader import Definitions

YEAR = "year"


def stack(fmt: str, returns: list[Return], definitions: Definitions) -> tuple[dict[str, TableData], list[Diagnostic]]:
    """The tables of `returns` (all of format `fmt`, each with a period) combined."""
    if fmt == "ssda903":
        return stack_903(returns)
    if fmt == "cin_census":
        return stack_cin(returns), []
    from csc_metrics.io.formats.registry import concat_sources

    ids = list(dict.fromkeys(t for r in returns for t in r.tables))
    return {t: concat_sources([r.tables[t] for r in returns if t in r.tables]) for t in ids}, []


def stack_903(returns: list[Return]) -> tuple[dict[str, TableData], list[Diagnostic]]:
    """SSDA903 returns (one per collection year) stacked by h14ssda's `stack_returns`; each stacked row's
    `__src` is renumbered from its year's sources into the table's joined source list."""
    years = [(r.period.end.year, r) for r in returns if r.period is not None]
    if len(years) == 1:  # one return: nothing to stack (duplicates within it are episode repair's)
        return dict(years[0][1].tables), []
    from csc_metrics.derive.ssda903 import findings_to_diagnostics, stack_returns

    stacked, findings = stack_returns([(y, {t: td.frame for t, td in r.tables.items()}) for y, r in years])
    sources_by_year = {y: {t: td.sources for t, td in r.tables.items()} for y, r in years}
    diags = list(findings_to_diagnostics(findings, sources_by_year)) if findings.height else []
    return renumber(stacked, years, YEAR), diags


def stack_cin(returns: list[Return]) -> dict[str, TableData]:
    """CIN censuses stacked by h14cin's `stack_censuses` (every census's rows, tagged `census_year`, linked
    by natural key; census Y stays the authority for year Y)."""
    from csc_metrics.derive.cin import stack_censuses

    years = [(r.period.end.year, r) for r in returns if r.period is not None]
    stacked = stack_censuses([(y, {t: td.frame for t, td in r.tables.items()}) for y, r in years])
    return renumber(stacked, years, "census_year")


def renumber(stacked: dict[str, pl.DataFrame], years: list[tuple[int, Return]], year_col: str) -> dict[str, TableData]:
    """Stacked frames as tables: each row's `__src` (an index into its own return's sources, found by its
    `year_col`) renumbered into the table's joined source list (a file in several returns listed once)."""
    out: dict[str, TableData] = {}
    for table_id, frame in stacked.items():
        present = [(y, r.tables[table_id]) for y, r in years if table_id in r.tables]
        if not present:
            continue
        sources = present[0][1].sources
        if len(present) == 1 and len({id(s) for s in sources}) == len(sources) and frame.schema[SRC] == pl.UInt16:
            out[table_id] = TableData(present[0][1].schema, frame, list(sources))  # one return: numbers stay
            continue
        joined: list[SourceInfo] = []
        index: dict[int, int] = {}
        pairs = []
        for y, td in present:
            for i, s in enumerate(td.sources):
                if id(s) not in index:
                    index[id(s)] = len(joined)
                    joined.append(s)
                pairs.append((y, i, index[id(s)]))
        lookup = pl.DataFrame(pairs, schema={"__y": pl.Int32, "__local": pl.UInt16, "__joined": pl.UInt16},
                              orient="row")
        renumbered = (frame.with_columns(pl.col(year_col).cast(pl.Int32).alias("__y"),
                                         pl.col(SRC).cast(pl.UInt16).alias("__local"))
                      .join(lookup, on=["__y", "__local"], how="left", maintain_order="left")
                      .with_columns(pl.col("__joined").alias(SRC)))
        out[table_id] = TableData(present[0][1].schema, renumbered.select(frame.columns), joined)
    return out
