"""Time computing the DfE returns at scale (README, Performance; issues 15, 16 and 18 item 4).

    python bench/bench_returns.py              # writes the inputs under bench/out/returns/ once, then times
    python bench/bench_returns.py --repeat 5   # best of 5 rounds (default 3)

Inputs (written once; `--rewrite` writes them again):
  sample/         `csc-metrics sample --children 1352370 --seed 2030 --years 3 --ssda903 --cin`: an authority
                  30 times `sample_data/` (1/9 of England); its `cin_census_2024-25.xml` (~92 MB) is the CIN
                  census timed.
  ssda903_england/  England-scale SSDA903, three collection years (2022-23 to 2024-25): every CSV table of
                  sample/ssda903/ repeated 9 times, each copy under new child ids (the copy's number before the
                  id), so ~108,000 children are looked after in each year. The generator itself would need ~15 GB
                  to write England-scale returns (it simulates every child's Annex A journey first), too much
                  for a shared 23 GB machine; the copies have the same shape, so every figure is 9 times the
                  1/9 figure.

Timed, each as its own process (wall time from start to exit; CPU = user + system time of the process, from the
kernel's `wait4` accounting; peak resident memory), interleaved round by round, best of `--repeat`:
  compute 903     `csc-metrics compute ssda903_england --period year --format json --no-store` (every §3.3-3.7
                  measure of the three years, the reading, stacking, repairs and checks included)
  compute CIN     `csc-metrics compute sample/cin_census_2024-25.xml --period year --format json --no-store`
Then, in this process, the CIN census XML parse on its own (the streaming expat reader, `parse_cin_xml`) and the
full read (`CinCensusFormat.read`: parse, typing, year and census checks), CPU time and MB/s of CPU.
The host is shared: the load average is printed at the start and the end. Not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from peer import machine, timed  # noqa: E402

OUT = ROOT / "bench" / "out" / "returns"
CHILDREN, SEED, COPIES = 1_352_370, 2030, 9
CLI = [sys.executable, "-m", "csc_metrics"]


def run(cmd: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak resident KB) of one process run to its exit; fails on a non-zero exit."""
    wall, usage = timed(cmd)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def write_inputs(rewrite: bool) -> tuple[Path, Path]:
    """The sample (30x `sample_data/`) and the England-scale SSDA903 folder made from it."""
    import polars as pl

    sample, england = OUT / "sample", OUT / "ssda903_england"
    if rewrite:
        shutil.rmtree(OUT, ignore_errors=True)
    if not (sample / "ssda903").exists():
        wall, cpu, kb = run([*CLI, "sample", "--out", str(sample), "--children", str(CHILDREN), "--seed", str(SEED),
                             "--years", "3", "--ssda903", "--cin"])
        print(f"wrote `csc-metrics sample --children {CHILDREN} --seed {SEED} --years 3 --ssda903 --cin` in "
              f"{wall:.0f} s (peak {kb / 1e6:.1f} GB)")
    if not england.exists():
        tmp = england.with_name(england.name + ".tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        for f in sorted((sample / "ssda903").glob("SSDA903_*.csv")):
            one = pl.read_csv(f, infer_schema=False)  # every cell as text: written back as read
            copies = [one.with_columns(pl.concat_str(pl.lit(str(k)), pl.col("CHILD")).alias("CHILD"))
                      for k in range(1, COPIES + 1)]
            pl.concat(copies).write_csv(tmp / f.name, null_value="")
        tmp.rename(england)
        print(f"wrote {england}: sample/ssda903 x {COPIES} under new child ids")
    os.sync()
    return sample, england


def describe(sample: Path, england: Path, cin: Path) -> None:
    import polars as pl

    files = sorted(england.glob("*.csv"))
    looked_after = {f.name.split("_")[1]: pl.read_csv(f, columns=["CHILD"], infer_schema=False)["CHILD"].n_unique()
                    for f in files if f.name.endswith("_episodes.csv")}
    print(f"SSDA903: {england.relative_to(ROOT)}: {len(files)} CSV files, {sum(f.stat().st_size for f in files) / 1e6:.0f}"
          f" MB; children with an episode: " + ", ".join(f"{y}: {n:,}" for y, n in looked_after.items()))
    print(f"CIN census: {cin.relative_to(ROOT)}: {cin.stat().st_size / 1e6:.1f} MB "
          f"({(ROOT / 'sample_data' / cin.name).stat().st_size / 1e6:.1f} MB in sample_data/)")


def parse_rates(cin: Path, repeat: int) -> None:
    """CPU time of the streaming parse alone, and of the full read of the census, in this process."""
    from csc_metrics.compute import load_checked_definitions
    from csc_metrics.io.formats.cin_census import CinCensusFormat
    from csc_metrics.io.formats.cin_tables import cin_schemas
    from csc_metrics.io.formats.cin_xml import parse_cin_xml

    defs = load_checked_definitions(ROOT / "definitions")
    schemas = cin_schemas(defs.tables)
    size = cin.stat().st_size / 1e6
    for label, job in (("CIN XML streaming parse (expat, no tree)", lambda: parse_cin_xml(cin, schemas)),
                       ("CIN XML full read (parse, types, year, checks)", lambda: CinCensusFormat().read([cin], defs))):
        best = float("inf")
        for _ in range(repeat):
            c0 = time.process_time()
            result = job()
            best = min(best, time.process_time() - c0)
            del result
        print(f"  {label:<50} {best:6.2f} s CPU  {size / best:5.1f} MB/s of CPU")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="rounds; each figure is the best round")
    ap.add_argument("--rewrite", action="store_true", help="write the inputs again")
    args = ap.parse_args()
    print(f"machine: {machine()}", flush=True)
    sample, england = write_inputs(args.rewrite)
    cin = sample / "cin_census_2024-25.xml"
    describe(sample, england, cin)
    compute = ["compute", "--period", "year", "--format", "json", "--no-store", "--output", os.devnull,
               "--definitions", str(ROOT / "definitions")]
    tasks = {"compute SSDA903, England scale, 3 years": [*CLI, compute[0], str(england), *compute[1:]],
             "compute CIN census XML, 30x sample_data": [*CLI, compute[0], str(cin), *compute[1:]]}
    best: dict[str, tuple[float, float, int]] = {}
    for _ in range(args.repeat):
        for name, cmd in tasks.items():
            wall, cpu, kb = run(cmd)
            old = best.get(name)
            best[name] = (min(wall, old[0]), min(cpu, old[1]), max(kb, old[2])) if old else (wall, cpu, kb)
    print(f"\nbest of {args.repeat} interleaved rounds, each command its own process (start-up included)")
    for name, (wall, cpu, kb) in best.items():
        print(f"  {name:<50} {cpu:6.2f} s CPU  {wall:6.2f} s wall  {kb / 1e6:5.2f} GB peak")
    parse_rates(cin, args.repeat)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
