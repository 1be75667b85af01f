"""SSDA903 derivations: stacking, episode repair R0-R12, periods of care, placements, carer spells, cohorts.

Every fixture is built in code; the expected result is worked out by hand in the comments. Dates dd/mm/yyyy.
Collection year 2024-25: S = 01/04/2024, E = 31/03/2025."""

from __future__ import annotations

from datetime import date

import polars as pl
from tests.ssda903_helpers import d, episodes, header, spans
from tests.ssda903_helpers import ep as E

from csc_metrics.derive.ssda903 import (
    care_leaver_cohort,
    carer_spells,
    count_placements,
    findings_to_diagnostics,
    oc2_cohort,
    open_at,
    periods_of_care,
    placements,
    remove_short_breaks,
    repair_episodes,
    stack_returns,
)
from csc_metrics.diagnostics import CODES
from csc_metrics.io.model import ROW, SourceInfo

S, END = date(2024, 4, 1), date(2025, 3, 31)


def repaired(*rows: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    return repair_episodes(episodes(*rows), None)


def rules(found: pl.DataFrame) -> list[str]:
    return found["rule"].to_list()


# ---------------------------------------------------------------- R0-R4: row-level repairs


def test_r0_drops_rows_without_child_or_start_date():
    # row 2 no CHILD, row 3 blank (spaces) CHILD, row 4 DECOM "notadate" (read as null): all three dropped
    out, found = repaired(E(None, "01/05/2024"), E("  ", "01/05/2024"), E("1", None), E("1", "01/06/2024"))
    assert spans(out) == [("01/06/2024", None, "S", None)]
    assert rules(found) == ["R0", "R0", "R0"]
    assert found[ROW].to_list() == [2, 3, 4]
    assert set(found["code"]) == {"CSC230"}


def test_r1_identical_rows_keep_one():
    out, found = repaired(E("1", "01/05/2024", "01/06/2024", rec="E13"), E("1", "01/05/2024", "01/06/2024", rec="E13"))
    assert spans(out) == [("01/05/2024", "01/06/2024", "S", "E13")]
    assert rules(found) == ["R1"] and found[ROW].to_list() == [3]  # the second copy (file order) is dropped


def test_r2_duplicate_decom_keeps_the_row_with_the_later_dec():
    # three versions of the episode starting 01/05/2024: open, ending 01/06, ending 10/06 -> the 10/06 one wins
    out, found = repaired(E("1", "01/05/2024"), E("1", "01/05/2024", "01/06/2024", rec="E13"),
                          E("1", "01/05/2024", "10/06/2024", rec="E13"))
    assert spans(out) == [("01/05/2024", "10/06/2024", "S", "E13")]
    assert rules(found) == ["R2", "R2"] and sorted(found[ROW]) == [2, 3]


def test_r2_a_zero_length_episode_and_another_starting_the_same_day_are_two_episodes():
    # §6.3: the key carries "DEC = DECOM": the 0-day T4 and the U4 from the same day both stay
    out, found = repaired(E("1", "01/05/2024", "01/05/2024", place="T4", rec="X1"),
                          E("1", "01/05/2024", rne="P"))
    assert spans(out) == [("01/05/2024", "01/05/2024", "S", "X1"), ("01/05/2024", None, "P", None)]
    assert found.height == 0


def test_r3_open_episode_carrying_rec_is_open():
    # DEC blank and REC X1 (the commonest defect) or E13: REC ignored, still looked after
    out, found = repaired(E("1", "01/05/2024", rec="X1"), E("2", "01/05/2024", rec="E13"))
    assert spans(out, "1") == [("01/05/2024", None, "S", None)]
    assert spans(out, "2") == [("01/05/2024", None, "S", None)]
    assert rules(found) == ["R3", "R3"] and set(found["field"]) == {"rec"}


def test_r4_dec_before_decom_becomes_zero_length():
    out, found = repaired(E("1", "10/05/2024", "01/05/2024", rec="E13"))
    assert spans(out) == [("10/05/2024", "10/05/2024", "S", "E13")]
    assert rules(found) == ["R4"]


def test_r5_dec_one_day_after_the_year_end_is_open_at_31_march():
    # 2024-25 return, DEC 01/04/2025: reported (R5), not changed; open at E for 2024-25 (DEC > E)
    out, found = repaired(E("1", "01/05/2024", "01/04/2025", rec="E13", year=2025))
    assert spans(out) == [("01/05/2024", "01/04/2025", "S", "E13")]
    assert rules(found) == ["R5"]
    assert open_at(out, END)["child"].to_list() == ["1"]
    # the child ceased on 01/04/2025, so is looked after on 31/03 but not on 01/04
    assert open_at(out, date(2025, 4, 1)).height == 0


# ---------------------------------------------------------------- R6-R11: links between consecutive episodes


def test_r6_overlap_is_cut_at_the_next_start():
    # first episode ends 20/06 but the next starts 10/06: DEC := 10/06, REC X1 kept
    out, found = repaired(E("1", "01/05/2024", "20/06/2024", rec="X1"), E("1", "10/06/2024", rne="P"))
    assert spans(out) == [("01/05/2024", "10/06/2024", "S", "X1"), ("10/06/2024", None, "P", None)]
    assert rules(found) == ["R6"]


def test_r6_several_open_episodes():
    # three open episodes: the first two are closed on the next DECOM with X1 (the next RNE is not S)
    out, found = repaired(E("1", "01/05/2024"), E("1", "10/06/2024", rne="P"), E("1", "01/08/2024", rne="L"))
    assert spans(out) == [("01/05/2024", "10/06/2024", "S", "X1"), ("10/06/2024", "01/08/2024", "P", "X1"),
                          ("01/08/2024", None, "L", None)]
    assert rules(found) == ["R6", "R6"]


def test_r6_open_episode_followed_by_a_new_period_of_care():
    # open episode, then RNE S on 10/06: the child left care; DEC := 10/06 - 1 day = 09/06, REC UNK
    out, found = repaired(E("1", "01/05/2024"), E("1", "10/06/2024", rne="S"))
    assert spans(out) == [("01/05/2024", "09/06/2024", "S", "UNK"), ("10/06/2024", None, "S", None)]
    assert rules(found) == ["R6"]
    pocs = periods_of_care(out)
    assert pocs["poc_start"].to_list() == [d("01/05/2024"), d("10/06/2024")]
    assert pocs["rec"].to_list() == ["UNK", None]


def test_r7_x1_followed_by_a_gap():
    # child 1: X1 on 01/06, next (P) starts 05/06 -> bridged, DEC := 05/06, one period of care
    # child 2: X1 on 01/06, next is S on 05/06 -> the child did leave: REC := UNK, two periods of care
    out, found = repaired(E("1", "01/05/2024", "01/06/2024", rec="X1"), E("1", "05/06/2024", rne="P"),
                          E("2", "01/05/2024", "01/06/2024", rec="X1"), E("2", "05/06/2024", rne="S"))
    assert spans(out, "1") == [("01/05/2024", "05/06/2024", "S", "X1"), ("05/06/2024", None, "P", None)]
    assert spans(out, "2") == [("01/05/2024", "01/06/2024", "S", "UNK"), ("05/06/2024", None, "S", None)]
    assert rules(found) == ["R7", "R7"]
    assert periods_of_care(out).group_by("child").len().sort("child")["len"].to_list() == [1, 2]


def test_r8_x1_on_the_last_episode():
    out, found = repaired(E("1", "01/05/2024", "01/06/2024", rec="X1"))
    assert spans(out) == [("01/05/2024", "01/06/2024", "S", "UNK")]
    assert rules(found) == ["R8"]


def test_r9_cessation_then_same_day_continuation():
    # E13 on 01/06 but a P episode starts 01/06: continuous -> REC := X1; one period of care of two episodes
    out, found = repaired(E("1", "01/05/2024", "01/06/2024", rec="E13"), E("1", "01/06/2024", rne="P"))
    assert spans(out) == [("01/05/2024", "01/06/2024", "S", "X1"), ("01/06/2024", None, "P", None)]
    assert rules(found) == ["R9"]
    assert periods_of_care(out)["episodes"].to_list() == [2]


def test_r10_cessation_gap_then_a_non_s_episode_starts_a_new_period():
    # E13 on 01/06, next (P) on 20/06: a new period of care; the next RNE is read as S (start known)
    out, found = repaired(E("1", "01/05/2024", "01/06/2024", rec="E13"), E("1", "20/06/2024", rne="P"))
    assert spans(out) == [("01/05/2024", "01/06/2024", "S", "E13"), ("20/06/2024", None, "S", None)]
    assert rules(found) == ["R10"] and found[ROW].to_list() == [3]  # reported on the episode changed
    pocs = periods_of_care(out)
    assert pocs["poc_start_known"].to_list() == [True, True]


def test_r11_s_after_x1_same_day_is_read_as_p_or_l():
    # child 1: X1 on 01/06 then S on 01/06 in a different placement (U6) -> P
    # child 2: the same but the placement is unchanged (U4, same postcode) -> L (legal status only)
    out, found = repaired(E("1", "01/05/2024", "01/06/2024", rec="X1"), E("1", "01/06/2024", rne="S", place="U6"),
                          E("2", "01/05/2024", "01/06/2024", rec="X1"), E("2", "01/06/2024", rne="S", ls="E1"))
    assert spans(out, "1")[1] == ("01/06/2024", None, "P", None)
    assert spans(out, "2")[1] == ("01/06/2024", None, "L", None)
    assert rules(found) == ["R11", "R11"]
    assert periods_of_care(out).height == 2  # one period of care each


# ---------------------------------------------------------------- stacking and R12


def test_episode_amended_in_a_later_return_wins():
    # 2023-24 return: open on 31/03/2024. 2024-25 return: the same episode (same DECOM) closed 10/05/2024 E4A.
    # The later return wins. And §6.3 "unconditionally": a later open row beats an earlier closed one.
    y24 = {"ssda903_episodes": episodes(E("1", "01/02/2024", year=2024),
                                        E("2", "01/02/2024", "20/03/2024", rec="E13", year=2024))}
    y25 = {"ssda903_episodes": episodes(E("1", "01/02/2024", "10/05/2024", rec="E4A", year=2025),
                                        E("2", "01/02/2024", year=2025))}
    tables, found = stack_returns([(2024, y24), (2025, y25)])
    out = tables["ssda903_episodes"]
    assert spans(out, "1") == [("01/02/2024", "10/05/2024", "S", "E4A")]
    assert spans(out, "2") == [("01/02/2024", None, "S", None)]
    assert out["year"].to_list() == [2025, 2025] and found.height == 0


def test_a_later_return_is_authoritative_from_its_first_decom():
    # 2023-24 holds episodes from 01/01/2024 (S) and 01/03/2024 (P). 2024-25 holds from 01/01/2024 only a
    # corrected history: 01/01/2024 S and 15/03/2024 P. The 01/03/2024 episode (inside the span the later
    # return covers, >= 01/01/2024, and no longer held) is dropped and reported; earlier history before
    # 01/01/2024 (the 2022 episode) is kept.
    y24 = {"ssda903_episodes": episodes(E("1", "01/06/2022", "01/07/2022", rec="E13", year=2024),
                                        E("1", "01/01/2024", "01/03/2024", rec="X1", year=2024),
                                        E("1", "01/03/2024", rne="P", year=2024))}
    y25 = {"ssda903_episodes": episodes(E("1", "01/01/2024", "15/03/2024", rec="X1", year=2025),
                                        E("1", "15/03/2024", rne="P", year=2025))}
    tables, found = stack_returns([(2024, y24), (2025, y25)])
    assert spans(tables["ssda903_episodes"]) == [("01/06/2022", "01/07/2022", "S", "E13"),
                                                 ("01/01/2024", "15/03/2024", "S", "X1"),
                                                 ("15/03/2024", None, "P", None)]
    assert rules(found) == ["stack"] and found[ROW].to_list() == [4] and found["year"].to_list() == [2024]


def test_r12_open_episode_of_a_child_absent_from_the_later_return():
    # child 1 is open at 31/03/2024 in the 2023-24 return and not in the 2024-25 return: closed at
    # 31/03/2024 with REC UNK. Child 2 is in both: its open episode stays open.
    y24 = {"ssda903_episodes": episodes(E("1", "01/02/2024", year=2024), E("2", "01/02/2024", year=2024))}
    y25 = {"ssda903_episodes": episodes(E("2", "01/02/2024", year=2025))}
    tables, _ = stack_returns([(2024, y24), (2025, y25)])
    out, found = repair_episodes(tables["ssda903_episodes"], None)
    assert spans(out, "1") == [("01/02/2024", "31/03/2024", "S", "UNK")]
    assert spans(out, "2") == [("01/02/2024", None, "S", None)]
    assert rules(found) == ["R12"] and found["year"].to_list() == [2024]
    # in a single return nothing is closed by R12
    assert repair_episodes(y24["ssda903_episodes"], None)[1].height == 0


def test_header_latest_return_wins_and_a_changed_dob_is_reported():
    tables, found = stack_returns([(2024, {"ssda903_header": header(("1", "01/01/2010"), ("2", "05/05/2012"),
                                                                    year=2024)}),
                                   (2025, {"ssda903_header": header(("1", "02/01/2010"), ("2", "05/05/2012"))})])
    h = tables["ssda903_header"].sort("child")
    assert h["dob"].to_list() == [d("02/01/2010"), d("05/05/2012")] and h["year"].to_list() == [2025, 2025]
    assert rules(found) == ["dob"] and found["table"].to_list() == ["ssda903_header"]


def test_other_tables_deduplicated_latest_return_wins():
    def missing(year: int, end: str) -> pl.DataFrame:
        return pl.DataFrame({"child": ["1", "1"], "missing": ["M", "A"], "mis_start": [d("01/03/2024")] * 2,
                             "mis_end": [d(end), d("02/03/2024")]})
    oc3 = pl.DataFrame({"child": ["1"], "in_touch": ["YES"], "activ": ["F1"], "accom": ["B1"]})
    tables, _ = stack_returns([(2024, {"ssda903_missing": missing(2024, "03/03/2024"), "ssda903_oc3": oc3}),
                               (2025, {"ssda903_missing": missing(2025, "04/03/2024"), "ssda903_oc3": oc3})])
    # (child, mis_start, missing) is the key: M and A are two incidents; the 2025 version of each is kept
    m = tables["ssda903_missing"].sort("missing")
    assert m["missing"].to_list() == ["A", "M"] and m["year"].to_list() == [2025, 2025]
    assert m["mis_end"].to_list() == [d("02/03/2024"), d("04/03/2024")]
    # OC3 rows are per return: both kept, told apart by year
    assert sorted(tables["ssda903_oc3"]["year"]) == [2024, 2025]


def test_first_episode_not_s_means_the_start_is_unknown():
    # a one-year file: the child's first episode is L (legal status change): the period began earlier
    out, _ = repaired(E("1", "01/05/2024", rne="L"))
    poc = periods_of_care(out)
    assert poc["poc_start_known"].to_list() == [False]
    assert poc["poc_start"].to_list() == [d("01/05/2024")]  # an upper bound of the real start


# ---------------------------------------------------------------- short breaks, periods of care


def test_short_breaks_are_removed():
    eps = episodes(E("1", "01/05/2024", ls="V3"), E("2", "01/05/2024", ls="V4"), E("3", "01/05/2024", ls="C2"))
    assert remove_short_breaks(eps)["child"].to_list() == ["3"]


def test_periods_of_care_follow_x1_links():
    # S 01/05 -X1-> P 01/06 (ends E13 01/09); S 01/11 (open): two periods of care
    out, found = repaired(E("1", "01/05/2024", "01/06/2024", rec="X1"),
                          E("1", "01/06/2024", "01/09/2024", rne="P", rec="E13"), E("1", "01/11/2024"))
    assert found.height == 0
    poc = periods_of_care(out)
    assert poc.select("poc", "poc_start", "poc_end", "rec", "episodes").rows() == [
        (1, d("01/05/2024"), d("01/09/2024"), "E13", 2), (2, d("01/11/2024"), None, None, 1)]


# ---------------------------------------------------------------- placements


def _count(rows: list[dict], start: date = S, end: date = END) -> dict[str, int]:
    out, _ = repaired(*rows)
    counts = count_placements(placements(remove_short_breaks(out)), start, end)
    return dict(counts.iter_rows())


def test_placement_moves_and_legal_status_changes():
    # S (U4) -> L (legal status only: same placement) -> P (new carer) -> T (new placement, same carer):
    # placements are opened by S and P only: 2
    assert _count([E("1", "01/05/2024", "01/06/2024", rec="X1"),
                   E("1", "01/06/2024", "01/07/2024", rne="L", ls="E1", rec="X1"),
                   E("1", "01/07/2024", "01/08/2024", rne="P", place="U6", rec="X1"),
                   E("1", "01/08/2024", rne="T", place="A5")]) == {"1": 2}


def test_temporary_placements_returning_to_the_same_carer_are_not_new_placements():
    # U4 at TS1 1AA, then T0, T1, T2, T3 and T4 excursions, each returning (RNE P, as often recorded) to the
    # same U4/PR1/TS1 1AA: all one placement. Then a T4 after which the child moves on to K2: one new placement.
    rows, day = [], 1
    rows.append(E("1", "01/05/2024", "10/05/2024", rec="X1"))
    for t in ["T0", "T1", "T2", "T3", "T4"]:
        rows.append(E("1", f"{day + 9:02d}/05/2024", f"{day + 11:02d}/05/2024", rne="P", place=t, pl_post=None,
                      rec="X1"))
        rows.append(E("1", f"{day + 11:02d}/05/2024", f"{day + 13:02d}/05/2024", rne="P", pl_post="ts11aa",
                      rec="X1"))
        day += 4
    # last return ended 30/05; T4 from 30/05 to 01/06, then K2 elsewhere
    rows.append(E("1", "30/05/2024", "01/06/2024", rne="P", place="T4", pl_post=None, rec="X1"))
    rows.append(E("1", "01/06/2024", rne="P", place="K2", provider="PR4", urn="SC123456"))
    out, found = repaired(*rows)
    assert found.height == 0  # a consistent chain: no repairs
    pl_rows = placements(out)
    # 1: U4 01/05/2024 - 30/05/2024 (five excursions inside it); 2: K2 from 01/06/2024 (open)
    assert pl_rows.select("start", "end", "place").rows() == [(d("01/05/2024"), d("30/05/2024"), "U4"),
                                                             (d("01/06/2024"), None, "K2")]
    assert dict(count_placements(pl_rows, S, END).iter_rows()) == {"1": 2}


def test_temporary_placement_open_on_1_april():
    # U4 until 25/03/2024, T1 (hospital) 25/03/2024 - 05/04/2024, back to the same U4 on 05/04: the U4
    # placement overlaps 2024-25 -> 1. Child 2 goes on from hospital to a different carer (U6): the U4 ended
    # 25/03/2024, before the year, so the only placement in the year is the U6 -> 1.
    rows = [E("1", "01/01/2024", "25/03/2024", rec="X1"), E("1", "25/03/2024", "05/04/2024", rne="P", place="T1",
                                                           rec="X1"), E("1", "05/04/2024", rne="P"),
            E("2", "01/01/2024", "25/03/2024", rec="X1"), E("2", "25/03/2024", "05/04/2024", rne="P", place="T1",
                                                           rec="X1"), E("2", "05/04/2024", rne="P", place="U6")]
    assert _count(rows) == {"1": 1, "2": 1}


def test_zero_day_placements_and_a_move_on_1_april():
    # child 1: U4 ends 01/04/2024 (a move on 1 April) -> counted with the next one: 2 (§6.7)
    # child 2: a 0-day placement (DECOM = DEC = 10/05) between two others: not counted -> 2
    # child 3: placement ended 31/03/2024: before the window; the next one only -> 1
    rows = [E("1", "01/01/2024", "01/04/2024", rec="X1"), E("1", "01/04/2024", rne="P", place="U6"),
            E("2", "01/05/2024", "10/05/2024", rec="X1"),
            E("2", "10/05/2024", "10/05/2024", rne="P", place="U6", rec="X1"),
            E("2", "10/05/2024", rne="P", place="K2"),
            E("3", "01/01/2024", "31/03/2024", rec="X1"), E("3", "31/03/2024", rne="P", place="U6")]
    # child 3 again: the placement ending 31/03/2024 does not reach 01/04/2024 -> only the U6 counts
    assert _count(rows) == {"1": 2, "2": 2, "3": 1}


def test_placements_in_two_periods_of_care_in_one_year_all_count():
    # POC 1: U4 01/05-01/07 (E13); POC 2: S 01/09 U6 -> 2 placements in 2024-25
    assert _count([E("1", "01/05/2024", "01/07/2024", rec="E13"), E("1", "01/09/2024", place="U6")]) == {"1": 2}


# ---------------------------------------------------------------- carer spells


def test_carer_spell_walks_back_through_l_t_u_and_temporary_excursions():
    # U4 (S 01/01/2020) -P-> U6 (01/01/2022) -L-> U6 E1 (01/06/2022) -T1 excursion- back (01/07/2022)
    #   -U-> A5 (01/01/2023, placed for adoption with the same carers)
    rows = [E("1", "01/01/2020", "01/01/2022", rec="X1", year=2023),
            E("1", "01/01/2022", "01/06/2022", rne="P", place="U6", rec="X1", year=2023),
            E("1", "01/06/2022", "20/06/2022", rne="L", place="U6", ls="E1", rec="X1", year=2023),
            E("1", "20/06/2022", "01/07/2022", rne="P", place="T1", pl_post=None, ls="E1", rec="X1", year=2023),
            E("1", "01/07/2022", "01/01/2023", rne="P", place="U6", ls="E1", rec="X1", year=2023),
            E("1", "01/01/2023", rne="U", place="A5", ls="E1", year=2023)]
    out, found = repaired(*rows)
    assert found.height == 0
    spells = carer_spells(out).sort("decom")
    # usual walk from the A5 episode: U, back-to-same-carer, T1, L links keep the carer -> 01/01/2022
    assert spells["carer_start"].to_list()[-1] == d("01/01/2022")
    # adoption exception (§6.8): one more carer change is crossed -> the U4 carer from 01/01/2020
    assert spells["carer_start_adoption"].to_list()[-1] == d("01/01/2020")
    # the U6 episode is not an adoptive placement: no exception
    assert spells["carer_start_adoption"].to_list()[1] == d("01/01/2022")


# ---------------------------------------------------------------- OC2 cohort


def test_oc2_cohort():
    # 2024-25 (S = 01/04/2024, E = 31/03/2025):
    # 1 in care since 2022, open -> in
    # 2 ceased on 31/03/2025 (E13): ceasing on 31 March keeps continuity -> in
    # 3 ceased on 30/03/2025 -> out
    # 4 started (S) on 01/04/2024, still in care -> in (S < DECOM is false on 1 April)
    # 5 started on 02/04/2024 -> out
    # 6 had a V3 short break in the year (its last episode overlapping the year) -> out (§6.5)
    # 7 in care since 2022 but its episodes changed (X1) during the year -> in
    # 8 left before the year (ceased 31/03/2024) -> no episode overlapping the year after S? DEC 31/03/2024 < S
    rows = [E("1", "01/01/2022"),
            E("2", "01/01/2022", "31/03/2025", rec="E13"),
            E("3", "01/01/2022", "30/03/2025", rec="E13"),
            E("4", "01/04/2024"),
            E("5", "02/04/2024"),
            E("6", "01/01/2022", "01/06/2024", rec="X1"), E("6", "01/06/2024", rne="L", ls="V3"),
            E("7", "01/01/2022", "01/06/2024", rec="X1"), E("7", "01/06/2024", rne="P", place="U6"),
            E("8", "01/01/2022", "31/03/2024", rec="E13")]
    out, _ = repaired(*rows)
    cohort = oc2_cohort(out, header(("1", "29/02/2012"), ("2", "31/03/2015")), 2025)
    assert cohort["child"].to_list() == ["1", "2", "4", "7"]
    # ages at 31/03/2025: born 29/02/2012 -> 13; born 31/03/2015 -> 10 (birthday that day); others no Header
    assert cohort["age"].to_list() == [13, 10, None, None]


# ---------------------------------------------------------------- care-leaver cohort


def test_care_leaver_birthday_cohort_including_29_february():
    # return 2024-25; k = age reached at the birthday in 01/04/2024 - 31/03/2025
    # a born 29/02/2004: birthday 28/02/2025 (2025 is not a leap year) -> 21, band 19-21
    # b born 29/02/2008: birthday 28/02/2025 -> 17, band 17-18
    # c born 01/04/2006: birthday 01/04/2024 (first day of the year) -> 18
    # d born 31/03/2006: birthday 31/03/2025 (last day) -> 19
    # e born 15/06/2002: birthday 15/06/2024 -> 22: out of band
    # f 19, IN_TOUCH DIED -> excluded; g 20, RHOM -> excluded
    # h 19, final episode ceased E3 (care taken over by another LA) -> excluded
    # i no Header row: DOB from OC3 (15/06/2005 -> 19)
    oc3 = pl.DataFrame({
        "child": list("abcdefghi"),
        "dob": [None] * 8 + [d("15/06/2005")],
        "in_touch": ["YES", "YES", "NO", "YES", "YES", "DIED", "RHOM", "YES", "YES"],
        "activ": ["F1"] * 9, "accom": ["B1"] * 9, "year": [2025] * 9,
    }, schema_overrides={"dob": pl.Date, "year": pl.Int32})
    hdr = header(("a", "29/02/2004"), ("b", "29/02/2008"), ("c", "01/04/2006"), ("d", "31/03/2006"),
                 ("e", "15/06/2002"), ("f", "01/05/2005"), ("g", "01/05/2004"), ("h", "01/05/2005"))
    eps = episodes(E("h", "01/01/2020", "01/05/2023", rec="E3"))
    out = care_leaver_cohort(eps, hdr, oc3, 2025).sort("child")
    assert out["age"].to_list() == [21, 17, 18, 19, 22, 19, 20, 19, 19]
    assert out["birthday"].to_list()[:4] == [d("28/02/2025"), d("28/02/2025"), d("01/04/2024"), d("31/03/2025")]
    assert out["band"].to_list() == ["19-21", "17-18", "17-18", "19-21", None, "19-21", "19-21", "19-21", "19-21"]
    assert out["excluded"].to_list() == [None, None, None, None, "out_of_band", "died_or_returned_home",
                                         "died_or_returned_home", "care_transferred", None]
    assert out.filter("in_cohort")["child"].to_list() == ["a", "b", "c", "d", "i"]


def test_care_leaver_29_february_in_a_leap_year():
    # 2023-24 (S 01/04/2023, E 31/03/2024): 2024 is a leap year -> birthday 29/02/2024, age 20
    oc3 = pl.DataFrame({"child": ["a"], "in_touch": ["YES"], "activ": ["F1"], "accom": ["B1"]})
    out = care_leaver_cohort(episodes(), header(("a", "29/02/2004")), oc3, 2024)
    assert out.select("age", "birthday", "band").row(0) == (20, d("29/02/2024"), "19-21")


def test_care_leavers_take_oc3_rows_of_the_year_only():
    oc3 = pl.DataFrame({"child": ["a", "a"], "in_touch": ["YES", "NO"], "activ": ["F1", "0"], "accom": ["B1", "0"],
                        "year": [2024, 2025]}, schema_overrides={"year": pl.Int32})
    out = care_leaver_cohort(episodes(), header(("a", "01/05/2005")), oc3, 2025)
    assert out["in_touch"].to_list() == ["NO"]


# ---------------------------------------------------------------- findings as diagnostics


def test_findings_become_located_diagnostics_without_child_ids():
    _, found = repaired(E("C123", "01/05/2024", rec="X1"))  # R3 on row 2
    src = SourceInfo(path="903/SSDA903_2025_episodes.csv", sheet=None, table="ssda903_episodes", rows=1,
                     skipped_rows=0, encoding="utf-8", sha256="", coverage=None,
                     headers=[{"header": "REC", "column": "rec", "letter": "I"}])
    [diag] = findings_to_diagnostics(found, {2025: [src]})
    assert diag.code == "CSC233" and diag.code in CODES
    assert diag.file == "903/SSDA903_2025_episodes.csv" and diag.line == 2 and diag.column == "I"
    assert "C123" not in diag.render() and diag.hint
    assert diag.render().startswith("903/SSDA903_2025_episodes.csv row 2 column I: CSC233")
    # per-table source lists also work; an unknown year gives an unlocated diagnostic, not an error
    assert findings_to_diagnostics(found, {2025: {"ssda903_episodes": [src]}})[0].file == src.path
    assert findings_to_diagnostics(found, {})[0].file is None
    # an XML source: element path and line instead of a column letter
    from csc_metrics.io.formats.xml import XmlSource
    xml = XmlSource(path="SSDA903_2025.xml", sheet=None, table="ssda903_episodes", rows=1, skipped_rows=0,
                    encoding="utf-8", sha256="", coverage=None, elements={2: "EXPSSDA903[1]/CHILD[1]/EPISODE[1]"})
    [x] = findings_to_diagnostics(found, {2025: [xml]})
    assert x.render().startswith("SSDA903_2025.xml element EXPSSDA903[1]/CHILD[1]/EPISODE[1] line 2: CSC233")


def test_every_rule_code_is_registered():
    from csc_metrics.derive.ssda903_common import RULES
    assert all(code in CODES for code, _, _ in RULES.values())
    assert len({code for code, _, _ in RULES.values()}) == len(RULES)


def test_categorical_codes_are_accepted():
    eps = episodes(E("1", "01/05/2024", "01/06/2024", rec="X1"), E("1", "01/06/2024", rne="P"))
    cat = eps.with_columns(pl.col("rne", "rec", "place").cast(pl.Categorical))
    out, found = repair_episodes(cat, None)
    assert found.height == 0 and periods_of_care(out)["episodes"].to_list() == [2]


# ---------------------------------------------------------------- more §1.7 defects and boundaries


def test_ceasing_on_31_march():
    # ceased 31/03/2025 (E4A): not looked after at 31 March (open at D needs DEC > D), ceased in 2024-25,
    # and still in the OC2 cohort (continuity is broken only by a cessation before 31 March)
    out, found = repaired(E("1", "01/01/2022", "31/03/2025", rec="E4A"))
    assert found.height == 0
    assert open_at(out, END).height == 0 and open_at(out, date(2025, 3, 30)).height == 1
    poc = periods_of_care(out)
    assert poc.filter(pl.col("poc_end").is_between(S, END)).height == 1
    assert oc2_cohort(out, None, 2025)["child"].to_list() == ["1"]
    # and the next year it is gone: no episode overlaps 2025-26 (DEC 31/03/2025 < 01/04/2025)
    assert oc2_cohort(out, None, 2026).height == 0


def test_invalid_and_blank_rne_and_blank_ls():
    # RNE "A" (invalid) with the same placement: read as continuing (no new placement);
    # RNE blank with a different placement (U6): a new placement; LS blank: not a short break (kept)
    rows = [E("1", "01/05/2024", "01/06/2024", rec="X1"), E("1", "01/06/2024", "01/07/2024", rne="A", rec="X1"),
            E("1", "01/07/2024", rne=None, place="U6", ls=None)]
    out, found = repaired(*rows)
    assert found.height == 0
    assert remove_short_breaks(out).height == 3
    assert placements(out)["start"].to_list() == [d("01/05/2024"), d("01/07/2024")]
    assert periods_of_care(out)["episodes"].to_list() == [3]  # X1 links: one period of care


def test_extra_columns_are_carried_through():
    eps = episodes(E("1", "01/05/2024"), E("1", "01/05/2024")).with_columns(test=pl.lit("x"))
    out, found = repair_episodes(eps, None)
    assert "test" in out.columns and out.height == 1 and rules(found) == ["R1"]


def test_the_same_child_twice_in_one_header_with_different_dobs():
    tables, found = stack_returns([(2025, {"ssda903_header": header(("1", "01/01/2010"), ("1", "02/01/2010"))})])
    assert tables["ssda903_header"]["dob"].to_list() == [d("01/01/2010")]  # first row of the latest return
    assert rules(found) == ["dob"] and found[ROW].to_list() == [3]


def test_stacking_keeps_the_input_types():
    rne = pl.Enum(["S", "L", "P", "T", "B", "U"])
    y24 = episodes(E("1", "01/02/2024", year=2024)).with_columns(pl.col("rne").cast(rne))
    y25 = episodes(E("1", "01/02/2024", "01/05/2024", rec="E13", year=2025)).with_columns(pl.col("rne").cast(rne))
    tables, _ = stack_returns([(2024, {"ssda903_episodes": y24}), (2025, {"ssda903_episodes": y25})])
    assert tables["ssda903_episodes"].schema["rne"] == rne and tables["ssda903_episodes"].height == 1
    # repair reads the enum and gives text codes back (REC UNK is in no code set)
    out, _ = repair_episodes(tables["ssda903_episodes"], None)
    assert out.schema["rne"] == pl.String
