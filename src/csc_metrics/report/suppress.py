"""Small-number suppression for publication: counts 1..N-1, and every figure derived from them, become `c`.

The rule (as DfE publishes): a count from 1 to N-1 is replaced by the marker `c`; so is every percentage, rate
or average whose numerator or denominator is such a count. Zero is never suppressed. Where a figure is
suppressed, its change from the previous period is too (value = previous + change would give it away), and so
is a previous value that is itself suppressed. In a breakdown, when exactly one category of a period is
suppressed, the next smallest non-zero category is suppressed as well, so the total minus the others does not
reveal it (secondary suppression).

`suppress(payload, n)` returns a new payload; the original is not changed. The marker is a `Suppressed` string:
it prints as itself under any number format (`f"{c:,.1f}" == "c"`), so every renderer written for numbers shows
`c` without special cases, and JSON and CSV carry `"c"`.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

MARKER = "c"
COUNT_UNITS = frozenset({"count", "children"})


class Suppressed(str):
    """The suppression marker: a string that formats as itself whatever the number format asked for."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        return str(self)

    def __abs__(self) -> Suppressed:
        return self

    def __neg__(self) -> Suppressed:
        return self


def is_suppressed(x: Any) -> bool:
    """True for the marker (also after a JSON round trip, where it is a plain `"c"`)."""
    return isinstance(x, str)


def _small(x: Any, n: int) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and 1 <= x < n


def _needs(r: dict[str, Any], n: int) -> bool:
    if r.get("unit") in COUNT_UNITS and _small(r.get("value"), n):
        return True
    return _small(r.get("numerator"), n) or _small(r.get("denominator"), n)


def _blank(r: dict[str, Any], n: int, c: Suppressed) -> None:
    """Replace the figures of one result by the marker (zero numerators stay: zero is not suppressed)."""
    if r.get("value") is not None:
        r["value"] = c
    if r.get("numerator") not in (None, 0):
        r["numerator"] = c
    if _small(r.get("denominator"), n):
        r["denominator"] = c
    if r.get("change") is not None:
        r["change"] = c
    r["direction"] = None
    r["assessment"] = None
    r["suppressed"] = True


def _secondary(results: list[dict[str, Any]], n: int, c: Suppressed) -> None:
    """Breakdowns: a lone suppressed category is protected by suppressing the next smallest one too."""
    groups: dict[tuple[Any, Any], list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        if r.get("category") is not None:
            groups[(r["indicator"], r["period"])].append(r)
    for rows in groups.values():
        if sum(1 for r in rows if r.get("suppressed")) != 1:
            continue
        others = [r for r in rows if not r.get("suppressed") and isinstance(r.get("numerator"), int | float)
                  and r["numerator"] > 0]
        if others:
            _blank(min(others, key=lambda r: (r["numerator"], str(r["category"]))), n, c)


def suppress(payload: dict[str, Any], n: int | None, marker: str = MARKER) -> dict[str, Any]:
    """A copy of a `compute` payload with small numbers suppressed (n None or < 2: an unchanged copy)."""
    out = copy.deepcopy(payload)
    if not n or n < 2:
        return out
    c = Suppressed(marker)
    results: list[dict[str, Any]] = out.get("results", [])
    for r in results:
        if _needs(r, n):
            _blank(r, n, c)
    _secondary(results, n, c)
    hidden = {(r["indicator"], r["period"], r.get("category")) for r in results if r.get("suppressed")}
    for r in results:
        prev = r.get("previous_value")
        key = (r["indicator"], r.get("previous_period"), r.get("category"))
        if prev is None or is_suppressed(prev):
            continue
        if key in hidden or (r.get("unit") in COUNT_UNITS and _small(prev, n)):
            r["previous_value"] = c
            if r.get("change") is not None:
                r["change"] = c
            r["direction"] = None
            r["assessment"] = None
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
