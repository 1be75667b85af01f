"""Recipes by source: one indicator id computed from Annex A or from a DfE return (issue 15, COMMON.md second wave).

The loader keys indicators by (id, source); `check` wants (id, source) unique and each recipe reading tables of
its own source; `compute` picks, per id, the recipe whose tables are loaded, the DfE return first; `--source`
chooses; every result says its source; the history store never joins two sources in one series."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from csc_metrics.checks import check_definitions
from csc_metrics.cli import app
from csc_metrics.compute import choose_recipes, recipes_of
from csc_metrics.spec.loader import load_definitions, standard_definitions_path

TWO_RECIPES = """
version: 1
indicators:
  - id: cla_now
    type: count
    title: Children looked after
    section: outputs
    description: Annex A recipe.
    table: annex_a_list_8
    timing: {basis: stock, start: cla_start, end: cla_end}
    filters:
      - {column: legal_status, op: not_in, value: [V3, V4]}
  - id: cla_now
    source: ssda903
    type: count
    title: Children looked after
    section: outputs
    description: SSDA903 recipe.
    table: ssda903_episodes
    timing: {basis: stock, start: decom, end: dec}
    filters:
      - {column: ls, op: not_in, value: [V3, V4]}
    tests:
      - name: V3 open on 31 March is not in the stock; two episodes of one child count once
        period: 2024-25
        rows:
          ssda903_episodes:
            - {child: "1", decom: 01/01/2024, rne: S, ls: C2, place: U1, dec: 01/02/2025, rec: X1}
            - {child: "1", decom: 01/02/2025, rne: P, ls: C2, place: U4}
            - {child: "2", decom: 01/03/2025, rne: S, ls: V3, place: U4}
            - {child: "3", decom: 01/03/2025, rne: S, ls: C1, place: U4, dec: 31/03/2025, rec: E11}
        expect: {numerator: 1}
  - id: cla_now_per_10k
    type: rate
    title: Children looked after per 10,000
    section: outputs
    description: rate (Annex A).
    of: cla_now
  - id: cla_now_per_10k
    source: ssda903
    type: rate
    title: Children looked after per 10,000
    section: outputs
    description: rate (SSDA903).
    of: cla_now
"""


def _defs_folder(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "defs"
    shutil.copytree(standard_definitions_path() / "tables", folder / "tables")
    (folder / "cla.yaml").write_text(text)
    return folder


def test_loader_keys_recipes_by_id_and_source_and_check_runs_each(tmp_path: Path) -> None:
    folder = _defs_folder(tmp_path, TWO_RECIPES)
    defs = load_definitions([folder]).definitions
    assert set(defs.recipes) >= {("cla_now", "annex_a"), ("cla_now", "ssda903"), ("cla_now_per_10k", "ssda903")}
    assert defs.indicators["cla_now"].source == "annex_a"  # the default recipe
    assert defs.recipe_of(defs.recipes[("cla_now_per_10k", "ssda903")]).source == "ssda903"
    report = check_definitions([folder])
    assert not report.errors, [d.render() for d in report.errors]
    assert report.tests_run == 1  # the ssda903 recipe's embedded test ran (and passed)


def test_check_refuses_a_duplicate_recipe_and_a_recipe_reading_another_source(tmp_path: Path) -> None:
    dup = TWO_RECIPES + """
  - id: cla_now
    source: ssda903
    type: count
    title: again
    section: outputs
    description: duplicate (id, source).
    table: ssda903_episodes
    timing: {basis: stock, start: decom, end: dec}
  - id: wrong_source
    source: cin_census
    type: count
    title: wrong
    section: outputs
    description: reads a 903 table.
    table: ssda903_episodes
    timing: {basis: stock, start: decom, end: dec}
  - id: orphan_rate
    source: cin_census
    type: rate
    title: rate of a count without a cin_census recipe
    section: outputs
    description: x
    of: cla_now
"""
    report = check_definitions([_defs_folder(tmp_path, dup)])
    codes = [d.code for d in report.errors]
    assert "CSC107" in codes and "CSC119" in codes and "CSC112" in codes
    assert any("(id, source) `cla_now`, `ssda903`" in d.message for d in report.errors)


def test_choice_prefers_the_return_when_its_tables_are_loaded(tmp_path: Path) -> None:
    defs = load_definitions([_defs_folder(tmp_path, TWO_RECIPES)]).definitions
    cands = recipes_of(defs, [defs.indicators["cla_now"], defs.indicators["cla_now_per_10k"]])
    assert len(cands) == 4
    both = {"annex_a_list_8": None, "ssda903_episodes": None}
    view, chosen = choose_recipes(defs, cands, both)
    assert [c.source for c in chosen] == ["ssda903", "ssda903"]
    assert view.indicators["cla_now"].source == "ssda903"
    _, chosen = choose_recipes(defs, cands, {"annex_a_list_8": None})
    assert [c.source for c in chosen] == ["annex_a", "annex_a"]
    _, chosen = choose_recipes(defs, cands, both, "annex_a")
    assert [c.source for c in chosen] == ["annex_a", "annex_a"]
    _, chosen = choose_recipes(defs, cands, {}, None)  # nothing loaded: the default recipe (its figure is no_data)
    assert [c.source for c in chosen] == ["annex_a", "annex_a"]
    assert recipes_of(defs, cands, "cin_census") == []  # no cin_census recipe: `compute --source` stops
    _, chosen = choose_recipes(defs, cands, both, "cin_census")
    assert chosen == []


def _episodes_csv(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    head = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
    rows = [
        "1,01/01/2024,S,C2,N1,U1,PR1,01/02/2025,X1,,TS1 1AA,TS1 1AB,",
        "1,01/02/2025,P,C2,N1,U4,PR1,,,CARPL,TS1 1AA,TS1 1AB,",
        "2,01/03/2025,S,V3,N1,U4,PR1,,,,TS1 1AA,TS1 1AB,",
        "3,01/06/2024,S,C1,N1,U4,PR1,31/03/2025,E11,,TS1 1AA,TS1 1AB,",
    ]
    (folder / "SSDA903_2025_episodes.csv").write_text(head + "\n".join(rows) + "\n")


def test_compute_uses_the_903_recipe_and_says_so_and_source_chooses(tmp_path: Path) -> None:
    defs = _defs_folder(tmp_path, TWO_RECIPES)
    data = tmp_path / "in"
    _episodes_csv(data)
    runner = CliRunner()
    args = ["compute", str(data), "-d", str(defs), "-p", "2024-25", "-f", "json", "--no-store", "-i", "cla_now"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)["results"]
    # 31 March 2025: child 1 (second episode open) counts once; child 2 is on a short break; child 3 ceased that day
    assert [(r["indicator"], r["source"], r["value"]) for r in out] == [("cla_now", "ssda903", 1.0)]
    res = runner.invoke(app, [*args, "--source", "annex_a"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)["results"]
    assert {(r["source"], r["status"]) for r in out} == {("annex_a", "no_data")}


def test_history_never_joins_two_sources_in_one_series(tmp_path: Path) -> None:
    from csc_metrics.store import HistoryStore

    defs = _defs_folder(tmp_path, TWO_RECIPES)
    data = tmp_path / "in"
    _episodes_csv(data)
    store = tmp_path / "h.sqlite"
    runner = CliRunner()
    base = ["compute", str(data), "-d", str(defs), "-p", "2024-25", "-f", "json", "--store", str(store),
            "-i", "cla_now"]
    assert runner.invoke(app, base).exit_code == 0
    hs = HistoryStore(store)
    assert [r["value"] for r in hs.series("cla_now", source="ssda903")] == [1.0]
    assert hs.series("cla_now", source="annex_a") == []
