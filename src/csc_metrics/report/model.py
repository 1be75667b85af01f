"""The report as data: frozen rows (previous year, one figure per report column, England, SN, band, source),
breakdowns, headline movements and sections. `report.assemble` builds it from typed results; the HTML page and
the workbook render it and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csc_metrics.results import DEFAULT_MIN_BASE, Result

if TYPE_CHECKING:
    from csc_metrics.report.annual import AnnualPage


@dataclass(frozen=True)
class Level:
    """A published comparator: England or the statistical-neighbour mean, for one measure and year."""

    value: float
    year: int | None
    label: str


@dataclass(frozen=True)
class Recipe:
    """What the definitions say of one recipe (one source) of an indicator."""

    description: str = ""
    tables: list[str] = field(default_factory=list)  # the lists or return tables it reads
    multiple: bool = False  # a breakdown whose case may fall in several categories (`once_per`)


@dataclass(frozen=True)
class IndicatorInfo:
    """What the definitions say of an indicator, for the report: catalogue order, description, source lists
    (of the first recipe), and each recipe by source (`annex_a`, `ssda903`, `cin_census`)."""

    order: int
    description: str = ""
    sources: list[str] = field(default_factory=list)
    recipes: dict[str, Recipe] = field(default_factory=dict)

    def recipe(self, source: str) -> Recipe:
        return self.recipes.get(source) or Recipe(self.description, list(self.sources))


def source_label(source: str) -> str:
    """`Annex A`, `SSDA903`, `CIN census`: the name every row and figure of the report gives its source."""
    from csc_metrics.compare.core import SOURCE_LABELS

    return SOURCE_LABELS.get(source, source)


def row_key(indicator: str, source: str) -> str:
    """The row's id in the page: the indicator for an Annex A figure, `indicator-source` for a return's (an
    indicator may have a row per source; they are never one row)."""
    return indicator if source == "annex_a" else f"{indicator}-{source}"


class _FromOneSource:
    """A row or breakdown of one indicator from one source: its id in the page and its source's name."""

    indicator: str
    source: str

    @property
    def key(self) -> str:
        return row_key(self.indicator, self.source)

    @property
    def source_label(self) -> str:
        return source_label(self.source)


@dataclass(frozen=True)
class Row(_FromOneSource):
    indicator: str
    title: str
    section: str
    unit: str
    polarity: str
    kind: str
    description: str = ""
    cells: list[Result | None] = field(default_factory=list)  # one per report column
    baseline: Result | None = None  # the previous year's figure
    baseline_note: str | None = None
    trend: list[tuple[str, Result | None]] = field(default_factory=list)  # chart points
    england: Level | None = None
    sn: Level | None = None
    region: Level | None = None
    target: float | None = None
    band: str | None = None
    rank: int | None = None
    ranked_of: int | None = None
    measure: str | None = None
    sources: list[str] = field(default_factory=list)  # the lists or return tables read
    notes: list[str] = field(default_factory=list)
    by_period: dict[str, Result] = field(default_factory=dict)  # every stored figure, by period label
    min_base: int = DEFAULT_MIN_BASE
    source: str = "annex_a"  # every figure of the row comes from this one source

    @property
    def annualised(self) -> bool:
        """Whether any figure shown is a sub-annual rate annualised (the unit says so in every format)."""
        return any(c is not None and c.annualised for c in self.cells)

    @property
    def baseline_number(self) -> Any:
        """The "No." beside last year's figure: the count itself, the cases behind an average length of time,
        else the numerator of the share or rate."""
        b = self.baseline
        if b is None:
            return None
        if self.unit in ("count", "children"):
            return b.value
        return b.denominator if self.unit in ("days", "working_days") else b.numerator

    @property
    def latest(self) -> Result | None:
        """The latest column with a figure (or the marker)."""
        return next((c for c in reversed(self.cells) if c is not None and c.value is not None), None)

    def small_base(self, r: Result | None) -> bool:
        """Whether a figure of this row rests on fewer than `min_base` cases (means and medians: 5)."""
        return r is not None and r.value is not None and r.small_base(self.min_base)


@dataclass(frozen=True)
class Breakdown(_FromOneSource):
    indicator: str
    title: str
    section: str
    period: str
    categories: list[tuple[str, Result]]
    previous_period: str | None = None
    previous: dict[str, Result] = field(default_factory=dict)
    total: Any = None
    sources: list[str] = field(default_factory=list)
    source: str = "annex_a"
    multiple: bool = False  # one case may fall in several categories: the shares can add to more than 100%


@dataclass(frozen=True)
class Headline:
    row: Row
    result: Result
    size: float


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    rows: list[Row]
    breakdowns: list[Breakdown]
    better: list[Headline]
    worse: list[Headline]
    commentary: str | None = None


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    la_code: str | None
    la_name: str | None
    year: str | None
    columns: list[str]
    column_titles: list[str]
    baseline_label: str | None
    sections: list[Section]
    metadata: dict[str, Any]
    summary: str | None = None
    benchmark_source: str | None = None
    sn_model: str | None = None
    suppress_below: int | None = None
    marker: str = "c"
    min_base: int = DEFAULT_MIN_BASE
    notes: list[str] = field(default_factory=list)
    generated: str = field(default_factory=lambda: date.today().isoformat())
    pages: list[AnnualPage] = field(default_factory=list)  # the returns' DfE-comparable annual pages

    @property
    def rows(self) -> list[Row]:
        return [r for s in self.sections for r in s.rows]

    @property
    def step(self) -> str:
        """What one column is, in words for captions, keys and chart titles: "year" when the report shows
        whole years only (`compute --period year`), "month" for months only, else "quarter"."""
        from csc_metrics.engine.periods import parse_period

        kinds = {str(parse_period(c).granularity) for c in self.columns}
        return kinds.pop() if kinds in ({"year"}, {"month"}) else "quarter"

    @property
    def run_ids(self) -> set[str]:
        """The stored runs whose figures the report shows."""
        shown: list[Result | None] = [c for row in self.rows for c in [*row.cells, row.baseline]]
        shown += [r for s in self.sections for b in s.breakdowns for _, r in b.categories]
        shown += [r for p in self.pages for row in p.rows for r in (row.result, row.previous)]
        shown += [r for p in self.pages for b in p.breakdowns for _, r in b.categories]
        return {str(r.run_id) for r in shown if r is not None and r.run_id}


@dataclass
class ReportOptions:
    la_code: str | None = None
    year: str | None = None
    sn_model: str = "2025"
    definitions: Path | None = None
    commentary: dict[str, str] = field(default_factory=dict)
    suppress_below: int | None = None
    targets: dict[str, float] = field(default_factory=dict)
    benchmarks: bool = True
    min_base: int = DEFAULT_MIN_BASE
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # stored run id -> its inputs
