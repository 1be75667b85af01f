"""The report as data: sections of indicator rows (previous year, one column per period, England, SN, band,
source), breakdowns, headline movements and commentary. The HTML and Excel renderers draw the same model.

`quarterly_report(results, metadata, ...)` builds the Cabinet report for one financial year from stored results;
`periods_report(payload, ...)` builds the same layout over the latest periods of one `compute` payload.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from csc_metrics.engine.periods import parse_period, period_of
from csc_metrics.errors import CscError
from csc_metrics.report.format import SECTION_TITLES, SECTIONS
from csc_metrics.report.suppress import COUNT_UNITS, is_suppressed, suppress
from csc_metrics.results import DEFAULT_MIN_BASE, Result, Status, shown_change

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
    by_period: dict[str, dict[str, Any]] = field(default_factory=dict)  # every stored figure, by period label

    @property
    def annualised(self) -> bool:
        """Whether any figure shown is a sub-annual rate annualised (the unit says so in every format)."""
        return any(c is not None and c.get("annualised") for c in self.cells)

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
    min_base: int = DEFAULT_MIN_BASE
    notes: list[str] = field(default_factory=list)
    generated: str = field(default_factory=lambda: date.today().isoformat())

    @property
    def rows(self) -> list[Row]:
        return [r for s in self.sections for r in s.rows]


# ---- periods ---------------------------------------------------------------------------------------------


def financial_year(label: str) -> str | None:
    """`2025-26 Q2` -> `2025-26`; `2025-26` -> itself; a month -> its financial year; None if not a label."""
    try:
        return period_of(parse_period(label).start, "year").label
    except CscError:
        return None


def previous_year(fy: str) -> str:
    return parse_period(fy).previous().label


def quarters(fy: str) -> list[str]:
    p = period_of(parse_period(fy).start, "quarter")
    out = []
    for _ in range(4):
        out.append(p.label)
        p = p.next()
    return out


def has_figure(r: dict[str, Any] | None) -> bool:
    return r is not None and r.get("status") != "no_data" and r.get("value") is not None


def _granularity(r: dict[str, Any]) -> str | None:
    try:
        return parse_period(str(r.get("period"))).granularity
    except CscError:
        return None


def report_years(results: list[dict[str, Any]]) -> list[str]:
    """Financial years that have at least one quarterly or annual figure, oldest first."""
    years = {financial_year(r["period"]) for r in results
             if _granularity(r) in ("quarter", "year") and has_figure(r)}
    return sorted(y for y in years if y)


def choose_year(results: list[dict[str, Any]], year: str | None) -> str:
    """The financial year to report: `--year` read by the same parser as `compute` (any case, `/` for `-`; a
    quarter names its year), else the latest year with figures."""
    available = report_years(results)
    if year is None:
        if not available:
            raise CscError("the stored results hold no quarterly or annual figures",
                           "run `csc-metrics compute` (quarters are the default period) first")
        return available[-1]
    fy = period_of(parse_period(year).start, "year").label
    if fy not in available:
        held = ", ".join(available) or "none"
        raise CscError(f"no quarterly or annual results for {fy} in the history store (years with data: {held})",
                       "run `csc-metrics compute` on that year's extract, or pick a year with data")
    return fy


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


def _overlapping(run_ids: set[str], runs: dict[str, list[dict[str, Any]]]) -> bool:
    """Whether two of these stored runs read the same list over overlapping dates (their figures must not be
    summed: the events in the overlap would count twice). A run whose inputs are unknown counts as overlapping."""
    spans: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for run_id in run_ids:
        if run_id not in runs:
            return True
        for i in runs[run_id]:
            cov = i.get("coverage")
            if not cov:
                return True
            spans[str(i.get("table"))].append((run_id, str(cov[0]), str(cov[1])))
    for found in spans.values():
        for j, (run_a, start_a, end_a) in enumerate(found):
            if any(run_a != run_b and start_a <= end_b and start_b <= end_a for run_b, start_b, end_b in found[j + 1:]):
                return True
    return False


def _baseline(row: Row, cells: dict[str, dict[str, Any]], baseline: str,
              runs: dict[str, list[dict[str, Any]]] | None = None) -> None:
    """Last year's figure: the annual result (marked when incomplete); for positions at a date, the position at
    31 March (Q4); for counts of events, the sum of four complete quarters, from one run or from runs whose
    inputs do not overlap."""
    if has_figure(cells.get(baseline)):
        row.baseline = cells[baseline]
        return
    q = [cells.get(label) for label in quarters(baseline)]
    if row.kind in ("stock", "as_at") and has_figure(q[3]):
        row.baseline = q[3]
        row.baseline_note = f"position at the end of {baseline} (Q4)"
        return
    if row.unit == "count" and row.kind == "flow" and all(r is not None and has_figure(r) and r.get("status") == "ok"
                                                          for r in q):
        run_ids = {str(r.get("run_id")) for r in q if r is not None}
        if len(run_ids) > 1 and _overlapping(run_ids, runs or {}):
            return  # quarters from runs over the same dates: never summed
        values = [r["value"] for r in q if r is not None]
        total: Any = next((v for v in values if is_suppressed(v)), None) or sum(values)
        row.baseline = {"period": baseline, "value": total, "numerator": total, "denominator": None,
                        "unit": "count", "status": "ok", "complete": True}
        row.baseline_note = f"sum of the four quarters of {baseline}"


def build_rows(results: list[dict[str, Any]], columns: list[str], trend: list[str], baseline: str | None,
               info: dict[str, IndicatorInfo], runs: dict[str, list[dict[str, Any]]] | None = None
               ) -> tuple[list[Row], list[Breakdown]]:
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
        row.by_period = cells
        if baseline:
            _baseline(row, cells, baseline, runs)
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
    """Size of a change between the values shown, relative to the previous value (None when not measurable)."""
    change = shown_change(r.get("value"), r.get("previous_value"), r.get("unit") or "count")
    prev = r.get("previous_value")
    if change is None or not isinstance(prev, int | float):  # none, or a marker
        return None
    return abs(change) / abs(prev) if prev else None


def one_unit(r: dict[str, Any]) -> float | None:
    """How much one case moves the figure: 100/denominator points for a share, 1 for a count, value/count for
    a rate; None for a mean or median (their rule is the number of cases)."""
    unit, num, den, value = r.get("unit"), r.get("numerator"), r.get("denominator"), r.get("value")
    if unit in COUNT_UNITS:
        return 1.0
    if unit == "percent" and isinstance(den, int | float) and den:
        return 100.0 / den
    if unit == "rate_per_10k" and isinstance(num, int | float) and num and isinstance(value, int | float):
        return value / num
    return None


def small_base(r: dict[str, Any] | None, min_base: int = DEFAULT_MIN_BASE) -> bool:
    """A figure resting on fewer than `min_base` cases (means and medians: fewer than 5)."""
    if r is None or r.get("value") is None:
        return False
    try:
        return Result.from_dict(r).small_base(min_base)
    except (ValueError, CscError):
        return False


def headline_worthy(row: Row, r: dict[str, Any], min_base: int) -> bool:
    """A complete figure on a base of at least `min_base` (now and in the previous period), whose change is
    larger than one case's worth of that base."""
    if r.get("status") != Status.ok or small_base(r, min_base):
        return False
    prev = row.by_period.get(str(r.get("previous_period")))
    if prev is not None and (prev.get("status") != Status.ok or small_base(prev, min_base)):
        return False
    change = shown_change(r.get("value"), r.get("previous_value"), r.get("unit") or "count")
    unit = one_unit(r)
    return change is not None and (unit is None or abs(change) > unit)


def headlines(rows: list[Row], column: str | None,
              min_base: int = DEFAULT_MIN_BASE) -> tuple[list[Headline], list[Headline]]:
    """The biggest movements into the latest fully covered quarter, better and worse (relative size of the
    change), among figures on a base large enough to mean something (see `headline_worthy`)."""
    if column is None:
        return [], []
    last = parse_period(column)
    found: dict[str, list[Headline]] = {"better": [], "worse": []}
    for row in rows:
        # each row's latest fully covered quarter up to the column: a part-covered quarter's change misleads
        upto = [c for c in row.cells if c is not None and parse_period(c["period"]).end <= last.end
                and c.get("status") == "ok"]
        r = upto[-1] if upto else None
        if r is None or r.get("assessment") not in found or not headline_worthy(row, r, min_base):
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
    min_base: int = DEFAULT_MIN_BASE
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # stored run id -> its inputs


def _la(code: str | None) -> tuple[str | None, str | None]:
    if not code:
        return None, None
    from csc_metrics.reference import la_info

    la = la_info(str(code))
    return la.code, la.name


def quarter_parts(label: str) -> tuple[str, str] | None:
    """`2025-26 Q1` -> (`Q1`, `2025-26`); None for any other period."""
    try:
        p = parse_period(label)
    except CscError:
        return None
    return (p.label[-2:], p.label[:7]) if p.granularity == "quarter" else None


def _column_title(label: str) -> str:
    parts = quarter_parts(label)
    return f"{parts[0]} {parts[1]}" if parts else label


def _typed(r: dict[str, Any]) -> dict[str, Any]:
    """A stored or computed result read once as a `Result` (statuses of older runs brought up to date)."""
    return Result.from_dict(r).to_dict() | {"run_id": r.get("run_id"), "category_label": r.get("category_label")}


def assemble(results: list[dict[str, Any]], metadata: dict[str, Any], columns: list[str], trend: list[str],
             baseline: str | None, opts: ReportOptions, title: str, year: str | None) -> Report:
    """Rows, breakdowns, benchmarks, headlines and commentary for the given columns."""
    results = [_typed(r) for r in results]
    if opts.suppress_below:
        results = suppress({"metadata": metadata, "results": results}, opts.suppress_below)["results"]
    la_code, la_name = _la(opts.la_code or metadata.get("la_code"))
    info = indicator_info(opts.definitions)
    rows, breakdowns = build_rows(results, columns, trend, baseline, info, opts.runs)
    for row in rows:
        for c in [*row.cells, row.baseline]:
            if c is not None and small_base(c, opts.min_base):
                c["small_base"] = True
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
        better, worse = headlines(srows, latest, opts.min_base)
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
        min_base=opts.min_base, notes=notes,
    )


def quarterly_report(results: list[dict[str, Any]], metadata: dict[str, Any], opts: ReportOptions) -> Report:
    """The Cabinet report for one financial year: last year, Q1-Q4, England, SN, band, source. A year stored
    only as annual figures (`compute --period year`) gets one column, the year itself."""
    year = choose_year(results, opts.year)
    last = previous_year(year)
    title = "Children's social care: activity and performance"
    if not any(has_figure(r) for r in results if r.get("period") in quarters(year)):
        years = sorted({str(r["period"]) for r in results if _granularity(r) == "year" and has_figure(r)})
        trend = [y for y in years if y <= year][-5:]
        return assemble(results, metadata, [year], trend, last, opts, title, year)
    trend = quarters(year)
    if any(has_figure(r) for r in results if r.get("period") in quarters(last)):
        trend = quarters(last) + trend
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
