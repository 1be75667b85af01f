"""The `compute` API: read extracts, evaluate indicators for every period, compare with the previous period,
record the run. Returns the payload of `compute --format json` (the contract in spec/cli.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from csc_metrics import __version__
from csc_metrics.config import Config
from csc_metrics.diagnostics import Diagnostic, Severity
from csc_metrics.engine.calendar import calendar_for_span
from csc_metrics.engine.periods import (
    Period,
    financial_year_start,
    parse_granularity_or_labels,
    periods_between,
)
from csc_metrics.engine.run import Population, Settings, evaluate, kind_of
from csc_metrics.errors import CscError, DefinitionsError
from csc_metrics.io.model import ReadResult
from csc_metrics.results import (
    Kind,
    Result,
    Source,
    Status,
    Unit,
    direction_of,
    shown_change,
    uncovered,
    verdict,
)
from csc_metrics.spec.indicators import AnyIndicator, BreakdownIndicator, FlowTiming, RateIndicator
from csc_metrics.spec.loader import Definitions, default_definitions_path, load_definitions
from csc_metrics.spec.rules import check_references, columns_used
from csc_metrics.spec.tables import ColumnType

MAX_DIAGNOSTICS = 1000


@dataclass
class ComputeOptions:
    paths: list[Path]
    definitions: Path | None = None
    la: str | None = None
    period: list[str] = field(default_factory=lambda: ["quarter"])
    as_at: date | None = None
    indicators: list[str] = field(default_factory=list)
    section: str | None = None
    store: Path | None = None
    use_store: bool = True
    config: Config = field(default_factory=Config)
    merge: bool = False  # overlapping files of one list: union them instead of stopping
    strict: bool = False  # read and check every column (else only those the indicators and checks use)
    source: str | None = None  # `--source`: only recipes of this source (annex_a, ssda903, cin_census)
    postcodes: Path | None = None  # `--postcodes`: ONS postcode directory CSV for placement distances
    year: int | None = None  # `--year`: the collection year of SSDA903/CIN returns read (year ending)


def load_checked_definitions(path: Path | None) -> Definitions:
    """Definitions for computing: any error in them stops the run (run `csc-metrics check` for details)."""
    target = default_definitions_path(path)
    loaded = load_definitions([target], cache=True)
    problems = [d for d in loaded.diagnostics if d.is_error] + check_references(loaded.definitions)
    if problems:
        first = problems[0]
        raise DefinitionsError(
            f"the definitions in {target} have {len(problems)} problem(s), first: {first.render()}",
            f"run `csc-metrics check {target}`",
        )
    return loaded.definitions


def select_indicators(defs: Definitions, ids: list[str], section: str | None) -> list[AnyIndicator]:
    unknown = [i for i in ids if i not in defs.indicators]
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], list(defs.indicators), n=1)
        raise CscError(f"unknown indicator `{unknown[0]}`",
                       f"did you mean `{close[0]}`?" if close else "see `csc-metrics check` or the README list")
    chosen = [defs.indicators[i] for i in ids] if ids else list(defs.indicators.values())
    if section:
        chosen = [i for i in chosen if i.section == section]
    return chosen


def recipes_of(defs: Definitions, indicators: list[AnyIndicator], source: str | None = None) -> list[AnyIndicator]:
    """Every recipe (one per source) of the indicators' ids, or only those of `source`."""
    ids = list(dict.fromkeys(i.id for i in indicators))
    return [r for i in ids for (rid, src), r in defs.recipes.items() if rid == i and source in (None, src)] \
        or ([] if source else indicators)


def available(defs: Definitions, table_id: str, loaded: set[str] | dict[str, Any]) -> bool:
    """A table is loaded, or is a derived table whose inputs are (so it can be built)."""
    if table_id in loaded:
        return True
    d = defs.derived.get(table_id)
    return d is not None and all(available(defs, i, loaded) for i in d.inputs)


def choose_recipes(defs: Definitions, indicators: list[AnyIndicator], loaded: set[str] | dict[str, Any],
                   source: str | None = None, keep_all: bool = True) -> tuple[Definitions, list[AnyIndicator]]:
    """For each id, the recipe a run uses: with `source`, that source's recipe (ids without one are left out);
    else the first recipe, in `SOURCE_PREFERENCE` order (the DfE returns before Annex A), whose tables are all
    loaded, else the default recipe (whose figures say which table is missing). Returns the definitions with
    those recipes in use (rates then divide the count of their own source) and the chosen indicators. Without
    `keep_all` (no ids asked for), an id with recipes only for returns none of which is loaded is left out: an
    Annex A run does not list the return-only measures as missing data."""
    from csc_metrics.engine.run import source_tables
    from csc_metrics.spec.indicators import SOURCE_PREFERENCE

    chosen: dict[str, AnyIndicator] = {}
    for ind in indicators:
        if ind.id in chosen:
            continue
        options = {src: defs.recipes[(ind.id, src)] for src in defs.sources(ind.id)} or {ind.source: ind}
        if source is not None:
            if source in options:
                chosen[ind.id] = options[source]
            continue
        ready = [options[s] for s in SOURCE_PREFERENCE if s in options
                 and all(available(defs, t, loaded) for t in source_tables(options[s], defs.with_recipes({ind.id: options[s]})))]
        if ready:
            chosen[ind.id] = ready[0]
        elif keep_all or "annex_a" in options:
            chosen[ind.id] = defs.indicators.get(ind.id, ind)
    return defs.with_recipes(chosen), list(chosen.values())


def default_as_at(defs: Definitions, frames: dict[str, pl.DataFrame]) -> date | None:
    """The latest date in any date column other than date of birth (dates after today are typos, ignored)."""
    today = date.today()
    latest: date | None = None
    for table_id, frame in frames.items():
        table = defs.tables[table_id]
        cols = [c.name for c in table.columns if c.type is ColumnType.DATE and c.name != table.date_of_birth]
        if not cols or frame.height == 0:
            continue
        row = frame.select(pl.max_horizontal([pl.col(c).filter(pl.col(c) <= today).max() for c in cols])).row(0)
        if row[0] is not None and (latest is None or row[0] > latest):
            latest = row[0]
    return latest


def event_columns(defs: Definitions) -> dict[str, set[str]]:
    """Per table, the dates that record events: flow dates, stock end dates and the schema's event date."""
    cols: dict[str, set[str]] = {}
    for ind in defs.recipes.values() or defs.indicators.values():
        if isinstance(ind, RateIndicator) or (table := defs.table(ind.table)) is None:
            continue
        t = ind.timing
        found = cols.setdefault(table.id, {table.event_date} if table.event_date else set())
        event = t.date if isinstance(t, FlowTiming) else getattr(t, "date", None) or getattr(t, "end", None)
        if event:
            found.add(event)
    return cols


def table_coverage(defs: Definitions, frames: dict[str, pl.DataFrame], as_at: date,
                   config: Config, periods: dict[str, tuple[date, date]] | None = None) -> dict[str, tuple[date, date]]:
    """What each list covers, to the as-at date (all lists are extracted on one date). It starts at the stated
    window start (config `coverage_start`), else where every kind of event the list records has begun: the latest
    of the earliest dates of its event columns. Referrals, plan endings, cessations all start at the window,
    while open cases keep older start dates that do not count as coverage.
    `periods`: tables read from statutory returns, covering their collection periods (`ReadResult.coverage`),
    to the as-at date at most; a derived table covers what all its inputs cover."""
    out: dict[str, tuple[date, date]] = {}
    events = event_columns(defs)
    for table_id, (lo, hi) in (periods or {}).items():
        if table_id in frames:
            out[table_id] = (lo, min(hi, as_at))
    for table_id, frame in frames.items():
        table = defs.tables[table_id]
        if table_id in out:
            continue
        if table_id in defs.derived:
            spans = [out[i] for i in defs.derived[table_id].inputs if i in out]
            if spans:
                out[table_id] = (max(s for s, _ in spans), min(e for _, e in spans))
            continue
        start = config.coverage_start.get(table_id) or (config.coverage_start.get(table.alias) if table.alias else None)
        cols = sorted(events.get(table_id) or ({table.event_date} if table.event_date else set()))
        if start is None and cols and frame.height:
            firsts = [d for d in frame.select(pl.col(c).min() for c in cols).row(0) if d is not None]
            start = max(firsts) if firsts else None
        if start is not None:
            out[table_id] = (start, as_at)
    return out


def run_periods(spec: list[str], defs: Definitions, coverage: dict[str, tuple[date, date]],
                as_at: date) -> list[Period]:
    """Explicit labels, or every period of the granularity from the earliest coverage of a list that
    indicators count, to the as-at date or the end of that coverage if earlier (a period the inputs share no
    day with would hold only carried-over stocks and zero flows). A label the inputs do not cover at all
    stops the run."""
    parsed = parse_granularity_or_labels(spec)
    if isinstance(parsed, list):
        require_covered(parsed, defs, coverage)
        return parsed
    span = covered_span(defs, coverage)
    # to the as-at date, but never past the inputs: returns cover to their last 31 March, whatever --as-at says
    return periods_between(span[0], min(as_at, span[1]), parsed) if span else []


def covered_span(defs: Definitions, coverage: dict[str, tuple[date, date]]) -> tuple[date, date] | None:
    """From the earliest start to the latest end of the coverage of the lists that indicators count."""
    counted = event_columns(defs)
    spans = [cov for t, cov in coverage.items() if t in counted]
    return (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None


def require_covered(periods: list[Period], defs: Definitions, coverage: dict[str, tuple[date, date]]) -> None:
    """Stop when a period asked for shares no day with the inputs (its figures would be zeros), naming the
    periods they do cover. A period partly covered is computed, with status `incomplete`."""
    span = covered_span(defs, coverage)
    if span is None:
        return  # no list with dates: `compute` says the inputs cover no period
    lo, hi = span
    missing = [p for p in periods if p.end < lo or p.start > hi]
    if not missing:
        return
    covered = periods_between(lo, hi, missing[0].granularity)
    names = ", ".join(f"`{p.label}`" for p in missing)
    raise CscError(
        f"the inputs do not cover {names}: they hold events from {lo.isoformat()} to {hi.isoformat()}, "
        f"that is {covered[0].label} to {covered[-1].label}",
        f"ask for a period they cover, e.g. -p \"{covered[-1].label}\", or add the extract that covers "
        f"{missing[0].label}",
    )


def returns_as_at(read: ReadResult, as_at: date | None) -> date | None:
    """The default as-at date with returns read: 31 March of the latest collection year that is over (a return
    covers its whole year), unless an Annex A list holds a later date. A return of a year not yet over is not
    computed without `--as-at` (a warning, CSC225), and stops the run when it is all there is."""
    today = date.today()
    ends = {r.period.end: r for r in read.returns if r.period is not None and r.format != "annex_a"}
    over = [e for e in ends if e <= today]
    if over and (as_at is None or max(over) > as_at):
        as_at = max(over)
    for end in sorted(e for e in ends if e > today):
        r = ends[end]
        files = sorted({s.label for td in r.tables.values() for s in td.sources})
        what = f"{files[0]}{f' (and {len(files) - 1} more file(s))' if len(files) > 1 else ''} holds the " \
               f"{r.period.label if r.period else ''} return, a collection year not over until {end.isoformat()}"
        hint = "pass --as-at DATE (the date it was extracted) to compute the part of the year it covers"
        if as_at is None:
            raise CscError(f"{what}: there is no complete year to compute", hint)
        read.diagnostics.append(Diagnostic(code="CSC225", severity=Severity.WARNING, file=files[0] if files else None,
                                           message=f"{what}: computed to {as_at.isoformat()} only", hint=hint))
    return as_at


@dataclass
class Inputs:
    """What a run reads, ready for the engine: the tables, repeated rows counted by each list's rule."""

    read: ReadResult
    frames: dict[str, pl.DataFrame]
    as_at: date
    coverage: dict[str, tuple[date, date]]
    duplicates: list[dict[str, Any]]  # {table, rule, rows_dropped}: rows a `one_per_key` rule did not count
    unavailable: dict[str, str] = field(default_factory=dict)  # derived table -> why it cannot be built


def prepare_inputs(paths: list[Path], defs: Definitions, config: Config, as_at: date | None = None, *,
                   merge: bool = False, columns: Mapping[str, set[str]] | None = None,
                   indicators: list[AnyIndicator] | None = None, year: int | None = None,
                   postcodes: Path | None = None) -> Inputs:
    """Read the extracts (overlapping files of one list stop the run unless `merge`), count repeated rows by each
    list's `duplicates` rule, and work out the as-at date and each list's coverage. Shared by `compute` and
    `explain`, so both count the same rows. `columns`: only these per table (`read_tables`; None: all).
    `indicators`: build the derived tables they read (`engine.derive`, only those). `year`: the collection
    year of the DfE returns read (`--year`). A return covers its collection period (coverage from
    `Return.period`), so without `as_at` the as-at date is at least the end of the latest return read.
    `postcodes`: the ONS postcode lookup for placement distances (`--postcodes`)."""
    from csc_metrics.engine.derive import build_derived
    from csc_metrics.io import read_inputs
    from csc_metrics.io.overlaps import apply_duplicate_rules

    read = read_inputs(paths, defs, merge=merge, columns=columns, year=year)
    duplicates = apply_duplicate_rules(read.tables)
    frames = {tid: td.frame for tid, td in read.tables.items()}
    if as_at is None:
        # a return's dates after its 31 March (an ICPC target, a DEC after the year end) do not move the as-at
        as_at = default_as_at(defs, {t: f for t, f in frames.items() if t not in read.coverage})
        as_at = returns_as_at(read, as_at)
    if as_at is None:
        raise CscError(f"{', '.join(str(p) for p in paths)}: no dates found in the inputs, so there is no "
                       "period to compute", "check that the files are Annex A lists with dates, or pass --as-at")
    unavailable: dict[str, str] = {}
    if indicators and defs.derived:
        years = [r.period.end.year for r in read.returns if r.period is not None]
        context = {"year_ending": max(years) if years else None, "as_at": as_at, "postcodes": postcodes}
        frames = build_derived(defs, indicators, frames, context, unavailable)
    return Inputs(read, frames, as_at, table_coverage(defs, frames, as_at, config, read.coverage), duplicates,
                  unavailable)


def population_lookup(la: str | None) -> Any:
    if la is None:
        return None
    from csc_metrics.reference import population_0_17

    @cache
    def by_year(mid_year: int) -> Population:
        pop = population_0_17(la, mid_year)
        return Population(pop.value, pop.year, pop.warning)

    def for_period(p: Period) -> Population:
        return by_year(financial_year_start(p.start))

    return for_period


def add_previous(results: list[dict[str, Any]], store_values: dict[tuple[str, str, str | None], float | None]) -> None:
    """Previous period's value: from this run when complete there, otherwise from the history store (complete
    figures only). Direction and verdict are decided on the values as displayed (`results.verdict`); an
    incomplete figure gets neither."""
    in_run = {(r["indicator"], r["period"], r["category"]): r for r in results}
    for r in results:
        period: Period = r["period_obj"]
        prev_label = period.previous().label
        key = (r["indicator"], prev_label, r["category"])
        prev = in_run.get(key)
        if prev is not None:
            prev_value = prev["value"] if prev["status"] == "ok" else None
        else:
            prev_value = store_values.get(key)
        change = None if prev_value is None or r["value"] is None else r["value"] - prev_value
        judged = r["status"] == "ok" and change is not None
        moved = shown_change(r["value"], prev_value, r["unit"]) if judged else None
        r.update(previous_period=prev_label, previous_value=prev_value, change=change,
                 direction=direction_of(moved), assessment=verdict(moved, r["polarity"]))


def _category_labels(defs: Definitions, ind: AnyIndicator) -> dict[str, str]:
    if not isinstance(ind, BreakdownIndicator):
        return {}
    table = defs.table(ind.table)
    column = table.column(ind.by) if table else None
    if column is None or column.code_set is None or column.code_set not in defs.code_sets:
        return {}
    return {c.code: c.label for c in defs.code_sets[column.code_set].codes}


def _public_result(r: dict[str, Any], ind: AnyIndicator, kind: str, labels: dict[str, str]) -> dict[str, Any]:
    """The typed result, built once, as the payload carries it."""
    findings = r.get("findings")
    result = Result(
        indicator=r["indicator"], title=ind.title, section=ind.section.value, kind=Kind(kind),
        period=r["period_obj"], complete=r["complete"], as_at=r["as_at"], category=r["category"],
        category_label=labels.get(r["category"]) if r["category"] is not None else None,
        numerator=r["numerator"], denominator=r["denominator"], value=r["value"], unit=Unit(r["unit"]),
        annualised=r["annualised"], polarity=ind.polarity.value, previous_period=r["previous_period"],
        previous_value=r["previous_value"], change=r["change"], direction=r["direction"],
        assessment=r["assessment"], status=Status(r["status"]),
        findings=findings if findings is not None else r.get("warnings") or [],
        source=Source(r.get("source") or "annex_a"),
        benchmark=ind.benchmark.model_dump() if ind.benchmark else None,
    )
    return result.to_dict()


def _diagnostics_json(diags: list[Diagnostic]) -> list[dict[str, Any]]:
    """Data-quality diagnostics for the payload, without cell values (they may be child-level data)."""
    out = []
    for d in diags[:MAX_DIAGNOSTICS]:
        item = {"code": d.code, "severity": d.severity.value, "file": d.file, "row": d.line, "column": d.column,
                "message": d.message}
        if d.sheet:
            item["sheet"] = d.sheet
        if d.element:  # XML returns: the element path (`row` is its line)
            item["element"] = d.element
        if d.count:
            item["count"] = d.count
        out.append(item)
    if len(diags) > MAX_DIAGNOSTICS:
        out.append({"code": "CSC219", "severity": "info", "file": None, "row": None, "column": None,
                    "message": f"{len(diags) - MAX_DIAGNOSTICS} more diagnostics: run `csc-metrics validate` "
                               "with --output for the full list"})
    return out


@dataclass
class ComputeResult:
    payload: dict[str, Any]
    diagnostics: list[Diagnostic]
    run_id: str | None = None
    stored: bool = False

    @property
    def data_errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]


def compute(opts: ComputeOptions) -> ComputeResult:
    """Read, evaluate, compare with the previous period and (unless disabled) record the run."""
    config = opts.config
    defs = load_checked_definitions(opts.definitions or config.definitions)
    indicators = select_indicators(defs, opts.indicators, opts.section)
    candidates = recipes_of(defs, indicators, opts.source)
    if not candidates:
        raise CscError(f"no indicator chosen has a `{opts.source}` recipe",
                       "drop --source, or choose indicators computed from that source (see `csc-metrics check`)")
    la = opts.la or config.la
    if la is not None:
        from csc_metrics.reference import la_info

        la_info(la)  # unknown code -> clear error now, not a silent missing rate
    inputs_read = prepare_inputs(opts.paths, defs, config, opts.as_at, merge=opts.merge,
                                 columns=None if opts.strict else columns_used(defs, candidates),
                                 indicators=candidates, year=opts.year, postcodes=opts.postcodes)
    read, frames, as_at, coverage = inputs_read.read, inputs_read.frames, inputs_read.as_at, inputs_read.coverage
    loaded = {**frames, **dict.fromkeys(inputs_read.unavailable)}  # an unbuildable table: its recipe says why
    defs, indicators = choose_recipes(defs, candidates, loaded, opts.source, keep_all=bool(opts.indicators))
    periods = run_periods(opts.period, defs, coverage, as_at)
    if not periods:
        raise CscError(f"{', '.join(str(p) for p in opts.paths)}: the inputs cover no period",
                       "pass --period with explicit labels, e.g. 2024-25")
    span_start = min([p.start for p in periods] + [c[0] for c in coverage.values()])
    calendar = calendar_for_span(span_start, max(as_at, periods[-1].end), config.closures, config.working_days)
    pop = population_lookup(la)
    settings = Settings(periods=periods, as_at=as_at, calendar=calendar, coverage=coverage, population=pop,
                        unavailable=inputs_read.unavailable)
    raw = evaluate(defs, indicators, frames, settings)
    ind_by_id = {i.id: i for i in indicators}
    for r in raw:
        r["polarity"] = ind_by_id[r["indicator"]].polarity.value
        r["source"] = ind_by_id[r["indicator"]].source  # the recipe's source (`check`: it reads only that source)
        if r["status"] == "ok" and uncovered(r):
            r["status"] = "incomplete"  # a window the inputs do not cover: never "ok with a mark"
    store = None
    store_values: dict[tuple[str, str, str | None], float | None] = {}
    if opts.use_store:
        from csc_metrics.store import HistoryStore, default_store_path

        store = HistoryStore(opts.store or config.store or default_store_path())
        for src in sorted({r["source"] for r in raw}):  # a previous figure of another source is no previous
            keys = [(r["indicator"], r["period_obj"].previous().label, r["category"]) for r in raw if r["source"] == src]
            store_values.update(store.previous_values(la, keys, src))
    add_previous(raw, store_values)
    kinds = {i.id: kind_of(i, defs) for i in indicators}
    labels = {i.id: _category_labels(defs, i) for i in indicators}
    results = [_public_result(r, ind_by_id[r["indicator"]], kinds[r["indicator"]], labels[r["indicator"]]) for r in raw]
    pop_meta = None
    if pop is not None:
        latest = pop(periods[-1])
        pop_meta = {"source": "ONS mid-year estimates, children aged 0-17", "year": latest.year,
                    "value": latest.value}
    inputs = [
        {"path": s.path, "sheet": s.sheet, "sha256": s.sha256, "table": tid, "rows": s.rows,
         "coverage": [s.coverage[0].isoformat(), s.coverage[1].isoformat()] if s.coverage else None}
        for tid, td in read.tables.items() for s in td.sources
    ]
    payload: dict[str, Any] = {
        "schema_version": 1,
        "metadata": {
            "tool_version": __version__, "definitions_hash": defs.content_hash, "la_code": la,
            "as_at": as_at.isoformat(), "inputs": inputs, "calendar": calendar.metadata(), "population": pop_meta,
            "periods": [p.label for p in periods],
            "merged": read.merged, "duplicates": inputs_read.duplicates,
        },
        "results": results,
        "diagnostics": _diagnostics_json([d for d in read.diagnostics if d.severity is not Severity.INFO]),
    }
    out = ComputeResult(payload, read.diagnostics)
    if store is not None:
        out.run_id, out.stored = store.write_run(payload)
        payload["metadata"]["run_id"] = out.run_id
    return out
