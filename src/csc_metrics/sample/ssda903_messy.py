"""The SSDA903 defects of returns.md §1.7 for `csc-metrics sample --ssda903 --messy`, at a low rate on text
tables (DfE headers, dd/mm/yyyy), so that `validate` and the episode repairs (R0-R12) have something to find:
open episodes carrying REC, a DEC one day after the year end, overlapping episodes, several open episodes,
duplicate DECOMs (identical and differing), a return to care recorded without RNE S, a blank CHILD, a DECOM
"notadate", invalid and blank RNE, blank LS, an extra test column, children missing from Header, one child
twice in Header with different DOBs, SEX 1/2 mixed with M/F/U, MOTHER as `1.0`, postcodes padded or without
the space, OC3 ACCOM `01`, AD1 FOSTER_CARE as TRUE/FALSE, REASON_PLACED_CEASED `XXX`, a DOB "Notadate",
missing incidents before the year, and a file with a UTF-8 BOM and CRLF line ends."""

from __future__ import annotations

from datetime import date

import polars as pl

from csc_metrics.sample.draw import Draw

Tables = dict[int, dict[str, pl.DataFrame]]
Styles = dict[tuple[int, str], tuple[bool, bool]]


def _rows(df: pl.DataFrame, year: int, table: int) -> pl.DataFrame:
    return df.with_row_index("rid").with_columns(rid=pl.col("rid").cast(pl.Int64) * 1000 + year % 100 * 10 + table)


def _hit(d: Draw, key: int, p: float, where: pl.Expr | None = None) -> pl.Expr:
    """A share `p` of the rows (of those `where` holds), and always the first such row."""
    cond = pl.lit(True) if where is None else where.fill_null(False)
    first = pl.col("rid") == pl.col("rid").filter(cond).min()
    return cond & (d.chance(key, p) | first)


def make_messy_903(texts: Tables, d: Draw) -> tuple[Tables, Styles]:
    """Apply the defects to every return's text tables; returns the tables and (bom, crlf) file styles."""
    out: Tables = {}
    for y, tables in texts.items():
        t = {name: _rows(df, y, i) for i, (name, df) in enumerate(sorted(tables.items()))}
        t["episodes"] = _episodes(t["episodes"], d, y)
        t["header"] = _header(t["header"], d, y)
        t["oc3"] = t["oc3"].with_columns(ACCOM=pl.when(_hit(d, 9107, 0.02, pl.col("ACCOM") == "B1"))
                                         .then(pl.lit("01")).otherwise(pl.col("ACCOM")))
        t["ad1"] = t["ad1"].with_columns(FOSTER_CARE=pl.col("FOSTER_CARE").replace({"1": "TRUE", "0": "FALSE"}))
        t["placedadoption"] = t["placedadoption"].with_columns(
            REASON_PLACED_CEASED=pl.when(_hit(d, 9108, 0.1, pl.col("REASON_PLACED_CEASED").is_not_null()))
            .then(pl.lit("XXX")).otherwise(pl.col("REASON_PLACED_CEASED")))
        t["reviews"] = t["reviews"].with_columns(
            DOB=pl.when(_hit(d, 9109, 0.001)).then(pl.lit("Notadate")).otherwise(pl.col("DOB")))
        # missing incidents dated before the collection year (a year too early)
        start = pl.col("MIS_START").str.to_date("%d/%m/%Y", strict=False)
        t["missing"] = t["missing"].with_columns(
            MIS_START=pl.when(_hit(d, 9110, 0.01)).then(start.dt.offset_by("-1y").dt.strftime("%d/%m/%Y"))
            .otherwise(pl.col("MIS_START")))
        out[y] = {name: df.drop("rid") for name, df in t.items()}
    years = sorted(out)
    styles: Styles = {(years[-1], "header"): (True, True)}  # exported on Windows: BOM and CRLF
    out[years[0]]["episodes"] = out[years[0]]["episodes"].with_columns(TEST=pl.lit(None, pl.String))  # a stray column
    return out, styles


def _episodes(ep: pl.DataFrame, d: Draw, y: int) -> pl.DataFrame:
    child = pl.col("CHILD")
    open_ = pl.col("DEC").is_null()
    last = child != child.shift(-1)
    x1 = pl.col("REC") == "X1"
    # open episodes still carrying a cessation code (mostly X1)
    ep = ep.with_columns(REC=pl.when(_hit(d, 9101, 0.04, open_)).then(
        pl.when(d.chance(9102, 0.8)).then(pl.lit("X1")).otherwise(pl.lit("E13"))).otherwise(pl.col("REC")))
    # DEC one day after the year end (with X1) on an open episode
    ep = ep.with_columns(_after=_hit(d, 9103, 0.01, open_ & pl.col("REC").is_null())).with_columns(
        DEC=pl.when("_after").then(pl.lit(f"01/04/{y}")).otherwise(pl.col("DEC")),
        REC=pl.when("_after").then(pl.lit("X1")).otherwise(pl.col("REC")),
    ).drop("_after")
    # overlapping consecutive episodes: an X1 episode ending after the next one starts
    dec = pl.col("DEC").str.to_date("%d/%m/%Y", strict=False)
    ep = ep.with_columns(
        DEC=pl.when(_hit(d, 9104, 0.03, x1 & ~last)).then((dec + pl.duration(days=7)).dt.strftime("%d/%m/%Y"))
        .otherwise(pl.col("DEC")))
    # several open episodes: an X1 episode (not the child's last) left open
    ep = ep.with_columns(_open=_hit(d, 9105, 0.02, x1 & ~last & pl.col("DEC").is_not_null())).with_columns(
        DEC=pl.when("_open").then(None).otherwise(pl.col("DEC")),
        REC=pl.when("_open").then(None).otherwise(pl.col("REC")),
    ).drop("_open")
    # a return to care recorded without RNE S: a child who left care comes back two weeks later with RNE P
    dec = pl.col("DEC").str.to_date("%d/%m/%Y", strict=False)
    left = last & pl.col("REC").is_not_null() & (pl.col("REC") != "X1") & (dec + pl.duration(days=14) <= date(y, 3, 31))
    back = ep.filter(_hit(d, 9106, 0.05, left)).with_columns(
        DECOM=(dec + pl.duration(days=14)).dt.strftime("%d/%m/%Y"), RNE=pl.lit("P"), LS=pl.lit("V2"),
        PLACE=pl.lit("U6"), DEC=pl.lit(None, pl.String), REC=pl.lit(None, pl.String),
        REASON_PLACE_CHANGE=pl.lit(None, pl.String), rid=pl.col("rid") + 500)
    ep = pl.concat([ep, back])
    # postcodes padded with spaces or without the space
    ep = ep.with_columns(PL_POST=pl.when(_hit(d, 9111, 0.02, pl.col("PL_POST").is_not_null()))
                         .then(pl.format("{}   ", pl.col("PL_POST")))
                         .when(_hit(d, 9112, 0.02, pl.col("PL_POST").is_not_null()))
                         .then(pl.col("PL_POST").str.replace(" ", "")).otherwise(pl.col("PL_POST")))
    # one-off cells: blank CHILD, DECOM "notadate", RNE "A", RNE blank, LS blank
    n = ep.height
    for i, (col, value) in enumerate([("CHILD", None), ("DECOM", "notadate"), ("RNE", "A"), ("RNE", None),
                                      ("LS", None)]):
        at = (i * 7919 + 13) % max(n, 1)
        ep = ep.with_columns(pl.when(pl.int_range(pl.len()) == at).then(pl.lit(value, pl.String))
                             .otherwise(pl.col(col)).alias(col))
    # duplicate DECOMs: identical copies, and a stale open copy of a closed episode
    dup = ep.filter(_hit(d, 9113, 0.01))
    stale = ep.filter(_hit(d, 9114, 0.01, pl.col("DEC").is_not_null())).with_columns(
        DEC=pl.lit(None, pl.String), REC=pl.lit(None, pl.String))
    return pl.concat([ep, dup, stale]).sort("CHILD", "rid", nulls_last=True)


def _header(h: pl.DataFrame, d: Draw, y: int) -> pl.DataFrame:
    # children in Episodes missing from Header
    h = h.filter(~_hit(d, 9120, 0.005))
    # SEX 1/2 mixed with M/F/U (from 2024-25 the codes are M/F/U; earlier, 1/2)
    mix = {"M": "1", "F": "2"} if y >= 2025 else {"1": "M", "2": "F"}
    h = h.with_columns(SEX=pl.when(_hit(d, 9121, 0.05)).then(pl.col("SEX").replace(mix)).otherwise(pl.col("SEX")),
                       MOTHER=pl.col("MOTHER").replace({"1": "1.0", "0": "0.0"}))
    # one child twice, with a different date of birth
    dob = pl.col("DOB").str.to_date("%d/%m/%Y", strict=False)
    twice = h.head(1).with_columns(DOB=(dob + pl.duration(days=1)).dt.strftime("%d/%m/%Y"))
    return pl.concat([h, twice])
