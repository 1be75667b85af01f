"""Small-number suppression: the rule on hand-built results, and the marker in every output format."""

from __future__ import annotations

import copy
import csv
import io
import json

import openpyxl
from rich.console import Console
from tests.report_helpers import link_previous, metadata, quarter, result

from csc_metrics.report import results as render
from csc_metrics.report.model import ReportOptions
from csc_metrics.report.suppress import Suppressed, suppress, suppress_compare
from csc_metrics.reporting import write_compute_report

Q1, Q2 = quarter(2025, 1), quarter(2025, 2)


def small_payload() -> dict:
    """Q1 and Q2 of four indicators; the small numbers are the ones a reader must never see."""
    rows = [
        # a count: Q1 = 3 (suppressed under 5), Q2 = 17
        result("referrals", "Referrals", "inputs", "count", Q1, num=3),
        result("referrals", "Referrals", "inputs", "count", Q2, num=17),
        # a share: Q1 2 of 40 (numerator small), Q2 0 of 3 (denominator small; zero numerator stays 0)
        result("re_referrals_12m", "Re-referrals", "inputs", "percent", Q1, num=2, den=40, polarity="low"),
        result("re_referrals_12m", "Re-referrals", "inputs", "percent", Q2, num=0, den=3, polarity="low"),
        # a rate: 4 children per 45,079 -> 0.887 per 10,000 (numerator small)
        result("cla_per_10k", "CLA rate", "outputs", "rate_per_10k", Q2, num=4, den=45079,
               value=4 / 45079 * 10000, kind="stock"),
        # a duration over 2 cases (small) and one over 12 cases (kept)
        result("assessment_median_wd", "Median days", "processes", "working_days", Q1, den=2, value=31.5),
        result("assessment_median_wd", "Median days", "processes", "working_days", Q2, den=12, value=28.0),
        # zero is never suppressed; 5 is not below 5
        result("cla_started", "Started", "outputs", "count", Q1, num=0),
        result("cla_started", "Started", "outputs", "count", Q2, num=5),
    ]
    link_previous(rows)
    return {"schema_version": 1, "metadata": metadata([Q1["period"], Q2["period"]]), "results": rows,
            "diagnostics": []}


def by_key(payload: dict) -> dict:
    return {(r["indicator"], r["period"], r["category"]): r for r in payload["results"]}


def test_rule_on_each_kind_of_figure():
    payload = small_payload()
    before = copy.deepcopy(payload)
    out = by_key(suppress(payload, 5))
    assert payload == before  # a new payload; the input is untouched
    ref = out[("referrals", Q1["period"], None)]
    assert (ref["value"], ref["numerator"]) == ("c", "c") and ref["suppressed"] is True
    q2 = out[("referrals", Q2["period"], None)]
    # 17 is shown, but 17 - 3 = 14 would reveal Q1: the previous value and the change go too
    assert q2["value"] == 17 and q2["previous_value"] == "c" and q2["change"] == "c" and q2["direction"] is None
    share = out[("re_referrals_12m", Q1["period"], None)]
    assert (share["value"], share["numerator"], share["denominator"]) == ("c", "c", 40)
    share2 = out[("re_referrals_12m", Q2["period"], None)]
    assert (share2["value"], share2["numerator"], share2["denominator"]) == ("c", 0, "c")
    rate = out[("cla_per_10k", Q2["period"], None)]
    assert (rate["value"], rate["numerator"], rate["denominator"]) == ("c", "c", 45079)
    assert out[("assessment_median_wd", Q1["period"], None)]["value"] == "c"
    kept = out[("assessment_median_wd", Q2["period"], None)]
    assert kept["value"] == 28.0 and kept["previous_value"] == "c" and kept["change"] == "c"
    assert out[("cla_started", Q1["period"], None)]["value"] == 0  # zero is not suppressed
    five = out[("cla_started", Q2["period"], None)]
    assert five["value"] == 5 and five["change"] == 5 and five["previous_value"] == 0  # 5 is not below 5


def test_boundaries_and_off():
    payload = small_payload()
    assert suppress(payload, None) == payload and suppress(payload, 1) == payload
    at_four = by_key(suppress(payload, 4))
    assert at_four[("referrals", Q1["period"], None)]["value"] == "c"  # 3 < 4
    at_three = by_key(suppress(payload, 3))
    assert at_three[("referrals", Q1["period"], None)]["value"] == 3  # 3 is not below 3
    assert at_three[("re_referrals_12m", Q1["period"], None)]["value"] == "c"  # numerator 2 < 3
    meta = suppress(payload, 5)["metadata"]["suppression"]
    assert meta["below"] == 5 and meta["marker"] == "c"


def test_marker_formats_as_itself():
    c = Suppressed("c")
    assert f"{c:,.1f}" == "c" and f"{c:,.0f}" == "c" and abs(c) == "c" and json.dumps(c) == '"c"'


def test_secondary_suppression_in_a_breakdown():
    """Police 2 of 30 is suppressed; 30 - 20 - 8 would give it away, so the next smallest (8) goes too."""
    rows = [result("referrals_by_source", "Referrals by source", "inputs", "percent", Q1, num=n, den=30,
                   category=cat) for cat, n in (("Schools", 20), ("Health", 8), ("Police", 2))]
    out = by_key(suppress({"metadata": metadata([Q1["period"]]), "results": rows}, 5))
    assert out[("referrals_by_source", Q1["period"], "Police")]["numerator"] == "c"
    assert out[("referrals_by_source", Q1["period"], "Health")]["numerator"] == "c"
    assert out[("referrals_by_source", Q1["period"], "Schools")]["numerator"] == 20


def test_compare_rows_suppressed():
    compared = {"metadata": {"la_code": "808"}, "comparisons": [
        {"indicator": "referrals", "period": Q1["period"], "category": None, "unit": "count", "value": 3,
         "difference": -100.0, "assessment": "better", "quartile_band": "A", "rank": 1, "ranked_of": 153},
        {"indicator": "re_referrals_12m", "period": Q1["period"], "category": None, "unit": "percent", "value": 5.0,
         "difference": -13.6, "assessment": "better", "quartile_band": "A", "rank": 2, "ranked_of": 153},
    ]}
    out = suppress_compare(compared, 5, small_payload())["comparisons"]
    assert out[0]["value"] == "c" and out[0]["rank"] is None and out[0]["quartile_band"] is None
    assert out[1]["value"] == "c" and out[1]["difference"] == "c"  # 2 of 40: known from the compute payload
    only_counts = suppress_compare(compared, 5)["comparisons"]
    assert only_counts[0]["value"] == "c" and only_counts[1]["value"] == 5.0


# ---- the marker in every output format --------------------------------------------------------------------


def test_json_csv_markdown_table():
    out = suppress(small_payload(), 5)
    data = json.loads(render.render_json(out))
    q1 = next(r for r in data["results"] if r["indicator"] == "referrals" and r["period"] == Q1["period"])
    assert q1["value"] == "c" and q1["numerator"] == "c"
    rows = list(csv.DictReader(io.StringIO(render.render_csv(out))))
    share = next(r for r in rows if r["indicator"] == "re_referrals_12m" and r["period"] == Q1["period"])
    assert (share["value"], share["numerator"], share["denominator"]) == ("c", "c", "40")
    md = render.render_markdown(out)
    line = next(ln for ln in md.splitlines() if ln.startswith("| Referrals |"))
    cells = [c.strip() for c in line.split("|")[1:-1]]
    assert cells[1] == "c" and cells[2] == "17"
    console = Console(width=200, record=True, color_system=None)
    render.render_table(out, console)
    text = console.export_text()
    ref_line = next(ln for ln in text.splitlines() if "Referrals " in ln and "17" in ln)
    assert " c " in ref_line and " 3 " not in ref_line


def test_html_and_xlsx(tmp_path):
    payload = small_payload()
    html_path, xlsx_path = tmp_path / "r.html", tmp_path / "r.xlsx"
    opts = ReportOptions(suppress_below=5, benchmarks=False)
    write_compute_report(payload, html_path, "html", opts=opts)
    write_compute_report(payload, xlsx_path, "xlsx", opts=opts)
    page = html_path.read_text()
    row = page[page.index('id="row-referrals"'):]
    row = row[: row.index("</tr>")]
    assert '<span class="v">c</span>' in row and ">3<" not in row and ">17<" in row
    assert "suppressed, a count from 1 to 4" in page
    ws = openpyxl.load_workbook(xlsx_path)["Inputs"]
    values = {ws.cell(r, 1).value: [ws.cell(r, c).value for c in range(1, ws.max_column + 1)]
              for r in range(6, ws.max_row + 1) if ws.cell(r, 1).value}
    assert values["Referrals"][3] == "c"  # Q1 value column (after indicator, unit, polarity)
    assert 3 not in values["Referrals"] and 17 in values["Referrals"]
    share = values["Re-referrals"]
    assert share[3:6] == ["c", "c", 40]
