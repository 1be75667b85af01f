"""The report as data: sections of indicator rows (previous year, one column per period, England, SN, band,
source), breakdowns, headline movements and commentary. The HTML and Excel renderers draw the same model.

`quarterly_report(results, metadata, ...)` builds the Cabinet report for one financial year from stored results;
`periods_report(payload, ...)` builds the same layout over the latest periods of one `compute` payload.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from csc_metrics.errors import CscError
from csc_metrics.report.format import SECTION_TITLES, SECTIONS
from csc_metrics.report.suppress import COUNT_UNITS, is_suppressed, suppress

QUARTER = re.compile(r"^(\d{4})-(\d{2}) Q([1-4])$")
YEAR = re.compile(r"^(\d{4})-(\d{2})$")
HEADLINES = 3


@dataclass
class Level:
    """A published comparator: England or the statistical-neighbour mean, for one measure and year."""

    value: float
    year: int | None
    label: str


@dataclass
class Row:
    indicator: str
    title: str
    section: str
    unit: str
    polarity: str
    kind: str
    description: str = ""
    cells: list[dict[str, Any] | None] = field(default_factory=list)  # one per report column
    baseline: dict[str, Any] | None = None  # the previous year's figure
    baseline_note: str | None = None
    trend: list[tuple[str, dict[str, Any] | None]] = field(default_factory=list)  # chart points
    england: Level | None = None
    sn: Level | None = None
    target: float | None = None
    band: str | None = None
    rank: int | None = None
    ranked_of: int | None = None
    measure: str | None = None
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def baseline_number(self) -> Any:
        """The "No." beside last year's figure: the count itself, the cases behind an average length of time,
        else the numerator of the share or rate."""
        b = self.baseline or {}
        if self.unit in COUNT_UNITS:
            return b.get("value")
        return b.get("denominator") if self.unit in ("days", "working_days") else b.get("numerator")

    @property
    def latest(self) -> dict[str, Any] | None:
        """The latest column with a figure (or the marker)."""
        return next((c for c in reversed(self.cells) if c is not None and c.get("value") is not None), None)


@dataclass
class Breakdown:
    indicator: str
    title: str
    section: str
    period: str
    categories: list[tuple[str, dict[str, Any]]]
    previous_period: str | None = None
    previous: dict[str, dict[str, Any]] = field(default_factory=dict)
    total: Any = None
    sources: list[str] = field(default_factory=list)


@dataclass
class Headline:
    row: Row
    result: dict[str, Any]
    size: float


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row]
    breakdowns: list[Breakdown]
    better: list[Headline]
    worse: list[Headline]
    commentary: str | None = None


@dataclass
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
    notes: list[str] = field(default_factory=list)
    generated: str = field(default_factory=lambda: date.today().isoformat())

    @property
    def rows(self) -> list[Row]:
        return [r for s in self.sections for r in s.rows]


# ---- periods ---------------------------------------------------------------------------------------------


def financial_year(label: str) -> str | None:
    """`2025-26 Q2` -> `2025-26`; `2025-26` -> itself; anything else None."""
    m = QUARTER.match(label)
    if m:
        return f"{m[1]}-{m[2]}"
    return label if YEAR.match(label) and (int(label[:4]) + 1) % 100 == int(label[5:]) else None


def previous_year(fy: str) -> str:
    start = int(fy[:4]) - 1
    return f"{start}-{(start + 1) % 100:02d}"


def quarters(fy: str) -> list[str]:
    return [f"{fy} Q{q}" for q in range(1, 5)]


def has_figure(r: dict[str, Any] | None) -> bool:
    return r is not None and r.get("status") != "no_data" and r.get("value") is not None


def report_years(results: list[dict[str, Any]]) -> list[str]:
    """Financial years that have at least one quarterly figure, oldest first."""
    years = {financial_year(r["period"]) for r in results if QUARTER.match(str(r.get("period"))) and has_figure(r)}
    return sorted(y for y in years if y)


def choose_year(results: list[dict[str, Any]], year: str | None) -> str:
    available = report_years(results)
    if year is None:
        if not available:
            raise CscError("the stored results hold no quarterly figures",
                           "run `csc-metrics compute` (quarters are the default period) first")
        return available[-1]
    if financial_year(year) != year or QUARTER.match(year):
        raise CscError(f"--year {year!r} is not a financial year", "use a label such as 2025-26")
    if year not in available:
        held = ", ".join(available) or "none"
        raise CscError(f"no quarterly results for {year} (years with data: {held})",
                       "run `csc-metrics compute` on that year's extract, or pick a year with data")
    return year


# ---- definitions -----------------------------------------------------------------------------------------


@dataclass
class IndicatorInfo:
    order: int
    description: str = ""
    sources: list[str] = field(default_factory=list)


def indicator_info(definitions: Path | None) -> dict[str, IndicatorInfo]:
    """Indicator id -> catalogue order, plain-English description and source lists ("List 3")."""
    from csc_metrics.spec.loader import default_definitions_path

    return dict(_indicator_info(str(default_definitions_path(definitions).resolve())))


@lru_cache(maxsize=8)
def _indicator_info(path: str) -> tuple[tuple[str, IndicatorInfo], ...]:
    from csc_metrics.engine.run import source_tables
    from csc_metrics.spec.loader import load_definitions

    loaded = load_definitions([Path(path)])
    defs = loaded.definitions
    info: dict[str, IndicatorInfo] = {}
    for i, (ind_id, ind) in enumerate(defs.indicators.items()):
        try:
            tables = source_tables(ind, defs)
        except (KeyError, AttributeError):
            tables = []
        names = []
        for t in tables:
            schema = defs.table(t)
            title = schema.title if schema else t
            names.append(title.split(":")[0].strip())
        info[ind_id] = IndicatorInfo(i, " ".join(str(ind.description).split()), names)
    return tuple(info.items())


# ---- benchmarks ------------------------------------------------------------------------------------------


def apply_benchmarks(rows: list[Row], metadata: dict[str, Any], la_code: str, sn_model: str,
                     targets: dict[str, float], indicator_meta: dict[str, dict[str, Any]] | None = None
                     ) -> dict[str, Any]:
    """England and statistical-neighbour levels, band and rank for each row's latest figure (the latest
    published year not after that period). Returns the compare metadata (sources, SN model, messages)."""
    from csc_metrics.compare import compare_results

    by_period: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rows_by_key: dict[tuple[str, str], Row] = {}
    for row in rows:
        latest = row.latest or next((c for c in reversed(row.cells) if c is not None), None)
        if latest is None:
            continue
        by_period[latest["period"]].append(latest)
        rows_by_key[(row.indicator, latest["period"])] = row
    meta: dict[str, Any] = {}
    for period, results in by_period.items():
        compared = compare_results(
            {"metadata": {**metadata, "la_code": la_code}, "results": results}, la_code=la_code,
            benchmarks=["england", "sn", "target"], benchmark_year=None, sn_model=sn_model, targets=targets,
            period=period, indicator_meta=indicator_meta or {})
        meta = compared["metadata"]
        for c in compared["comparisons"]:
            target = rows_by_key.get((c["indicator"], c["period"]))
            if target is not None:
                _take(target, c)
    return meta


def _take(row: Row, c: dict[str, Any]) -> None:
    if c["benchmark"] == "target":
        row.target = c["benchmark_value"]
        return
    row.measure = row.measure or c.get("measure")
    row.band = row.band or c.get("quartile_band")
    if c.get("rank"):
        row.rank, row.ranked_of = c["rank"], c.get("ranked_of")
    if c.get("benchmark_value") is None or row.unit in COUNT_UNITS:
        return
    level = Level(float(c["benchmark_value"]), c.get("benchmark_year"), c.get("benchmark_label") or c["benchmark"])
    if c["benchmark"] == "england":
        row.england = level
    else:
        row.sn = level
    text = c.get("note")
    if text and text not in row.notes:
        row.notes.append(text)


# ---- rows ------------------------------------------------------------------------------------------------


def _row(first: dict[str, Any], info: IndicatorInfo | None) -> Row:
    return Row(indicator=first["indicator"], title=first.get("title") or first["indicator"],
               section=first.get("section") or "outputs", unit=first.get("unit") or "count",
               polarity=first.get("polarity") or "none", kind=first.get("kind") or "flow",
               description=info.description if info else "", sources=list(info.sources) if info else [])


def _baseline(row: Row, cells: dict[str, dict[str, Any]], baseline: str) -> None:
    """Last year's figure: the annual result; for positions at a date, the position at 31 March (Q4); for
    counts of events, the sum of four complete quarters."""
    if has_figure(cells.get(baseline)):
        row.baseline = cells[baseline]
        return
    q = [cells.get(label) for label in quarters(baseline)]
    if row.kind in ("stock", "as_at") and has_figure(q[3]):
        row.baseline = q[3]
        row.baseline_note = f"position at the end of {baseline} (Q4)"
        return
    if row.unit == "count" and row.kind == "flow" and all(r is not None and has_figure(r) and r.get("complete") for r in q):
        values = [r["value"] for r in q if r is not None]
        total: Any = next((v for v in values if is_suppressed(v)), None) or sum(values)
        row.baseline = {"period": baseline, "value": total, "numerator": total, "denominator": None,
                        "unit": "count", "status": "ok", "complete": True}
        row.baseline_note = f"sum of the four quarters of {baseline}"


def build_rows(results: list[dict[str, Any]], columns: list[str], trend: list[str], baseline: str | None,
               info: dict[str, IndicatorInfo]) -> tuple[list[Row], list[Breakdown]]:
    by_ind: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    cats: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        if r.get("category") is None:
            by_ind[r["indicator"]][r["period"]] = r
        else:
            cats[r["indicator"]].append(r)
    rows: list[Row] = []
    for ind, cells in by_ind.items():
        if not any(has_figure(cells.get(p)) for p in columns):
            continue
        row = _row(next(iter(cells.values())), info.get(ind))
        row.cells = [cells.get(p) for p in columns]
        row.trend = [(p, cells.get(p)) for p in trend]
        if baseline:
            _baseline(row, cells, baseline)
        rows.append(row)
    order = {k: v.order for k, v in info.items()}
    rows.sort(key=lambda r: (order.get(r.indicator, len(order)), r.indicator))
    breakdowns = [b for ind, rs in cats.items() if (b := _breakdown(rs, columns, info.get(ind)))]
    breakdowns.sort(key=lambda b: (order.get(b.indicator, len(order)), b.indicator))
    return rows, breakdowns


def _breakdown(rows: list[dict[str, Any]], columns: list[str], info: IndicatorInfo | None) -> Breakdown | None:
    """The latest report column with figures, its categories largest first, and the column before it."""
    by_period: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_period[r["period"]].append(r)
    shown = [p for p in columns if any(has_figure(r) for r in by_period.get(p, []))]
    if not shown:
        return None
    period = shown[-1]
    current = by_period[period]

    def size(r: dict[str, Any]) -> tuple[float, str]:
        n = r.get("numerator")
        return (-(n if isinstance(n, int | float) else 0.5), str(r["category"]))  # a marker (text) sorts as 0.5

    prev = shown[-2] if len(shown) > 1 else None
    before = {category_name(r): r for r in by_period.get(prev, [])} if prev else {}

    def shown_row(r: dict[str, Any]) -> bool:  # categories with nothing now or before are left out
        return any(x is not None and x.get("numerator") != 0 for x in (r, before.get(category_name(r))))

    current = sorted((r for r in current if shown_row(r)), key=size)
    if not current:
        return None
    first = current[0]
    total = next((r.get("denominator") for r in current if r.get("denominator") is not None), None)
    return Breakdown(indicator=first["indicator"], title=first.get("title") or first["indicator"],
                     section=first.get("section") or "outputs", period=period,
                     categories=[(category_name(r), r) for r in current], previous_period=prev,
                     previous=before, total=total, sources=list(info.sources) if info else [])


def category_name(r: dict[str, Any]) -> str:
    """`6: Police` when compute gave the code set's label, else the category as recorded."""
    label = r.get("category_label")
    return f"{r['category']}: {label}" if label and str(label) != str(r["category"]) else str(r["category"])


# ---- headlines -------------------------------------------------------------------------------------------


def movement(r: dict[str, Any]) -> float | None:
    """Size of a change, relative to the previous value (None when not measurable)."""
    change, prev = r.get("change"), r.get("previous_value")
    if not isinstance(change, int | float) or not isinstance(prev, int | float):  # none, or a marker
        return None
    return abs(change) / abs(prev) if prev else None


def headlines(rows: list[Row], column: str | None) -> tuple[list[Headline], list[Headline]]:
    """The biggest movements into the latest fully covered quarter, better and worse (relative size of the
    change)."""
    if column is None:
        return [], []
    found: dict[str, list[Headline]] = {"better": [], "worse": []}
    for row in rows:
        # each row's latest fully covered quarter up to the column: a part-covered quarter's change misleads
        upto = [c for c in row.cells if c is not None and c["period"] <= column and c.get("status") == "ok"]
        r = upto[-1] if upto else None
        if r is None or r.get("assessment") not in found:
            continue
        size = movement(r)
        if size is not None and size > 0:
            found[r["assessment"]].append(Headline(row, r, size))
    pick = {k: sorted(v, key=lambda h: (-h.size, h.row.title))[:HEADLINES] for k, v in found.items()}
    return pick["better"], pick["worse"]


def latest_column(rows: list[Row], columns: list[str]) -> str | None:
    filled = [p for p in columns if any(has_figure(c) for r in rows for c in r.cells if c and c["period"] == p)]
    return filled[-1] if filled else None


# ---- the report ------------------------------------------------------------------------------------------


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


def _la(code: str | None) -> tuple[str | None, str | None]:
    if not code:
        return None, None
    from csc_metrics.reference import la_info

    la = la_info(str(code))
    return la.code, la.name


def _column_title(label: str) -> str:
    m = QUARTER.match(label)
    return f"Q{m[3]} {m[1]}-{m[2]}" if m else label


def assemble(results: list[dict[str, Any]], metadata: dict[str, Any], columns: list[str], trend: list[str],
             baseline: str | None, opts: ReportOptions, title: str, year: str | None) -> Report:
    """Rows, breakdowns, benchmarks, headlines and commentary for the given columns."""
    if opts.suppress_below:
        results = suppress({"metadata": metadata, "results": results}, opts.suppress_below)["results"]
    la_code, la_name = _la(opts.la_code or metadata.get("la_code"))
    info = indicator_info(opts.definitions)
    rows, breakdowns = build_rows(results, columns, trend, baseline, info)
    notes: list[str] = []
    bench_meta: dict[str, Any] = {}
    if la_code and opts.benchmarks:  # results carry their benchmark measure (compute writes it)
        bench_meta = apply_benchmarks(rows, metadata, la_code, opts.sn_model, opts.targets)
        notes += bench_meta.get("messages") or []
    elif not la_code:
        notes.append("No local authority code: England and statistical-neighbour figures need --la CODE.")
    latest = latest_column(rows, columns)
    sections = []
    for key in SECTIONS:
        srows = [r for r in rows if r.section == key]
        sbreak = [b for b in breakdowns if b.section == key]
        if not srows and not sbreak:
            continue
        better, worse = headlines(srows, latest)
        sections.append(Section(key, SECTION_TITLES[key], srows, sbreak, better, worse, opts.commentary.get(key)))
    who = f"{la_name} ({la_code})" if la_name else (f"LA {la_code}" if la_code else "Local authority not set")
    as_at = metadata.get("as_at")
    subtitle = f"{who} · {year or ', '.join(columns)}" + (f" · data as at {as_at}" if as_at else "")
    return Report(
        title=title, subtitle=subtitle, la_code=la_code, la_name=la_name, year=year, columns=columns,
        column_titles=[_column_title(c) for c in columns], baseline_label=baseline, sections=sections,
        metadata=metadata, summary=opts.commentary.get("summary"),
        benchmark_source=bench_meta.get("benchmark_source"), sn_model=bench_meta.get("sn_model"),
        suppress_below=opts.suppress_below if opts.suppress_below and opts.suppress_below > 1 else None,
        notes=notes,
    )


def quarterly_report(results: list[dict[str, Any]], metadata: dict[str, Any], opts: ReportOptions) -> Report:
    """The Cabinet report for one financial year: last year, Q1-Q4, England, SN, band, source."""
    year = choose_year(results, opts.year)
    last = previous_year(year)
    trend = quarters(year)
    if any(has_figure(r) for r in results if r.get("period") in quarters(last)):
        trend = quarters(last) + trend
    title = "Children's social care: activity and performance"
    return assemble(results, metadata, quarters(year), trend, last, opts, title, year)


def periods_report(payload: dict[str, Any], opts: ReportOptions, n_periods: int = 4) -> Report:
    """The same layout over the latest periods of one `compute` payload (one-off outputs)."""
    results = payload.get("results") or []
    labels = list(payload.get("metadata", {}).get("periods") or
                  sorted({r["period"] for r in results}, key=lambda p: (str(p)[:7], str(p))))
    columns = labels[-n_periods:]
    trend = labels[-8:]
    title = "Children's social care indicators"
    return assemble(results, payload.get("metadata") or {}, columns, trend, None, opts, title, None)
