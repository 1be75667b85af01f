"""Small-number suppression for publication: counts 1..N-1, and every figure derived from them, become `c`.

The rule (as DfE publishes): a count from 1 to N-1 is replaced by the marker `c`; so is every percentage, rate
or average whose numerator or denominator is such a count. Zero is never suppressed. Where a figure is
suppressed, its change from the previous period is too (value = previous + change would give it away), and so
is a previous value that is itself suppressed. In a breakdown, when exactly one category of a period is
suppressed, the next smallest non-zero category is suppressed as well, so the total minus the others does not
reveal it (secondary suppression).

The rule works on typed results (`suppress_results`, which the report uses); `suppress(payload, n)` applies
it to a `compute` payload and returns a new one, the original unchanged. The marker is a `Suppressed` string
(`csc_metrics.results`): it prints as itself under any number format, and JSON and CSV carry `"c"`.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

from csc_metrics.results import Result, Suppressed

MARKER = "c"
COUNT_UNITS = frozenset({"count", "children"})
_CHANGED = ("value", "numerator", "denominator", "change", "previous_value", "direction", "assessment")

__all__ = ["MARKER", "Suppressed", "is_suppressed", "suppress", "suppress_compare", "suppress_results"]


def is_suppressed(x: Any) -> bool:
    """True for the marker (also after a JSON round trip, where it is a plain `"c"`)."""
    return isinstance(x, str)


def _small(x: Any, n: int) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and 1 <= x < n


def _needs(r: Result, n: int) -> bool:
    return (r.unit.is_count and _small(r.value, n)) or _small(r.numerator, n) or _small(r.denominator, n)


def _blank(r: Result, n: int, c: Suppressed) -> Result:
    """The result with its figures replaced by the marker (a zero numerator stays: zero is not suppressed)."""
    return r.model_copy(update={
        "value": None if r.value is None else c,
        "numerator": r.numerator if r.numerator in (None, 0) else c,
        "denominator": c if _small(r.denominator, n) else r.denominator,
        "change": None if r.change is None else c,
        "direction": None, "assessment": None, "suppressed": True,
    })


def _secondary(results: list[Result], n: int, c: Suppressed) -> list[Result]:
    """Breakdowns: a lone suppressed category is protected by suppressing the next smallest one too."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(results):
        if r.category is not None:
            groups[(r.indicator, r.period.label)].append(i)
    out = list(results)
    for members in groups.values():
        if sum(1 for i in members if out[i].suppressed) != 1:
            continue
        others = [i for i in members if not out[i].suppressed and isinstance(out[i].numerator, int | float)
                  and not isinstance(out[i].numerator, str) and out[i].numerator > 0]  # type: ignore[operator]
        if others:
            i = min(others, key=lambda i: (out[i].numerator, str(out[i].category)))
            out[i] = _blank(out[i], n, c)
    return out


def suppress_results(results: list[Result], n: int | None, marker: str = MARKER) -> list[Result]:
    """The results with small numbers suppressed (n None or < 2: the same results). Also suppressed: the
    change of a suppressed figure, and a previous value that is itself suppressed (or a small count)."""
    if not n or n < 2:
        return list(results)
    c = Suppressed(marker)
    out = _secondary([_blank(r, n, c) if _needs(r, n) else r for r in results], n, c)
    hidden = {(r.indicator, r.period.label, r.category) for r in out if r.suppressed}
    for i, r in enumerate(out):
        prev = r.previous_value
        if prev is None or is_suppressed(prev):
            continue
        if (r.indicator, r.previous_period, r.category) in hidden or (r.unit.is_count and _small(prev, n)):
            out[i] = r.model_copy(update={"previous_value": c, "change": None if r.change is None else c,
                                          "direction": None, "assessment": None})
    return out


def suppress(payload: dict[str, Any], n: int | None, marker: str = MARKER) -> dict[str, Any]:
    """A copy of a `compute` payload with small numbers suppressed by `suppress_results` (n None or < 2: an
    unchanged copy); each result keeps its own fields, only the suppressed ones change."""
    out = copy.deepcopy(payload)
    if not n or n < 2:
        return out
    results: list[dict[str, Any]] = out.get("results", [])
    typed = [Result.from_dict(r) for r in results]
    for d, before, after in zip(results, typed, suppress_results(typed, n, marker), strict=True):
        if after is before:
            continue
        d.update({k: getattr(after, k) for k in _CHANGED if getattr(after, k) is not getattr(before, k)})
        if after.suppressed:
            d["suppressed"] = True
    out.setdefault("metadata", {})["suppression"] = {
        "below": n, "marker": marker,
        "rule": f"counts 1 to {n - 1}, and figures derived from them, shown as {marker}; zero is not suppressed",
    }
    return out


def suppress_compare(compared: dict[str, Any], n: int | None, payload: dict[str, Any] | None = None,
                     marker: str = MARKER) -> dict[str, Any]:
    """A copy of a `compare` payload with the local figures suppressed: counts 1..N-1, and every row whose
    result is suppressed in `payload` (the compute payload it came from; without it only counts are known)."""
    out = copy.deepcopy(compared)
    if not n or n < 2:
        return out
    c = Suppressed(marker)
    hidden: set[tuple[Any, Any, Any]] = set()
    if payload is not None:
        hidden = {(r["indicator"], r["period"], r.get("category"))
                  for r in suppress(payload, n, marker)["results"] if r.get("suppressed")}
    for row in out.get("comparisons", []):
        key = (row.get("indicator"), row.get("period"), row.get("category"))
        if key in hidden or (row.get("unit") in COUNT_UNITS and _small(row.get("value"), n)):
            row.update(value=c, difference=None if row.get("difference") is None else c, assessment=None,
                       quartile_band=None, rank=None, ranked_of=None, suppressed=True)
    out.setdefault("metadata", {})["suppression"] = {"below": n, "marker": marker}
    return out
