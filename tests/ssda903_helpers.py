"""Build SSDA903 frames in code for the derivation tests (dates written dd/mm/yyyy as in the DfE files)."""

from __future__ import annotations

from datetime import date

import polars as pl

from csc_metrics.io.model import ROW, SRC

EPISODE_SCHEMA = {
    "child": pl.String, "decom": pl.Date, "rne": pl.String, "ls": pl.String, "cin": pl.String, "place": pl.String,
    "place_provider": pl.String, "dec": pl.Date, "rec": pl.String, "reason_place_change": pl.String,
    "home_post": pl.String, "pl_post": pl.String, "urn": pl.String, "year": pl.Int32, SRC: pl.UInt16,
    ROW: pl.UInt32,
}


def d(text: str | None) -> date | None:
    """`dd/mm/yyyy` -> date (None stays None)."""
    if not text:
        return None
    day, month, year = text.split("/")
    return date(int(year), int(month), int(day))


def ep(child: str | None, decom: str | None, dec: str | None = None, *, rne: str | None = "S",
       rec: str | None = None, ls: str | None = "C2", place: str | None = "U4", provider: str | None = "PR1",
       urn: str | None = None, pl_post: str | None = "TS1 1AA", year: int = 2025, row: int | None = None,
       src: int = 0) -> dict:
    """One Episodes row."""
    return {"child": child, "decom": d(decom), "rne": rne, "ls": ls, "cin": "N1", "place": place,
            "place_provider": provider, "dec": d(dec), "rec": rec, "reason_place_change": None,
            "home_post": "TS2 2BB", "pl_post": pl_post, "urn": urn, "year": year, SRC: src, ROW: row}


def episodes(*rows: dict) -> pl.DataFrame:
    """Episodes rows; `__row` numbered 2, 3, ... in the order given unless set (the header is row 1)."""
    numbered = [{**r, ROW: i + 2 if r[ROW] is None else r[ROW]} for i, r in enumerate(rows)]
    return pl.DataFrame(numbered, schema=EPISODE_SCHEMA)


def header(*rows: tuple[str, str], year: int = 2025) -> pl.DataFrame:
    """Header rows (child, dob dd/mm/yyyy)."""
    return pl.DataFrame(
        [{"child": c, "sex": "M", "dob": d(b), "ethnic": "WBRI", "upn": None, "mother": None, "mc_dob": None,
          "year": year, SRC: 0, ROW: i + 2} for i, (c, b) in enumerate(rows)],
        schema={"child": pl.String, "sex": pl.String, "dob": pl.Date, "ethnic": pl.String, "upn": pl.String,
                "mother": pl.String, "mc_dob": pl.Date, "year": pl.Int32, SRC: pl.UInt16, ROW: pl.UInt32},
    )


def spans(frame: pl.DataFrame, child: str = "1") -> list[tuple]:
    """(DECOM, DEC, RNE, REC) of one child's episodes, dates as dd/mm/yyyy."""
    def fmt(x: date | None) -> str | None:
        return x.strftime("%d/%m/%Y") if x else None
    rows = frame.filter(pl.col("child") == child).sort("decom", "dec", nulls_last=True)
    return [(fmt(r["decom"]), fmt(r["dec"]), r["rne"], r["rec"]) for r in rows.iter_rows(named=True)]
