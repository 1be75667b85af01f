"""`compute` reads only the columns its indicators and the data-quality checks use; `--strict` reads them all."""

from __future__ import annotations

from pathlib import Path

from tests.engine_helpers import standard
from tests.test_compute_cli import referrals, write_list

from csc_metrics.compute import ComputeOptions, compute
from csc_metrics.io.reader import projection
from csc_metrics.spec.rules import columns_used


def test_columns_used_follow_timing_filters_related_lists_and_rates():
    defs = standard()
    used = columns_used(defs, [defs.indicators["re_referrals_12m"]])
    # the flow date, and the earlier referral looked up in the same list
    assert "referral_date" in used["annex_a_list_3"]
    assert "referral_source" not in used["annex_a_list_3"]
    rates = [i for i in defs.indicators.values() if getattr(i, "of", None)]
    assert rates, "the catalogue has rates"
    of = defs.indicators[rates[0].of]
    assert columns_used(defs, [rates[0]]) == columns_used(defs, [of])  # a rate reads what its count reads


def test_projection_keeps_ids_births_keys_and_every_date():
    table = standard().table("annex_a_list_3")
    cols = projection(table, set())
    dates = {c.name for c in table.columns if c.type.value == "date"}
    assert {table.child_id, *table.key} | dates <= cols
    assert "allocated_team" not in cols and "referral_source" not in cols


def _extract(tmp_path: Path) -> Path:
    folder = tmp_path / "x"
    folder.mkdir()
    rows = referrals([("A", "01/04/2024"), ("A", "01/05/2024"), ("B", "15/05/2024"), ("C", "30/06/2024")])
    rows[1]["referral_source"] = "zz) not a source"  # a bad code in a column `referrals` does not read
    write_list(folder, "annex_a_list_3", rows, name="q1.csv")
    return folder


def test_compute_reports_problems_of_the_columns_it_reads_and_strict_reads_all(tmp_path):
    folder = _extract(tmp_path)
    opts = dict(paths=[folder], indicators=["referrals"], use_store=False, period=["2024-25 Q1"])
    quick = compute(ComputeOptions(**opts))
    full = compute(ComputeOptions(**opts, strict=True))
    # 4 referrals in April-June 2024 either way
    [q], [f] = quick.payload["results"], full.payload["results"]
    assert q["numerator"] == f["numerator"] == 4
    assert quick.payload["results"] == full.payload["results"]
    assert quick.payload["metadata"] == full.payload["metadata"]
    codes = [d.code for d in full.diagnostics if d.field == "referral_source"]
    assert codes == ["CSC202"]
    assert not [d for d in quick.diagnostics if d.field == "referral_source"]
