"""Run generated hostile inputs through `csc-metrics validate` and `compute`, each in its own process with a
timeout and a memory limit, and count what went wrong.

    python bench/fuzz.py                    # 2,000 inputs (every kind in `tests/hostile.py`, in turn)
    python bench/fuzz.py -n 200 --jobs 2 --report fuzz.json

A run is a crash (killed by a signal other than SIGABRT), an abort (SIGABRT, or the allocator's "memory
allocation of N bytes failed"), a hang (past the timeout), an internal error (stderr says "internal error"),
an exit-2 message without the file name, or an unexpected exit code (not 0, 1 or 2). The counts are printed;
with `--report`, every failing run (kind, seed, command, exit code, stderr) is written as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import hostile  # noqa: E402

OUTCOMES = ("ok", "crash", "abort", "hang", "internal_error", "exit2_without_file", "unexpected_exit")


def _limit(memory_mb: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1_048_576, memory_mb * 1_048_576))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def classify(rc: int | None, stderr: str, path: Path) -> str:
    """One run's outcome (see the module docstring)."""
    if rc is None:
        return "hang"
    if "memory allocation of" in stderr or rc == -signal.SIGABRT:
        return "abort"
    if rc < 0:
        return "crash"
    if "internal error" in stderr:
        return "internal_error"
    if rc == 2 and path.name not in stderr and str(path) not in stderr:
        return "exit2_without_file"
    return "ok" if rc in (0, 1, 2) else "unexpected_exit"


def run_one(cmd: list[str], path: Path, cwd: Path, timeout: float, memory_mb: int) -> tuple[int | None, str, float]:
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=timeout, preexec_fn=_limit(memory_mb),
                              env={**os.environ, "PYTHONFAULTHANDLER": "1", "NO_COLOR": "1", "COLUMNS": "200"})
    except subprocess.TimeoutExpired:
        return None, "", time.perf_counter() - start
    return proc.returncode, proc.stderr.decode("utf-8", "replace"), time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=2000, help="number of inputs (default 2000)")
    parser.add_argument("--jobs", type=int, default=2, help="processes at once (default 2)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per run (default 60)")
    parser.add_argument("--memory-mb", type=int, default=6144, help="address-space limit per run (default 6144)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", default=",".join(hostile.MAKERS), help="comma-separated kinds")
    parser.add_argument("--report", type=Path, help="write the failing runs here (JSON)")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    exe = [sys.executable, "-m", "csc_metrics"]
    counts: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = {k: Counter() for k in kinds}
    failures: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="csc-fuzz-") as tmp:
        root = Path(tmp)
        base = hostile.base_files(root / "base")

        def trial(i: int) -> list[tuple[str, int, str, int | None, str, float, str]]:
            kind, seed = kinds[i % len(kinds)], args.seed * 1_000_003 + i
            folder = root / f"t{i}"
            path = hostile.make(kind, seed, base, folder / "in")
            out = []
            for command in (["validate", str(path)], ["compute", str(path), "--no-store"]):
                rc, err, secs = run_one([*exe, *command], path, folder, args.timeout, args.memory_mb)
                out.append((kind, seed, command[0], rc, err, secs, classify(rc, err, path)))
            subprocess.run(["rm", "-rf", str(folder)], check=False)
            return out

        started = time.perf_counter()
        with ThreadPoolExecutor(args.jobs) as pool:
            for n, results in enumerate(pool.map(trial, range(args.n)), 1):
                for kind, seed, command, rc, err, secs, outcome in results:
                    counts[outcome] += 1
                    by_kind[kind][outcome] += 1
                    if outcome != "ok":
                        failures.append({"kind": kind, "seed": seed, "command": command, "exit": rc,
                                         "outcome": outcome, "seconds": round(secs, 2), "stderr": err[-2000:]})
                if n % 100 == 0:
                    print(f"{n} inputs, {time.perf_counter() - started:.0f} s: {dict(counts)}", flush=True)
    runs = sum(counts.values())
    print(f"\n{args.n} hostile inputs, {runs} runs (validate and compute each), "
          f"{time.perf_counter() - started:.0f} s, timeout {args.timeout:.0f} s, memory limit {args.memory_mb} MB")
    for outcome in OUTCOMES:
        print(f"  {outcome:20} {counts[outcome]}")
    print("by kind: " + "; ".join(f"{k} {sum(c.values())}" + (f" ({dict((o, n) for o, n in c.items() if o != 'ok')})"
                                                          if set(c) - {"ok"} else "") for k, c in by_kind.items()))
    if args.report:
        args.report.write_text(json.dumps(failures, indent=1), encoding="utf-8")
    return 1 if counts.keys() - {"ok"} else 0


if __name__ == "__main__":
    sys.exit(main())
