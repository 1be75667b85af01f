"""The run helpers of the SSDA903 derivations (`ssda903_common`): each equals the polars operation it replaces
(`per_run` a `group_by(maintain_order=True)`, `at_start` a `first().over()`, `episode_order`'s check the sort)."""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from csc_metrics.derive.ssda903_common import ORDER, _in_order, at_start, episode_order, first_of, per_run

D1, D2, D3 = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)


def test_per_run_hand_counted() -> None:
    # child 1: run a = rows 0-1, run b = row 2; child 2: run a = rows 3-5
    f = pl.DataFrame({"child": ["1", "1", "1", "2", "2", "2"], "g": ["a", "a", "b", "a", "a", "a"],
                      "v": [10, 11, 12, 20, None, 22]})
    out = per_run(f, ["child", "g"], {"first": ("first", pl.col("v")), "n": ("len", None),
                                      "last": ("last", pl.col("v"))})
    assert out.to_dicts() == [
        {"child": "1", "g": "a", "first": 10, "n": 2, "last": 11},  # 2 rows: 10 first, 11 last
        {"child": "1", "g": "b", "first": 12, "n": 1, "last": 12},  # 1 row
        {"child": "2", "g": "a", "first": 20, "n": 3, "last": 22},  # 3 rows, the null in the middle
    ]
    assert out.schema["n"] == pl.UInt32
    assert per_run(f.clear(), ["child", "g"], {"n": ("len", None)}).height == 0


def test_at_start_hand_counted() -> None:
    f = pl.DataFrame({"child": ["1", "1", "2", None, None], "v": [None, 5, 7, 8, 9]})
    out = f.select(at_start(pl.col("v"), first_of("child")))["v"].to_list()
    assert out == [None, None, 7, 8, 8]  # child 1 starts with a blank; the two blank ids are one group


def test_in_order_hand_counted() -> None:
    f = pl.DataFrame({"child": ["1", "1", "10", "9"], "decom": [D1, D2, D1, D1], "dec": [None, None, D3, D2]})
    assert _in_order(f, ORDER)  # "10" before "9" as text; equal keys never out of order
    assert not _in_order(f.reverse(), ORDER)
    blank_first = pl.DataFrame({"child": ["1", "1"], "decom": [D1, D1], "dec": [None, D2]})
    assert not _in_order(blank_first, ORDER)  # a blank DEC sorts last
    assert episode_order(blank_first)["dec"].to_list() == [D2, None]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([None, "1", "10", "9", "A", ""]), st.sampled_from([None, D1, D2]),
                          st.sampled_from([None, D1, D3])), min_size=0, max_size=8))
def test_episode_order_is_the_stable_sort(rows: list[tuple]) -> None:
    f = pl.DataFrame(rows, schema={"child": pl.String, "decom": pl.Date, "dec": pl.Date}, orient="row")
    f = f.with_row_index("i")
    sorted_ = f.sort(ORDER, nulls_last=True, maintain_order=True)
    assert episode_order(f).equals(sorted_)
    assert _in_order(f, ORDER) == f["i"].equals(sorted_["i"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.one_of(st.none(), st.integers(0, 9))),
                min_size=0, max_size=12))
def test_per_run_and_at_start_equal_group_by_and_over(rows: list[tuple]) -> None:
    f = pl.DataFrame(rows, schema={"child": pl.Int64, "g": pl.Int64, "v": pl.Int64}, orient="row").sort("child", "g")
    got = per_run(f, ["child", "g"], {"a": ("first", pl.col("v")), "b": ("last", pl.col("v")), "n": ("len", None)})
    want = f.group_by(["child", "g"], maintain_order=True).agg(
        a=pl.col("v").first(), b=pl.col("v").last(), n=pl.len().cast(pl.UInt32))
    assert got.equals(want)
    assert f.select(at_start(pl.col("v"), first_of("child", "g"))).to_series().equals(
        f.select(pl.col("v").first().over(["child", "g"])).to_series())
