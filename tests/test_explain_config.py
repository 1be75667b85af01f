"""`explain` (counts per step agree with compute; IDs only on request) and the config file."""

from __future__ import annotations

import json
import re

from tests.conftest import run_cli
from tests.test_compute_cli import referrals, write_list


def test_explain_definition_only():
    out = run_cli(["explain", "re_referrals_12m"]).stdout
    assert "Re-referrals within 12 months" in out and "12 calendar months before" in out
    run_cli(["explain", "re_referals"], code=2)


def test_explain_counts_match_compute_and_ids_only_on_request(tmp_path):
    write_list(tmp_path, "annex_a_list_3", referrals([
        ("CHILD1", "01/04/2024"), ("CHILD1", "01/05/2024"), ("CHILD2", "15/05/2024"), ("CHILD3", "01/08/2024"),
    ]))
    out = run_cli(["explain", "re_referrals_12m", tmp_path, "--period", "2024-25 Q1", "--as-at", "2024-09-30"]).stdout
    assert "Numerator 1, denominator 3" in out
    assert re.search(r"rows in the table\s*│\s*4 ", out) and re.search(r"in the period\s*│\s*3 ", out)
    assert "CHILD1" not in out and "Query plan" in out
    payload = json.loads(run_cli(["compute", tmp_path, "--no-store", "-f", "json", "--as-at", "2024-09-30"]).stdout)
    q1 = next(r for r in payload["results"] if r["indicator"] == "re_referrals_12m" and r["period"] == "2024-25 Q1")
    assert (q1["numerator"], q1["denominator"]) == (1, 3)
    with_ids = run_cli(["explain", "re_referrals_12m", tmp_path, "--period", "2024-25 Q1", "--ids",
                        "--no-plan"]).stdout
    assert "CHILD1" in with_ids and "CHILD3" not in with_ids


def test_config_file_sets_la_targets_and_closures(tmp_path, monkeypatch):
    write_list(tmp_path, "annex_a_list_3", referrals([("A", "01/04/2024"), ("B", "30/06/2024")]))
    (tmp_path / "csc-metrics.toml").write_text('la = 808\nclosures = ["2024-12-24"]\n[targets]\nre_referrals_12m = 22.0\n')
    monkeypatch.chdir(tmp_path)
    payload = json.loads(run_cli(["compute", ".", "--no-store", "-f", "json"]).stdout)
    assert payload["metadata"]["la_code"] == "808"
    assert payload["metadata"]["calendar"]["closures"] == ["2024-12-24"]
    (tmp_path / "csc-metrics.toml").write_text("la = [\n")
    assert "csc-metrics.toml" in run_cli(["compute", ".", "--no-store"], code=2).stderr
    (tmp_path / "csc-metrics.toml").write_text("lA = 808\n")
    run_cli(["compute", ".", "--no-store"], code=2)
