"""Distance and location of placement (returns.md §2.9): from the input's PL_DISTANCE/PL_LOCATION, else from a
postcode lookup the user supplies (ONS postcode directory columns), never downloaded."""

from __future__ import annotations

from pathlib import Path

import polars as pl

MILE_KM = 1.6093
NATIONS = {"S": "SCO", "W": "WAL", "N": "NIR"}  # first letter of a Scottish, Welsh or NI area code


def _pcd(col: str) -> pl.Expr:
    """A postcode without spaces, upper case (how V903 looks postcodes up)."""
    return pl.col(col).cast(pl.String).str.replace_all(r"\s+", "").str.to_uppercase()


def read_postcodes(path: Path) -> pl.LazyFrame:
    """`pcd, east, north, area` from an ONS postcode directory CSV (pcd, oseast1m, osnrth1m, laua; cty when
    present: the upper-tier area is cty unless it is a dummy E99999999 / blank, else laua)."""
    from csc_metrics.errors import InputError

    try:
        names = pl.read_csv(path, n_rows=0, infer_schema_length=0).columns
    except Exception as exc:  # unreadable file: a clear stop naming it
        raise InputError(f"--postcodes {path}: cannot read it as CSV ({type(exc).__name__})",
                         "pass the ONS postcode directory CSV (columns pcd, oseast1m, osnrth1m, laua)") from exc
    lower = {n.lower(): n for n in names}
    missing = [c for c in ("pcd", "oseast1m", "osnrth1m", "laua") if c not in lower]
    if missing:
        raise InputError(f"--postcodes {path}: no column {', '.join(missing)}",
                         "pass the ONS postcode directory CSV (columns pcd, oseast1m, osnrth1m, laua)")
    cty = pl.col(lower["cty"]).cast(pl.String) if "cty" in lower else pl.lit(None, pl.String)
    laua = pl.col(lower["laua"]).cast(pl.String)
    area = pl.when(cty.is_null() | cty.str.starts_with("E99") | (cty == "")).then(laua).otherwise(cty)
    return (pl.scan_csv(path, infer_schema_length=0)
            .select(_pcd(lower["pcd"]).alias("pcd"), pl.col(lower["oseast1m"]).cast(pl.Float64, strict=False).alias("east"),
                    pl.col(lower["osnrth1m"]).cast(pl.Float64, strict=False).alias("north"), area.alias("area"))
            .unique("pcd"))


def with_distance(episodes: pl.DataFrame, postcodes: pl.LazyFrame | None, uasc: pl.DataFrame | None = None) -> pl.DataFrame:
    """Episodes with `pl_distance` (miles, 0.1) and `pl_location` (IN/OUT): the input's columns when any row
    has them, else from `postcodes` (see `read_postcodes`); None when neither is available. UASC children (a
    row in `uasc`) get no distance (V903 406)."""
    has = [c for c in ("pl_distance", "pl_location") if c in episodes.columns]
    if has and episodes.select(pl.any_horizontal(pl.col(c).is_not_null().any() for c in has)).item():
        out = episodes.with_columns(pl.col("pl_distance").cast(pl.Float64) if "pl_distance" in has
                                    else pl.lit(None, pl.Float64).alias("pl_distance"),
                                    pl.col("pl_location").cast(pl.String).str.to_uppercase() if "pl_location" in has
                                    else pl.lit(None, pl.String).alias("pl_location"))
        return out
    if postcodes is None:
        return None  # type: ignore[return-value]
    ep = episodes.lazy().with_columns(_pcd("home_post").alias("__h"), _pcd("pl_post").alias("__p"))
    home = postcodes.select(pl.col("pcd").alias("__h"), pl.col("east").alias("__he"), pl.col("north").alias("__hn"),
                            pl.col("area").alias("__ha"))
    place = postcodes.select(pl.col("pcd").alias("__p"), pl.col("east").alias("__pe"), pl.col("north").alias("__pn"),
                             pl.col("area").alias("__pa"))
    ep = ep.join(home, on="__h", how="left").join(place, on="__p", how="left")
    la_area = (ep.select(pl.col("__ha").drop_nulls().mode().first()).collect().item())
    dist = (((pl.col("__he") - pl.col("__pe")) ** 2 + (pl.col("__hn") - pl.col("__pn")) ** 2).sqrt()
            / 1000 / MILE_KM).round(1)
    nation = pl.col("__pa").str.slice(0, 1).replace_strict(NATIONS, default=None)
    location = (pl.when(pl.col("__pa").is_null()).then(None)
                .when(nation.is_not_null() | (pl.col("__pa") != pl.lit(la_area))).then(pl.lit("OUT"))
                .otherwise(pl.lit("IN")))
    out = ep.with_columns(dist.alias("pl_distance"), location.alias("pl_location")).collect()
    if uasc is not None and uasc.height:
        flagged = uasc.select(pl.col("child").cast(pl.String)).unique().with_columns(pl.lit(True).alias("__u"))
        out = (out.with_columns(pl.col("child").cast(pl.String).alias("__c"))
               .join(flagged.rename({"child": "__c"}), on="__c", how="left")
               .with_columns(pl.when(pl.col("__u")).then(None).otherwise(pl.col("pl_distance")).alias("pl_distance"))
               .drop("__c", "__u"))
    return out.drop([c for c in out.columns if c.startswith("__") and c not in ("__src", "__row")])
