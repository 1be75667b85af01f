"""Invariants of the SSDA903 derivations over random (often defective) episode tables (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.ssda903_helpers import ep as E
from tests.ssda903_helpers import episodes

from csc_metrics.derive.ssda903 import (
    count_placements,
    periods_of_care,
    placements,
    repair_episodes,
    stack_returns,
)

BASE = date(2023, 1, 1)


@st.composite
def episode_rows(draw, year: int = 2025) -> list[dict]:
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        start = BASE + timedelta(days=draw(st.integers(0, 800)))
        length = draw(st.one_of(st.none(), st.integers(-5, 300)))
        end = None if length is None else start + timedelta(days=length)
        rows.append(E(
            draw(st.sampled_from(["1", "2", "3"])), start.strftime("%d/%m/%Y"),
            end.strftime("%d/%m/%Y") if end else None,
            rne=draw(st.sampled_from(["S", "L", "P", "T", "B", "U", None])),
            rec=draw(st.sampled_from(["X1", "E13", "E4A", "E11", None])),
            place=draw(st.sampled_from(["U4", "U6", "T1", "T4", "K2", "A5"])),
            ls=draw(st.sampled_from(["C2", "E1", "V2"])),
            year=year,
        ))
    return rows


def _by_child(frame: pl.DataFrame, start: str, end: str) -> list[list[tuple]]:
    return [g.sort(start, end, nulls_last=True).select(start, end).rows()
            for _, g in frame.group_by("child", maintain_order=True)]


PROFILE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROFILE
@given(episode_rows())
def test_repaired_episodes_never_overlap_and_only_the_last_is_open(rows):
    out, _ = repair_episodes(episodes(*rows), None)
    for child in _by_child(out, "decom", "dec"):
        for (decom, dec), (next_decom, _) in zip(child, child[1:], strict=False):
            assert dec is not None and decom <= dec <= next_decom
        assert child[-1][1] is None or child[-1][1] >= child[-1][0]


@PROFILE
@given(episode_rows())
def test_periods_of_care_are_disjoint_and_ordered(rows):
    out, _ = repair_episodes(episodes(*rows), None)
    pocs = periods_of_care(out)
    assert pocs.group_by("child").agg(pl.col("episodes").sum()).sort("child")["episodes"].to_list() == \
        out.group_by("child").len().sort("child")["len"].to_list()
    for child in _by_child(pocs, "poc_start", "poc_end"):
        for (start, end), (next_start, _) in zip(child, child[1:], strict=False):
            assert end is not None and start <= end <= next_start


@PROFILE
@given(episode_rows())
def test_repair_is_idempotent(rows):
    once, _ = repair_episodes(episodes(*rows), None)
    twice, _ = repair_episodes(once, None)
    assert twice.sort("child", "decom").equals(once.sort("child", "decom"))


@PROFILE
@given(episode_rows(year=2024), episode_rows(year=2025))
def test_stacking_is_idempotent(older, newer):
    returns = [(2024, {"ssda903_episodes": episodes(*older)}), (2025, {"ssda903_episodes": episodes(*newer)})]
    once, _ = stack_returns(returns)
    again, found = stack_returns([(2025, once)])
    cols = ["child", "decom", "dec", "rne", "rec", "year"]
    key = ["child", "decom", "dec", "year", "__row"]
    assert again["ssda903_episodes"].sort(key, nulls_last=True).select(cols).equals(
        once["ssda903_episodes"].sort(key, nulls_last=True).select(cols))
    assert found.height == 0
    # every episode of the latest return survives stacking
    assert once["ssda903_episodes"].filter(pl.col("year") == 2025).height == len(newer)


@PROFILE
@given(episode_rows())
def test_placements_never_exceed_non_temporary_episodes(rows):
    out, _ = repair_episodes(episodes(*rows), None)
    window = (date(2024, 4, 1), date(2025, 3, 31))
    counts = dict(count_placements(placements(out), *window).iter_rows())
    in_window = out.filter((pl.col("decom") <= window[1]) & (pl.col("dec").is_null() | (pl.col("dec") >= window[0]))
                           & ~pl.col("place").is_in(["T1", "T4"]))
    upper = dict(in_window.group_by("child").len().iter_rows())
    # placements overlapping the window are made of episodes, some starting before it: at most one more
    # placement than non-temporary episodes in the window is impossible, so count <= episodes in window
    for child, n in counts.items():
        assert 1 <= n <= upper.get(child, 0)
