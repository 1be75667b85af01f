"""Compare computed results with published benchmarks: England, region, statistical neighbours (mean as LAIT,
median as the DfE CSC outcomes dashboard), the LA's own published value, and local targets.

The input is a `compute --format json` payload; the output is the `compare --format json` payload of
`spec/cli.md`. Published figures come from the bundled LAIT data (`csc_metrics.reference`).
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from csc_metrics.errors import ConfigError, InputError
from csc_metrics.reference import (
    ENGLAND,
    LONDON,
    LocalAuthority,
    Measure,
    area_name,
    la_info,
    la_values,
    lait_measure,
    lait_value,
    lait_years,
    manifest,
    national_rank,
    quartile_band,
    sn_model_label,
    statistical_neighbours,
)

SCHEMA_VERSION = 1
BENCHMARKS = ("england", "region", "sn", "sn-median", "published", "target")
LAIT_BENCHMARKS = frozenset(BENCHMARKS[:5])
TOTALS = frozenset({"england", "region"})  # totals: not comparable with one LA's count, so skipped for counts
SECTIONS = ("inputs", "processes", "outputs")

# The catalogue's LAIT mapping (spec/indicators.md), used only when neither the result nor the definitions
# name a benchmark measure. Results from `compute` carry `benchmark: {source: lait, measure: ...}`.
CATALOGUE_MEASURES: dict[str, str] = {
    "referrals": "CPP_Total_NumRef",
    "referrals_per_10k": "CPP_Total_Rateper10,000",
    "referrals_nfa": "CIN_Refferals_NFA",
    "re_referrals_12m": "ReReferral",
    "re_referrals_12m_reported": "ReReferral",
    "assessments_within_45wd": "Continue_Assess_Comp",
    "s47_per_10k": "Section_47",
    "icpcs_per_10k": "ISCP_Conf",
    "icpc_within_15wd": "CP_conf_15days",
    "cin_per_10k": "CIN",
    "cp_plans_at_end": "CPP_Num",
    "cp_per_10k": "CPP_rate",
    "cp_plans_started": "CPP_Abuse",
    "cp_second_or_subsequent": "PrevRegCPR",
    "cp_ceased_2y_plus": "CPPlans2yrs",
    "cp_open_2y_plus": "CPPlans2yrsActive",
    "cla_at_end": "LACnum",
    "cla_per_10k": "LAC",
    "cla_started": "LACnum_Start",
    "cla_ceased": "LACceased",
    "cla_ceased_adopted": "%_of LAC Adopted",
    "cla_ceased_sgo": "LAC_ceased_SGO%",
    "cla_ceased_cao": "LAC_ceased_CAO%",
    "cla_3plus_placements": "LACStable_2016on",
    "cla_long_term_stability": "LAC_LongStable%",
    "cla_missing": "Children_missing",
    "care_leavers_eet": "CareLeaverEET",
    "care_leavers_suitable_accommodation": "CareLeaverAcc",
    "care_leavers_not_in_touch": "CareLeavers_LA_NotInTouch",
}

# Result unit -> the LAIT measure units it can be compared with.
COMPATIBLE_UNITS = {
    "percent": {"percent"},
    "rate_per_10k": {"rate_per_10k"},
    "count": {"count"},
    "children": {"count"},
}

ROW_KEYS = (
    "indicator", "title", "section", "category", "period", "period_end", "value", "unit", "polarity",
    "annualised", "benchmark", "benchmark_label", "measure", "benchmark_year", "benchmark_value", "difference",
    "assessment", "sn_values_used", "quartile_band", "rank", "ranked_of", "note", "reason",
)


def indicator_meta_from_definitions(definitions_dir: Path | None) -> dict[str, dict[str, Any]]:
    """Indicator id -> {benchmark_measure, polarity, unit, kind, title, section, target} from the definitions.

    The single place where `compare` reads indicator definitions. It uses `csc_metrics.spec.loader` on
    `definitions_dir` (None: the default library, and the catalogue's benchmark mapping alone when that cannot
    be loaded). Results that carry their own
    `benchmark` field (as `compute` writes them) do not need it.
    """
    meta: dict[str, dict[str, Any]] = {k: {"benchmark_measure": v} for k, v in CATALOGUE_MEASURES.items()}
    try:
        from csc_metrics.spec.loader import default_definitions_path, load_definitions
    except ImportError:  # pragma: no cover - the loader ships with the package
        return meta
    loaded = load_definitions([default_definitions_path(definitions_dir)])
    if loaded.has_errors:
        if definitions_dir is None:  # the default library is optional here: fall back to the catalogue
            return meta
        first = next(d for d in loaded.diagnostics if d.is_error)
        raise ConfigError(f"definitions cannot be loaded: {first.render()}", "run `csc-metrics check` for details")
    indicators = loaded.definitions.indicators
    for ind_id, ind in indicators.items():
        meta[ind_id] = {
            "benchmark_measure": getattr(getattr(ind, "benchmark", None), "measure", None),
            "polarity": str(getattr(ind, "polarity", "none")),
            "unit": _definition_unit(ind),
            "kind": _definition_kind(ind, indicators),
            "title": getattr(ind, "title", ind_id),
            "section": str(getattr(ind, "section", "")) or None,
            "target": getattr(ind, "target", None),
        }
    return meta


def _definition_unit(ind: Any) -> str | None:
    kind = getattr(ind, "type", "")
    if kind == "proportion":
        return "percent"
    if kind == "rate":
        return "rate_per_10k" if getattr(ind, "per", 10000) == 10000 else "rate"
    if kind in ("count", "breakdown"):
        return "children" if getattr(ind, "counts_children", False) and kind == "count" else "count"
    if kind == "duration":
        return "working_days" if getattr(ind, "unit", "") == "working_days" else "days"
    return None


def _definition_kind(ind: Any, indicators: dict[str, Any]) -> str | None:
    timing = getattr(ind, "timing", None)
    if timing is not None:
        return str(timing.basis)
    base = indicators.get(getattr(ind, "of", ""))
    return str(base.timing.basis) if base is not None and getattr(base, "timing", None) else None


# ---- periods ---------------------------------------------------------------------------------------------

_FY = re.compile(r"^(\d{4})-(\d{2})$")
_FQ = re.compile(r"^(\d{4})-(\d{2}) Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month_end(year: int, month: int) -> date:
    """Last day of `month` (13 = January of the next year, and so on)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def period_bounds(label: str) -> tuple[date, date] | None:
    """Start and end of a period label: `2024-25`, `2024-25 Q1`, `2025-04`; None if not recognised."""
    label = label.strip()
    if (m := _FQ.match(label)) is not None:
        first = int(m[1])
        q = int(m[3])
        start_month = 4 + 3 * (q - 1)
        year = first + (start_month - 1) // 12
        month = (start_month - 1) % 12 + 1
        end_m = month + 2
        return date(year, month, 1), _month_end(year, end_m)
    if (m := _FY.match(label)) is not None and (int(m[1]) + 1) % 100 == int(m[2]):
        return date(int(m[1]), 4, 1), date(int(m[1]) + 1, 3, 31)
    if (m := _MONTH.match(label)) is not None and 1 <= int(m[2]) <= 12:
        return date(int(m[1]), int(m[2]), 1), _month_end(int(m[1]), int(m[2]))
    return None


def _date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def _bounds(result: dict[str, Any]) -> tuple[date | None, date | None]:
    start, end = _date(result.get("period_start")), _date(result.get("period_end"))
    if start is None or end is None:
        parsed = period_bounds(str(result.get("period") or ""))
        if parsed:
            start, end = start or parsed[0], end or parsed[1]
    return start, end


def _months(start: date | None, end: date | None) -> int:
    if start is None or end is None:
        return 12
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _kind(result: dict[str, Any], meta: dict[str, Any]) -> str:
    return str(result.get("kind") or meta.get("kind") or "flow").replace("-", "_")


def select_results(results: list[dict[str, Any]], period: str | None) -> list[dict[str, Any]]:
    """Results for `period`; by default the latest complete period (annual before quarter when both end on the
    same day) plus the latest value of each as-at indicator (those are evaluated once, on the as-at date)."""
    results = [r for r in results if r.get("status") != "no_data"]
    if period is not None:
        chosen = [r for r in results if r.get("period") == period]
        if not chosen:
            labels = sorted({str(r.get("period")) for r in results})
            raise ConfigError(
                f"no results for period {period!r}",
                f"the results hold {', '.join(labels[-8:]) or 'no periods'}; pass one of them with --period",
            )
        return chosen
    if not results:
        return []
    complete = [r for r in results if r.get("complete", True)] or results

    def key(r: dict[str, Any]) -> tuple[date, int]:
        start, end = _bounds(r)
        return (end or date.min, _months(start, end))

    label = max(complete, key=key).get("period")
    chosen = [r for r in results if r.get("period") == label]
    have = {r.get("indicator") for r in chosen}
    latest_as_at: dict[Any, dict[str, Any]] = {}
    for r in results:
        if _kind(r, {}) == "as_at" and r.get("indicator") not in have:
            ind = r.get("indicator")
            if ind not in latest_as_at or key(r) > key(latest_as_at[ind]):
                latest_as_at[ind] = r
    return chosen + list(latest_as_at.values())


# ---- one result ------------------------------------------------------------------------------------------


@dataclass
class _Subject:
    """A result prepared for comparison: the value compared, its measure, year and LAIT band/rank."""

    result: dict[str, Any]
    indicator: str
    polarity: str
    unit: str | None
    value: float | None
    measure_code: str | None
    measure: Measure | None = None
    year: int | None = None
    notes: list[str] = field(default_factory=list)
    reason: str | None = None  # why no LAIT comparison is possible
    band: str | None = None
    rank: int | None = None
    ranked_of: int | None = None
    raw_value: Any = None  # the value as computed (int stays int)
    title: str = ""
    section: str | None = None


def _measure_code(result: dict[str, Any], meta: dict[str, Any]) -> str | None:
    bench = result.get("benchmark")
    if isinstance(bench, dict) and bench.get("measure") and bench.get("source", "lait") == "lait":
        return str(bench["measure"])
    if result.get("benchmark_measure"):
        return str(result["benchmark_measure"])
    if result.get("category") is not None:  # a breakdown share: only its own mapping applies
        return None
    if "benchmark_measure" in meta:
        return meta["benchmark_measure"]
    return CATALOGUE_MEASURES.get(str(result.get("indicator")))


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


def _period_note(result: dict[str, Any], meta: dict[str, Any], measure: Measure, year: int,
                 value: float | None) -> tuple[float | None, str | None]:
    """The value compared and what was done to make a sub-annual period comparable with a published year."""
    start, end = _bounds(result)
    months = _months(start, end)
    period = result.get("period")
    year_end = measure.year_end(year)
    published = f"the year ending {year_end.day} {year_end:%B %Y}"
    kind = _kind(result, meta)
    unit = result.get("unit") or meta.get("unit")
    if kind == "as_at":
        return value, f"as at {result.get('as_at') or end}, compared with {published}"
    if months >= 12:
        return value, None
    if kind in ("stock", "rate") and not result.get("annualised"):
        return value, f"position at {end} compared with {year_end.day} {year_end:%B %Y}"
    if result.get("annualised"):
        return value, f"{period} rate annualised by compute (x{12 / months:g}); compared with {published}"
    if unit in ("count", "children", "rate_per_10k") and value is not None:
        scaled = value * 12 / months
        return scaled, (f"{period} ({months} months) annualised for comparison (x{12 / months:g}: "
                        f"{_fmt(value)} -> {_fmt(scaled)}); compared with {published}")
    return value, f"{period} ({months} months) compared with the full year ending {year_end.day} {year_end:%B %Y}"


def _subject(result: dict[str, Any], meta: dict[str, Any], la: LocalAuthority, year: int | None) -> _Subject:
    ind = str(result.get("indicator"))
    code = _measure_code(result, meta)
    measure = lait_measure(code) if code else None
    polarity = str(result.get("polarity") or meta.get("polarity") or (measure.polarity if measure else "none"))
    polarity = polarity.lower() if polarity.lower() in ("low", "high") else "none"
    unit = result.get("unit") or meta.get("unit")
    raw = result.get("value")
    value = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
    s = _Subject(result, ind, polarity, unit, value, code, measure)
    s.raw_value = raw if value is not None else None
    s.title = str(result.get("title") or meta.get("title") or ind)
    s.section = result.get("section") or meta.get("section")
    if code is None:
        return s
    if measure is None:
        s.reason = f"unknown LAIT measure {code!r}; check the indicator's benchmark mapping"
        return s
    if unit and measure.unit not in COMPATIBLE_UNITS.get(unit, {unit}):
        s.reason = f"unit mismatch: the result is {unit}, LAIT {code} is {measure.unit}; check the benchmark mapping"
        return s
    _, end = _bounds(result)
    s.year, note, s.reason = _pick_year(measure, end, year)
    if note:
        s.notes.append(note)
    if s.year is None or s.reason:
        return s
    s.value, note = _period_note(result, meta, measure, s.year, value)
    if note:
        s.notes.append(note)
    if s.value == value:
        s.value = s.raw_value
    if s.value is not None and polarity in ("low", "high"):
        everyone = la_values(code, s.year)
        others = everyone.filter(everyone["area"] != la.code)["value"].to_list()
        if measure.quartiles:
            s.band = quartile_band(s.value, everyone["value"].to_list(), polarity)
        s.rank = national_rank(s.value, others, polarity) if others else None
        s.ranked_of = len(others) + 1 if others else None
    return s


def _assess(difference: float | None, polarity: str) -> str | None:
    if difference is None or polarity not in ("low", "high"):
        return None
    if difference == 0:
        return "same"
    better = difference < 0 if polarity == "low" else difference > 0
    return "better" if better else "worse"


def _row(s: _Subject, benchmark: str) -> dict[str, Any]:
    r = s.result
    row = dict.fromkeys(ROW_KEYS)
    row.update(
        indicator=s.indicator, title=s.title, section=s.section,
        category=r.get("category"), period=r.get("period"), period_end=r.get("period_end"), value=s.value,
        unit=s.unit, polarity=s.polarity, annualised=bool(r.get("annualised", False)), benchmark=benchmark,
    )
    return row


def _finish(row: dict[str, Any], bench_value: float | None, reason: str | None, notes: list[str]) -> dict[str, Any]:
    row["benchmark_value"] = None if bench_value is None else round(bench_value, 6)
    if bench_value is not None and row["value"] is not None:
        row["difference"] = round(row["value"] - bench_value, 6)
    elif bench_value is not None:
        reason = reason or "no local value to compare"
    row["assessment"] = _assess(row["difference"], row["polarity"])
    row["reason"] = reason
    row["note"] = "; ".join(notes) or None
    return row


_LABELS = {"england": "England", "sn": "SN mean", "sn-median": "SN median", "published": "Published"}


def _lait_row(s: _Subject, benchmark: str, la: LocalAuthority, sn: _Neighbours) -> dict[str, Any]:
    row = _row(s, benchmark)
    row.update(measure=s.measure_code, benchmark_year=s.year, benchmark_label=_LABELS.get(benchmark, la.region))
    if benchmark in ("sn", "sn-median"):
        row["sn_values_used"] = 0
    notes = list(s.notes)
    if s.reason or s.measure is None or s.year is None:
        return _finish(row, None, s.reason, notes)
    row.update(quartile_band=s.band, rank=s.rank, ranked_of=s.ranked_of)
    code, year = s.measure.code, s.year
    if benchmark in ("england", "published"):
        area = ENGLAND if benchmark == "england" else la.code
        pv = lait_value(code, area, year)
        who = "England" if benchmark == "england" else la.name
        reason = None if pv.value is not None else f"CSC403 no published {code} {year} for {who}: {pv.reason}"
        return _finish(row, pv.value, reason, notes)
    if benchmark == "region":
        pv = lait_value(code, la.region_code, year)
        if pv.value is None and la.region_code in ("987", "988"):
            inner = pv
            pv = lait_value(code, LONDON, year)
            if pv.value is not None:
                row["benchmark_label"] = area_name(LONDON)
                notes.append(f"no {la.region} figure ({inner.reason}); London used, as LAIT does")
        reason = None if pv.value is not None else f"CSC403 no published {code} {year} for {la.region}: {pv.reason}"
        return _finish(row, pv.value, reason, notes)
    return _sn_row(row, s, sn, benchmark, notes)


@dataclass
class _Neighbours:
    model: str
    label: str
    codes: list[str]


def _sn_row(row: dict[str, Any], s: _Subject, sn: _Neighbours, benchmark: str, notes: list[str]) -> dict[str, Any]:
    assert s.measure is not None and s.year is not None
    what = "mean" if benchmark == "sn" else "median"
    if not sn.codes:
        return _finish(row, None, f"CSC402 no statistical neighbours in the {sn.label}", notes)
    values = [pv.value for pv in (lait_value(s.measure.code, c, s.year) for c in sn.codes) if pv.value is not None]
    row["sn_values_used"] = len(values)
    row["benchmark_label"] = f"SN {what} ({len(values)}/{len(sn.codes)})"
    if not values:
        reason = f"CSC403 none of the {len(sn.codes)} statistical neighbours has a published {s.measure.code} {s.year}"
        return _finish(row, None, reason, notes)
    if len(values) < len(sn.codes):
        missing = len(sn.codes) - len(values)
        notes.append(f"{missing} of {len(sn.codes)} neighbours {'has' if missing == 1 else 'have'} no published value")
    return _finish(row, statistics.fmean(values) if what == "mean" else statistics.median(values), None, notes)


def _target_row(s: _Subject, target: float) -> dict[str, Any]:
    row = _row(s, "target")
    row["value"] = s.raw_value
    row["benchmark_label"] = "Target"
    return _finish(row, float(target), None, [])


# ---- the payload -----------------------------------------------------------------------------------------


def _wanted(benchmarks: list[str] | None) -> list[str]:
    names = [str(b).strip().lower() for b in (benchmarks or [])]
    bad = [b for b in names if b not in (*BENCHMARKS, "all")]
    if bad:
        raise ConfigError(f"unknown benchmark {bad[0]!r}", f"use {', '.join(BENCHMARKS)} or all")
    if not names or "all" in names:
        return list(BENCHMARKS)
    return [b for b in BENCHMARKS if b in names]


def _results(payload: Any) -> list[dict[str, Any]]:
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise InputError("not a `compute --format json` payload: no `results` list",
                         "pass the JSON written by `csc-metrics compute --format json`")
    return [r for r in payload["results"] if isinstance(r, dict) and r.get("indicator")]


def compare_results(
    payload: dict[str, Any],
    *,
    la_code: str | None,
    benchmarks: list[str],
    benchmark_year: int | None,
    sn_model: str = "2025",
    targets: dict[str, float],
    period: str | None,
    indicator_meta: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The `compare --format json` payload for a `compute --format json` payload (see spec/cli.md)."""
    results = _results(payload)
    metadata = payload.get("metadata") or {}
    code = la_code or metadata.get("la_code")
    if not code:
        raise ConfigError("no local authority code", "pass --la CODE or set `la` in csc-metrics.toml")
    la = la_info(str(code))
    sn_model = str(sn_model or "2025")
    label = sn_model_label(sn_model)
    wanted = _wanted(benchmarks)
    messages: list[str] = []
    if metadata.get("la_code") and str(metadata["la_code"]) != la.code:
        messages.append(f"the results were computed for LA {metadata['la_code']} but are compared as {la.code}")
    sn = _Neighbours(sn_model, label, [n.code for n in statistical_neighbours(la.code, sn_model)])
    if not sn.codes and {"sn", "sn-median"} & set(wanted):
        messages.append(
            f"CSC402 {la.code} {la.name} has no statistical neighbours in the {label}; "
            f"statistical-neighbour rows are empty (try --sn-model {'2025' if sn_model != '2025' else '2021'})"
        )
    targets = dict(targets or {})
    comparisons: list[dict[str, Any]] = []
    without: list[str] = []
    for result in select_results(results, period):
        meta = indicator_meta.get(str(result.get("indicator")), {})
        s = _subject(result, meta, la, benchmark_year)
        target = targets.get(s.indicator, meta.get("target")) if result.get("category") is None else None
        rows = [_lait_row(s, b, la, sn) for b in wanted if b in LAIT_BENCHMARKS and s.measure_code
                and not (b in TOTALS and s.unit in ("count", "children"))]
        if "target" in wanted and target is not None:
            rows.append(_target_row(s, target))
        if not rows and s.indicator not in without:
            without.append(s.indicator)
        comparisons.extend(rows)
    if wanted == ["target"] and not any(c["benchmark"] == "target" for c in comparisons):
        messages.append("no targets set: add a [targets] table to csc-metrics.toml")
    data = manifest()
    return {
        "schema_version": SCHEMA_VERSION,
        "metadata": {
            "la_code": la.code,
            "la_name": la.name,
            "region": la.region,
            "region_code": la.region_code,
            "run_id": metadata.get("run_id") or payload.get("run_id"),
            "sn_model": label,
            "sn_model_id": sn_model,
            "benchmark_source": f"{data['sources']['lait']['name']}, {data['vintage']['lait_values']}",
            "licence": data["licence"],
            "periods": sorted({str(c["period"]) for c in comparisons}),
            "benchmarks": wanted,
            "messages": messages,
            "indicators_without_benchmark": without,
        },
        "comparisons": comparisons,
    }


def any_worse(compared: dict[str, Any]) -> bool:
    """True when any comparison is worse than its benchmark (for `--fail-on worse`)."""
    return any(c.get("assessment") == "worse" for c in compared.get("comparisons", []))
