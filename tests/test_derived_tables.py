"""Derived tables in the definitions language: `derived:` declarations, the `@derivation` registry, `check`
rejecting an unknown builder or an undeclared column, lazy building, and one indicator over a derived table
computed end to end from SSDA903 files. Every shipped derived table builds and matches its declaration."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from tests.conftest import run_cli

from csc_metrics.compute import ComputeOptions, compute
from csc_metrics.engine import derive
from csc_metrics.engine.derive import build_derived, derivation, needed, registry
from csc_metrics.errors import CscError
from csc_metrics.io import read_inputs
from csc_metrics.spec.loader import load_definitions, standard_definitions_path
from csc_metrics.spec.rules import check_references

TABLES = standard_definitions_path() / "tables"
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"

INDICATOR = """
version: 1
indicators:
  - id: poc_started
    source: ssda903
    type: count
    title: Periods of care started
    section: outputs
    description: Periods of care starting in the period (a test indicator over a derived table).
    table: ssda903_periods_of_care
    timing: {basis: flow, date: poc_start}
    filters:
      - {column: poc_start_known, op: eq, value: "Y"}
"""


def definitions_with(tmp_path: Path, extra: str, name: str = "extra.yaml") -> Path:
    """The shipped table schemas (input and derived) plus one more definitions file."""
    folder = tmp_path / "defs"
    shutil.copytree(TABLES, folder / "tables")
    (folder / name).write_text(extra)
    return folder


def episodes_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "903"
    folder.mkdir()
    # child 1: starts 1 May 2024, moves 1 Sep 2024 (X1 continuous: one period of care); child 2: starts 10 Jan
    # 2025; child 3: in care since before the return (first episode RNE P: start not known); child 4 short break
    rows = ["1,01/05/2024,S,C2,N1,U1,PR1,01/09/2024,X1,,,,", "1,01/09/2024,P,C2,N1,U4,PR1,,,CARPL,,,",
            "2,10/01/2025,S,V2,N4,U4,PR4,,,,,,", "3,01/06/2024,P,C2,N1,U6,PR1,,,CARPL,,,",
            "4,01/07/2024,S,V3,N2,U6,PR1,05/07/2024,E8,,,,"]
    (folder / "episodes.csv").write_text("\n".join([EPISODES, *rows]) + "\n")
    return folder


def test_derived_tables_are_schemas_with_their_builder(tmp_path):
    defs = load_definitions([TABLES]).definitions
    poc = defs.tables["ssda903_periods_of_care"]
    assert defs.derived["ssda903_periods_of_care"].builder == "ssda903_periods_of_care"
    assert poc.format == "ssda903" and poc.column("poc_start_known").type.value == "yes_no"
    assert not check_references(defs)


def test_check_rejects_an_unknown_builder_and_an_undeclared_column(tmp_path):
    bad = """
version: 1
derived:
  - id: my_table
    title: Mine
    builder: no_such_builder
    inputs: [ssda903_episodes, nowhere]
    child_id: child
    columns:
      - {name: child, type: id}
indicators:
  - id: uses_undeclared
    type: count
    title: Uses a column the derived table does not declare
    section: outputs
    description: x
    table: ssda903_periods_of_care
    timing: {basis: flow, date: poc_begin}
"""
    folder = definitions_with(tmp_path, bad)
    out = run_cli(["check", folder], code=1).stdout
    assert "CSC118 derived table `my_table`: unknown builder `no_such_builder`" in out
    assert "CSC104 derived table `my_table` reads unknown table `nowhere`" in out
    assert "CSC105" in out and "poc_begin" in out


def test_check_rejects_inputs_the_builder_reads_but_the_yaml_does_not_list(tmp_path):
    bad = """
version: 1
derived:
  - id: my_cohort
    title: Mine
    builder: ssda903_oc2_cohort
    inputs: [ssda903_episodes]
    child_id: child
    columns:
      - {name: child, type: id}
"""
    out = run_cli(["check", definitions_with(tmp_path, bad)], code=1).stdout
    assert "builder `ssda903_oc2_cohort` reads ssda903_header, not listed in `inputs`" in out


def test_only_the_derived_tables_the_indicators_need_are_built(tmp_path, monkeypatch):
    defs = load_definitions([definitions_with(tmp_path, INDICATOR)]).definitions
    ind = defs.indicators["poc_started"]
    assert needed(defs, [ind]) == ["ssda903_periods_of_care"]
    calls = []
    real = registry()["ssda903_periods_of_care"]
    monkeypatch.setitem(derive._REGISTRY, "ssda903_periods_of_care",
                        derive.Derivation(real.name, real.inputs, lambda **kw: calls.append(1) or real.fn(**kw)))
    read = read_inputs([episodes_folder(tmp_path)], defs)
    frames = build_derived(defs, [ind], {t: td.frame for t, td in read.tables.items()})
    assert calls == [1] and set(frames) == {"ssda903_episodes", "ssda903_periods_of_care"}
    # no indicator over a derived table: nothing is built
    assert build_derived(defs, [], {"ssda903_episodes": frames["ssda903_episodes"]}).keys() == {"ssda903_episodes"}
    # an input absent: the derived table is left out (its indicators are no_data)
    assert build_derived(defs, [ind], {}) == {}


def test_a_builder_that_does_not_match_its_declaration_stops_the_run(tmp_path):
    @derivation("test_wrong_columns", inputs=["ssda903_episodes"])
    def wrong(ssda903_episodes: pl.DataFrame) -> pl.DataFrame:
        return ssda903_episodes.select("child")

    extra = """
version: 1
derived:
  - id: wrong_table
    title: Wrong
    builder: test_wrong_columns
    inputs: [ssda903_episodes]
    child_id: child
    columns:
      - {name: child, type: id}
      - {name: started, type: date}
"""
    defs = load_definitions([definitions_with(tmp_path, extra)]).definitions
    frame = pl.DataFrame({"child": ["1"]})
    with pytest.raises(CscError, match=r"wrong_table.*started \(missing, declared date\)"):
        derive.build_one(defs.derived["wrong_table"], registry(), {"ssda903_episodes": frame}, {})
    del derive._REGISTRY["test_wrong_columns"]


def test_an_indicator_over_a_derived_table_end_to_end(tmp_path):
    folder = definitions_with(tmp_path, INDICATOR)
    opts = ComputeOptions(paths=[episodes_folder(tmp_path)], definitions=folder, indicators=["poc_started"],
                          period=["2024-25 Q1", "2024-25 Q4", "2024-25"], use_store=False)
    results = {r["period"]: r for r in compute(opts).payload["results"]}
    # periods of care (short break of child 4 removed): child 1 from 1 May 2024 (Q1), child 2 from 10 Jan 2025
    # (Q4), child 3 from 1 Jun 2024 but its start is not known (first episode RNE P) so filtered out
    assert results["2024-25 Q1"]["value"] == 1.0
    assert results["2024-25 Q4"]["value"] == 1.0
    assert results["2024-25"]["value"] == 2.0
    assert all(r["status"] == "ok" for r in results.values())
    # the as-at date is the end of the return (31 March 2025), not the latest date in it (10 January)
    assert compute(opts).payload["metadata"]["as_at"] == "2025-03-31"


def test_results_carry_the_source_of_their_table(tmp_path):
    from csc_metrics.compute import prepare_inputs
    from csc_metrics.config import Config
    from csc_metrics.engine.calendar import calendar_for_span
    from csc_metrics.engine.periods import parse_period
    from csc_metrics.engine.run import Settings, evaluate

    defs = load_definitions([definitions_with(tmp_path, INDICATOR)]).definitions
    ind = defs.indicators["poc_started"]
    prep = prepare_inputs([episodes_folder(tmp_path)], defs, Config(), indicators=[ind])
    period = parse_period("2024-25")
    settings = Settings(periods=[period], as_at=prep.as_at, calendar=calendar_for_span(period.start, prep.as_at),
                        coverage=prep.coverage, population=None)
    assert prep.coverage["ssda903_periods_of_care"] == (date(2024, 4, 1), date(2025, 3, 31))
    assert [r["source"] for r in evaluate(defs, [ind], prep.frames, settings)] == ["ssda903"]
    # an Annex A indicator: annex_a
    std = load_definitions([standard_definitions_path()]).definitions
    empty = evaluate(std, [std.indicators["cla_at_end"]], {}, settings)
    assert {r["source"] for r in empty} == {"annex_a"}


def test_every_shipped_derived_table_builds_and_matches_its_declaration(tmp_path):
    """Builds each shipped derived table from a small 903 XML and CIN census XML (build_one checks the
    declared columns and types)."""
    from tests import cin_helpers as h
    from tests.test_returns_903 import XML

    (tmp_path / "903.xml").write_text(XML)
    modules = h.s47("2024-06-02", icpc="2024-06-20") + h.cpp("2024-06-20", reviews=["2024-09-01"])
    (tmp_path / "cin.xml").write_text(h.message(h.child("1", h.details("2024-06-01", modules=modules))))
    defs = load_definitions([TABLES]).definitions
    read = read_inputs([tmp_path / "903.xml", tmp_path / "cin.xml"], defs)
    from csc_metrics.checks import empty_frames

    # tables the XML lacks (OC2, AD1) are empty, as in a return without them
    frames = {**empty_frames(defs), **{t: td.frame for t, td in read.tables.items()}}
    builders = registry()
    built = {}
    for table_id, d in defs.derived.items():
        if all(i in frames for i in d.inputs):
            built[table_id] = derive.build_one(d, builders, frames, {"year_ending": 2025})
    assert set(built) == set(defs.derived)
    assert built["ssda903_periods_of_care"].select("child", "poc_start", "poc_start_known").rows() == [
        ("201", date(2024, 5, 1), "Y")]
    assert built["cin_icpc_set"].select("icpc_date", "level").rows() == [(date(2024, 6, 20), "s47")]
    assert built["cin_review_chains"].select("cpp_review_date", "on_time").rows() == [(date(2024, 9, 1), "Y")]
