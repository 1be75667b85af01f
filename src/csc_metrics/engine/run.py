"""Run indicators over typed tables in three `collect_all` passes: the look-ups of every table, then one
materialised base per table, then every aggregation.

Per table:
- flows: one `group_by(period)` per (event-date column, granularity) holding the numerator and denominator of
  every flow indicator on that date;
- stocks and as-at indicators: one `select` with a masked aggregation per indicator and period;
- breakdowns: one `group_by(period, category)` each.
Look-ups across tables are as-of joins, flags scattered into the base by row id. Row-level conditions become
helper columns (one `with_columns` per layer, so shared sub-expressions are computed once) and the
aggregations only sum, filter or take medians of them; a child counted once is its representative row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl

from csc_metrics.dates import by_day
from csc_metrics.engine.expressions import (
    Calendar,
    Ctx,
    active_key,
    all_of,
    duration,
    lookup_key,
    timescale_validity,
)
from csc_metrics.engine.lookups import lookup_flag, packable, window_bound
from csc_metrics.engine.periods import Granularity, Period, period_of
from csc_metrics.io.model import KEY, number_keys
from csc_metrics.spec.indicators import (
    ActiveCondition,
    AllCondition,
    AnyCondition,
    AnyIndicator,
    AverageIndicator,
    BreakdownIndicator,
    CountIndicator,
    DurationIndicator,
    NotCondition,
    ProportionIndicator,
    RateIndicator,
    Related,
    RelatedCondition,
)
from csc_metrics.spec.loader import Definitions
from csc_metrics.spec.tables import TableSchema

UNITS = {"count": "count", "proportion": "percent", "breakdown": "percent", "rate": "rate_per_10k"}
NOT_RECORDED = "NOT_RECORDED"
UNGROUPED = "UNGROUPED"  # a breakdown by groups: a code in no group
ALL_UNITS = "__all_units"  # a breakdown's total of distinct units (`once_per`)
ROWS = pl.col("__rid").is_not_null()  # true on every row: literals alone would aggregate to a single value


@dataclass
class Population:
    value: int
    year: int
    warning: str | None = None


@dataclass
class Settings:
    """Everything a run needs besides definitions and data."""

    periods: list[Period]
    as_at: date
    calendar: Calendar
    coverage: dict[str, tuple[date, date]] = field(default_factory=dict)  # table id -> covered dates
    population: Callable[[Period], Population | None] | None = None
    population_missing_reason: str = "no local authority set: pass --la CODE or set `la` in csc-metrics.toml"
    unavailable: dict[str, str] = field(default_factory=dict)  # derived table -> why it could not be built


def finding(code: str, **args: Any) -> dict[str, Any]:
    """A structured finding on a result: a code of `diagnostics.CODES` and its arguments (no prose)."""
    return {"code": code, "args": args}


def kind_of(ind: AnyIndicator, defs: Definitions) -> str:
    """flow, stock or as_at (a rate inherits it from its count)."""
    if isinstance(ind, RateIndicator):
        return kind_of(defs.recipe_of(ind), defs)
    basis = ind.timing.basis
    return "flow" if basis == "during" else basis  # active during the period: reported as a flow is


def unit_of(ind: AnyIndicator) -> str:
    if isinstance(ind, CountIndicator):
        return "children" if ind.counts_children else "count"
    if isinstance(ind, DurationIndicator):
        return "working_days" if ind.unit == "working_days" else "days"
    if isinstance(ind, AverageIndicator):
        return "score"
    return UNITS[ind.type]


def _event_date(ind: Any) -> str | None:
    """The date that orders rows and anchors look-ups: the flow date or the stock start."""
    t = ind.timing
    return t.date if t.basis in ("flow", "cohort") else t.start


def _anchor(rel: Related, default_from: str | None) -> str:
    """The date column of this row a look-up is measured from: `from`, else the indicator's event date."""
    anchor = rel.from_ or default_from
    assert anchor is not None, "a look-up needs `from` on an indicator without an event or start date"
    return anchor


def _related_conditions(conds: list[Any]):
    for c in conds:
        if isinstance(c, RelatedCondition):
            yield c
        elif isinstance(c, AnyCondition):
            yield from _related_conditions(c.any)
        elif isinstance(c, AllCondition):
            yield from _related_conditions(c.all)
        elif isinstance(c, NotCondition):
            yield from _related_conditions([c.not_])


def _conditions(ind: Any) -> list[Any]:
    return [*ind.filters, *(ind.numerator if isinstance(ind, ProportionIndicator) else []),
            *getattr(ind, "incomplete_when", [])]


def active_in(timing: Any, period: Period, day: date) -> pl.Expr:
    """The rows a snapshot counts: open on `day` (stock, as-at), or active at any time in the period (during)."""
    if timing.basis != "during":
        return open_on(timing, day)
    mask = (pl.col(timing.start) <= pl.lit(period.end)).fill_null(False)
    if timing.end:
        mask = mask & (pl.col(timing.end).is_null() | (pl.col(timing.end) >= pl.lit(period.start))).fill_null(False)
    return mask


def _active_conditions(conds: list[Any]):
    for c in conds:
        if isinstance(c, ActiveCondition):
            yield c
        elif isinstance(c, AnyCondition | AllCondition):
            yield from _active_conditions(c.any if isinstance(c, AnyCondition) else c.all)
        elif isinstance(c, NotCondition):
            yield from _active_conditions([c.not_])


def active_window(active: Any, period: Period) -> tuple[date, date, bool]:
    """(first day, last day, strict end) of an `active` condition's window in a period."""
    if active.within == "period_end":
        return period.end, period.end, True
    if active.within == "months":
        first = pl.select(pl.lit(period.end).dt.offset_by(f"-{active.months}mo")).item()  # calendar addition
        return first + timedelta(days=1), period.end, False
    return period.start, period.end, False


def cohort_span(timing: Any, day: date) -> tuple[date, date]:
    """The collection years a cohort timing covers at its 31 March `day`: 1 April `years` years before to `day`."""
    return date(day.year - timing.years, 4, 1), day


def is_collection_year(p: Period) -> bool:
    """A period that is one collection year, 1 April to 31 March."""
    return (p.start.month, p.start.day, p.end.month, p.end.day) == (4, 1, 3, 31) and p.end.year == p.start.year + 1


def open_on(timing: Any, day: date) -> pl.Expr:
    """Rows open on `day`: started on or before it, and not ended on or before it (blank end = open).
    A cohort: rows whose date falls in the collection years ending on `day` (`cohort_span`)."""
    if timing.basis == "cohort":
        lo, hi = cohort_span(timing, day)
        return ROWS & pl.col(timing.date).is_between(pl.lit(lo), pl.lit(hi)).fill_null(False)
    mask = ROWS
    if timing.start:
        mask = mask & (pl.col(timing.start) <= pl.lit(day)).fill_null(False)
    if timing.end:
        mask = mask & (pl.col(timing.end).is_null() | (pl.col(timing.end) > pl.lit(day))).fill_null(False)
    return mask


# ---- period keys for flows ------------------------------------------------------------------------------


def _merge_layers(layers: list[dict[str, pl.Expr]], extra: list[dict[str, pl.Expr]]) -> None:
    """Add an indicator's helper columns to the job's layers (a duration has one layer, others three)."""
    for layer, more in zip(layers, extra, strict=False):
        layer.update(more)


def _period_keys(d: pl.Expr, periods: list[tuple[int, Period]]) -> tuple[pl.Expr, pl.Expr]:
    """(key, period end) of the wanted period containing each date, both null outside the wanted periods.

    `periods`: (position in the run's period list, period) of one granularity, so disjoint. The key is that
    position. Looked up by day number in a table over the periods' span: no date arithmetic or text per row."""
    lo = min(p.start for _, p in periods)
    span = (max(p.end for _, p in periods) - lo).days + 1
    keys: list[int | None] = [None] * span
    ends: list[date | None] = [None] * span
    for i, p in periods:
        first = (p.start - lo).days
        n = (p.end - p.start).days + 1
        keys[first:first + n] = [i] * n
        ends[first:first + n] = [p.end] * n
    return by_day(pl.Series(keys, dtype=pl.UInt32), d, lo), by_day(pl.Series(ends, dtype=pl.Date), d, lo)


def _row_order(d: pl.Expr) -> pl.Expr:
    """Rows ordered by date, ties (and blanks, which come first) in row order: 1..n, all distinct. The same
    as ranking (date, row id) ordinally, without a struct (ordinal ranks break ties by position)."""
    blank = d.is_null()
    return pl.when(blank).then(blank.cum_sum()).otherwise(d.rank("ordinal") + d.null_count()).cast(pl.UInt32)


def _with_layers(lf: pl.LazyFrame, layers: list[dict[str, pl.Expr]]) -> pl.LazyFrame:
    """Add helper columns layer by layer (a layer may use the columns of the layers before it)."""
    for layer in layers:
        if layer:
            lf = lf.with_columns(**layer)
    return lf


# ---- the run -----------------------------------------------------------------------------------------


@dataclass
class _Job:
    """A lazy aggregation and how to turn its rows into results."""

    query: pl.LazyFrame
    unpack: Callable[[pl.DataFrame], list[dict[str, Any]]]


class Run:
    def __init__(self, defs: Definitions, frames: dict[str, pl.DataFrame], settings: Settings) -> None:
        self.defs = defs
        self.frames = frames
        # joins and per-child counts use the number keys when every table has them, else the id text
        self.numbers = number_keys((f, defs.tables[t].child_id) for t, f in frames.items() if t in defs.tables)
        self._packable: dict[tuple[str, str], bool] = {}
        self.s = settings
        self.by_label = {p.label: p for p in settings.periods}
        self.granularities = sorted({p.granularity for p in settings.periods})
        self.as_at_period = self._as_at_period()

    def _as_at_period(self) -> Period:
        for p in self.s.periods:
            if p.contains(self.s.as_at):
                return p
        gran = self.s.periods[0].granularity if self.s.periods else "quarter"
        return period_of(self.s.as_at, gran)

    # -- helpers
    def snapshots(self, timing: Any) -> list[tuple[Period, date]]:
        """(period, day) pairs a stock or as-at indicator is evaluated on: each period end, or the as-at date."""
        if timing.basis in ("stock", "during"):
            return [(p, p.end) for p in self.s.periods]
        if timing.basis == "cohort":
            return [(p, p.end) for p in self.s.periods if is_collection_year(p)]
        return [(self.as_at_period, self.s.as_at)]

    def packable(self, table_id: str, date_col: str) -> bool:
        """`lookups.packable` of a table's date column, worked out once per run."""
        if (table_id, date_col) not in self._packable:
            self._packable[(table_id, date_col)] = packable(self.frames[table_id], date_col)
        return self._packable[(table_id, date_col)]

    def key(self, table: TableSchema) -> pl.Expr:
        """The child as a join key: the number key, or the child id text."""
        return pl.col(KEY) if self.numbers else pl.col(table.child_id)

    def table_of(self, ind: Any) -> TableSchema:
        table = self.defs.table(ind.table)
        assert table is not None, f"unknown table {ind.table}"  # `check` guarantees this
        return table

    def ctx(self, table: TableSchema, period_start: pl.Expr, period_end: pl.Expr, reference: pl.Expr,
            related: dict[str, str], shared: dict[str, tuple[str, pl.Expr]] | None = None,
            period_label: str | None = None) -> Ctx:
        return Ctx(table=table, calendar=self.s.calendar, period_start=period_start, period_end=period_end,
                   as_at=pl.lit(self.s.as_at), reference=reference, related=related, shared=shared,
                   period_label=period_label)

    def complete(self, tables: list[str], period: Period, start: date | None = None) -> bool:
        """Every table covers the period (from `start` instead of its first day: a pooled cohort's span)."""
        first = start or period.start
        for t in tables:
            cov = self.s.coverage.get(t)
            if cov is None or cov[0] > first or cov[1] < period.end:
                return False
        return True

    def not_held(self, tables: list[str], period: Period) -> list[str]:
        """The tables that share no day with the period (none held, or held only for other periods)."""
        out = []
        for t in tables:
            cov = self.s.coverage.get(t)
            if cov is None or cov[1] < period.start or cov[0] > period.end:
                out.append(t)
        return out

    # -- base frames
    def lookups(self, table: TableSchema, inds: list[Any]) -> tuple[dict[str, str], list[tuple[str, pl.LazyFrame | None]]]:
        """The look-up flag columns a table's indicators need: lookup key -> column name, and per column the
        query giving (`__rid`, `__flag`) for the rows with a date and a child (None: the related table is absent,
        so the look-up never matches; the status says so)."""
        rows = self.frames[table.id].lazy().with_row_index("__rid")
        related: dict[str, str] = {}
        queries: list[tuple[str, pl.LazyFrame | None]] = []
        for ind in inds:
            default_from = _event_date(ind)
            for cond in _related_conditions(_conditions(ind)):
                key = lookup_key(table.id, cond, default_from)
                if key in related:
                    continue
                name = f"__rel{len(related)}"
                related[key] = name
                other_schema = self.defs.table(cond.related.table)
                assert other_schema is not None
                other = self.frames.get(other_schema.id)
                if other is None:
                    queries.append((name, None))
                    continue
                other_ctx = self.ctx(other_schema, pl.lit(None, pl.Date), pl.lit(None, pl.Date),
                                     pl.lit(self.s.as_at), {})
                from_col = _anchor(cond.related, default_from)
                packed = self.numbers and self.packable(table.id, from_col) and self.packable(other_schema.id, cond.related.date)
                queries.append((name, lookup_flag(rows.with_columns(self.key(table).alias(KEY)), table, from_col,
                                                  cond.related, other.lazy().with_columns(self.key(other_schema).alias(KEY)),
                                                  other_schema, other_ctx, packed)))
        return related, queries

    def base(self, table: TableSchema, inds: list[Any]) -> tuple[pl.LazyFrame, dict[str, str]]:
        """One table's base (see `bases`), as a lazy frame over the materialised rows."""
        frame, related = self.bases({table.id: inds})[table.id]
        return frame.lazy(), related

    def bases(self, by_table: dict[str, list[Any]]) -> dict[str, tuple[pl.DataFrame, dict[str, str]]]:
        """Per table: the rows with row ids, look-up flags, period keys and row-order columns, materialised.
        Every look-up of every table runs in one `collect_all`, then every base in another."""
        plans = {tid: self.lookups(self.defs.tables[tid], inds) for tid, inds in by_table.items()}
        pending = [q for _, queries in plans.values() for _, q in queries if q is not None]
        found = iter(pl.collect_all(pending) if pending else [])
        lazies: list[pl.LazyFrame] = []
        for tid, (_, queries) in plans.items():
            frame = self.frames[tid].with_row_index("__rid")
            flags: list[pl.Series] = []
            for name, q in queries:
                flag = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True).alias(name)
                if q is not None:
                    hits = next(found)
                    flag = flag.scatter(hits["__rid"], hits["__flag"])
                flags.append(flag)
            if flags:
                frame = frame.with_columns(flags)
            lf = self._active_counts(frame.lazy(), self.defs.tables[tid], by_table[tid], plans[tid][0])
            lazies.append(self._keys(lf, by_table[tid]))
        frames = pl.collect_all(lazies) if lazies else []
        return {tid: (f, plans[tid][0]) for tid, f in zip(by_table, frames, strict=True)}

    def _active_counts(self, lf: pl.LazyFrame, table: TableSchema, inds: list[Any],
                       related: dict[str, str]) -> pl.LazyFrame:
        """For each `active` condition and snapshot period: the number of the child's active rows, joined to
        the rows by child (0 when none, or when the table is absent); named in `related` by key and period.
        The counts over one table are one `group_by` and one join, whatever their number."""
        counts: dict[str, list[pl.Expr]] = defaultdict(list)  # other table id -> its named counts
        for ind in inds:
            if isinstance(ind, RateIndicator) or ind.timing.basis == "flow":
                continue
            for cond in _active_conditions(_conditions(ind)):
                a = cond.active
                other_schema = self.defs.table(a.table)
                assert other_schema is not None  # `check` guarantees this
                other = self.frames.get(other_schema.id)
                for p, _ in self.snapshots(ind.timing):
                    key = active_key(cond, p.label)
                    if key in related:
                        continue
                    name = related[key] = f"__act{len(related)}"
                    if other is None:
                        lf = lf.with_columns(pl.lit(0, pl.UInt32).alias(name))
                        continue
                    lo, hi, strict = active_window(a, p)
                    ctx = self.ctx(other_schema, pl.lit(p.start), pl.lit(p.end), pl.lit(p.end), {})
                    parts = [all_of(a.filters, ctx, None)] if a.filters else []
                    if a.start:
                        parts.append((pl.col(a.start) <= pl.lit(hi)).fill_null(False))
                    if a.end:
                        after = pl.col(a.end) > pl.lit(lo) if strict else pl.col(a.end) >= pl.lit(lo)
                        parts.append((pl.col(a.end).is_null() | after).fill_null(False))
                    mask = pl.all_horizontal(parts) if parts else None  # None: every row of the child
                    if a.distinct:
                        values = pl.col(a.distinct) if mask is None else pl.col(a.distinct).filter(mask)
                        counted = values.drop_nulls().n_unique()
                    else:
                        counted = pl.len() if mask is None else mask.fill_null(False).sum()
                    counts[other_schema.id].append(counted.cast(pl.UInt32).alias(name))
        if not counts:
            return lf
        # the counts joined to the child key alone, then set beside the rows (a join of the whole base would
        # copy every column of it once per table counted); each `per_child` has one row per key, so the
        # joined keys keep the rows' number and order
        keys = lf.select(self.key(table).alias("__ak"))
        names: list[str] = []
        for other_id, named in counts.items():
            other_schema = self.defs.tables[other_id]
            per_child = (self.frames[other_id].lazy().with_columns(self.key(other_schema).alias("__ak"))
                         .group_by("__ak").agg(named))
            names += [e.meta.output_name() for e in named]
            keys = keys.join(per_child, on="__ak", how="left", maintain_order="left")
        return pl.concat([lf, keys.select(pl.col(names).fill_null(0))], how="horizontal")

    def _keys(self, lf: pl.LazyFrame, inds: list[Any]) -> pl.LazyFrame:
        """Period keys and ends of flow dates, and a row order per event date."""
        cols: list[pl.Expr] = []
        flow_dates = {ind.timing.date for ind in inds if ind.timing.basis == "flow"}
        wanted = {g: [(i, p) for i, p in enumerate(self.s.periods) if p.granularity == g] for g in self.granularities}
        for d in sorted(flow_dates):
            for g in self.granularities:
                key, end = _period_keys(pl.col(d), wanted[g])
                cols.append(key.alias(f"__k_{d}_{g}"))
                cols.append(end.alias(f"__e_{d}_{g}"))
        order_dates = {d for ind in inds if (d := _event_date(ind)) is not None}
        for d in sorted(order_dates):
            cols.append(_row_order(pl.col(d)).alias(f"__o_{d}"))
        return lf.with_columns(cols) if cols else lf

    # -- measures shared by flows and stocks
    def measures(self, ind: Any, ctx: Ctx, open_mask: pl.Expr, group: list[str],
                 prefix: str) -> tuple[list[dict[str, pl.Expr]], dict[str, pl.Expr]]:
        """Row-level helper columns and named aggregations for one indicator under one period context.

        The helpers come in three layers (row masks; representative rows; their numerators), each added with
        one `with_columns`, where polars computes a shared sub-expression (a working-day count, say) once;
        the aggregations only sum, filter or take the median of helper columns."""
        rows: dict[str, pl.Expr] = {}
        reps: dict[str, pl.Expr] = {}
        nums: dict[str, pl.Expr] = {}

        def helper(name: str, expr: pl.Expr) -> pl.Expr:
            rows[f"__{name}|{prefix}"] = expr
            return pl.col(f"__{name}|{prefix}")

        default_from = _event_date(ind)
        cohort = ROWS & open_mask & all_of(ind.filters, ctx, default_from)
        out: dict[str, pl.Expr] = {}
        for i, ex in enumerate(ind.exclude):
            left_out = cohort & all_of(ex.when, ctx, default_from).fill_null(False)
            out[f"exclusion|{i}"] = left_out.sum()
            cohort = cohort & ~left_out
        if isinstance(ind, AverageIndicator):
            usable_col = helper("usable", (cohort & pl.col(ind.column).is_not_null()).fill_null(False))
            vals = helper("values", pl.col(ind.column).cast(pl.Float64)).filter(usable_col)
            return [rows], {**out, "value": vals.mean() if ind.stat == "mean" else vals.median(),
                            "den": usable_col.sum()}
        if isinstance(ind, DurationIndicator):
            start, end = ctx.date(ind.from_), ctx.date(ind.to)
            days = duration(start, end, ind.unit, ctx)
            usable = cohort & days.is_not_null()
            if ind.negative == "exclude":
                # by date, as a timeliness condition decides it: an end before the start on two non-working
                # days has 0 working days but is still excluded, so duration and timeliness share one base
                backwards = (end < start).fill_null(False)
                usable = usable & ~backwards
                excluded = helper("excluded", cohort & backwards).sum()
            else:
                days = days.clip(lower_bound=0)
                excluded = pl.lit(0)
            usable_col = helper("usable", usable.fill_null(False))
            vals = helper("days", days).filter(usable_col)
            return [rows], {**out, "value": vals.mean() if ind.stat == "mean" else vals.median(),
                            "den": usable_col.sum(), "excluded": excluded}
        valid = pl.lit(True)
        num_cond = pl.lit(True)
        if isinstance(ind, ProportionIndicator):
            valid = timescale_validity(ind.numerator, ctx)
            num_cond = all_of(ind.numerator, ctx, default_from)
        den_mask = cohort & valid
        den_col = helper("den", den_mask)
        if ind.counts_children:
            # one row per child represents it: the child is counted once, with that row's numerator; the
            # representative row is unique (orders are distinct), so counting children is summing rows
            order = pl.col(f"__o_{default_from}") if default_from else pl.col("__rid")
            masked = pl.when(den_col).then(order)
            child = [self.key(ctx.table), *group]
            best = (masked.max() if ind.keep == "last" else masked.min()).over(child)
            rep_name, num_name = f"__rep|{prefix}", f"__num|{prefix}"
            reps[rep_name] = den_col & (order == best).fill_null(False)
            cond_col = helper("cond", num_cond)
            # keep `any`: the child meets the numerator when any of its cohort rows in the period does
            nums[num_name] = pl.col(rep_name) & ((den_col & cond_col).any().over(child) if ind.keep == "any"
                                                  else cond_col)
            out["den"] = pl.col(rep_name).sum()
            out["num"] = pl.col(num_name).sum()
            if ind.incomplete_when:
                lack_name = f"__lack|{prefix}"
                nums[lack_name] = pl.col(rep_name) & helper("lackc", all_of(ind.incomplete_when, ctx, default_from))
                out["lacking"] = pl.col(lack_name).sum()
        else:
            out["den"] = den_col.sum()
            out["num"] = helper("num", den_mask & num_cond).sum()
            if ind.incomplete_when:
                out["lacking"] = helper("lack", den_mask & all_of(ind.incomplete_when, ctx, default_from)).sum()
        out["excluded"] = helper("excluded", cohort & ~valid).sum()
        for i, cond in enumerate(_related_conditions(_conditions(ind))):
            rel = cond.related
            other = self.defs.table(rel.table)
            cov = self.s.coverage.get(other.id) if other else None
            if cov is None or rel.or_blank:  # a status until a date (blank: still holds) is no event window
                continue
            d = pl.col(_anchor(rel, default_from))
            bound = window_bound(d, rel)
            outside = bound < pl.lit(cov[0]) if rel.window.direction == "before" else bound > pl.lit(cov[1])
            out[f"uncovered|{i}"] = helper(f"uncovered{i}", cohort & outside.fill_null(False)).sum()
        return [rows, reps, nums], out

    # -- jobs
    def jobs(self, table: TableSchema, inds: list[Any], frame: pl.DataFrame, related: dict[str, str]) -> list[_Job]:
        """The aggregations of one table's indicators over its materialised base."""
        base = frame.lazy()
        jobs: list[_Job] = []
        flows: dict[tuple[str, Granularity], list[Any]] = defaultdict(list)
        snapshots: list[Any] = []
        for ind in inds:
            if isinstance(ind, BreakdownIndicator):
                jobs.extend(self.breakdown_jobs(base, table, ind, related))
            elif ind.timing.basis == "flow":
                for g in self.granularities:
                    flows[(ind.timing.date, g)].append(ind)
            else:
                snapshots.append(ind)
        for (d, g), group in flows.items():
            jobs.append(self.flow_job(base, table, d, g, group, related))
        snapshots = [ind for ind in snapshots if self.snapshots(ind.timing)]  # a cohort needs a collection year
        if snapshots:
            jobs.append(self.snapshot_job(base, table, snapshots, related))
        return jobs

    def flow_job(self, base: pl.LazyFrame, table: TableSchema, d: str, g: str, inds: list[Any],
                 related: dict[str, str]) -> _Job:
        key, end = f"__k_{d}_{g}", pl.col(f"__e_{d}_{g}")
        shared: dict[str, tuple[str, pl.Expr]] = {}
        ctx = self.ctx(table, pl.lit(None, pl.Date), end, end, related, shared)
        aggs: list[pl.Expr] = []
        layers: list[dict[str, pl.Expr]] = [{}, {}, {}]
        names: dict[str, list[str]] = {}
        for ind in inds:
            extra, m = self.measures(ind, ctx, pl.lit(True), [key], ind.id)
            _merge_layers(layers, extra)
            names[ind.id] = list(m)
            aggs.extend(expr.alias(f"{ind.id}|{name}") for name, expr in m.items())
        layers.insert(0, dict(shared.values()))
        query = _with_layers(base.filter(pl.col(key).is_not_null()), layers).group_by(key).agg(aggs)

        def unpack(df: pl.DataFrame) -> list[dict[str, Any]]:
            rows = {self.s.periods[r[key]].label: r for r in df.iter_rows(named=True)}
            out = []
            for ind in inds:
                for p in self.s.periods:
                    if p.granularity != g:
                        continue
                    row = rows.get(p.label, {})
                    vals = {n: row.get(f"{ind.id}|{n}") for n in names[ind.id]}
                    out.append(self.result(ind, table, p, vals, as_at=None))
            return out

        return _Job(query, unpack)

    def snapshot_job(self, base: pl.LazyFrame, table: TableSchema, inds: list[Any],
                     related: dict[str, str]) -> _Job:
        aggs: list[pl.Expr] = []
        layers: list[dict[str, pl.Expr]] = [{}, {}, {}]
        shared: dict[str, tuple[str, pl.Expr]] = {}
        plan: list[tuple[Any, Period, list[str], date | None]] = []
        for ind in inds:
            t = ind.timing
            for p, day in self.snapshots(t):
                open_mask = active_in(t, p, day)
                ctx = self.ctx(table, pl.lit(p.start), pl.lit(p.end), pl.lit(day), related, shared, p.label)
                prefix = f"{ind.id}|{p.label}"
                extra, m = self.measures(ind, ctx, open_mask, [], prefix)
                _merge_layers(layers, extra)
                aggs.extend(expr.alias(f"{prefix}|{n}") for n, expr in m.items())
                plan.append((ind, p, list(m), day if t.basis == "as_at" else None))
        layers.insert(0, dict(shared.values()))
        query = _with_layers(base, layers).select(aggs)

        def unpack(df: pl.DataFrame) -> list[dict[str, Any]]:
            row = df.row(0, named=True)
            return [
                self.result(ind, table, p, {n: row[f"{ind.id}|{p.label}|{n}"] for n in names}, as_at=as_at)
                for ind, p, names, as_at in plan
            ]

        return _Job(query, unpack)

    def breakdown_jobs(self, base: pl.LazyFrame, table: TableSchema, ind: BreakdownIndicator,
                       related: dict[str, str]) -> list[_Job]:
        col = table.column(ind.by)
        codes = (self.defs.code_sets[col.code_set].code_values() if col and col.code_set
                 else ["Y", "N", "U"])
        category = pl.col(ind.by).fill_null(NOT_RECORDED).alias("__cat")
        if ind.groups is not None:  # categories made of codes; a code in no group is UNGROUPED
            mapping = {code: group for group, members in ind.groups.items() for code in members}
            codes = list(ind.groups)
            raw = pl.col(ind.by).cast(pl.String)
            category = (pl.when(raw.is_null()).then(pl.lit(NOT_RECORDED))
                        .otherwise(raw.replace_strict(mapping, default=UNGROUPED, return_dtype=pl.String))
                        .alias("__cat"))
        t = ind.timing
        default_from = _event_date(ind)
        parts: list[pl.LazyFrame] = []
        targets: list[tuple[Period, date | None]] = []
        if t.basis == "flow":
            for g in self.granularities:
                key, end = f"__k_{t.date}_{g}", pl.col(f"__e_{t.date}_{g}")
                ctx = self.ctx(table, pl.lit(None, pl.Date), end, end, related)
                mask = all_of(ind.filters, ctx, default_from) & pl.col(key).is_not_null()
                counted = self._category_counts(base.filter(mask), table, ind, category, [key], default_from)
                labels = pl.Series([p.label for p in self.s.periods], dtype=pl.String)
                parts.append(counted.with_columns(pl.lit(labels).gather(pl.col(key)).alias("__p")))
            targets = [(p, None) for p in self.s.periods]
        else:
            for p, day in self.snapshots(t):
                ctx = self.ctx(table, pl.lit(p.start), pl.lit(p.end), pl.lit(day), related, period_label=p.label)
                mask = active_in(t, p, day) & all_of(ind.filters, ctx, default_from)
                counted = self._category_counts(base.filter(mask), table, ind, category, [], default_from)
                parts.append(counted.with_columns(pl.lit(p.label).alias("__p")))
                targets.append((p, day if t.basis == "as_at" else None))
        query = pl.concat([q.select("__p", "__cat", "__n") for q in parts])

        def unpack(df: pl.DataFrame) -> list[dict[str, Any]]:
            counts: dict[str, dict[str, int]] = defaultdict(dict)
            for p_label, cat, n in df.iter_rows():
                counts[p_label][cat] = n
            out = []
            for p, as_at in targets:
                per = dict(counts.get(p.label, {}))
                total = per.pop(ALL_UNITS, 0) if ind.once_per else sum(per.values())
                cats = codes + [c for c in (UNGROUPED, NOT_RECORDED) if per.get(c)]
                for cat in cats:
                    vals = {"num": per.get(cat, 0), "den": total}
                    out.append(self.result(ind, table, p, vals, as_at=as_at, category=cat))
            return out

        return [_Job(query, unpack)]

    def _category_counts(self, lf: pl.LazyFrame, table: TableSchema, ind: Any, category: pl.Expr,
                         group: list[str], default_from: str | None) -> pl.LazyFrame:
        if ind.once_per:  # units (e.g. episodes) once per category, and once in the total (ALL_UNITS)
            unit = pl.struct(ind.once_per).n_unique().cast(pl.Int64).alias("__n")
            per_cat = lf.group_by([*group, category]).agg(unit)
            total = (lf.group_by(group).agg(unit) if group else lf.select(unit)).with_columns(
                pl.lit(ALL_UNITS).alias("__cat"))
            return pl.concat([per_cat, total.select(per_cat.collect_schema().names())], how="vertical_relaxed")
        if not ind.counts_children:
            return lf.group_by([*group, category]).agg(pl.len().cast(pl.Int64).alias("__n"))
        order = pl.col(f"__o_{default_from}") if default_from else pl.col("__rid")
        best = (order.max() if ind.keep == "last" else order.min()).over([self.key(table), *group])
        return (lf.filter(order == best).group_by([*group, category])
                .agg(self.key(table).n_unique().cast(pl.Int64).alias("__n")))

    # -- results
    def result(self, ind: Any, table: TableSchema, period: Period, vals: dict[str, Any], *, as_at: date | None,
               category: str | None = None) -> dict[str, Any]:
        tables = [table.id, *(rel.id for c in _related_conditions(_conditions(ind))
                              if not isinstance(ind, BreakdownIndicator) and (rel := self.defs.table(c.related.table)))]
        tables += [act.id for c in _active_conditions(_conditions(ind)) if (act := self.defs.table(c.active.table))]
        tables = list(dict.fromkeys(tables))
        pooled = ind.timing.basis == "cohort" and ind.timing.years > 1
        start = cohort_span(ind.timing, period.end)[0] if pooled else None
        complete = True if as_at is not None else self.complete(tables, period, start)
        warnings: list[str] = []
        findings: list[dict[str, Any]] = []
        num, den, value = vals.get("num") or 0, vals.get("den") or 0, None
        if isinstance(ind, DurationIndicator | AverageIndicator):
            num = None
            value = vals.get("value")
        elif isinstance(ind, CountIndicator):
            value, num, den = float(den), den, None
        elif den:
            value = 100.0 * num / den
        excluded = vals.get("excluded") or 0
        if excluded:
            warnings.append(f"{excluded} row(s) excluded: a date is blank or the end is before the start (CSC304)")
            findings.append(finding("CSC304", rows=excluded))
        history_missing = False  # rows left out only because the inputs start too late (`incomplete` rules)
        for name, n in vals.items():
            if name.startswith("exclusion|") and n:
                rule = ind.exclude[int(name.split("|")[1])]
                warnings.append(f"{n} row(s) left out: {rule.reason} (CSC315)")
                findings.append(finding("CSC315", rows=n, reason=rule.reason))
                history_missing = history_missing or rule.incomplete
        if not complete and start is not None:
            warnings.append(f"pooled over {ind.timing.years} collection years from {start.isoformat()}: "
                            "not every year is loaded (CSC317)")
            findings.append(finding("CSC317", years=ind.timing.years, start=start.isoformat(), end=period.end.isoformat(),
                                    tables={t: self._coverage_text(t) for t in tables}))
        elif not complete:
            findings.append(finding("CSC306", period=period.label, tables={t: self._coverage_text(t) for t in tables}))
        rels = list(_related_conditions(_conditions(ind)))
        uncovered = history_missing
        lacking = vals.get("lacking") or 0
        if lacking:  # counted rows whose history is older than the inputs (`incomplete_when`)
            warnings.append(f"{lacking} counted row(s) need history from before the earliest loaded return (CSC320)")
            findings.append(finding("CSC320", rows=lacking))
            uncovered = True
        for name, n in vals.items():
            if name.startswith("uncovered|") and n:
                rel = rels[int(name.split("|")[1])].related
                other_schema = self.defs.table(rel.table)
                other = other_schema.id if other_schema else rel.table
                what = "look-back" if rel.window.direction == "before" else "look-forward"
                warnings.append(f"{what} window not covered by {other} for {n} row(s) (CSC301)")
                findings.append(finding("CSC301", rows=n, window=what, length=rel.window.length,
                                        unit=rel.window.unit, table=other, coverage=self._coverage_text(other)))
                cov = self._coverage_text(other)
                if other_schema is not None and other_schema.format != "annex_a" and what == "look-back" and cov:
                    names = {"ssda903": "SSDA903", "cin_census": "CIN census"}
                    findings.append(finding("CSC310", rows=n, format=names.get(other_schema.format, other_schema.format),
                                            before=cov[0]))
                uncovered = True
        status = "ok"
        if not complete or uncovered:
            status = "incomplete"  # part of the period or of a look-up window is missing: never `ok`
        elif value is None:
            status = "empty"
        if as_at is None and (absent := self.not_held(tables, period)):
            # the inputs hold no day of the period (a year before the first loaded return: its stocks and flows
            # are not published from later returns), or a table the figure needs is absent for it (SWEpisodes
            # before 2023-24): nothing to show, whatever the rows give
            status, num, den, value = ("no_data" if absent[0] == table.id else "unavailable"), None, None, None
            cov = self._coverage_text(absent[0])
            warnings, findings = [], [finding("CSC321", period=period.label, table=absent[0],
                                              coverage=f"{cov[0]} to {cov[1]}" if cov else "no period")]
        return {
            "indicator": ind.id,
            "period": period.label,
            "period_obj": period,
            "complete": complete,
            "as_at": as_at,
            "category": category,
            "numerator": num,
            "denominator": den,
            "value": value,
            "unit": unit_of(ind),
            "annualised": False,
            "status": status,
            "warnings": warnings,
            "findings": findings,
            "source": table.format,  # the kind of input the figure comes from (annex_a, ssda903, cin_census)
        }

    def _coverage_text(self, table_id: str) -> list[str] | None:
        """A table's covered dates as ISO text, None when it has none."""
        cov = self.s.coverage.get(table_id)
        return [cov[0].isoformat(), cov[1].isoformat()] if cov else None

    def rate(self, ind: RateIndicator, count: dict[str, Any]) -> dict[str, Any]:
        period: Period = count["period_obj"]
        res = dict(count, indicator=ind.id, unit="rate_per_10k", warnings=list(count["warnings"]),
                   findings=list(count["findings"]))
        if count["status"] in ("no_data", "unavailable"):
            return res  # no count, no rate
        pop = self.s.population(period) if self.s.population else None
        flow = kind_of(ind, self.defs) == "flow"
        annualise = flow and ind.annualise and period.months < 12
        res["annualised"] = annualise
        if pop is None:
            res.update(denominator=None, value=None, status="no_data")
            res["warnings"].append(self.s.population_missing_reason)
            res["findings"].append(finding("CSC307"))
            return res
        if pop.warning:
            res["warnings"].append(pop.warning)
            res["findings"].append(finding("CSC302", population_year=pop.year))
        count_value = count["numerator"] or 0
        value = count_value / pop.value * ind.per
        if annualise:
            value *= 12 / period.months
        res.update(numerator=count_value, denominator=pop.value, value=value, population_year=pop.year)
        return res

    def source_of(self, ind: Any) -> str:
        """The format of the table an indicator counts (`annex_a` when the table is unknown)."""
        table = self.defs.table(getattr(ind, "table", ""))
        return table.format if table is not None else "annex_a"

    def unavailable(self, ind: Any, reason: str) -> list[dict[str, Any]]:
        """Results of an indicator whose derived table the inputs cannot build (`derive.Unavailable`)."""
        return [dict(r, status="unavailable", warnings=[reason], findings=[finding("CSC311", reason=reason)])
                for r in self.no_data(ind, ind.table)]

    def not_collection_years(self, ind: Any) -> list[dict[str, Any]]:
        """`unavailable` for the periods of a run that are not collection years: a cohort is defined at 31 March."""
        return [
            {"indicator": ind.id, "period": p.label, "period_obj": p, "complete": False, "as_at": None,
             "category": None, "numerator": None, "denominator": None, "value": None, "unit": unit_of(ind),
             "annualised": False, "status": "unavailable",
             "warnings": ["a cohort defined at 31 March is computed for collection years only: use --period year "
                          "(CSC316)"],
             "findings": [finding("CSC316")], "source": self.source_of(ind)}
            for p in self.s.periods if not is_collection_year(p)
        ]

    def no_data(self, ind: Any, missing: str) -> list[dict[str, Any]]:
        periods = [self.as_at_period] if kind_of(ind, self.defs) == "as_at" else self.s.periods
        return [
            {"indicator": ind.id, "period": p.label, "period_obj": p, "complete": False, "as_at": None,
             "category": None, "numerator": None, "denominator": None, "value": None, "unit": unit_of(ind),
             "annualised": False, "status": "no_data", "warnings": [f"source table `{missing}` not in the inputs"],
             "findings": [finding("CSC305", table=missing)], "source": self.source_of(ind)}
            for p in periods
        ]


def source_tables(ind: AnyIndicator, defs: Definitions) -> list[str]:
    """Every table an indicator reads (rates: those of their count)."""
    if isinstance(ind, RateIndicator):
        return source_tables(defs.recipe_of(ind), defs)
    table = defs.table(ind.table)
    ids = [table.id] if table else [ind.table]
    for cond in _related_conditions(_conditions(ind)):
        other = defs.table(cond.related.table)
        ids.append(other.id if other else cond.related.table)
    for act in _active_conditions(_conditions(ind)):
        other = defs.table(act.active.table)
        ids.append(other.id if other else act.active.table)
    return list(dict.fromkeys(ids))


def evaluate(defs: Definitions, indicators: list[AnyIndicator], frames: dict[str, pl.DataFrame],
             settings: Settings) -> list[dict[str, Any]]:
    """Compute the indicators for every period: look-ups, bases and aggregations each in one `collect_all`."""
    run = Run(defs, frames, settings)
    wanted = {i.id for i in indicators}
    # rates need their counts, even when the count itself was not asked for
    needed: dict[str, AnyIndicator] = {}
    for ind in indicators:
        if isinstance(ind, RateIndicator):
            needed.setdefault(ind.of, defs.recipe_of(ind))
        needed[ind.id] = ind
    results: dict[str, list[dict[str, Any]]] = {}
    by_table: dict[str, list[Any]] = defaultdict(list)
    for ind in needed.values():
        if isinstance(ind, RateIndicator):
            continue
        table = defs.table(ind.table)
        missing = next((t for t in source_tables(ind, defs) if t not in frames), None)
        if missing in settings.unavailable:
            results[ind.id] = run.unavailable(ind, settings.unavailable[missing])
        elif table is None or missing is not None:
            results[ind.id] = run.no_data(ind, missing or ind.table)
        else:
            by_table[table.id].append(ind)
    jobs: list[_Job] = []
    for table_id, (frame, related) in run.bases(by_table).items():
        jobs.extend(run.jobs(defs.tables[table_id], by_table[table_id], frame, related))
    frames_out = pl.collect_all([j.query for j in jobs]) if jobs else []
    for job, df in zip(jobs, frames_out, strict=True):
        for res in job.unpack(df):
            results.setdefault(res["indicator"], []).append(res)
    for ind in needed.values():
        if not isinstance(ind, RateIndicator) and ind.timing.basis == "cohort":
            got = results.setdefault(ind.id, [])
            if not got or not all(r["status"] == "no_data" for r in got):
                got.extend(run.not_collection_years(ind))
    for ind in needed.values():
        if isinstance(ind, RateIndicator):
            counts = results.get(ind.of, [])
            own = defs.recipe_of(ind)
            if counts and counts[0]["source"] != run.source_of(own):
                # the count in use is another source's recipe (this rate has none for it): never mix sources
                missing = next((t for t in source_tables(own, defs) if t not in frames), getattr(own, "table", ind.of))
                counts = run.no_data(own, missing)
            if counts and all(c["status"] in ("no_data", "unavailable") for c in counts):
                results[ind.id] = [dict(c, indicator=ind.id, unit="rate_per_10k", findings=list(c["findings"]))
                                   for c in counts]
            else:
                results[ind.id] = [run.rate(ind, c) for c in counts]
    for ind in needed.values():
        if ind.granularities is not None:
            for r in results.get(ind.id, []):
                if r["period_obj"].granularity not in ind.granularities:
                    kinds = ", ".join("financial year" if g == "year" else g for g in ind.granularities)
                    r.update(numerator=None, denominator=None, value=None, status="unavailable",
                             warnings=[f"computed for {kinds} periods only"],
                             findings=[finding("CSC308", granularities=kinds)])
    return [r for ind in indicators if ind.id in wanted for r in results.get(ind.id, [])]
