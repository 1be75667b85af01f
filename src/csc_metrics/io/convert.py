"""Convert text columns to typed columns per the table schema, with one problem code per bad cell.

Everything is a polars expression, in two steps. `typed_query` adds to the lazy read of a sheet (so polars
parses and converts in one parallel pass): dates written `dd/mm/yyyy` and plain whole numbers are converted
cell by cell by polars' parsers, and every other text of those columns is kept aside (as a Categorical,
mostly null); code, yes/no and free-text columns become Categoricals, so each cell is a code into its
column's distinct texts. `finish_tables` then converts only distinct texts (those kept aside, and those of
the categorical columns), the texts of every column of one kind (dates, integers, one code set...) of every
table read together in one query, and types each column by gathering on the codes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import polars as pl

from csc_metrics.dates import DATE_SPAN, DAY_SPAN
from csc_metrics.io.model import KEY, ROW
from csc_metrics.io.normalise import PLACEHOLDERS, is_blank, norm_key, norm_value
from csc_metrics.spec.tables import Code, CodeSet, Column, ColumnType, TableSchema

RAW, VALUE, PROBLEM = "raw", "value", "problem"
REQUIRED, FRACTION, CODE_SET = "__required", "__fraction", "__code_set"  # per-column settings beside each text
BUILTIN_YES_NO = "\x00yes_no"  # the code set of yes/no columns (a name no definitions file can use)
PROBLEM_COLUMNS = {ROW: pl.UInt32, "field": pl.String, "code": pl.String, "value": pl.String}
ASIDE = "|aside"  # suffix of the column holding the texts a quick parse did not convert
ID_PLAIN = "|plain"  # suffix of an ID column's flag: every ID is digits and capitals only
ID_NUMERIC = "|numeric"  # suffix of the child id's flag: every ID is a whole number without leading zeros

DTYPES: dict[ColumnType, pl.DataType] = {
    ColumnType.ID: pl.String(), ColumnType.CODE: pl.String(), ColumnType.YES_NO: pl.String(),
    ColumnType.TEXT: pl.String(), ColumnType.DATE: pl.Date(), ColumnType.INTEGER: pl.Int64(),
    ColumnType.NUMBER: pl.Float64(),
}
QUICK_TYPES = (ColumnType.DATE, ColumnType.INTEGER, ColumnType.NUMBER)
CATEGORICAL = (ColumnType.CODE, ColumnType.YES_NO, ColumnType.TEXT)  # converted on their distinct texts

_TIME = r"(?:[ T]\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
DMY = rf"^(\d{{1,2}})[/.\-](\d{{1,2}})[/.\-](\d{{4}}){_TIME}$"
YMD = rf"^(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_TIME}$"
SERIAL = r"^\d+(?:\.\d+)?$"
QUICK_FORMAT = "%d/%m/%Y"
QUICK_FORMATS = (QUICK_FORMAT, "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S%.f",
                 "%Y-%m-%dT%H:%M:%S%.f")  # a date column's cells parsed by polars in one of these (the time dropped)
NAMED_FORMATS = ["%d %b %Y", "%d-%b-%Y", "%d %B %Y", "%d-%B-%Y"]
SERIAL_MAX = 73050  # 2099-12-31 in Excel's 1900 date system
EXCEL_EPOCH = date(1899, 12, 30)
YEAR_RANGE = (DATE_SPAN[0].year, DATE_SPAN[1].year)

YES_NO = CodeSet(
    id="yes_no", title="Yes / No / Unknown",
    codes=[Code(code="Y", label="Yes", aliases=["1", "TRUE", "T"]),
           Code(code="N", label="No", aliases=["0", "FALSE", "F"]),
           Code(code="U", label="Unknown", aliases=["Not known", "Unk"])],
)


def dtype_of(column: Column) -> pl.DataType:
    return DTYPES[column.type]


def _categorical() -> pl.Categorical:
    return pl.Categorical(pl.Categories.random())  # its own categories: only this column's texts


def quick_value(col: Column, cell: pl.Expr, date_format: str = QUICK_FORMAT) -> pl.Expr:
    """The cell converted by polars' own parser where the text is in the usual form, else null: dates in
    `date_format` (one of QUICK_FORMATS), plain non-negative whole numbers, plain numbers. Wherever it is not
    null it equals the general conversion of the text (tested), which handles every other text."""
    return _quick_check(col, _quick_parse(col, cell, date_format))


def _quick_parse(col: Column, cell: pl.Expr, date_format: str = QUICK_FORMAT) -> pl.Expr:
    if col.type is ColumnType.DATE:
        if "%H" in date_format:  # a date and time: the date
            return cell.str.to_datetime(date_format, strict=False, cache=False).dt.date()
        return cell.str.to_date(date_format, strict=False, cache=False)  # a cache costs more than it saves here
    return cell.cast(pl.Int64 if col.type is ColumnType.INTEGER else pl.Float64, strict=False)


def quick_date_format(texts: list[str | None]) -> str:
    """The first of QUICK_FORMATS in which polars reads every date seen (blanks aside) in the first rows of a
    column; the usual `dd/mm/yyyy` when none does. Only a choice of route: other cells go the general one."""
    return quick_date_formats({"d": texts})["d"]


def quick_date_formats(columns: dict[str, list[str | None]]) -> dict[str, str]:
    """`quick_date_format` of several columns, every format of every column tried in one polars query."""
    col = Column(name="d", header="d", type=ColumnType.DATE)
    exprs = []
    for i, texts in enumerate(columns.values()):
        seen = pl.Series([t for t in texts if t is not None and t.strip()], dtype=pl.String)
        if seen.len():
            exprs += [_quick_parse(col, pl.lit(seen), fmt).is_not_null().all().alias(f"{i}|{j}")
                      for j, fmt in enumerate(QUICK_FORMATS)]
    fits = pl.select(exprs).row(0, named=True) if exprs else {}
    return {name: next((fmt for j, fmt in enumerate(QUICK_FORMATS) if fits.get(f"{i}|{j}")), QUICK_FORMAT)
            for i, name in enumerate(columns)}


def _quick_check(col: Column, value: pl.Expr) -> pl.Expr:
    if col.type is ColumnType.DATE:
        return pl.when(value.to_physical().is_between(*DAY_SPAN)).then(value)  # years 1900-2100
    if col.type is ColumnType.INTEGER:
        return pl.when(value >= 0).then(value)
    return pl.when(value.is_finite()).then(value)


def typed_query(lf: pl.LazyFrame, schema: TableSchema, columns: dict[str, str], keep: list[str],
                numeric_ids: bool | None = None, date_formats: dict[str, str] | None = None) -> pl.LazyFrame:
    """`lf` with the columns `columns` names (canonical name -> text column of `lf`, String or Categorical)
    read ready for `finish_tables`: quick-typed values with their texts aside, Categoricals, IDs as text
    with their `|plain` flag (nothing to trim or upper-case), the child id also as a number with its
    `|numeric` flag, after the columns `keep` of `lf` as they are.
    `numeric_ids`: what the first rows suggest of the child ids. True: only the `|numeric` flag (numeric
    ids are plain; `finish_tables` checks plainness itself if some id is not numeric after all); False: no
    number key; None: both. `date_formats`: the quick format of a date column (`quick_date_format`)."""
    dtypes = lf.collect_schema()
    parsed: list[pl.Expr] = []
    exprs: list[pl.Expr] = []
    for col in schema.columns:
        source = columns.get(col.name)
        if source is None:
            continue
        cell = pl.col(source)
        if col.type is ColumnType.ID:
            exprs.append(cell.alias(col.name))
            numeric = col.name == schema.child_id and numeric_ids is not False
            if not numeric or numeric_ids is None:
                exprs.append(_plain_ids(cell).alias(col.name + ID_PLAIN))
            if numeric:
                key = cell.cast(pl.Int64, strict=False)
                exprs += [key.alias(KEY), plain_number_ids(cell, key).alias(col.name + ID_NUMERIC)]
        elif col.type in QUICK_TYPES:
            fmt = (date_formats or {}).get(col.name, QUICK_FORMAT)
            parsed.append(_quick_parse(col, cell, fmt).alias(col.name + "|parsed"))
            value = _quick_check(col, pl.col(col.name + "|parsed"))
            exprs += [value.alias(col.name),
                      pl.when(value.is_null()).then(cell).cast(_categorical()).alias(col.name + ASIDE)]
        elif isinstance(dtypes[source], pl.Categorical):
            exprs.append(cell.alias(col.name))
        else:
            exprs.append(cell.cast(_categorical()).alias(col.name))
    return lf.with_columns(parsed).select(*keep, *exprs)


ID_LIKE_PLACEHOLDERS = [p for p in PLACEHOLDERS if p.isalnum()]  # placeholders an id could look like (`NULL`)


def _plain_ids(cell: pl.Expr) -> pl.Expr:
    """Every id is digits and capitals only, none a placeholder: nothing to trim, upper-case or blank."""
    placeholder = pl.any_horizontal(cell == p for p in ID_LIKE_PLACEHOLDERS)  # `==`: cheaper than is_in here
    return ~(cell.str.contains(r"[^0-9A-Z]").any() | placeholder.any())


def looks_numeric(ids: list[str | None]) -> bool:
    """The ids seen (blanks aside) are whole numbers in plain form: worth reading the child id as a number."""
    seen = [i.strip() for i in ids if i is not None and i.strip()]
    return all(i.isascii() and i.isdigit() and (i == "0" or not i.startswith("0")) for i in seen)


def plain_number_ids(cell: pl.Expr, key: pl.Expr) -> pl.Expr:
    """Every id is a whole number in its plain form (the number written back is the id: no leading zero,
    sign or space), so distinct ids are distinct numbers."""
    return ((key.cast(pl.String) == cell).fill_null(False) | cell.is_null()).all()


def with_number_key(frame: pl.DataFrame, child_id: str) -> pl.DataFrame:
    """The frame with the Int64 child key `KEY` when every child id (text) is a whole number in plain form
    (equal keys are equal ids), so children are joined and counted by number; else the frame as it is."""
    if frame.schema.get(child_id) != pl.String:
        return frame
    key = pl.col(child_id).cast(pl.Int64, strict=False)
    return frame.with_columns(key.alias(KEY)) if frame.select(plain_number_ids(pl.col(child_id), key)).item() else frame


@dataclass
class _Text:
    """One column's texts awaiting conversion: its distinct texts and each cell's code into them."""

    table: int
    column: Column
    texts: pl.Series  # String, in code order
    codes: pl.Series  # UInt32, null for a blank cell (or, aside a quick column, a cell already converted)
    aside: bool  # the texts a quick parse left (a null code is then a converted or blank cell)


def convert_columns(raw: pl.DataFrame, schema: TableSchema, code_sets: dict[str, CodeSet]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`raw`: text columns named by canonical column (any subset) plus `__row`.
    Returns the typed frame (every schema column, in schema order, plus `__row`) and the problems
    (`__row`, `field`, `code`, `value`), one row per bad cell."""
    columns = {c.name: c.name for c in schema.columns if c.name in raw.columns}
    read = typed_query(raw.lazy(), schema, columns, keep=[ROW]).collect()
    return finish_tables([(read, schema)], code_sets)[0]


def finish_tables(items: list[tuple[pl.DataFrame, TableSchema]],
                  code_sets: dict[str, CodeSet]) -> list[tuple[pl.DataFrame, pl.DataFrame]]:
    """Frames read through `typed_query` (plus `__row`) -> (typed frame, problems) per table, the distinct
    texts of each kind converted together."""
    pending: list[_Text] = []
    for t, (read, schema) in enumerate(items):
        for c in schema.columns:
            if c.type is ColumnType.ID:
                continue
            if c.type in QUICK_TYPES and c.name + ASIDE in read.columns:
                pending.append(_Text(t, c, *_codes(read[c.name + ASIDE]), aside=True))
            elif c.type not in QUICK_TYPES and c.name in read.columns:
                pending.append(_Text(t, c, *_codes(read[c.name]), aside=False))
    groups: dict[ColumnType, list[_Text]] = defaultdict(list)
    for item in pending:
        if item.texts.len() or (not item.aside and item.codes.null_count()):
            groups[_kind(item.column)].append(item)
    queries = [convert_unique(pl.concat([_distinct(x, code_sets) for x in group]), group[0].column, code_sets)
               for group in groups.values()]
    convs: dict[tuple[int, str], pl.DataFrame] = {}
    for group, done in zip(groups.values(), pl.collect_all(queries) if queries else [], strict=True):
        offset = 0
        for x in group:
            n = x.texts.len() + (1 if _with_blank(x) else 0)
            convs[(x.table, x.column.name)] = done.slice(offset, n)
            offset += n
    empty = pl.DataFrame(schema={RAW: pl.String, VALUE: pl.String, PROBLEM: pl.String})
    out = []
    for t, (read, schema) in enumerate(items):
        texts = {x.column.name: (x, convs.get((t, x.column.name), empty)) for x in pending if x.table == t}
        out.append(_assemble(read, schema, texts))
    return out


def _with_blank(x: _Text) -> bool:
    """A categorical column with blank cells converts a null text too (a required column's CSC203)."""
    return not x.aside and x.codes.null_count() > 0


def _assemble(read: pl.DataFrame, schema: TableSchema,
              converted: dict[str, tuple[_Text, pl.DataFrame]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The typed frame (one `select`, columns in parallel) and the problems of one table."""
    exprs: list[pl.Expr] = []
    extra: list[pl.Expr] = []
    inputs: list[pl.Series] = [read[ROW]]
    problems: list[pl.DataFrame] = []
    cleaned_child = False  # the child id column needed cleaning (e.g. Excel's `12345.0`): key it afterwards
    for col in schema.columns:
        name = col.name
        if name not in read.columns:
            exprs.append(pl.lit(None, dtype=dtype_of(col)).alias(name))
            continue
        if col.type is ColumnType.ID:
            inputs.append(read[name])
            numeric = _flag(read, name + ID_NUMERIC)
            plain = numeric or (_flag(read, name + ID_PLAIN) if name + ID_PLAIN in read.columns
                                else read.select(_plain_ids(pl.col(name))).item())
            exprs.append(pl.col(name) if plain else _id_expr(read[name], col).alias(name))  # nothing to clean: as read
            cleaned_child = cleaned_child or (name == schema.child_id and not plain)
            if numeric:
                inputs.append(read[KEY])
                extra.append(pl.col(KEY))
            continue
        x, conv = converted[name]
        values = pl.lit(conv[VALUE].head(x.texts.len()).cast(dtype_of(col)).rechunk())  # row i of conv: code i
        code = x.codes.alias(name + ASIDE)
        if x.aside:
            inputs.append(read[name])
            expr = pl.col(name)
            if x.texts.len():  # some texts went the general route
                inputs.append(code)
                expr = pl.when(pl.col(code.name).is_not_null()).then(values.gather(pl.col(code.name))).otherwise(expr)
            if col.required:
                blank = read[name].is_null() & x.codes.is_null()
                if blank.any():
                    problems.append(read.filter(blank).select(ROW, pl.lit(name).alias("field"), pl.lit("CSC203").alias("code"),
                                                              pl.lit(None, dtype=pl.String).alias("value")))
        else:
            inputs.append(code)
            expr = values.gather(pl.col(code.name))
        exprs.append(expr.alias(name))
        found = _problems(read[ROW], x, conv)
        if found is not None:
            problems.append(found)
    typed = pl.DataFrame(inputs).lazy().select(*exprs, ROW, *extra).collect()
    if cleaned_child:
        typed = with_number_key(typed, schema.child_id)
    ids = [c for c in schema.columns if c.type is ColumnType.ID and c.name in read.columns]
    for col in ids:
        if col.required and typed[col.name].null_count():
            rows = read.filter(typed[col.name].is_null())
            problems.append(rows.select(ROW, pl.lit(col.name).alias("field"), pl.lit("CSC203").alias("code"),
                                        pl.col(col.name).alias("value")))
    probs = pl.concat(problems) if problems else pl.DataFrame(schema=PROBLEM_COLUMNS)
    return typed, probs


def _flag(read: pl.DataFrame, name: str) -> bool:
    """A flag `typed_query` computed over the whole column (False when absent)."""
    return name in read.columns and read.height > 0 and bool(read[name][0])


def _kind(col: Column) -> ColumnType:
    """Columns converted by the same query: dates, integers, numbers, text, or codes (of any code set)."""
    return ColumnType.CODE if col.type is ColumnType.YES_NO else col.type


def _code_set(col: Column, code_sets: dict[str, CodeSet]) -> str | None:
    """The key of a code or yes/no column's code set in `code_lookups` (None: not defined, so no code matches)."""
    if col.type is ColumnType.YES_NO:
        return BUILTIN_YES_NO
    return col.code_set if col.type is ColumnType.CODE and col.code_set in code_sets else None


def _codes(s: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(distinct texts in code order, each cell's UInt32 code into them, null for a null cell) of a column."""
    if not isinstance(s.dtype, pl.Categorical):
        s = s.cast(_categorical())
    codes = s.cat.physical()
    # the column's own categories are exactly its texts, numbered from 0 (Categories.to_series loops in Python)
    top = codes.max()  # None when every cell is null
    n = int(top) + 1 if isinstance(top, int) else 0
    texts = pl.select(pl.lit(pl.Series(range(n), dtype=codes.dtype)).cat.to(s.dtype, strict=False)).to_series()
    return texts.cast(pl.String).alias(RAW), codes


def _distinct(x: _Text, code_sets: dict[str, CodeSet]) -> pl.LazyFrame:
    """The raw values of one column to convert, with its settings: the distinct texts in code order, then
    null when the column has blanks."""
    raw = x.texts
    if _with_blank(x):
        raw = pl.concat([raw, pl.Series(RAW, [None], dtype=pl.String)])
    return raw.to_frame().lazy().with_columns(pl.lit(x.column.required).alias(REQUIRED),
                                              pl.lit(x.column.allow_fraction).alias(FRACTION),
                                              pl.lit(_code_set(x.column, code_sets), dtype=pl.String).alias(CODE_SET))


def _problems(row: pl.Series, x: _Text, conv: pl.DataFrame) -> pl.DataFrame | None:
    """The cells that could not be converted, in row order: (`__row`, `field`, `code`, `value`)."""
    if conv.is_empty():
        return None
    bad = conv[PROBLEM].head(x.texts.len())
    null_problem = conv[PROBLEM][-1] if conv.height > x.texts.len() else None
    bad_codes = bad.is_not_null().arg_true().cast(pl.UInt32)
    if bad_codes.is_empty() and null_problem is None:
        return None
    mask = x.codes.is_in(bad_codes.implode())
    if null_problem is not None:
        mask = mask | x.codes.is_null()
    hits = x.codes.filter(mask)
    return pl.DataFrame({
        ROW: row.filter(mask),
        "field": pl.repeat(x.column.name, hits.len(), dtype=pl.String, eager=True),
        "code": bad.gather(hits).fill_null(pl.lit(null_problem, dtype=pl.String)),
        "value": x.texts.gather(hits),
    })


def _id_expr(s: pl.Series, col: Column) -> pl.Expr:
    """IDs that need cleaning (`typed_query` found some not plain): trimmed, upper-cased, placeholders blank;
    Excel's `.0` removed when every ID is numeric."""
    clean = pl.col(col.name).str.strip_chars().str.to_uppercase()
    value = pl.when(is_blank(clean)).then(None).otherwise(clean)
    if s.str.ends_with(".0").any():
        numeric = s.drop_nulls().str.strip_chars().str.contains(r"^\d+(?:\.0+)?$").all()
        if numeric:
            value = value.str.replace(r"\.0+$", "")
    return value


def convert_unique(uniq: pl.LazyFrame, col: Column, code_sets: dict[str, CodeSet]) -> pl.LazyFrame:
    """Raw values (`raw`, with the settings `__required` and `__fraction` of their column) of columns of
    `col`'s kind -> `raw`, `value`, `problem`, row for row."""
    if col.type is ColumnType.DATE:
        return convert_dates(uniq)
    if col.type in (ColumnType.CODE, ColumnType.YES_NO):
        return convert_codes(uniq, code_lookups(code_sets))
    if col.type is ColumnType.TEXT:
        return convert_text(uniq)
    return convert_numbers(uniq, col)


def convert_text(uniq: pl.LazyFrame) -> pl.LazyFrame:
    """Free text: spaces collapsed and trimmed; blank and placeholders become null."""
    clean = pl.col(RAW).str.replace_all(r"\s+", " ").str.strip_chars()
    blank = is_blank(clean.str.to_uppercase())
    return uniq.with_columns(
        pl.when(blank).then(None).otherwise(clean).alias(VALUE),
        pl.when(blank & pl.col(REQUIRED)).then(pl.lit("CSC203")).otherwise(pl.lit(None, dtype=pl.String)).alias(PROBLEM),
    )


def _problem(blank: pl.Expr, bad: pl.Expr, code: pl.Expr | str) -> pl.Expr:
    code_expr = pl.lit(code) if isinstance(code, str) else code
    return (
        pl.when(blank).then(pl.when(pl.col(REQUIRED)).then(pl.lit("CSC203")).otherwise(pl.lit(None, dtype=pl.String)))
        .when(bad).then(code_expr)
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def convert_dates(uniq: pl.LazyFrame) -> pl.LazyFrame:
    """`raw` -> `value` (pl.Date) and `problem` (CSC201 unparseable, CSC216 serial out of range, CSC203).

    Dates written exactly `dd/mm/yyyy` (nearly all of them) take a short route: one parse, checked by
    writing the date back; every other text takes the general one below."""
    s = pl.col(RAW).str.replace_all(r"\s+", " ").str.strip_chars()
    quick = s.str.to_date(QUICK_FORMAT, strict=False)
    is_quick = (quick.dt.strftime(QUICK_FORMAT) == s).fill_null(False) & quick.dt.year().is_between(*YEAR_RANGE)
    frame = uniq.with_row_index("__u").with_columns(quick.alias(VALUE), is_quick.alias("__quick"))
    plain = frame.filter(pl.col("__quick")).select("__u", RAW, VALUE, pl.lit(None, dtype=pl.String).alias(PROBLEM))
    general = _convert_dates(frame.filter(~pl.col("__quick")).drop(VALUE, "__quick")).select("__u", RAW, VALUE, PROBLEM)
    return pl.concat([plain, general]).sort("__u").select(RAW, VALUE, PROBLEM)


def _convert_dates(uniq: pl.LazyFrame) -> pl.LazyFrame:
    """Any date text: day-first or ISO (with or without a time), Excel serial numbers, `2 Mar 2025`."""
    s = pl.col("s")
    dmy = s.str.extract_groups(DMY)
    ymd = s.str.extract_groups(YMD)
    serial = s.cast(pl.Float64, strict=False)
    serial = pl.when(serial.is_finite()).then(serial)  # `inf`, `nan` are text, not serials
    is_serial = s.str.contains(SERIAL)
    serial_ok = is_serial & (serial >= 1) & (serial < SERIAL_MAX + 1)
    days = pl.when(serial_ok).then(serial).floor().cast(pl.Int64, strict=False) + pl.when(serial < 61).then(1).otherwise(0)  # Excel's 1900 leap-year bug
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
        # spaces collapsed, and dropped after a separator (`01/02/ 2020`, `10: 00`), as polars' parser drops them
        uniq.with_columns(s=pl.col(RAW).str.replace_all(r"\s+", " ").str.strip_chars().str.replace_all(r"([/.\-:]) ", "${1}"))
        .with_columns(value.alias(VALUE), blank.alias("blank"))
        .with_columns(_problem(pl.col("blank"), pl.col(VALUE).is_null(), bad_code).alias(PROBLEM))
        .with_columns(pl.when(pl.col("blank")).then(None).otherwise(pl.col(VALUE)).alias(VALUE))
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


_LOOKUPS: list[tuple[list[tuple[str, CodeSet]], pl.DataFrame]] = []  # the last few code sets' lookups


def code_lookups(code_sets: dict[str, CodeSet]) -> pl.DataFrame:
    """(`__code_set`, key, code) of every code set and the yes/no set (made once for the same code sets)."""
    sets = [(BUILTIN_YES_NO, YES_NO), *code_sets.items()]
    for known, frame in _LOOKUPS:
        if len(known) == len(sets) and all(a == b and x is y for (a, x), (b, y) in zip(known, sets, strict=True)):
            return frame
    frame = pl.concat([code_lookup(cs).with_columns(pl.lit(name).alias(CODE_SET)) for name, cs in sets])
    _LOOKUPS[:] = [*_LOOKUPS[-3:], (sets, frame)]  # the entry keeps the code sets, so their ids are not reused
    return frame


def convert_codes(uniq: pl.LazyFrame, lookup: pl.DataFrame) -> pl.LazyFrame:
    """Codes from labels: the whole cell, then the cell without its letter prefix, then its leading token.
    `lookup`: (`__code_set`, key, code); each raw value is looked up in its `__code_set` (none: no code)."""
    n = norm_value(pl.col(RAW)).str.replace(r"^(\d+)\.0+$", "${1}")
    frame = uniq.with_columns(n.alias("k1")).with_columns(pl.col("k1").str.replace(PREFIX, "").alias("k2"))
    frame = frame.with_columns(pl.col("k2").str.extract(TOKEN, 1).alias("k3"))
    for k in ("k1", "k2", "k3"):
        frame = frame.join(lookup.lazy().rename({"key": k, "code": f"v{k}"}), on=[CODE_SET, k], how="left",
                           maintain_order="left")
    value = pl.coalesce("vk1", "vk2", "vk3")
    blank = is_blank(pl.col("k1"))
    return (
        frame.with_columns(pl.when(blank).then(None).otherwise(value).alias(VALUE), blank.alias("blank"))
        .with_columns(_problem(pl.col("blank"), pl.col(VALUE).is_null(), "CSC202").alias(PROBLEM))
        .select(RAW, VALUE, PROBLEM)
    )


def convert_numbers(uniq: pl.LazyFrame, col: Column) -> pl.LazyFrame:
    """Integers (`3.0` accepted; fractions floored only with `allow_fraction`) and numbers."""
    s = pl.col(RAW).str.strip_chars()
    f = s.cast(pl.Float64, strict=False)
    f = pl.when(f.is_finite()).then(f)  # `inf` and `nan` are not numbers anyone meant
    blank = is_blank(s.str.to_uppercase())
    if col.type is ColumnType.INTEGER:
        fraction = (f != f.floor()) & ~pl.col(FRACTION)
        code: pl.Expr = pl.when(f.is_null() | fraction).then(pl.lit("CSC210")).when(f < 0).then(pl.lit("CSC217"))
        value = pl.coalesce(s.cast(pl.Int64, strict=False), f.floor().cast(pl.Int64, strict=False))  # exact past 2**53
    else:
        code = pl.when(f.is_null() | f.is_nan()).then(pl.lit("CSC210"))
        value = f
    problem = _problem(blank, code.is_not_null(), code)
    return uniq.with_columns(
        pl.when(problem.is_null()).then(value).alias(VALUE), problem.alias(PROBLEM)
    ).select(RAW, VALUE, PROBLEM)
