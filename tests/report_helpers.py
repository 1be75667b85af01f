"""Hand-built `compute` payloads for the report tests: the real catalogue's indicators over quarters, with
figures from a seeded generator (the arithmetic of each result is consistent: value = 100 * num / den)."""

from __future__ import annotations

import random
import re
from functools import cache
from html.parser import HTMLParser
from typing import Any

from tests.conftest import DEFINITIONS

from csc_metrics.spec.loader import load_definitions

QUARTER_ENDS = {1: ("04-01", "06-30"), 2: ("07-01", "09-30"), 3: ("10-01", "12-31"), 4: ("01-01", "03-31")}


def quarter(fy: int, q: int) -> dict[str, str]:
    start, end = QUARTER_ENDS[q]
    year = fy + 1 if q == 4 else fy
    return {"period": f"{fy}-{(fy + 1) % 100:02d} Q{q}", "period_start": f"{year}-{start}",
            "period_end": f"{year}-{end}"}


def annual(fy: int) -> dict[str, str]:
    return {"period": f"{fy}-{(fy + 1) % 100:02d}", "period_start": f"{fy}-04-01", "period_end": f"{fy + 1}-03-31"}


def result(ind: str, title: str, section: str, unit: str, period: dict[str, str], *, num: Any = None,
           den: Any = None, value: Any = None, polarity: str = "none", kind: str = "flow",
           category: str | None = None, measure: str | None = None, complete: bool = True,
           source: str = "annex_a") -> dict[str, Any]:
    if value is None and unit == "percent" and den:
        value = 100.0 * num / den
    if value is None and unit in ("count", "children"):
        value = num
    return {"indicator": ind, "title": title, "section": section, "kind": kind, **period, "complete": complete,
            "as_at": None, "category": category, "numerator": num, "denominator": den, "value": value,
            "unit": unit, "annualised": unit == "rate_per_10k" and kind == "flow", "polarity": polarity,
            "previous_period": None, "previous_value": None, "change": None, "direction": None,
            "assessment": None, "status": "ok" if complete else "incomplete", "warnings": [],
            "benchmark": {"source": "lait", "measure": measure} if measure else None, "source": source}


def link_previous(results: list[dict[str, Any]]) -> None:
    """previous_value/change/direction/assessment by the library's own rule (`compute.add_previous`: the
    previous quarter or year of the same run; verdicts on the values as shown, none for an incomplete figure)."""
    from csc_metrics.compute import add_previous
    from csc_metrics.engine.periods import parse_period

    for r in results:
        r["period_obj"] = parse_period(r["period"])
    add_previous(results, {})
    for r in results:
        del r["period_obj"]


def metadata(periods: list[str], la: str | None = "808") -> dict[str, Any]:
    return {
        "tool_version": "1.0.0", "definitions_hash": "sha256:" + "ab" * 32, "la_code": la, "as_at": "2025-12-31",
        "inputs": [{"path": "extracts/list3 =HYPERLINK(\"x\").csv", "sheet": None, "sha256": "cd" * 32,
                    "table": "annex_a_list_3", "rows": 1234, "coverage": ["2024-04-01", "2025-12-31"]}],
        "calendar": {"holidays_source": "python-holidays", "holidays_version": "0.109", "years": [2023, 2026]},
        "population": {"source": "ONS mid-year estimates, children aged 0-17", "year": 2024, "value": 45079},
        "periods": periods,
    }


BREAKDOWN_CATEGORIES = {
    "referrals_by_source": ["q) 6: Police", "a) 2A: Schools", "b) 3A: GP", "c) 1A: Individual",
                            "=HYPERLINK(\"x\")", "d) 8: Other"],
    "contacts_by_source": ["q) 6: Police", "a) 2A: Schools", "c) 1A: Individual"],
    "cp_plans_started_by_category": ["a) Neglect", "b) Physical abuse", "c) Emotional abuse", "d) Sexual abuse",
                                     "e) Multiple"],
    "cla_by_legal_status": ["C2: Full care order", "C1: Interim care order", "V2: Section 20", "E1: Placement order"],
}


@cache
def _definitions():
    return load_definitions([DEFINITIONS]).definitions


def catalogue_payload(seed: int = 7, la: str | None = "808", quarters_this_year: int = 3) -> dict[str, Any]:
    """Every catalogue indicator: 2024-25 Q1-Q4 and its annual figure, then 2025-26 Q1..Qn."""
    rng = random.Random(seed)
    defs = _definitions()
    periods = [quarter(2024, q) for q in range(1, 5)] + [quarter(2025, q) for q in range(1, quarters_this_year + 1)]
    results: list[dict[str, Any]] = []
    for ind in defs.indicators.values():
        kind_type = ind.type
        from csc_metrics.engine.run import kind_of

        kind = kind_of(ind, defs)  # `during` is reported as a flow
        common = dict(polarity=ind.polarity.value, kind=kind,
                      measure=ind.benchmark.measure if ind.benchmark else None)
        title, section = ind.title, ind.section.value
        scale = rng.randint(40, 400)
        for p in [*periods[:4], annual(2024), *periods[4:]]:
            mult = 4 if " Q" not in p["period"] and kind == "flow" else 1
            if kind_type == "count":
                n = int(scale * mult * rng.uniform(0.8, 1.2))
                results.append(result(ind.id, title, section, "children" if ind.counts_children else "count", p,
                                       num=n, **common))
            elif kind_type == "proportion":
                den = int(scale * mult * rng.uniform(0.8, 1.2))
                num = int(den * rng.uniform(0.1, 0.9))
                results.append(result(ind.id, title, section, "percent", p, num=num, den=den, **common))
            elif kind_type == "rate":
                n = int(scale * mult * rng.uniform(0.8, 1.2))
                value = n / 45079 * 10000 * (4 if kind == "flow" and mult == 1 else 1)
                results.append(result(ind.id, title, section, "rate_per_10k", p, num=n, den=45079, value=value,
                                      **common))
            elif kind_type == "duration":
                unit = "working_days" if ind.unit == "working_days" else "days"
                results.append(result(ind.id, title, section, unit, p, den=rng.randint(10, 60),
                                      value=rng.uniform(20, 400), **common))
            elif kind_type == "breakdown":
                cats = BREAKDOWN_CATEGORIES.get(ind.id, ["a) One", "b) Two"])
                counts = [int(scale * mult * rng.uniform(0.05, 0.6)) for _ in cats]
                total = sum(counts)
                for cat, n in zip(cats, counts, strict=True):
                    results.append(result(ind.id, title, section, "percent", p, num=n, den=total, category=cat,
                                          **common))
    link_previous(results)
    labels = [p["period"] for p in periods]
    return {"schema_version": 1, "metadata": metadata(labels, la), "results": results, "diagnostics": []}


class _Refs(HTMLParser):
    """Every attribute that would make a browser fetch something, and the CSS of <style> blocks."""

    FETCHING = {"src", "href", "xlink:href", "action", "poster", "data", "srcset", "background", "formaction"}

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.tags: set[str] = set()
        self.css = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self._in_style = tag == "style"
        self.refs += [v or "" for k, v in attrs if k in self.FETCHING]
        self.refs += [v or "" for k, v in attrs if k == "style" and "url(" in (v or "")]

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.css += data


def external_references(page: str) -> list[str]:
    """Anything in the page that points outside it: links other than #fragments, CSS url()/@import, scripts,
    stylesheets, frames, images."""
    parser = _Refs()
    parser.feed(page)
    bad = [r for r in parser.refs if not r.startswith("#")]
    bad += re.findall(r"url\([^)]*\)|@import[^;]*", parser.css)
    bad += sorted(parser.tags & {"script", "link", "img", "iframe", "object", "embed", "image", "use", "video",
                                 "audio", "source", "base"})
    return bad
