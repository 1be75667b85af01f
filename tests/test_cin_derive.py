"""CIN derived sets (returns.md §2.1, §2.10, §6.10-6.13), from census XML built in code, checked by hand."""

from __future__ import annotations

from datetime import date

import polars as pl
from tests.cin_helpers import assessment, child, cpp, details, header, message, read_xml, s47

from csc_metrics.derive.cin import (
    census_view,
    cin_episodes,
    icpc_set,
    open_plans,
    review_chains,
    reviews_on_time,
    stack_censuses,
)


def _tables(ret):
    return {t: td.frame for t, td in ret.tables.items()}


def _stack(*rets):
    return stack_censuses([(r.period.end.year, _tables(r)) for r in rets])


def _episodes(view):
    return cin_episodes(view["cin_details"], view["cin_assessments"], view["cin_plan_dates"], view["cin_s47"],
                        view["cin_cpp"])


def test_nfa_referral_with_an_assessment_is_not_nfa(tmp_path):
    ret = read_xml(tmp_path, message(
        child("A", details("2024-05-01", nfa="1", modules=assessment("2024-05-02", "2024-05-30"))),  # flag overridden
        child("B", details("2024-05-01", nfa="1")),  # a true NFA
        child("C", details("2024-05-01", nfa="true", icpc="2024-05-10")),  # a CINdetails-level ICPC is activity
        child("D", details("2024-05-01", closure="2024-06-01", reason="RC8", modules=assessment("2024-05-02"))),
        child("E", details("2024-05-01", closure="2024-06-01", reason="RC9", modules=assessment("2024-05-02"))),
        child("F", details("2024-05-01", closure="2024-09-01", reason="RC7", modules=assessment("2024-05-02"))),
    ))
    view = census_view(_stack(ret), 2025)
    ep = _episodes(view).sort("la_child_id")
    assert ep.select("la_child_id", "nfa_flag", "has_activity", "nfa", "not_in_need", "episode_of_need").rows() == [
        ("A", True, True, False, False, True),
        ("B", True, False, True, False, False),
        ("C", True, True, False, False, True),
        ("D", False, True, False, True, False),
        ("E", False, True, False, True, False),
        ("F", False, True, False, False, True),
    ]
    # B1 identity: episodes = referrals (6) - NFA (1: B) - not in need (2: D, E) = 3
    assert ep["episode_of_need"].sum() == 6 - 1 - 2


def test_icpc_set_transfer_in_duplicate_level_and_before_s47(tmp_path):
    ret = read_xml(tmp_path, message(
        child("T", details("2024-05-01", icpc="2024-05-09")),  # transfer-in: ICPC at CINdetails level, no S47
        child("S", details("2024-05-01", modules=s47("2024-05-02", "2024-05-20"))),
        child("D", details("2024-05-01", icpc="2024-05-20", modules=s47("2024-05-02", "2024-05-20"))),  # both levels
        child("O", details("2024-05-01", icpc="2024-06-30", modules=s47("2024-05-02", "2024-05-20"))),  # differs
        child("B", details("2024-05-01", modules=s47("2024-05-10", "2024-05-08"))),  # ICPC before its S47
        child("N", details("2024-05-01", modules=s47("2024-05-02", None, "true"))),  # no ICPC
    ))
    view = census_view(_stack(ret), 2025)
    got = icpc_set(view["cin_details"], view["cin_s47"]).sort("la_child_id", "icpc_date")
    assert got.select("la_child_id", "icpc_date", "level", "icpc_before_s47").rows() == [
        ("B", date(2024, 5, 8), "s47", True),
        ("D", date(2024, 5, 20), "s47", False),  # the same date at both levels counts once
        ("O", date(2024, 5, 20), "s47", False),
        ("O", date(2024, 6, 30), "cin_details", False),  # a CINdetails ICPC differing from every S47 one: separate
        ("S", date(2024, 5, 20), "s47", False),
        ("T", date(2024, 5, 9), "cin_details", False),
    ]


def test_child_on_two_open_plans_counts_once_with_earliest_start(tmp_path):
    ret = read_xml(tmp_path, message(
        child("A", details("2023-05-01", modules=cpp("2023-06-01") + cpp("2024-02-01"))),
        child("B", details("2024-05-01", modules=cpp("2024-06-01", "2025-03-31"))),  # ends on E: not open at E
        child("C", details("2024-05-01", modules=cpp("2024-06-01", "2024-12-01") + cpp("2025-01-10"))),
    ))
    got = open_plans(ret.tables["cin_cpp"].frame, date(2025, 3, 31)).sort("la_child_id")
    assert got.rows() == [("A", date(2023, 6, 1), 2), ("C", date(2025, 1, 10), 1)]


def _chain(tmp_path, start, reviews, name="c.xml", end=None):
    ret = read_xml(tmp_path, message(child("A", details("2023-05-01", modules=cpp(start, end, reviews)))), name)
    view = census_view(_stack(ret), 2025)
    return view, review_chains(view["cin_cpp"], view["cin_cpp_reviews"], date(2024, 4, 1))


def test_review_exactly_six_calendar_months_after_is_on_time(tmp_path):
    # plan 2024-05-15; first review due by 2024-08-15 (3 months); held 2024-08-15: on time (inclusive)
    # second due 2025-02-15 (6 months after 2024-08-15); held 2025-02-15: on time; a third a day late is not
    _, chain = _chain(tmp_path, "2024-05-15", ["2024-08-15", "2025-02-15"])
    assert chain.select("review_seq", "cpp_review_date", "due_date", "on_time").rows() == [
        (1, date(2024, 8, 15), date(2024, 8, 15), True),
        (2, date(2025, 2, 15), date(2025, 2, 15), True),
    ]
    _, late = _chain(tmp_path, "2024-05-15", ["2024-08-16", "2025-02-17"], "late.xml")
    assert late["on_time"].to_list() == [False, False]  # due 15 Aug; then due 16 Feb (6 months after 16 Aug)


def test_thirty_september_plus_six_months_is_thirty_march(tmp_path):
    """§6.13: month-end clamping applied literally; a last review on 30 September is overdue at 31 March."""
    view, chain = _chain(tmp_path, "2024-06-30", ["2024-09-30"])
    assert chain["due_date"].to_list() == [date(2024, 9, 30)]  # 30 June + 3 months
    assert chain["on_time"].to_list() == [True]
    judged = reviews_on_time(view["cin_cpp"], chain, date(2025, 3, 31), date(2024, 4, 1))
    # next review due 2024-09-30 + 6 months = 2025-03-30 < 31 March: overdue
    assert judged.select("la_child_id", "last_review", "on_time").rows() == [("A", date(2024, 9, 30), False)]
    assert pl.select(pl.lit(date(2024, 9, 30)).dt.offset_by("6mo")).item() == date(2025, 3, 30)
    view, chain = _chain(tmp_path, "2024-06-30", ["2024-09-30", "2025-03-30"], "b.xml")
    assert reviews_on_time(view["cin_cpp"], chain, date(2025, 3, 31), date(2024, 4, 1))["on_time"].to_list() == [True]


def test_review_on_or_before_plan_start_dropped(tmp_path):
    _, chain = _chain(tmp_path, "2024-05-15", ["2024-05-15", "2024-08-01"])
    assert chain.select("review_seq", "cpp_review_date").rows() == [(1, date(2024, 8, 1))]


def test_chain_that_cannot_be_anchored(tmp_path):
    """A plan started before 1 April of the earliest loaded census: first-review test skipped, 6-month tests from
    the first loaded review; with no loaded review it is not on time."""
    view, chain = _chain(tmp_path, "2023-01-10", ["2024-06-01", "2024-11-30"])
    assert chain.select("anchored", "due_date", "on_time").rows() == [
        (False, None, None), (False, date(2024, 12, 1), True)]
    judged = reviews_on_time(view["cin_cpp"], chain, date(2025, 3, 31), date(2024, 4, 1))
    assert judged.select("unanchored", "on_time").rows() == [(True, True)]  # 31 March <= 30 Nov + 6 months
    view, chain = _chain(tmp_path, "2023-01-10", [], "none.xml")
    judged = reviews_on_time(view["cin_cpp"], chain, date(2025, 3, 31), date(2024, 4, 1))
    assert judged.select("unanchored", "reviews", "on_time").rows() == [(True, 0, False)]


def test_stacking_census_y_is_the_authority_earlier_ones_look_back(tmp_path):
    y24 = read_xml(tmp_path, message(
        child("A", details("2023-05-01", closure="2023-09-01", reason="RC7"),  # only in 2023-24: a look-back fact
              details("2024-01-10", source="8", modules=cpp("2024-02-01", reviews=["2024-03-01"]))),
        head=header(2024, "2024-03-31")), "2024.xml")
    y25 = read_xml(tmp_path, message(
        child("A", details("2024-01-10", source="6", modules=cpp("2024-02-01", reviews=["2024-05-01"]))),
        head=header(2025, "2025-03-31")), "2025.xml")
    stacked = _stack(y24, y25)
    assert stacked["cin_details"].height == 3  # nothing dropped across censuses
    view = census_view(stacked, 2025)
    det = view["cin_details"].sort("cin_referral_date")
    # the 2024-01-10 referral is census 2025's (source 6, not 8); the 2023 one comes from 2024 as look-back
    assert det.select("cin_referral_date", "referral_source", "census_year", "look_back").rows() == [
        (date(2023, 5, 1), "6", 2024, True), (date(2024, 1, 10), "6", 2025, False)]
    # reviews of the same plan from both censuses form one chain (earlier review from the earlier census)
    chain = review_chains(view["cin_cpp"], view["cin_cpp_reviews"], date(2023, 4, 1))
    assert chain.select("cpp_review_date", "review_seq").rows() == [(date(2024, 3, 1), 1), (date(2024, 5, 1), 2)]
    # computing 2023-24 ignores the later census
    v24 = census_view(stacked, 2024)
    assert v24["cin_details"].filter(pl.col("cin_referral_date") == date(2024, 1, 10))["referral_source"].to_list() == ["8"]


def test_one_census_as_read_without_stacking(tmp_path):
    """The derived sets also take one census's tables as the reader gives them (modules linked by ordinals)."""
    ret = read_xml(tmp_path, message(
        child("A", details("2024-05-01", nfa="1", icpc="2024-06-30",
                           modules=assessment("2024-05-02") + s47("2024-05-03", "2024-05-20")
                           + cpp("2024-05-20", reviews=["2024-08-20"]))),
        child("B", details("2024-05-01", nfa="1"))))
    t = _tables(ret)
    ep = cin_episodes(t["cin_details"], t["cin_assessments"], t["cin_plan_dates"], t["cin_s47"], t["cin_cpp"])
    assert ep.sort("la_child_id").select("la_child_id", "nfa", "episode_of_need").rows() == [
        ("A", False, True), ("B", True, False)]
    assert icpc_set(t["cin_details"], t["cin_s47"]).select("icpc_date", "level").rows() == [
        (date(2024, 5, 20), "s47"), (date(2024, 6, 30), "cin_details")]
    chain = review_chains(t["cin_cpp"], t["cin_cpp_reviews"], date(2024, 4, 1))
    assert chain.select("cpp_review_date", "due_date", "on_time").rows() == [
        (date(2024, 8, 20), date(2024, 8, 20), True)]
