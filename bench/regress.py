"""Regression guard for performance work: results must not change.

    python bench/regress.py save   # before changing anything: writes bench/out/regress/baseline/
    python bench/regress.py check  # after: recomputes and asserts everything is identical

Cases: a clean mid-sized sample (45,079 children, seed 2025, 2 years) computed by quarter, month and year with an
LA (rates); a messy sample (every defect the generator makes: BOM, cp1252, serial dates, footers, duplicates...)
by quarter; a messy xlsx workbook; and the DfE returns (SSDA903 CSV and XML, CIN census XML) of a clean and a messy
sample, computed by year and quarter (`returns`, `returns_messy`: their 903 CSV folder with their CIN censuses,
and their 903 XML alone). Compared: the full `compute --strict` payload (JSON: every column read),
every read diagnostic (with values) and every typed frame (exact equality). `compute` without --strict reads only
the columns its indicators and checks use: its payload must equal the strict one except that its diagnostics
may leave out some (those of columns not read). Not a test: run by hand around optimisations.
"""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from csc_metrics.compute import ComputeOptions, compute, load_checked_definitions  # noqa: E402
from csc_metrics.io import read_inputs  # noqa: E402
from csc_metrics.sample import generate_sample  # noqa: E402

OUT = ROOT / "bench" / "out" / "regress"
SAMPLES = {
    "clean": dict(children=45079, seed=2025, years=2),
    "messy": dict(children=45079, seed=7, years=2, messy=True),
    "messy_xlsx": dict(children=6000, seed=3, years=2, messy=True, fmt="xlsx"),
    "returns": dict(children=45079, seed=2030, years=3, ssda903=True, cin=True),
    "returns_messy": dict(children=20000, seed=7, years=3, ssda903=True, cin=True, messy=True),
}
# the returns samples: what is read of their folder (the 903 is written twice, as CSV and XML: one at a time)
RETURNS = {"returns", "returns_messy"}
PARTS = {"csv": ("ssda903", "cin_census_*.xml"), "xml": ("ssda903_xml",)}
RUNS = [  # (sample, la, periods)
    ("clean", "808", ["quarter"]),
    ("clean", None, ["month"]),
    ("clean", "808", ["year"]),
    ("clean", "808", ["2023-24", "2024-25 Q3", "2024-02"]),
    ("messy", "808", ["quarter"]),
    ("messy_xlsx", None, ["quarter"]),
    ("returns", "808", ["year"]),
    ("returns", "808", ["quarter"]),
    ("returns_messy", "808", ["year"]),
    ("returns:xml", "808", ["year"]),
    ("returns_messy:xml", "808", ["year"]),
]


def inputs(name: str) -> list[Path]:
    """The paths read for a case: an Annex A sample's folder, or a part of a returns sample (`returns:xml`;
    `returns` alone is its 903 CSV folder and CIN censuses)."""
    sample, _, part = name.partition(":")
    folder = OUT / "samples" / sample
    if sample not in RETURNS:
        return [folder]
    if part == "xml":  # a sample writes each return year once: its XML 903 is a second sample's
        folder = OUT / "samples" / f"{sample}_xml"
    return sorted(p for pattern in PARTS[part or "csv"] for p in folder.glob(pattern))


def snapshot() -> dict:
    defs = load_checked_definitions(ROOT / "definitions")
    out: dict = {}
    for name, kw in SAMPLES.items():
        folder = OUT / "samples" / name
        if not folder.exists():
            generate_sample(folder, **kw)
        if name in RETURNS and not (xml := OUT / "samples" / f"{name}_xml").exists():
            generate_sample(xml, **{**kw, "cin": False, "ssda903_xml": True})
    for name in [*[n for n in SAMPLES if n not in RETURNS], *[f"{n}:{p}" for n in sorted(RETURNS) for p in PARTS]]:
        if not inputs(name):  # e.g. a generator that no longer writes the SSDA903 XML
            print(f"skipped {name}: no inputs")
            continue
        read = read_inputs(inputs(name), defs)
        out[f"read:{name}:diags"] = [d.model_dump(mode="json") for d in read.diagnostics]
        # the typed columns (the child key `__child` is an internal join column; its own tests cover it)
        out[f"read:{name}:frames"] = {t: td.frame.drop("__child", strict=False) for t, td in read.tables.items()}
        out[f"read:{name}:sources"] = [vars(s) for td in read.tables.values() for s in td.sources]
    strict = "strict" in ComputeOptions.__dataclass_fields__  # (older versions read every column anyway)
    for name, la, periods in RUNS:
        if not inputs(name):
            continue
        for projected in (False, True) if strict else (False,):
            opts = ComputeOptions(paths=inputs(name), definitions=ROOT / "definitions", la=la,
                                  period=periods, use_store=False, **({"strict": not projected} if strict else {}))
            payload = compute(opts).payload
            key = f"compute{'-projected' if projected else ''}:{name}:{la}:{'+'.join(periods)}"
            out[key] = json.dumps(payload, sort_keys=True, default=str)
    return out


def same_but_fewer_diagnostics(full: str, projected: str) -> bool:
    """The projected payload equals the full one, except that some diagnostics may be missing."""
    a, b = json.loads(full), json.loads(projected)
    fewer = [d for d in b.pop("diagnostics") if d not in a["diagnostics"]] == []
    a.pop("diagnostics")
    return fewer and a == b


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "check"
    base = OUT / "baseline.pkl"
    snap = snapshot()
    if mode == "save":
        OUT.mkdir(parents=True, exist_ok=True)
        base.write_bytes(pickle.dumps(snap))
        print(f"saved {len(snap)} items to {base}")
        return
    old = pickle.loads(base.read_bytes())
    bad = []
    for key, value in old.items():
        new = snap.get(key)
        if key.endswith(":frames"):
            same = set(value) == set(new) and all(value[t].equals(new[t]) and value[t].schema == new[t].schema
                                                  for t in value)
        else:
            same = value == new
        print(f"{'ok  ' if same else 'DIFF'} {key}")
        if not same:
            bad.append(key)
        if key.startswith("compute:"):
            projected = key.replace("compute:", "compute-projected:", 1)
            same = same_but_fewer_diagnostics(value, snap[projected])
            print(f"{'ok  ' if same else 'DIFF'} {projected} (the same but for diagnostics of columns not read)")
            if not same:
                bad.append(projected)
    if bad:
        raise SystemExit(f"{len(bad)} item(s) differ: {bad}")
    print(f"all {len(old)} items identical")


if __name__ == "__main__":
    pl.Config.set_tbl_rows(20)
    main()
