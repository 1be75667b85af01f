"""Several returns of one format as one table per table id: SSDA903 by its stacking rule (latest return wins
per `(CHILD, DECOM)`, `csc_metrics.derive.ssda903.stack_returns`), other formats appended."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from csc_metrics.diagnostics import Diagnostic
from csc_metrics.errors import CscError
from csc_metrics.io.formats.base import Return
from csc_metrics.io.model import SRC, SourceInfo, TableData

if TYPE_CHECKING:
    from csc_metrics.spec.loader import Definitions

YEAR = "year"


def stack(fmt: str, returns: list[Return], definitions: Definitions) -> tuple[dict[str, TableData], list[Diagnostic]]:
    """The tables of `returns` (all of format `fmt`, each with a period) combined."""
    if fmt == "ssda903":
        return stack_903(returns)
    from csc_metrics.io.formats.registry import concat_sources

    ids = list(dict.fromkeys(t for r in returns for t in r.tables))
    return {t: concat_sources([r.tables[t] for r in returns if t in r.tables]) for t in ids}, []


def stack_903(returns: list[Return]) -> tuple[dict[str, TableData], list[Diagnostic]]:
    """SSDA903 returns (one per collection year) stacked by h14ssda's `stack_returns`; each stacked row's
    `__src` is renumbered from its year's sources into the table's joined source list."""
    years = [(r.period.end.year, r) for r in returns if r.period is not None]
    if len(years) == 1:  # one return: nothing to stack (duplicates within it are episode repair's)
        return dict(years[0][1].tables), []
    try:
        from csc_metrics.derive.ssda903 import findings_to_diagnostics, stack_returns
    except ImportError:  # pragma: no cover - the derive library ships with csc-metrics
        raise CscError("stacking several SSDA903 collection years needs csc_metrics.derive.ssda903",
                       "read one collection year at a time") from None
    stacked, findings = stack_returns([(y, {t: td.frame for t, td in r.tables.items()}) for y, r in years])
    sources_by_year = {y: {t: td.sources for t, td in r.tables.items()} for y, r in years}
    diags = list(findings_to_diagnostics(findings, sources_by_year)) if findings.height else []
    out: dict[str, TableData] = {}
    for table_id, frame in stacked.items():
        schema = next(r.tables[table_id].schema for _, r in years if table_id in r.tables)
        joined: list[SourceInfo] = []
        index: dict[int, int] = {}
        offsets: dict[int, int] = {}
        for y, r in years:
            td = r.tables.get(table_id)
            if td is None:
                continue
            offsets[y] = len(joined)
            for s in td.sources:
                if id(s) not in index:
                    index[id(s)] = len(joined)
                    joined.append(s)
        # the same file in several years (a stacked file) keeps one entry: map (year, local index) -> joined
        pairs = [(y, i, index[id(s)]) for y, r in years if table_id in r.tables
                 for i, s in enumerate(r.tables[table_id].sources)]
        lookup = pl.DataFrame(pairs, schema={YEAR: pl.Int32, "__local": pl.UInt16, "__joined": pl.UInt16}, orient="row")
        renumbered = (frame.with_columns(pl.col(YEAR).cast(pl.Int32), pl.col(SRC).cast(pl.UInt16).alias("__local"))
                      .join(lookup, on=[YEAR, "__local"], how="left", maintain_order="left")
                      .with_columns(pl.col("__joined").alias(SRC)).drop("__local", "__joined"))
        out[table_id] = TableData(schema, renumbered.select(frame.columns), joined)
    return out, diags
