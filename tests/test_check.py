"""`csc-metrics check`: every problem with its file, line and stable code; exit codes; formats."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from tests.conftest import DEFINITIONS, ROOT, run_cli

from csc_metrics.checks import check_definitions
from csc_metrics.cli.check import github_line
from csc_metrics.diagnostics import CODES, Diagnostic
from csc_metrics.spec.jsonschema import schema_text

TABLES = """\
version: 1
code_sets:
  - id: source
    title: Source
    codes:
      - {code: "6", label: Police}
      - {code: "2A", label: Schools}
tables:
  - id: referrals_local
    alias: refs
    title: Local referrals
    child_id: child_id
    event_date: referral_date
    columns:
      - {name: child_id, header: Child ID, type: id, required: true}
      - {name: referral_date, header: Referral Date, type: date, required: true}
      - {name: source, header: Source, type: code, code_set: source}
      - {name: nfa, header: NFA, type: yes_no}
      - {name: previous, header: Previous, type: integer}
"""

GOOD = """\
version: 1
indicators:
  - id: refs_count
    type: count
    title: Referrals
    section: inputs
    description: Referrals in the period.
    table: refs
    timing: {basis: flow, date: referral_date}
    tests:
      - name: last day of the quarter counts
        period: 2024-25 Q1
        rows:
          refs:
            - {child_id: A, referral_date: 30/06/2024}
            - {child_id: B, referral_date: 01/07/2024}
        expect: {numerator: 1}
  - id: refs_police
    type: proportion
    title: Police referrals
    section: inputs
    description: Share from the police.
    table: refs
    timing: {basis: flow, date: referral_date}
    numerator:
      - {column: source, op: eq, value: "6"}
    tests:
      - name: police share
        period: 2024-25 Q1
        rows:
          refs:
            - {child_id: A, referral_date: 2024-04-01, source: "q) 6: Police"}
            - {child_id: B, referral_date: 2024-04-01, source: "2A"}
        expect: {numerator: 1, denominator: 2, value: 50}
"""


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def codes_at(report) -> list[tuple[str, str, int]]:
    return [(d.code, Path(d.file).name if d.file else "", d.line) for d in report.diagnostics]


def test_clean_definitions_pass(tmp_path):
    report = check_definitions([write(tmp_path, tables=TABLES, ind=GOOD)])
    assert report.diagnostics == []
    assert report.tests_run == 2


def test_clean_check_remembered_until_the_definitions_change(tmp_path, monkeypatch):
    """`cache=True` (the CLI's): a clean run leaves a marker; the same definitions again skip compiling and
    testing (same report); a changed file, or a failing test, compiles and tests again."""
    import csc_metrics.checks as checks

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = write(tmp_path / "defs", tables=TABLES, ind=GOOD)
    assert check_definitions([folder], cache=True).tests_run == 2
    assert len(list((tmp_path / "cache" / "csc-metrics").glob("check-clean-*"))) == 1
    ran: list[str] = []
    real = checks.run_embedded_test
    monkeypatch.setattr(checks, "run_embedded_test", lambda d, ind, t: ran.append(ind.id) or real(d, ind, t))
    again = check_definitions([folder], cache=True)
    assert (again.diagnostics, again.tests_run, ran) == ([], 2, [])  # remembered: nothing ran
    assert check_definitions([folder]).tests_run == 2 and len(ran) == 2  # without `cache`: always run
    # one expected value changed (1 -> 2): a new key, the tests run and the failure is reported, not remembered
    write(tmp_path / "defs", ind=GOOD.replace("expect: {numerator: 1}", "expect: {numerator: 2}"))
    failed = check_definitions([folder], cache=True)
    assert failed.tests_failed == 1 and [d.code for d in failed.diagnostics] == ["CSC114"]
    assert check_definitions([folder], cache=True).tests_failed == 1  # still failing: run again
    assert len(list((tmp_path / "cache" / "csc-metrics").glob("check-clean-*"))) == 1


def test_four_problems_reported_with_file_and_line(tmp_path):
    bad = GOOD.replace("    timing: {basis: flow, date: referral_date}\n    tests:",
                       "    timing: {basis: flow, date: referral_date}\n    denominater: 3\n    tests:", 1)
    bad = bad.replace("{column: source, op: eq, value: \"6\"}", "{column: sauce, op: eq, value: \"6\"}")
    bad = bad.replace("        expect: {numerator: 1}\n", "        expect: {numerator: one}\n", 1)
    folder = write(tmp_path, tables=TABLES, ind=bad, broken="version: 1\nindicators:\n  - id: [\n")
    report = check_definitions([folder])
    found = codes_at(report)
    lines = bad.splitlines()
    assert ("CSC101", "ind.yaml", lines.index("    denominater: 3") + 1) in found
    assert ("CSC103", "ind.yaml", lines.index("        expect: {numerator: one}") + 1) in found
    assert ("CSC105", "ind.yaml", lines.index("      - {column: sauce, op: eq, value: \"6\"}") + 1) in found
    assert any(code == "CSC100" and name == "broken.yaml" for code, name, _ in found)
    hint = next(d.hint for d in report.diagnostics if d.code == "CSC105")
    assert "source" in hint  # did you mean `source`?


@pytest.mark.parametrize(("change", "code"), [
    (lambda s: s.replace("table: refs\n    timing: {basis: flow, date: referral_date}\n    tests", "table: refz\n    timing: {basis: flow, date: referral_date}\n    tests"), "CSC104"),
    (lambda s: s.replace("value: \"6\"", "value: \"99\""), "CSC106"),
    (lambda s: s.replace("id: refs_police", "id: refs_count"), "CSC107"),
    (lambda s: s.replace("{column: source, op: eq, value: \"6\"}", "{column: source, op: gt, value: \"6\"}"), "CSC110"),
    (lambda s: s.replace("expect: {numerator: 1, denominator: 2, value: 50}", "expect: {numerator: 2, denominator: 2}"), "CSC114"),
    (lambda s: s.replace("version: 1", "version: 3"), "CSC115"),
    (lambda s: s.replace("    description: Referrals in the period.\n", ""), "CSC102"),
    (lambda s: s + "  - {id: r, type: rate, title: R, section: inputs, description: d, of: refs_nope}\n", "CSC112"),
    (lambda s: s + "  - {id: r, type: rate, title: R, section: inputs, description: d, of: refs_count, population: adults}\n", "CSC109"),
    (lambda s: s.replace("    timing: {basis: flow, date: referral_date}\n    tests", "    timing: {basis: flow, date: referral_date}\n    benchmark: {measure: NoSuchMeasure}\n    tests", 1), "CSC108"),
])
def test_each_check_code(tmp_path, change, code):
    if code == "CSC108":
        pytest.importorskip("csc_metrics.reference")
    report = check_definitions([write(tmp_path, tables=TABLES, ind=change(GOOD))])
    assert code in {d.code for d in report.diagnostics}, report.diagnostics


def test_table_reference_codes(tmp_path):
    tables = TABLES.replace("code_set: source", "code_set: sources").replace("event_date: referral_date",
                                                                             "event_date: referal_date")
    report = check_definitions([write(tmp_path, tables=tables, ind=GOOD)])
    assert {"CSC111", "CSC105"} <= {d.code for d in report.diagnostics}


def test_header_variant_collision_and_compile_error(tmp_path):
    tables = TABLES.replace("header: NFA, type: yes_no}", "header: NFA, type: yes_no, variants: [\"  SOURCE\"]}")
    ind = GOOD.replace("{column: source, op: eq, value: \"6\"}", "{column: referral_date, op: gt, value: soon}")
    codes = {d.code for d in check_definitions([write(tmp_path, tables=tables, ind=ind)]).diagnostics}
    assert {"CSC117", "CSC113"} <= codes


def test_unreadable_and_empty(tmp_path):
    (tmp_path / "bad.yaml").write_bytes(b"\xff\xfe\x00bad")
    assert "CSC116" in {d.code for d in check_definitions([tmp_path]).diagnostics}
    assert "CSC116" in {d.code for d in check_definitions([tmp_path / "nothing"]).diagnostics}


def test_every_code_used_is_registered():
    used = set()
    for path in (ROOT / "src").rglob("*.py"):
        used |= set(re.findall(r'"(CSC\d{3})"', path.read_text()))
    assert used <= set(CODES), used - set(CODES)


def test_cli_exit_codes_and_formats(tmp_path):
    good = write(tmp_path / "good", tables=TABLES, ind=GOOD)
    run_cli(["check", good], code=0)
    bad = write(tmp_path / "bad", tables=TABLES, ind=GOOD.replace("sourc", "sorc", 1), broken="a: [\n")
    out = run_cli(["check", bad], code=1).stdout
    assert re.search(r"broken\.yaml:\d+:\d+: CSC100", out)
    run_cli(["check", bad, "--exit-zero"], code=0)
    gh = run_cli(["check", bad, "--format", "github"], code=1).stdout
    errors = [line for line in gh.splitlines() if line.startswith("::error ")]
    assert len(errors) == len([ln for ln in out.splitlines() if ": CSC" in ln])
    assert all(re.match(r"::error file=[^,]+,line=\d+,col=\d+,title=csc-metrics \(CSC\d+\)::", e) for e in errors)
    payload = json.loads(run_cli(["check", bad, "--format", "json"], code=1).stdout)
    assert payload["summary"]["errors"] == len(payload["diagnostics"]) > 0
    run_cli(["check", bad, "--format", "sarif"], code=2)


def test_github_escaping():
    d = Diagnostic(code="CSC103", message="50% bad\nvalue", file="dir,a:b.yaml", line=3, col=4)
    line = github_line(d)
    assert line.startswith("::error file=dir%2Ca%3Ab.yaml,line=3,col=4,title=csc-metrics (CSC103)::")
    assert "50%25 bad%0Avalue" in line and "\n" not in line


def test_schema_command_matches_committed_file():
    committed = (DEFINITIONS / "schema.json").read_text(encoding="utf-8")
    assert schema_text() == committed, "run: csc-metrics schema -o definitions/schema.json"
    assert run_cli(["schema"]).stdout == committed


def test_shipped_definitions_are_clean():
    report = check_definitions([DEFINITIONS])
    assert [d.render() for d in report.errors] == []
    assert report.tests_failed == 0


def test_pre_commit_hook_matches_definitions():
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    pattern = re.search(r"files: (\S+)", text).group(1)
    assert re.search(pattern, "definitions/front_door.yaml")
    assert re.search(pattern, "definitions/tables/list_03_referrals.yml")
    assert not re.search(pattern, "src/csc_metrics/cli/check.py")
    assert "id: csc-metrics-check" in text and "pass_filenames: false" in text
