"""Regenerate sample_data/ with the tool's own `csc-metrics sample` (a test keeps the shipped files in sync).

Usage: python scripts/make_sample_data.py [--check]

Writes the sample into a temporary folder, then copies into sample_data/ the Annex A lists, the SSDA903 CSVs
of each year with their truth.json, and the CIN censuses with truth_cin_census.json (JSON with sorted keys).
README.md and csc-metrics.toml are written by hand and left alone. `--check` writes nothing and exits 1
when a shipped file differs from a regeneration, is missing, or is left over from an earlier one.
"""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
# 45,079: ONS mid-2024 children aged 0-17 in LA 808 (Stockton-on-Tees); seed 2030 gives an adoption order in
# every quarter; two financial years, 2023-24 and 2024-25, ending on the default --end 2025-03-31
OPTIONS = ["--children", "45079", "--seed", "2030", "--years", "2", "--ssda903", "--ssda903-history", "4", "--cin"]
COMMAND = " ".join(["csc-metrics", "sample", "--out", "sample_data", *OPTIONS])
SHIPPED = ["list_*.csv", "ssda903/*.csv", "ssda903/truth.json", "cin_census_*.xml", "truth_cin_census.json"]
HAND_WRITTEN = {"README.md", "csc-metrics.toml"}


def generate(out: Path) -> list[Path]:
    """Run the sample generator into `out`; the files sample_data/ ships, relative to `out`."""
    subprocess.run([sys.executable, "-m", "csc_metrics", "sample", "--out", str(out), *OPTIONS], check=True,
                   capture_output=True)
    return sorted({p.relative_to(out) for pattern in SHIPPED for p in out.glob(pattern)})


def shipped() -> set[Path]:
    """Every file now in sample_data/ that the generator writes (the hand-written ones left out)."""
    return {p.relative_to(SAMPLE) for p in SAMPLE.rglob("*") if p.is_file() and p.name not in HAND_WRITTEN}


def same(new: Path, old: Path) -> bool:
    """The same bytes; for JSON the same values (the generator's truth files list some keys in varying order)."""
    if new.suffix == ".json":
        return bool(json.loads(new.read_text()) == json.loads(old.read_text()))
    return filecmp.cmp(new, old, shallow=False)


def copy(new: Path, old: Path) -> None:
    """Copy a generated file; JSON with its keys sorted, so that a regeneration gives the same bytes."""
    old.parent.mkdir(parents=True, exist_ok=True)
    if new.suffix == ".json":
        old.write_text(json.dumps(json.loads(new.read_text()), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    else:
        shutil.copyfile(new, old)


def differences(fresh: Path, files: list[Path]) -> list[str]:
    """Shipped files that differ from, are missing from, or are not in a regeneration."""
    out = [f"{f}: {'differs' if (SAMPLE / f).exists() else 'missing'}" for f in files
           if not (SAMPLE / f).exists() or not same(fresh / f, SAMPLE / f)]
    return out + [f"{f}: not written by the generator" for f in sorted(shipped() - set(files))]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        files = generate(fresh)
        if check:
            diff = differences(fresh, files)
            for line in diff:
                print(f"sample_data/{line}", file=sys.stderr)
            if diff:
                print(f"sample_data/ is out of date: run python scripts/make_sample_data.py ({COMMAND})",
                      file=sys.stderr)
            return 1 if diff else 0
        for f in shipped() - set(files):
            (SAMPLE / f).unlink()
        for f in files:
            copy(fresh / f, SAMPLE / f)
    size = sum((SAMPLE / f).stat().st_size for f in files)
    print(f"wrote {len(files)} file(s) to sample_data/ ({size / 1e6:.1f} MB): {COMMAND}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
