"""`explain`: an indicator in plain English, the rows left after each step, and the polars plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from csc_metrics.engine.expressions import Ctx, condition, timescale_validity
from csc_metrics.engine.periods import Period
from csc_metrics.engine.run import ROWS, Run, Settings, _event_date, evaluate, open_on
from csc_metrics.spec.indicators import (
    AgeCondition,
    AnyCondition,
    AnyIndicator,
    ColumnCondition,
    DurationIndicator,
    FlowTiming,
    NotCondition,
    ProportionIndicator,
    RateIndicator,
    RelatedCondition,
    TimescaleCondition,
)
from csc_metrics.spec.loader import Definitions

OP_WORDS = {
    "eq": "is", "ne": "is not", "in": "is one of", "not_in": "is not one of", "lt": "is less than",
    "le": "is at most", "gt": "is more than", "ge": "is at least", "between": "is between",
    "is_null": "is blank", "not_null": "is filled in", "is_yes": "is yes", "not_yes": "is not yes",
}
UNIT_WORDS = {"working_days": "working days", "calendar_days": "calendar days", "months": "calendar months",
              "years": "years"}


def describe(cond: Any) -> str:
    """One condition in words."""
    if isinstance(cond, ColumnCondition):
        value = cond.value
        shown = "" if value is None else " " + (", ".join(map(str, value)) if isinstance(value, list) else str(value))
        return f"`{cond.column}` {OP_WORDS[cond.op.value]}{shown}"
    if isinstance(cond, AgeCondition):
        shown = " and ".join(map(str, cond.value)) if isinstance(cond.value, list) else str(cond.value)
        return f"age at {cond.age.at.replace('_', ' ')} {OP_WORDS[cond.op]} {shown}"
    if isinstance(cond, TimescaleCondition):
        ts = cond.timescale
        bound = f"within {ts.within}" if ts.within is not None else f"at least {ts.at_least}"
        return f"from `{ts.from_}` to `{ts.to}` is {bound} {UNIT_WORDS[ts.unit.value]}"
    if isinstance(cond, RelatedCondition):
        rel = cond.related
        w = rel.window
        where = (f"in the {w.length} {UNIT_WORDS[w.unit]} before" if w.direction == "before"
                 else f"0 to {w.length} {UNIT_WORDS[w.unit]} after")
        return f"the same child has a row in {rel.table} with `{rel.date}` {where} this row's date"
    if isinstance(cond, AnyCondition):
        return "any of: " + "; ".join(describe(c) for c in cond.any)
    if isinstance(cond, NotCondition):
        return "not (" + describe(cond.not_) + ")"
    return str(cond)


def describe_timing(ind: Any) -> str:
    t = ind.timing
    if t.basis == "flow":
        return f"rows whose `{t.date}` falls in the period (both ends included)"
    if t.basis == "stock":
        end = f" and `{t.end}` blank or after it" if t.end else ""
        return f"rows open on the last day of the period: `{t.start}` on or before it{end}"
    if t.basis == "cohort":
        pooled = f"the {t.years} collection years ending on" if t.years > 1 else "the collection year ending on"
        return f"rows whose `{t.date}` falls in {pooled} the period's 31 March"
    return "rows as at the as-at date" + (f", open then (`{t.start}`..`{t.end}`)" if t.start else "")


@dataclass
class Explanation:
    indicator: AnyIndicator
    lines: list[str]
    steps: list[tuple[str, int]] = field(default_factory=list)
    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None
    plan: str | None = None
    period: str | None = None
    status: str | None = None  # as `compute` reports it: incomplete when a window is not in the inputs
    warnings: list[str] = field(default_factory=list)
    ids: dict[str, list[str]] = field(default_factory=dict)


SOURCE_WORDS = {"annex_a": "Annex A lists", "ssda903": "the SSDA903 return", "cin_census": "the CIN census"}


def definition_lines(ind: AnyIndicator, defs: Definitions) -> list[str]:
    lines = [f"{ind.title} ({ind.id}), {ind.section.value}, type {ind.type}, from {SOURCE_WORDS[ind.source]}", "",
             ind.description.strip(), ""]
    others = [s for s in defs.sources(ind.id) if s != ind.source]
    if others:
        lines.append(f"Also computed from: {', '.join(SOURCE_WORDS[s] for s in others)} (`--source` chooses).")
    if isinstance(ind, RateIndicator):
        lines.append(f"Rate: `{ind.of}` per {ind.per:,} children ({ind.population}); flows annualised.")
        return lines
    table = defs.table(ind.table)
    lines.append(f"Source: {table.title if table else ind.table}; counts "
                 f"{'distinct children' if ind.counts_children else 'rows'}.")
    lines.append(f"In the period: {describe_timing(ind)}.")
    for c in ind.filters:
        lines.append(f"Cohort: {describe(c)}.")
    if isinstance(ind, ProportionIndicator):
        for c in ind.numerator:
            lines.append(f"Numerator: {describe(c)}.")
    if isinstance(ind, DurationIndicator):
        lines.append(f"Value: {ind.stat} of {UNIT_WORDS[ind.unit]} from `{ind.from_}` to `{ind.to}`.")
    if ind.benchmark:
        lines.append(f"Benchmark: LAIT `{ind.benchmark.measure}`; polarity {ind.polarity.value}.")
    return lines


def explain(defs: Definitions, ind: AnyIndicator, frames: dict[str, pl.DataFrame] | None, settings: Settings | None,
            period: Period | None, with_ids: bool = False) -> Explanation:
    """Plain-English definition; with data, the count after each step for one period and the query plan."""
    out = Explanation(ind, definition_lines(ind, defs))
    target = defs.recipe_of(ind) if isinstance(ind, RateIndicator) else ind
    assert not isinstance(target, RateIndicator), "a rate divides a count (`check` guarantees this)"
    if frames is None or settings is None or period is None:
        return out
    table = defs.table(target.table)
    if table is None or table.id not in frames:
        out.lines.append(f"No data: {target.table} is not in the inputs.")
        return out
    run = Run(defs, frames, settings)
    base, related = run.base(table, [target])  # over the frame the run already materialised
    t = target.timing
    day = settings.as_at if t.basis == "as_at" else period.end
    ctx: Ctx = run.ctx(table, pl.lit(period.start), pl.lit(period.end), pl.lit(day), related)
    default_from = _event_date(target)
    if isinstance(t, FlowTiming):
        in_period = pl.col(t.date).is_between(pl.lit(period.start), pl.lit(period.end)).fill_null(False)
    else:
        in_period = open_on(t, day)
    steps: list[tuple[str, pl.Expr]] = [("rows in the table", ROWS), ("in the period", in_period)]
    mask = in_period
    for c in target.filters:
        mask = mask & condition(c, ctx, default_from)
        steps.append((f"and {describe(c)}", mask))
    den_mask = mask
    if isinstance(target, ProportionIndicator):
        den_mask = mask & timescale_validity(target.numerator, ctx)
        if len(steps) and den_mask is not mask:
            steps.append(("and both dates present, end not before start", den_mask))
        num_mask = den_mask
        for c in target.numerator:
            num_mask = num_mask & condition(c, ctx, default_from)
            steps.append((f"numerator: {describe(c)}", num_mask))
    else:
        num_mask = den_mask
    query = base.select([m.sum().alias(str(i)) for i, (_, m) in enumerate(steps)])
    counts = query.collect().row(0)
    out.steps = [(label, int(n)) for (label, _), n in zip(steps, counts, strict=True)]
    out.period = period.label
    # the figures themselves come from the engine, so explain and compute can never disagree
    single = Settings(periods=[period], as_at=settings.as_at, calendar=settings.calendar,
                      coverage=settings.coverage, population=settings.population)
    result = next((r for r in evaluate(defs, [ind], frames, single) if r["category"] is None), None)
    if result is not None:
        out.numerator, out.denominator, out.value = result["numerator"], result["denominator"], result["value"]
        from csc_metrics.results import findings_of, uncovered

        out.status = "incomplete" if result["status"] == "ok" and uncovered(result) else result["status"]
        out.warnings = [f.render() for f in findings_of(result)]
    out.plan = query.explain()
    if with_ids:
        cols = [table.child_id, "__row"] if "__row" in frames[table.id].columns else [table.child_id]
        for name, m in (("denominator", den_mask), ("numerator", num_mask)):
            rows = base.filter(m).select(cols).collect()
            out.ids[name] = [" row ".join(str(v) for v in r) for r in rows.iter_rows()]
    return out
