"""The history store's tables, and the upgrade of every layout csc-metrics has written to the current one.

Layouts are recognised by their tables and columns, not by `PRAGMA user_version` alone: a store written by
commit 3ab4fb4 ("layout 0") also says `user_version = 1` but has another layout than schema 1.

| layout | recognised by | upgrade |
|---|---|---|
| 0 (3ab4fb4) | `runs.fingerprint`, `results.result` | tables rebuilt, rows copied |
| schema 1 | `runs.dedup_key`, `results.result_json`, no `results.source` | columns added in place |
| schema 2 (current) | `results.source`, `inputs.coverage_start` | - |

Every upgrade also marks as `incomplete` the stored figures whose warnings said a look-back or look-forward
window was not covered (CSC301): they were stored as `ok` before that became a status.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from csc_metrics.engine.periods import parse_period
from csc_metrics.errors import CscError

SCHEMA_VERSION = 2

CURRENT: list[str] = [
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        tool_version TEXT,
        definitions_hash TEXT,
        la_code TEXT,
        as_at TEXT,
        dedup_key TEXT NOT NULL UNIQUE,
        n_results INTEGER NOT NULL,
        payload_json TEXT NOT NULL
    )""",
    "CREATE INDEX runs_la ON runs (la_code, id)",
    """CREATE TABLE inputs (
        run_pk INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        path TEXT,
        sha256 TEXT,
        table_id TEXT,
        rows INTEGER,
        coverage_start TEXT,
        coverage_end TEXT,
        PRIMARY KEY (run_pk, seq)
    )""",
    # numerator, denominator, value: no declared type, so integers stay integers and floats floats
    """CREATE TABLE results (
        run_pk INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        indicator TEXT NOT NULL,
        period TEXT NOT NULL,
        period_start TEXT,
        period_end TEXT,
        granularity TEXT,
        category TEXT,
        numerator,
        denominator,
        value,
        unit TEXT,
        status TEXT,
        complete INTEGER,
        annualised INTEGER,
        as_at TEXT,
        result_json TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT 'annex_a',
        PRIMARY KEY (run_pk, seq)
    )""",
    "CREATE INDEX results_key ON results (indicator, period, category)",
]

_MARK_UNCOVERED = ("UPDATE results SET status = 'incomplete', complete = 0 "
                   "WHERE status = 'ok' AND result_json LIKE '%(CSC301)%'")


def columns(conn: sqlite3.Connection) -> dict[str, set[str]]:
    """Table name -> its column names (SQLite's own tables left out)."""
    names = [n for (n,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {n: {row[1] for row in conn.execute(f'PRAGMA table_info("{n}")')} for n in names}


def layout(conn: sqlite3.Connection) -> str | None:
    """`empty`, `0`, `1`, `2`, or None for a database this tool did not write."""
    cols = columns(conn)
    if not cols:
        return "empty"
    if set(cols) != {"runs", "inputs", "results"}:
        return None
    runs, inputs, results = cols["runs"], cols["inputs"], cols["results"]
    if {"run_id", "fingerprint", "metadata"} <= runs and "result" in results and "run_id" in inputs:
        return "0"
    if {"id", "run_id", "dedup_key", "payload_json", "tool_version"} <= runs and "result_json" in results:
        if "source" in results and "coverage_start" in inputs:
            return "2"
        if "source" not in results and "coverage_start" not in inputs:
            return "1"
    return None


def known_layout(conn: sqlite3.Connection, path: object) -> str:
    """The store's layout; a clear refusal (nothing changed) for a newer schema or a database not ours."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    found = layout(conn)
    if version > SCHEMA_VERSION and found != "0":
        raise CscError(
            f"{path}: history store written by a newer csc-metrics (store schema {version}, this version "
            f"reads up to {SCHEMA_VERSION})", "upgrade csc-metrics, or use another --store")
    if found is None:
        tables = ", ".join(sorted(columns(conn))) or "none"
        raise CscError(
            f"{path}: not a csc-metrics history store, or one of a layout this version does not know "
            f"(tables: {tables}); nothing was changed",
            "move the file away (e.g. rename it to history.sqlite.bad) and run `csc-metrics compute` again, "
            "or point --store at another path")
    return found


def upgrade(conn: sqlite3.Connection, path: object) -> None:
    """Bring the store to the current schema inside the caller's transaction; refuse what is not ours."""
    found = known_layout(conn, path)
    if found == "empty":
        for statement in CURRENT:
            conn.execute(statement)
    elif found == "0":
        _from_layout_0(conn)
    elif found == "1":
        conn.execute("ALTER TABLE results ADD COLUMN source TEXT NOT NULL DEFAULT 'annex_a'")
        conn.execute("ALTER TABLE inputs ADD COLUMN coverage_start TEXT")
        conn.execute("ALTER TABLE inputs ADD COLUMN coverage_end TEXT")
        _coverage_from_payloads(conn)
    if found != "2":
        conn.execute(_MARK_UNCOVERED)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _coverage_from_payloads(conn: sqlite3.Connection) -> None:
    """Schema 1 kept each input's coverage only in the run's payload: copy it to the inputs' columns."""
    for pk, text in conn.execute("SELECT id, payload_json FROM runs").fetchall():
        inputs = ((json.loads(text).get("metadata") or {}).get("inputs")) or []
        conn.executemany(
            "UPDATE inputs SET coverage_start = ?, coverage_end = ? WHERE run_pk = ? AND seq = ?",
            [(*(x.get("coverage") or (None, None))[:2], pk, i) for i, x in enumerate(inputs)])


def _whole(v: Any) -> Any:
    """Layout 0 stored counts as REAL: whole numerators and denominators become integers again."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


def granularity_of(label: str) -> str | None:
    try:
        return parse_period(label).granularity
    except CscError:
        return None


def _from_layout_0(conn: sqlite3.Connection) -> None:
    """Rebuild a 3ab4fb4 store (run ids as keys, a `fingerprint`, REAL numbers) in the current layout."""
    for name in ("runs", "inputs", "results"):
        conn.execute(f"ALTER TABLE {name} RENAME TO old_{name}")
    for name in [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")]:
        conn.execute(f'DROP INDEX "{name}"')
    for statement in CURRENT:
        conn.execute(statement)
    runs = conn.execute("SELECT run_id, created_at, tool_version, definitions_hash, la_code, as_at, fingerprint, "
                        "metadata FROM old_runs ORDER BY created_at, rowid").fetchall()
    for run_id, created, tool, defs, la, as_at, fingerprint, meta_text in runs:
        stored = json.loads(meta_text)
        meta = stored.get("metadata") or {}
        shell = {"schema_version": 1, "metadata": meta, "results": [], "diagnostics": stored.get("diagnostics", [])}
        rows = conn.execute("SELECT indicator, period, period_start, period_end, category, numerator, denominator, "
                            "value, unit, status, complete, annualised, as_at, result FROM old_results "
                            "WHERE run_id = ? ORDER BY rowid", (run_id,)).fetchall()
        pk = conn.execute(
            "INSERT INTO runs (run_id, created_at, tool_version, definitions_hash, la_code, as_at, dedup_key, "
            "n_results, payload_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, created, tool, defs, la, as_at, fingerprint, len(rows), json.dumps(shell))).lastrowid
        coverage = {(x.get("path"), x.get("sha256")): x.get("coverage") for x in meta.get("inputs") or []}
        conn.executemany(
            "INSERT INTO inputs (run_pk, seq, path, sha256, table_id, rows, coverage_start, coverage_end) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(pk, i, path, sha, table, n, *(coverage.get((path, sha)) or (None, None))[:2])
             for i, (path, sha, table, n) in enumerate(conn.execute(
                 "SELECT path, sha256, table_id, rows FROM old_inputs WHERE run_id = ? ORDER BY rowid", (run_id,)))])
        conn.executemany(
            "INSERT INTO results (run_pk, seq, indicator, period, period_start, period_end, granularity, category, "
            "numerator, denominator, value, unit, status, complete, annualised, as_at, result_json) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(pk, i, ind, per, start, end, granularity_of(per), cat or None, _whole(num), _whole(den), val,
              unit, status, complete, annualised, at, result)
             for i, (ind, per, start, end, cat, num, den, val, unit, status, complete, annualised, at, result)
             in enumerate(rows)])
    for name in ("results", "inputs", "runs"):
        conn.execute(f"DROP TABLE old_{name}")
