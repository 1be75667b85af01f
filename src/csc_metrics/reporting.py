"""The `report` use cases: the quarterly report from stored results, and the report layout over one `compute`
payload. Each reads the results once as typed `Result`s, suppresses small numbers if asked, loads what the
definitions say of each indicator, compares each row's latest figure with the published figures once (the
compare service), and hands all of it to the pure `report.assemble`.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csc_metrics.engine.periods import parse_period
from csc_metrics.report.annual import RETURN_SOURCES, AnnualPage, annual_pages, missing_pages, year_figures
from csc_metrics.report.assemble import assemble, benchmarked
from csc_metrics.report.layout import Layout, periods_layout, quarterly_layout
from csc_metrics.report.model import IndicatorInfo, Recipe, Report, ReportOptions
from csc_metrics.report.suppress import suppress_results
from csc_metrics.results import Comparison, Result

if TYPE_CHECKING:
    from csc_metrics.compare.reconcile import Reconciled


def indicator_info(definitions: Path | None) -> dict[str, IndicatorInfo]:
    """Indicator id -> catalogue order, plain-English description and source lists ("List 3")."""
    from csc_metrics.spec.loader import default_definitions_path

    return dict(_indicator_info(str(default_definitions_path(definitions).resolve())))


@lru_cache(maxsize=8)
def _indicator_info(path: str) -> tuple[tuple[str, IndicatorInfo], ...]:
    from csc_metrics.spec.loader import load_definitions

    defs = load_definitions([Path(path)]).definitions
    recipes: dict[str, dict[str, Recipe]] = {}
    for (ind_id, src), ind in defs.recipes.items():
        recipes.setdefault(ind_id, {})[src] = _recipe(ind, defs)
    info: dict[str, IndicatorInfo] = {}
    for i, (ind_id, ind) in enumerate(defs.indicators.items()):
        first = _recipe(ind, defs)
        info[ind_id] = IndicatorInfo(i, first.description, first.tables, recipes.get(ind_id, {}))
    return tuple(info.items())


def _recipe(ind: Any, defs: Any) -> Recipe:
    """One recipe's description, the titles of the tables it reads (`List 3`) and whether it is a breakdown
    whose cases may fall in several categories."""
    from csc_metrics.engine.run import source_tables

    try:
        tables = source_tables(ind, defs)
    except (KeyError, AttributeError):
        tables = []
    names = []
    for t in tables:
        schema = defs.table(t)
        title = schema.title if schema else t
        names.append(title.split(":")[0].strip() if title.startswith("List ") else title)
    return Recipe(" ".join(str(ind.description).split()), names, bool(getattr(ind, "once_per", None)))


def _la(code: str | None) -> tuple[str | None, str | None]:
    if not code:
        return None, None
    from csc_metrics.reference import la_info

    la = la_info(str(code))
    return la.code, la.name


def _build(results: list[Result], metadata: dict[str, Any], layout: Layout, opts: ReportOptions) -> Report:
    la = _la(opts.la_code or metadata.get("la_code"))
    notes: list[str] = []
    comparisons: list[Comparison] = []
    source = sn_label = None
    if la[0] and opts.benchmarks:  # results carry their benchmark measure (compute writes it)
        from csc_metrics.compare import benchmark_source, compare

        figures = benchmarked(results, layout.columns)
        if figures:
            found = compare(figures, la_code=la[0], benchmarks=["england", "sn", "target"], benchmark_year=None,
                            sn_model=opts.sn_model, targets=opts.targets, computed_for=metadata.get("la_code"))
            comparisons, source, sn_label = found.comparisons, benchmark_source(), found.sn_label
            notes += found.messages
    elif not la[0]:
        notes.append("No local authority code: England and statistical-neighbour figures need --la CODE.")
    info = indicator_info(opts.definitions)
    report = assemble(results, comparisons, info, layout, opts, metadata, la=la, notes=notes,
                      benchmark_source=source, sn_model=sn_label)
    year = layout.year or _latest_year(results)
    pages = _annual_pages(results, year, la[0], opts, info)
    return replace(report, pages=pages, notes=report.notes + missing_pages(results, year))


def _latest_year(results: list[Result]) -> str | None:
    """The latest financial year with an annual figure from a return (a one-off `compute` output's pages)."""
    years = [r.period for r in results if r.period.granularity == "year" and r.source.value in RETURN_SOURCES]
    return max(years, key=lambda p: p.end).label if years else None


def _annual_pages(results: list[Result], year: str | None, la_code: str | None, opts: ReportOptions,
                  info: dict[str, IndicatorInfo]) -> list[AnnualPage]:
    """The returns' DfE-comparable pages for the year: England, region and SN levels (the compare service, which
    bands and ranks only an `ok` annual figure like for like) and the published value with the difference
    (`reconcile_one`, as `csc-metrics reconcile` computes it)."""
    if not year:
        return []
    from csc_metrics.compare.core import indicator_meta_from_definitions, measure_code

    meta = indicator_meta_from_definitions(opts.definitions)
    fy = parse_period(year)
    measured: set[tuple[str, str, str | None]] = {
        (r.indicator, r.source.value, r.category) for r in results if r.category is not None
                and r.period == fy and measure_code(r, meta.get(r.indicator, {})) is not None}
    figures = year_figures(results, fy.label, measured)
    if not figures:
        return []
    comparisons: list[Comparison] = []
    reconciled: dict[tuple[str, str, str | None], Reconciled] = {}
    if la_code and opts.benchmarks:
        from csc_metrics.compare import compare
        from csc_metrics.compare.reconcile import reconcile_one
        from csc_metrics.reference import la_info

        comparisons = compare(figures, la_code=la_code, benchmarks=["england", "region", "sn"], benchmark_year=None,
                              sn_model=opts.sn_model, indicator_meta=meta).comparisons
        la = la_info(la_code)
        reconciled = {(r.indicator, r.source.value, r.category):
                      reconcile_one(r, meta.get(r.indicator, {}), la, fy.end.year, 0.0) for r in figures}
    return annual_pages(results, fy.label, comparisons, reconciled, info, measured)


def typed_results(results: list[dict[str, Any]], suppress_below: int | None) -> list[Result]:
    """Stored or computed results read once as `Result`s (statuses of older runs brought up to date), with
    small numbers suppressed when asked."""
    return suppress_results([Result.from_dict(r) for r in results], suppress_below)


def quarterly_report(results: list[dict[str, Any]], metadata: dict[str, Any], opts: ReportOptions) -> Report:
    """The Cabinet report for one financial year from stored results: last year, Q1-Q4, England, SN, band,
    source (a year stored only as annual figures gets one column, the year itself)."""
    typed = typed_results(results, opts.suppress_below)
    return _build(typed, metadata, quarterly_layout(typed, opts.year), opts)


def periods_report(payload: dict[str, Any], opts: ReportOptions, n_periods: int = 4) -> Report:
    """The same layout over the latest periods of one `compute` payload (one-off outputs)."""
    metadata = payload.get("metadata") or {}
    typed = typed_results(payload.get("results") or [], opts.suppress_below)
    return _build(typed, metadata, periods_layout(typed, metadata.get("periods"), n_periods), opts)


def write_compute_report(payload: dict[str, Any], out: Path, fmt: str, *,
                         opts: ReportOptions | None = None) -> None:
    """A `compute` payload as an HTML page or a workbook: the report layout over its latest four periods, with
    England and statistical-neighbour figures when the payload names its local authority."""
    from csc_metrics.report.publish import write_report

    write_report(periods_report(payload, opts or ReportOptions()), out, fmt)
