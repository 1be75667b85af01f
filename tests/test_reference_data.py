"""The bundled data files: small, sourced, and exactly what `scripts/build_data.py` builds from ../shared/data."""

from __future__ import annotations

import importlib.util
import json
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
DATA = Path(str(resources.files("csc_metrics"))) / "data"


def _manifest() -> dict:
    return json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))


def _build_module():
    spec = importlib.util.spec_from_file_location("build_data", ROOT / "scripts" / "build_data.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared data not present at {SHARED}; cannot rebuild")
def test_shipped_files_equal_a_fresh_build(tmp_path):
    written = _build_module().build(SHARED, tmp_path)
    names = sorted(p.name for p in written)
    assert names == sorted([*_manifest()["files"], "manifest.json", "SOURCES.md"])
    for name in names:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), (
            f"src/csc_metrics/data/{name} differs from a rebuild: run `python scripts/build_data.py`"
        )


def test_data_is_small_and_records_source_licence_and_vintage():
    manifest = _manifest()
    files = [DATA / name for name in manifest["files"]]
    assert all(f.is_file() for f in files)
    total = sum(f.stat().st_size for f in DATA.iterdir() if f.is_file())
    assert total < 2_000_000, f"bundled data is {total:,} bytes; keep it under 2 MB"
    assert manifest["licence"] == "Open Government Licence v3.0"
    assert manifest["sources"]["lait"]["commit"].startswith("2e30e39")
    assert set(manifest["vintage"]["sn_models"]) == {"2025", "2021"}
    sources = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    assert "Open Government Licence v3.0" in sources and "python scripts/build_data.py" in sources
    for name, entry in manifest["files"].items():
        assert entry["rows"] > 0 and entry["built_from"], name


def test_published_symbols_are_kept_as_symbols_never_zero():
    """Every '-' cell in the bundled LAIT file reads back as missing (with a reason), not as 0."""
    import polars as pl

    from csc_metrics.reference import lait_value

    wide = pl.read_csv(DATA / "lait_values.csv", infer_schema=False)
    years = [c for c in wide.columns if c.isdigit()]
    long = wide.unpivot(index=["measure", "area"], on=years, variable_name="year", value_name="raw")
    dashes = long.filter(pl.col("raw") == "-")
    assert dashes.height > 30_000  # 38,439 in the source file
    assert long.filter(pl.col("raw").is_not_null() & (pl.col("raw") != "-")).select(
        pl.col("raw").cast(pl.Float64, strict=False).is_null().sum()
    ).item() == 0, "a cell is neither a number nor '-'"
    sample = dashes.head(3).rows()
    for measure, area, year, _ in sample:
        pv = lait_value(measure, area, int(year))
        assert pv.value is None and pv.symbol == "-" and pv.reason


def test_catalogue_benchmark_measures_exist():
    from csc_metrics.compare import indicator_meta_from_definitions
    from csc_metrics.reference import lait_measure_codes

    measures = {m["benchmark_measure"] for m in indicator_meta_from_definitions(None).values()} - {None}
    assert "ReReferral" in measures and measures <= lait_measure_codes()
