"""The DfE-comparable annual pages of the report, as data: for the report's financial year, each measure computed
from a DfE return (the CIN census: children in need and child protection, returns.md §3.1-3.2; the SSDA903:
children looked after and care leavers, §3.3-3.7) with its status, the previous year, England, region and
statistical-neighbour levels, the authority's own published LAIT value and the difference (`compare.reconcile`),
and a band and rank only where the compare service placed an `ok` annual figure like for like. The return's
breakdowns (factors identified at assessment, ...) follow as tables and charts.

`annual_pages` is pure: the `report` use case (`csc_metrics.reporting`) supplies the comparisons and the
reconciled rows. A page is present only when the return's annual figures for the year are stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from csc_metrics.engine.periods import parse_period
from csc_metrics.report.assemble import (
    breakdown,
    catalogue_order,
    categories_by_row,
    comparisons_by_row,
    levels,
)
from csc_metrics.report.model import Breakdown, IndicatorInfo, Level, row_key, source_label
from csc_metrics.results import Comparison, Result, Status

if TYPE_CHECKING:
    from csc_metrics.compare.reconcile import Reconciled


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    source: str
    spec: str  # the catalogue sections of returns.md
    sheet: str  # the workbook's sheet (31 characters at most)
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # (title, indicator id prefixes), first match wins


PAGES = (
    PageSpec("children-in-need", "Children in need and child protection", "cin_census", "§3.1-3.2",
             "Children in need (CIN census)", (
        ("Referrals, assessments and enquiries", ("referrals", "re_referrals", "assessment", "s47", "icpc")),
        ("Children in need and child protection plans", ("cin_", "cp_")),
    )),
    PageSpec("looked-after", "Children looked after and care leavers", "ssda903", "§3.3-3.7",
             "Looked after (SSDA903)", (
        ("Children looked after: numbers, starts and ceased",
         ("cla_at_end", "cla_per_10k", "cla_started", "cla_ceased", "cla_uasc", "cla_by_")),
        ("Stability, location and missing", ("cla_3plus", "cla_long_term", "cla_placed", "cla_missing",
                                             "cla_away")),
        ("Outcomes for children looked after for 12 months", ("cla12_",)),
        ("Care leavers", ("care_leavers_",)),
        ("Adoption", ("adoption_",)),
    )),
)
OTHER_GROUP = "Other measures"
STATUS_WORDS = {"ok": "ok", "incomplete": "incomplete", "empty": "empty", "no_data": "no data",
                "unavailable": "unavailable"}
RETURN_SOURCES = tuple(p.source for p in PAGES)


@dataclass(frozen=True)
class AnnualRow:
    """One measure of the year from a return, with what it is compared with."""

    result: Result
    previous: Result | None = None  # the same measure, source and category a year earlier
    england: Level | None = None
    region: Level | None = None
    sn: Level | None = None
    published: Reconciled | None = None  # the published value, difference and check, or the reason there is none
    band: str | None = None
    rank: int | None = None
    ranked_of: int | None = None
    measure: str | None = None
    notes: list[str] = field(default_factory=list)
    description: str = ""

    @property
    def key(self) -> str:
        r = self.result
        return row_key(r.indicator, r.source.value) + (f"-{r.category}" if r.category is not None else "")

    @property
    def title(self) -> str:
        r = self.result
        title = r.title or r.indicator
        return f"{title}: {r.category_label or r.category}" if r.category is not None else title

    @property
    def status_reason(self) -> str | None:
        """Why a figure that is not `ok` is shown as it is (its findings), else None."""
        r = self.result
        if r.status is Status.ok:
            return None
        return "; ".join(r.warnings) or {"incomplete": "the inputs do not fully cover the figure",
                                         "empty": "no cases in the year", "no_data": "the return is not loaded",
                                         "unavailable": "the inputs lack what the measure needs"}[r.status.value]


    @property
    def check(self) -> str:
        """reconcile's verdict on the computed figure against the published value; `no verdict` for a figure
        that is not complete; blank when nothing is published."""
        rec = self.published
        if rec is None or rec.published_value is None:
            return ""
        return rec.verdict or "no verdict"

    @property
    def reasons(self) -> list[str]:
        """What is said beside the measure: why it is not `ok`, why there is no published value or check,
        compare's notes, and a previous year that is not `ok`."""
        notes = [t for t in (self.status_reason, self.published.reason if self.published else None) if t]
        notes += [n for n in self.notes if n not in notes and not n.startswith("incomplete:")]
        if self.previous is not None and self.previous.status is not Status.ok:
            notes.append(f"{self.previous.period.label}: {self.previous.status.value}")
        return notes


@dataclass(frozen=True)
class AnnualGroup:
    title: str
    rows: list[AnnualRow]


@dataclass(frozen=True)
class AnnualPage:
    """A return's DfE-comparable page for one financial year."""

    key: str
    title: str
    source: str
    spec: str
    sheet: str
    year: str
    previous_year: str
    groups: list[AnnualGroup]
    breakdowns: list[Breakdown] = field(default_factory=list)

    @property
    def source_label(self) -> str:
        return source_label(self.source)

    @property
    def rows(self) -> list[AnnualRow]:
        return [r for g in self.groups for r in g.rows]


def _group(spec: PageSpec, indicator: str) -> str:
    return next((title for title, prefixes in spec.groups if indicator.startswith(prefixes)), OTHER_GROUP)


def year_figures(results: list[Result], year: str, measured: set[tuple[str, str, str | None]] | None = None
                 ) -> list[Result]:
    """The figures of the returns' pages: each return's annual results for the year, not categories (a breakdown
    is a table of its own), unless a category is in `measured` (mapped to a LAIT measure of its own)."""
    label = parse_period(year).label
    return [r for r in results if r.source.value in RETURN_SOURCES and r.period.label == label
            and r.status is not Status.no_data
            and (r.category is None or (r.indicator, r.source.value, r.category) in (measured or set()))]


def _row(r: Result, previous: Result | None, compared: list[Comparison], reconciled: Reconciled | None,
         info: dict[str, IndicatorInfo]) -> AnnualRow:
    got = levels(r.unit.value, compared)
    placed = r.status is Status.ok and r.judgeable  # belt and braces: compare bands only like for like
    recipe = info[r.indicator].recipe(r.source.value) if r.indicator in info else None
    return AnnualRow(result=r, previous=previous, england=got.get("england"), region=got.get("region"),
                     sn=got.get("sn"), published=reconciled, band=got.get("band") if placed else None,
                     rank=got.get("rank") if placed else None, ranked_of=got.get("ranked_of") if placed else None,
                     measure=got.get("measure") or (reconciled.measure if reconciled else None),
                     notes=list(got.get("notes") or []), description=recipe.description if recipe else "")


def annual_pages(results: list[Result], year: str | None, comparisons: list[Comparison],
                 reconciled: dict[tuple[str, str, str | None], Reconciled], info: dict[str, IndicatorInfo],
                 measured: set[tuple[str, str, str | None]] | None = None) -> list[AnnualPage]:
    """A page per return with annual figures for `year` (none when `year` is None or nothing is stored);
    `measured`: the categories with a LAIT measure of their own (a row each)."""
    if not year:
        return []
    fy = parse_period(year)
    prev = fy.previous().label
    figures = year_figures(results, fy.label, measured)
    earlier: dict[tuple[str, str, str | None], Result] = {(r.indicator, r.source.value, r.category): r for r in results
               if r.source.value in RETURN_SOURCES and r.period.label == prev}
    compared = _by_figure(comparisons)
    pages = []
    for spec in PAGES:
        mine = sorted((r for r in figures if r.source.value == spec.source),
                      key=lambda r: (catalogue_order(info, r.indicator, r.source.value), str(r.category)))
        if not mine:
            continue
        groups: dict[str, list[AnnualRow]] = {}
        for r in mine:
            k: tuple[str, str, str | None] = (r.indicator, r.source.value, r.category)
            row = _row(r, earlier.get(k), compared.get(k, []), reconciled.get(k), info)
            groups.setdefault(_group(spec, r.indicator), []).append(row)
        order = [t for t, _ in spec.groups] + [OTHER_GROUP]
        cats = [rs for (_, src), rs in categories_by_row(results).items() if src == spec.source]
        found = [b for rs in cats if (b := breakdown(rs, [prev, fy.label], info)) and b.period == fy.label]
        found.sort(key=lambda b: catalogue_order(info, b.indicator, b.source))
        pages.append(AnnualPage(spec.key, spec.title, spec.source, spec.spec, spec.sheet, fy.label, prev,
                                [AnnualGroup(t, groups[t]) for t in order if t in groups], found))
    return pages


def _by_figure(comparisons: list[Comparison]) -> dict[tuple[str, str, str | None], list[Comparison]]:
    out: dict[tuple[str, str, str | None], list[Comparison]] = {}
    for (ind, src, _), found in comparisons_by_row(comparisons).items():
        out.setdefault((ind, src, None), []).extend(found)
    for c in comparisons:  # a category mapped to a measure of its own
        if c.category is not None:
            out.setdefault((c.indicator, c.source, c.category), []).append(c)
    return out


def missing_pages(results: list[Result], year: str | None) -> list[str]:
    """Notes for a return whose page is left out: figures in the year but none annual (the page needs
    `--period year`), or annual figures of other years only (name the latest)."""
    if not year:
        return []
    fy = parse_period(year)
    notes = []
    for spec in PAGES:
        mine = [r for r in results if r.source.value == spec.source]
        years = sorted({r.period for r in mine if r.period.granularity == "year"}, key=lambda p: p.end)
        if not mine or fy in years:
            continue
        what = f"No annual {source_label(spec.source)} figures for {fy.label} are stored, so the \"{spec.title}\" page"
        if any(fy.start <= r.period.start <= fy.end for r in mine):
            notes.append(f"{what} is left out: run `csc-metrics compute RETURNS/ --period year`.")
        elif years:
            notes.append(f"{what} is left out: `csc-metrics report --year {years[-1].label}` shows the latest.")
    return notes
