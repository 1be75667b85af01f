"""`check` catches the mistakes a person editing the shipped definitions makes, with file:line; and definitions
YAML is loaded safely (alias bombs refused quickly, no object tags)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from tests.conftest import DEFINITIONS

from csc_metrics.checks import check_definitions


def _mutated(tmp_path: Path, file: str, old: str, new: str, nth: int = 1) -> tuple[Path, int]:
    """A copy of the shipped definitions with the `nth` occurrence of `old` in `file` replaced by `new`;
    returns the folder and the 1-based line of the change."""
    target = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS, target)
    path = target / file
    text = path.read_text(encoding="utf-8")
    at = -1
    for _ in range(nth):
        at = text.index(old, at + 1)
    path.write_text(text[:at] + new + text[at + len(old):], encoding="utf-8")
    return target, text.count("\n", 0, at) + 1


def test_the_shipped_definitions_pass():
    report = check_definitions([DEFINITIONS])
    assert report.errors == [] and report.tests_failed == 0


# (file, text, replacement, nth occurrence, code expected): each a slip a person might make.
MUTATIONS = {
    "column typo inside related": (
        "01_front_door.yaml", "          date: referral_date\n          window: {direction: after",
        "          date: referal_date\n          window: {direction: after", 1, "CSC105"),
    "table typo inside related": (
        "01_front_door.yaml", "      - related:\n          table: annex_a_list_3",
        "      - related:\n          table: annex_a_list_33", 1, "CSC104"),
    "code typo inside not": (
        "06_care_leavers.yaml", "      - {column: in_touch, op: not_in, value: [DIED, RHOM]}",
        "      - {not: {column: in_touch, op: in, value: [DIED, RHOMM]}}", 1, "CSC106"),
    "column typo inside not": (
        "06_care_leavers.yaml", "      - {column: in_touch, op: not_in, value: [DIED, RHOM]}",
        "      - {not: {column: in_tuch, op: in, value: [DIED, RHOM]}}", 1, "CSC105"),
    "code typo inside any": (
        "06_care_leavers.yaml", "      - {column: activity, op: in, value: [F1, P1, F2, P2, F3, P3, F4, P4, F5, P5]}",
        "      - any:\n          - {column: activity, op: in, value: [F1, P1]}\n"
        "          - {column: activity, op: eq, value: F9}", 1, "CSC106"),
    "column typo in a related filter": (
        "01_front_door.yaml", "          window: {direction: after, length: 30, unit: calendar_days}",
        "          window: {direction: after, length: 30, unit: calendar_days}\n"
        "          filters:\n            - {column: referal_source, op: eq, value: \"6\"}", 1, "CSC105"),
    "table typo in a breakdown": (
        "01_front_door.yaml", "    table: annex_a_list_3\n    timing: {basis: flow, date: referral_date}\n    by:",
        "    table: annex_a_list_03\n    timing: {basis: flow, date: referral_date}\n    by:", 1, "CSC104"),
    "by column typo in a breakdown": (
        "01_front_door.yaml", "    by: referral_source", "    by: referral_sauce", 1, "CSC105"),
    "breakdown expecting a category that is not a code": (
        "01_front_door.yaml", 'expect: {category: "2A"', 'expect: {category: "2Z"', 1, "CSC106"),
    "column typo in an embedded test row": (
        "01_front_door.yaml", "            - {child_id: B, referral_date: 2024-05-10}",
        "            - {child_id: B, referal_date: 2024-05-10}", 1, "CSC105"),
    "table typo in an embedded test's rows": (
        "01_front_door.yaml", "          annex_a_list_3:\n            - {child_id: A, referral_date: 2024-04-10}",
        "          annex_a_list_13:\n            - {child_id: A, referral_date: 2024-04-10}", 1, "CSC104"),
    "timing column typo": (
        "01_front_door.yaml", "    timing: {basis: flow, date: referral_date}",
        "    timing: {basis: flow, date: referal_date}", 1, "CSC105"),
    "age taken at a column that does not exist": (
        "06_care_leavers.yaml", "{age: {at: as_at}", "{age: {at: date_of_leaving}", 1, "CSC105"),
    "duration from a column that does not exist": (
        "02_assessment.yaml", "    from: assessment_start", "    from: assesment_start", 1, "CSC105"),
    "rate of an unknown count": ("01_front_door.yaml", "    of: contacts", "    of: contact", 1, "CSC112"),
    "code typo in an in list": (
        "06_care_leavers.yaml", "value: [F1, P1, F2,", "value: [F1, P1, F22,", 1, "CSC106"),
    "date value that is not a date": (
        "01_front_door.yaml", "          window: {direction: after, length: 30, unit: calendar_days}",
        "          window: {direction: after, length: 30, unit: calendar_days}\n"
        "          filters:\n            - {column: referral_date, op: ge, value: 2024-13-01}", 1, "CSC103"),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_check_catches_an_edit_with_file_and_line(tmp_path, name):
    file, old, new, nth, code = MUTATIONS[name]
    folder, line = _mutated(tmp_path, file, old, new, nth)
    report = check_definitions([folder], run_tests=False)  # each caught before the embedded tests run
    errors = [d for d in report.errors if d.code == code]
    assert errors, f"{name}: expected {code}; got {[d.render() for d in report.diagnostics]}"
    first = errors[0]
    assert first.file is not None and Path(first.file).name == file and first.line is not None
    span = new.count("\n") + 1
    assert line <= first.line <= line + span + 1, f"{name}: {first.render()} (edited line {line})"


BOMB = """version: 1
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
indicators: *i
"""


def test_a_billion_laughs_is_refused_quickly(tmp_path, cli):
    # 9 levels of 9 aliases each: 9**9 = 387 million strings once expanded; the file itself is 600 bytes
    (tmp_path / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    start = time.perf_counter()
    result = cli(["check", tmp_path / "bomb.yaml"], 1)
    assert time.perf_counter() - start < 5
    assert "bomb.yaml:1:1: CSC100" in result.stdout and "alias" in result.stdout


def test_deep_nesting_is_refused(tmp_path, cli):
    (tmp_path / "deep.yaml").write_text("version: 1\nindicators: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    result = cli(["check", tmp_path / "deep.yaml"], 1)
    assert "deep.yaml" in result.stdout and "CSC100" in result.stdout


def test_shared_filters_through_aliases_still_load(tmp_path):
    # the shipped files share filter blocks with &anchors and *aliases: the limits leave them alone
    assert "&ceased_cohort" in (DEFINITIONS / "05_looked_after.yaml").read_text(encoding="utf-8")
    assert check_definitions([DEFINITIONS], run_tests=False).errors == []


def test_object_tags_construct_nothing(tmp_path, cli):
    marker = tmp_path / "pwned"
    (tmp_path / "evil.yaml").write_text(
        "version: 1\nindicators:\n  - !!python/object/apply:os.system [\"touch " + str(marker) + "\"]\n"
        "tables: !!python/object/new:os.system [\"touch " + str(marker) + "\"]\n", encoding="utf-8")
    result = cli(["check", tmp_path / "evil.yaml"], 1)
    assert not marker.exists() and "evil.yaml" in result.stdout
