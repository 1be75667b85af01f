"""Benchmark: `compute` (all indicators, every quarter) against a bare `polars.read_csv` of the same files.

Usage: python bench/bench_compute.py [--children 6000000] [--years 2] [--out bench/out/extract] [--reuse]

Writes a synthetic Annex A extract with `csc-metrics sample` (about 1 million referrals at 6 million children over
two years plus history), then times, best of three:
  1. polars.read_csv of every CSV (all columns as text: the floor any tool must pay);
  2. csc-metrics reading alone (header recognition, conversion, data-quality checks);
  3. csc-metrics compute end to end (read + every indicator for every quarter, no store).
Prints the numbers and the machine; the README quotes them. Not a test: timings never go in the test suite.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from csc_metrics.compute import ComputeOptions, compute, load_checked_definitions  # noqa: E402
from csc_metrics.io import read_inputs  # noqa: E402


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=6_000_000)
    ap.add_argument("--years", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "extract")
    ap.add_argument("--reuse", action="store_true", help="reuse an extract already written to --out")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not (args.reuse and args.out.exists()):
        from csc_metrics.sample import generate_sample

        t0 = time.perf_counter()
        generate_sample(args.out, children=args.children, years=args.years, seed=1)
        print(f"generated in {time.perf_counter() - t0:.1f} s")
    files = sorted(args.out.glob("*.csv"))
    size = sum(f.stat().st_size for f in files)
    rows = {f.name: pl.scan_csv(f, infer_schema=False).select(pl.len()).collect().item() for f in files}
    print(f"extract: {len(files)} files, {size / 1e6:.0f} MB, {sum(rows.values()):,} rows "
          f"(referrals {rows.get('list_03_referrals.csv', 0):,})")

    def plain() -> None:
        for f in files:
            pl.read_csv(f, infer_schema=False)

    defs = load_checked_definitions(ROOT / "definitions")
    opts = ComputeOptions(paths=[args.out], definitions=ROOT / "definitions", la=None, use_store=False)
    t_plain = best_of(args.repeat, plain)
    t_read = best_of(args.repeat, lambda: read_inputs([args.out], defs))
    t_compute = best_of(args.repeat, lambda: compute(opts))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, polars {pl.__version__}")
    print(f"polars.read_csv (all text): {t_plain:.2f} s")
    print(f"csc-metrics read + validate: {t_read:.2f} s ({t_read / t_plain:.2f}x)")
    print(f"csc-metrics compute, all indicators, every quarter: {t_compute:.2f} s ({t_compute / t_plain:.2f}x)")
    print(f"peak memory: {peak:.2f} GB (CSV {size / 1e9:.2f} GB)")


if __name__ == "__main__":
    main()
