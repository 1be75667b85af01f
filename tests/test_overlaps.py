"""Overlapping extracts stop the run or are merged; repeated rows count by each list's rule; clear stops for a
period the inputs do not cover and for a missing local authority (issue 13 items 3 and 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import run_cli
from tests.test_compute_cli import referrals, write_list


def contacts(rows: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"child_id": cid, "contact_date": d, "gender": "a) Male", "ethnicity": "a) WBRI",
             "contact_source": "q) 6: Police"} for cid, d in rows]


@pytest.fixture
def extracts(tmp_path: Path) -> Path:
    """A Q3 extract (events from February to 31 December 2024) and a Q4 extract (May 2024 to 31 March 2025) of
    List 1 in one folder, as a user keeps them; the Q4 folder also has a List 3 with a repeated row."""
    q3, q4 = tmp_path / "extracts" / "2024-25-q3", tmp_path / "extracts" / "2024-25-q4"
    q3.mkdir(parents=True)
    q4.mkdir(parents=True)
    write_list(q3, "annex_a_list_1", contacts([
        ("A", "10/02/2024"),                        # only in the Q3 extract (before the Q4 one's window)
        ("B", "01/05/2024"),                        # in both
        ("C", "15/10/2024"), ("C", "15/10/2024"),   # two contacts the same day from the police, in both
        ("D", "20/11/2024"),                        # in both
        ("H", "01/12/2024"), ("H", "01/12/2024"),   # twice here, once in the Q4 extract
        ("E", "31/12/2024"),                        # in both
    ]), name="list_01_contacts.csv")
    write_list(q4, "annex_a_list_1", contacts([
        ("B", "01/05/2024"), ("C", "15/10/2024"), ("C", "15/10/2024"), ("D", "20/11/2024"), ("H", "01/12/2024"),
        ("E", "31/12/2024"), ("F", "05/01/2025"), ("G", "31/03/2025"),
    ]), name="list_01_contacts.csv")
    write_list(q4, "annex_a_list_3", referrals([
        ("R1", "10/01/2025"), ("R1", "10/01/2025"),  # the same referral twice: one referral (child + date)
        ("R2", "01/02/2025"),
    ]), name="list_03_referrals.csv")
    return tmp_path / "extracts"


def figures(stdout: str) -> dict[tuple[str, str], dict]:
    payload = json.loads(stdout)
    return {(r["indicator"], r["period"]): r for r in payload["results"] if r["category"] is None}


def test_overlapping_extracts_stop_with_exit_2_naming_both_files_the_dates_and_the_fix(extracts):
    out = run_cli(["compute", extracts, "--la", "808", "--no-store"], code=2)
    err = " ".join(out.stderr.split())
    assert "2024-25-q3/list_01_contacts.csv" in err and "2024-25-q4/list_01_contacts.csv" in err
    assert "List 1" in err
    # the overlap: the later start (1 May 2024) to the earlier end (31 December 2024)
    assert "from 2024-05-01 to 2024-12-31" in err
    assert "--merge" in err and "remove one of the files" in err
    assert out.stdout == ""  # no figures


def test_merge_counts_a_row_in_several_files_as_often_as_the_file_holding_it_most(extracts):
    out = run_cli(["compute", extracts, "--la", "808", "--no-store", "--merge", "--format", "json"])
    by = figures(out.stdout)
    # union: A, B, C, C, D, H, H (Q3 file has H twice), E, F, G = 10 of the 16 rows read; 6 dropped
    # Q3 (Oct-Dec): C, C, D, H, H, E = 6 (appending both files would give C x4, D x2, H x3, E x2 = 11)
    assert by[("contacts", "2024-25 Q3")]["value"] == 6
    assert by[("contacts", "2024-25 Q1")]["value"] == 1  # B, once
    assert by[("contacts", "2024-25 Q4")]["value"] == 2  # F, G
    merged = json.loads(out.stdout)["metadata"]["merged"]
    assert merged == [{"table": "annex_a_list_1", "files": [
        str(extracts / "2024-25-q3" / "list_01_contacts.csv"), str(extracts / "2024-25-q4" / "list_01_contacts.csv")],
        "rows_dropped": 6}]
    err = " ".join(out.stderr.split())
    assert "merged the overlapping files of 1 list(s); rows found in more than one file counted once: " \
           "annex_a_list_1 6" in err


def test_repeated_rows_count_by_the_lists_rule(extracts, tmp_path):
    out = run_cli(["compute", extracts / "2024-25-q4", "--la", "808", "--no-store", "--format", "json"])
    payload = json.loads(out.stdout)
    by = figures(out.stdout)
    # referrals are a child and a date: R1's two rows are one referral; R1 + R2 = 2
    assert by[("referrals", "2024-25 Q4")]["value"] == 2
    # contacts have no id: C's two police contacts on 15 October are two contacts (C, C, D, H, E = 5)
    assert by[("contacts", "2024-25 Q3")]["value"] == 5
    assert payload["metadata"]["duplicates"] == [{"table": "annex_a_list_3", "rule": "one_per_key", "rows_dropped": 1}]
    # both repeats are still reported, saying how each was counted
    dups = [d["message"] for d in payload["diagnostics"] if d["code"] == "CSC204"]
    assert any("counted once" in m for m in dups)
    assert any("both counted" in m for m in dups)
    assert "1 repeated row(s) not counted" in " ".join(out.stderr.split())


def test_one_file_read_twice_or_a_copy_says_so(extracts, tmp_path):
    q3 = extracts / "2024-25-q3" / "list_01_contacts.csv"
    out = run_cli(["compute", q3, q3, "--no-store"], code=2)
    assert "is read twice" in " ".join(out.stderr.split())
    copy = tmp_path / "copy.csv"
    copy.write_bytes(q3.read_bytes())
    out = run_cli(["compute", q3, copy, "--no-store"], code=2)
    assert "are copies of one List 1: Contacts file (identical contents)" in " ".join(out.stderr.split())


def test_files_of_one_list_that_do_not_overlap_are_both_counted(tmp_path):
    folder = tmp_path / "years"
    folder.mkdir()
    write_list(folder, "annex_a_list_3", referrals([("A", "01/04/2023"), ("B", "31/03/2024")]), name="2023-24.csv")
    write_list(folder, "annex_a_list_3", referrals([("C", "01/04/2024"), ("D", "01/05/2024")]), name="2024-25.csv")
    by = figures(run_cli(["compute", folder, "-p", "year", "--no-store", "--format", "json"]).stdout)
    assert (by[("referrals", "2023-24")]["value"], by[("referrals", "2024-25")]["value"]) == (2, 2)


def test_validate_and_explain_stop_on_overlap_and_take_merge(extracts):
    out = run_cli(["validate", extracts], code=2)
    assert "--merge" in out.stderr
    run_cli(["validate", extracts, "--merge", "--format", "json"])  # exit 0: warnings only
    out = run_cli(["explain", "contacts", extracts, "-p", "2024-25 Q3", "--no-plan"], code=2)
    assert "--merge" in out.stderr
    out = run_cli(["explain", "contacts", extracts, "-p", "2024-25 Q3", "--no-plan", "--merge"])
    # C, C, D, H, H, E: as `compute --merge` counts them
    assert "Numerator 6, denominator None, value 6.0" in out.stdout


def test_a_period_the_inputs_do_not_cover_stops_naming_those_they_do(extracts):
    q4 = extracts / "2024-25-q4"
    out = run_cli(["compute", q4, "-p", "2025-26 Q1", "--no-store"], code=2)
    err = " ".join(out.stderr.split())
    # the lists hold events from 1 May 2024 (contacts) to the extract date 31 March 2025
    assert "`2025-26 Q1`" in err
    assert "from 2024-05-01 to 2025-03-31, that is 2024-25 Q1 to 2024-25 Q4" in err
    assert '-p "2024-25 Q4"' in err
    out = run_cli(["explain", "contacts", q4, "-p", "2023-24", "--no-plan"], code=2)
    assert "2024-25 to 2024-25" in " ".join(out.stderr.split())


@pytest.mark.parametrize("label", ["2024-25 Q3", "2024/25 Q3", "2024-25 q3", "2024/2025 q3", " 2024-25  Q3 "])
def test_period_labels_take_case_and_slash(extracts, label):
    by = figures(run_cli(["compute", extracts / "2024-25-q4", "-p", label, "--no-store", "--format", "json"]).stdout)
    assert by[("contacts", "2024-25 Q3")]["value"] == 5


def test_compute_without_la_says_so_before_the_figures(extracts):
    out = run_cli(["compute", extracts / "2024-25-q4", "--no-store"])
    first = out.stderr.strip().splitlines()[0]
    assert first.startswith("note: no local authority set, so rates per 10,000 and benchmarks are off")
    assert "--la" in out.stderr and "la = " in out.stderr
    with_la = run_cli(["compute", extracts / "2024-25-q4", "--la", "808", "--no-store"])
    assert "no local authority" not in with_la.stderr


def test_explain_of_a_rate_without_la_stops_with_the_fix(extracts):
    out = run_cli(["explain", "contacts_per_10k", extracts / "2024-25-q4", "--no-plan"], code=2)
    err = " ".join(out.stderr.split())
    assert "needs the local authority" in err and "--la" in err and "la = " in err


def test_explain_shows_the_status(extracts):
    # Q4 2024-25 contacts to referral: G's contact on 31 March has not had its 30 days
    out = run_cli(["explain", "contacts_to_referral", extracts / "2024-25-q4", "-p", "2024-25 Q4", "--no-plan"])
    assert "status incomplete" in out.stdout
    assert "look-forward window not covered by annex_a_list_3 for 1 row(s)" in out.stdout


def test_merging_a_q3_and_a_q4_extract_gives_the_q4_extracts_figures(tmp_path):
    """The issue's folder: a synthetic authority's lists as extracted on 31/12/2024 (Q3: rows starting later
    dropped, later dates blank because the cases were still open) and on 31/03/2025 (Q4). The Q4 extract holds
    every Q3 event, updated, so the merged folder must give exactly its figures: a row in both counts once,
    and where Q3 holds an older version of a row (same key, end date still blank), the Q4 version counts."""
    from tests.test_two_quarters import CUT, cut_list

    full = tmp_path / "sample"
    run_cli(["sample", "--out", full, "--children", "4000", "--seed", "13", "--years", "2"])
    folder = tmp_path / "extracts"
    q3, q4 = folder / "2024-25-q3", folder / "2024-25-q4"
    q3.mkdir(parents=True)
    q4.mkdir(parents=True)
    for f in sorted(full.glob("list_*.csv")):
        (q4 / f.name).write_bytes(f.read_bytes())
        cut_list(f, q3 / f.name, CUT)
    out = run_cli(["compute", folder, "--la", "808", "--no-store"], code=2)
    assert "--merge" in out.stderr
    args = ["--la", "808", "--no-store", "--format", "json", "--as-at", "2025-03-31"]
    merged = json.loads(run_cli(["compute", folder, "--merge", *args]).stdout)
    alone = json.loads(run_cli(["compute", q4, *args]).stdout)

    def key(payload):
        return {(r["indicator"], r["period"], r["category"]): (r["numerator"], r["denominator"], r["value"], r["status"])
                for r in payload["results"]}

    assert key(merged) == key(alone)
    q3_contacts = next(r for r in merged["results"] if (r["indicator"], r["period"]) == ("contacts", "2024-25 Q3"))
    # the Q3 extract's own count of its last quarter (it holds every Q3 contact)
    own = json.loads(run_cli(["compute", q3, *args[:-2], "--as-at", "2024-12-31"]).stdout)
    assert q3_contacts["value"] == next(r["value"] for r in own["results"]
                                        if (r["indicator"], r["period"]) == ("contacts", "2024-25 Q3"))
    assert {m["table"] for m in merged["metadata"]["merged"]} >= {"annex_a_list_1", "annex_a_list_3"}
