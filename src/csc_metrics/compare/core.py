"""Compare computed results with published benchmarks: England, region, statistical neighbours (mean as LAIT,
median as the DfE CSC outcomes dashboard), the LA's own published value, and local targets.

The input is a `compute --format json` payload; the output is the `compare --format json` payload of
`spec/cli.md`. Published figures come from the bundled LAIT data (`csc_metrics.reference`).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from csc_metrics.engine.periods import Period, parse_period
from csc_metrics.errors import ConfigError, CscError, InputError
from csc_metrics.reference import (
    ENGLAND,
    LONDON,
    LocalAuthority,
    Measure,
    area_name,
    la_info,
    lait_measure,
    lait_value,
    lait_years,
    manifest,
    sn_model_label,
    statistical_neighbours,
)
from csc_metrics.reference.ranking import position
from csc_metrics.results import Comparison, Kind, Result, Status, shown, verdict

SCHEMA_VERSION = 1
BENCHMARKS = ("england", "region", "sn", "sn-median", "published", "target")
LAIT_BENCHMARKS = frozenset(BENCHMARKS[:5])
# Other areas' figures: like-for-like with rates and percentages only (a count depends on the authority's size).
AREA_BENCHMARKS = frozenset({"england", "region", "sn", "sn-median"})

# Result unit -> the LAIT measure units it can be compared with.
COMPATIBLE_UNITS = {
    "percent": {"percent"},
    "rate_per_10k": {"rate_per_10k"},
    "count": {"count"},
    "children": {"count"},
}

ROW_KEYS = tuple(Comparison.model_fields)


def indicator_meta_from_definitions(definitions_dir: Path | None) -> dict[str, dict[str, Any]]:
    """Indicator id -> {benchmark_measure, target} from the definitions (the YAML `benchmark.measure` is the one
    mapping to LAIT). None: the default library (empty when it cannot be loaded). Results that carry their own
    `benchmark` field (as `compute` writes them) do not need it."""
    from csc_metrics.spec.loader import default_definitions_path, load_definitions

    loaded = load_definitions([default_definitions_path(definitions_dir)], cache=True)
    if loaded.has_errors:
        if definitions_dir is None:
            return {}
        first = next(d for d in loaded.diagnostics if d.is_error)
        raise ConfigError(f"definitions cannot be loaded: {first.render()}", "run `csc-metrics check` for details")
    return {ind_id: {"benchmark_measure": ind.benchmark.measure if ind.benchmark else None, "target": ind.target}
            for ind_id, ind in loaded.definitions.indicators.items()}


@cache
def _library_measures() -> dict[str, str]:
    """The shipped definitions' LAIT measure per indicator (for results saved without their `benchmark`)."""
    return {k: v["benchmark_measure"] for k, v in indicator_meta_from_definitions(None).items()
            if v["benchmark_measure"]}


# ---- periods ---------------------------------------------------------------------------------------------


def select_results(results: list[Result], period: Period | None) -> list[Result]:
    """Results for `period`; by default the latest complete period (annual before quarter when both end on the
    same day) plus the latest value of each as-at indicator (those are evaluated once, on the as-at date)."""
    results = [r for r in results if r.status is not Status.no_data]
    if period is not None:
        chosen = [r for r in results if r.period == period]
        if not chosen:
            labels = [p.label for p in sorted({r.period for r in results})]
            raise ConfigError(
                f"no results for period {period.label!r}",
                f"the results hold {', '.join(labels[-8:]) or 'no periods'}; pass one of them with --period",
            )
        return chosen
    if not results:
        return []
    complete = [r for r in results if r.complete] or results

    def key(r: Result) -> tuple[date, int]:
        return (r.period.end, r.period.months)

    latest = max(complete, key=key).period
    chosen = [r for r in results if r.period == latest]
    have = {r.indicator for r in chosen}
    latest_as_at: dict[str, Result] = {}
    for r in results:
        newer = r.indicator not in latest_as_at or key(r) > key(latest_as_at[r.indicator])
        if r.kind is Kind.as_at and r.indicator not in have and newer:
            latest_as_at[r.indicator] = r
    return chosen + list(latest_as_at.values())


SOURCE_LABELS = {"annex_a": "Annex A", "ssda903": "SSDA903", "cin_census": "CIN census"}


def pick_source(results: list[Result], source: str | None = None) -> list[Result]:
    """One source per indicator and period. With `source`: that source's figures only. Without: where two
    sources have figures of the same indicator and period, the DfE return's (`SOURCE_PREFERENCE`, as
    `compute` chooses), unless it has no data and the other has."""
    from csc_metrics.spec.indicators import SOURCE_PREFERENCE

    if source is not None:
        return [r for r in results if r.source.value == source]

    def rank(r: Result) -> tuple[bool, int]:
        src = r.source.value
        return (r.status is Status.no_data,
                SOURCE_PREFERENCE.index(src) if src in SOURCE_PREFERENCE else len(SOURCE_PREFERENCE))

    best: dict[tuple[str, Period], tuple[bool, int]] = {}
    for r in results:
        key = (r.indicator, r.period)
        best[key] = min(best.get(key, rank(r)), rank(r))
    chosen = {(k, v[1]) for k, v in best.items()}
    return [r for r in results if ((r.indicator, r.period), rank(r)[1]) in chosen]


# ---- one result ------------------------------------------------------------------------------------------


@dataclass
class _Subject:
    """A result prepared for comparison: the value compared, its measure, year and LAIT band/rank."""

    result: Result
    measure_code: str | None
    value: Any = None  # the value compared (a sub-annual count annualised); int stays int
    measure: Measure | None = None
    year: int | None = None
    notes: list[str] = field(default_factory=list)
    reason: str | None = None  # why no LAIT comparison is possible
    band: str | None = None
    rank: int | None = None
    ranked_of: int | None = None

    @property
    def polarity(self) -> str:
        return self.result.polarity if self.result.polarity in ("low", "high") else "none"


def measure_code(result: Result, meta: dict[str, Any]) -> str | None:
    bench = result.benchmark
    if isinstance(bench, dict) and bench.get("measure") and bench.get("source", "lait") == "lait":
        return str(bench["measure"])
    if result.category is not None:  # a breakdown share: only its own mapping applies
        return None
    if meta.get("benchmark_measure"):
        return str(meta["benchmark_measure"])
    return _library_measures().get(result.indicator)


def _pick_year(measure: Measure, end: date | None, explicit: int | None) -> tuple[int | None, str | None, str | None]:
    """(year, note, reason): the explicit year, else the latest published year not after the period."""
    years = lait_years(measure.code)
    if explicit is not None:
        if explicit not in years:
            span = f"{years[0]}-{years[-1]}" if years else "none"
            return explicit, None, f"CSC403 no published {measure.code} figures for {explicit} (published: {span})"
        return explicit, None, None
    if not years:
        return None, None, f"CSC403 no published {measure.code} figures"
    if end is None:
        return years[-1], f"period dates unknown; latest published year {years[-1]} used", None
    candidate = end.year if measure.year_end(end.year) <= end else end.year - 1
    usable = [y for y in years if y <= candidate]
    if not usable:
        return None, None, f"CSC403 no published {measure.code} figures for {candidate} or earlier (first: {years[0]})"
    year = usable[-1]
    if year == candidate:
        return year, None, None
    why = "not published yet" if candidate > years[-1] else "not published"
    return year, f"{candidate} figures {why}; {year} (the latest published year before it) used", None


def _fmt(x: float) -> str:
    return f"{x:,.6g}" if abs(x) < 1e6 else f"{x:,.0f}"


def _period_note(r: Result, measure: Measure, year: int) -> tuple[Any, str | None]:
    """The value compared and what was done to make a sub-annual period comparable with a published year."""
    months, end, value = r.period.months, r.period.end, r.value
    year_end = measure.year_end(year)
    published = f"the year ending {year_end.day} {year_end:%B %Y}"
    if r.kind is Kind.as_at:
        return value, f"as at {r.as_at or end}, compared with {published}"
    if months >= 12:
        return value, None
    if r.kind is Kind.stock and not r.annualised:
        return value, f"position at {end} compared with {year_end.day} {year_end:%B %Y}"
    if r.annualised:
        return value, f"{r.period} rate annualised by compute (x{12 / months:g}); compared with {published}"
    if (r.unit.is_count or r.unit.value == "rate_per_10k") and isinstance(value, int | float):
        scaled = value * 12 / months
        return scaled, (f"{r.period} ({months} months) annualised for comparison (x{12 / months:g}: "
                        f"{_fmt(value)} -> {_fmt(scaled)}); compared with {published}")
    return value, f"{r.period} ({months} months) compared with the full year ending {year_end.day} {year_end:%B %Y}"


def like_for_like(r: Result, measure: Measure, year: int) -> str | None:
    """Why the figure gets no quartile band or national rank, or None when it may have them: a complete
    financial-year rate or percentage against that same year's published values."""
    if r.status is Status.incomplete:
        return "incomplete figure: no band, rank or verdict"
    if not r.judgeable:
        return "no figure to place"
    if r.unit.is_count:
        return "a count depends on the authority's size: no band or rank"
    if r.period.granularity != "year" or r.kind is Kind.as_at:
        return f"{r.period} is not a financial year: no band or rank against published years"
    if measure.year_end(year) != r.period.end:
        return f"published {year} is not the same year as {r.period}: no band or rank"
    return None


def units_match(result: Result, measure: Measure) -> bool:
    """Whether the result's unit can be compared with the LAIT measure's (a count with a count, a rate with a
    rate, ...)."""
    unit = result.unit.value
    return measure.unit in COMPATIBLE_UNITS.get(unit, {unit})


def unit_mismatch_reason(result: Result, measure: Measure) -> str:
    """Why a result cannot be compared with a measure published in other units."""
    names = {"rate_per_10k": "a rate per 10,000", "percent": "a percentage", "count": "a count",
             "score": "a score", "average": "an average"}
    published = names.get(measure.unit, f"'{measure.unit}'")
    mine = "count" if result.unit.is_count else names.get(result.unit.value, result.unit.value).split(" ", 1)[-1]
    return f"LAIT {measure.code} is published as {published}, not comparable with this {mine}"


def _subject(result: Result, meta: dict[str, Any], la: LocalAuthority, year: int | None) -> _Subject:
    code = measure_code(result, meta)
    s = _Subject(result, code, result.value if isinstance(result.value, int | float) else None)
    if code is None:
        return s
    s.measure = measure = lait_measure(code)
    if measure is None:
        s.reason = f"unknown LAIT measure {code!r}; check the indicator's benchmark mapping"
        return s
    if not units_match(result, measure):
        s.reason = unit_mismatch_reason(result, measure)
        return s
    s.year, note, s.reason = _pick_year(measure, result.period.end, year)
    if note:
        s.notes.append(note)
    if s.year is None or s.reason:
        return s
    if s.value is not None:
        s.value, note = _period_note(result, measure, s.year)
        if note:
            s.notes.append(note)
    if result.status is Status.incomplete:
        s.notes.append("incomplete: the inputs do not fully cover this figure's period or window; not judged")
    if s.value is not None and s.polarity != "none" and like_for_like(result, measure, s.year) is None:
        placed = position(measure, s.year, float(s.value), la.code, s.polarity)
        s.band, s.rank, s.ranked_of = placed.band, placed.rank, placed.ranked_of
    return s


def _row(s: _Subject, benchmark: str) -> Comparison:
    r = s.result
    return Comparison(indicator=r.indicator, title=r.title or r.indicator, section=r.section, category=r.category,
                      period=r.period.label, period_end=r.period.end.isoformat(), value=s.value, unit=r.unit.value,
                      polarity=s.polarity, annualised=r.annualised, benchmark=benchmark, status=r.status.value,
                      source=r.source.value)


def _finish(row: Comparison, bench_value: float | None, reason: str | None, notes: list[str],
            judged: bool = True) -> Comparison:
    """The gap and the verdict, decided on the values as displayed (1 dp; counts whole): `10.0% vs 10.0%`
    is "same"."""
    row.benchmark_value = None if bench_value is None else round(bench_value, 6)
    if bench_value is not None and isinstance(row.value, int | float):
        row.difference = round(row.value - bench_value, 6)
        gap = shown(row.value, row.unit or "count")
        other = shown(bench_value, row.unit or "count")
        if judged and gap is not None and other is not None:
            row.assessment = verdict(round(gap - other, 6), row.polarity)
    elif bench_value is not None:
        reason = reason or "no local value to compare"
    row.reason = reason
    row.note = "; ".join(notes) or None
    return row


_LABELS = {"england": "England", "sn": "SN mean", "sn-median": "SN median", "published": "Published"}


def _lait_row(s: _Subject, benchmark: str, la: LocalAuthority, sn: _Neighbours) -> Comparison:
    row = _row(s, benchmark)
    row.measure, row.benchmark_year = s.measure_code, s.year
    row.benchmark_label = _LABELS.get(benchmark, la.region)
    if benchmark in ("sn", "sn-median"):
        row.sn_values_used = 0
    notes = list(s.notes)
    if s.reason or s.measure is None or s.year is None:
        return _finish(row, None, s.reason, notes)
    row.quartile_band, row.rank, row.ranked_of = s.band, s.rank, s.ranked_of
    code, year = s.measure.code, s.year
    judged = s.result.judgeable
    if benchmark in ("england", "published"):
        area = ENGLAND if benchmark == "england" else la.code
        pv = lait_value(code, area, year)
        who = "England" if benchmark == "england" else la.name
        reason = None if pv.value is not None else f"CSC403 no published {code} {year} for {who}: {pv.reason}"
        return _finish(row, pv.value, reason, notes, judged)
    if benchmark == "region":
        pv = lait_value(code, la.region_code, year)
        if pv.value is None and la.region_code in ("987", "988"):
            inner = pv
            pv = lait_value(code, LONDON, year)
            if pv.value is not None:
                row.benchmark_label = area_name(LONDON)
                notes.append(f"no {la.region} figure ({inner.reason}); London used, as LAIT does")
        reason = None if pv.value is not None else f"CSC403 no published {code} {year} for {la.region}: {pv.reason}"
        return _finish(row, pv.value, reason, notes, judged)
    return _sn_row(row, s, sn, benchmark, notes)


@dataclass
class _Neighbours:
    model: str
    label: str
    codes: list[str]


def _sn_row(row: Comparison, s: _Subject, sn: _Neighbours, benchmark: str, notes: list[str]) -> Comparison:
    assert s.measure is not None and s.year is not None
    what = "mean" if benchmark == "sn" else "median"
    if not sn.codes:
        return _finish(row, None, f"CSC402 no statistical neighbours in the {sn.label}", notes)
    values = [pv.value for pv in (lait_value(s.measure.code, c, s.year) for c in sn.codes) if pv.value is not None]
    row.sn_values_used = len(values)
    row.benchmark_label = f"SN {what} ({len(values)}/{len(sn.codes)})"
    if not values:
        reason = f"CSC403 none of the {len(sn.codes)} statistical neighbours has a published {s.measure.code} {s.year}"
        return _finish(row, None, reason, notes)
    if len(values) < len(sn.codes):
        missing = len(sn.codes) - len(values)
        notes.append(f"{missing} of {len(sn.codes)} neighbours {'has' if missing == 1 else 'have'} no published value")
    level = statistics.fmean(values) if what == "mean" else statistics.median(values)
    return _finish(row, level, None, notes, s.result.judgeable)


def _target_row(s: _Subject, target: float) -> Comparison:
    row = _row(s, "target")
    row.value = s.result.value if isinstance(s.result.value, int | float) else None
    row.benchmark_label = "Target"
    notes = ["incomplete: not judged"] if s.result.status is Status.incomplete else []
    return _finish(row, float(target), None, notes, s.result.judgeable)


# ---- the payload -----------------------------------------------------------------------------------------


def _wanted(benchmarks: list[str] | None) -> list[str]:
    names = [str(b).strip().lower() for b in (benchmarks or [])]
    bad = [b for b in names if b not in (*BENCHMARKS, "all")]
    if bad:
        raise ConfigError(f"unknown benchmark {bad[0]!r}", f"use {', '.join(BENCHMARKS)} or all")
    if not names or "all" in names:
        return list(BENCHMARKS)
    return [b for b in BENCHMARKS if b in names]


def _results(payload: Any) -> list[Result]:
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise InputError("not a `compute --format json` payload: no `results` list",
                         "pass the JSON written by `csc-metrics compute --format json`")
    try:
        return [Result.from_dict(r) for r in payload["results"] if isinstance(r, dict) and r.get("indicator")]
    except (ValueError, CscError) as exc:
        raise InputError(f"not a `compute --format json` payload: a result cannot be read ({exc})",
                         "pass the JSON written by `csc-metrics compute --format json`") from exc


@dataclass(frozen=True)
class Compared:
    """What `compare` found: the comparison rows, the messages for the reader, and who was compared."""

    comparisons: list[Comparison]
    messages: list[str]
    without: list[str]  # indicators with no benchmark row
    la: LocalAuthority
    sn_model: str
    sn_label: str
    wanted: list[str]


def benchmark_source() -> str:
    """The published figures' source and vintage, as every output names it."""
    data = manifest()
    return f"{data['sources']['lait']['name']}, {data['vintage']['lait_values']}"


def compare(results: list[Result], *, la_code: str, benchmarks: list[str] | None, benchmark_year: int | None,
            sn_model: str = "2025", targets: dict[str, float] | None = None,
            indicator_meta: dict[str, dict[str, Any]] | None = None, computed_for: str | None = None) -> Compared:
    """Each of these results against the benchmarks asked for (no selection of periods: see `select_results`).
    `computed_for`: the LA the results were computed for, when known (a different one is reported)."""
    la = la_info(str(la_code))
    sn_model = str(sn_model or "2025")
    label = sn_model_label(sn_model)
    wanted = _wanted(benchmarks)
    messages: list[str] = []
    if computed_for and str(computed_for) != la.code:
        messages.append(f"the results were computed for LA {computed_for} but are compared as {la.code}")
    sn = _Neighbours(sn_model, label, [n.code for n in statistical_neighbours(la.code, sn_model)])
    if not sn.codes and {"sn", "sn-median"} & set(wanted):
        messages.append(
            f"CSC402 {la.code} {la.name} has no statistical neighbours in the {label}; "
            f"statistical-neighbour rows are empty (try --sn-model {'2025' if sn_model != '2025' else '2021'})"
        )
    targets = dict(targets or {})
    rows: list[Comparison] = []
    without: list[str] = []
    for result in results:
        meta = (indicator_meta or {}).get(result.indicator, {})
        s = _subject(result, meta, la, benchmark_year)
        target = targets.get(result.indicator, meta.get("target")) if result.category is None else None
        mine = [_lait_row(s, b, la, sn) for b in wanted if b in LAIT_BENCHMARKS and s.measure_code
                and not (b in AREA_BENCHMARKS and result.unit.is_count)]
        if "target" in wanted and target is not None:
            mine.append(_target_row(s, target))
        if not mine and result.indicator not in without:
            without.append(result.indicator)
        rows.extend(mine)
    if wanted == ["target"] and not any(c.benchmark == "target" for c in rows):
        messages.append("no targets set: add a [targets] table to csc-metrics.toml")
    return Compared(rows, messages, without, la, sn_model, label, wanted)


def compare_results(
    payload: dict[str, Any],
    *,
    la_code: str | None,
    benchmarks: list[str],
    benchmark_year: int | None,
    sn_model: str = "2025",
    targets: dict[str, float],
    period: str | Period | None,
    indicator_meta: dict[str, dict[str, Any]],
    source: str | None = None,
) -> dict[str, Any]:
    """The `compare --format json` payload for a `compute --format json` payload (see spec/cli.md): one
    source per indicator and period (`pick_source`)."""
    every = _results(payload)
    results = pick_source(every, source)
    if source is not None and every and not results:
        held = sorted({SOURCE_LABELS.get(r.source.value, r.source.value) for r in every})
        raise ConfigError(f"no {SOURCE_LABELS.get(source, source)} figures in the results",
                          f"the results hold figures from {', '.join(held)}; drop --source or choose one of them")
    metadata = payload.get("metadata") or {}
    code = la_code or metadata.get("la_code")
    if not code:
        raise ConfigError("no local authority code", "pass --la CODE or set `la` in csc-metrics.toml")
    chosen = parse_period(period) if isinstance(period, str) else period
    found = compare(select_results(results, chosen), la_code=str(code), benchmarks=benchmarks,
                    benchmark_year=benchmark_year, sn_model=sn_model, targets=targets,
                    indicator_meta=indicator_meta, computed_for=metadata.get("la_code"))
    comparisons = [c.model_dump() for c in found.comparisons]
    kept = {id(r) for r in results}
    set_aside = sorted({r.indicator for r in select_results(every, chosen) if id(r) not in kept}) \
        if source is None and len(every) != len(results) else []
    if set_aside:
        found.messages.append(
            f"{len(set_aside)} indicator(s) also have figures of another source for this period "
            f"({', '.join(set_aside[:6])}{', ...' if len(set_aside) > 6 else ''}): the DfE return's are compared; "
            "pass --source annex_a (or ssda903, cin_census) to compare that source's instead")
    la = found.la
    return {
        "schema_version": SCHEMA_VERSION,
        "metadata": {
            "la_code": la.code,
            "la_name": la.name,
            "region": la.region,
            "region_code": la.region_code,
            "run_id": metadata.get("run_id") or payload.get("run_id"),
            "sn_model": found.sn_label,
            "sn_model_id": found.sn_model,
            "benchmark_source": benchmark_source(),
            "licence": manifest()["licence"],
            "periods": sorted({str(c["period"]) for c in comparisons}),
            "sources": sorted({str(c["source"]) for c in comparisons}),
            "benchmarks": found.wanted,
            "messages": found.messages,
            "indicators_without_benchmark": found.without,
        },
        "comparisons": comparisons,
    }


def any_worse(compared: dict[str, Any]) -> bool:
    """True when any comparison is worse than its benchmark (for `--fail-on worse`)."""
    return any(c.get("assessment") == "worse" for c in compared.get("comparisons", []))
