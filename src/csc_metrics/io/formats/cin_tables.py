"""Raw CIN census tables (from the XML stream or the flattened CSVs) -> one typed `Return`.

Typing is the reader's own (`convert_columns`, per the YAML schemas in `definitions/tables/cin_census.yaml`);
then the census year is fixed (returns.md §2.1, §6.10) and the census checks run (NFA with activity, UPN and
UPNunknown, codes outside their year, dates after the reference date or in the wrong order, events before
birth). XML diagnostics carry the element path and line; CSV ones the file and row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl

from csc_metrics.diagnostics import Diagnostic, Severity
from csc_metrics.errors import InputError
from csc_metrics.io.convert import convert_columns
from csc_metrics.io.diagnose import MAX_PER_GROUP, SEVERITY, conversion_message
from csc_metrics.io.formats.base import CollectionPeriod, Return
from csc_metrics.io.formats.cin_xml import DET, INTERNAL, LINE, ORD, PAR, POS, element_path
from csc_metrics.io.model import ROW, SRC, SourceInfo, TableData
from csc_metrics.spec.tables import CodeSet, TableSchema

FORMAT = "cin_census"
YEAR = "census_year"
SEQ = "__seq"
# table -> the internal column holding each reader-made ordinal (XML only)
ORDINALS: dict[str, dict[str, str]] = {
    "cin_details": {"cin_details_id": DET},
    "cin_assessments": {"cin_details_id": DET, "assessment_id": ORD},
    "cin_assessment_factors": {"cin_details_id": DET, "assessment_id": PAR},
    "cin_plan_dates": {"cin_details_id": DET},
    "cin_s47": {"cin_details_id": DET},
    "cin_cpp": {"cin_details_id": DET, "cpp_id": ORD},
    "cin_cpp_reviews": {"cin_details_id": DET, "cpp_id": PAR},
    "cin_pre_proceedings": {"cin_details_id": DET},
}
ACTIVITY = ["cin_assessments", "cin_plan_dates", "cin_s47", "cin_cpp"]  # §6.11, with a CINdetails-level ICPC


def year_label(year_ending: int) -> str:
    """`2024-25` for 2025."""
    return CollectionPeriod.collection_year(year_ending).label


@dataclass
class RawCensus:
    """One census as raw text tables. XML: internal columns `__line`, `__pos`, `__d`, `__a`, `__o`;
    CSV: `__line` (the file's row) and `__file` per table."""

    tables: dict[str, pl.DataFrame]
    files: dict[str, str]  # table -> file it came from
    sha256: dict[str, str]
    xml: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)
    elements: set[str] = field(default_factory=set)
    encoding: str | None = "utf-8"


@dataclass
class _Ctx:
    raw: RawCensus
    schemas: dict[str, TableSchema]
    code_sets: dict[str, CodeSet]

    def header(self, table: str, column: str) -> str:
        col = self.schemas[table].column(column)
        return col.header if col else column


def census_return(raw: RawCensus, schemas: dict[str, TableSchema], code_sets: dict[str, CodeSet],
                  year: int | None = None) -> Return:
    """Type `raw`, fix its census year, run the census checks; `year`: an override (year ending)."""
    ctx = _Ctx(raw, schemas, code_sets)
    diags = list(raw.diagnostics)
    if raw.xml:
        _join_child_ids(raw)
    typed: dict[str, pl.DataFrame] = {}
    for table, frame in raw.tables.items():
        t, problems = _type(frame, schemas[table], code_sets, raw.xml, table)
        typed[table] = t
        diags += _problem_diagnostics(problems, t, table, ctx)
    end, year_diags = census_end(typed, raw, year)
    diags += year_diags
    period = CollectionPeriod(_year_before(end) + timedelta(days=1), end)
    diags += census_checks(typed, ctx, end)
    tables: dict[str, TableData] = {}
    for table, frame in typed.items():
        schema = schemas[table]
        out = frame.with_columns(pl.lit(end.year, dtype=pl.Int32).alias(YEAR), pl.lit(0, dtype=pl.UInt16).alias(SRC),
                                 pl.col(LINE).alias(ROW)).select(*schema.column_names, YEAR, SRC, ROW)
        headers = [{"header": c.header, "column": c.name, "letter": None} for c in schema.columns
                   if raw.xml or c.name in raw.tables[table].columns]  # XML: every element is read if present
        source = SourceInfo(raw.files.get(table, ""), None, table, out.height, 0, raw.encoding,
                            raw.sha256.get(table, ""), (period.start, period.end), headers)
        tables[table] = TableData(schema, out, [source])
    return Return(format=FORMAT, period=period, tables=tables, diagnostics=diags)


def _year_before(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return d.replace(year=d.year - 1, day=28)


def _join_child_ids(raw: RawCensus) -> None:
    """XML: every table's `la_child_id` from its Child (by position), so element order never matters."""
    ids = raw.tables["cin_child"].select(POS, "la_child_id")
    for table, frame in raw.tables.items():
        if table not in ("cin_child", "cin_header"):
            raw.tables[table] = frame.join(ids, on=POS, how="left", maintain_order="left")


def _type(frame: pl.DataFrame, schema: TableSchema, code_sets: dict[str, CodeSet], xml: bool,
          table: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(typed frame with the internal columns kept, conversion problems keyed by `__seq`)."""
    frame = frame.with_row_index(SEQ)
    if xml:
        frame = frame.with_columns(pl.col(src).cast(pl.String).alias(col) for col, src in ORDINALS.get(table, {}).items())
    raw = frame.select(pl.col(SEQ).alias(ROW), *[c for c in schema.column_names if c in frame.columns])
    typed, problems = convert_columns(raw, schema, code_sets)
    keep = [c for c in [*INTERNAL, "__file"] if c in frame.columns]
    typed = pl.concat([typed.drop(ROW), frame.select(SEQ, *keep)], how="horizontal")
    return typed, problems


def _where(table: str, rec: dict, raw: RawCensus, element: str | None = None) -> dict:
    """Diagnostic location fields of one row: element path and line (XML), or file and row (CSV)."""
    if raw.xml:
        return {"file": raw.files.get(table), "element": element_path(
            table, rec.get(POS), rec.get(DET), rec.get(PAR), rec.get(ORD), element), "line": rec.get(LINE)}
    return {"file": rec.get("__file") or raw.files.get(table), "line": rec.get(LINE)}


def _problem_diagnostics(problems: pl.DataFrame, typed: pl.DataFrame, table: str, ctx: _Ctx) -> list[Diagnostic]:
    schema, raw = ctx.schemas[table], ctx.raw
    if problems.is_empty():
        return []
    at = typed.select(SEQ, *[c for c in [*INTERNAL, "__file"] if c in typed.columns])
    found = problems.rename({ROW: SEQ}).with_columns(pl.col(SEQ).cast(pl.UInt32)).join(at, on=SEQ, how="left")
    out: list[Diagnostic] = []
    for (name, code), group in found.sort(SEQ).group_by(["field", "code"], maintain_order=True):
        message, hint = conversion_message(code, schema, name, ctx.code_sets)
        col = schema.column(name)
        element = col.header if col else name
        for rec in group.head(MAX_PER_GROUP).iter_rows(named=True):
            out.append(Diagnostic(code=code, severity=SEVERITY.get(code, Severity.ERROR), message=message, hint=hint,
                                  field=name, value=rec["value"], **_where(table, rec, raw, element)))
        if group.height > MAX_PER_GROUP:
            out.append(Diagnostic(code=code, severity=SEVERITY.get(code, Severity.ERROR), field=name,
                                  message=message + f" (and {group.height - MAX_PER_GROUP} more)",
                                  count=group.height - MAX_PER_GROUP, file=raw.files.get(table)))
    return out


def census_end(typed: dict[str, pl.DataFrame], raw: RawCensus, override: int | None = None) -> tuple[date, list[Diagnostic]]:
    """The census reference date E (returns.md §2.1 CIN rule, §6.10): `ReferenceDate` when it is a 31 March;
    else 31 March of `Year`; else from the latest `CINreferralDate` (year ending); an override wins."""
    header = typed.get("cin_header")
    ref = year = None
    if header is not None and header.height:
        ref, year = header["reference_date"][0], header["year"][0]
    file = raw.files.get("cin_header") or next(iter(raw.files.values()), None)
    where: dict[str, Any] = {"file": file, **({"element": "Message/Header/CollectionDetails", "line": 1} if raw.xml else {})}
    if raw.xml and header is not None and header.height:
        where["line"] = header[LINE][0]
    diags: list[Diagnostic] = []

    def warn(message: str, hint: str) -> None:
        diags.append(Diagnostic(code="CSC221", severity=Severity.WARNING, message=message, hint=hint, **where))

    content = None
    details = typed.get("cin_details")
    if details is not None and details["cin_referral_date"].drop_nulls().len():
        latest = details["cin_referral_date"].max()
        content = latest.year if latest.month <= 3 else latest.year + 1  # type: ignore[union-attr]
    if ref is not None and (ref.month, ref.day) == (3, 31):
        end = ref
        if year is not None and year != ref.year:
            warn(f"`Year` {year} disagrees with `ReferenceDate` {ref.isoformat()}; the census is {year_label(ref.year)} "
                 "(the reference date wins)", "correct `Year` in the census header")
    elif year is not None and 2000 <= year <= 2100:
        end = date(year, 3, 31)
        if ref is not None:
            warn(f"`ReferenceDate` {ref.isoformat()} is not a 31 March; the census is read as {year_label(year)} "
                 f"(31 March of `Year`)", "the census reference date is 31 March; correct the header")
        else:
            warn(f"no `ReferenceDate`; the census is read as {year_label(year)} from `Year`", "add the header")
    elif content is not None:
        end = date(content, 3, 31)
        warn(f"no usable `ReferenceDate` or `Year`; the census is read as {year_label(content)} from its latest "
             "referral date", "add the census header (Year, ReferenceDate)")
    elif override is None:
        raise InputError(f"{file}: cannot tell which census year this is (no ReferenceDate, Year or referral dates)",
                         hint="check the file is a CIN census, or give the year")
    else:
        end = date(override, 3, 31)
    if override is not None and override != end.year:
        warn(f"the census reads as {year_label(end.year)} but {year_label(override)} was given; the given year is used",
             "check the year given")
        end = date(override, 3, 31)
    return end, diags


def _rows_diags(rows: pl.DataFrame, table: str, ctx: _Ctx, *, code: str, severity: Severity, message: str,
                hint: str, field_: str | None = None, value: str | None = None) -> list[Diagnostic]:
    """One diagnostic per row (capped), located by element path or file row."""
    out = []
    raw = ctx.raw
    for rec in rows.head(MAX_PER_GROUP).iter_rows(named=True):
        element = ctx.header(table, field_) if field_ is not None else None
        out.append(Diagnostic(code=code, severity=severity, message=message, hint=hint, field=field_,
                              value=None if value is None else (str(rec[value]) if rec.get(value) is not None else None),
                              **_where(table, rec, raw, element)))
    if rows.height > MAX_PER_GROUP:
        out.append(Diagnostic(code=code, severity=severity, message=message + f" (and {rows.height - MAX_PER_GROUP} more)",
                              hint=hint, count=rows.height - MAX_PER_GROUP, file=raw.files.get(table)))
    return out


def census_checks(typed: dict[str, pl.DataFrame], ctx: _Ctx, end: date) -> list[Diagnostic]:
    """The census's own checks (returns.md §1.7, §2.10), one diagnostic per row found."""
    out: list[Diagnostic] = []
    raw = ctx.raw
    key = [POS, "cin_details_id"] if raw.xml else ["la_child_id", "cin_details_id"]
    det = typed.get("cin_details")
    if det is not None and det.height:
        active = [typed[t].select(key) for t in ACTIVITY if t in typed and typed[t].height]
        activity = pl.concat(active).unique() if active else pl.DataFrame(schema={k: det.schema[k] for k in key})
        nfa = det.filter(pl.col("referral_nfa") == "Y")
        flagged = nfa.join(activity, on=key, how="semi")
        flagged = pl.concat([flagged, nfa.filter(pl.col("date_of_initial_cpc").is_not_null())]).unique(SEQ).sort(SEQ)
        out += _rows_diags(flagged, "cin_details", ctx, code="CSC272", severity=Severity.WARNING, field_="referral_nfa",
                           message="`ReferralNFA` is true but the referral has an assessment, CIN plan, S47, CP plan "
                           "or ICPC; it is counted as not NFA", hint="correct ReferralNFA (VCIN 8831/8832)")
        n0 = det.filter((pl.col("primary_need_code") == "N0") & (pl.col("referral_nfa") != "Y")).join(
            activity, on=key, how="semi")
        out += _rows_diags(n0, "cin_details", ctx, code="CSC276", severity=Severity.WARNING, field_="primary_need_code",
                           message="`PrimaryNeedCode` is N0 (not stated) on an episode with recorded activity",
                           hint="record the child's primary need")
    child = typed.get("cin_child")
    if child is not None and child.height:
        both = child.filter(pl.col("upn").is_not_null() & pl.col("upn_unknown").is_not_null())
        out += _rows_diags(both, "cin_child", ctx, code="CSC273", severity=Severity.WARNING, field_="upn_unknown",
                           message="both `UPN` and `UPNunknown` are given", hint="give a UPN or a reason it is not known")
    out += _year_codes(typed, ctx, end)
    out += _date_checks(typed, ctx, end)
    return out


def _year_codes(typed: dict[str, pl.DataFrame], ctx: _Ctx, end: date) -> list[Diagnostic]:
    """Codes and elements outside the census year's list (union code map, warnings: returns.md §1.3)."""
    out: list[Diagnostic] = []
    raw = ctx.raw
    y = end.year
    for table, frame in typed.items():
        if not frame.height:
            continue
        for col in ctx.schemas[table].columns:
            cs = ctx.code_sets.get(col.code_set or "")
            if cs is None:
                continue
            for c in cs.codes:
                if c.valid_in(y):
                    continue
                rows = frame.filter(pl.col(col.name) == c.code)
                span = " ".join(x for x in (f"from {year_label(c.valid_from)}" if c.valid_from else "",
                                            f"up to {year_label(c.valid_to)}" if c.valid_to else "") if x)
                out += _rows_diags(rows, table, ctx, code="CSC220", severity=Severity.WARNING, field_=col.name,
                                   value=col.name, message=f"`{col.header}` code {c.code} is collected {span}, not "
                                   f"in {year_label(y)}; read as it is",
                                   hint="check the code against this year's census guide")
    if raw.xml and y >= 2025 and "GenderCurrent" in raw.elements:
        out.append(Diagnostic(code="CSC220", severity=Severity.WARNING, file=raw.files.get("cin_child"),
                              message=f"`GenderCurrent` is used in a {year_label(y)} census, where `Sex` (M/F/U) replaced it; "
                              "read as Sex (1 -> M, 2 -> F, 0 and 9 -> U)", hint="export with the current schema"))
    numeric = raw.tables.get("cin_child")
    if y >= 2025 and (not raw.xml or "Sex" in raw.elements) and numeric is not None and "sex" in numeric.columns:
        rows = typed["cin_child"].filter(numeric["sex"].str.strip_chars().is_in(["0", "1", "2", "9"]))
        out += _rows_diags(rows, "cin_child", ctx, code="CSC220", severity=Severity.WARNING, field_="sex", value="sex",
                           message=f"`Sex` is written as a GenderCurrent number in a {year_label(y)} census; "
                           "read as M/F/U", hint="use M, F or U")
    return out


DATE_PAIRS = [("cin_details", "cin_referral_date", "cin_closure_date"),
              ("cin_assessments", "assessment_actual_start_date", "assessment_authorisation_date"),
              ("cin_plan_dates", "cin_plan_start_date", "cin_plan_end_date"),
              ("cin_cpp", "cpp_start_date", "cpp_end_date")]


def _date_checks(typed: dict[str, pl.DataFrame], ctx: _Ctx, end: date) -> list[Diagnostic]:
    """Dates after the census reference date, end before start, events before the child's birth."""
    out: list[Diagnostic] = []
    for table, start, stop in DATE_PAIRS:
        frame = typed.get(table)
        if frame is None or not frame.height:
            continue
        rows = frame.filter(pl.col(stop) < pl.col(start))
        out += _rows_diags(rows, table, ctx, code="CSC205", severity=Severity.WARNING, field_=stop, value=stop,
                           message=f"`{ctx.header(table, stop)}` is before `{ctx.header(table, start)}`",
                           hint="check both dates in the source system")
    births: pl.LazyFrame | None = None
    child = typed.get("cin_child")
    if child is not None and child.height:
        births = child.lazy().select("la_child_id", "person_birth_date").drop_nulls().unique("la_child_id")
    checks: list[tuple[str, str, pl.LazyFrame, pl.LazyFrame | None]] = []  # (table, column, late, early)
    for table, frame in typed.items():
        if table in ("cin_header", "cin_child") or not frame.height:
            continue
        lazy = frame.lazy()
        born = lazy.join(births, on="la_child_id", how="inner", maintain_order="left") if births is not None else None
        for name, dtype in frame.schema.items():
            if dtype != pl.Date or name in INTERNAL or name == "initial_cpc_target":  # a target may be after E
                continue
            early = None if born is None else born.filter(  # allow pre-birth work
                pl.col(name) < pl.col("person_birth_date") - pl.duration(days=273))
            checks.append((table, name, lazy.filter(pl.col(name) > end), early))
    found = iter(pl.collect_all([f for _, _, late, early in checks for f in (late, early) if f is not None]))
    for table, name, _, early in checks:
        header = ctx.header(table, name)
        out += _rows_diags(next(found), table, ctx, code="CSC275", severity=Severity.WARNING, field_=name, value=name,
                           message=f"`{header}` is after the census reference date {end.isoformat()}",
                           hint="check the date; a census holds no events after its reference date")
        if early is not None:
            out += _rows_diags(next(found), table, ctx, code="CSC207", severity=Severity.WARNING, field_=name,
                               value=name, message=f"`{header}` is more than 9 months before the child's date of birth",
                               hint="check the date and the date of birth")
    return out


def cin_schemas(definitions_tables: dict[str, TableSchema]) -> dict[str, TableSchema]:
    """The CIN table schemas from the definitions; InputError when one is missing."""
    from csc_metrics.io.formats.cin_xml import TABLES

    missing = [t for t in TABLES if t not in definitions_tables]
    if missing:
        raise InputError(f"the definitions lack the CIN census tables {', '.join(missing)}",
                         hint="use the standard definitions or copy definitions/tables/cin_census.yaml")
    return {t: definitions_tables[t] for t in TABLES}

