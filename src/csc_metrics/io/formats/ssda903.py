"""SSDA903 (children looked after return): the DfE CSV tables and the `EXPSSDA903` XML, one `Return` per
collection year.

- CSV tables are recognised by their columns (`definitions/tables/ssda903_*.yaml`, `match: all`): headers
  upper-cased, BOM and spaces stripped, a leading unnamed index column ignored; extra columns are allowed and
  reported (CSC218). Dates `dd/mm/yyyy` and ISO both read.
- The XML is flattened to the same tables (returns.md §1.2) by a streaming parser (expat, one child at a time).
- Collection year (returns.md §2.1, §6.2): Episodes from content (the year ending of the latest DECOM); other
  tables from the 4-digit year in the file name, else the year of the Episodes delivered in the same folder;
  `--year` overrides everything; file name and a `YEAR` column are cross-checks (CSC221). A table that cannot
  be dated is refused (CSC222).
- Codes are read with one union code set per column; a code outside its collection year is a warning (CSC220),
  and codes with `read_as` (SEX 1/2 -> M/F, 0/9 -> U) are then read as their replacement."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from csc_metrics.diagnostics import Diagnostic, Severity
from csc_metrics.errors import InputError
from csc_metrics.io.formats.base import CollectionPeriod, Return, read_options
from csc_metrics.io.formats.xml import XmlSource, root_name
from csc_metrics.io.model import KEY, ROW, SRC, TableData
from csc_metrics.spec.tables import CodeSet, ColumnType

if TYPE_CHECKING:
    from csc_metrics.spec.loader import Definitions

NAME = "ssda903"
EPISODES = "ssda903_episodes"
HEADER = "ssda903_header"
YEAR = "year"
XML_ROOT = "EXPSSDA903"
# DfE 903 columns other than CHILD, SEX and DOB: a CSV whose header has CHILD and one of these is a 903 table
DFE_COLUMNS = frozenset(["ETHNIC", "UPN", "MOTHER", "MC_DOB", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN", "DUC", "REVIEW", "REVIEW_CODE", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED", "IN_TOUCH", "ACTIV", "ACCOM", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED", "PREV_PERM", "LA_PERM", "DATE_PERM", "MISSING", "MIS_START", "MIS_END", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON", "DOLO_START", "DOLO_END"])
_YEAR_IN_NAME = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


def header_cells(head: bytes) -> list[str]:
    """The first line of a CSV as normalised 903 headers: BOM and spaces stripped, upper-cased, a leading
    empty or `Unnamed: 0` (pandas index) cell dropped."""
    import codecs
    import csv
    import io

    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head[:4096].decode("utf-16", errors="ignore").encode("utf-8")
    line = head.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8-sig", errors="replace")
    try:
        cells = [c.strip().upper() for c in next(csv.reader(io.StringIO(line)), [])]
    except csv.Error:
        return []
    if cells and cells[0] in ("", "UNNAMED: 0"):
        cells = cells[1:]
    return cells


def year_ending(d: date) -> int:
    """The collection year (year ending 31 March) a date falls in."""
    return d.year if d.month <= 3 else d.year + 1


def name_year(path: str) -> int | None:
    """The 4-digit year in a file name, read as the year ending (`SSDA903_2025_oc3.csv` -> 2025); None when
    there is none or several different ones."""
    years = set(_YEAR_IN_NAME.findall(Path(path).name))
    return int(years.pop()) if len(years) == 1 else None


class Ssda903Format:
    """SSDA903 tables (CSV) and the EXPSSDA903 XML."""

    name = NAME

    def detect(self, path: Path, head: bytes) -> bool:
        suffix = path.suffix.lower()
        if suffix == ".xml":
            return root_name(head) == XML_ROOT
        if suffix != ".csv":
            return False
        cells = set(header_cells(head))
        return "CHILD" in cells and bool(cells & DFE_COLUMNS)

    def read(self, paths: list[Path], definitions: Definitions) -> list[Return]:
        from csc_metrics.io.reader import read_sheets

        opts = read_options()
        schemas = [t for t in definitions.tables.values() if t.format == NAME and t.id not in definitions.derived]
        if not schemas:
            raise InputError(f"{paths[0]}: an SSDA903 table, but the definitions have no SSDA903 table schemas",
                             hint="use the standard definitions, or add definitions/tables/ssda903_*.yaml")
        csvs = [p for p in paths if p.suffix.lower() != ".xml"]
        xmls = [p for p in paths if p.suffix.lower() == ".xml"]
        diags: list[Diagnostic] = []
        unrecognised: list[dict] = []
        parts: list[TableData] = []
        if csvs:
            read = read_sheets(csvs, set(opts.named), definitions, schemas, digests=opts.digests)
            diags += read.diagnostics
            unrecognised += read.unrecognised
            parts += [part for td in read.tables.values() for part in _split_sources(td)]
        for path in xmls:
            from csc_metrics.io.formats.ssda903_xml import read_xml

            xml_tables, xml_diags = read_xml(path, definitions, digest=opts.digests)
            diags += xml_diags
            parts += xml_tables
        dated, year_diags, refused = date_parts(parts, opts.year, opts.named)
        diags += year_diags
        unrecognised += refused
        returns: dict[int, dict[str, list[TableData]]] = defaultdict(lambda: defaultdict(list))
        for td in dated:
            years = td.frame[YEAR].unique().sort().to_list()
            for y in years:
                rows = td.frame if years == [y] and y is not None else td.frame.filter(pl.col(YEAR) == y)
                returns[y][td.schema.id].append(TableData(td.schema, rows, td.sources))
        out: list[Return] = []
        codes = definitions.code_sets
        from csc_metrics.io.formats.registry import concat_sources

        for y in sorted(returns):
            tables: dict[str, TableData] = {}
            for tid, items in returns[y].items():
                td = concat_sources(items)
                frame, code_diags = code_years(td, codes)
                diags += code_diags
                tables[tid] = TableData(td.schema, frame, td.sources)
            out.append(Return(NAME, CollectionPeriod.collection_year(y), tables))
        if out:
            out[0].diagnostics, out[0].unrecognised = diags, unrecognised
            out[-1].diagnostics += missing_from_header(out)
        elif diags or unrecognised:
            out.append(Return(NAME, None, {}, diags, unrecognised))
        return out


def _split_sources(td: TableData) -> list[TableData]:
    """The rows of each source of a table, as a table of its own (`__src` 0), in the order of the sources."""
    src = td.frame[SRC]
    if src.is_sorted():  # the reader's order (source by source): slices, no copy
        runs = src.rle()
        starts = [0, *runs.struct.field("len").cum_sum().to_list()]
        values = runs.struct.field("value").to_list()
        parts = {(v,): td.frame.slice(a, b - a) for v, a, b in zip(values, starts, starts[1:], strict=False)}
    else:
        parts = td.frame.partition_by(SRC, as_dict=True, maintain_order=True)
    out = []
    for i, source in enumerate(td.sources):
        rows = parts.get((i,), td.frame.clear()).with_columns(pl.lit(0, dtype=pl.UInt16).alias(SRC))
        out.append(TableData(td.schema, rows, [source]))
    return out


def _max_decom(td: TableData) -> date | None:
    return td.frame["decom"].max() if "decom" in td.frame.columns else None  # type: ignore[return-value]


def date_parts(parts: list[TableData], override: int | None,
               named: frozenset[Path]) -> tuple[list[TableData], list[Diagnostic], list[dict]]:
    """Each file's table with its `year` column (Int32, year ending); files that cannot be dated are
    refused (a file named on the command line: InputError)."""
    diags: list[Diagnostic] = []
    refused: list[dict] = []
    content: dict[int, int | None] = {}
    folder_years: dict[Path, set[int]] = defaultdict(set)
    for n, td in enumerate(parts):
        if td.schema.id == EPISODES:
            latest = _max_decom(td)
            content[n] = year_ending(latest) if latest is not None else None
            if content[n] is not None:
                folder_years[Path(td.sources[0].path).parent].add(content[n])  # type: ignore[arg-type]
    by_path: dict[str, int] = {}  # an XML file's tables all take the year of its episodes
    for n, td in enumerate(parts):
        if n in content and content[n] is not None and isinstance(td.sources[0], XmlSource):
            by_path[td.sources[0].path] = content[n]  # type: ignore[assignment]
    out: list[TableData] = []
    for n, td in enumerate(parts):
        src = td.sources[0]
        where: dict[str, Any] = dict(file=src.path, sheet=src.sheet)
        in_name = name_year(src.path)
        in_column = sorted(td.frame[YEAR].drop_nulls().unique().to_list()) if YEAR in td.frame.columns else []
        from_content = content.get(n) or by_path.get(src.path)
        folder = folder_years.get(Path(src.path).parent, set())
        label = CollectionPeriod.collection_year
        if override is not None:
            year, how = override, "--year"
        elif len(in_column) > 1:
            year, how = None, "its YEAR column"  # a stacked file: each row's YEAR is its return
        elif from_content is not None:
            year, how = from_content, "the latest DECOM" if td.schema.id == EPISODES else "its episodes"
        elif in_column:
            year, how = int(in_column[0]), "its YEAR column"
        elif in_name is not None:
            year, how = in_name, "the file name"
        elif len(folder) == 1:
            year, how = next(iter(folder)), "the Episodes file in the same folder"
        else:
            reason = ("cannot tell which collection year this SSDA903 table is for"
                      + (" (the folder holds Episodes of several years)" if folder else ""))
            hint = "put the year ending in the file name (e.g. SSDA903_2025_header.csv), or pass --year 2025"
            if Path(src.path) in named:
                raise InputError(f"{src.label}: {reason}", hint=hint)
            diags.append(Diagnostic(code="CSC222", severity=Severity.ERROR, message=f"not read: {reason}",
                                    hint=hint, **where))
            refused.append({"path": src.path, "sheet": src.sheet, "reason": reason})
            continue
        checks = {"the file name": in_name, "its YEAR column": int(in_column[0]) if len(in_column) == 1 else None}
        if how != "the latest DECOM" and td.schema.id == EPISODES and from_content is not None:
            checks["the latest DECOM"] = from_content
        for what, other in checks.items():
            if other is not None and year is not None and other != year and what != how:
                diags.append(Diagnostic(
                    code="CSC221", severity=Severity.WARNING, **where,
                    message=f"{td.schema.id}: {what} says {label(other).label}, read as {label(year).label} "
                            f"(from {how})",
                    hint="check the file is the return you meant; --year sets the year when the content is wrong"))
        col = pl.col(YEAR).cast(pl.Int32) if year is None else pl.lit(year, dtype=pl.Int32)
        frame = td.frame.with_columns(col.alias(YEAR))
        if year is None and frame[YEAR].null_count():
            frame = frame.filter(pl.col(YEAR).is_not_null())
        out.append(TableData(td.schema, frame, td.sources))
    return out, diags, refused


def code_years(td: TableData, code_sets: dict[str, CodeSet]) -> tuple[pl.DataFrame, list[Diagnostic]]:
    """Codes outside their collection year (CSC220, a warning per row, capped), then `read_as` applied."""
    from csc_metrics.io.diagnose import rows_to_diagnostics

    frame = td.frame
    diags: list[Diagnostic] = []
    for col in td.schema.columns:
        cs = code_sets.get(col.code_set or "") if col.type is ColumnType.CODE else None
        if cs is None or not cs.has_years or col.name not in frame.columns:
            continue
        ranges = pl.DataFrame(
            {"__code": [c.code for c in cs.codes], "__from": [c.valid_from for c in cs.codes],
             "__to": [c.valid_to for c in cs.codes]},
            schema={"__code": pl.String, "__from": pl.Int32, "__to": pl.Int32})
        values = frame.select(SRC, ROW, YEAR, pl.col(col.name).cast(pl.String).alias("__code"))
        outside = values.join(ranges, on="__code", how="inner").filter(
            (pl.col(YEAR) < pl.col("__from").fill_null(0)) | (pl.col(YEAR) > pl.col("__to").fill_null(9999)))
        for (code, y), rows in outside.group_by(["__code", YEAR], maintain_order=True):
            c = next(x for x in cs.codes if x.code == code)
            years = _years_text(c.valid_from, c.valid_to)
            diags += rows_to_diagnostics(
                rows.select(SRC, ROW, pl.col("__code").alias("value")), td.sources, code="CSC220", field=col.name,
                message=f"`{col.header}` code {code} is not in the {CollectionPeriod.collection_year(y).label} "
                        f"code list ({years}); read as it is",
                hint="check the code against that year's SSDA903 guide")
        mapping = {c.code: c.read_as for c in cs.codes if c.read_as}
        if mapping:
            frame = frame.with_columns(pl.col(col.name).cast(pl.String).replace(mapping).alias(col.name))
    return frame, diags


def _years_text(lo: int | None, hi: int | None) -> str:
    label = CollectionPeriod.collection_year
    if lo and hi:
        return f"valid {label(lo).label} to {label(hi).label}"
    return f"valid from {label(lo).label}" if lo else f"valid up to {label(hi).label}"  # type: ignore[arg-type]


def missing_from_header(returns: list[Return]) -> list[Diagnostic]:
    """Children in a year's Episodes with no row in that year's Header (CSC223, one warning per file)."""
    out: list[Diagnostic] = []
    for r in returns:
        eps, head = r.tables.get(EPISODES), r.tables.get(HEADER)
        if eps is None or head is None or r.period is None:
            continue
        missing = (eps.frame.select(SRC, "child").drop_nulls().unique()
                   .join(head.frame.select("child").drop_nulls().unique(), on="child", how="anti"))
        for (src,), rows in missing.group_by([SRC], maintain_order=True):
            s = eps.sources[src]
            out.append(Diagnostic(code="CSC223", severity=Severity.WARNING, file=s.path, sheet=s.sheet,
                                  count=rows.height,
                                  message=f"{rows.height} child(ren) in these {r.period.label} Episodes have no row "
                                          f"in the {r.period.label} Header",
                                  hint="add them to the Header (sex, date of birth, ethnicity), or check the child ids"))
    return out


__all__ = ["Ssda903Format", "year_ending", "name_year", "header_cells", "KEY"]


def repair_diagnostics(tables: dict[str, TableData]) -> list[Diagnostic]:
    """The episode repairs (R0-R12, `csc_metrics.derive.ssda903.repair_episodes`) the stacked Episodes need,
    one warning per repair with file and row, so `validate` and `compute` report them (the tables stay as
    read; the derived tables repair them again when built)."""
    eps = tables.get(EPISODES)
    if eps is None or eps.frame.is_empty():
        return []
    from csc_metrics.derive.ssda903 import findings_to_diagnostics, repair_episodes

    head = tables.get(HEADER)
    _, findings = repair_episodes(eps.frame, head.frame if head is not None else None)
    if findings.is_empty():
        return []
    years = findings["year"].drop_nulls().unique().to_list() if "year" in findings.columns else []
    sources = {int(y): {EPISODES: eps.sources, **({HEADER: head.sources} if head else {})} for y in years}
    return findings_to_diagnostics(findings, sources)
