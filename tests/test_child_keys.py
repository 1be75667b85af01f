"""Child ids as join keys: Int64 only when that keeps every distinct id distinct, else the id text."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.engine_helpers import standard

from csc_metrics.engine.calendar import WorkingCalendar
from csc_metrics.engine.lookups import packable
from csc_metrics.engine.periods import parse_period
from csc_metrics.engine.run import Settings, evaluate
from csc_metrics.io import frame_from_rows
from csc_metrics.io.model import KEY, number_keys

LIST_3 = "annex_a_list_3"


def referrals(ids_and_dates: list[tuple[str, str]]) -> pl.DataFrame:
    defs = standard()
    rows = [{"child_id": cid, "referral_date": day} for cid, day in ids_and_dates]
    frame, diags = frame_from_rows(defs.tables[LIST_3], defs.code_sets, rows)
    assert not [d for d in diags if d.field == "child_id"]
    return frame


def test_plain_numbers_become_int64_keys():
    frame = referrals([("7", "01/05/2024"), ("123456789012", "01/06/2024"), ("0", "02/06/2024")])
    assert frame.schema[KEY] == pl.Int64
    assert frame[KEY].to_list() == [7, 123456789012, 0]
    assert frame["child_id"].to_list() == ["7", "123456789012", "0"]  # the ids themselves are unchanged


def test_leading_zeros_letters_and_huge_numbers_keep_text_keys():
    # `007` and `7` are two children: as numbers they would be one
    for ids in (["007", "7"], ["A7", "7"], ["99999999999999999999", "7"]):
        frame = referrals([(i, "01/05/2024") for i in ids])
        assert KEY not in frame.columns, ids


def test_one_table_with_text_ids_makes_every_join_use_the_text():
    numeric = referrals([("7", "01/05/2024")])
    text = referrals([("007", "01/05/2024")])
    assert number_keys([(numeric, "child_id"), (numeric, "child_id")])
    assert not number_keys([(numeric, "child_id"), (text, "child_id")])


def re_referrals(frame: pl.DataFrame) -> tuple[int, int]:
    defs = standard()
    period = parse_period("2024-25")
    settings = Settings(periods=[period], as_at=period.end, calendar=WorkingCalendar(2015, 2027),
                        coverage={LIST_3: (date(2000, 1, 1), period.end)})
    result = evaluate(defs, [defs.indicators["re_referrals_12m"]], {LIST_3: frame}, settings)[0]
    return result["numerator"], result["denominator"]


def test_re_referrals_count_the_same_with_number_and_text_keys():
    # 7 referred twice (one re-referral), 8 once: 3 referrals in 2024-25, 1 re-referral
    numbers = referrals([("7", "01/05/2024"), ("7", "01/08/2024"), ("8", "01/09/2024")])
    assert numbers.schema[KEY] == pl.Int64
    assert re_referrals(numbers) == (1, 3)
    assert re_referrals(numbers.drop(KEY)) == (1, 3)  # text keys (as when a key is missing) agree
    # `007` is not child 7: no re-referral among 3 referrals
    assert re_referrals(referrals([("007", "01/05/2024"), ("7", "01/08/2024"), ("8", "01/09/2024")])) == (0, 3)


def test_ids_that_only_look_like_numbers_keep_text_keys():
    # a sign, an exponent, a leading zero or past Int64: the text is not the number written plainly
    for bad in ("+5", "1e3", "05", "99999999999999999999"):
        frame = referrals([(bad, "01/05/2024"), ("5", "01/06/2024")])
        assert KEY not in frame.columns, bad
    assert referrals([("999999999999999999", "01/05/2024")])[KEY].to_list() == [999999999999999999]
    # a space is trimmed first: ` 5` is child 5, for the text joins as for the number key
    spaced = referrals([(" 5", "01/05/2024"), ("5", "01/06/2024")])
    assert spaced["child_id"].to_list() == ["5", "5"] and spaced[KEY].to_list() == [5, 5]


def test_ids_excel_wrote_as_floats_get_number_keys_once_cleaned():
    # a workbook's numeric id column read as `12345.0`: cleaned to `12345`, then keyed as numbers
    frame = referrals([("12345.0", "01/05/2024"), ("7.0", "01/06/2024")])
    assert frame["child_id"].to_list() == ["12345", "7"] and frame[KEY].to_list() == [12345, 7]
    # lower-case letters are upper-cased, and stay text keys
    assert KEY not in referrals([("c1", "01/05/2024"), ("7", "01/06/2024")]).columns


# --- packed look-ups ----------------------------------------------------------------------------------------

START = date(2023, 4, 1)
event = st.tuples(st.sampled_from([0, 1, 2, 7, 99999]), st.integers(0, 800))  # (child number, day offset)


def keyed(table: str, column: str, events: list[tuple[int, int]]) -> pl.DataFrame:
    defs = standard()
    frame, _ = frame_from_rows(defs.tables[table], defs.code_sets, [
        {"child_id": str(c), column: (START + timedelta(days=d)).strftime("%d/%m/%Y")} for c, d in events])
    return frame


@settings(max_examples=40, deadline=None)
@given(st.lists(event, max_size=25), st.lists(event, max_size=25), st.lists(event, max_size=25))
def test_packed_look_ups_find_what_look_ups_by_text_key_find(contacts, refs, assessments):
    """Number keys pack child and date into one key; the same rows match as with text keys: re-referrals
    (strictly before, same table), contacts -> referral and referral -> assessment (forward, same day counts)."""
    defs = standard()
    dates = {"annex_a_list_1": "contact_date", "annex_a_list_3": "referral_date", "annex_a_list_4": "assessment_start"}
    data = {t: keyed(t, dates[t], rows) for t, rows in zip(dates, (contacts, refs, assessments), strict=True) if rows}
    assert all(packable(f, dates[t]) for t, f in data.items())
    periods = [parse_period("2023-24"), parse_period("2024-25")]
    settings_ = Settings(periods=periods, as_at=periods[-1].end, calendar=WorkingCalendar(2015, 2027),
                         coverage={t: (date(2000, 1, 1), periods[-1].end) for t in data})
    ids = [i for i in ("re_referrals_12m", "contacts_to_referral", "referrals_to_assessment")
           if all(t in data for t in ({"re_referrals_12m": ["annex_a_list_3"],
                                        "contacts_to_referral": ["annex_a_list_1", "annex_a_list_3"],
                                        "referrals_to_assessment": ["annex_a_list_3", "annex_a_list_4"]}[i]))]
    inds = [defs.indicators[i] for i in ids]

    def figures(frames):
        return [(r["indicator"], r["period"], r["numerator"], r["denominator"]) for r in evaluate(defs, inds, frames, settings_)]

    assert all(f.schema[KEY] == pl.Int64 for f in data.values())
    assert figures(data) == figures({t: f.drop(KEY) for t, f in data.items()})


# --- what the first rows of a file suggest is only a hint -------------------------------------------------

def read_ids(tmp_path, ids: list[str]) -> pl.DataFrame:
    from tests.test_read import L3, l3_row, read, write_csv

    path = write_csv(tmp_path / "referrals.csv", [L3, *[l3_row(cid=i, ref=f"{1 + n % 28:02d}/03/2025")
                                                         for n, i in enumerate(ids)]])
    return read(path).tables[LIST_3].frame


def test_numbers_in_the_first_rows_then_text_ids_are_still_cleaned(tmp_path):
    # the first 20 ids are numbers (the reader guesses number keys), then ` c21 ` needs trimming and upper-casing
    ids = [str(n) for n in range(1, 21)] + [" c21 ", "22"]
    frame = read_ids(tmp_path, ids)
    assert KEY not in frame.columns
    assert frame["child_id"].to_list() == [str(n) for n in range(1, 21)] + ["C21", "22"]


def test_text_in_the_first_rows_then_numbers_keep_text_keys(tmp_path):
    # the first id is not a number, so no number key is read; every id is still read as written
    frame = read_ids(tmp_path, ["A1"] + [str(n) for n in range(2, 30)])
    assert KEY not in frame.columns
    assert frame["child_id"].to_list() == ["A1"] + [str(n) for n in range(2, 30)]


def test_numbers_throughout_make_number_keys_from_a_file(tmp_path):
    frame = read_ids(tmp_path, [str(n) for n in range(1, 30)])
    assert frame[KEY].to_list() == list(range(1, 30))


def test_first_rows_hint():
    from csc_metrics.io.convert import looks_numeric

    assert looks_numeric(["12", None, " 7 ", "", "0"])
    assert not looks_numeric(["12", "007"])
    assert not looks_numeric(["12", "C3"])
    assert not looks_numeric(["١٢"])  # digits, but not ASCII ones


id_text = st.one_of(st.integers(0, 10**6).map(str), st.integers(0, 999).map(lambda n: f"{n}.0"),
                    st.integers(0, 99).map(lambda n: f" {n} "), st.integers(0, 99).map(lambda n: f"0{n}"),
                    st.sampled_from(["c1", "C1", "A7", "+5", "", "NULL", "9223372036854775808", "1e3"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(id_text, min_size=1, max_size=12))
def test_a_number_key_names_the_same_children_as_the_ids(ids):
    # whenever the reader keys children by number, two rows share a key exactly when they share an id
    frame = referrals_any([(i, "01/05/2024") for i in ids])
    if KEY in frame.columns:
        pairs = frame.select("child_id", KEY).rows()
        for a_id, a_key in pairs:
            assert (a_id is None) == (a_key is None)
            for b_id, b_key in pairs:
                assert (a_id == b_id) == (a_key == b_key)


def referrals_any(ids_and_dates: list[tuple[str, str]]) -> pl.DataFrame:
    defs = standard()
    rows = [{"child_id": cid, "referral_date": day} for cid, day in ids_and_dates]
    return frame_from_rows(defs.tables[LIST_3], defs.code_sets, rows)[0]
