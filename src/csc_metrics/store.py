"""The history store: every `compute` run, with provenance and results, in an embedded SQLite database.

- Default path `.csc-metrics/history.sqlite` under the working directory; `--store` or `CSC_METRICS_STORE`
  moves it.
- The schema is created and upgraded by the tool (`store_schema`: every layout it wrote is recognised by its
  columns and upgraded in place; anything else is refused, unchanged, with what to do).
- A read-only store (file or folder) can be read: it is opened read-only (and upgraded in memory when older).
- Results of different sources (`annex_a`, `ssda903`, `cin_census`) are never joined in one series.
- Each run is written in one `BEGIN IMMEDIATE` transaction: a run killed half-way leaves nothing, and two
  processes writing at once wait for each other (WAL mode, busy timeout) instead of corrupting the file.
- Re-running on the same inputs (set of sha256s), definitions hash, LA, as-at date, with the same figures,
  does not duplicate: `write_run` returns the existing run id. Different figures (e.g. other indicators or
  periods asked for, a changed calendar or population) make a new run.
- For display, the latest run covering an (indicator, period) supersedes earlier ones; earlier runs stay
  queryable. A run whose figure for that period is complete beats a later one where it is incomplete, and a
  run without the source list (`no_data`) never supersedes one with data.

Only aggregates are stored (no child-level data).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from csc_metrics.errors import CscError
from csc_metrics.results import uncovered
from csc_metrics.store_schema import SCHEMA_VERSION, granularity_of, known_layout, layout, upgrade

STORE_ENV = "CSC_METRICS_STORE"
DEFAULT_STORE = Path(".csc-metrics") / "history.sqlite"
BUSY_TIMEOUT_MS = 60_000

_RESULT_COLUMNS = (
    "period, period_start, period_end, granularity, category, value, numerator, denominator, unit, status, "
    "complete, annualised, as_at, source"
)
# Which run wins an (indicator, period) for display: complete beats incomplete beats no_data, then the latest.
_QUALITY = "MAX(CASE WHEN r.status = 'no_data' THEN 0 WHEN r.complete THEN 2 ELSE 1 END)"


def default_store_path(cwd: Path | None = None) -> Path:
    """`$CSC_METRICS_STORE` if set, else `.csc-metrics/history.sqlite` under the working directory."""
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env)
    return (cwd or Path.cwd()) / DEFAULT_STORE


def resolve_store_path(option: Path | None, config_store: Path | None = None) -> tuple[Path, bool]:
    """The store to use and whether the user named it: `--store` or env, the config file, else the default."""
    if option is not None:
        return option, True
    if os.environ.get(STORE_ENV):
        return Path(os.environ[STORE_ENV]), True
    if config_store is not None:
        return config_store, True
    return default_store_path(), False


def _json_default(obj: object) -> str:
    if isinstance(obj, date | datetime):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def _dumps(obj: object) -> str:
    return json.dumps(obj, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def _num_key(v: object) -> object:
    """Numbers rounded to 9 significant digits, so float noise does not defeat de-duplication."""
    return f"{v:.9g}" if isinstance(v, float) else v


def _coverage(item: dict[str, Any]) -> tuple[Any, Any]:
    cov = item.get("coverage") or (None, None)
    return (cov[0], cov[1]) if len(cov) == 2 else (None, None)


def _la(la_code: object) -> str | None:
    return None if la_code is None else str(la_code)


def _as_bool(v: object) -> bool | None:
    return None if v is None else bool(v)


class HistoryStore:
    """Runs and results of `compute` in a SQLite file. Reading a missing store creates nothing."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._migrated = False

    # -- connection -------------------------------------------------------------------------------------

    def _error(self, exc: sqlite3.Error) -> CscError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return CscError(
                f"{self.path}: the history store is busy (another csc-metrics is writing to it)", "try again"
            )
        if "full" in text:
            return CscError(
                f"{self.path}: the disk is full, so this run was not recorded; the runs stored before are intact",
                "free some space and run again, or pass --store on another disk, or --no-store",
            )
        if "readonly" in text or "read-only" in text:
            return CscError(
                f"{self.path}: the history store is read-only, so this run was not recorded",
                "pass --no-store, or --store with a path you can write to",
            )
        if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
            return CscError(
                f"{self.path}: not a readable csc-metrics history store ({text})",
                "move the file away (e.g. rename it to history.sqlite.bad) and run again, or use --store",
            )
        return CscError(
            f"{self.path}: history store error: {text}", "check the --store path and its permissions"
        )

    def _writable(self) -> bool:
        """Whether the store (and its folder, where SQLite keeps the journal) may be written."""
        folder = self.path.parent if str(self.path.parent) else Path(".")
        return os.access(self.path, os.W_OK) and os.access(folder, os.W_OK)

    def _open_read_only(self) -> sqlite3.Connection:
        """The store opened read-only; in memory (a copy, upgraded there) when its layout is older."""
        uri = self.path.resolve().as_uri()
        try:
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.Error:  # a WAL store in a read-only folder: no shared memory file can be made
            conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)
        if layout(conn) == "2":
            return conn
        memory = sqlite3.connect(":memory:", isolation_level=None)
        conn.backup(memory)
        conn.close()
        memory.execute("BEGIN")
        upgrade(memory, self.path)
        memory.execute("COMMIT")
        return memory

    @contextmanager
    def _connect(self, create: bool) -> Iterator[sqlite3.Connection | None]:
        """A connection (WAL, busy timeout, schema up to date); None when reading a missing store."""
        if self.path.is_dir():
            raise CscError(f"{self.path}: is a folder, not a history store", "give --store a file path")
        if not self.path.exists():
            if not create:
                yield None
                return
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CscError(f"{self.path}: cannot create the history store ({exc.strerror})",
                               "pass --no-store, or --store with a path you can write to") from exc
        try:
            if not create and not self._writable():
                conn = self._open_read_only()
            else:
                conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            for pragma in self._pragmas:
                conn.execute(pragma)
            if create and self.path.exists() and not self._writable():
                raise CscError(f"{self.path}: the history store is read-only, so this run was not recorded",
                               "pass --no-store, or --store with a path you can write to")
            if create or self._writable():
                if not self._migrated:
                    known_layout(conn, self.path)  # refuse a database not ours before touching it
                _use_wal(conn)
                conn.execute("PRAGMA foreign_keys = ON")
                if not self._migrated:
                    self._migrate(conn)
                    self._migrated = True
            yield conn
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        finally:
            conn.close()

    _pragmas: tuple[str, ...] = ()  # extra pragmas on every connection (tests: `max_page_count` for a full disk)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION and layout(conn) == "2":
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION or layout(conn) != "2":
                upgrade(conn, self.path)  # (another process may have upgraded it meanwhile)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    # -- writing ----------------------------------------------------------------------------------------

    def write_run(self, payload: dict[str, Any]) -> tuple[str, bool]:
        """Record a `compute --format json` payload as one run; returns (run_id, created).

        `created` is False when an identical run (same input sha256s, definitions hash, LA, as-at and figures)
        is already stored; its run id is returned and nothing is written.
        """
        meta = payload.get("metadata")
        results = payload.get("results")
        if not isinstance(meta, dict) or not isinstance(results, list):
            raise ValueError("payload needs a `metadata` dict and a `results` list")
        la_code = _la(meta.get("la_code"))
        as_at = meta.get("as_at")
        as_at = as_at.isoformat() if isinstance(as_at, date) else as_at
        inputs = list(meta.get("inputs") or [])
        result_rows = [self._result_row(i, r) for i, r in enumerate(results)]
        key = self._dedup_key(meta, la_code, as_at, inputs, results)
        # the results are stored row by row; the run id is the store's (latest_payload puts it back)
        shell = {k: ([] if k == "results" else v) for k, v in payload.items()}
        shell["metadata"] = {k: v for k, v in meta.items() if k != "run_id"}
        run_id = uuid.uuid4().hex
        created_at = datetime.now(UTC).isoformat(timespec="microseconds")

        with self._connect(create=True) as conn:
            assert conn is not None
            conn.execute("BEGIN IMMEDIATE")
            try:
                found = conn.execute("SELECT run_id FROM runs WHERE dedup_key = ?", (key,)).fetchone()
                if found is not None:
                    conn.execute("ROLLBACK")
                    return found[0], False
                cur = conn.execute(
                    "INSERT INTO runs (run_id, created_at, tool_version, definitions_hash, la_code, as_at, "
                    "dedup_key, n_results, payload_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        run_id,
                        created_at,
                        meta.get("tool_version"),
                        meta.get("definitions_hash"),
                        la_code,
                        as_at,
                        key,
                        len(results),
                        _dumps(shell),
                    ),
                )
                pk = cur.lastrowid
                conn.executemany(
                    "INSERT INTO inputs (run_pk, seq, path, sha256, table_id, rows, coverage_start, coverage_end) "
                    "VALUES (?,?,?,?,?,?,?,?)",
                    [
                        (pk, i, str(x.get("path")), x.get("sha256"), x.get("table"), x.get("rows"),
                         *_coverage(x))
                        for i, x in enumerate(inputs)
                    ],
                )
                self._insert_results(conn, [(pk, *row) for row in result_rows])
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return run_id, True

    @staticmethod
    def _insert_results(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        conn.executemany(
            "INSERT INTO results (run_pk, seq, indicator, period, period_start, period_end, granularity, "
            "category, numerator, denominator, value, unit, status, complete, annualised, as_at, "
            "result_json, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    @staticmethod
    def _result_row(i: int, r: dict[str, Any]) -> tuple[Any, ...]:
        if not isinstance(r, dict) or not r.get("indicator") or not r.get("period"):
            raise ValueError(f"result {i} has no indicator or period")
        stored = _dumps(r)
        text = json.loads(stored)  # dates as ISO strings, exactly as stored
        cat = text.get("category")
        status = text.get("status")
        if status == "ok" and (text.get("complete") is False or uncovered(text)):
            status = "incomplete"  # as `Result.from_dict` reads it: never stored (nor a previous value) as ok
        return (
            i,
            text["indicator"],
            text["period"],
            text.get("period_start"),
            text.get("period_end"),
            granularity_of(text["period"]),
            None if cat is None else str(cat),
            text.get("numerator"),
            text.get("denominator"),
            text.get("value"),
            text.get("unit"),
            status,
            None if text.get("complete") is None else int(bool(text["complete"])),
            None if text.get("annualised") is None else int(bool(text["annualised"])),
            text.get("as_at"),
            stored,
            text.get("source") or "annex_a",
        )

    @staticmethod
    def _dedup_key(
        meta: dict[str, Any], la_code: str | None, as_at: str | None, inputs: list[dict], results: list[dict]
    ) -> str:
        figures = sorted(
            (
                [str(r.get(k)) for k in ("indicator", "period", "category", "status", "complete")]
                + [str(_num_key(r.get(k))) for k in ("numerator", "denominator", "value")]
            )
            for r in results
        )
        ident = {
            "inputs": sorted(str(x.get("sha256")) for x in inputs),
            "definitions_hash": meta.get("definitions_hash"),
            "la_code": la_code,
            "as_at": as_at,
            "figures": figures,
        }
        return hashlib.sha256(_dumps(ident).encode()).hexdigest()

    # -- reading ----------------------------------------------------------------------------------------

    @contextmanager
    def _reading(self, la_code: str | None) -> Iterator[tuple[sqlite3.Connection, str | None] | None]:
        """(connection, LA) to read: the given LA, or the LA of the most recent run when none is given;
        None when there is no store or no run."""
        with self._connect(create=False) as conn:
            if conn is None:
                yield None
                return
            if la_code is not None:
                yield conn, str(la_code)
                return
            row = conn.execute("SELECT la_code FROM runs ORDER BY id DESC LIMIT 1").fetchone()
            yield None if row is None else (conn, row[0])

    def latest_payload(self, la_code: str | None = None, results: bool = True) -> dict[str, Any] | None:
        """The most recent run's payload (for `la_code`, or of any LA), as written, with `metadata.run_id`;
        without `results`, its metadata only (no results read)."""
        with self._connect(create=False) as conn:
            if conn is None:
                return None
            sql = "SELECT id, run_id, payload_json FROM runs"
            args: tuple[Any, ...] = ()
            if la_code is not None:
                sql, args = sql + " WHERE la_code = ?", (str(la_code),)
            row = conn.execute(sql + " ORDER BY id DESC LIMIT 1", args).fetchone()
            if row is None:
                return None
            payload = json.loads(row[2])
            payload["metadata"]["run_id"] = row[1]
            if not results:
                return payload
            payload["results"] = [
                json.loads(t) | {"status": status}  # the store's status (an upgrade may have changed it)
                for t, status in conn.execute(
                    "SELECT result_json, status FROM results WHERE run_pk = ? ORDER BY seq", (row[0],)
                )
            ]
            return payload

    def previous_values(
        self, la_code: str | None, keys: list[tuple[str, str, str | None]], source: str = "annex_a"
    ) -> dict[tuple[str, str, str | None], float | None]:
        """(indicator, period label, category) -> the stored value, None when there is none.

        `la_code` is matched exactly (None matches runs without an LA), and the source too. Only complete
        figures (status ok) with a value count: an incomplete figure is never a previous value. The latest
        run wins.
        """
        out: dict[tuple[str, str, str | None], float | None] = dict.fromkeys(keys)
        if not keys:
            return out
        indicators = sorted({k[0] for k in keys})
        periods = sorted({k[1] for k in keys})
        with self._connect(create=False) as conn:
            if conn is None:
                return out
            marks_i, marks_p = ",".join("?" * len(indicators)), ",".join("?" * len(periods))
            sql = f"""
                SELECT indicator, period, category, value FROM (
                    SELECT r.indicator, r.period, r.category, r.value, ROW_NUMBER() OVER (
                        PARTITION BY r.indicator, r.period, r.category
                        ORDER BY COALESCE(r.complete, 0) DESC, r.run_pk DESC) AS rn
                    FROM results r JOIN runs u ON u.id = r.run_pk
                    WHERE u.la_code IS ? AND r.source = ? AND r.status = 'ok' AND r.value IS NOT NULL
                      AND r.indicator IN ({marks_i}) AND r.period IN ({marks_p})
                ) WHERE rn = 1"""
            for ind, per, cat, value in conn.execute(sql, (_la(la_code), source, *indicators, *periods)):
                if (ind, per, cat) in out:
                    out[(ind, per, cat)] = value
        return out

    def runs(self, la_code: str | None = None) -> list[dict[str, Any]]:
        """Stored runs, oldest first (for one LA, or all): provenance, inputs and the number of results."""
        with self._connect(create=False) as conn:
            if conn is None:
                return []
            where, args = ("WHERE u.la_code = ?", (str(la_code),)) if la_code is not None else ("", ())
            runs = conn.execute(
                "SELECT id, run_id, created_at, tool_version, la_code, as_at, definitions_hash, n_results "
                f"FROM runs u {where} ORDER BY id",
                args,
            ).fetchall()
            inputs: dict[int, list[dict[str, Any]]] = {}
            for pk, path, sha, table, rows, start, end in conn.execute(  # the inputs of these runs only
                "SELECT i.run_pk, i.path, i.sha256, i.table_id, i.rows, i.coverage_start, i.coverage_end "
                f"FROM inputs i JOIN runs u ON u.id = i.run_pk {where} ORDER BY i.run_pk, i.seq",
                args,
            ):
                inputs.setdefault(pk, []).append({"path": path, "sha256": sha, "table": table, "rows": rows,
                                                  "coverage": [start, end] if start and end else None})
        keys = ("run_id", "created_at", "tool_version", "la_code", "as_at", "definitions_hash", "n_results")
        return [dict(zip(keys, row[1:], strict=True)) | {"inputs": inputs.get(row[0], [])} for row in runs]

    def _winners_cte(self, indicator_filter: bool) -> str:
        cond = "AND r.indicator = ?" if indicator_filter else ""
        return f"""
            WITH cand AS (
                SELECT r.indicator, r.period, r.source, r.run_pk, {_QUALITY} AS quality
                FROM results r JOIN runs u ON u.id = r.run_pk
                WHERE u.la_code IS ? {cond}
                GROUP BY r.indicator, r.period, r.source, r.run_pk
            ), win AS (
                SELECT indicator, period, source, run_pk, ROW_NUMBER() OVER (
                    PARTITION BY indicator, period, source ORDER BY quality DESC, run_pk DESC) AS rn
                FROM cand
            )"""

    def series(
        self,
        indicator: str,
        la_code: str | None = None,
        category: str | None = None,
        all_runs: bool = False,
        source: str = "annex_a",
    ) -> list[dict[str, Any]]:
        """One row per period for an indicator, category and source, by period start: the winning run's
        figure (figures of two sources are never one series).

        With no `la_code`, the LA of the most recent run. `all_runs` lists every stored figure instead, each
        with `superseded` set.
        """
        with self._reading(la_code) as found:
            if found is None:
                return []
            conn, la = found
            only_winners = "" if all_runs else "AND w.rn = 1"
            sql = f"""{self._winners_cte(True)}
                SELECT {", ".join("r." + c.strip() for c in _RESULT_COLUMNS.split(","))},
                       u.run_id, u.created_at, w.rn > 1 AS superseded
                FROM results r
                JOIN win w ON w.indicator = r.indicator AND w.period = r.period AND w.source = r.source
                     AND w.run_pk = r.run_pk
                JOIN runs u ON u.id = r.run_pk
                WHERE r.category IS ? AND r.source = ? {only_winners}
                ORDER BY r.period_start, r.period_end, r.period, u.id"""
            cur = conn.execute(sql, (la, indicator, category, source))
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, row, strict=True)) for row in cur]
        for row in rows:
            row["indicator"] = indicator
            for k in ("complete", "annualised", "superseded"):
                row[k] = _as_bool(row[k])
            if not all_runs:
                del row["superseded"]
        return rows

    def latest_results(self, la_code: str | None = None, source: str | None = "annex_a") -> list[dict[str, Any]]:
        """For every (indicator, period) of one source (`None`: of every source, each source's winner kept
        apart, so an indicator may appear once per source): the result dicts of the winning run, all
        categories, each with the `run_id` it came from and its `source` (for reports and `compare --period`).

        With no `la_code`, the LA of the most recent run.
        """
        with self._reading(la_code) as found:
            if found is None:
                return []
            conn, la = found
            sql = f"""{self._winners_cte(False)}
                SELECT r.result_json, u.run_id, r.status, r.source FROM results r
                JOIN win w ON w.indicator = r.indicator AND w.period = r.period AND w.source = r.source
                     AND w.run_pk = r.run_pk
                JOIN runs u ON u.id = r.run_pk
                WHERE w.rn = 1 AND (r.source = ? OR ? IS NULL)
                ORDER BY r.period_start, r.period_end, r.run_pk, r.seq"""
            # the status column is the store's (an upgrade may have marked a figure incomplete)
            return [json.loads(t) | {"run_id": run, "status": status, "source": src}
                    for t, run, status, src in conn.execute(sql, (la, source, source))]

    def sources(self, indicator: str, la_code: str | None = None) -> list[str]:
        """The sources with stored figures of `indicator` (for the LA, or of the most recent run's LA), in
        `SOURCE_PREFERENCE` order (the DfE returns before Annex A)."""
        from csc_metrics.spec.indicators import SOURCE_PREFERENCE

        with self._reading(la_code) as found:
            if found is None:
                return []
            conn, la = found
            held = {row[0] for row in conn.execute(
                "SELECT DISTINCT r.source FROM results r JOIN runs u ON u.id = r.run_pk "
                "WHERE u.la_code IS ? AND r.indicator = ?", (la, indicator))}
        return [s for s in SOURCE_PREFERENCE if s in held] + sorted(held - set(SOURCE_PREFERENCE))

    def no_run_error(self, la_code: str | None) -> CscError:
        """What to say when there is no stored run for `la_code`: which LAs the store does hold, and the fix."""
        held = sorted({r["la_code"] or "none" for r in self.runs()})
        if not held:
            return CscError(f"CSC404 no stored runs in {self.path}",
                            "run `csc-metrics compute PATH --la CODE` first (it records the run here)")
        others = ", ".join(f"LA {c}" if c != "none" else "runs without an LA" for c in held)
        fix = f"run `csc-metrics compute PATH --la {la_code}`" if la_code else "run `csc-metrics compute PATH --la CODE`"
        first = next((c for c in held if c != "none"), None)
        return CscError(f"CSC404 no stored run for LA {la_code} in {self.path} (it holds {others})",
                        fix + (f", or pass --la {first}" if first and first != la_code else ""))

    def indicators(self, la_code: str | None = None) -> dict[str, list[str]]:
        """Stored indicator ids (for the LA, or of the most recent run's LA) -> their categories, sorted."""
        with self._reading(la_code) as found:
            if found is None:
                return {}
            conn, la = found
            out: dict[str, list[str]] = {}
            for ind, cat in conn.execute(
                "SELECT DISTINCT r.indicator, r.category FROM results r JOIN runs u ON u.id = r.run_pk "
                "WHERE u.la_code IS ? ORDER BY r.indicator, r.category",
                (la,),
            ):
                cats = out.setdefault(ind, [])
                if cat is not None:
                    cats.append(cat)
            return out


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch a store to WAL once. SQLite answers "locked" at once, without waiting, when two processes
    switch a new store together, so that one case is retried here until the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
