"""Run generated hostile inputs through `csc-metrics validate` and `compute` in worker processes (with a
timeout and a memory limit each), and count what went wrong.

    python bench/fuzz.py                    # 2,000 inputs (every kind in `tests/hostile.py`, in turn)
    python bench/fuzz.py -n 200 --jobs 2 --report fuzz.jsonl

Each worker process (memory capped with `resource.RLIMIT_AS`) runs the CLI's entry point on one input after
another and reports each exit code and stderr; starting Python and polars once per worker instead of once per
run makes 4,000 runs take minutes. When a worker dies (a signal) or does not answer within the timeout, the
run it was on is counted as a crash, an abort or a hang, and a new worker carries on with the next run.

Outcomes: crash (killed by a signal other than SIGABRT), abort (SIGABRT, or the allocator's "memory allocation
of N bytes failed"), hang (past the timeout), internal error (stderr says "internal error" or shows a
traceback), an exit-2 message without the file name, an unexpected exit code (not 0, 1 or 2), else ok.
With `--report`, every run that is not ok is written as one JSON line (kind, seed, command, exit, stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import hostile  # noqa: E402

OUTCOMES = ("ok", "crash", "abort", "hang", "internal_error", "exit2_without_file", "unexpected_exit")


def classify(rc: int | None, stderr: str, path: Path) -> str:
    """One run's outcome (see the module docstring)."""
    if rc is None:
        return "hang"
    if "memory allocation of" in stderr or rc == -signal.SIGABRT:
        return "abort"
    if rc < 0:
        return "crash"
    if "internal error" in stderr or "Traceback (most recent call last)" in stderr:
        return "internal_error"
    named = path.name in stderr or repr(path.name)[1:-1] in stderr  # control characters are shown escaped
    if rc == 2 and not named:
        return "exit2_without_file"
    return "ok" if rc in (0, 1, 2) else "unexpected_exit"


# --- the worker: one process, many runs -----------------------------------------------------------------

def worker() -> None:
    """Read runs (JSON lines: args, cwd) from stdin; answer each with a JSON line (exit, stderr) on stdout."""
    from csc_metrics.cli import main

    out = sys.stdout
    for line in sys.stdin:
        job = json.loads(line)
        os.chdir(job["cwd"])
        err = io.StringIO()
        sys.argv = ["csc-metrics", *job["args"]]
        rc = 0
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                main()
            except SystemExit as exc:
                rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:  # what the process would print: a traceback, exit 1
                import traceback

                err.write(traceback.format_exc())
                rc = 1
        out.write(json.dumps({"exit": rc, "stderr": err.getvalue()[-4000:]}) + "\n")
        out.flush()


class Worker:
    """A worker process and the runs sent to it."""

    def __init__(self, memory_mb: int) -> None:
        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        self.proc = subprocess.Popen([sys.executable, __file__, "--worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limit,
                                     env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "PYTHONFAULTHANDLER": "1"})
        self.stderr = bytearray()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for chunk in iter(lambda: self.proc.stderr.read1(65536), b""):  # type: ignore[union-attr]
            self.stderr += chunk

    def run(self, args: list[str], cwd: Path, timeout: float) -> tuple[int | None, str]:
        """(exit code, stderr); exit None on a timeout (the worker is then killed), negative on a signal."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stderr.clear()
        try:
            self.proc.stdin.write((json.dumps({"args": args, "cwd": str(cwd)}) + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.proc.kill()
            self.proc.wait()
            return None, ""
        line = self.proc.stdout.readline()
        if not line:  # the worker died on this run
            rc = self.proc.wait()
            time.sleep(0.05)
            return rc, self.stderr.decode("utf-8", "replace")[-4000:]
        answer = json.loads(line)
        return answer["exit"], answer["stderr"]

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.alive:
            self.proc.kill()
            self.proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=2000, help="number of inputs (default 2000)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per run (default 60)")
    parser.add_argument("--memory-mb", type=int, default=6144, help="address-space limit per worker (default 6144)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", default=",".join(hostile.MAKERS), help="comma-separated kinds")
    parser.add_argument("--report", type=Path, help="write the runs that are not ok here (JSON lines)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return 0
    kinds = args.kinds.split(",")
    counts: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = {k: Counter() for k in kinds}
    lock = threading.Lock()
    report = args.report.open("w", encoding="utf-8") if args.report else None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="csc-fuzz-") as tmp:
        root = Path(tmp)
        base = hostile.base_files(root / "base")
        todo = list(range(args.n))
        done = [0]

        def lane(index: int) -> None:
            w = Worker(args.memory_mb)
            try:
                while True:
                    with lock:
                        if not todo:
                            return
                        i = todo.pop(0)
                    kind, seed = kinds[i % len(kinds)], args.seed * 1_000_003 + i
                    folder = root / f"t{i}"
                    try:
                        path = hostile.make(kind, seed, base, folder / "in")
                    except Exception as exc:  # a maker's own bug: say so, and go on
                        print(f"could not make {kind} seed {seed}: {exc!r}", flush=True)
                        continue
                    for command in (["validate", str(path)], ["compute", str(path), "--no-store"]):
                        if not w.alive:
                            w = Worker(args.memory_mb)
                        rc, err = w.run(command, folder, args.timeout)
                        outcome = classify(rc, err, path)
                        with lock:
                            counts[outcome] += 1
                            by_kind[kind][outcome] += 1
                            if outcome != "ok" and report is not None:
                                report.write(json.dumps({"kind": kind, "seed": seed, "command": command[0],
                                                         "path": str(path), "exit": rc, "outcome": outcome,
                                                         "stderr": err[-2000:]}) + "\n")
                                report.flush()
                    shutil.rmtree(folder, ignore_errors=True)
                    with lock:
                        done[0] += 1
                        if done[0] % 100 == 0:
                            print(f"{done[0]} inputs, {time.perf_counter() - started:.0f} s: {dict(counts)}", flush=True)
            finally:
                w.close()

        lanes = [threading.Thread(target=lane, args=(j,)) for j in range(args.jobs)]
        for t in lanes:
            t.start()
        for t in lanes:
            t.join()
    if report is not None:
        report.close()
    runs = sum(counts.values())
    print(f"\n{done[0]} hostile inputs, {runs} runs (validate and compute each), {time.perf_counter() - started:.0f} s, "
          f"{args.jobs} workers, timeout {args.timeout:.0f} s per run, memory limit {args.memory_mb} MB per worker")
    for outcome in OUTCOMES:
        print(f"  {outcome:20} {counts[outcome]}")
    print("by kind: " + "; ".join(
        f"{k} {sum(c.values()) // 2}" + (f" ({dict((o, n) for o, n in c.items() if o != 'ok')})" if set(c) - {"ok"} else "")
        for k, c in by_kind.items()))
    return 1 if set(counts) - {"ok"} else 0


if __name__ == "__main__":
    sys.exit(main())
