"""One collection year of a DfE return read twice stops the run (exit 2) naming both files and the fix: the same
SSDA903 year as CSV tables and as XML, two copies of one CIN census, a renamed copy of a 903 table, a resubmitted
census beside the original. Two different years still stack."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.cin_helpers import census_file, child, details
from tests.conftest import run_cli
from tests.test_returns_903 import TABLES, XML, write

EPISODES, HEADER = TABLES["ssda903_episodes"][0], TABLES["ssda903_header"][0]


def folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def one_line(out) -> str:
    return " ".join(out.stderr.split())


def csv_year(folder: Path, year: int, *episodes: str) -> Path:
    """A 903 CSV return of `year` (ending 31 March): Episodes and Header of child 1."""
    write(folder, f"SSDA903_{year}_episodes.csv", EPISODES, *episodes)
    write(folder, f"SSDA903_{year}_header.csv", HEADER, "1,M,01/02/2010,WBRI,,0,")
    return folder


def test_one_903_year_as_csv_and_as_xml_stops_naming_both_files(tmp_path):
    # the XML's episodes start in May and September 2024: the 2024-25 return, as the CSV folder is
    csv = csv_year(tmp_path / "csv", 2025, "1,01/05/2024,S,C2,N1,U1,PR1,,,,,,")
    (tmp_path / "xml").mkdir()
    (tmp_path / "xml" / "export.xml").write_text(XML)
    for command in (["compute", "--no-store"], ["compute", "--no-store", "--merge"], ["validate"]):
        out = run_cli([*command, csv, tmp_path / "xml"], code=2)
        err = one_line(out)
        assert "csv/SSDA903_2025_episodes.csv and " in err and "xml/export.xml both hold the 2024-25 SSDA903 Episodes" in err
        assert "count its records twice" in err and "remove one of the two" in err and "keep one of them" in err
        assert "Traceback" not in out.output and out.stdout == ""


def test_two_copies_of_one_cin_census_stop(tmp_path):
    census = census_file(tmp_path, 2025, child("A", details("2024-06-01")))
    copy = tmp_path / "census_copy.xml"
    shutil.copy(census, copy)
    err = one_line(run_cli(["compute", census, copy, "--no-store"], code=2))
    assert f"{census} and {copy} are copies of one file (identical contents), both holding the 2024-25 CIN census" in err
    assert "remove one of the copies" in err
    # the same file named twice
    err = one_line(run_cli(["compute", census, census, "--no-store"], code=2))
    assert f"{census} is read twice" in err and "it holds the 2024-25 CIN census" in err


def test_a_resubmitted_census_beside_the_original_stops(tmp_path):
    # same year, different contents (child B added): which one counts is not for the tool to guess
    first = census_file(folder(tmp_path / "a"), 2025, child("A", details("2024-06-01")))
    second = census_file(folder(tmp_path / "b"), 2025, child("A", details("2024-06-01")), child("B", details("2024-07-01")))
    err = one_line(run_cli(["validate", first, second], code=2))
    assert f"{first} and {second} both hold the 2024-25 CIN census" in err


def test_a_renamed_copy_of_a_903_table_in_the_folder_stops(tmp_path):
    folder = csv_year(tmp_path / "903", 2025, "1,01/05/2024,S,C2,N1,U1,PR1,,,,,,")
    shutil.copy(folder / "SSDA903_2025_episodes.csv", folder / "episodes (1).csv")
    err = one_line(run_cli(["compute", folder, "--no-store"], code=2))
    assert "SSDA903_2025_episodes.csv" in err and "episodes (1).csv" in err
    assert "copies of one file (identical contents), both holding the 2024-25 SSDA903 Episodes" in err


def test_two_episodes_files_of_one_year_with_different_rows_stop(tmp_path):
    # both dated 2024-25 by their latest DECOM (May 2024, January 2025)
    folder = csv_year(tmp_path / "903", 2025, "1,01/05/2024,S,C2,N1,U1,PR1,,,,,,")
    write(folder, "more_episodes.csv", EPISODES, "2,10/01/2025,S,C2,N1,U1,PR1,,,,,,")
    err = one_line(run_cli(["compute", folder, "--no-store"], code=2))
    assert "both hold the 2024-25 SSDA903 Episodes" in err and "more_episodes.csv" in err


def figures(stdout: str, indicator: str) -> dict[str, float]:
    return {r["period"]: r["value"] for r in json.loads(stdout)["results"]
            if r["indicator"] == indicator and r["category"] is None}


def test_two_years_of_903_one_as_csv_one_as_xml_still_stack(tmp_path):
    # 2023-24 as CSV: child 1 starts to be looked after on 1 May 2023 (ceases 1 June 2023); 2024-25 as the XML:
    # child 201 starts on 1 May 2024 (the September episode, RNE P, is a placement change, not a start); one
    # start in each year, each from its own return.
    csv = csv_year(tmp_path / "csv", 2024, "1,01/05/2023,S,C2,N1,U1,PR1,01/06/2023,E11,,,,")
    (tmp_path / "xml").mkdir()
    (tmp_path / "xml" / "export.xml").write_text(XML)
    out = run_cli(["compute", csv, tmp_path / "xml", "-p", "year", "--format", "json", "--no-store",
                   "-i", "cla_started"])
    assert figures(out.stdout, "cla_started") == {"2023-24": 1.0, "2024-25": 1.0}


def test_two_cin_census_years_still_stack(tmp_path):
    # child A referred in 2023-24 (census 2024) and B in 2024-25 (census 2025): one referral each year
    census_file(folder(tmp_path / "a"), 2024, child("A", details("2023-06-01")))
    census_file(folder(tmp_path / "b"), 2025, child("B", details("2024-06-01")))
    out = run_cli(["compute", tmp_path / "a", tmp_path / "b", "-p", "year", "--format", "json", "--no-store",
                   "-i", "referrals"])
    assert figures(out.stdout, "referrals") == {"2023-24": 1.0, "2024-25": 1.0}
