"""Derived tables: registered builders that turn input tables into the tables some indicators count
(periods of care, placements, CIN episodes...), run before `evaluate()`.

A builder is a pure function over polars frames, registered with `@derivation(name, inputs=[...])`; a
definitions file declares the table it builds under `derived:` (id, builder, inputs, output columns), so
indicators over it are YAML. `build_derived` builds only the derived tables the chosen indicators read (and
the derived tables those need), each once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from csc_metrics.errors import CscError
from csc_metrics.io.model import ROW, SRC

if TYPE_CHECKING:
    from csc_metrics.spec.derived import DerivedTable
    from csc_metrics.spec.indicators import AnyIndicator
    from csc_metrics.spec.loader import Definitions

Builder = Callable[..., pl.DataFrame]


class Unavailable(Exception):
    """Raised by a builder when the inputs lack what its table needs (the reason says what, and how to give it):
    the table is not built and the measures over it are `unavailable` with that reason."""


@dataclass(frozen=True)
class Derivation:
    """A registered builder: `fn(**frames)` gets one frame per input, by table id, and returns one frame."""

    name: str
    inputs: tuple[str, ...]
    fn: Builder
    description: str = ""


_REGISTRY: dict[str, Derivation] = {}


def derivation(name: str, inputs: list[str] | tuple[str, ...]) -> Callable[[Builder], Builder]:
    """Register `fn` as the builder `name`, reading the tables `inputs` (passed as keyword arguments)."""

    def register(fn: Builder) -> Builder:
        _REGISTRY[name] = Derivation(name, tuple(inputs), fn, (fn.__doc__ or "").strip().split("\n")[0])
        return fn

    return register


def registry() -> dict[str, Derivation]:
    """Every registered builder, by id (the builders shipped with csc-metrics are registered on first use)."""
    _load_builtin()
    return dict(_REGISTRY)


def _load_builtin() -> None:
    from csc_metrics.engine import derive_builtin  # noqa: F401  (registers on import)


def needed(defs: Definitions, indicators: list[AnyIndicator]) -> list[str]:
    """The derived tables the indicators read, with the derived tables they are built from, inputs first."""
    from csc_metrics.engine.run import source_tables

    order: list[str] = []

    def visit(table_id: str, seen: frozenset[str]) -> None:
        d = defs.derived.get(table_id)
        if d is None or table_id in order:
            return
        if table_id in seen:
            raise CscError(f"derived table `{table_id}` is built from itself", "fix the `inputs` of the derived tables")
        for i in d.inputs:
            visit(i, seen | {table_id})
        order.append(table_id)

    for ind in indicators:
        for t in source_tables(ind, defs):
            table = defs.table(t)
            visit(table.id if table else t, frozenset())
    return order


def build_derived(defs: Definitions, indicators: list[AnyIndicator],
                  frames: dict[str, pl.DataFrame], context: dict[str, Any] | None = None,
                  unavailable: dict[str, str] | None = None) -> dict[str, pl.DataFrame]:
    """`frames` plus every derived table the indicators need whose inputs are all present (a derived table
    whose input is absent is left out: its indicators are `no_data`, like any absent table).
    `context`: extra keyword arguments a builder may declare (e.g. `year_ending`). `unavailable`: filled with
    table id -> reason for each table whose builder raised `Unavailable`."""
    out = dict(frames)
    builders = registry()
    for table_id in needed(defs, indicators):
        d = defs.derived[table_id]
        if not all(i in out for i in d.inputs):
            continue
        try:
            out[table_id] = build_one(d, builders, out, context or {})
        except Unavailable as exc:
            if unavailable is not None:
                unavailable[table_id] = str(exc)
    return out


def build_one(d: DerivedTable, builders: dict[str, Derivation], frames: dict[str, pl.DataFrame],
              context: dict[str, Any]) -> pl.DataFrame:
    """One derived table, checked against its declared columns (a builder returning fewer columns, or a
    column of another type, stops the run naming the table)."""
    import inspect

    b = builders.get(d.builder)
    if b is None:
        raise CscError(f"derived table `{d.id}`: unknown builder `{d.builder}`", "run `csc-metrics check`")
    args = {i: frames[i] for i in b.inputs}
    params = inspect.signature(b.fn).parameters
    args.update({k: v for k, v in context.items() if k in params})
    frame = _typed(b.fn(**args), d)
    from csc_metrics.io.convert import DTYPES

    wrong = []
    for col in d.columns:
        dtype = frame.schema.get(col.name)
        want = DTYPES[col.type]
        if dtype is None or not (dtype == want or (want == pl.String and isinstance(dtype, pl.Categorical | pl.Enum))):
            wrong.append(f"{col.name} ({dtype or 'missing'}, declared {col.type.value})")
    if wrong:
        raise CscError(f"derived table `{d.id}` (builder `{d.builder}`) does not match its declaration: "
                       + ", ".join(wrong), "fix the `columns` of the derived table or the builder")
    extra = [c for c in (SRC, ROW) if c in frame.columns]
    from csc_metrics.io.convert import with_number_key

    return with_number_key(frame.select(*(c.name for c in d.columns), *extra), d.child_id)


def _typed(frame: pl.DataFrame, d: DerivedTable) -> pl.DataFrame:
    """A builder's frame in the column types of the definitions: booleans declared `yes_no` as Y/N, any whole
    number declared `integer` as Int64, code columns as text."""
    from csc_metrics.spec.tables import ColumnType

    casts = []
    for col in d.columns:
        dtype = frame.schema.get(col.name)
        if dtype is None:
            continue
        if col.type is ColumnType.YES_NO and dtype == pl.Boolean:
            casts.append(pl.when(pl.col(col.name)).then(pl.lit("Y")).when(pl.col(col.name).not_()).then(pl.lit("N"))
                         .otherwise(None).alias(col.name))
        elif col.type is ColumnType.INTEGER and dtype.is_integer() and dtype != pl.Int64:
            casts.append(pl.col(col.name).cast(pl.Int64))
        elif col.type is ColumnType.NUMBER and dtype.is_numeric() and dtype != pl.Float64:
            casts.append(pl.col(col.name).cast(pl.Float64))
        elif col.type in (ColumnType.CODE, ColumnType.TEXT, ColumnType.ID) and isinstance(dtype, pl.Categorical | pl.Enum):
            casts.append(pl.col(col.name).cast(pl.String))
    return frame.with_columns(casts) if casts else frame
