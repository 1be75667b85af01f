"""Definitions -> polars expressions: conditions, timescales, ages and durations.

Every condition compiles to a non-null boolean expression, so blanks never leak through as "unknown":
a blank fails a comparison, satisfies `ne`/`not_in`/`not_yes`, and fails a timescale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any, Protocol

import polars as pl

from csc_metrics.dates import whole_years
from csc_metrics.spec.indicators import (
    ActiveCondition,
    AgeCondition,
    AllCondition,
    AnyCondition,
    ColumnCondition,
    NotCondition,
    Op,
    RelatedCondition,
    Timescale,
    TimescaleCondition,
    TimeUnit,
)
from csc_metrics.spec.tables import ColumnType, TableSchema


class Calendar(Protocol):
    def working_days_between(self, start: pl.Expr, end: pl.Expr) -> pl.Expr: ...


@dataclass
class Ctx:
    """What an expression may refer to besides columns: the period's dates and the as-at date."""

    table: TableSchema
    calendar: Calendar
    period_start: pl.Expr
    period_end: pl.Expr
    as_at: pl.Expr
    reference: pl.Expr
    related: dict[str, str] = field(default_factory=dict)  # lookup key -> precomputed flag column
    # when set, working-day counts become columns the caller adds first (key -> (name, expression)): polars
    # does not share a working-day count between expressions, and a job may need one count many times
    shared: dict[str, tuple[str, pl.Expr]] | None = None
    period_label: str | None = None  # the snapshot period (for `active` conditions, counted per period)

    def date(self, name: str) -> pl.Expr:
        return {
            "period_start": self.period_start,
            "period_end": self.period_end,
            "as_at": self.as_at,
            "reference_date": self.reference,
        }.get(name, pl.col(name))


def lookup_key(table_id: str, cond: RelatedCondition, default_from: str | None) -> str:
    """Identical look-ups (same table, window and filters) share one precomputed column."""
    rel = cond.related
    return f"{table_id}|{rel.from_ or default_from}|{rel.model_dump_json()}"


def active_key(cond: ActiveCondition, period_label: str | None) -> str:
    """Identical `active` counts (same table, window, filters) in one period share one precomputed column."""
    return f"active|{period_label}|{cond.active.model_dump_json()}"


def _literal(value: Any, ctype: ColumnType) -> Any:
    if ctype is ColumnType.DATE and isinstance(value, str):
        return date.fromisoformat(value)
    if ctype in (ColumnType.CODE, ColumnType.YES_NO, ColumnType.ID, ColumnType.TEXT):
        return str(value)
    return value


def column_condition(cond: ColumnCondition, table: TableSchema) -> pl.Expr:
    col = pl.col(cond.column)
    ctype = table.column(cond.column).type  # type: ignore[union-attr]  # checked by `check`
    raw = cond.value
    values = [_literal(v, ctype) for v in raw] if isinstance(raw, list) else _literal(raw, ctype)
    op = cond.op
    if op is Op.eq:
        return (col == pl.lit(values)).fill_null(False)
    if op is Op.ne:
        return (col != pl.lit(values)).fill_null(True)
    if op is Op.in_:
        return col.is_in(pl.Series(values).implode()).fill_null(False)
    if op is Op.not_in:
        return ~col.is_in(pl.Series(values).implode()).fill_null(False)
    if op is Op.between:
        return col.is_between(pl.lit(values[0]), pl.lit(values[1]), closed="both").fill_null(False)
    if op is Op.is_null:
        return col.is_null()
    if op is Op.not_null:
        return col.is_not_null()
    if op is Op.is_yes:
        return (col == "Y").fill_null(False)
    if op is Op.not_yes:
        return (col != "Y").fill_null(True)
    compare = {Op.lt: col.__lt__, Op.le: col.__le__, Op.gt: col.__gt__, Op.ge: col.__ge__}[op]
    return compare(pl.lit(values)).fill_null(False)


def age_at(table: TableSchema, at: pl.Expr) -> pl.Expr:
    """Whole years at `at` from the date of birth; the age column only where the birth date is blank."""
    parts: list[pl.Expr] = []
    if table.date_of_birth:
        parts.append(whole_years(pl.col(table.date_of_birth), at))
    if table.age_years:
        parts.append(pl.col(table.age_years).cast(pl.Int32))
    return pl.coalesce(parts) if len(parts) > 1 else parts[0]


def _compare_int(expr: pl.Expr, op: str, value: int | list[int]) -> pl.Expr:
    if op == "between":
        low, high = value  # type: ignore[misc]
        out = expr.is_between(low, high, closed="both")
    else:
        out = {"eq": expr.__eq__, "ne": expr.__ne__, "lt": expr.__lt__, "le": expr.__le__, "gt": expr.__gt__,
               "ge": expr.__ge__}[op](value)
    return out.fill_null(False)


def add_months(expr: pl.Expr, months: int) -> pl.Expr:
    """Calendar addition: 29 February + 12 months = 28 February; 31 January + 1 month = 28/29 February."""
    return expr.dt.offset_by(f"{months}mo")


def duration(from_: pl.Expr, to: pl.Expr, unit: str, ctx: Ctx) -> pl.Expr:
    """Days between two dates: working days d with from < d <= to, or calendar days (negative if to < from)."""
    if unit == TimeUnit.working_days:
        expr = ctx.calendar.working_days_between(from_, to)
        if ctx.shared is None:
            return expr
        name, _ = ctx.shared.setdefault(f"{from_}|{to}", (f"__wd{len(ctx.shared)}", expr))
        return pl.col(name)
    return (to - from_).dt.total_days()


def _literal_date(e: pl.Expr) -> date | None:
    """The date a literal expression (a period end, say) stands for; None for a column."""
    if not e.meta.is_literal():
        return None
    value = pl.select(e).item()
    return value if isinstance(value, date) else None


def _shift(d: date, months: int) -> date:
    return pl.select(add_months(pl.lit(d), months)).item()


@cache
def last_start_within(day: date, months: int) -> date:
    """The latest start with start + `months` (calendar addition, `add_months`) on or before `day`: as the
    addition never decreases with the start, `start + months <= day` holds exactly for the starts up to it."""
    d = _shift(day, -months)
    while _shift(d, months) > day:
        d -= timedelta(days=1)
    while _shift(d + timedelta(days=1), months) <= day:
        d += timedelta(days=1)
    return d


@cache
def first_start_reaching(day: date, months: int) -> date:
    """The earliest start with start + `months` on or after `day` (`day <= start + months` exactly from it)."""
    d = _shift(day, -months)
    while _shift(d, months) < day:
        d += timedelta(days=1)
    while _shift(d - timedelta(days=1), months) >= day:
        d -= timedelta(days=1)
    return d


def timescale(ts: Timescale, ctx: Ctx) -> tuple[pl.Expr, pl.Expr]:
    """(holds, valid): `valid` is false when a date is blank or `to` is before `from`."""
    start, end = ctx.date(ts.from_), ctx.date(ts.to)
    valid = (start.is_not_null() & end.is_not_null() & (end >= start)).fill_null(False)
    if ts.unit in (TimeUnit.months, TimeUnit.years):
        months = ts.bound * (12 if ts.unit == TimeUnit.years else 1)
        day = _literal_date(end)
        if day is not None:  # one bound date instead of a calendar addition on every row
            holds = (start >= pl.lit(first_start_reaching(day, months)) if ts.within is not None
                     else start <= pl.lit(last_start_within(day, months)))
        else:
            shifted = add_months(start, months)
            holds = end <= shifted if ts.within is not None else shifted <= end
    else:
        days = duration(start, end, ts.unit, ctx)
        holds = days <= ts.within if ts.within is not None else days >= ts.at_least
    return (valid & holds.fill_null(False)), valid


def condition(cond: Any, ctx: Ctx, default_from: str | None) -> pl.Expr:
    """A condition as a non-null boolean expression."""
    if isinstance(cond, ColumnCondition):
        return column_condition(cond, ctx.table)
    if isinstance(cond, AgeCondition):
        return _compare_int(age_at(ctx.table, ctx.date(cond.age.at)), cond.op, cond.value)
    if isinstance(cond, TimescaleCondition):
        return timescale(cond.timescale, ctx)[0]
    if isinstance(cond, RelatedCondition):
        return pl.col(ctx.related[lookup_key(ctx.table.id, cond, default_from)])
    if isinstance(cond, ActiveCondition):
        name = ctx.related.get(active_key(cond, ctx.period_label))
        if name is None:
            raise ValueError("an `active` condition needs a stock, during or as_at indicator (not a flow)")
        return _compare_int(pl.col(name), cond.op, cond.value)
    if isinstance(cond, AllCondition):
        return all_of(cond.all, ctx, default_from)
    if isinstance(cond, AnyCondition):
        return pl.any_horizontal([condition(c, ctx, default_from) for c in cond.any])
    if isinstance(cond, NotCondition):
        return ~condition(cond.not_, ctx, default_from)
    raise TypeError(f"unknown condition {type(cond).__name__}")


def all_of(conds: list[Any], ctx: Ctx, default_from: str | None) -> pl.Expr:
    if not conds:
        return pl.lit(True)
    return pl.all_horizontal([condition(c, ctx, default_from) for c in conds])


def timescale_validity(conds: list[Any], ctx: Ctx) -> pl.Expr:
    """Rows with a broken timescale (blank date, end before start) leave the denominator too, unless the
    timescale says `invalid: fail`."""
    valid = [timescale(c.timescale, ctx)[1] for c in conds
             if isinstance(c, TimescaleCondition) and c.timescale.invalid == "exclude"]
    return pl.all_horizontal(valid) if valid else pl.lit(True)
