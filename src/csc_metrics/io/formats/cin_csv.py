"""Flattened CIN census CSVs (returns.md §1.5) reassembled into the same raw tables as the XML.

Shapes: (1) VCIN `xmltocsv` output, one `<Table>.csv` per module with a leading unnamed index column;
(2) analyst `Fake<Table>.csv` variants (same columns, ISO dates, true/false, some tables header-only or absent);
(3) the LIIA long event table, one row per dated event (`LAchildID, Date, Type` plus the episode and child
columns, `Factors` and `Disabilities` comma-joined, `LA`, `Year`), rebuilt by de-duplicating on the natural keys
of §2.1 (one census per `LA` and `Year`), with the warning §1.5 prescribes.
A set of module files in one folder is one census; a year in the file names splits a folder into censuses.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict
from pathlib import Path

import polars as pl

from csc_metrics.diagnostics import Diagnostic, Severity
from csc_metrics.errors import InputError
from csc_metrics.io.formats.cin_tables import RawCensus
from csc_metrics.io.formats.cin_xml import LINE
from csc_metrics.spec.tables import TableSchema

FILE = "__file"
LIIA = "liia"
# VCIN module -> table id; the signature columns that recognise it (all must be present)
MODULES: dict[str, tuple[str, set[str]]] = {
    "Header": ("cin_header", {"Collection", "ReferenceDate"}),
    "ChildIdentifiers": ("cin_child", {"LAchildID", "PersonBirthDate"}),
    "ChildCharacteristics": ("cin_child", {"LAchildID", "Ethnicity"}),
    "Disabilities": ("cin_disabilities", {"LAchildID", "Disability"}),
    "CINdetails": ("cin_details", {"LAchildID", "CINreferralDate", "CINdetailsID"}),
    "Assessments": ("cin_assessments", {"LAchildID", "AssessmentActualStartDate"}),
    "AssessmentFactorsList": ("cin_assessment_factors", {"LAchildID", "AssessmentFactor"}),
    "CINplanDates": ("cin_plan_dates", {"LAchildID", "CINPlanStartDate"}),
    "Section47": ("cin_s47", {"LAchildID", "S47ActualStartDate"}),
    "ChildProtectionPlans": ("cin_cpp", {"LAchildID", "CPPstartDate"}),
    "Reviews": ("cin_cpp_reviews", {"LAchildID", "CPPreviewDate"}),
}
# most specific first: ChildIdentifiers before ChildCharacteristics, event rows before modules
ORDER = ["Reviews", "AssessmentFactorsList", "Assessments", "CINplanDates", "Section47", "ChildProtectionPlans",
         "CINdetails", "Disabilities", "ChildIdentifiers", "ChildCharacteristics", "Header"]
INDEX_NAMES = {"", "unnamed: 0", "index", "unnamed_0"}
TABLE_IDS = ["cin_header", "cin_child", "cin_disabilities", "cin_details", "cin_assessments",
             "cin_assessment_factors", "cin_plan_dates", "cin_s47", "cin_cpp", "cin_cpp_reviews", "cin_pre_proceedings"]


def _header_row(head: bytes) -> list[str]:
    text = head.decode("utf-8-sig", errors="replace")
    first = text.splitlines()[0] if text else ""
    row = next(csv.reader(io.StringIO(first)), [])
    return [c.strip() for c in row]


def csv_shape(head: bytes) -> str | None:
    """The VCIN module name or `liia` a CSV's header row is, else None."""
    cells = [c for c in _header_row(head) if c.casefold() not in INDEX_NAMES]
    names = set(cells)
    if not names or "<" in head[:1].decode(errors="replace"):
        return None
    if {"LAchildID", "Date", "Type"} <= names:
        return LIIA
    for module in ORDER:
        if MODULES[module][1] <= names:
            if module == "ChildCharacteristics" and any("Date" in c for c in names):
                continue  # Ethnicity and no dates
            return module
    return None


def _read(path: Path) -> tuple[pl.DataFrame, str]:
    data = path.read_bytes()
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False, encoding="utf8-lossy", truncate_ragged_lines=True)
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"{path}: cannot be read as CSV: {exc}") from exc
    frame = frame.rename({c: c.lstrip("\ufeff").strip() for c in frame.columns})
    drop = [c for c in frame.columns if c.casefold() in INDEX_NAMES or c.startswith("_duplicated_")]
    frame = frame.drop(drop).with_columns(pl.col(c).str.strip_chars().replace("", None) for c in frame.columns
                                          if c not in drop)
    frame = frame.with_columns((pl.int_range(pl.len(), dtype=pl.UInt32) + 2).alias(LINE), pl.lit(str(path)).alias(FILE))
    return frame, hashlib.sha256(data).hexdigest()


def _rename(frame: pl.DataFrame, schema: TableSchema) -> pl.DataFrame:
    """Module columns -> canonical names (case-insensitive); `Sex` and `GenderCurrent` coalesced."""
    lookup: dict[str, str] = {}
    for col in schema.columns:
        for name in (col.header, *col.variants):
            lookup[name.casefold()] = col.name
    groups: dict[str, list[str]] = defaultdict(list)
    for c in frame.columns:
        if c.casefold() in lookup:
            groups[lookup[c.casefold()]].append(c)
    exprs = [pl.coalesce(cols).alias(name) if len(cols) > 1 else pl.col(cols[0]).alias(name)
             for name, cols in groups.items()]
    return frame.select(*exprs, LINE, FILE)


def _empty(schema: TableSchema) -> pl.DataFrame:
    return pl.DataFrame(schema={**{c.name: pl.String for c in schema.columns}, LINE: pl.UInt32, FILE: pl.String})


def read_csv_censuses(paths: list[Path], schemas: dict[str, TableSchema]) -> list[RawCensus]:
    """The censuses in a set of flattened CSVs."""
    groups: dict[tuple[Path, str | None], dict[str, Path]] = defaultdict(dict)
    liia: list[Path] = []
    for path in paths:
        with path.open("rb") as f:
            shape = csv_shape(f.read(65_536))
        if shape is None:
            raise InputError(f"{path}: not a flattened CIN census table", hint="see docs/cin-census.md for the shapes read")
        if shape == LIIA:
            liia.append(path)
            continue
        year = re.search(r"(?<!\d)(20\d\d)(?!\d)", path.stem)
        key = (path.parent, year.group(1) if year else None)
        if shape in groups[key]:
            raise InputError(f"{path}: a second {shape} table beside {groups[key][shape]}",
                             hint="put each census's tables in a folder of their own (or a year in each file name)")
        groups[key][shape] = path
    out = [_modules(files, schemas) for _, files in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1] or ""))]
    for path in liia:
        out += _liia(path, schemas)
    return out


def _modules(files: dict[str, Path], schemas: dict[str, TableSchema]) -> RawCensus:
    tables: dict[str, pl.DataFrame] = {}
    names: dict[str, str] = {}
    digests: dict[str, str] = {}
    read = {m: _read(p) for m, p in files.items()}
    for module, (frame, digest) in read.items():
        table = MODULES[module][0]
        renamed = _rename(frame, schemas[table])
        if table == "cin_child" and table in tables:  # identifiers and characteristics: one child row
            chars_now = module == "ChildCharacteristics"
            ident, chars = (tables[table], renamed) if chars_now else (renamed, tables[table])
            extra = [c for c in chars.columns if c not in ident.columns or c == "la_child_id"]
            tables[table] = ident.join(chars.select(extra).unique("la_child_id", keep="first"), on="la_child_id",
                                       how="left", maintain_order="left")
            if not chars_now:
                names[table], digests[table] = str(files[module]), digest
            continue
        tables[table] = renamed
        names[table], digests[table] = str(files[module]), digest
    for t in TABLE_IDS:
        if t not in tables:
            tables[t] = _empty(schemas[t])
    return RawCensus(tables, names, digests, xml=False)


EVENT_COLUMNS = {
    "cin_details": ("CINreferralDate", ["CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate",
                                        "ReasonForClosure", "ReferralNFA"]),
    "cin_assessments": ("AssessmentActualStartDate", ["AssessmentActualStartDate", "AssessmentInternalReviewDate",
                                                      "AssessmentAuthorisationDate"]),
    "cin_plan_dates": ("CINPlanStartDate", ["CINPlanStartDate", "CINPlanEndDate"]),
    "cin_s47": ("S47ActualStartDate", ["S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired"]),
    "cin_cpp": ("CPPstartDate", ["CPPstartDate", "CPPendDate", "InitialCategoryOfAbuse", "LatestCategoryOfAbuse",
                                 "NumberOfPreviousCPP"]),
}
CHILD_COLUMNS = ["UPN", "FormerUPN", "UPNunknown", "PersonBirthDate", "ExpectedPersonBirthDate", "GenderCurrent", "Sex",
                 "PersonDeathDate", "Ethnicity"]


def _col(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.String).alias(name)


def _liia(path: Path, schemas: dict[str, TableSchema]) -> list[RawCensus]:
    """One census per (LA, Year) of a LIIA long event table."""
    frame, digest = _read(path)
    if "LA" in frame.columns and (las := frame["LA"].drop_nulls().unique().sort().to_list()) and len(las) > 1:
        shown = ", ".join(las[:5]) + (", ..." if len(las) > 5 else "")
        raise InputError(f"{path}: a LIIA event table of {len(las)} local authorities (column `LA`: {shown}); "
                         "csc-metrics computes one authority's returns at a time",
                         hint="split the file by its `LA` column and give one authority's rows")
    by = [c for c in ("LA", "Year") if c in frame.columns]
    parts = frame.partition_by(by, maintain_order=True, as_dict=False) if by else [frame]
    return [_liia_census(part, path, digest, schemas) for part in parts]


def _liia_census(ev: pl.DataFrame, path: Path, digest: str, schemas: dict[str, TableSchema]) -> RawCensus:
    cid = "LAchildID"
    ev = ev.filter(pl.col(cid).is_not_null())
    ref = pl.col("CINreferralDate") if "CINreferralDate" in ev.columns else pl.lit(None, pl.String)
    ev = ev.with_columns(ref.alias("__ref"))
    tables: dict[str, pl.DataFrame] = {}
    child = ev.sort(LINE).unique(cid, keep="first", maintain_order=True)
    tables["cin_child"] = _rename(child.select(cid, *[_col(child, c) for c in CHILD_COLUMNS], LINE, FILE),
                                  schemas["cin_child"])
    dis = child.select(cid, _col(child, "Disabilities").str.split(",").alias("Disability"), LINE, FILE).explode(
        "Disability").with_columns(pl.col("Disability").str.strip_chars()).filter(
        pl.col("Disability").is_not_null() & (pl.col("Disability") != ""))
    tables["cin_disabilities"] = _rename(dis, schemas["cin_disabilities"])
    # episodes: one per (child, referral date), numbered by referral date
    det = ev.filter(pl.col("__ref").is_not_null()).sort(LINE)
    referral_rows = det.filter(pl.col("Type") == "CINreferralDate") if "Type" in det.columns else det
    det_keep = pl.concat([referral_rows, det], how="vertical").unique([cid, "__ref"], keep="first", maintain_order=True)
    det_keep = det_keep.with_columns(
        pl.col("__ref").str.to_date(strict=False).rank("dense").over(cid).cast(pl.String).alias("CINdetailsID"))
    ids = det_keep.select(cid, "__ref", "CINdetailsID")
    ev = ev.join(ids, on=[cid, "__ref"], how="left", maintain_order="left")
    for table, (key, cols) in EVENT_COLUMNS.items():
        if key not in ev.columns:
            tables[table] = _empty(schemas[table])
            continue
        rows = ev.filter(pl.col(key).is_not_null()).unique([cid, key], keep="first", maintain_order=True)
        extra = ["Factors"] if table == "cin_assessments" else []
        rows = rows.select(cid, "CINdetailsID", *[_col(rows, c) for c in [*cols, *extra]], LINE, FILE)
        if table in ("cin_assessments", "cin_cpp"):
            ordinal = "AssessmentID" if table == "cin_assessments" else "CPPID"
            rows = rows.with_columns(pl.col(key).str.to_date(strict=False).rank("dense").over(cid, "CINdetailsID")
                                     .cast(pl.String).alias(ordinal))
        tables[table] = rows
    # the CINdetails-level ICPC rides on the referral row; where an S47 of the episode shows the same date it is
    # taken as that S47's (the event table cannot tell them apart: returns.md §1.5 decision)
    icpc = _col(det_keep, "DateOfInitialCPC")
    details = det_keep.with_columns(icpc.alias("DateOfInitialCPC"))
    s47 = tables["cin_s47"]
    if s47.height and "DateOfInitialCPC" in s47.columns:
        same = s47.select(cid, "CINdetailsID", pl.col("DateOfInitialCPC").alias("__s47_icpc")).drop_nulls()
        details = details.join(same, left_on=[cid, "CINdetailsID", "DateOfInitialCPC"],
                               right_on=[cid, "CINdetailsID", "__s47_icpc"], how="anti", maintain_order="left").vstack(
            details.join(same, left_on=[cid, "CINdetailsID", "DateOfInitialCPC"],
                         right_on=[cid, "CINdetailsID", "__s47_icpc"], how="semi", maintain_order="left")
            .with_columns(pl.lit(None, pl.String).alias("DateOfInitialCPC"))).sort(LINE)
    tables["cin_details"] = _rename(details.select(cid, "CINdetailsID", *[_col(details, c) for c in
                                                   [*EVENT_COLUMNS["cin_details"][1], "DateOfInitialCPC"]], LINE, FILE),
                                    schemas["cin_details"])
    assess = tables.pop("cin_assessments")
    if assess.height:
        factors = assess.select(cid, "CINdetailsID", "AssessmentID", pl.col("Factors").str.split(",").alias(
            "AssessmentFactor"), LINE, FILE).explode("AssessmentFactor").with_columns(
            pl.col("AssessmentFactor").str.strip_chars()).filter(pl.col("AssessmentFactor").is_not_null()
                                                                 & (pl.col("AssessmentFactor") != ""))
        tables["cin_assessment_factors"] = _rename(factors, schemas["cin_assessment_factors"])
        tables["cin_assessments"] = _rename(assess.drop("Factors"), schemas["cin_assessments"])
    else:
        tables["cin_assessments"] = _empty(schemas["cin_assessments"])
    for table in ("cin_plan_dates", "cin_s47", "cin_cpp"):
        if tables[table].height:
            tables[table] = _rename(tables[table], schemas[table])
    cpp = ev.filter(pl.col("CPPstartDate").is_not_null()) if "CPPstartDate" in ev.columns else ev.clear()
    if "Type" in ev.columns and cpp.height:
        plans = tables["cin_cpp"].select("la_child_id", "cin_details_id", "cpp_id", "cpp_start_date")
        reviews = cpp.filter(pl.col("Type") == "CPPreviewDate").unique([cid, "CPPstartDate", "Date"], keep="first",
                                                                       maintain_order=True)
        reviews = reviews.join(plans, left_on=[cid, "CPPstartDate"], right_on=["la_child_id", "cpp_start_date"],
                               how="left", maintain_order="left")
        tables["cin_cpp_reviews"] = reviews.select(pl.col(cid).alias("la_child_id"), "cin_details_id", "cpp_id",
                                                   pl.col("Date").alias("cpp_review_date"), LINE, FILE)
    year = ev["Year"].drop_nulls().first() if "Year" in ev.columns and ev.height else None
    la = ev["LA"].drop_nulls().first() if "LA" in ev.columns and ev.height else None
    tables["cin_header"] = pl.DataFrame({"collection": ["CIN"], "year": [year], "lea": [la], LINE: [None], FILE: [str(path)]},
                                        schema={"collection": pl.String, "year": pl.String, "lea": pl.String,
                                                LINE: pl.UInt32, FILE: pl.String})
    for t in TABLE_IDS:
        if t not in tables or not tables[t].height:
            tables[t] = _empty(schemas[t]) if t not in tables or not tables[t].columns else tables[t]
    dobs = tables["cin_child"].select(_col(tables["cin_child"], "person_birth_date")).to_series().drop_nulls()
    degraded = dobs.len() > 0 and bool(dobs.str.to_date(strict=False).dt.day().eq(1).all())
    note = Diagnostic(
        code="CSC277", severity=Severity.WARNING, file=str(path),
        message="LIIA long event table: the census modules were rebuilt by de-duplicating on the natural keys; a "
        "CINdetails-level (transfer-in) ICPC with the same date as an S47's is taken as the S47's, so transfer-in "
        "ICPCs may be lost" + ("; dates of birth are all on the 1st of the month (degraded), so ages near a "
                               "birthday can be a month off" if degraded else ""),
        hint="load the census XML where you have it")
    return RawCensus(tables, {t: str(path) for t in tables}, {t: digest for t in tables}, xml=False,
                     diagnostics=[note])
