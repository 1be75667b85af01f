"""Real-world defects for `csc-metrics sample --messy` (domain notes section 6), at a low rate, so that
`validate` has something to find: header drift (case, short forms, curly quotes, a doubled parenthesis, stray
spaces), a BOM, a cp1252 file with en-dashes and curly apostrophes in labels, Excel serial and ISO dates, numeric
ids written as floats, blank rows, a title row above the header, a filter/footer row, duplicate rows, end dates
before start dates, unknown and lower-case codes, and `#N/A` placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from csc_metrics.sample.draw import Draw
from csc_metrics.sample.render import excel_serial


@dataclass
class FileStyle:
    """How one list's file is written."""

    title: str | None = None  # a line above the header
    footer: str | None = None  # a line after the data, in the first column
    bom: bool = False
    encoding: str = "utf-8"


def _rows(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_row_index("rid").with_columns(pl.col("rid").cast(pl.Int64))


def _date_text_to_date(col: str) -> pl.Expr:
    return pl.col(col).str.to_date("%d/%m/%Y", strict=False)


def _some(d: Draw, key: int, p: float, col: str, value: pl.Expr) -> pl.Expr:
    """Replace `col` by `value` in a share `p` of the non-blank rows (always at least one)."""
    hit = (d.chance(key, p) | (pl.col("rid") == pl.col("rid").filter(pl.col(col).is_not_null()).min()))
    return pl.when(hit & pl.col(col).is_not_null()).then(value).otherwise(pl.col(col)).alias(col)


def make_messy(texts: dict[int, pl.DataFrame], d: Draw, end: date) -> tuple[dict[int, pl.DataFrame], dict[int, FileStyle]]:
    """Apply the defects to the text frames (headers as column names). Returns new frames and file styles."""
    out = {n: _rows(df) for n, df in texts.items()}
    styles = {n: FileStyle() for n in texts}

    # List 1: `Age` for the age header, blank rows, duplicate rows
    l1 = out[1].rename({"Age of Child (Years)": "Age"})
    l1 = _duplicate(l1, d, 901, 0.01)
    out[1] = _blank_rows(l1, d, 902, 0.005)

    # List 3: header case drift, BOM, footer/filter row, duplicates
    out[3] = _duplicate(out[3].rename({"Date of referral": "Date of Referral"}), d, 903, 0.01)
    styles[3].bom = True
    styles[3].footer = "Filters: none applied"

    # List 4: stray spaces in a header, Excel serials, authorisation before start
    l4 = out[4]
    start, auth = "Continuous Assessment Start Date", "Continuous Assessment Date of Authorisation"
    serial = excel_serial(_date_text_to_date(start))
    before = (_date_text_to_date(start) - pl.duration(days=3)).dt.strftime("%d/%m/%Y")
    l4 = l4.with_columns(_some(d, 904, 0.02, start, serial), _some(d, 905, 0.005, auth, before))
    out[4] = l4.rename({start: f"  {start} "})

    # List 5: ISO dates
    s47 = "Strategy discussion initiating Section 47 Enquiry Start Date"
    out[5] = out[5].with_columns(_some(d, 906, 0.02, s47, _date_text_to_date(s47).dt.strftime("%Y-%m-%d")))

    # List 6: cp1252 with en-dashes and curly apostrophes, an unknown code, #N/A placeholders
    need = "Primary Need Code"
    l6 = out[6].with_columns(
        _some(d, 907, 0.03, need, pl.col(need).str.replace(" - ", " \u2013 ", literal=True).str.replace("'", "\u2019")),
    ).with_columns(
        _some(d, 908, 0.01, need, pl.lit("PSRMEM - Support with memory and cognition")),
        _some(d, 909, 0.01, "Date Child Was Last Seen", pl.lit("#N/A")),
    )
    out[6] = l6
    styles[6].encoding = "cp1252"

    # List 7: ids as floats, end before start, ISO dates
    cid, cp_start, cp_end = "Child Unique ID", "Child Protection Plan Start Date", "Child Protection Plan End Date"
    flipped = (_date_text_to_date(cp_start) - pl.duration(days=10)).dt.strftime("%d/%m/%Y")
    out[7] = out[7].with_columns(
        (pl.col(cid) + ".0").alias(cid),
        _some(d, 910, 0.01, cp_end, flipped),
    ).with_columns(_some(d, 911, 0.02, cp_start, _date_text_to_date(cp_start).dt.strftime("%Y-%m-%d")))

    # List 8: title row, curly quotes and a doubled parenthesis in headers, lower-case codes
    missing = "Number of Episodes the Child has been 'Missing' from their Placement in the last 12 months"
    uasc = "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)"
    ptype, reason = "Placement Type", "Reason Ceased to be Looked After"
    code_only = pl.col(ptype).str.extract(r"\)\s*([A-Z0-9]+):", 1).str.to_lowercase()
    reason_code = pl.col(reason).str.extract(r"\)\s*([A-Z0-9]+):", 1).str.to_lowercase()
    out[8] = out[8].with_columns(
        _some(d, 912, 0.02, ptype, code_only), _some(d, 913, 0.05, reason, reason_code)
    ).rename({missing: missing.replace("'Missing'", "\u2018Missing\u2019"), uasc: uasc + ")"})
    styles[8].title = f"Annex A List 8: Children in care - extract at {end:%d/%m/%Y}"

    # List 9: #N/A placeholders
    out[9] = out[9].with_columns(_some(d, 914, 0.02, "Activity Status", pl.lit("#N/A")))

    return {n: df.drop("rid") for n, df in out.items()}, styles


def _duplicate(df: pl.DataFrame, d: Draw, key: int, p: float) -> pl.DataFrame:
    dup = df.filter(d.chance(key, p) | (pl.col("rid") == 0))
    return pl.concat([df, dup]).sort("rid", maintain_order=True)


def _blank_rows(df: pl.DataFrame, d: Draw, key: int, p: float) -> pl.DataFrame:
    at = df.filter(d.chance(key, p) | (pl.col("rid") == 1)).select("rid")
    blanks = at.with_columns([pl.lit(None, pl.String).alias(c) for c in df.columns if c != "rid"])
    both = pl.concat([df.with_columns(o=pl.lit(0)), blanks.select(df.columns).with_columns(o=pl.lit(1))])
    return both.sort("rid", "o", maintain_order=True).drop("o")
