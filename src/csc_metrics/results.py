"""The typed result of one indicator for one period, as `compute` builds it and every consumer reads it.

`compute` builds each `Result` once; the JSON payload (`Result.to_dict`, the contract of spec/cli.md), the
history store, `history`, `compare`, `report`, suppression and the renderers read it back with
`Result.from_dict`, so no consumer re-derives a period, a unit, a kind or a verdict. Warnings are structured
`Finding(code, args)`; their words come from one template per code (`TEMPLATES`), never searched for.

Also here, because every output must agree on them:
- `shown` / `verdict`: the direction and better/worse of a change, decided on the rounded values displayed
  (equal displayed values are "same");
- `judgeable`: only a complete (`ok`) figure is banded, ranked, judged, headlined or used as a previous value;
- `small_base`: the minimum-base rule for headlines (issue 13: default 20; means and medians need 5 cases);
- `INCOMPLETE_MARK`: the one symbol that marks an incomplete figure in every format.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from csc_metrics.engine.periods import Period, parse_period


class Unit(StrEnum):
    count = "count"  # type: ignore[assignment]  # (shadows str.count: the unit name is the contract)
    children = "children"
    percent = "percent"
    rate_per_10k = "rate_per_10k"
    working_days = "working_days"
    days = "days"
    score = "score"  # the mean or median of a numeric column (e.g. an SDQ score)

    @property
    def is_count(self) -> bool:
        return self in (Unit.count, Unit.children)

    @property
    def is_duration(self) -> bool:
        return self in (Unit.days, Unit.working_days)

    @property
    def decimals(self) -> int:
        """Decimal places shown: counts whole, everything else 1 dp (as DfE publishes)."""
        return 0 if self.is_count else 1


class Kind(StrEnum):
    flow = "flow"
    stock = "stock"
    as_at = "as_at"
    cohort = "cohort"  # a population defined at 31 March, one collection year (or several pooled)


class Status(StrEnum):
    ok = "ok"
    incomplete = "incomplete"  # the period or a look-back/look-forward window is not fully in the inputs
    empty = "empty"  # denominator 0
    no_data = "no_data"  # the source list is absent
    unavailable = "unavailable"  # the inputs lack something the measure needs


class Source(StrEnum):
    annex_a = "annex_a"
    ssda903 = "ssda903"
    cin_census = "cin_census"


INCOMPLETE_MARK = "*"
INCOMPLETE_TEXT = ("incomplete: the inputs do not fully cover the period, or the look-back or look-forward "
                   "window the figure needs; not banded, ranked, judged or headlined")
SMALL_BASE_TEXT = "small base"
DEFAULT_MIN_BASE = 20
MIN_CASES = 5  # means and medians from fewer cases are marked "small base"

# One template per finding code: the only place the words of a result's warning live.
TEMPLATES: dict[str, str] = {
    "CSC301": "{window} window not covered by {table} for {rows} row(s)",
    "CSC302": "ONS population for the year asked not published; mid-{population_year} used",
    "CSC303": "{text}",
    "CSC304": "{rows} row(s) excluded: a date is blank or the end is before the start",
    "CSC305": "source table `{table}` not in the inputs",
    "CSC306": "period {period} not fully covered by the inputs",
    "CSC307": "no local authority set: pass --la CODE or set `la` in csc-metrics.toml",
    "CSC308": "computed for {granularities} periods only (a cohort defined at 31 March)",
    "CSC311": "{reason}",
    "CSC310": "load the previous year's {format} return (before {before}) to complete the look-back of {rows} row(s)",
    "CSC315": "{rows} row(s) left out: {reason}",
    "CSC316": "a cohort defined at 31 March is computed for collection years only: use --period year",
    "CSC317": "pooled over {years} collection years ({start} to {end}): not every year is loaded",
    "CSC321": "`{table}` is held for {coverage} only, no day of the period: no figure is built from another "
              "period's rows (a year with no return of its own, or a table not collected that year)",
    "CSC320": "{rows} counted row(s) need history from before the earliest loaded return: load the previous return to complete them",
}


class Finding(BaseModel):
    """A structured warning on a result: a registered code and the values its template needs."""

    model_config = ConfigDict(frozen=True)

    code: str
    args: dict[str, Any] = Field(default_factory=dict)

    def render(self) -> str:
        """`look-back window not covered by annex_a_list_3 for 12 row(s) (CSC301)`."""
        template = TEMPLATES.get(self.code)
        try:
            text = template.format(**self.args) if template else ""
        except (KeyError, IndexError, ValueError):
            text = ""
        if not text:
            from csc_metrics.diagnostics import CODES

            extra = ", ".join(f"{k} {v}" for k, v in self.args.items() if k != "text")
            text = self.args.get("text") or CODES.get(self.code, "warning") + (f" ({extra})" if extra else "")
        return f"{text} ({self.code})" if self.code else text


_LEGACY_CODE = re.compile(r"\(?\b(CSC\d{3})\)?")


_LEGACY_SUFFIX = re.compile(r"\s*\(?\bCSC\d{3}\)?\s*")
_LEGACY_TABLE = re.compile(r"^source table `([^`]+)` not in the inputs")


def _legacy_finding(text: str) -> Finding:
    """A warning written as prose before findings were structured (older payloads and stored runs only)."""
    if (m := _LEGACY_TABLE.match(text)) is not None:
        return Finding(code="CSC305", args={"table": m.group(1)})
    if text.startswith("no local authority set"):
        return Finding(code="CSC307")
    m = _LEGACY_CODE.search(text)
    return Finding(code=m.group(1) if m else "", args={"text": _LEGACY_SUFFIX.sub("", text).strip()})


def uncovered(r: dict[str, Any]) -> bool:
    """Whether a result dict reports a look-back or look-forward window not in the inputs (CSC301): such a
    figure is incomplete. Reads structured findings, or the prose of results stored before them."""
    found = r.get("findings")
    if found is not None:
        return any((f.code if isinstance(f, Finding) else f.get("code")) == "CSC301" for f in found)
    return any(isinstance(w, str) and "(CSC301)" in w for w in r.get("warnings") or [])


def findings_of(r: dict[str, Any]) -> list[Finding]:
    """A result dict's findings (structured, or converted from the prose of older payloads)."""
    found = r.get("findings")
    if found is None:
        return [_legacy_finding(w) for w in r.get("warnings") or [] if isinstance(w, str)]
    return [f if isinstance(f, Finding) else Finding.model_validate(f) for f in found]


class Suppressed(str):
    """The suppression marker `c`: a string that formats as itself whatever the number format asked for
    (`f"{c:,.1f}" == "c"`), so every renderer written for numbers shows it without special cases."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        return str(self)

    def __abs__(self) -> Suppressed:
        return self

    def __neg__(self) -> Suppressed:
        return self


def _marker(v: Any) -> Any:
    return Suppressed(v) if isinstance(v, str) and not isinstance(v, Suppressed) else v


Number = Annotated[int | float | str, AfterValidator(_marker)]  # str: the suppression marker `c`


class Result(BaseModel):
    """One figure: an indicator (and category) for one period, with its status and provenance."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="ignore")

    indicator: str
    title: str = ""
    section: str = "outputs"
    kind: Kind = Kind.flow
    period: Period
    complete: bool = True  # the period itself fully covered (a window may still not be: see `status`)
    as_at: date | None = None
    category: str | None = None
    category_label: str | None = None
    numerator: Number | None = None
    denominator: Number | None = None
    value: Number | None = None
    unit: Unit = Unit.count
    annualised: bool = False
    polarity: str = "none"
    previous_period: str | None = None
    previous_value: Number | None = None
    change: Number | None = None
    direction: str | None = None
    assessment: str | None = None
    status: Status = Status.ok
    findings: list[Finding] = Field(default_factory=list)
    source: Source = Source.annex_a
    benchmark: dict[str, Any] | None = None
    run_id: str | None = None  # the stored run it came from (history store only)
    suppressed: bool = False  # its figures replaced by the marker for publication (report.suppress)

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, v: Any) -> Period:
        return v if isinstance(v, Period) else parse_period(str(v))

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, v: Any) -> str | None:
        return None if v is None else str(v)

    @field_validator("findings", mode="before")
    @classmethod
    def _findings(cls, v: Any) -> list[Any]:
        return [_legacy_finding(f) if isinstance(f, str) else f for f in (v or [])]

    # -- reading and writing --------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Result:
        """A result from the payload or the store. Older payloads carry prose `warnings` and no `findings`;
        those become findings once, here, and a figure with an uncovered window (CSC301) is incomplete."""
        data = dict(d)
        if "findings" not in data:
            data["findings"] = list(data.get("warnings") or [])
        if data.get("period_obj") is not None:
            data["period"] = data["period_obj"]
        if data.get("status") == "ok" and (uncovered(data) or data.get("complete") is False):
            data["status"] = "incomplete"
        return cls.model_validate(data)

    @property
    def warnings(self) -> list[str]:
        return [f.render() for f in self.findings]

    def to_dict(self) -> dict[str, Any]:
        """The `compute --format json` result (spec/cli.md), plus `findings` and `source`."""
        p = self.period
        out: dict[str, Any] = {
            "indicator": self.indicator, "title": self.title, "section": self.section, "kind": self.kind.value,
            "period": p.label, "period_start": p.start.isoformat(), "period_end": p.end.isoformat(),
            "complete": self.complete, "as_at": self.as_at.isoformat() if self.as_at else None,
            "category": self.category, "numerator": self.numerator, "denominator": self.denominator,
            "value": self.value, "unit": self.unit.value, "annualised": self.annualised,
            "polarity": self.polarity, "previous_period": self.previous_period,
            "previous_value": self.previous_value, "change": self.change, "direction": self.direction,
            "assessment": self.assessment, "status": self.status.value, "warnings": self.warnings,
            "findings": [f.model_dump() for f in self.findings], "source": self.source.value,
            "benchmark": self.benchmark,
        }
        if self.category is not None:
            out["category_label"] = self.category_label
        return out

    # -- what may be done with it ---------------------------------------------------------------------------

    @property
    def judgeable(self) -> bool:
        """A complete figure with a value: the only kind that is banded, ranked, judged or headlined."""
        return self.status is Status.ok and isinstance(self.value, int | float)

    @property
    def annual(self) -> bool:
        """A financial-year figure (like-for-like with a published year)."""
        return self.period.granularity == "year" or self.kind is Kind.as_at

    def base(self) -> Any:
        """The number of cases the figure rests on: the count itself, else the denominator."""
        return self.value if self.unit.is_count else self.denominator

    def small_base(self, min_base: int = DEFAULT_MIN_BASE) -> bool:
        """True when the figure rests on too few cases to headline: a base below `min_base` (means and
        medians: below 5 cases)."""
        n = self.base()
        if not isinstance(n, int | float) or isinstance(n, bool):
            return False
        limit = MIN_CASES if self.unit.is_duration else min_base
        return n < limit


# ---- verdicts on what is shown ----------------------------------------------------------------------------


def shown(value: Any, unit: Unit | str) -> float | None:
    """The value as displayed (rounded to the unit's decimals); None for no value or a marker."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return round(float(value), Unit(unit).decimals)


def shown_change(value: Any, previous: Any, unit: Unit | str) -> float | None:
    """The change between the displayed values (so `9.6% -> 10.0%` is 0.4, never 0.5)."""
    a, b = shown(value, unit), shown(previous, unit)
    return None if a is None or b is None else round(a - b, Unit(unit).decimals)


def direction_of(change: float | None) -> str | None:
    if change is None:
        return None
    if change == 0:
        return "same"
    return "up" if change > 0 else "down"


def verdict(change: float | None, polarity: str) -> str | None:
    """better / worse / same for a change (already rounded as shown), by polarity; None without one."""
    direction = direction_of(change)
    if direction is None or polarity not in ("low", "high"):
        return None
    if direction == "same":
        return "same"
    return "better" if (direction == "down") == (polarity == "low") else "worse"


class Comparison(BaseModel):
    """One local figure against one benchmark (a row of `compare --format json`, spec/cli.md)."""

    indicator: str
    title: str = ""
    section: str | None = None
    category: str | None = None
    period: str
    period_end: str | None = None
    value: Number | None = None
    unit: str | None = None
    polarity: str = "none"
    annualised: bool = False
    benchmark: str
    benchmark_label: str | None = None
    measure: str | None = None
    benchmark_year: int | None = None
    benchmark_value: float | None = None
    difference: Number | None = None
    assessment: str | None = None
    sn_values_used: int | None = None
    quartile_band: str | None = None
    rank: int | None = None
    ranked_of: int | None = None
    note: str | None = None
    reason: str | None = None
    status: str = "ok"  # the local figure's status: an incomplete one is never banded, ranked or judged
    source: str = "annex_a"  # the local figure's source: annex_a, ssda903 or cin_census
