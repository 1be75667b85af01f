"""The history store: every `compute` run in an embedded SQLite database.

Each run is written in one transaction (`BEGIN IMMEDIATE`, WAL journal, busy timeout), so concurrent writers
queue instead of corrupting it and a run killed half-way leaves nothing behind. Re-running the same inputs with the
same definitions, LA and as-at date returns the stored run instead of adding a copy. For display, the latest run
covering a period supersedes earlier ones; all stay queryable.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from csc_metrics.errors import CscError

DEFAULT_STORE = Path(".csc-metrics") / "history.sqlite"

MIGRATIONS: list[str] = [
    """
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        definitions_hash TEXT NOT NULL,
        la_code TEXT,
        as_at TEXT NOT NULL,
        fingerprint TEXT NOT NULL UNIQUE,
        metadata TEXT NOT NULL
    );
    CREATE TABLE inputs (
        run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        table_id TEXT NOT NULL,
        rows INTEGER NOT NULL
    );
    CREATE TABLE results (
        run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
        indicator TEXT NOT NULL,
        period TEXT NOT NULL,
        period_start TEXT NOT NULL,
        period_end TEXT NOT NULL,
        category TEXT NOT NULL DEFAULT '',
        numerator REAL,
        denominator REAL,
        value REAL,
        unit TEXT NOT NULL,
        status TEXT NOT NULL,
        complete INTEGER NOT NULL,
        annualised INTEGER NOT NULL,
        as_at TEXT,
        result TEXT NOT NULL
    );
    CREATE INDEX results_lookup ON results(indicator, period, category);
    CREATE INDEX results_run ON results(run_id);
    """,
]


def default_store_path() -> Path:
    env = os.environ.get("CSC_METRICS_STORE")
    return Path(env) if env else DEFAULT_STORE


def _fingerprint(payload: dict[str, Any]) -> str:
    meta = payload["metadata"]
    shas = sorted(i["sha256"] for i in meta.get("inputs", []))
    periods = ",".join(meta.get("periods", []))
    return "|".join([meta["definitions_hash"], meta.get("la_code") or "", meta["as_at"], periods, *shas])


class HistoryStore:
    """Read and write runs; the schema is created and migrated on first use."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as conn:
                self._migrate(conn)
        except sqlite3.DatabaseError as exc:
            raise CscError(f"{self.path}: not a csc-metrics history store ({exc})",
                           "move the file away or pass another --store path") from exc
        except OSError as exc:
            raise CscError(f"{self.path}: cannot open the history store ({exc})", "check --store") from exc

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 60000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.row_factory = sqlite3.Row
            yield conn
        finally:
            conn.close()

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for i, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {i}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # ---- writing --------------------------------------------------------------------------------------
    def write_run(self, payload: dict[str, Any]) -> tuple[str, bool]:
        """Store a compute payload atomically; returns (run id, created). The same run twice is stored once."""
        meta = payload["metadata"]
        fingerprint = _fingerprint(payload)
        run_id = uuid.uuid4().hex
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT run_id FROM runs WHERE fingerprint = ?", (fingerprint,)).fetchone()
                if row is not None:
                    conn.execute("ROLLBACK")
                    return row["run_id"], False
                stored_meta = {k: v for k, v in meta.items() if k != "run_id"}
                conn.execute(
                    "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (run_id, datetime.now(UTC).isoformat(timespec="seconds"), meta["tool_version"],
                     meta["definitions_hash"], meta.get("la_code"), meta["as_at"], fingerprint,
                     json.dumps({"metadata": stored_meta, "diagnostics": payload.get("diagnostics", [])})),
                )
                conn.executemany(
                    "INSERT INTO inputs VALUES (?, ?, ?, ?, ?)",
                    [(run_id, i["path"], i["sha256"], i["table"], i["rows"]) for i in meta.get("inputs", [])],
                )
                conn.executemany(
                    "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(run_id, r["indicator"], r["period"], r["period_start"], r["period_end"], r["category"] or "",
                      r["numerator"], r["denominator"], r["value"], r["unit"], r["status"], int(r["complete"]),
                      int(r["annualised"]), r["as_at"], json.dumps(r)) for r in payload["results"]],
                )
                if os.environ.get("CSC_METRICS_TEST_PAUSE_IN_WRITE"):  # lets a test kill us mid-transaction
                    import time

                    time.sleep(float(os.environ["CSC_METRICS_TEST_PAUSE_IN_WRITE"]))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return run_id, True

    # ---- reading --------------------------------------------------------------------------------------
    def _la_clause(self, la_code: str | None, alias: str = "runs") -> tuple[str, tuple[Any, ...]]:
        if la_code is None:
            return "", ()
        return f" AND {alias}.la_code IS ?", (la_code,)

    def runs(self, la_code: str | None = None) -> list[dict[str, Any]]:
        where, args = self._la_clause(la_code)
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT runs.*, (SELECT COUNT(*) FROM results r WHERE r.run_id = runs.run_id) AS n_results "
                f"FROM runs WHERE 1=1{where} ORDER BY created_at, rowid", args).fetchall()
            inputs = conn.execute("SELECT * FROM inputs").fetchall()
        by_run: dict[str, list[dict[str, Any]]] = {}
        for i in inputs:
            by_run.setdefault(i["run_id"], []).append(
                {"path": i["path"], "sha256": i["sha256"], "table": i["table_id"], "rows": i["rows"]})
        return [{"run_id": r["run_id"], "created_at": r["created_at"], "tool_version": r["tool_version"],
                 "la_code": r["la_code"], "as_at": r["as_at"], "definitions_hash": r["definitions_hash"],
                 "inputs": by_run.get(r["run_id"], []), "n_results": r["n_results"]} for r in rows]

    def latest_payload(self, la_code: str | None = None) -> dict[str, Any] | None:
        """The most recent run as `compute --format json` wrote it."""
        where, args = self._la_clause(la_code)
        with self._connect() as conn:
            run = conn.execute(f"SELECT * FROM runs WHERE 1=1{where} ORDER BY created_at DESC, rowid DESC LIMIT 1",
                               args).fetchone()
            if run is None:
                return None
            results = conn.execute("SELECT result FROM results WHERE run_id = ? ORDER BY rowid",
                                   (run["run_id"],)).fetchall()
        stored = json.loads(run["metadata"])
        meta = {**stored["metadata"], "run_id": run["run_id"]}
        return {"schema_version": 1, "metadata": meta, "results": [json.loads(r["result"]) for r in results],
                "diagnostics": stored.get("diagnostics", [])}

    def _latest_rows(self, la_code: str | None, extra: str = "", args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """For each (indicator, period, category): the row of the latest run that has it with a value or status."""
        where, la_args = self._la_clause(la_code)
        sql = f"""
            SELECT r.*, runs.created_at FROM results r JOIN runs ON runs.run_id = r.run_id
            WHERE r.status != 'no_data'{where}{extra}
            ORDER BY r.indicator, r.period, r.category, runs.created_at DESC, runs.rowid DESC
        """
        with self._connect() as conn:
            rows = conn.execute(sql, la_args + args).fetchall()
        seen: set[tuple[str, str, str]] = set()
        latest = []
        for row in rows:
            key = (row["indicator"], row["period"], row["category"])
            if key not in seen:
                seen.add(key)
                latest.append(row)
        return latest

    def previous_values(self, la_code: str | None,
                        keys: list[tuple[str, str, str | None]]) -> dict[tuple[str, str, str | None], float | None]:
        """The latest stored value for each (indicator, period, category)."""
        wanted = {(i, p, c or "") for i, p, c in keys}
        out: dict[tuple[str, str, str | None], float | None] = {}
        for row in self._latest_rows(la_code):
            key = (row["indicator"], row["period"], row["category"])
            if key in wanted and row["value"] is not None:
                out[(key[0], key[1], key[2] or None)] = row["value"]
        return out

    def series(self, indicator: str, la_code: str | None = None, category: str | None = None) -> list[dict[str, Any]]:
        rows = self._latest_rows(la_code, " AND r.indicator = ? AND r.category = ?", (indicator, category or ""))
        rows.sort(key=lambda r: (r["period_start"], r["period_end"]))
        return [{"period": r["period"], "period_start": r["period_start"], "value": r["value"],
                 "numerator": r["numerator"], "denominator": r["denominator"], "status": r["status"],
                 "run_id": r["run_id"], "created_at": r["created_at"]} for r in rows]

    def latest_results(self, la_code: str | None = None) -> list[dict[str, Any]]:
        """Every stored result, the latest run winning for each (indicator, period, category)."""
        return [json.loads(r["result"]) for r in self._latest_rows(la_code)]
