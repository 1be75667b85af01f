"""Reconcile one financial year's figures computed from the DfE returns (SSDA903, CIN census) with the
authority's own published LAIT values, beside the Annex A proxy of the same indicator (`csc-metrics reconcile`).

The published value is found as `compare --benchmark published` finds it (`core._subject`: the indicator's LAIT
measure, the unit check, the published year), for the same year only. Verdicts, on a complete figure only:

- `matches`: the figure rounded (half up) to the measure's published decimals equals the published value;
- `matches (rounding)`: it does not, but it is within half a unit of the last digit the published value is
  written to (a value published at fewer decimals than LAIT's dictionary says, or a half-way value);
- `within tolerance`: the difference is at most `tolerance` (percentage points for a percentage; per cent of the
  published value for a count, rate or average);
- `differs`: otherwise.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

from csc_metrics.compare.core import (
    SCHEMA_VERSION,
    SOURCE_LABELS,
    _results,
    _subject,
    benchmark_source,
    indicator_meta_from_definitions,
    measure_code,
    unit_mismatch_reason,
    units_match,
)
from csc_metrics.engine.periods import Period, parse_period
from csc_metrics.errors import ConfigError
from csc_metrics.reference import LocalAuthority, la_info, lait_value, lait_years, manifest
from csc_metrics.results import Kind, Result, Source, Status

RETURNS = (Source.ssda903, Source.cin_census)
VERDICTS = ("matches", "matches (rounding)", "within tolerance", "differs")
SUPPRESSED = frozenset({"c", "-", "k", "low", "u"})  # published symbols that withhold a value


@dataclass
class Reconciled:
    """One figure from a return beside its published value and its Annex A proxy."""

    indicator: str
    title: str
    section: str | None
    category: str | None
    period: str
    source: str
    unit: str
    status: str
    value: Any
    measure: str | None = None
    measure_name: str | None = None
    published_unit: str | None = None
    published_decimals: int | None = None
    published_year: int | None = None
    published_value: float | None = None
    difference: float | None = None
    verdict: str | None = None
    reason_code: str | None = None  # why there is no published value or no verdict
    reason: str | None = None
    proxy_value: Any = None
    proxy_status: str | None = None
    proxy_note: str | None = None


def financial_year(label: str) -> Period:
    """The period of a financial-year label; a quarter, month or anything else is refused (exit 2)."""
    fix = "pass a financial year, e.g. --period 2024-25 (the published figures are for years ending 31 March)"
    if label.strip().lower() in ("year", "quarter", "month"):
        raise ConfigError(f"reconcile compares one financial year, and `{label}` names no year", fix)
    period = parse_period(label)
    if period.granularity != "year":
        raise ConfigError(
            f"reconcile compares a financial year with the DfE's published figures, and {period.label} is not one",
            fix)
    return period


def _places(x: float) -> int:
    """Decimal places the number is written to (22.6 -> 1, 22.0 -> 0)."""
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return len(text.split(".")[1]) if "." in text else 0


def _half_up(x: float, decimals: int) -> float:
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def verdict_of(value: float, published: float, decimals: int, unit: str, tolerance: float) -> str:
    """The verdict of a complete figure against its published value (see the module docstring)."""
    if _half_up(value, decimals) == published:
        return "matches"
    half = 0.5 * 10 ** -min(decimals, _places(published))
    if abs(value - published) <= half + 1e-9:
        return "matches (rounding)"
    gap = abs(value - published)
    allowed = tolerance if unit == "percent" else abs(published) * tolerance / 100
    return "within tolerance" if tolerance > 0 and gap <= allowed + 1e-9 else "differs"


# ---- the proxy note ----------------------------------------------------------------------------------------

_OTHER = {"annex_a": re.compile(r"(SSDA903|CIN census) recipe"), "return": re.compile(r"Annex A recipe")}


@cache
def _descriptions(definitions: Path | None) -> dict[tuple[str, str], str]:
    from csc_metrics.spec.loader import default_definitions_path, load_definitions

    loaded = load_definitions([default_definitions_path(definitions)], cache=True)
    return {key: ind.description for key, ind in loaded.definitions.recipes.items()}


def recipe_note(indicator: str, source: str, definitions: Path | None = None) -> str:
    """`same recipe`, or `recipes differ: ...` with the sentence of either recipe's description that says how
    (a sentence naming the other source's recipe, other than "as for the Annex A recipe")."""
    desc = _descriptions(definitions)
    said = []
    for key, pattern in ((indicator, source), "return"), ((indicator, "annex_a"), "annex_a"):
        text = desc.get(key) or ""
        said += [s.strip() for s in re.split(r"(?<=[.;])\s+", text)
                 if _OTHER[pattern].search(s) and "as for the" not in s]
    return f"recipes differ: {said[0]}" if said else "same recipe"


# ---- one figure --------------------------------------------------------------------------------------------


def _published(row: Reconciled, result: Result, meta: dict[str, Any], la: LocalAuthority, year: int) -> None:
    """The published value of the figure's measure for the LA and year, or the reason there is none."""
    if measure_code(result, meta) is None:
        row.reason_code, row.reason = "no_measure", "no LAIT measure mapped to this indicator"
        return
    s = _subject(result, meta, la, year)
    measure = s.measure
    row.measure, row.published_year = s.measure_code, year
    if measure is None:
        row.reason_code, row.reason = "unknown_measure", s.reason
        return
    row.measure_name, row.published_unit, row.published_decimals = measure.name, measure.unit, measure.decimals
    if not units_match(result, measure):
        row.reason_code, row.reason = "units_differ", unit_mismatch_reason(result, measure)
        return
    year_end = measure.year_end(year)
    if year_end.month != 3:
        row.reason_code = "year_differs"
        row.reason = f"LAIT {measure.code} is published for years ending {year_end:%d %B}: not the same year"
        return
    pv = lait_value(measure.code, la.code, year)
    row.published_value = pv.value
    if pv.value is not None:
        return
    if (pv.symbol or "") in SUPPRESSED:
        row.reason_code, row.reason = "suppressed", f"{la.name}'s {measure.code} {year}: {pv.reason}"
    elif s.reason or year not in lait_years(measure.code):
        row.reason_code = "year_not_published"
        row.reason = f"LAIT {measure.code} is not published for {year} (the year ending 31 March {year})"
    else:
        row.reason_code, row.reason = "la_not_published", f"{la.name}'s {measure.code} {year}: {pv.reason}"


def reconcile_one(result: Result, meta: dict[str, Any], la: LocalAuthority, year: int,
                  tolerance: float) -> Reconciled:
    """One return figure beside its published value, with the verdict (complete figures only)."""
    row = Reconciled(indicator=result.indicator, title=result.title or result.indicator, section=result.section,
                     category=result.category, period=result.period.label, source=result.source.value,
                     unit=result.unit.value, status=result.status.value, value=result.value)
    _published(row, result, meta, la, year)
    if row.published_value is None:
        return row
    if result.kind is Kind.as_at:
        row.reason_code, row.reason = "not_annual", f"a figure as at {result.as_at}, not the year's: no verdict"
        return row
    if not result.judgeable:
        what = "no value" if result.status is Status.ok else result.status.value
        row.reason_code, row.reason = "no_verdict", f"{what}: no verdict"
        return row
    assert row.published_decimals is not None and row.published_unit is not None
    value = float(result.value)  # type: ignore[arg-type]  # judgeable: a number
    row.difference = round(value - row.published_value, 6)
    row.verdict = verdict_of(value, row.published_value, row.published_decimals, row.published_unit, tolerance)
    return row


# ---- the payload -------------------------------------------------------------------------------------------


def reconcile_results(payload: dict[str, Any], *, la_code: str | None, period: str, tolerance: float = 0.0,
                      definitions: Path | None = None) -> dict[str, Any]:
    """The `reconcile --format json` payload: every figure of the year computed from a return, beside the
    published value and the Annex A proxy (same indicator, category and period)."""
    year_period = financial_year(period)
    if tolerance < 0:
        raise ConfigError(f"--tolerance {tolerance:g} is negative", "pass 0 or more (points for a percentage, "
                          "per cent of the published value otherwise)")
    metadata = payload.get("metadata") or {}
    code = la_code or metadata.get("la_code")
    if not code:
        raise ConfigError("reconcile needs a local authority, and none is set",
                          'pass --la CODE, e.g. --la 808, or set `la = "808"` in csc-metrics.toml')
    la = la_info(str(code))
    results = [r for r in _results(payload) if r.period == year_period]
    meta = indicator_meta_from_definitions(definitions)
    proxies = {(r.indicator, r.category): r for r in results if r.source is Source.annex_a}
    year = year_period.end.year
    order = {s: i for i, s in enumerate(RETURNS)}
    chosen = sorted((r for r in results if r.source in RETURNS), key=lambda r: order[r.source])
    rows: list[Reconciled] = []
    for r in chosen:
        if r.category is not None and measure_code(r, meta.get(r.indicator, {})) is None:
            continue  # a breakdown's categories: only one mapped to a measure of its own is reconciled
        row = reconcile_one(r, meta.get(r.indicator, {}), la, year, tolerance)
        proxy = proxies.get((r.indicator, r.category))
        if proxy is not None:
            row.proxy_value, row.proxy_status = proxy.value, proxy.status.value
            row.proxy_note = recipe_note(r.indicator, r.source.value, definitions)
        rows.append(row)
    messages = []
    if not rows:
        messages.append(f"no figures computed from the SSDA903 or the CIN census for {year_period.label}: run "
                        "`csc-metrics compute RETURNS/ --period year` first")
    if metadata.get("la_code") and str(metadata["la_code"]) != la.code:
        messages.append(f"the results were computed for LA {metadata['la_code']} but are reconciled as {la.code}")
    counts = {v: sum(row.verdict == v for row in rows) for v in VERDICTS}
    return {
        "schema_version": SCHEMA_VERSION,
        "metadata": {
            "la_code": la.code,
            "la_name": la.name,
            "period": year_period.label,
            "published_year": year,
            "tolerance": tolerance,
            "sources": [s.value for s in RETURNS if any(row.source == s.value for row in rows)],
            "source_labels": dict(SOURCE_LABELS),
            "benchmark_source": benchmark_source(),
            "licence": manifest()["licence"],
            "run_id": metadata.get("run_id"),
            "runs": metadata.get("runs") or [],
            "counts": counts | {"no_verdict": sum(row.verdict is None for row in rows)},
            "messages": messages,
        },
        "rows": [asdict(row) for row in rows],
    }


def any_difference(reconciled: dict[str, Any]) -> bool:
    """True when any figure `differs` from its published value (for `--fail-on difference`)."""
    return any(r.get("verdict") == "differs" for r in reconciled.get("rows", []))
