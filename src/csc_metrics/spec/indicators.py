"""Indicator definitions: a discriminated union of kinds (count, proportion, rate, duration, breakdown).

Every indicator names its source table, how a row is placed in a period (`timing`: flow, stock or as-at),
the cohort (`filters`), and for proportions the `numerator` conditions, which narrow the cohort so the
numerator can never exceed the denominator. Conditions are structured predicates, never strings to eval.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from csc_metrics.spec.base import StrictModel
from csc_metrics.spec.sections import Section
from csc_metrics.spec.tables import Identifier

# Names usable in place of a column where a date is expected.
REFERENCE_DATES = ("period_start", "period_end", "as_at", "reference_date")
DateRef = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        description="A date column, or one of period_start, period_end, as_at, reference_date "
        "(period_end for flows and stocks, the as-at date for as-at indicators).",
    ),
]


class Polarity(StrEnum):
    low = "low"  # lower is better
    high = "high"  # higher is better
    none = "none"  # no judgement


class Op(StrEnum):
    eq = "eq"
    ne = "ne"
    in_ = "in"
    not_in = "not_in"
    lt = "lt"
    le = "le"
    gt = "gt"
    ge = "ge"
    between = "between"
    is_null = "is_null"
    not_null = "not_null"
    is_yes = "is_yes"
    not_yes = "not_yes"


VALUELESS_OPS = {Op.is_null, Op.not_null, Op.is_yes, Op.not_yes}
LIST_OPS = {Op.in_, Op.not_in, Op.between}

Scalar = str | int | float | date


def _check_value(op: Op, value: Any) -> None:
    if op in VALUELESS_OPS and value is not None:
        raise ValueError(f"operator `{op.value}` takes no `value`")
    if op not in VALUELESS_OPS and value is None:
        raise ValueError(f"operator `{op.value}` needs a `value`")
    if op in LIST_OPS and not isinstance(value, list):
        raise ValueError(f"operator `{op.value}` needs a list `value`")
    if op is Op.between and len(value) != 2:
        raise ValueError("`between` needs a list of two values [low, high] (both inclusive)")
    if op not in LIST_OPS and isinstance(value, list):
        raise ValueError(f"operator `{op.value}` takes a single `value`, not a list")


class ColumnCondition(StrictModel):
    """`{column, op, value}`: compare a column with a value. Blanks never match a value, but do satisfy
    `ne` and `not_in`; `is_yes` holds only for an explicit yes."""

    column: Identifier = Field(description="Canonical column name of the indicator's table.")
    op: Op = Field(description="eq, ne, in, not_in, lt, le, gt, ge, between, is_null, not_null, is_yes, not_yes.")
    value: Scalar | list[Scalar] | None = Field(default=None, description="Value, or list for in/not_in/between.")

    @model_validator(mode="after")
    def _value_fits_op(self) -> ColumnCondition:
        _check_value(self.op, self.value)
        return self


class AgeSpec(StrictModel):
    """Whole years of age at a reference date, from the date of birth (age column only where birth date is blank)."""

    at: DateRef = Field(default="reference_date", description="Date at which the age is taken.")


class AgeCondition(StrictModel):
    """`{age: {at: as_at}, op: between, value: [19, 21]}`."""

    age: AgeSpec = Field(description="Age in whole years at the reference date.")
    op: Literal["eq", "ne", "lt", "le", "gt", "ge", "between"] = Field(description="Comparison.")
    value: int | list[int] = Field(description="Whole years, or [low, high] for between (inclusive).")

    @model_validator(mode="after")
    def _value_fits_op(self) -> AgeCondition:
        _check_value(Op(self.op), self.value)
        return self


class TimeUnit(StrEnum):
    working_days = "working_days"
    calendar_days = "calendar_days"
    months = "months"
    years = "years"


class Timescale(StrictModel):
    """Duration from one date to another. Working days count d with from < d <= to (same day = 0);
    months and years use calendar addition (29 February + 1 year = 28 February).
    Rows where a date is blank or `to` is before `from` fail the condition and, in a proportion's
    numerator, are removed from the denominator too (reported as a data-quality issue)."""

    from_: DateRef = Field(alias="from", description="Start date column (or reference date).")
    to: DateRef = Field(description="End date column (or reference date).")
    unit: TimeUnit = Field(description="working_days, calendar_days, months or years.")
    within: int | None = Field(default=None, ge=0, description="Holds when the duration is <= this.")
    at_least: int | None = Field(default=None, ge=0, description="Holds when the duration is >= this.")
    invalid: Literal["exclude", "fail"] = Field(
        default="exclude",
        description="A row with a blank date or `to` before `from`: `exclude` (left out of a proportion's "
        "denominator too, reported) or `fail` (not met, but kept in the denominator).",
    )

    @model_validator(mode="after")
    def _one_bound(self) -> Timescale:
        if (self.within is None) == (self.at_least is None):
            raise ValueError("a timescale needs exactly one of `within` or `at_least`")
        return self

    @property
    def bound(self) -> int:
        """The `within` or `at_least` value (the validator guarantees exactly one is set)."""
        bound = self.within if self.within is not None else self.at_least
        assert bound is not None
        return bound


class TimescaleCondition(StrictModel):
    """`{timescale: {from, to, unit, within | at_least}}`."""

    timescale: Timescale = Field(description="The timescale that must hold.")


class Window(StrictModel):
    """A window relative to this row's date D. `before`: on or after D - length and strictly before D
    (`within 12 months before`). `after`: on or after D and on or before D + length (`0 to 30 days after`)."""

    direction: Literal["before", "after"] = Field(description="before or after the row's date.")
    length: int = Field(ge=0, description="Length of the window.")
    unit: Literal["calendar_days", "months", "years"] = Field(description="calendar_days, months or years.")


class Related(StrictModel):
    """Look-back / look-forward: the same child has a row in `table` whose `date` falls in `window`
    relative to this row's date. Within the same table the row itself never matches."""

    table: Identifier = Field(description="Table to look in (may be the indicator's own table).")
    date: Identifier = Field(description="Date column of that table.")
    window: Window = Field(description="Where the related date must fall.")
    from_: Identifier | None = Field(
        default=None, alias="from", description="This row's date column (default: the indicator's event date)."
    )
    filters: list[Condition] = Field(default_factory=list, description="Conditions on the related rows.")
    or_blank: bool = Field(
        default=False, description="A related row whose `date` is blank also matches (e.g. a status not yet ceased: "
        "`date` is then when a status ends, so the window is not checked against the inputs' coverage)."
    )


class RelatedCondition(StrictModel):
    """`{related: {table, date, window}}`."""

    related: Related = Field(description="The related row that must exist.")


class Active(StrictModel):
    """The same child's rows in another table that are active in a window of the period: started on or before
    its last day (a blank `start` column: always started) and not ended before its first day (blank end = still
    open). `within`: `period` (the whole period), `period_end` (open on its last day, as a stock: ended after
    it), or `months` (the N calendar months to the period end, e.g. 24). Counts rows, or distinct values of
    `distinct`. Only for stock, during and as-at indicators (the window follows the period)."""

    table: Identifier = Field(description="Table whose rows are counted (the same child).")
    start: Identifier | None = Field(default=None, description="Start date column (blank column: always started).")
    end: Identifier | None = Field(default=None, description="End date column (blank value: still open).")
    within: Literal["period", "period_end", "months"] = Field(
        default="period", description="period, period_end, or months (with `months`)."
    )
    months: int | None = Field(default=None, gt=0, description="For within: months, the months to the period end.")
    distinct: Identifier | None = Field(default=None, description="Count distinct values of this column.")
    filters: list[Condition] = Field(default_factory=list, description="Conditions on the counted rows.")

    @model_validator(mode="after")
    def _months(self) -> Active:
        if (self.within == "months") != (self.months is not None):
            raise ValueError("`months` goes with `within: months`, and only with it")
        return self


class ActiveCondition(StrictModel):
    """`{active: {table, start, end, within}, op: ge, value: 3}`: how many of the child's rows are active."""

    active: Active = Field(description="The rows counted.")
    op: Literal["eq", "ne", "lt", "le", "gt", "ge"] = Field(default="ge", description="Comparison.")
    value: int = Field(default=1, ge=0, description="Number of rows (or distinct values).")


class AllCondition(StrictModel):
    """`{all: [...]}`: holds when every condition holds (inside `any` or `not`)."""

    all: list[Condition] = Field(min_length=1, description="Conditions that must all hold.")


class AnyCondition(StrictModel):
    """`{any: [...]}`: holds when at least one of the conditions holds."""

    any: list[Condition] = Field(min_length=1, description="Alternatives.")


class NotCondition(StrictModel):
    """`{not: {...}}`: holds when the condition does not hold (blanks included)."""

    not_: Condition = Field(alias="not", description="Condition to negate.")


_CONDITION_KEYS = ("column", "age", "timescale", "related", "active", "all", "any", "not")


def _condition_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        return next((k for k in _CONDITION_KEYS if k in value), None)
    tags: dict[type, str] = {
        ColumnCondition: "column",
        AgeCondition: "age",
        TimescaleCondition: "timescale",
        RelatedCondition: "related",
        ActiveCondition: "active",
        AllCondition: "all",
        AnyCondition: "any",
        NotCondition: "not",
    }
    return tags.get(type(value))


Condition = Annotated[
    Annotated[ColumnCondition, Tag("column")]
    | Annotated[AgeCondition, Tag("age")]
    | Annotated[TimescaleCondition, Tag("timescale")]
    | Annotated[RelatedCondition, Tag("related")]
    | Annotated[ActiveCondition, Tag("active")]
    | Annotated[AllCondition, Tag("all")]
    | Annotated[AnyCondition, Tag("any")]
    | Annotated[NotCondition, Tag("not")],
    Discriminator(
        _condition_tag,
        custom_error_type="condition_kind",
        custom_error_message="a condition needs one of the keys: column, age, timescale, related, active, all, any, "
        "not",
    ),
]


# ---- timing -------------------------------------------------------------------------------------------


class FlowTiming(StrictModel):
    """Rows whose event `date` falls in the period (both ends inclusive)."""

    basis: Literal["flow"] = Field(description="flow")
    date: Identifier = Field(description="Event date column.")


class StockTiming(StrictModel):
    """Rows open on the last day of the period: start <= D and (end blank or end > D)."""

    basis: Literal["stock"] = Field(description="stock")
    start: Identifier = Field(description="Start date column.")
    end: Identifier | None = Field(default=None, description="End date column (blank = still open).")


class AsAtTiming(StrictModel):
    """Evaluated once, on the as-at date, in the period containing it; for fields held only as at extract."""

    basis: Literal["as_at"] = Field(description="as_at")
    start: Identifier | None = Field(default=None, description="Start column: the row must have started by as-at.")
    end: Identifier | None = Field(default=None, description="End column: the row must still be open at as-at.")


class DuringTiming(StrictModel):
    """Rows active at any time in the period: start <= its last day and (end blank or end >= its first day)."""

    basis: Literal["during"] = Field(description="during")
    start: Identifier = Field(description="Start date column.")
    end: Identifier | None = Field(default=None, description="End date column (blank = still open).")


class CohortTiming(StrictModel):
    """A population defined at 31 March: rows whose `date` falls in the `years` collection years (1 April to
    31 March) ending on the period's last day. Evaluated only for periods that are one collection year
    (`--period year`; other periods are `unavailable`); ages are taken at `period_end` (31 March). `years: 3`
    pools three years into one figure (one mean over the pooled rows, not a mean of yearly means); a pooled
    figure whose years are not all loaded is `incomplete`."""

    basis: Literal["cohort"] = Field(description="cohort")
    date: Identifier = Field(description="Date column placing a row in a collection year (e.g. its 31 March).")
    years: int = Field(default=1, ge=1, le=5, description="Collection years pooled, ending with the period's.")


Timing = Annotated[FlowTiming | StockTiming | DuringTiming | AsAtTiming | CohortTiming, Field(discriminator="basis")]


# ---- embedded tests -----------------------------------------------------------------------------------


class Expectation(StrictModel):
    """Expected result of an embedded test."""

    numerator: float | None = Field(default=None, description="Expected numerator (count for counts).")
    denominator: float | None = Field(default=None, description="Expected denominator.")
    value: float | None = Field(default=None, description="Expected value (compared to 3 decimal places).")
    category: str | None = Field(default=None, description="For breakdowns: the category checked.")
    status: Literal["ok", "empty"] | None = Field(default=None, description="Expected status.")

    @model_validator(mode="after")
    def _something_expected(self) -> Expectation:
        if self.numerator is None and self.denominator is None and self.value is None and self.status is None:
            raise ValueError("`expect` needs at least one of numerator, denominator, value or status")
        return self


class EmbeddedTest(StrictModel):
    """Example rows with the expected result for one period; `csc-metrics check` runs it."""

    name: str = Field(description="What the test shows, e.g. 'referral on 31 March counts in Q4'.")
    period: str = Field(description="Period label, e.g. `2024-25 Q1`, `2024-25` or `2024-06`.")
    as_at: date | None = Field(default=None, description="As-at date (as-at indicators; default the period end).")
    population: int | None = Field(default=None, gt=0, description="Child population for rate tests.")
    rows: dict[Identifier, list[dict[str, Any]]] = Field(
        description="Rows per table id or alias, with canonical column names; values as they would appear in an "
        "extract (dates dd/mm/yyyy or yyyy-mm-dd, codes or labels)."
    )
    expect: Expectation = Field(description="The expected numerator/denominator/value.")


# ---- indicators ---------------------------------------------------------------------------------------


class Benchmark(StrictModel):
    """Where the published comparators for this indicator come from."""

    source: Literal["lait"] = Field(default="lait", description="Published source: DfE LAIT.")
    measure: str = Field(description="LAIT `Measure_short` code, e.g. `ReReferral`.")


SOURCES = ("annex_a", "ssda903", "cin_census")
# Recipes of one id from the DfE returns are preferred to the Annex A proxy (they are what DfE publishes).
SOURCE_PREFERENCE = ("ssda903", "cin_census", "annex_a")


class _Common(StrictModel):
    id: Identifier = Field(description="Stable indicator id (a public contract: never renamed).")
    source: Literal["annex_a", "ssda903", "cin_census"] = Field(
        default="annex_a",
        description="The input this recipe counts: annex_a (default), ssda903 or cin_census. One id may have a "
        "recipe per source (same measure, same id); `compute` uses the recipe whose tables are loaded, preferring "
        "the DfE return, and `--source` chooses.",
    )
    title: str = Field(description="Short title, as in a Cabinet report.")
    section: Section = Field(description="inputs, processes or outputs.")
    description: str = Field(description="Plain-English definition a councillor can read, with decisions taken.")
    polarity: Polarity = Field(default=Polarity.none, description="low/high = lower/higher is better; none.")
    benchmark: Benchmark | None = Field(default=None, description="Published benchmark mapping.")
    target: float | None = Field(default=None, description="Optional local target (the config file may override).")
    tests: list[EmbeddedTest] = Field(default_factory=list, description="Embedded examples run by `check`.")
    granularities: list[Literal["year", "quarter", "month"]] | None = Field(
        default=None,
        description="Only these kinds of period give a figure, e.g. [year] for a cohort defined at 31 March (other "
        "periods are `unavailable`, with the reason). Default: every period.",
    )


class Exclusion(StrictModel):
    """Rows of the cohort left out of the measure by one of its rules, and counted: the result's findings say
    how many and why (e.g. children whose period of care began before the loaded returns)."""

    reason: str = Field(description="Why these rows are left out, in plain words (shown with the count).")
    when: list[Condition] = Field(min_length=1, description="Conditions that all hold on a row left out.")
    incomplete: bool = Field(
        default=False,
        description="The rows are left out because their history is older than the inputs (not because the "
        "measure's rule puts them out of scope): while any is left out the figure is `incomplete` (returns.md "
        "§6.1), since the children left out are not like those kept (load earlier returns to include them).",
    )


class _OverTable(_Common):
    table: Identifier = Field(description="Source table id or alias, e.g. `annex_a_list_3` or `referrals`.")
    timing: Timing = Field(description="How a row is placed in a period: flow, stock or as_at.")
    filters: list[Condition] = Field(default_factory=list, description="Conditions every counted row meets.")
    count: Literal["rows", "children"] | None = Field(
        default=None,
        description="Count rows (events) or distinct children. Default: rows for flows, children for stocks and "
        "as-at. When counting children each child is represented by one row: its latest (`keep: last`) or "
        "earliest (`keep: first`) qualifying row by event or start date.",
    )
    incomplete_when: list[Condition] = Field(
        default_factory=list,
        description="Conditions marking a counted row whose figure needs history the inputs lack (e.g. a plan "
        "started before the earliest loaded return): when any counted row meets them all, the figure is "
        "`incomplete` and says how many rows (CSC320).",
    )
    keep: Literal["first", "last", "any"] = Field(
        default="last",
        description="Which row represents a child: `last`, `first`, or `any` (a proportion's numerator counts "
        "the child when any of its rows in the period meets it).",
    )
    exclude: list[Exclusion] = Field(
        default_factory=list, description="Rows of the cohort left out by a rule of the measure, counted in the "
        "result's findings (CSC315) with the reason."
    )

    @property
    def counts_children(self) -> bool:
        if self.count is not None:
            return self.count == "children"
        return self.timing.basis != "flow"


class CountIndicator(_OverTable):
    """Number of rows (or children) in the period."""

    type: Literal["count"] = Field(description="count")


class ProportionIndicator(_OverTable):
    """Percentage of the cohort (`filters`) that also meets every `numerator` condition."""

    type: Literal["proportion"] = Field(description="proportion")
    numerator: list[Condition] = Field(min_length=1, description="Conditions a cohort row meets to count.")


class BreakdownIndicator(_OverTable):
    """One result per code of a coded column: the count and the % share of the total."""

    type: Literal["breakdown"] = Field(description="breakdown")
    by: Identifier = Field(description="Coded column to break down by.")
    groups: dict[str, list[str]] | None = Field(
        default=None,
        description="Categories made of codes, e.g. {foster: [U1, U2, ...]}: one result per group (in this order); a "
        "code in no group is `UNGROUPED`, a blank `NOT_RECORDED`.",
    )
    once_per: list[Identifier] = Field(
        default_factory=list,
        description="Columns identifying a unit (e.g. an episode) that may have several categories: each category "
        "counts units once, and the share is of all units in the period (shares may add up to more than 100).",
    )


class DurationIndicator(_OverTable):
    """Mean or median duration between two dates over the rows that have both dates."""

    type: Literal["duration"] = Field(description="duration")
    stat: Literal["mean", "median"] = Field(description="mean or median (even count: mean of the middle two).")
    from_: DateRef = Field(alias="from", description="Start date column.")
    to: DateRef = Field(description="End date column.")
    unit: Literal["working_days", "calendar_days"] = Field(description="working_days or calendar_days.")
    negative: Literal["exclude", "zero"] = Field(
        default="exclude", description="Rows with end before start: excluded (default) or counted as 0."
    )


class AverageIndicator(_OverTable):
    """Mean or median of a numeric column over the cohort rows where it is not blank (e.g. an SDQ score);
    the denominator is the number of rows with a value."""

    type: Literal["average"] = Field(description="average")
    column: Identifier = Field(description="Numeric (integer or number) column averaged.")
    stat: Literal["mean", "median"] = Field(default="mean", description="mean or median.")


class RateIndicator(_Common):
    """A count indicator per `per` children of the population; flows over sub-annual periods are annualised."""

    type: Literal["rate"] = Field(description="rate")
    of: Identifier = Field(description="Id of the count indicator to divide.")
    per: int = Field(default=10000, gt=0, description="Multiplier, e.g. per 10,000 children.")
    population: str = Field(
        default="children_0_17", description="Population: `children_0_17` (ONS mid-year estimate, aged 0-17)."
    )
    annualise: bool = Field(default=True, description="Annualise flow rates for periods shorter than a year.")


def _indicator_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("type")
    return getattr(value, "type", None)


Indicator = Annotated[
    Annotated[CountIndicator, Tag("count")]
    | Annotated[ProportionIndicator, Tag("proportion")]
    | Annotated[RateIndicator, Tag("rate")]
    | Annotated[DurationIndicator, Tag("duration")]
    | Annotated[BreakdownIndicator, Tag("breakdown")]
    | Annotated[AverageIndicator, Tag("average")],
    Discriminator(
        _indicator_tag,
        custom_error_type="indicator_type",
        custom_error_message="`type` must be one of: count, proportion, rate, duration, breakdown, average",
    ),
]

AnyIndicator = (CountIndicator | ProportionIndicator | RateIndicator | DurationIndicator | BreakdownIndicator
                | AverageIndicator)

