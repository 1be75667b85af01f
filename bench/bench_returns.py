"""Time reading the DfE returns of an authority 30 times the size of `sample_data/` (README, Performance).

    csc-metrics sample --out bench/out/returns30 --children 1352370 --seed 2025 --years 2 --ssda903 --cin
    csc-metrics sample --out bench/out/returns30 --children 1352370 --seed 2025 --years 2 --ssda903-xml --cin
    python bench/bench_returns.py bench/out/returns30

(the second run adds the same returns as XML in ssda903_xml/; the lists and censuses it rewrites are the same
bytes). Times `read_inputs` (recognition, conversion, year, stacking, checks and episode repairs: what
`validate` and `compute` do before evaluating) on the SSDA903 CSV folder (two collection years), the last
year's SSDA903 XML, and one CIN census XML, best of three, and prints the rows read and the machine."""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from csc_metrics.compute import load_checked_definitions  # noqa: E402
from csc_metrics.io import read_inputs  # noqa: E402


def cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(folder: Path) -> None:
    defs = load_checked_definitions(ROOT / "definitions")
    cin = sorted(folder.glob("cin_census_*.xml"))[-1:]
    cases = {"SSDA903 CSV folder (2 years)": [folder / "ssda903"], "SSDA903 XML (1 year)": sorted((folder / "ssda903_xml").glob("*.xml"))[-1:],
             "CIN census XML (1 year)": cin}
    print(f"machine: {os.cpu_count()} CPUs (nproc), {cpu()}, Python {platform.python_version()}")
    for name, paths in cases.items():
        best, rows, size = float("inf"), 0, sum(p.stat().st_size for q in paths for p in ([q] if q.is_file() else q.rglob("*")))
        for _ in range(3):
            t0 = time.perf_counter()
            read = read_inputs(paths, defs, digests=False)
            best = min(best, time.perf_counter() - t0)
            rows = sum(td.frame.height for td in read.tables.values())
        print(f"{name}: {best:.2f} s, {rows:,} rows in {len(read.tables)} tables, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
