"""Build the benchmark data bundled with csc-metrics from the published DfE/ONS files.

    python scripts/build_data.py                 # reads ../shared/data, writes src/csc_metrics/data/
    python scripts/build_data.py --shared DIR    # another copy of the shared data folder
    python scripts/build_data.py --out DIR       # write somewhere else (the rebuild test does this)

Writes compact CSVs, `manifest.json` and `SOURCES.md` into `src/csc_metrics/data/`. The output is
deterministic: running it twice on the same inputs gives byte-identical files, and a test checks that the
shipped files equal a fresh build. Published symbols (`-`, `c`, `x`, ...) are kept as text, never turned into 0.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "csc_metrics" / "data"
YEARS = [str(y) for y in range(2015, 2026)]
NUMBER = r"^-?\d+(\.\d+)?$"
# Symbols DfE publishes instead of a number. Anything else in a value cell stops the build.
SYMBOLS = {"-", "c", "x", "z", "u", "k", "low"}
LICENCE = "Open Government Licence v3.0"
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"

LAIT = {
    "name": "DfE Local Authority Interactive Tool (LAIT)",
    "repository": "dfe-analytical-services/local-authority-interactive-tool",
    "commit": "2e30e3959a6ab8b2d22941b84764da41a40ac91b",
    "date": "2026-04-08",
    "note": "2015 values from commit 2db9c9b (2025-02-14); 2016-2025 from the commit above",
}
CSC_OE = {
    "name": "DfE Children's social care: outcomes and enablers dashboard",
    "repository": "dfe-analytical-services/CSC_outcomes_and_enablers",
    "commit": "2f5d11a431050523dab58810083259d3313029ae",
    "date": "2026-04-27",
    "note": "ONS mid-year estimates, children aged 0-17, as copied into data-raw/",
}
SN_MODELS = {"2025": "DfE statistical neighbours, May 2025", "2021": "DfE statistical neighbours, April 2021"}

# LAIT region area codes, keyed by the lower-cased region names used in the source files.
REGION_CODES = {
    "north east": "980",
    "north west": "981",
    "yorkshire and the humber": "982",
    "east midlands": "983",
    "west midlands": "984",
    "east of england": "985",
    "london": "986",
    "inner london": "987",
    "london (inner)": "987",
    "outer london": "988",
    "london (outer)": "988",
    "south east": "989",
    "south west": "990",
}


def read(path: Path) -> pl.DataFrame:
    """Every column as text, exactly as published (BOM and surrounding spaces removed)."""
    df = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    df = df.rename({c: c.lstrip("\ufeff").strip() for c in df.columns})
    return df.with_columns(pl.col(c).str.strip_chars() for c in df.columns)


def region_code(col: str) -> pl.Expr:
    return pl.col(col).str.to_lowercase().replace_strict(REGION_CODES, default=None)


def check_cells(df: pl.DataFrame, cols: list[str], what: str) -> None:
    """Stop if a value cell holds something that is neither a number nor a known symbol."""
    for col in cols:
        bad = df.filter(pl.col(col).is_not_null() & ~pl.col(col).str.contains(NUMBER) & ~pl.col(col).is_in(SYMBOLS))
        if bad.height:
            sys.exit(f"{what}: column {col}: unexpected value {bad[col][0]!r}; add it to SYMBOLS if it is a symbol")


def build_areas(shared: Path) -> pl.DataFrame:
    src = read(shared / "la_code_list_lait.csv").rename({"LA Number": "code", "LA Name": "name"})
    pop = read(shared / "ons_population_0_17_by_la_2012_to_2024.csv").filter(pl.col("old_la_code").is_not_null())
    ons = pop.sort("time_period").group_by("old_la_code").agg(pl.col("new_la_code").last().alias("ons_code"))
    src = src.join(ons, left_on="code", right_on="old_la_code", how="left")
    src = src.filter(pl.col("code") != "1000")  # "England (discontinued)"
    code = pl.col("code").cast(pl.Int32)
    level = pl.when(code == 970).then(pl.lit("national")).when(code >= 980).then(pl.lit("region"))
    df = src.with_columns(
        level=level.otherwise(pl.lit("la")),
        region_code=pl.when(code >= 970).then(pl.lit(None, pl.String)).otherwise(region_code("Region")),
        type=pl.col("Type"),
    )
    missing = df.filter((pl.col("level") == "la") & pl.col("region_code").is_null())
    if missing.height:
        sys.exit(f"la_code_list_lait.csv: no region code for {missing['code'].to_list()}")
    return df.select("code", "name", "level", "region_code", "type", "ons_code").sort(code)


def build_values(shared: Path) -> pl.DataFrame:
    src = read(shared / "lait_csc_indicators_wide.csv")
    check_cells(src, YEARS, "lait_csc_indicators_wide.csv")
    df = src.select(pl.col("measure_short").alias("measure"), pl.col("area_code").alias("area"), *YEARS)
    if df.select("measure", "area").is_duplicated().any():
        sys.exit("lait_csc_indicators_wide.csv: duplicate measure x area rows")
    return df.sort("measure", pl.col("area").cast(pl.Int32))


def measure_unit(axis: str, name: str) -> str:
    text = f"{axis} | {name}".lower()
    if "per 10,000" in text:
        return "rate_per_10k"
    if "%" in axis or "percentage" in name.lower() or axis.lower() in {"turnover rate", "absence rate"}:
        return "percent"
    if axis.lower().startswith("number") or "fte" in text or axis.lower() == "social workers":
        return "count"
    if "score" in axis.lower():
        return "score"
    if axis.lower() == "case load":
        return "average"
    return "other"


def published_decimals(values: pl.DataFrame) -> dict[str, int]:
    """Per measure, the most common number of decimal places in its published values (ties: fewer)."""
    long = values.unpivot(index=["measure", "area"], on=YEARS, value_name="v").filter(
        pl.col("v").str.contains(NUMBER)
    )
    long = long.with_columns(dp=pl.col("v").str.extract(r"\.(\d+)$").str.len_chars().fill_null(0))
    counts = long.group_by("measure", "dp").len().sort("measure", "len", "dp", descending=[False, True, False])
    return dict(counts.group_by("measure", maintain_order=True).first().select("measure", "dp").iter_rows())


def build_measures(shared: Path, values: pl.DataFrame) -> pl.DataFrame:
    src = read(shared / "lait_csc_measure_definitions.csv")
    data_dp = published_decimals(values)
    polarity = pl.col("Polarity").str.to_lowercase().replace_strict({"low": "low", "high": "high"}, default="none")
    rows = []
    for r in src.iter_rows(named=True):  # 156 dictionary rows, not data rows
        dps = r["dps"]
        rows.append(
            {
                "code": r["Measure_short"],
                "decimals": int(float(dps)) if dps else data_dp.get(r["Measure_short"], 1),
                "decimals_from": "dictionary" if dps else "published values",
                "unit": measure_unit(r["y_axis_name"] or "", r["Measure"] or ""),
            }
        )
    extra = pl.DataFrame(rows)
    clean = [pl.col(c).str.replace_all(r"\s+", " ").str.strip_chars() for c in ("Measure", "Description")]
    df = src.with_columns(*clean).select(
        pl.col("Measure_short").alias("code"),
        pl.col("Measure").alias("name"),
        pl.col("Topic").alias("topic"),
        polarity.alias("polarity"),
        pl.col("Year_Type").alias("year_type"),
        (pl.col("No_Quartile").fill_null("") != "N").alias("quartiles"),
        pl.col("y_axis_name").alias("axis_label"),
        pl.col("Description").alias("description"),
    )
    df = df.join(extra, on="code", how="left").select(
        "code", "name", "topic", "polarity", "unit", "decimals", "decimals_from", "year_type", "quartiles",
        "axis_label", "description",
    )
    unknown = set(values["measure"].unique()) - set(df["code"])
    if unknown:
        sys.exit(f"measures with values but no definition: {sorted(unknown)}")
    return df.sort("code")


def build_neighbours(shared: Path) -> pl.DataFrame:
    frames = []
    for model, name in (("2025", "dfe_statistical_neighbours_2025-05.csv"), ("2021", "dfe_statistical_neighbours_2021-04.csv")):
        src = read(shared / name)
        for rank in range(1, 11):
            closeness = pl.col(f"sn{rank}_closeness").str.to_lowercase().str.to_titlecase()
            frames.append(
                src.filter(pl.col(f"sn{rank}").is_not_null()).select(
                    pl.lit(model).alias("model"),
                    pl.col("la_code"),
                    pl.lit(rank, pl.Int32).alias("rank"),
                    pl.col(f"sn{rank}").alias("neighbour"),
                    # "Very close", "Not close": first letter capital only
                    (closeness.str.slice(0, 1) + closeness.str.slice(1).str.to_lowercase()).alias("closeness"),
                )
            )
    df = pl.concat(frames)
    return df.sort("model", pl.col("la_code").cast(pl.Int32), "rank", descending=[True, False, False])


def build_population(shared: Path, areas: pl.DataFrame) -> pl.DataFrame:
    src = read(shared / "ons_population_0_17_by_la_2012_to_2024.csv")
    check_cells(src, ["population_estimate"], "ons_population_0_17_by_la_2012_to_2024.csv")
    level = pl.col("geographic_level")
    area = (
        pl.when(level == "National").then(pl.lit("970"))
        .when(level == "Regional").then(region_code("region_name"))
        .otherwise(pl.col("old_la_code"))
    )
    df = src.select(
        area.alias("area"), pl.col("time_period").alias("mid_year"), pl.col("population_estimate").alias("population")
    )
    if df["area"].null_count():
        sys.exit("ons_population_0_17_by_la_2012_to_2024.csv: a row has no DfE area code")
    unknown = set(df["area"]) - set(areas["code"])
    if unknown:
        sys.exit(f"population for unknown areas {sorted(unknown)}")
    return df.sort(pl.col("area").cast(pl.Int32), "mid_year")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


SOURCES_MD = """# Benchmark data bundled with csc-metrics

Built by `python scripts/build_data.py` from the shared data folder (`../shared/data`, described in its README).
Do not edit these files by hand: change the script and rebuild. A test fails when they differ from a rebuild.

Licence: all values are public statistics from the Department for Education and the Office for National
Statistics, published under the {licence} ({licence_url}). Contains public sector information licensed under the
Open Government Licence v3.0.

| file | what it holds | source (vintage) |
|---|---|---|
| `lait_values.csv` | LAIT values for {n_measures} children's social care measures (topics Child Protection, Children in Need, Children Looked After, Adoption, Children's Services Workforce), one row per measure x area (England 970, regions 980-990 with Inner 987 / Outer 988 London, every LA), years ending 31 March 2015-2025. Cells as published: a number, `-` (no value: suppressed or not available), or empty (not published that year) | {lait_name}, `{lait_repo}` @ `{lait_commit}` ({lait_date}); {lait_note} |
| `lait_measures.csv` | Measure definitions: name, topic, polarity (low/high/none), unit (derived from the axis label), decimal places (the dictionary's `dps`; where blank, the most common number of decimals in the published values), year type, whether LAIT shows quartile bands, description | LAIT data dictionary (same snapshot) |
| `statistical_neighbours.csv` | DfE children's services statistical neighbours, models `2025` ({sn2025}) and `2021` ({sn2021}): LA, rank 1-10, neighbour, closeness. 942 Cumberland and 943 Westmorland and Furness have no neighbours in the 2021 model | LAIT `sn_may_2025.xlsx`, `sn_april_2021.xlsx` (same snapshot) |
| `areas.csv` | DfE 3-digit codes: England, regions, every LA (current and legacy) with its LAIT region code, type and ONS (GSS) code | LAIT `la_code_list.xlsx` (same snapshot); ONS codes from the population file |
| `population_0_17.csv` | ONS mid-year population estimates, children aged 0-17, mid-2012 to mid-2024, England, regions and LAs (`x` = the LA did not exist) | {csc_name}, `{csc_repo}` @ `{csc_commit}` ({csc_date}) |

`manifest.json` lists every file with its row count and sha256, and the sha256 of the shared file it came from.
DfE rates for the year ending March Y use the ONS mid-(Y-1) population; rates move when ONS revises an estimate.
"""


def build(shared: Path, out: Path) -> list[Path]:
    """Write every bundled file into `out`; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    areas = build_areas(shared)
    values = build_values(shared)
    tables = {
        "areas.csv": (areas, "la_code_list_lait.csv"),
        "lait_values.csv": (values, "lait_csc_indicators_wide.csv"),
        "lait_measures.csv": (build_measures(shared, values), "lait_csc_measure_definitions.csv"),
        "statistical_neighbours.csv": (
            build_neighbours(shared),
            "dfe_statistical_neighbours_2025-05.csv dfe_statistical_neighbours_2021-04.csv",
        ),
        "population_0_17.csv": (build_population(shared, areas), "ons_population_0_17_by_la_2012_to_2024.csv"),
    }
    written = []
    files = {}
    for name, (df, origin) in tables.items():
        path = out / name
        df.write_csv(path, line_terminator="\n")
        written.append(path)
        files[name] = {
            "rows": df.height,
            "columns": df.columns,
            "sha256": sha256(path),
            "built_from": {o: sha256(shared / o) for o in origin.split()},
        }
    manifest = {
        "schema_version": 1,
        "built_by": "python scripts/build_data.py",
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "sources": {"lait": LAIT, "csc_outcomes_and_enablers": CSC_OE},
        "vintage": {
            "lait_values": f"LAIT snapshot {LAIT['date']} (2015 from the 2025-02-14 snapshot)",
            "population_0_17": "ONS mid-year estimates mid-2012 to mid-2024, current series "
            f"(CSC outcomes and enablers snapshot {CSC_OE['date']})",
            "sn_models": SN_MODELS,
        },
        "years": [int(YEARS[0]), int(YEARS[-1])],
        "files": files,
    }
    path = out / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(path)
    path = out / "SOURCES.md"
    text = SOURCES_MD.format(
        licence=LICENCE, licence_url=LICENCE_URL, n_measures=values["measure"].n_unique(),
        lait_name=LAIT["name"], lait_repo=LAIT["repository"], lait_commit=LAIT["commit"][:12], lait_date=LAIT["date"],
        lait_note=LAIT["note"], sn2025=SN_MODELS["2025"], sn2021=SN_MODELS["2021"], csc_name=CSC_OE["name"],
        csc_repo=CSC_OE["repository"], csc_commit=CSC_OE["commit"][:12], csc_date=CSC_OE["date"],
    )
    path.write_text(text, encoding="utf-8")
    written.append(path)
    return written


def default_shared() -> Path:
    return ROOT.parent / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=None, help="shared data folder (default ../shared/data)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default the package data)")
    args = parser.parse_args(argv)
    shared = args.shared or default_shared()
    if not (shared / "lait_csc_indicators_wide.csv").is_file():
        print(f"error: {shared} does not hold the shared data (lait_csc_indicators_wide.csv); pass --shared DIR",
              file=sys.stderr)
        return 2
    paths = build(shared, args.out)
    total = sum(p.stat().st_size for p in paths)
    for p in paths:
        print(f"{p.stat().st_size:>10,}  {p}")
    print(f"{total:>10,}  total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
