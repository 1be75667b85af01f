"""Stage-2 checks across files: every reference in a table schema or indicator points at something real."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from csc_metrics.diagnostics import Diagnostic
from csc_metrics.io.normalise import norm_header as normalise_header
from csc_metrics.spec.indicators import (
    REFERENCE_DATES,
    ActiveCondition,
    AgeCondition,
    AllCondition,
    AnyCondition,
    AnyIndicator,
    AverageIndicator,
    BreakdownIndicator,
    ColumnCondition,
    CountIndicator,
    DurationIndicator,
    NotCondition,
    Op,
    ProportionIndicator,
    RateIndicator,
    RelatedCondition,
    TimescaleCondition,
)
from csc_metrics.spec.loader import Definitions, _pos, indicator_kind
from csc_metrics.spec.tables import ColumnType, TableSchema

POPULATIONS = ("children_0_17",)
YES_NO_CODES = ("Y", "N", "U")
ORDERED_TYPES = {ColumnType.DATE, ColumnType.INTEGER, ColumnType.NUMBER}


def _suggest(name: str, options: list[str]) -> str | None:
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


class _Checker:
    def __init__(self, defs: Definitions) -> None:
        self.defs = defs
        self.out: list[Diagnostic] = []

    def report(self, code: str, message: str, kind: str, obj_id: str, loc: list[Any], hint: str | None = None,
               indicator: str | None = None) -> None:
        located = self.defs.located.get((kind, obj_id))
        file, line, col = (located.file, *_pos(located.node, loc)) if located else (None, None, None)
        self.out.append(Diagnostic(code=code, message=message, hint=hint, file=file, line=line, col=col,
                                   indicator=indicator))

    # ---- tables -----------------------------------------------------------------------------------
    def tables(self) -> None:
        for table in self.defs.tables.values():
            names = table.column_names
            refs: list[tuple[list[Any], str | None]] = [
                (["child_id"], table.child_id), (["event_date"], table.event_date),
                (["date_of_birth"], table.date_of_birth), (["age_years"], table.age_years),
            ]
            refs += [(["key", i], k) for i, k in enumerate(table.key)]
            for i, pair in enumerate(table.date_pairs):
                refs += [(["date_pairs", i, "start"], pair.start), (["date_pairs", i, "end"], pair.end)]
            for loc, name in refs:
                if name is not None and name not in names:
                    self.report("CSC105", f"table `{table.id}` has no column `{name}`", "tables", table.id, loc,
                                _suggest(name, names))
            seen: dict[str, str] = {}
            for i, col in enumerate(table.columns):
                for j, text in enumerate([col.header, *col.variants]):
                    key = normalise_header(text)
                    if key in seen and seen[key] != col.name:
                        loc = ["columns", i, "header"] if j == 0 else ["columns", i, "variants", j - 1]
                        self.report("CSC117", f"header `{text}` of `{col.name}` also names `{seen[key]}`", "tables",
                                    table.id, loc, "each header spelling must map to one column")
                    seen.setdefault(key, col.name)
                if col.code_set and col.code_set not in self.defs.code_sets:
                    self.report("CSC111", f"unknown code set `{col.code_set}`", "tables", table.id,
                                ["columns", i, "code_set"], _suggest(col.code_set, list(self.defs.code_sets)))

    # ---- derived tables ---------------------------------------------------------------------------
    def derived(self) -> None:
        if not self.defs.derived:
            return
        from csc_metrics.engine.derive import registry

        builders = registry()
        for d in self.defs.derived.values():
            for i, name in enumerate(d.inputs):
                if self.defs.table(name) is None:
                    self.report("CSC104", f"derived table `{d.id}` reads unknown table `{name}`", "derived", d.id,
                                ["inputs", i], _suggest(name, list(self.defs.tables)))
            b = builders.get(d.builder)
            if b is None:
                self.report("CSC118", f"derived table `{d.id}`: unknown builder `{d.builder}`", "derived", d.id,
                            ["builder"], _suggest(d.builder, list(builders)) or f"known builders: {', '.join(sorted(builders)) or 'none'}")
                continue
            absent = [t for t in b.inputs if t not in d.inputs]
            if absent:
                self.report("CSC118", f"derived table `{d.id}`: builder `{d.builder}` reads {', '.join(absent)}, "
                            "not listed in `inputs`", "derived", d.id, ["inputs"],
                            f"inputs: [{', '.join(b.inputs)}]")

    # ---- indicators -------------------------------------------------------------------------------
    def indicators(self) -> None:
        for ind in self.defs.recipes.values() or self.defs.indicators.values():
            self.indicator(ind)

    def indicator(self, ind: AnyIndicator) -> None:
        def rep(code: str, message: str, loc: list[Any], hint: str | None = None) -> None:
            self.report(code, message, indicator_kind(ind.source), ind.id, loc, hint, indicator=ind.id)

        if isinstance(ind, RateIndicator):
            target = self.defs.recipes.get((ind.of, ind.source)) if self.defs.recipes else self.defs.indicators.get(ind.of)
            if target is None:
                other = self.defs.sources(ind.of)
                rep("CSC112", f"`of` refers to unknown indicator `{ind.of}`"
                    + (f" (no `{ind.source}` recipe; it has {', '.join(other)})" if other else ""), ["of"],
                    f"add a `source: {ind.source}` recipe of `{ind.of}`" if other
                    else _suggest(ind.of, list(self.defs.indicators)))
            elif not isinstance(target, CountIndicator):
                rep("CSC112", f"`of` must name a count indicator; `{ind.of}` is a {target.type}", ["of"])
            if ind.population not in POPULATIONS:
                rep("CSC109", f"rate needs a known population; `{ind.population}` is not one", ["population"],
                    f"use one of: {', '.join(POPULATIONS)}")
        else:
            table = self.defs.table(ind.table)
            if table is None:
                options = list(self.defs.tables) + [t.alias for t in self.defs.tables.values() if t.alias]
                rep("CSC104", f"unknown table `{ind.table}`", ["table"], _suggest(ind.table, options))
            else:
                if table.format != ind.source:
                    rep("CSC119", f"the `{ind.source}` recipe of `{ind.id}` reads `{table.id}`, a {table.format} "
                        "table", ["table"], f"set `source: {table.format}`, or read a {ind.source} table")
                for loc, name, want in self._timing_refs(ind):
                    self._column(rep, table, loc, name, want)
                for loc, cond in _walk(ind.filters, ["filters"]):
                    self._condition(rep, table, loc, cond)
                for loc, cond in _walk(getattr(ind, "incomplete_when", []), ["incomplete_when"]):
                    self._condition(rep, table, loc, cond)
                if isinstance(ind, ProportionIndicator):
                    for loc, cond in _walk(ind.numerator, ["numerator"]):
                        self._condition(rep, table, loc, cond)
                if isinstance(ind, BreakdownIndicator):
                    col = self._column(rep, table, ["by"], ind.by, {ColumnType.CODE, ColumnType.YES_NO})
                    codes = (self.defs.code_sets[col.code_set].code_values()
                             if col is not None and col.code_set in self.defs.code_sets else None)
                    for group, members in (ind.groups or {}).items():
                        for code in members:
                            if codes is not None and code not in codes:
                                rep("CSC106", f"group `{group}`: `{code}` is not a code of `{ind.by}`",
                                    ["groups", group], _suggest(code, codes))
                    for i, name in enumerate(ind.once_per):
                        self._column(rep, table, ["once_per", i], name, None)
                if isinstance(ind, AverageIndicator):
                    self._column(rep, table, ["column"], ind.column, {ColumnType.INTEGER, ColumnType.NUMBER})
                if isinstance(ind, DurationIndicator):
                    for key, name in (("from", ind.from_), ("to", ind.to)):
                        if name not in REFERENCE_DATES:
                            self._column(rep, table, [key], name, {ColumnType.DATE})
        self._tests(rep, ind)
        if ind.benchmark is not None:
            lait = _lait_codes()
            if lait is not None and ind.benchmark.measure not in lait:
                rep("CSC108", f"unknown LAIT measure `{ind.benchmark.measure}`", ["benchmark", "measure"],
                    _suggest(ind.benchmark.measure, sorted(lait)) or "see the LAIT measure list in docs/benchmarks.md")

    def _tests(self, rep: Any, ind: AnyIndicator) -> None:
        """Embedded tests: every table and column their rows name exists; a breakdown's expected category
        is a code of its `by` column."""
        for t, test in enumerate(ind.tests):
            for name, rows in test.rows.items():
                table = self.defs.table(name)
                if table is None:
                    rep("CSC104", f"unknown table `{name}` in the rows of test '{test.name}'",
                        ["tests", t, "rows", name], _suggest(name, list(self.defs.tables)))
                    continue
                for r, row in enumerate(rows):
                    for key in row:
                        if table.column(key) is None:
                            rep("CSC105", f"table `{table.id}` has no column `{key}` (test '{test.name}')",
                                ["tests", t, "rows", name, r, key], _suggest(key, table.column_names))
            category = test.expect.category
            if category is not None and isinstance(ind, BreakdownIndicator):
                table = self.defs.table(ind.table)
                col = table.column(ind.by) if table else None
                allowed = None
                if col is not None and col.type is ColumnType.CODE and col.code_set in self.defs.code_sets:
                    allowed = self.defs.code_sets[col.code_set].code_values()
                elif col is not None and col.type is ColumnType.YES_NO:
                    allowed = list(YES_NO_CODES)
                if ind.groups is not None:  # a breakdown by groups: its categories are the group names
                    allowed = list(ind.groups)
                if allowed is not None and category not in allowed:
                    rep("CSC106", f"expected category `{category}` is not a code of `{col.name}`",  # type: ignore[union-attr]
                        ["tests", t, "expect", "category"], _suggest(category, allowed))

    def _timing_refs(self, ind: Any) -> Iterator[tuple[list[Any], str, set[ColumnType]]]:
        timing = ind.timing
        for key in ("date", "start", "end"):
            name = getattr(timing, key, None)
            if name is not None:
                yield ["timing", key], name, {ColumnType.DATE}

    def _column(self, rep: Any, table: TableSchema, loc: list[Any], name: str, want: set[ColumnType] | None):
        col = table.column(name)
        if col is None:
            rep("CSC105", f"table `{table.id}` has no column `{name}`", loc, _suggest(name, table.column_names))
            return None
        if want and col.type not in want:
            kinds = " or ".join(sorted(t.value for t in want))
            rep("CSC110", f"column `{name}` is {col.type.value}, but {kinds} is needed here", loc)
        return col

    def _other_table(self, rep: Any, name: str, loc: list[Any]) -> TableSchema | None:
        """The table a `related` or `active` condition looks in; CSC104 when there is none."""
        other = self.defs.table(name)
        if other is None:
            rep("CSC104", f"unknown table `{name}`", loc, _suggest(name, list(self.defs.tables)))
        return other

    def _condition(self, rep: Any, table: TableSchema, loc: list[Any], cond: Any) -> None:
        if isinstance(cond, ColumnCondition):
            self._column_condition(rep, table, loc, cond)
        elif isinstance(cond, TimescaleCondition):
            ts = cond.timescale
            for key, name in (("from", ts.from_), ("to", ts.to)):
                if name not in REFERENCE_DATES:
                    self._column(rep, table, [*loc, "timescale", key], name, {ColumnType.DATE})
        elif isinstance(cond, AgeCondition):
            if table.date_of_birth is None and table.age_years is None:
                rep("CSC105", f"table `{table.id}` declares no `date_of_birth` or `age_years` for ages", loc)
            if cond.age.at not in REFERENCE_DATES:
                self._column(rep, table, [*loc, "age", "at"], cond.age.at, {ColumnType.DATE})
        elif isinstance(cond, RelatedCondition):
            rel = cond.related
            other = self._other_table(rep, rel.table, [*loc, "related", "table"])
            if other is None:
                return
            self._column(rep, other, [*loc, "related", "date"], rel.date, {ColumnType.DATE})
            if rel.from_ is not None:
                self._column(rep, table, [*loc, "related", "from"], rel.from_, {ColumnType.DATE})
            for sub_loc, sub in _walk(rel.filters, [*loc, "related", "filters"]):
                self._condition(rep, other, sub_loc, sub)
        elif isinstance(cond, ActiveCondition):
            a = cond.active
            other = self._other_table(rep, a.table, [*loc, "active", "table"])
            if other is None:
                return
            for key in ("start", "end"):
                if getattr(a, key) is not None:
                    self._column(rep, other, [*loc, "active", key], getattr(a, key), {ColumnType.DATE})
            if a.distinct is not None:
                self._column(rep, other, [*loc, "active", "distinct"], a.distinct, None)
            self.used_table(other)
            for sub_loc, sub in _walk(a.filters, [*loc, "active", "filters"]):
                self._condition(rep, other, sub_loc, sub)

    def used_table(self, table: TableSchema) -> None:
        """A table an indicator reads besides its own (the column walker records it)."""

    def _column_condition(self, rep: Any, table: TableSchema, loc: list[Any], cond: ColumnCondition) -> None:
        col = self._column(rep, table, [*loc, "column"], cond.column, None)
        if col is None:
            return
        if cond.op in (Op.is_yes, Op.not_yes) and col.type is not ColumnType.YES_NO:
            rep("CSC110", f"`{cond.op.value}` needs a yes_no column; `{col.name}` is {col.type.value}", [*loc, "op"])
        if cond.op in (Op.lt, Op.le, Op.gt, Op.ge, Op.between) and col.type not in ORDERED_TYPES:
            rep("CSC110", f"`{cond.op.value}` needs a number or date column; `{col.name}` is {col.type.value}",
                [*loc, "op"])
        values = cond.value if isinstance(cond.value, list) else [cond.value] if cond.value is not None else []
        allowed: list[str] | None = None
        if col.type is ColumnType.CODE and col.code_set in self.defs.code_sets:
            allowed = self.defs.code_sets[col.code_set].code_values()
        elif col.type is ColumnType.YES_NO:
            allowed = list(YES_NO_CODES)
        if allowed is not None:
            for i, v in enumerate(values):
                if str(v) not in allowed:
                    where = [*loc, "value", i] if isinstance(cond.value, list) else [*loc, "value"]
                    rep("CSC106", f"`{v}` is not a code of `{col.name}`", where,
                        _suggest(str(v), allowed) or f"codes: {', '.join(allowed[:20])}")


def _walk(conds: list[Any], base: list[Any]) -> Iterator[tuple[list[Any], Any]]:
    """Every condition with its location, descending into any/not (related filters are handled by the caller)."""
    for i, cond in enumerate(conds):
        loc = [*base, i]
        if isinstance(cond, AnyCondition):
            yield from _walk(cond.any, [*loc, "any"])
        elif isinstance(cond, AllCondition):
            yield from _walk(cond.all, [*loc, "all"])
        elif isinstance(cond, NotCondition):
            yield from _walk([cond.not_], [*loc, "not"])
        else:
            yield loc, cond


def _lait_codes() -> set[str] | None:
    try:
        from csc_metrics.reference import lait_measure_codes
    except ImportError:  # bundled benchmark data not built into this checkout
        return None
    return lait_measure_codes()


class _Columns(_Checker):
    """Walks the indicators as `_Checker` does, recording every column they name instead of checking it."""

    def __init__(self, defs: Definitions) -> None:
        super().__init__(defs)
        self.used: dict[str, set[str]] = {}

    def report(self, *args: Any, **kwargs: Any) -> None:
        pass

    def used_table(self, table: TableSchema) -> None:
        self.used.setdefault(table.id, set())

    def _column(self, rep: Any, table: TableSchema, loc: list[Any], name: str, want: set[ColumnType] | None):
        self.used.setdefault(table.id, set()).add(name)
        return super()._column(rep, table, loc, name, want)


def columns_used(defs: Definitions, indicators: list[AnyIndicator]) -> dict[str, set[str]]:
    """Per table id, the columns that `indicators` name (timing, filters, numerators, breakdowns, durations,
    related lists; a rate's count indicator too). The columns every table's rows need (child id, dates of
    birth, ages, keys) are the reader's to add."""
    walker = _Columns(defs)
    seen: set[tuple[str, str]] = set()
    todo = list(indicators)
    while todo:
        ind = todo.pop()
        if (ind.id, ind.source) in seen:
            continue
        seen.add((ind.id, ind.source))
        walker.indicator(ind)
        if isinstance(ind, RateIndicator) and ind.of in defs.indicators:
            todo.append(defs.recipe_of(ind))
        elif not isinstance(ind, RateIndicator) and (table := defs.table(ind.table)) is not None:
            walker.used.setdefault(table.id, set())
    return walker.used


def check_references(defs: Definitions) -> list[Diagnostic]:
    """All cross-reference problems in the definitions."""
    checker = _Checker(defs)
    checker.tables()
    checker.derived()
    checker.indicators()
    return checker.out
