"""`check`: validate definitions in stages and collect every problem.

1. YAML syntax and structure (pydantic), with positions;  2. cross-references (tables, columns, codes,
benchmarks, populations);  3. compile every indicator against empty frames of the declared schemas;
4. run the embedded tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from csc_metrics.cache import cache_dir, prune
from csc_metrics.diagnostics import Diagnostic
from csc_metrics.spec.indicators import AnyIndicator, EmbeddedTest, RateIndicator
from csc_metrics.spec.loader import Definitions, _pos, indicator_kind, load_definitions
from csc_metrics.spec.rules import check_references
from csc_metrics.spec.tables import ColumnType, TableSchema

DTYPES = {
    ColumnType.ID: pl.String, ColumnType.CODE: pl.String, ColumnType.YES_NO: pl.String, ColumnType.TEXT: pl.String,
    ColumnType.DATE: pl.Date, ColumnType.INTEGER: pl.Int64, ColumnType.NUMBER: pl.Float64,
}


@dataclass
class CheckReport:
    definitions: Definitions
    diagnostics: list[Diagnostic]
    tests_run: int = 0
    tests_failed: int = 0

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def empty_frame(table: TableSchema) -> pl.DataFrame:
    """A frame with no rows and the declared column types (what the reader produces)."""
    schema = {c.name: DTYPES[c.type] for c in table.columns}
    return pl.DataFrame(schema=schema)


_EMPTY: dict[int, tuple[TableSchema, pl.DataFrame]] = {}  # id(table) -> (table, its empty frame)


def empty_frames(defs: Definitions) -> dict[str, pl.DataFrame]:
    """`empty_frame` of every table, each made once per table object (every compile and test starts here)."""
    out = {}
    for t in defs.tables.values():
        hit = _EMPTY.get(id(t))
        if hit is None or hit[0] is not t:  # the table is kept in the entry, so its id is not reused
            hit = _EMPTY[id(t)] = (t, empty_frame(t))
        out[t.id] = hit[1]
    return out


def _where(defs: Definitions, ind_id: str, loc: list[Any],
           source: str = "annex_a") -> tuple[str | None, int | None, int | None]:
    located = defs.located.get((indicator_kind(source), ind_id))
    if located is None:
        return None, None, None
    return (located.file, *_pos(located.node, loc))


def compile_check(defs: Definitions, ind: AnyIndicator) -> Diagnostic | None:
    """Evaluate one indicator over empty frames: a bad column or type surfaces without any data."""
    from csc_metrics.engine.calendar import WorkingCalendar
    from csc_metrics.engine.periods import parse_period
    from csc_metrics.engine.run import Population, Settings, evaluate

    period = parse_period("2024-25 Q1")
    frames = empty_frames(defs)
    settings = Settings(periods=[period], as_at=period.end, calendar=WorkingCalendar(2023, 2026),
                        population=lambda p: Population(10000, 2024))
    try:
        evaluate(defs, [ind], frames, settings)
    except Exception as exc:  # polars reports the bad column or type
        file, line, col = _where(defs, ind.id, [], ind.source)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Diagnostic(code="CSC113", message=f"indicator `{ind.id}` does not compile: {first}", file=file,
                          line=line, col=col, indicator=ind.id,
                          hint="check the columns and operators against the table schema")
    return None


def run_embedded_test(defs: Definitions, ind: AnyIndicator, test: EmbeddedTest) -> str | None:
    """Run one embedded test; None when it passes, else what differed."""
    from csc_metrics.engine.calendar import WorkingCalendar
    from csc_metrics.engine.periods import parse_period
    from csc_metrics.engine.run import Population, Settings, evaluate
    from csc_metrics.io import frame_from_rows

    period = parse_period(test.period)
    as_at = test.as_at or period.end
    frames = empty_frames(defs)
    for name, rows in test.rows.items():
        table = defs.table(name)
        if table is None:
            return f"unknown table `{name}` in rows"
        frame, diags = frame_from_rows(table, defs.code_sets, rows)
        bad = [d for d in diags if d.is_error and d.code != "CSC203"]  # blanks in required columns are fine here
        if bad:
            return f"row data not readable: {bad[0].message}"
        frames[table.id] = frame
    if defs.derived:  # derived tables from the rows given for their inputs (rows given for one directly stay)
        from csc_metrics.engine.derive import build_derived

        given = {defs.table(n).id for n in test.rows if defs.table(n) is not None}  # type: ignore[union-attr]
        year_ending = period.end.year + (1 if period.end.month > 3 else 0)
        built = build_derived(defs, [ind], {t: f for t, f in frames.items() if t not in defs.derived or t in given},
                              {"year_ending": year_ending, "as_at": as_at})
        frames.update({t: f for t, f in built.items() if t not in given})
    start_year = min(period.start.year, as_at.year) - 3
    coverage = {t: (date(1900, 1, 1), max(as_at, period.end)) for t in frames}
    size = test.population
    settings = Settings(
        periods=[period], as_at=as_at, calendar=WorkingCalendar(start_year, as_at.year + 1),
        coverage=coverage,
        population=(lambda p: Population(size, p.start.year)) if size else None,
    )
    results = evaluate(defs, [ind], frames, settings)
    exp = test.expect
    rows = [r for r in results if r["period"] == period.label or r["as_at"] is not None]
    if exp.category is not None:
        rows = [r for r in rows if r["category"] == exp.category]
    if not rows:
        return f"no result for period {period.label}" + (f" and category {exp.category}" if exp.category else "")
    got = rows[0]
    problems = []
    for key in ("numerator", "denominator"):
        want = getattr(exp, key)
        if want is not None and (got[key] is None or abs(float(got[key]) - want) > 1e-9):
            problems.append(f"{key} {got[key]} (expected {want:g})")
    if exp.value is not None and (got["value"] is None or round(got["value"], 3) != round(exp.value, 3)):
        shown = "null" if got["value"] is None else f"{got['value']:.3f}"
        problems.append(f"value {shown} (expected {exp.value:g})")
    if exp.status is not None and got["status"] != exp.status:
        problems.append(f"status {got['status']} (expected {exp.status})")
    return "; ".join(problems) or None


def _code_digest() -> str:
    """What the outcome of compiling and testing definitions depends on besides the definitions: this
    package's source and the versions of Python, polars and pydantic."""
    import hashlib
    import sys

    import pydantic

    digest = hashlib.sha256(f"{sys.version}|{pl.__version__}|{pydantic.VERSION}".encode())
    package = Path(__file__).parent
    for source in sorted(package.rglob("*.py")):
        digest.update(str(source.relative_to(package)).encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()


def _clean_run_file(defs: Definitions, run_tests: bool) -> Path:
    import hashlib


    key = hashlib.sha256(f"{defs.content_hash}|{run_tests}|{_code_digest()}".encode()).hexdigest()
    return cache_dir() / f"check-clean-{key[:32]}"


def check_definitions(paths: list[Path], run_tests: bool = True, cache: bool = False) -> CheckReport:
    """Every problem in the definitions under `paths`, in file order.

    With `cache`, definitions whose every indicator compiled and passed its embedded tests are remembered (a
    marker in the user's cache folder, keyed by the definitions' content, this package's source and the
    polars, pydantic and Python versions), and the same definitions checked again skip compiling and testing:
    the outcome could not differ. A run with any problem is never remembered."""
    loaded = load_definitions(paths, cache=True, positions=True)  # parsed again only when a file changed
    defs = loaded.definitions
    diags = list(loaded.diagnostics)
    ref_diags = check_references(defs)
    diags.extend(ref_diags)
    report = CheckReport(defs, diags)
    marker = _clean_run_file(defs, run_tests) if cache and not diags else None
    if marker is not None:
        try:
            report.tests_run = int(marker.read_text())
            return report
        except (OSError, ValueError):
            pass  # not checked clean before: compile and test
    _compile_and_test(defs, report, run_tests, broken={d.indicator for d in ref_diags if d.indicator})
    if marker is not None and not report.diagnostics:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(str(report.tests_run))
            prune("check-clean-*")
        except OSError:
            pass  # a read-only home: no cache, same result
    return report


def _compile_and_test(defs: Definitions, report: CheckReport, run_tests: bool, broken: set[str]) -> None:
    """Stages 3 and 4: each indicator compiled over empty frames (but those in `broken`), then its embedded
    tests run. Appends to the report's diagnostics and sorts them."""
    diags = report.diagnostics
    for ind in defs.recipes.values() or defs.indicators.values():
        if ind.id in broken:
            continue
        if isinstance(ind, RateIndicator) and ind.of in broken:
            continue
        failure = compile_check(defs, ind)
        if failure is not None:
            diags.append(failure)
            continue
        if not run_tests:
            continue
        for i, test in enumerate(ind.tests):
            report.tests_run += 1
            try:
                problem = run_embedded_test(defs, ind, test)
            except Exception as exc:
                problem = f"error while running: {type(exc).__name__}: {exc}"
            if problem:
                report.tests_failed += 1
                file, line, col = _where(defs, ind.id, ["tests", i], ind.source)
                diags.append(Diagnostic(code="CSC114", message=f"embedded test '{test.name}' of `{ind.id}` failed: "
                                        f"{problem}", file=file, line=line, col=col, indicator=ind.id,
                                        hint="fix the definition or the expected values"))
    diags.sort(key=lambda d: (d.file or "", d.line or 0, d.col or 0))
