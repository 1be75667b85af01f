"""The report as one self-contained HTML page: inline CSS and SVG, no scripts, fonts, images or links outside
the page. Readable on screen and printed on A4 (print CSS). Every piece of text is escaped."""

from __future__ import annotations

from typing import Any

from csc_metrics.report.charts import breakdown_chart, trend_chart
from csc_metrics.report.commentary import markdown_html
from csc_metrics.report.model import Breakdown, Headline, Report, Row, Section
from csc_metrics.report.text import (
    POLARITY_TEXT,
    UNIT_NAMES,
    change_text,
    fraction_text,
    number_text,
    result_text,
    value_text,
)
from csc_metrics.report.text import esc as _e
from csc_metrics.results import INCOMPLETE_MARK, INCOMPLETE_TEXT, MIN_CASES, SMALL_BASE_TEXT, Result, Status

DERIVED_MARK = "†"  # last year's figure derived from the quarters: its one meaning in the report
ANNUALISED_TEXT = "annualised"

CSS = """
:root { --ink:#1d3557; --text:#1f2328; --muted:#5f6b7a; --rule:#d0d7de; --band:#f3f5f8; --better:#0b6b2f;
  --worse:#a4161a; --accent:#2a6f97; }
* { box-sizing: border-box; }
html { font-family: "Segoe UI", Arial, Helvetica, sans-serif; color: var(--text); font-size: 15px; }
body { margin: 0; background: #eef1f4; }
main { max-width: 1120px; margin: 0 auto; background: #fff; padding: 0 40px 40px; }
header.cover { background: var(--ink); color: #fff; margin: 0 -40px 24px; padding: 28px 40px 22px; }
header.cover .kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; margin: 0 0 6px;
  opacity: .85; }
header.cover h1 { margin: 0 0 6px; font-size: 28px; font-weight: 600; }
header.cover .subtitle { margin: 0; font-size: 17px; }
dl.facts { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 16px 0 0; font-size: 13px; }
dl.facts div { display: flex; gap: 6px; } dl.facts dt { opacity: .8; } dl.facts dd { margin: 0; font-weight: 600; }
nav.toc { border: 1px solid var(--rule); padding: 10px 16px; margin-bottom: 20px; font-size: 14px; }
nav.toc ol { margin: 4px 0 0; padding-left: 20px; columns: 2; }
nav.toc a { color: var(--accent); }
h2 { font-size: 22px; color: var(--ink); border-bottom: 3px solid var(--ink); padding-bottom: 4px;
  margin: 32px 0 14px; }
h3 { font-size: 16px; color: var(--ink); margin: 22px 0 8px; }
h4 { font-size: 14px; margin: 12px 0 4px; }
p { line-height: 1.45; }
.headlines { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; margin: 8px 0 14px; }
.headlines > div { border: 1px solid var(--rule); border-left-width: 6px; padding: 8px 12px; }
.headlines .better { border-left-color: var(--better); }
.headlines .worse { border-left-color: var(--worse); }
.headlines h3 { margin: 0 0 6px; font-size: 14px; }
.headlines ul { margin: 0; padding-left: 18px; font-size: 13.5px; }
.headlines li { margin: 3px 0; }
.headlines .none { color: var(--muted); font-size: 13px; margin: 0; }
.commentary { background: var(--band); border-left: 4px solid var(--accent); padding: 6px 14px; margin: 10px 0 16px;
  font-size: 14px; }
.commentary.placeholder { border-left-style: dashed; color: var(--muted); font-style: italic; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
caption { text-align: left; font-size: 12.5px; color: var(--muted); padding: 0 0 6px; caption-side: top; }
th, td { border-bottom: 1px solid var(--rule); padding: 5px 6px; vertical-align: top; }
thead th { background: var(--ink); color: #fff; font-weight: 600; text-align: center; border: 1px solid #fff; }
thead th.ind { text-align: left; }
tbody tr:nth-child(even) { background: #fafbfc; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.ind { width: 27%; }
td.ind .t { font-weight: 600; display: block; }
td.ind .m, .sub { color: var(--muted); font-size: 11px; display: block; }
.v { font-weight: 600; }
.chg { display: block; font-size: 11px; white-space: nowrap; }
.chg.better { color: var(--better); } .chg.worse { color: var(--worse); }
td.prev { background: #f1f3f6; }
td.bench { background: #f7f8fa; }
.band { display: inline-block; min-width: 20px; padding: 1px 5px; border: 1px solid var(--muted); font-weight: 600; }
.key { font-size: 12.5px; color: var(--muted); margin: 6px 0 0; }
.key b { color: var(--text); }
.charts { display: grid; grid-template-columns: repeat(3, 1fr); gap: 10px 14px; }
figure { margin: 0; border: 1px solid var(--rule); padding: 8px 8px 4px; break-inside: avoid; }
figure.wide { grid-column: 1 / -1; }
figcaption { font-size: 12.5px; font-weight: 600; color: var(--ink); margin-bottom: 2px; }
figcaption .sub { font-weight: 400; }
svg.chart { max-width: 100%; height: auto; display: block; font-family: inherit; }
svg .tick { font-size: 10px; fill: var(--muted); } svg .year { font-weight: 600; }
svg .axis-label { font-size: 10px; fill: var(--muted); }
svg .ref { font-size: 10px; font-weight: 600; }
svg .point-label { font-size: 11px; font-weight: 700; fill: var(--ink); paint-order: stroke; stroke: #fff;
  stroke-width: 3px; }
svg.trend { width: 100%; }
svg .marker { font-size: 11px; font-weight: 700; fill: var(--worse); }
svg .legend text { font-size: 10px; fill: var(--text); }
svg .cat { font-size: 11px; fill: var(--text); } svg .bar-label { font-size: 11px; fill: var(--text); }
.breakdown { display: grid; grid-template-columns: 3fr 2fr; gap: 14px; align-items: start; margin-bottom: 12px; }
table.small { font-size: 12px; }
dl.defs dt { font-weight: 600; margin-top: 8px; } dl.defs dd { margin: 2px 0 0 0; color: var(--text); font-size: 13px; }
table.meta th { text-align: left; width: 28%; background: var(--band); color: var(--text); font-weight: 600; }
.notes { font-size: 12.5px; color: var(--muted); }
.status { font-weight: 600; color: var(--worse); }
h2 .sub { font-size: 14px; font-weight: 400; display: inline; }
table.annual td.ind { width: 22%; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
footer { margin-top: 30px; font-size: 12px; color: var(--muted); border-top: 1px solid var(--rule); padding-top: 8px; }
@media (max-width: 800px) { .charts { grid-template-columns: 1fr 1fr; } .breakdown { grid-template-columns: 1fr; } }
@page { size: A4 portrait; margin: 12mm 10mm 14mm; }
@media print {
  html { font-size: 10pt; } body { background: #fff; }
  main { max-width: none; padding: 0; }
  header.cover { margin: 0 0 12px; padding: 14px 16px; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  thead th, td.prev, td.bench, .headlines > div, .commentary, svg { -webkit-print-color-adjust: exact;
    print-color-adjust: exact; }
  nav.toc a { color: var(--text); text-decoration: none; }
  section.report-section { break-before: page; }
  table { font-size: 8pt; } td.ind .m, .sub, .chg { font-size: 7pt; }
  tr, figure, .headlines, .breakdown { break-inside: avoid; }
  thead { display: table-header-group; }
  h2, h3 { break-after: avoid; }
  .charts { grid-template-columns: repeat(3, 1fr); gap: 6px; }
  figcaption { font-size: 8pt; }
}
"""


def _change(r: Result | None) -> str:
    text = change_text(r)
    if not text:
        return ""
    cls = r.assessment if r and r.assessment in ("better", "worse") else "neutral"
    return f'<span class="chg {cls}">{_e(text)}</span>'


def _cell(r: Result | None, row: Row) -> str:
    if r is None:
        return '<td class="num"><span class="sub">not yet</span></td>'
    sub = fraction_text(r, row.small_base(r))
    return (f'<td class="num"><span class="v">{_e(result_text(r))}</span>'
            + (f'<span class="sub">{_e(sub)}</span>' if sub else "") + _change(r) + "</td>")


def _baseline_cells(row: Row) -> str:
    b = row.baseline
    if b is None:
        return '<td class="num prev">–</td><td class="num prev">–</td>'
    note = f' title="{_e(row.baseline_note)}"' if row.baseline_note else ""
    mark = DERIVED_MARK if row.baseline_note else ""
    if row.unit in ("count", "children"):
        number, value = result_text(b) + mark, ""
    else:
        number, value = number_text(row.baseline_number), result_text(b) + mark
    return f'<td class="num prev"{note}>{_e(number)}</td><td class="num prev"{note}>{_e(value)}</td>'


def _bench(level: Any, row: Row, latest_year: set[Any]) -> str:
    if level is None:
        return '<td class="num bench">–</td>'
    year = f'<span class="sub">{_e(level.year)}</span>' if level.year and len(latest_year) > 1 else ""
    return f'<td class="num bench">{_e(value_text(level.value, row.unit))}{year}</td>'


def _band(row: Row) -> str:
    if not row.band:
        return "<td>–</td>"
    rank = f'<span class="sub">rank {row.rank} of {row.ranked_of}</span>' if row.rank else ""
    return f'<td class="num"><span class="band">{_e(row.band)}</span>{rank}</td>'


def section_table(section: Section, report: Report) -> str:
    years = {lv.year for r in report.rows for lv in (r.england, r.sn) if lv is not None}
    bench_year = f" {next(iter(years))}" if len(years) == 1 else ""
    base = report.baseline_label
    head1 = ['<th rowspan="2" class="ind" scope="col">Indicator</th>']
    head2 = []
    if base:
        head1.append(f'<th colspan="2" scope="colgroup">{_e(base)}</th>')
        head2 += ['<th scope="col">No.</th>', '<th scope="col">Value</th>']
    for title in report.column_titles:
        head1.append(f'<th rowspan="2" scope="col">{_e(title)}</th>')
    head1.append(f'<th colspan="2" scope="colgroup">Published{_e(bench_year)}</th>')
    head2 += ['<th scope="col">England</th>', '<th scope="col">SN</th>']
    head1 += ['<th rowspan="2" scope="col">Band</th>', '<th rowspan="2" scope="col">Source</th>']
    body = []
    for row in section.rows:
        target = f" · target {value_text(row.target, row.unit)}" if row.target is not None else ""
        unit = UNIT_NAMES.get(row.unit, row.unit) + (f", {ANNUALISED_TEXT}" if row.annualised else "")
        meta = f"{unit} · {POLARITY_TEXT.get(row.polarity, '')}{target}"
        cells = [f'<td class="ind"><span class="t">{_e(row.title)}</span><span class="m">{_e(meta)}</span></td>']
        if base:
            cells.append(_baseline_cells(row))
        cells += [_cell(r, row) for r in row.cells]
        cells += [_bench(row.england, row, years), _bench(row.sn, row, years), _band(row),
                  source_cell(row.source_label, row.sources if row.source == "annex_a" else [])]
        body.append(f'<tr id="row-{_e(row.key)}" data-source="{_e(row.source)}">' + "".join(cells) + "</tr>")
    caption = (f"{section.title}: figures by {report.step}, change from the previous {report.step}, and published"
               " comparators")
    return (f'<table class="cabinet" id="table-{section.key}"><caption>{_e(caption)}</caption><thead><tr>'
            + "".join(head1) + "</tr><tr>" + "".join(head2) + "</tr></thead><tbody>" + "".join(body)
            + "</tbody></table>")


def _headline(h: Headline) -> str:
    r = h.result
    prev = value_text(r.previous_value, h.row.unit)
    now = value_text(r.value, h.row.unit)
    return (f"<li><b>{_e(h.row.title)}</b> ({_e(h.row.source_label)}): {_e(prev)} → {_e(now)} ({_e(change_text(r))}, "
            f"{_e(r.period.label)})</li>")


def headlines_panel(section: Section, when: str = "this quarter") -> str:
    def block(cls: str, title: str, items: list[Headline]) -> str:
        inner = ("<ul>" + "".join(_headline(h) for h in items) + "</ul>") if items else \
            f'<p class="none">No indicator {"improved" if cls == "better" else "worsened"} {when}.</p>'
        return f'<div class="{cls}"><h3>{title}</h3>{inner}</div>'

    return ('<div class="headlines" role="group" aria-label="Biggest movements">'
            + block("better", f"Improved most {when}", section.better)
            + block("worse", f"Worsened most {when}", section.worse) + "</div>")


def commentary_block(text: str | None, where: str) -> str:
    if text:
        return f'<div class="commentary">{markdown_html(text)}</div>'
    return (f'<div class="commentary placeholder"><p>Commentary for {_e(where)}: add a <code>## {_e(where)}</code> '
            "section to the commentary file (<code>--commentary FILE.md</code>).</p></div>")


def _breakdown_table(b: Breakdown) -> str:
    rows = []
    for cat, r in b.categories:
        prev = b.previous.get(cat)
        prev_text = value_text(prev.value, "percent") if prev else "–"
        rows.append(f"<tr><td>{_e(cat)}</td><td class=\"num\">{_e(number_text(r.numerator) or '–')}</td>"
                    f"<td class=\"num\">{_e(value_text(r.value, 'percent'))}</td>"
                    f"<td class=\"num\">{_e(prev_text)}</td></tr>")
    prev_head = _e(b.previous_period or "Previous")
    total = f"Total {number_text(b.total)}" if b.total is not None else ""
    shares = [r.value for _, r in b.categories if isinstance(r.value, int | float)]
    if sum(shares) > 100.05:  # several categories per case (`once_per`); a suppressed share (`c`) adds nothing
        total += ". Shares add up to more than 100%: one case can have several"
    elif b.multiple:
        total += ". Shares can add up to more than 100%: one case can have several"
    return (f'<table class="small breakdown-table"><caption>{_e(b.title)}, {_e(b.period)}. {_e(total)}</caption>'
            f'<thead><tr><th class="ind" scope="col">Category</th><th scope="col">No.</th>'
            f'<th scope="col">%</th><th scope="col">{prev_head} %</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


def charts_block(section: Section, report: Report) -> str:
    la_label = report.la_name or "This authority"
    figs = []
    for row in section.rows:
        latest = row.latest
        sub = f"Latest: {result_text(latest)} ({latest.period.label})" if latest else "No figure yet"
        figs.append(f'<figure id="chart-{_e(row.key)}"><figcaption>{_e(row.title)}'
                    f'<span class="sub">{_e(row.source_label)} · {_e(sub)}</span></figcaption>'
                    f"{trend_chart(row, f'c-{row.key}', la_label)}</figure>")
    out = ""
    if figs:
        out += f'<h3>Trends</h3><div class="charts">{"".join(figs)}</div>'
    for b in section.breakdowns:
        out += f"<h3>{_e(b.title)} ({_e(breakdown_source(b))})</h3>" + breakdown_block(b, "chart-")
    return out


def breakdown_source(b: Breakdown) -> str:
    """`Annex A: List 3`, `CIN census`: where a breakdown's figures come from."""
    return b.source_label + (f": {', '.join(b.sources)}" if b.source == "annex_a" and b.sources else "")


def breakdown_block(b: Breakdown, prefix: str) -> str:
    """A breakdown's chart beside its table; `prefix` keeps the figure's id unique in the page."""
    several = " · one case can have several categories: shares can add up to more than 100%" if b.multiple else ""
    return (f'<div class="breakdown"><figure id="{_e(prefix + b.key)}"><figcaption>{_e(b.title)}, '
            f'{_e(b.period)}<span class="sub">{_e(breakdown_source(b) + several)}</span></figcaption>'
            f"{breakdown_chart(b, f'c-{prefix}{b.key}')}</figure>{_breakdown_table(b)}</div>")


def source_cell(label: str, tables: list[str]) -> str:
    """The Source cell: the source's name, then the Annex A lists read."""
    lists = f'<span class="sub">{_e(", ".join(tables))}</span>' if tables else ""
    return f'<td class="src">{_e(label)}{lists}</td>'


def key_block(report: Report) -> str:
    parts = [
        f"<b>▲/▼</b> direction of travel from the previous {report.step}"
        + (" (Q1 against Q4 of the year before);" if report.step == "quarter" else ";")
        +
        " <b>better/worse</b> in words, by whether a higher or lower figure is better",
        f"<b>{INCOMPLETE_MARK}</b> {INCOMPLETE_TEXT}",
        f"<b>{SMALL_BASE_TEXT}</b>: fewer than {report.min_base} cases (means and medians: {MIN_CASES}), shown with"
        " its numerator and denominator and never headlined",
        f"<b>{ANNUALISED_TEXT}</b>: a quarter's rate scaled to a year (× 4), as DfE publishes annual rates",
        "<b>England</b> and <b>SN</b> (mean of the statistical neighbours): DfE published figures for the latest"
        " year not after the quarter; not shown for counts, which depend on the size of the authority",
        "<b>Band</b>: LAIT quartile band among all authorities, A = best quarter; only for a complete financial"
        " year's rate or percentage against the same published year (never for a quarter or a count)",
    ]
    if report.baseline_label:
        parts.append(f"<b>{_e(report.baseline_label)}</b>: last year's figure; {DERIVED_MARK} derived from the"
                     " quarters (the position at 31 March, or the sum of the four quarters of one extract)")
    if report.suppress_below:
        parts.append(f"<b>{_e(report.marker)}</b>: suppressed, a count from 1 to {report.suppress_below - 1} or a"
                     " figure derived from one")
    return '<p class="key">' + "; ".join(parts) + ".</p>"


def _meta_rows(report: Report) -> list[tuple[str, str]]:
    m = report.metadata
    cal = m.get("calendar") or {}
    pop = m.get("population") or {}
    rows = [("Local authority", f"{report.la_name} ({report.la_code})" if report.la_name else str(report.la_code or
             "not set")),
            ("Report year", report.year or ", ".join(report.columns)),
            ("Data as at", str(m.get("as_at") or "")),
            ("Tool version", str(m.get("tool_version") or "")),
            ("Definitions hash", str(m.get("definitions_hash") or "")),
            ("Bank holidays", f"{cal.get('holidays_source', '')} {cal.get('holidays_version', '')}, years "
             f"{'-'.join(str(y) for y in cal.get('years') or [])}".strip()),
            ("Population", f"{pop.get('source', '')}, mid-{pop.get('year', '')}: {number_text(pop.get('value'))}"
             if pop else "not used (no local authority code)")]
    if report.benchmark_source:
        rows.append(("Published figures", report.benchmark_source))
    if report.sn_model:
        rows.append(("Statistical neighbours", report.sn_model))
    if report.suppress_below:
        rows.append(("Suppression", f"counts 1 to {report.suppress_below - 1} and figures derived from them shown as "
                     f"{report.marker}; zero is not suppressed"))
    if m.get("run_id"):
        rows.append(("Latest run", str(m["run_id"])))
    rows.append(("Generated", report.generated))
    return rows


def _input_files(inputs: list[dict[str, Any]]) -> list[tuple[str, list[tuple[str, Any]], list[str], str]]:
    """One line per file (a CIN census or SSDA903 XML holds several tables): its tables with their rows, the
    dates they cover together and the file's SHA-256. The xlsx Metadata sheet keeps a line per table."""
    files: dict[str, tuple[list[tuple[str, Any]], list[str], str]] = {}
    for i in inputs:
        path = f"{i.get('path', '')}{(' [' + i['sheet'] + ']') if i.get('sheet') else ''}"
        tables, cover, _ = files.setdefault(path, ([], [], str(i.get("sha256", ""))))
        tables.append((str(i.get("table", "")), i.get("rows")))
        cover.extend(c for c in i.get("coverage") or [] if c)
    return [(p, t, [min(c), max(c)] if c else [], sha) for p, (t, c, sha) in files.items()]


def about_block(report: Report) -> str:
    meta = "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in _meta_rows(report))
    inputs = "".join(
        f"<tr><td>{_e(path)}</td><td>{_e('; '.join(f'{t} ({number_text(n)})' for t, n in tables))}</td>"
        f"<td>{_e(' to '.join(cover))}</td><td><code>{_e(sha[:12])}</code></td></tr>"
        for path, tables, cover, sha in _input_files(report.metadata.get("inputs") or []))
    defs = "".join(f"<dt>{_e(r.title)} <span class=\"sub\">({_e(r.indicator)}, {_e(r.source_label)})</span></dt>"
                   f"<dd>{_e(r.description)}</dd>" for r in report.rows if r.description)
    notes = "".join(f"<li>{_e(n)}</li>" for n in report.notes)
    row_notes = "".join(f"<li><b>{_e(r.title)}</b>: {_e('; '.join(r.notes))}</li>" for r in report.rows if r.notes)
    out = ('<section id="about"><h2>About this report</h2>'
           f'<h3>Data and sources</h3><table class="meta small">{meta}</table>')
    if inputs:
        out += ('<h3>Input files</h3><table class="small"><thead><tr><th class="ind" scope="col">File</th>'
                '<th scope="col">Lists or tables (rows)</th><th scope="col">Covers</th>'
                f'<th scope="col">SHA-256</th></tr></thead><tbody>{inputs}</tbody></table>')
    if notes or row_notes:
        out += f'<h3>Notes</h3><ul class="notes">{notes}{row_notes}</ul>'
    if defs:
        out += f'<h3>What the indicators measure</h3><dl class="defs">{defs}</dl>'
    return out + "</section>"


def summary_block(report: Report) -> str:
    latest = [ok[-1] for r in report.rows if (ok := [c for c in r.cells if c and c.status is Status.ok])]
    column = max((r.period.label for r in latest), default=None, key=lambda p: report.columns.index(p)
                 if p in report.columns else -1)
    now = [r for r in latest if r.period.label == column]
    counts = {k: sum(1 for r in now if r.assessment == k) for k in ("better", "worse", "same")}
    line = (f"In {column}, {counts['better']} indicator(s) moved in the better direction and {counts['worse']} in"
            f" the worse direction since the previous {report.step} ({counts['same']} unchanged; latest fully"
            f" covered {report.step}).") if column else ""
    return ('<section id="summary"><h2>Summary</h2>' + (f"<p>{_e(line)}</p>" if line else "")
            + commentary_block(report.summary, "Summary") + key_block(report) + "</section>")


def render_html(report: Report) -> str:
    """The whole page."""
    from csc_metrics.report.annual_html import page_section
    facts = [("Year", report.year or ", ".join(report.columns)), ("Data as at", report.metadata.get("as_at") or "–")]
    if report.benchmark_source:
        facts.append(("Benchmarks", report.benchmark_source))
    if report.suppress_below:
        facts.append(("Small numbers", f"suppressed below {report.suppress_below}"))
    facts_html = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in facts)
    toc = ['<li><a href="#summary">Summary</a></li>']
    toc += [f'<li><a href="#{s.key}">{_e(s.title)}</a></li>' for s in report.sections]
    toc += [f'<li><a href="#{_e(p.key)}">{_e(p.title)} ({_e(p.source_label)})</a></li>' for p in report.pages]
    toc.append('<li><a href="#about">About this report</a></li>')
    sections = []
    for s in report.sections:
        sections.append(
            f'<section class="report-section" id="{s.key}" aria-labelledby="h-{s.key}">'
            f'<h2 id="h-{s.key}">{_e(s.title)}</h2>' + headlines_panel(s, "this year" if report.columns == [report.year] else "this quarter") + commentary_block(s.commentary, s.title)
            + (section_table(s, report) if s.rows else "") + charts_block(s, report) + "</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(report.title)}: {_e(report.subtitle)}</title><style>{CSS}</style></head><body><main>"
            f'<header class="cover"><p class="kicker">Performance report</p><h1>{_e(report.title)}</h1>'
            f'<p class="subtitle">{_e(report.subtitle)}</p><dl class="facts">{facts_html}</dl></header>'
            f'<nav class="toc" aria-label="Contents"><b>Contents</b><ol>{"".join(toc)}</ol></nav>'
            + summary_block(report) + "".join(sections) + "".join(page_section(p, report) for p in report.pages)
            + about_block(report)
            + f"<footer>Produced by csc-metrics {_e(report.metadata.get('tool_version') or '')} from the case-level "
            "extract; published figures: DfE, Open Government Licence v3.0.</footer></main></body></html>\n")

