"""Benchmark: csc-metrics against the DuckDB peer (`../shared/peers/duckdb_peer.py`), side by side, in one run.

    python bench/peer.py                       # the ~157 MB extract (--children 1400000 --years 2), best of 5
    python bench/peer.py --england --repeat 2  # England scale: ~1.4 GB (--children 12000000 --years 2)
    python bench/peer.py --reuse               # time an extract already written to bench/out/

Writes the extract with `csc-metrics sample` (once; `--reuse` keeps it), then times, each as its own process
(wall time from start to exit, peak resident memory from the kernel's `wait4` accounting of that process):
  peer     the DuckDB peer: 12 core indicators, every quarter from csc-metrics' first one;
  cm12     `csc-metrics compute -i` the same 12 indicators (`--no-store --format json`);
  cmall    `csc-metrics compute`, every indicator, data-quality checks included;
  help     `csc-metrics --help`;      check   `csc-metrics check` on the shipped definitions.
csc-metrics' modules are compiled to bytecode first (as an installed package is). The tasks run interleaved,
round by round, so a busy spell of the shared host hits them alike; each figure is the best of `--repeat`
rounds, and the ratios are taken within the run. Before timing, the peer's 12 figures are checked against
csc-metrics' for every quarter (numerators and denominators equal). Then prints each target
of issue 18 / spec/performance.md with its measured ratio.

The DfE returns (SSDA903, CIN census XML) have their own benchmark, `bench/bench_returns.py` (no peer).

The peer runs from its shared folder (never copied here) in a bench-only virtualenv, `bench/.venv-peer`
(created with duckdb and holidays when missing; git ignores it): DuckDB is never a csc-metrics dependency.
Not a test: timings never go in the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# `../shared/peers/` beside the repository (a worktree one level further down finds it too)
PEERS = [(base / "shared" / "peers" / "duckdb_peer.py").resolve() for base in (ROOT.parent, ROOT.parent.parent)]
PEER_VENV = ROOT / "bench" / ".venv-peer"
CLI = [sys.executable, "-m", "csc_metrics"]
TWELVE = ["referrals", "re_referrals_12m", "assessments_completed", "assessments_within_45wd", "s47_enquiries",
          "icpcs", "icpc_within_15wd", "cin_at_end", "cp_plans_at_end", "cp_plans_started",
          "cp_second_or_subsequent", "cla_at_end"]
ENGLAND = 12_000_000


def peer_python(peer: Path | None) -> str:
    """The peer's interpreter: `--peer-python`, else bench/.venv-peer (created, with duckdb and holidays)."""
    if peer is not None:
        return str(peer)
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {PEER_VENV} (duckdb, holidays) for the peer ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "duckdb", "holidays"], check=True)
    return str(python)


def timed(cmd: list[str]) -> tuple[float, os.struct_rusage]:
    """(wall seconds, the kernel's resource usage) of one process run to its exit; fails loudly on a non-zero
    exit."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err,
                                env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{err.read().decode()[-2000:]}")
    return seconds, usage


def run(cmd: list[str]) -> tuple[float, int]:
    """(wall seconds, peak resident KB) of one process run to its exit."""
    seconds, usage = timed(cmd)
    return seconds, usage.ru_maxrss  # KB on Linux


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or platform.machine())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    import polars as pl

    return (f"{cpu}, nproc {os.cpu_count()}, {mem_kb / 1024**2:.0f} GB RAM, Python {platform.python_version()}, "
            f"polars {pl.__version__}; load average {os.getloadavg()[0]:.1f} at the start")


def same_figures(peer_json: Path, cm_json: Path) -> tuple[int, int, list[str]]:
    """(matched, compared, first mismatches): the peer's results against csc-metrics' for the same quarter."""
    peer = json.loads(peer_json.read_text())["results"]
    cm = {(r["indicator"], r["period"]): r for r in json.loads(cm_json.read_text())["results"]
          if r["category"] is None}
    bad = []
    for r in peer:
        c = cm.get((r["indicator"], r["period"]))
        if c is None or (c["numerator"], c["denominator"]) != (r["numerator"], r["denominator"]):
            got = None if c is None else f"{c['numerator']}/{c['denominator']}"
            bad.append(f"{r['indicator']} {r['period']}: peer {r['numerator']}/{r['denominator']}, csc-metrics {got}")
    return len(peer) - len(bad), len(peer), bad[:5]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--children", type=int, default=1_400_000)
    ap.add_argument("--england", action="store_true", help=f"England scale: --children {ENGLAND:,} (~1.4 GB)")
    ap.add_argument("--years", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="extract folder (default bench/out/c<children>)")
    ap.add_argument("--reuse", action="store_true", help="reuse an extract already written to --out")
    ap.add_argument("--repeat", type=int, default=5, help="rounds; each figure is the best round")
    ap.add_argument("--tasks", default="peer,cm12,cmall,help,check")
    ap.add_argument("--peer-python", type=Path, default=None, help="a Python with duckdb and holidays")
    ap.add_argument("--peer", type=Path, default=next((p for p in PEERS if p.exists()), PEERS[0]),
                    help="the peer script (default ../shared/peers/duckdb_peer.py)")
    args = ap.parse_args()
    if not args.peer.exists():
        raise SystemExit(f"{args.peer}: the peer script is not there; pass --peer")
    children = ENGLAND if args.england else args.children
    out = args.out or ROOT / "bench" / "out" / f"c{children}"
    python = peer_python(args.peer_python)
    print(f"machine: {machine()}", flush=True)
    if not (args.reuse and out.exists()):
        seconds, _ = run([*CLI, "sample", "--out", str(out), "--children", str(children), "--years",
                          str(args.years), "--seed", str(args.seed)])
        os.sync()  # the new files reach the disk now, not while the timings run
        print(f"wrote `csc-metrics sample --children {children} --years {args.years} --seed {args.seed}` "
              f"in {seconds:.1f} s")
    files = sorted(out.glob("*.csv"))
    size = sum(f.stat().st_size for f in files)
    rows = sum(max(0, sum(1 for _ in f.open("rb")) - 1) for f in files)
    print(f"extract: {out} ({len(files)} files, {size / 1e6:.0f} MB, {rows:,} rows)")

    scratch = Path(tempfile.mkdtemp(prefix="csc-bench-"))
    compute = [*CLI, "compute", str(out), "--no-store", "--format", "json", "--definitions",
               str(ROOT / "definitions")]
    cm12 = [*compute, *[a for i in TWELVE for a in ("-i", i)], "--output", str(scratch / "cm12.json")]
    # csc-metrics' modules compiled to bytecode once, as `pip install` leaves them: with PYTHONDONTWRITEBYTECODE
    # set (some shells and CI images set it), every run would otherwise compile the package again (~0.1 s)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "csc_metrics")], check=True)
    run(cm12)  # once untimed: the periods it computes (and the files in the page cache)
    first = json.loads((scratch / "cm12.json").read_text())["metadata"]["periods"][0]
    tasks = {
        "peer": [python, str(args.peer), str(out), "--first-quarter", first, "-o", str(scratch / "peer.json")],
        "cm12": cm12,
        "cmall": [*compute, "--output", str(scratch / "cmall.json")],
        "help": [*CLI, "--help"],
        "check": [*CLI, "check", str(ROOT / "definitions")],
    }
    tasks = {t: tasks[t] for t in args.tasks.split(",") if t}
    if "peer" in tasks:
        run(tasks["peer"])
        ok, n, bad = same_figures(scratch / "peer.json", scratch / "cm12.json")
        print(f"same figures: {ok} of {n} (12 indicators x quarters from {first}: numerator and denominator)")
        for line in bad:
            print(f"  MISMATCH {line}")

    times: dict[str, list[float]] = {t: [] for t in tasks}
    peaks: dict[str, int] = dict.fromkeys(tasks, 0)
    for _ in range(args.repeat):
        for t, cmd in tasks.items():
            seconds, kb = run(cmd)
            times[t].append(seconds)
            peaks[t] = max(peaks[t], kb)
    best = {t: min(v) for t, v in times.items()}
    labels = {"peer": "DuckDB peer, 12 indicators", "cm12": "csc-metrics compute -i (the same 12)",
              "cmall": "csc-metrics compute, every indicator + checks", "help": "csc-metrics --help",
              "check": "csc-metrics check (shipped definitions)"}
    print(f"\nbest of {args.repeat} interleaved rounds (median in brackets); peak memory = resident high-water mark")
    for t in tasks:
        med = sorted(times[t])[len(times[t]) // 2]
        ratio = f"{best[t] / best['peer']:.2f}x the peer" if "peer" in best and t in ("cm12", "cmall") else ""
        print(f"  {labels[t]:<48} {best[t]:6.2f} s ({med:.2f}) {ratio:>16}   {peaks[t] / 1e6:5.2f} GB "
              f"({peaks[t] * 1e3 / size:.2f}x the CSV)")

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print("\ntargets (issue 18, spec/performance.md):")
    if "peer" in best:
        for t, limit in (("cm12", 0.8), ("cmall", 1.0)):
            if t in best:
                r = best[t] / best["peer"]
                print(f"  {t}: at most {limit}x the peer's time: {r:.2f}x, {verdict(r <= limit)}")
    for t in ("cm12", "cmall"):
        if t in peaks:
            r = peaks[t] * 1e3 / size
            print(f"  {t}: peak memory at most 2x the CSV ({size / 1e6:.0f} MB): {r:.2f}x, {verdict(r <= 2)}")
    if "help" in best:
        print(f"  --help under 0.3 s: {best['help']:.2f} s, {verdict(best['help'] < 0.3)}")
    if "check" in best:
        print(f"  check under 1.5 s: {best['check']:.2f} s, {verdict(best['check'] < 1.5)}")
    if "cmall" in best:
        print(f"  rate: compute, every indicator: {best['cmall'] / rows * 1e6:.3f} s per million rows "
              f"(linear in rows: compare the two sizes)")


if __name__ == "__main__":
    main()
