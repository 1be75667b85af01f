"""The fast routes give exactly what the general ones give: quick dd/mm/yyyy dates, categorical input,
period keys from a day table, and data-quality checks screened before they run.
PERF_EXAMPLES=500 runs the properties on more examples (default 60)."""

from __future__ import annotations

import os
from datetime import date, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.test_read_support import CODE_SETS, TABLES

from csc_metrics.engine.periods import period_of
from csc_metrics.engine.run import _period_keys
from csc_metrics.io import ROW, TableData, frame_from_rows
from csc_metrics.io.checks import (
    _before_birth,
    _birth_conflicts,
    _birth_findings,
    _birth_rows,
    _date_pairs,
    _duplicates,
    _future,
    _over_25,
    check_tables,
)
from csc_metrics.io.convert import (
    CODE_SET,
    FRACTION,
    PROBLEM,
    QUICK_FORMATS,
    RAW,
    REQUIRED,
    VALUE,
    _convert_dates,
    convert_columns,
    convert_dates,
    convert_unique,
    quick_value,
)
from csc_metrics.io.model import KEY, SourceInfo

SETTINGS = settings(max_examples=int(os.environ.get("PERF_EXAMPLES", 60)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(SETTINGS, max_examples=max(12, SETTINGS.max_examples // 5))  # each example runs a reader or the checks several times

# --- dates ---------------------------------------------------------------------------------------------

number = st.integers(0, 40).flatmap(lambda n: st.sampled_from([str(n), f"{n:02d}", f"{n:03d}"]))
year = st.sampled_from(["1899", "1900", "2024", "2100", "2101", "0999", "24", "20245", "2023"])
date_text = st.one_of(
    st.builds(lambda d, m, y, sep, pad, tail: f"{pad}{d}{sep}{m}{sep}{y}{tail}{pad}", number, number, year,
              st.sampled_from(["/", "-", ".", " / ", "/ ", "- "]), st.sampled_from(["", " ", "\t"]),
              st.sampled_from(["", " 00:00", " 10:30:00", "T00:00:00", "x"])),
    st.builds(lambda y, m, d, sep, tail: f"{y}{sep}{m}{sep}{d}{tail}", year, number, number, st.sampled_from(["-", "/"]),
              st.sampled_from(["", " 00:00:00.000", " 09:15:00", "T23:59:59.5", " 24:00:00", " 9:5:0", "Z", " 10:30",
                               " 10: 30", "  10:30:00"])),
    st.sampled_from(["29/02/2024", "29/02/2023", "31/04/2025", "00/01/2025", "2024-02-29", "45000", "2 Mar 2025",
                     "", " ", "#N/A", "null", "-", "01/01/1900", "31/12/2100"]),
    st.text(max_size=12),
)


@SETTINGS
@given(st.lists(st.one_of(st.none(), date_text), min_size=1, max_size=30, unique=True), st.booleans())
def test_quick_dates_agree_with_the_general_route(texts, required):
    frame = pl.DataFrame({RAW: texts}, schema={RAW: pl.String}).with_columns(
        pl.lit(required).alias(REQUIRED), pl.lit(False).alias(FRACTION))
    quick = convert_dates(frame.lazy()).collect()
    general = _convert_dates(frame.lazy()).select(RAW, VALUE, PROBLEM).collect()
    assert quick.equals(general)


# --- categorical input -------------------------------------------------------------------------------------

REFERRALS = next(t for t in TABLES if t.alias == "referrals")
cells = {
    "child_id": st.sampled_from(["C1", "c2 ", " C3", "NULL", "", "12.0", "7", None]),
    "gender": st.sampled_from(["a) Male", "b) Female", "F", "x", "", None]),
    "ethnicity": st.sampled_from(["a) WBRI", "WBRI", "zz) ???", None]),
    "date_of_birth": date_text,
    "age_years": st.sampled_from(["10", "3.0", "2.5", "-1", "x", "", None]),
    "referral_date": date_text,
    "referral_source": st.sampled_from(["q) 6: Police", "2A", "e) 2A: Schools", "nope", None]),
    "referral_nfa": st.sampled_from(["a) Yes", "No", "1", "maybe", None]),
    "referrals_last_12m": st.sampled_from(["0", "1", "12345678901234567", "9007199254740993", None]),
    "allocated_team": st.sampled_from(["Team A", "  Team  A ", "#N/A", None]),
}
rows = st.lists(st.fixed_dictionaries(cells), min_size=1, max_size=25)


@FEW
@given(rows)
def test_each_cell_converts_as_it_would_alone(data):
    text = pl.DataFrame({ROW: pl.Series(range(2, len(data) + 2), dtype=pl.UInt32),
                         **{c: pl.Series([r[c] for r in data], dtype=pl.String) for c in cells}})
    typed, _ = convert_columns(text, REFERRALS, CODE_SETS)
    # each value is that of its cell converted alone (IDs aside: `.0` goes only when every ID is numeric)
    for i in range(min(3, len(data))):
        one, _ = convert_columns(text.slice(i, 1), REFERRALS, CODE_SETS)
        assert one.drop("child_id", ROW, KEY, strict=False).row(0) == typed.drop("child_id", ROW, KEY, strict=False).row(i)


integer_text = st.one_of(st.integers(-10**19, 10**19).map(str), st.from_regex(r"^\s?[+-]?\d{0,4}(\.\d{0,2})?(e\d)?\s?$"),
                         st.sampled_from(["3.0", "-0", "+3", "0003", "1_000", "1,000", "inf", "nan", "0x10"]),
                         st.text(max_size=6))


@SETTINGS
@given(st.lists(date_text, min_size=1, max_size=30), st.lists(integer_text, min_size=1, max_size=30),
       st.booleans())
def test_quick_cell_parses_agree_with_the_general_route(dates, numbers, fraction):
    """Where polars' own parser converts a cell (the route most cells take), the value is exactly the one
    the general conversion of its text gives; every other cell goes the general route."""
    date_col = REFERRALS.column("referral_date")
    for texts, col, fmt in [*((dates, date_col, fmt) for fmt in QUICK_FORMATS),
                            (numbers, REFERRALS.column("referrals_last_12m"), None),
                            (numbers, REFERRALS.column("age_years"), None)]:
        frame = pl.DataFrame({RAW: texts}, schema={RAW: pl.String}).with_columns(
            pl.lit(True).alias(REQUIRED), pl.lit(col.allow_fraction or fraction).alias(FRACTION),
            pl.lit(None, dtype=pl.String).alias(CODE_SET))
        quick = frame.select(quick_value(col, pl.col(RAW), *([fmt] if fmt else [])).alias("q"))["q"]
        general = convert_unique(frame.lazy(), col, CODE_SETS).collect()
        for q, value, problem in zip(quick, general[VALUE], general[PROBLEM], strict=True):
            if q is not None:
                assert problem is None and q == value


def test_huge_whole_numbers_stay_exact():
    typed, problems = frame_from_rows(REFERRALS, CODE_SETS, [
        {"child_id": "A", "referrals_last_12m": "9007199254740993"}, {"child_id": "B", "referrals_last_12m": "2"}])
    assert typed["referrals_last_12m"].to_list() == [9007199254740993, 2]


# --- period keys -------------------------------------------------------------------------------------------


@SETTINGS
@given(st.sampled_from(["month", "quarter", "year"]),
       st.lists(st.integers(0, 40), min_size=1, max_size=8, unique=True),
       st.lists(st.one_of(st.none(), st.integers(-400, 4000)), min_size=1, max_size=40))
def test_period_keys_are_the_period_containing_the_date(granularity, picks, offsets):
    origin = date(2021, 4, 1)
    periods, p = [], period_of(origin, granularity)  # type: ignore[arg-type]
    for _ in range(max(picks) + 1):
        periods.append(p)
        p = p.next()
    wanted = [(i, periods[i]) for i in sorted(picks)]
    days = [None if o is None else origin + timedelta(days=o) for o in offsets]
    key, end = _period_keys(pl.col("d"), wanted)
    got = pl.DataFrame({"d": days}, schema={"d": pl.Date}).select("d", key.alias("k"), end.alias("e"))
    for d, k, e in got.iter_rows():
        match = next((i for i, q in wanted if d is not None and q.contains(d)), None)
        assert k == match
        assert e == (periods[match].end if match is not None else None)


# --- screened checks -----------------------------------------------------------------------------------------

TODAY = date(2025, 10, 1)
LAC = next(t for t in TABLES if t.alias == "looked_after")
day = st.one_of(st.none(), st.integers(-12000, 400).map(lambda n: (TODAY + timedelta(days=n)).isoformat()))
lac_rows = st.lists(st.fixed_dictionaries({
    "child_id": st.sampled_from(["A", "B", "C", None]), "date_of_birth": day, "age_years": st.sampled_from(["5", "26", None]),
    "cla_start": day, "cla_end": day, "legal_status_start": day, "placement_start": day,
}), min_size=1, max_size=20)


def _table(schema, rows_) -> TableData:
    typed, _ = frame_from_rows(schema, CODE_SETS, rows_)
    headers = [{"header": c.header, "column": c.name, "letter": "A"} for c in schema.columns]
    source = SourceInfo(f"{schema.alias}.csv", None, schema.id, typed.height, 0, None, "", None, headers)
    return TableData(schema, typed, [source])


@FEW
@given(lac_rows, lac_rows)
def test_screened_checks_find_what_the_full_checks_find(rows_a, rows_b):
    tables = [_table(LAC, rows_a), _table(next(t for t in TABLES if t.alias == "cin"),
                                          [{"child_id": r["child_id"], "date_of_birth": r["date_of_birth"],
                                            "cin_start": r["cla_start"], "cin_closure": r["cla_end"]} for r in rows_b])]
    full = []
    for t in tables:
        full += [*_duplicates(t), *_date_pairs(t), *_future(t, TODAY), *_before_birth(t), *_over_25(t)]
    births = _birth_rows(tables)
    full += _birth_findings(tables, births, _birth_conflicts(births).collect()) if births is not None else []
    assert check_tables(tables, TODAY) == full
    # over 25: every child whose completed years at the event exceed 25 is reported, no other
    reported = {d.line for d in full if d.code == "CSC208" and d.field == "date_of_birth" and d.file == "looked_after.csv"}
    expected = set()
    for row in tables[0].frame.iter_rows(named=True):
        born, start = row["date_of_birth"], row["cla_start"]
        if born and start and (start.year - born.year - ((start.month, start.day) < (born.month, born.day))) > 25:
            expected.add(row[ROW])
    assert reported == expected


def test_over_25_counts_completed_years_after_march():
    # born 31/03/1999: 26 on 31/03/2025, so over 25 on 01/10/2025 (month * 100 once overflowed the Int8 month,
    # making October 1 (1001) look like "-23" and the age 25)
    t = _table(LAC, [{"child_id": "A", "date_of_birth": "1999-03-31", "cla_start": "2025-10-01"},
                     {"child_id": "B", "date_of_birth": "1999-10-02", "cla_start": "2025-10-01"}])
    found = [(d.code, d.line) for d in _over_25(t)]
    assert found == [("CSC208", 2)]  # A is 26; B is 25 (26 on 2 October)


def test_dates_that_read_as_infinite_numbers_are_not_dates():
    # "inf" and "1e400" are floats to polars; their day count once failed a strict cast and crashed the read
    typed, diags = frame_from_rows(REFERRALS, CODE_SETS, [{"child_id": "A", "referral_date": "inf"},
                                                          {"child_id": "B", "referral_date": "1e400"},
                                                          {"child_id": "C", "referral_date": "45000"}])
    assert typed["referral_date"].to_list() == [None, None, date(2023, 3, 15)]
    assert [(d.code, d.line) for d in diags if d.field == "referral_date"] == [("CSC201", 2), ("CSC201", 3)]


# --- row orders ----------------------------------------------------------------------------------------------


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.integers(0, 6)), min_size=1, max_size=40))
def test_row_order_is_the_ordinal_rank_of_date_then_row(offsets):
    from csc_metrics.engine.run import _row_order

    days = [None if o is None else TODAY + timedelta(days=o) for o in offsets]
    frame = pl.DataFrame({"d": days}, schema={"d": pl.Date}).with_row_index("__rid")
    got = frame.select(_row_order(pl.col("d")).alias("o"))["o"].to_list()
    by_hand = sorted(range(len(days)), key=lambda i: (days[i] is not None, days[i] or TODAY, i))
    assert got == [by_hand.index(i) + 1 for i in range(len(days))]
