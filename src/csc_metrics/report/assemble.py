"""Build the report model from typed data: `assemble(results, comparisons, info, layout, opts)` is a pure
function from `Result`s (already suppressed where asked), the `Comparison`s of each row's latest figure (the
compare service computes them once) and the indicator information of the definitions, to frozen rows,
breakdowns, headlines and sections. The `report` use case (`csc_metrics.reporting`) supplies all three.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from csc_metrics.engine.periods import parse_period
from csc_metrics.report.format import SECTION_TITLES, SECTIONS
from csc_metrics.report.layout import Layout, column_title, has_figure, quarters
from csc_metrics.report.model import (
    Breakdown,
    Headline,
    IndicatorInfo,
    Level,
    Report,
    ReportOptions,
    Row,
    Section,
)
from csc_metrics.report.suppress import is_suppressed
from csc_metrics.results import Comparison, Kind, Result, Status, Unit, shown_change

HEADLINES = 3


# ---- last year -------------------------------------------------------------------------------------------


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


def baseline(first: Result, cells: dict[str, Result], label: str,
             runs: dict[str, list[dict[str, Any]]]) -> tuple[Result | None, str | None]:
    """Last year's figure and how it was found: the annual result (marked when incomplete); for positions at
    a date, the position at 31 March (Q4); for counts of events, the sum of four complete quarters, from one
    run or from runs whose inputs do not overlap."""
    if has_figure(cells.get(label)):
        return cells[label], None
    q = [cells.get(p) for p in quarters(parse_period(label))]
    if first.kind in (Kind.stock, Kind.as_at) and has_figure(q[3]):
        return q[3], f"position at the end of {label} (Q4)"
    if first.unit is Unit.count and first.kind is Kind.flow and all(
            r is not None and has_figure(r) and r.status is Status.ok for r in q):
        figures = [r for r in q if r is not None]
        run_ids = {str(r.run_id) for r in figures}
        if len(run_ids) > 1 and _overlapping(run_ids, runs):
            return None, None  # quarters from runs over the same dates: never summed
        values = [r.value for r in figures]
        total: Any = next((v for v in values if is_suppressed(v)), None) or sum(values)  # type: ignore[arg-type]
        summed = Result(indicator=first.indicator, title=first.title, section=first.section, kind=Kind.flow,
                        period=parse_period(label), value=total, numerator=total, unit=Unit.count)
        return summed, f"sum of the four quarters of {label}"
    return None, None


# ---- benchmarks ------------------------------------------------------------------------------------------


def benchmarked(results: list[Result], columns: list[str]) -> list[Result]:
    """The figure of each report row that is compared with published figures: its latest column with a value
    (else its latest column with a result). The compare service compares exactly these."""
    out = []
    for cells in _by_row(results).values():
        shown = [cells.get(p) for p in columns]
        if not any(has_figure(c) for c in shown):
            continue
        latest = next((c for c in reversed(shown) if c is not None and c.value is not None), None)
        latest = latest or next((c for c in reversed(shown) if c is not None), None)
        if latest is not None:
            out.append(latest)
    return out


def levels(unit: str, comparisons: list[Comparison]) -> dict[str, Any]:
    """England, region and SN levels, band, rank, target, measure and notes of a row, from its comparisons (in
    order; the first band and measure win, the last rank). Counts get no England, region or SN level."""
    got: dict[str, Any] = {"notes": []}
    for c in comparisons:
        if c.benchmark == "target":
            got["target"] = c.benchmark_value
            continue
        got["measure"] = got.get("measure") or c.measure
        got["band"] = got.get("band") or c.quartile_band
        if c.rank:
            got["rank"], got["ranked_of"] = c.rank, c.ranked_of
        if c.benchmark_value is None or unit in ("count", "children"):
            continue
        level = Level(float(c.benchmark_value), c.benchmark_year, c.benchmark_label or c.benchmark)
        got[c.benchmark if c.benchmark in ("england", "region") else "sn"] = level
        if c.note and c.note not in got["notes"]:
            got["notes"].append(c.note)
    return got


# ---- rows ------------------------------------------------------------------------------------------------


def _by_row(results: list[Result]) -> dict[tuple[str, str], dict[str, Result]]:
    """(indicator, source) -> period label -> figure: a row per source, so an Annex A figure and a return's
    are never one row or one trend line."""
    by_row: dict[tuple[str, str], dict[str, Result]] = defaultdict(dict)
    for r in results:
        if r.category is None:
            by_row[(r.indicator, r.source.value)][r.period.label] = r
    return by_row


def build_rows(results: list[Result], comparisons: list[Comparison], layout: Layout,
               info: dict[str, IndicatorInfo], opts: ReportOptions) -> tuple[list[Row], list[Breakdown]]:
    compared = comparisons_by_row(comparisons)
    latest = {(r.indicator, r.source.value): r.period.label for r in benchmarked(results, layout.columns)}
    rows: list[Row] = []
    for (ind, src), cells in _by_row(results).items():
        if not any(has_figure(cells.get(p)) for p in layout.columns):
            continue
        first = next(iter(cells.values()))
        recipe = info[ind].recipe(src) if ind in info else None
        base, note = baseline(first, cells, layout.baseline, opts.runs) if layout.baseline else (None, None)
        rows.append(Row(
            indicator=ind, title=first.title or ind, section=first.section or "outputs", unit=first.unit.value,
            polarity=first.polarity or "none", kind=first.kind.value, source=src,
            description=recipe.description if recipe else "", sources=list(recipe.tables) if recipe else [],
            cells=[cells.get(p) for p in layout.columns], trend=[(p, cells.get(p)) for p in layout.trend],
            by_period=cells, baseline=base, baseline_note=note, min_base=opts.min_base,
            **levels(first.unit.value, compared.get((ind, src, latest.get((ind, src), "")), []))))
    rows.sort(key=lambda r: catalogue_order(info, r.indicator, r.source))
    breakdowns = [b for rs in categories_by_row(results).values() if (b := breakdown(rs, layout.columns, info))]
    breakdowns.sort(key=lambda b: catalogue_order(info, b.indicator, b.source))
    return rows, breakdowns


SOURCE_ORDER = ("annex_a", "cin_census", "ssda903")


def catalogue_order(info: dict[str, IndicatorInfo], indicator: str, source: str) -> tuple[int, str, int]:
    """Catalogue order, then the source (Annex A first: the rows of one indicator stay together)."""
    order = info[indicator].order if indicator in info else len(info)
    return order, indicator, SOURCE_ORDER.index(source) if source in SOURCE_ORDER else len(SOURCE_ORDER)


def comparisons_by_row(comparisons: list[Comparison]) -> dict[tuple[str, str, str], list[Comparison]]:
    """(indicator, source, period) -> the comparisons of that figure (categories left out)."""
    compared: dict[tuple[str, str, str], list[Comparison]] = defaultdict(list)
    for c in comparisons:
        if c.category is None:
            compared[(c.indicator, c.source, c.period)].append(c)
    return compared


def categories_by_row(results: list[Result]) -> dict[tuple[str, str], list[Result]]:
    """(indicator, source) -> the category figures of a breakdown."""
    cats: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for r in results:
        if r.category is not None:
            cats[(r.indicator, r.source.value)].append(r)
    return cats


def category_name(r: Result) -> str:
    """`6: Police` when compute gave the code set's label, else the category as recorded."""
    label = r.category_label
    return f"{r.category}: {label}" if label and str(label) != str(r.category) else str(r.category)


def breakdown(rows: list[Result], columns: list[str], info: dict[str, IndicatorInfo]) -> Breakdown | None:
    """The latest of these columns with figures, its categories largest first, and the column before it (the
    figures of one indicator and one source)."""
    by_period: dict[str, list[Result]] = defaultdict(list)
    for r in rows:
        by_period[r.period.label].append(r)
    shown = [p for p in columns if any(has_figure(r) for r in by_period.get(p, []))]
    if not shown:
        return None
    period = shown[-1]

    def size(r: Result) -> tuple[float, str]:
        n = r.numerator
        return (-(n if isinstance(n, int | float) else 0.5), str(r.category))  # a marker (text) sorts as 0.5

    prev = shown[-2] if len(shown) > 1 else None
    before = {category_name(r): r for r in by_period.get(prev, [])} if prev else {}

    def shown_row(r: Result) -> bool:  # categories with nothing now or before are left out
        return any(x is not None and x.numerator != 0 for x in (r, before.get(category_name(r))))

    current = sorted((r for r in by_period[period] if shown_row(r)), key=size)
    if not current:
        return None
    first = current[0]
    total = next((r.denominator for r in current if r.denominator is not None), None)
    src = first.source.value
    recipe = info[first.indicator].recipe(src) if first.indicator in info else None
    return Breakdown(indicator=first.indicator, title=first.title or first.indicator,
                     section=first.section or "outputs", period=period,
                     categories=[(category_name(r), r) for r in current], previous_period=prev,
                     previous=before, total=total, sources=list(recipe.tables) if recipe else [], source=src,
                     multiple=bool(recipe and recipe.multiple))


# ---- headlines -------------------------------------------------------------------------------------------


def movement(r: Result) -> float | None:
    """Size of a change between the values shown, relative to the previous value (None when not measurable)."""
    change = shown_change(r.value, r.previous_value, r.unit)
    prev = r.previous_value
    if change is None or not isinstance(prev, int | float) or isinstance(prev, str):  # none, or a marker
        return None
    return abs(change) / abs(prev) if prev else None


def one_unit(r: Result) -> float | None:
    """How much one case moves the figure: 100/denominator points for a share, 1 for a count, value/count for
    a rate; None for a mean or median (their rule is the number of cases)."""
    num, den, value = r.numerator, r.denominator, r.value
    if r.unit.is_count:
        return 1.0
    if r.unit is Unit.percent and isinstance(den, int | float) and not isinstance(den, str) and den:
        return 100.0 / den
    if (r.unit is Unit.rate_per_10k and isinstance(num, int | float) and not isinstance(num, str) and num
            and isinstance(value, int | float) and not isinstance(value, str)):
        return value / num
    return None


def headline_worthy(row: Row, r: Result) -> bool:
    """A complete figure on a base of at least the minimum (now and in the previous period), whose change is
    larger than one case's worth of that base."""
    if r.status is not Status.ok or row.small_base(r):
        return False
    prev = row.by_period.get(str(r.previous_period))
    if prev is not None and (prev.status is not Status.ok or row.small_base(prev)):
        return False
    change = shown_change(r.value, r.previous_value, r.unit)
    unit = one_unit(r)
    return change is not None and (unit is None or abs(change) > unit)


def headlines(rows: list[Row], column: str | None) -> tuple[list[Headline], list[Headline]]:
    """The biggest movements into the latest fully covered quarter, better and worse (relative size of the
    change), among figures on a base large enough to mean something (see `headline_worthy`)."""
    if column is None:
        return [], []
    last = parse_period(column)
    found: dict[str, list[Headline]] = {"better": [], "worse": []}
    for row in rows:
        # each row's latest fully covered quarter up to the column: a part-covered quarter's change misleads
        upto = [c for c in row.cells if c is not None and c.period.end <= last.end and c.status is Status.ok]
        r = upto[-1] if upto else None
        if r is None or r.assessment not in found or not headline_worthy(row, r):
            continue
        size = movement(r)
        if size is not None and size > 0:
            found[r.assessment].append(Headline(row, r, size))
    pick = {k: sorted(v, key=lambda h: (-h.size, h.row.title))[:HEADLINES] for k, v in found.items()}
    return pick["better"], pick["worse"]


def latest_column(rows: list[Row], columns: list[str]) -> str | None:
    filled = [p for p in columns if any(has_figure(c) for r in rows for c in r.cells if c and c.period.label == p)]
    return filled[-1] if filled else None


# ---- the report ------------------------------------------------------------------------------------------


def assemble(results: list[Result], comparisons: list[Comparison], info: dict[str, IndicatorInfo],
             layout: Layout, opts: ReportOptions, metadata: dict[str, Any], *, la: tuple[str | None, str | None],
             notes: list[str], benchmark_source: str | None = None, sn_model: str | None = None) -> Report:
    """Rows, breakdowns, benchmarks, headlines and commentary for the layout's columns."""
    la_code, la_name = la
    rows, breakdowns = build_rows(results, comparisons, layout, info, opts)
    latest = latest_column(rows, layout.columns)
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
    subtitle = f"{who} · {layout.year or ', '.join(layout.columns)}" + (f" · data as at {as_at}" if as_at else "")
    return Report(
        title=layout.title, subtitle=subtitle, la_code=la_code, la_name=la_name, year=layout.year,
        columns=layout.columns, column_titles=[column_title(c) for c in layout.columns],
        baseline_label=layout.baseline, sections=sections, metadata=metadata, summary=opts.commentary.get("summary"),
        benchmark_source=benchmark_source, sn_model=sn_model,
        suppress_below=opts.suppress_below if opts.suppress_below and opts.suppress_below > 1 else None,
        min_base=opts.min_base, notes=notes,
    )
