"""Convert text columns to typed columns per the table schema, with one problem code per bad cell.

Everything is a polars expression. Columns with few distinct values (dates, codes, yes/no, numbers) are
converted on their unique values and joined back, which keeps a million-row list fast.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from csc_metrics.io.model import ROW
from csc_metrics.io.normalise import PLACEHOLDERS, is_blank, norm_key, norm_value
from csc_metrics.spec.tables import Code, CodeSet, Column, ColumnType, TableSchema

RAW, VALUE, PROBLEM = "raw", "value", "problem"
PROBLEM_COLUMNS = {ROW: pl.UInt32, "field": pl.String, "code": pl.String, "value": pl.String}

DTYPES: dict[ColumnType, pl.DataType] = {
    ColumnType.ID: pl.String(), ColumnType.CODE: pl.String(), ColumnType.YES_NO: pl.String(),
    ColumnType.TEXT: pl.String(), ColumnType.DATE: pl.Date(), ColumnType.INTEGER: pl.Int64(),
    ColumnType.NUMBER: pl.Float64(),
}

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
DMY = rf"^(\d{{1,2}})[/.\-](\d{{1,2}})[/.\-](\d{{4}}){_TIME}$"
YMD = rf"^(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_TIME}$"
SERIAL = r"^\d+(?:\.\d+)?$"
NAMED_FORMATS = ["%d %b %Y", "%d-%b-%Y", "%d %B %Y", "%d-%B-%Y"]
SERIAL_MAX = 73050  # 2099-12-31 in Excel's 1900 date system
EXCEL_EPOCH = date(1899, 12, 30)
YEAR_RANGE = (1900, 2100)

YES_NO = CodeSet(
    id="yes_no", title="Yes / No / Unknown",
    codes=[Code(code="Y", label="Yes", aliases=["1", "TRUE", "T"]),
           Code(code="N", label="No", aliases=["0", "FALSE", "F"]),
           Code(code="U", label="Unknown", aliases=["Not known", "Unk"])],
)


def dtype_of(column: Column) -> pl.DataType:
    return DTYPES[column.type]


def convert_columns(raw: pl.DataFrame, schema: TableSchema, code_sets: dict[str, CodeSet]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`raw`: String columns named by canonical column (any subset) plus `__row`.
    Returns the typed frame (every schema column, in schema order, plus `__row`) and the problems
    (`__row`, `field`, `code`, `value`), one row per bad cell.

    Columns other than IDs are converted on their distinct values (one parallel pass finds them), then mapped
    back with `replace_strict`; problem rows are found with `is_in` on the few bad values."""
    cols = [c for c in schema.columns if c.name in raw.columns]
    few = [c for c in cols if c.type is not ColumnType.ID]
    uniques = raw.lazy().select(pl.col(c.name).unique().implode() for c in few).collect() if few else None
    exprs: list[pl.Expr] = []
    problems: list[pl.DataFrame] = []
    for col in schema.columns:
        name = col.name
        if name not in raw.columns:
            exprs.append(pl.lit(None, dtype=dtype_of(col)).alias(name))
        elif col.type is ColumnType.ID:
            exprs.append(_id_expr(raw[name], col).alias(name))
        else:
            conv = convert_unique(uniques[name][0].to_frame(RAW), col, code_sets)  # type: ignore[index]
            exprs.append(_mapping_expr(conv, col).alias(name))
            bad = conv.filter(pl.col(PROBLEM).is_not_null())
            if not bad.is_empty():
                null_problem = bad.filter(pl.col(RAW).is_null())
                mask = pl.col(name).is_in(bad[RAW].drop_nulls().implode())
                if not null_problem.is_empty():
                    mask = mask | pl.col(name).is_null()
                rows = raw.lazy().filter(mask).select(ROW, pl.col(name).alias(RAW)).collect()
                rows = rows.join(bad.select(RAW, PROBLEM), on=RAW, how="left", nulls_equal=True)
                problems.append(rows.select(ROW, pl.lit(name).alias("field"), pl.col(PROBLEM).alias("code"),
                                            pl.col(RAW).alias("value")))
    out = raw.lazy().select(*exprs, pl.col(ROW)).collect()
    for col in cols:
        if col.type is ColumnType.ID and col.required and out[col.name].null_count():
            rows = raw.filter(out[col.name].is_null())
            problems.append(rows.select(ROW, pl.lit(col.name).alias("field"), pl.lit("CSC203").alias("code"),
                                        pl.col(col.name).alias("value")))
    probs = pl.concat(problems) if problems else pl.DataFrame(schema=PROBLEM_COLUMNS)
    return out, probs


def _mapping_expr(conv: pl.DataFrame, col: Column) -> pl.Expr:
    """Map raw values onto converted ones: directly when conversion changes nothing (clean text or codes,
    plain integers), else through `replace_strict` on the distinct values."""
    known = conv.filter(pl.col(RAW).is_not_null() & pl.col(VALUE).is_not_null())
    if known.is_empty():
        return pl.lit(None, dtype=dtype_of(col))
    clean = known.height == conv.filter(pl.col(RAW).is_not_null()).height  # every value converted, none blank
    if clean and col.type in (ColumnType.TEXT, ColumnType.CODE) and (known[RAW] == known[VALUE]).all():
        return pl.col(col.name)
    if clean and col.type is ColumnType.INTEGER and known[RAW].str.contains(r"^-?\d{1,18}$").all():
        return pl.col(col.name).cast(pl.Int64)
    return pl.col(col.name).replace_strict(known[RAW], known[VALUE], default=None, return_dtype=dtype_of(col))


def _id_expr(s: pl.Series, col: Column) -> pl.Expr:
    """IDs: trimmed, upper-cased, placeholders blank; Excel's `.0` removed when every ID is numeric."""
    clean = pl.col(col.name).str.strip_chars().str.to_uppercase()
    value = pl.when(clean.is_in([*PLACEHOLDERS, ""])).then(None).otherwise(clean)
    if s.str.ends_with(".0").any():
        numeric = s.drop_nulls().str.strip_chars().str.contains(r"^\d+(?:\.0+)?$").all()
        if numeric:
            value = value.str.replace(r"\.0+$", "")
    return value


def convert_unique(uniq: pl.DataFrame, col: Column, code_sets: dict[str, CodeSet]) -> pl.DataFrame:
    """Distinct raw values (`raw`) -> `raw`, `value`, `problem` for one column."""
    if col.type is ColumnType.DATE:
        return convert_dates(uniq, col)
    if col.type in (ColumnType.CODE, ColumnType.YES_NO):
        code_set = YES_NO if col.type is ColumnType.YES_NO else code_sets.get(col.code_set or "")
        return convert_codes(uniq, col, code_set)
    if col.type is ColumnType.TEXT:
        return convert_text(uniq, col)
    return convert_numbers(uniq, col)


def convert_text(uniq: pl.DataFrame, col: Column) -> pl.DataFrame:
    """Free text: spaces collapsed and trimmed; blank and placeholders become null."""
    clean = pl.col(RAW).str.replace_all(r"\s+", " ").str.strip_chars()
    blank = is_blank(clean.str.to_uppercase())
    return uniq.with_columns(
        pl.when(blank).then(None).otherwise(clean).alias(VALUE),
        pl.when(blank & pl.lit(col.required)).then(pl.lit("CSC203")).otherwise(pl.lit(None, dtype=pl.String)).alias(PROBLEM),
    )


def _problem(blank: pl.Expr, bad: pl.Expr, code: pl.Expr | str, required: bool) -> pl.Expr:
    code_expr = pl.lit(code) if isinstance(code, str) else code
    return (
        pl.when(blank).then(pl.lit("CSC203") if required else pl.lit(None, dtype=pl.String))
        .when(bad).then(code_expr)
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def convert_dates(uniq: pl.DataFrame, col: Column) -> pl.DataFrame:
    """`raw` -> `value` (pl.Date) and `problem` (CSC201 unparseable, CSC216 serial out of range, CSC203)."""
    s = pl.col("s")
    dmy = s.str.extract_groups(DMY)
    ymd = s.str.extract_groups(YMD)
    serial = s.cast(pl.Float64, strict=False)
    is_serial = s.str.contains(SERIAL)
    serial_ok = is_serial & (serial >= 1) & (serial < SERIAL_MAX + 1)
    days = serial.floor().cast(pl.Int64) + pl.when(serial < 61).then(1).otherwise(0)  # Excel's 1900 leap-year bug
    value = pl.coalesce(
        _iso(dmy.struct.field("3"), dmy.struct.field("2"), dmy.struct.field("1")),
        _iso(ymd.struct.field("1"), ymd.struct.field("2"), ymd.struct.field("3")),
        pl.when(serial_ok).then(pl.lit(EXCEL_EPOCH) + pl.duration(days=days)),
        *[s.str.to_date(fmt, strict=False) for fmt in NAMED_FORMATS],
    )
    value = pl.when(value.dt.year().is_between(*YEAR_RANGE)).then(value)
    blank = is_blank(s.str.to_uppercase())
    bad_code = pl.when(is_serial).then(pl.lit("CSC216")).otherwise(pl.lit("CSC201"))
    return (
        uniq.with_columns(s=pl.col(RAW).str.replace_all(r"\s+", " ").str.strip_chars())
        .with_columns(value.alias(VALUE), blank.alias("blank"))
        .with_columns(_problem(pl.col("blank"), pl.col(VALUE).is_null(), bad_code, col.required).alias(PROBLEM))
        .with_columns(pl.when(pl.col("blank")).then(None).otherwise(pl.col(VALUE)).alias(VALUE))
        .select(RAW, VALUE, PROBLEM)
    )


def _iso(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
    return pl.concat_str([y, m.str.zfill(2), d.str.zfill(2)], separator="-").str.to_date("%Y-%m-%d", strict=False)


def code_lookup(code_set: CodeSet) -> pl.DataFrame:
    """(key, code) rows: each code, label and alias normalised; codes win over labels, labels over aliases."""
    seen: dict[str, str] = {}
    for texts in ([(c.code, c) for c in code_set.codes], [(c.label, c) for c in code_set.codes],
                  [(a, c) for c in code_set.codes for a in c.aliases]):
        for text, c in texts:
            seen.setdefault(norm_key(text), c.code)
    return pl.DataFrame({"key": list(seen), "code": list(seen.values())}, schema={"key": pl.String, "code": pl.String})


PREFIX = r"^[A-Z]{1,2}\d?\)\s*"  # the letter prefix of Annex A labels: `a) `, `p1) `, `zz) `
TOKEN = r"^([^\s:]+?)\s*(?::|-\s|\s)"  # leading token before `:`, ` - ` or a space


def convert_codes(uniq: pl.DataFrame, col: Column, code_set: CodeSet | None) -> pl.DataFrame:
    """Codes from labels: the whole cell, then the cell without its letter prefix, then its leading token."""
    lookup = code_lookup(code_set) if code_set else pl.DataFrame(schema={"key": pl.String, "code": pl.String})
    n = norm_value(pl.col(RAW)).str.replace(r"^(\d+)\.0+$", "${1}")
    frame = uniq.with_columns(n.alias("k1")).with_columns(pl.col("k1").str.replace(PREFIX, "").alias("k2"))
    frame = frame.with_columns(pl.col("k2").str.extract(TOKEN, 1).alias("k3"))
    for k in ("k1", "k2", "k3"):
        frame = frame.join(lookup.rename({"key": k, "code": f"v{k}"}), on=k, how="left")
    value = pl.coalesce("vk1", "vk2", "vk3")
    blank = is_blank(pl.col("k1"))
    return (
        frame.with_columns(pl.when(blank).then(None).otherwise(value).alias(VALUE), blank.alias("blank"))
        .with_columns(_problem(pl.col("blank"), pl.col(VALUE).is_null(), "CSC202", col.required).alias(PROBLEM))
        .select(RAW, VALUE, PROBLEM)
    )


def convert_numbers(uniq: pl.DataFrame, col: Column) -> pl.DataFrame:
    """Integers (`3.0` accepted; fractions floored only with `allow_fraction`) and numbers."""
    s = pl.col(RAW).str.strip_chars()
    f = s.cast(pl.Float64, strict=False)
    blank = is_blank(s.str.to_uppercase())
    if col.type is ColumnType.INTEGER:
        fraction = (f != f.floor()) & pl.lit(not col.allow_fraction)
        code = pl.when(f.is_null() | fraction).then(pl.lit("CSC210")).when(f < 0).then(pl.lit("CSC217"))
        value = f.floor().cast(pl.Int64)
    else:
        code = pl.when(f.is_null() | f.is_nan()).then(pl.lit("CSC210"))
        value = f
    problem = _problem(blank, code.is_not_null(), code, col.required)
    return uniq.with_columns(
        pl.when(problem.is_null()).then(value).alias(VALUE), problem.alias(PROBLEM)
    ).select(RAW, VALUE, PROBLEM)
