"""A synthetic Annex A extract (Lists 1-11), from a small local authority to England scale.

`generate_sample` simulates children's journeys (contact, referral, assessment, S47, ICPC, child protection plan,
care, leaving care or adoption) for a child population of a given size and writes the eleven lists with the
official headers and template labels, one CSV per list or one xlsx workbook. The output is deterministic for a
seed (with the same polars version) and contains no data defects unless `messy=True`.
"""

from __future__ import annotations

import functools
import io
from datetime import date
from pathlib import Path
from typing import Literal

import polars as pl

from csc_metrics.errors import ConfigError, InputError
from csc_metrics.sample import lists as _lists
from csc_metrics.sample.draw import Draw, bank_holidays
from csc_metrics.sample.journeys import Window
from csc_metrics.sample.messy import FileStyle, make_messy
from csc_metrics.sample.render import as_text, to_annex_a
from csc_metrics.spec.loader import load_definitions, standard_definitions_path
from csc_metrics.spec.tables import CodeSet, TableSchema

__all__ = ["EXCEL_MAX_ROWS", "Window", "file_name", "generate_sample", "list_schemas"]

EXCEL_MAX_ROWS = 1_048_575  # rows below the header on one worksheet


def list_schemas(definitions: Path | None = None) -> tuple[dict[int, TableSchema], dict[str, CodeSet]]:
    """The Annex A table schemas by list number, and the code sets, from the standard definitions."""
    return _list_schemas(definitions or standard_definitions_path() / "tables")


@functools.lru_cache(maxsize=4)
def _list_schemas(definitions: Path) -> tuple[dict[int, TableSchema], dict[str, CodeSet]]:
    result = load_definitions([definitions], cache=True)  # the pickled copy when the files are unchanged
    if result.has_errors:
        first = next(d for d in result.diagnostics if d.is_error)
        raise ConfigError(f"the Annex A table definitions do not load: {first.message}", hint=first.file)
    tables = {t.annex_a_list: t for t in result.definitions.tables.values() if t.annex_a_list}
    if sorted(tables) != list(range(1, 12)):
        raise ConfigError("the Annex A table definitions must define Lists 1-11")
    return tables, result.definitions.code_sets


def file_name(table: TableSchema) -> str:
    """`list_03_referrals.csv` for List 3 (alias `referrals`)."""
    return f"list_{table.annex_a_list:02d}_{table.alias or table.id}.csv"


def generate_sample(
    out: Path,
    *,
    children: int,
    years: int = 2,
    seed: int = 1,
    end: date = date(2025, 3, 31),
    messy: bool = False,
    fmt: Literal["csv", "xlsx"] = "csv",
    cin: bool = False,
    cin_csv: bool = False,
    ssda903: bool = False,
    ssda903_xml: bool = False,
    ssda903_history: int = 0,
) -> list[Path]:
    """Write a synthetic Annex A extract into the folder `out`; return the files written.

    `children` is the local authority's population aged 0-17; `years` the financial years ending at `end`
    covered by the flows, plus 12 months of history before them (and open cases that started earlier).
    `cin`: also one CIN census XML per collection year for the same children (`sample.cin`); `cin_csv`: each
    census as flattened VCIN-style CSVs instead of the XML.

    `ssda903`: also the SSDA903 returns of the same children (`sample.ssda903`), one per year, as CSV tables or,
    with `ssda903_xml`, as XML; `ssda903_history` more returns for the collection years before. Every year of a return is written once, so the folder reads as it is."""
    if children < 100:
        raise ConfigError(f"--children must be at least 100 (got {children})")
    if not 1 <= years <= 10:
        raise ConfigError(f"--years must be between 1 and 10 (got {years})")
    if not 0 <= ssda903_history <= 10:
        raise ConfigError(f"--ssda903-history must be between 0 and 10 (got {ssda903_history})")
    if fmt not in ("csv", "xlsx"):
        raise ConfigError(f"unknown format {fmt!r}", hint="use csv or xlsx")
    tables, code_sets = list_schemas()
    w = Window.of(end, years)
    d = Draw(seed)
    hols = bank_holidays(w.burn.year - 2, w.end.year + 5)
    journeys = _lists.simulate(children, w, d, hols)
    frames = _lists.build_lists(journeys, w, d, hols)
    typed = {n: to_annex_a(frames[n], tables[n], code_sets) for n in sorted(tables)}
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create output folder {out}: {exc}") from exc
    extra: list[Path] = []
    if cin or cin_csv:
        from csc_metrics.sample.cin import write_cin

        extra = write_cin(out, journeys, frames, w, d, hols, messy=messy, csv=cin_csv)
    if ssda903 or ssda903_xml:
        from csc_metrics.sample.ssda903 import generate_903

        extra += generate_903(out, journeys, frames, w, d, history=ssda903_history, messy=messy, xml=ssda903_xml)
    if fmt == "xlsx":
        return [_write_xlsx(out, typed, tables, d, w.end, messy), *extra]
    texts = {n: as_text(df) for n, df in typed.items()}
    styles = {n: FileStyle() for n in texts}
    if messy:
        texts, styles = make_messy(texts, d, w.end)
    return [_write_csv(out / file_name(tables[n]), texts[n], styles[n]) for n in sorted(texts)] + extra


def _write_csv(path: Path, df: pl.DataFrame, style: FileStyle) -> Path:
    if not (style.title or style.footer or style.bom) and style.encoding == "utf-8":
        try:  # a clean list: straight to the file
            df.write_csv(path, null_value="")
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc}") from exc
        return path
    buf = io.BytesIO()
    df.write_csv(buf, null_value="")
    text = buf.getvalue().decode("utf-8")
    if style.title:
        text = style.title + "," * (df.width - 1) + "\n" + text
    if style.footer:
        text = text + style.footer + "," * (df.width - 1) + "\n"
    data = text.encode(style.encoding, errors="replace")
    if style.bom:
        data = b"\xef\xbb\xbf" + data
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc}") from exc
    return path


def _write_xlsx(out: Path, typed: dict[int, pl.DataFrame], tables: dict[int, TableSchema], d: Draw, end: date,
                messy: bool) -> Path:
    import xlsxwriter

    too_big = [n for n, df in typed.items() if df.height > EXCEL_MAX_ROWS]
    if too_big:
        raise ConfigError(
            f"List {too_big[0]} has {typed[too_big[0]].height:,} rows, more than an Excel sheet holds",
            hint="use --format csv for a population this large",
        )
    frames: dict[int, pl.DataFrame] = dict(typed)
    styles = {n: FileStyle() for n in typed}
    if messy:
        frames, styles = make_messy({n: as_text(df) for n, df in typed.items()}, d, end)
    path = out / "annex_a.xlsx"
    with xlsxwriter.Workbook(str(path)) as wb:
        for n in sorted(frames):
            df, style = frames[n], styles[n]
            sheet = f"List {n}"
            first_row = 1 if style.title else 0
            df.write_excel(workbook=wb, worksheet=sheet, position=(first_row, 0), autofit=False,
                           table_style=None, dtype_formats={pl.Date: "dd/mm/yyyy"}, include_header=True)
            ws = wb.get_worksheet_by_name(sheet)
            if style.title:
                ws.write(0, 0, style.title)
            if style.footer:
                ws.write(first_row + df.height + 1, 0, style.footer)
    return path
