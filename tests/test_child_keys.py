"""Child ids as join keys: Int64 only when that keeps every distinct id distinct, else the id text."""

from __future__ import annotations

from datetime import date

import polars as pl
from tests.engine_helpers import standard

from csc_metrics.engine.calendar import WorkingCalendar
from csc_metrics.engine.periods import parse_period
from csc_metrics.engine.run import Settings, evaluate
from csc_metrics.io import frame_from_rows
from csc_metrics.io.model import KEY, with_child_keys

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


def test_one_table_with_text_ids_makes_every_key_text():
    numeric = referrals([("7", "01/05/2024")])
    text = referrals([("007", "01/05/2024")])
    keyed = with_child_keys({"a": numeric, "b": text}, {"a": "child_id", "b": "child_id"})
    assert keyed["a"][KEY].to_list() == ["7"]
    assert keyed["b"][KEY].to_list() == ["007"]


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
    # a sign, a space, an exponent or past Int64: the text is not the number written plainly
    for bad in ("+5", " 5", "1e3", "05", "99999999999999999999"):
        frame = referrals([(bad, "01/05/2024"), ("5", "01/06/2024")])
        assert KEY not in frame.columns, bad
    assert referrals([("999999999999999999", "01/05/2024")])[KEY].to_list() == [999999999999999999]
