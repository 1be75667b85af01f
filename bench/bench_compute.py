"""Benchmark: `compute` (all indicators, every quarter) against a bare `polars.read_csv` of the same files.

    python bench/bench_compute.py --children 1400000            # ~1.5 million rows, ~164 MB (spec size)
    python bench/bench_compute.py --children 6500000 --repeat 3 # ~1 million referrals
    python bench/bench_compute.py --out bench/out/e1400k --reuse  # time an extract already written

Writes a synthetic Annex A extract with `csc_metrics.sample.generate_sample` (timed, in its own process), then
measures, each in a fresh Python process so that peak memory is that task's alone:
  1. plain: `polars.read_csv` of every CSV, all columns as text (the floor any tool pays);
  2. read: csc-metrics reading alone (header recognition, conversion, data-quality checks, the files'
     SHA-256 as `compute` records them; `validate` skips the hashes);
  3. compute: csc-metrics `compute` end to end (read + every indicator for every quarter, no store).
Each process runs its task `--repeat` times and reports the best time (the machine is shared: the best run
is the least disturbed one) and the peak resident memory of its first run (Python and polars included).
The three are interleaved round by round, so a busy spell hits them alike. Also times the CLI itself once
(`csc-metrics compute --no-store --format json`, process start included). Not a test: timings never go in
the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run in a child process: `python -c DRIVER task folder repeat`; prints one JSON line.
PEAK = r"""
def peak_kb():  # this process's own high-water mark (ru_maxrss would include the parent's, kept across exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
"""

DRIVER = PEAK + r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
import polars as pl
task, folder, repeat = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
files = sorted(folder.glob("*.csv"))
base = peak_kb()
if task == "plain":
    def run():
        return [pl.read_csv(f, infer_schema=False) for f in files]
elif task == "read":
    from csc_metrics.compute import load_checked_definitions
    from csc_metrics.io import read_inputs
    defs = load_checked_definitions(Path(sys.argv[4]).parent / "definitions")
    def run():
        return read_inputs([folder], defs)
else:
    from csc_metrics.compute import ComputeOptions, compute
    opts = ComputeOptions(paths=[folder], definitions=Path(sys.argv[4]).parent / "definitions", la=None,
                          use_store=False)
    def run():
        return compute(opts)
times, peak = [], None
for i in range(repeat):
    t0 = time.perf_counter()
    out = run()
    times.append(time.perf_counter() - t0)
    del out
    if peak is None:
        peak = peak_kb()
print(json.dumps({"times": times, "peak_kb": peak, "base_kb": base}))
"""

GENERATE = PEAK + r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[5])
from csc_metrics.sample import generate_sample
t0 = time.perf_counter()
generate_sample(Path(sys.argv[1]), children=int(sys.argv[2]), years=int(sys.argv[3]), seed=int(sys.argv[4]))
print(json.dumps({"seconds": time.perf_counter() - t0, "peak_kb": peak_kb()}))
"""


def child(code: str, *args: object) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"benchmark process failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or platform.machine())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    import polars as pl

    return (f"{cpu}, {os.cpu_count()} cores, {mem_kb / 1024**2:.0f} GB RAM, Python {platform.python_version()}, "
            f"polars {pl.__version__}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--children", type=int, default=1_400_000)
    ap.add_argument("--years", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="extract folder (default bench/out/c<children>)")
    ap.add_argument("--reuse", action="store_true", help="reuse an extract already written to --out")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--tasks", default="plain,read,compute")
    ap.add_argument("--no-cli", action="store_true", help="skip timing the CLI")
    ap.add_argument("--src", type=Path, default=ROOT / "src",
                    help="the csc_metrics sources to time (e.g. an older version unpacked with `git archive`)")
    args = ap.parse_args()
    out = args.out or ROOT / "bench" / "out" / f"c{args.children}"
    src = args.src.resolve()
    print(f"machine: {machine()}")
    if not (args.reuse and out.exists()):
        gen = child(GENERATE, out, args.children, args.years, args.seed, src)
        os.sync()  # the new files reach the disk now, not while the timings run
        print(f"generated --children {args.children:,} --years {args.years} in {gen['seconds']:.1f} s "
              f"(peak {gen['peak_kb'] / 1e6:.2f} GB)")
    import polars as pl

    files = sorted(out.glob("*.csv"))
    size = sum(f.stat().st_size for f in files)
    rows = {f.name: pl.scan_csv(f, infer_schema=False).select(pl.len()).collect().item() for f in files}
    print(f"extract: {len(files)} files, {size / 1e6:.0f} MB, {sum(rows.values()):,} rows "
          f"(referrals {rows.get('list_03_referrals.csv', 0):,})")

    tasks = args.tasks.split(",")
    results: dict[str, dict] = {t: {"times": [], "peak_kb": 0, "base_kb": 0} for t in tasks}
    rounds = max(1, args.repeat // 2)  # processes per task; each runs its task `per` times
    per = max(1, -(-args.repeat // rounds))
    for _ in range(rounds):
        for t in tasks:
            r = child(DRIVER, t, out, per, src)
            results[t]["times"] += r["times"]
            results[t]["peak_kb"] = max(results[t]["peak_kb"], r["peak_kb"])
            results[t]["base_kb"] = r["base_kb"]
    best = {t: min(r["times"]) for t, r in results.items()}
    floor = best.get("plain")
    labels = {"plain": "polars.read_csv, all columns as text", "read": "csc-metrics read + validate",
              "compute": "csc-metrics compute, all indicators, every quarter"}
    for t in tasks:
        ratio = f" ({best[t] / floor:.2f}x)" if floor and t != "plain" else ""
        r = results[t]
        print(f"{labels[t]}: best {best[t]:.2f} s{ratio} of {len(r['times'])}, median "
              f"{sorted(r['times'])[len(r['times']) // 2]:.2f} s; peak memory {r['peak_kb'] / 1e6:.2f} GB "
              f"({r['peak_kb'] / 1e3 / (size / 1e6):.1f}x the CSV; Python + imports {r['base_kb'] / 1e6:.2f} GB)")
    if not args.no_cli:
        env = dict(os.environ, PYTHONPATH=str(src))
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "csc_metrics", "compute", str(out), "--no-store", "--format", "json",
                        "--definitions", str(ROOT / "definitions"), "--output", os.devnull],
                       check=True, env=env, capture_output=True)
        print(f"CLI `csc-metrics compute --no-store --format json`, process start to exit: "
              f"{time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
