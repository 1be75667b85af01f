"""The default as-at date when only DfE returns are read: 31 March of the latest collection year that is over,
whatever dates after it the returns hold; a return of a year not yet over is computed only with --as-at; no
period beyond the last collection date is made up when --as-at is later."""

from __future__ import annotations

import json
from datetime import date

import pytest
from tests.cin_helpers import census_file, child, details
from tests.conftest import run_cli
from tests.test_returns_903 import TABLES, write

import csc_metrics.compute

EPISODES = TABLES["ssda903_episodes"][0]


def payload(*args) -> dict:
    return json.loads(run_cli(["compute", *args, "--format", "json", "--no-store"]).stdout)


def value(p: dict, indicator: str, period: str) -> tuple[float | None, str]:
    [r] = [r for r in p["results"] if r["indicator"] == indicator and r["period"] == period and r["category"] is None]
    return r["value"], r["status"]


def test_903_only_as_at_is_the_31_march_of_the_return_not_a_later_dec(tmp_path):
    # child 1 in care from 1 May 2024, DEC 15 April 2025 (after the year end, R5: open at 31 March); child 2
    # from 10 January 2025, open. Two children looked after at 31 March 2025, judged at 31 March 2025.
    folder = tmp_path / "903"
    write(folder, "SSDA903_2025_episodes.csv", EPISODES, "1,01/05/2024,S,C2,N1,U1,PR1,15/04/2025,E11,,,,",
          "2,10/01/2025,S,C2,N1,U1,PR1,,,,,,")
    p = payload(folder, "-p", "year", "-i", "cla_at_end")
    assert p["metadata"]["as_at"] == "2025-03-31"
    assert p["metadata"]["periods"] == ["2024-25"]
    assert value(p, "cla_at_end", "2024-25") == (2.0, "ok")


def test_cin_only_as_at_is_the_census_date_not_a_later_closure(tmp_path):
    # A referred 1 June 2024, closed 1 May 2025 (after the census date): open at 31 March 2025
    census_file(tmp_path, 2025, child("A", details("2024-06-01", closure="2025-05-01", reason="RC1")))
    p = payload(tmp_path / "cin_2025.xml", "-p", "year", "-i", "cin_at_end")
    assert p["metadata"]["as_at"] == "2025-03-31"
    assert value(p, "cin_at_end", "2024-25") == (1.0, "ok")


def test_an_as_at_after_the_last_return_makes_up_no_later_period(tmp_path):
    # the return covers 2024-25; --as-at 30 September 2025 must not add 2025-26 Q1/Q2 (the child carried over as
    # looked after, zero starters), and asking for them stops
    folder = tmp_path / "903"
    write(folder, "SSDA903_2025_episodes.csv", EPISODES, "2,10/01/2025,S,C2,N1,U1,PR1,,,,,,")
    p = payload(folder, "--as-at", "2025-09-30", "-i", "cla_at_end")
    assert p["metadata"]["periods"][-1] == "2024-25 Q4"
    assert value(p, "cla_at_end", "2024-25 Q4") == (1.0, "ok")
    out = run_cli(["compute", folder, "--as-at", "2025-09-30", "-p", "2025-26 Q1", "--no-store"], code=2)
    assert "do not cover `2025-26 Q1`" in " ".join(out.stderr.split())


class _Day(date):
    @classmethod
    def today(cls) -> date:
        return date(2026, 12, 6)  # during collection year 2026-27


@pytest.fixture
def in_2026_27(monkeypatch, tmp_path):
    monkeypatch.setattr(csc_metrics.compute, "date", _Day)
    census_file(tmp_path, 2026, child("A", details("2025-06-01")), child("B", details("2025-09-01")))
    census_file(tmp_path, 2027, child("A", details("2025-06-01")), child("C", details("2026-05-01")))
    return tmp_path


def test_a_return_of_a_year_not_over_alone_stops_with_the_fix(in_2026_27):
    out = run_cli(["compute", in_2026_27 / "cin_2027.xml", "--no-store"], code=2)
    err = " ".join(out.stderr.split())
    assert "cin_2027.xml holds the 2026-27 return, a collection year not over until 2027-03-31" in err
    assert "--as-at" in err and out.stdout == ""


def test_a_return_of_a_year_not_over_beside_a_complete_one(in_2026_27):
    # without --as-at: 2025-26 only, to its 31 March (A and B referred in 2025-26), and a warning
    p = payload(in_2026_27, "-p", "year", "-i", "referrals")
    assert p["metadata"]["as_at"] == "2026-03-31" and p["metadata"]["periods"] == ["2025-26"]
    assert value(p, "referrals", "2025-26") == (2.0, "ok")
    assert "CSC225" in {d["code"] for d in p["diagnostics"]}
    # with --as-at 30 November 2026: 2026-27 Q1 (C referred 1 May 2026) is covered, Q3 only in part
    p = payload(in_2026_27, "--as-at", "2026-11-30", "-i", "referrals")
    assert value(p, "referrals", "2026-27 Q1") == (1.0, "ok")
    assert value(p, "referrals", "2026-27 Q3")[1] == "incomplete"
