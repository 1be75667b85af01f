"""The returns' DfE-comparable annual pages in the HTML report: a table per group of measures, then the return's
breakdowns (chart and table). Renders `report.annual` pages and nothing else; every piece of text is escaped."""

from __future__ import annotations

from dataclasses import asdict

from csc_metrics.compare.reconcile_render import VERDICT_TEXT, difference_text, published_text
from csc_metrics.engine.periods import parse_period
from csc_metrics.report.annual import STATUS_WORDS, AnnualPage, AnnualRow
from csc_metrics.report.format import STATUS_TEXT
from csc_metrics.report.html import breakdown_block, breakdown_source
from csc_metrics.report.model import Level, Report
from csc_metrics.report.text import POLARITY_TEXT, UNIT_NAMES, fraction_text, result_text, value_text
from csc_metrics.report.text import esc as _e
from csc_metrics.results import INCOMPLETE_MARK, INCOMPLETE_TEXT, Result, Status

NO_BAND = "–"


def figure_text(r: Result | None) -> str:
    """The figure as the report shows it: `n/a` when unavailable, `*` when incomplete, blank for none."""
    if r is None:
        return "–"
    if r.status.value in STATUS_TEXT and r.value is None:
        return STATUS_TEXT[r.status.value]
    return result_text(r)


def _level(level: Level | None, row: AnnualRow, year_end: int) -> str:
    if level is None:
        return '<td class="num bench">–</td>'
    year = f'<span class="sub">{_e(level.year)}</span>' if level.year and level.year != year_end else ""
    return f'<td class="num bench">{_e(value_text(level.value, row.result.unit.value))}{year}</td>'


def _band(row: AnnualRow) -> str:
    if not row.band:
        return f"<td>{NO_BAND}</td>"
    rank = f'<span class="sub">rank {row.rank} of {row.ranked_of}</span>' if row.rank else ""
    return f'<td class="num"><span class="band">{_e(row.band)}</span>{rank}</td>'


def _row(row: AnnualRow, page: AnnualPage, year_end: int) -> str:
    r = row.result
    unit = UNIT_NAMES.get(r.unit.value, r.unit.value)
    meta = f"{unit} · {POLARITY_TEXT.get(r.polarity, '')}" + (f" · LAIT {row.measure}" if row.measure else "")
    sub = fraction_text(r)
    rec = asdict(row.published) if row.published else None
    status_cls = "" if r.status is Status.ok else f' class="status {r.status.value}"'
    cells = [
        f'<td class="ind"><span class="t">{_e(row.title)}</span><span class="m">{_e(meta)}</span></td>',
        f"<td><span{status_cls}>{_e(STATUS_WORDS.get(r.status.value, r.status.value))}</span></td>",
        f'<td class="num"><span class="v">{_e(figure_text(r))}</span>'
        + (f'<span class="sub">{_e(sub)}</span>' if sub else "") + "</td>",
        f'<td class="num prev">{_e(figure_text(row.previous))}</td>',
        _level(row.england, row, year_end), _level(row.region, row, year_end), _level(row.sn, row, year_end),
        f'<td class="num">{_e(published_text(rec) if rec else "–")}</td>',
        f'<td class="num">{_e(difference_text(rec) if rec else "")}</td>',
        f"<td>{_e(row.check)}</td>", _band(row),
        f'<td><span class="sub">{_e("; ".join(row.reasons))}</span></td>',
    ]
    return f'<tr id="row-{_e(page.key)}-{_e(row.key)}" data-status="{_e(r.status.value)}">' + "".join(cells) + "</tr>"


def _table(page: AnnualPage, i: int, report: Report) -> str:
    group = page.groups[i]
    year_end = parse_period(page.year).end.year
    region = next((r.region.label for r in page.rows if r.region is not None), "Region")
    who = report.la_name or "the authority"
    heads = ["Measure", "Status", page.year, page.previous_year, "England", region, "SN mean",
             f"Published ({who})", "Difference", "Check", "Band", "Notes"]
    head = "".join(f'<th scope="col"{" class=ind" if j == 0 else ""}>{_e(h)}</th>' for j, h in enumerate(heads))
    body = "".join(_row(row, page, year_end) for row in group.rows)
    caption = (f"{group.title}: {page.source_label} figures for {page.year} beside the previous year, England, "
               f"the region, the statistical neighbours and {who}'s own published value")
    return (f'<h3>{_e(group.title)}</h3><table class="cabinet annual" id="table-{_e(page.key)}-{i + 1}">'
            f"<caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def page_key_block(page: AnnualPage) -> str:
    parts = [
        f"<b>Source</b>: every figure on this page is computed from the {_e(page.source_label)}, as DfE computes "
        "its own measures; an Annex A figure is never shown in these rows",
        "<b>Status</b>: ok, incomplete (the figure is shown marked " + INCOMPLETE_MARK + "), empty (no cases), "
        "unavailable (n/a: the inputs lack what the measure needs, the reason in Notes); only an ok figure gets a "
        "band, a rank or a check",
        "<b>England</b>, <b>region</b> and <b>SN mean</b>: DfE published figures for the year (an earlier year is "
        "named under the figure); not shown for counts, which depend on the size of the authority",
        "<b>Published</b>, <b>Difference</b> and <b>Check</b>: the authority's own published LAIT value for the "
        "same year, the computed figure minus it, and " + _e(VERDICT_TEXT),
        "<b>Band</b>: LAIT quartile band among all authorities (A = best quarter) and national rank, for an ok "
        "rate or percentage with a polarity against the same published year",
        f"<b>{INCOMPLETE_MARK}</b> {_e(INCOMPLETE_TEXT)}",
    ]
    return '<p class="key">' + "; ".join(parts) + ".</p>"


def page_section(page: AnnualPage, report: Report) -> str:
    """One return's page: its tables by group, then its breakdowns."""
    lede = (f"The DfE's {_e(page.title.lower())} measures for {_e(page.year)}, computed from the "
            f"{_e(page.source_label)} as DfE computes them, beside the published figures.")
    out = [f'<section class="report-section annual-page" id="{_e(page.key)}" data-source="{_e(page.source)}" '
           f'aria-labelledby="h-{_e(page.key)}"><h2 id="h-{_e(page.key)}">{_e(page.title)} '
           f'<span class="sub">{_e(page.source_label)}, {_e(page.year)}</span></h2><p>{lede}</p>']
    out += [_table(page, i, report) for i in range(len(page.groups))]
    for b in page.breakdowns:
        out.append(f"<h3>{_e(b.title)} ({_e(breakdown_source(b))})</h3>"
                   + breakdown_block(b, f"chart-{page.key}-"))
    out.append(page_key_block(page) + "</section>")
    return "".join(out)
