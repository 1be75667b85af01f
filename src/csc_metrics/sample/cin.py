"""The CIN census of a synthetic sample: one XML file per collection year, for the SAME children and referrals as
the Annex A lists (the journeys of `lists.simulate`), optionally also flattened to VCIN-style CSVs.

A census for year Y (1 April Y-1 .. 31 March Y) holds every child with a referral in the year or an episode open
at its start, each CINdetails with the assessments, CIN plans (from 2021-22), S47 enquiries, CP plans and
reviews that overlap the year. The referral, assessment, S47, ICPC and plan dates are those of Lists 3-7;
primary need and categories of abuse are List 6's and List 7's. Everything is built with polars string
expressions, no loop over children. `messy` adds the CIN defects of returns.md §1.7.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from csc_metrics.errors import InputError
from csc_metrics.sample.draw import Draw, add_working_days, days
from csc_metrics.sample.journeys import Window, review_delay
from csc_metrics.sample.lists import Journeys

FACTORS = {"3B": 0.18, "4B": 0.14, "1B": 0.06, "2B": 0.07, "16A": 0.09, "17A": 0.08, "18B": 0.02, "18C": 0.03,
           "4A": 0.07, "14A": 0.03, "6B": 0.03, "5B": 0.02, "3A": 0.04, "10A": 0.02, "11A": 0.015, "24A": 0.02,
           "20": 0.04, "15A": 0.02, "13A": 0.01, "7A": 0.01}
FACTORS_OLD = {k: v for k, v in FACTORS.items() if k not in ("18B", "18C", "24A")}
DISABILITY = {"LD": 0.3, "AUT": 0.3, "COMM": 0.15, "BEH": 0.1, "MOB": 0.07, "HEAR": 0.03, "VIS": 0.03, "PC": 0.02}
GENDER_CURRENT = {"M": "1", "F": "2", "U": "0", "I": "9"}
DATE = "%Y-%m-%d"


@dataclass(frozen=True)
class Census:
    """One census as text module frames (columns named by XML element), keyed for nesting: `cid` (child),
    `ep` (CINdetails), `sub` (assessment or plan within an episode)."""

    year: int
    header: dict[str, str]
    children: pl.DataFrame
    disabilities: pl.DataFrame
    details: pl.DataFrame
    assessments: pl.DataFrame
    factors: pl.DataFrame
    plans: pl.DataFrame
    s47: pl.DataFrame
    cpp: pl.DataFrame
    reviews: pl.DataFrame


def _d(col: str | pl.Expr) -> pl.Expr:
    e = pl.col(col) if isinstance(col, str) else col
    return e.dt.strftime(DATE)


def census_years(w: Window) -> list[int]:
    """The collection years (year ending) a sample covers: from its history year to the last complete year."""
    first = w.hist.year + (1 if w.hist.month > 3 else 0)
    last = w.end.year if (w.end.month, w.end.day) >= (3, 31) else w.end.year - 1
    return list(range(first, last + 1))


def _episodes(j: Journeys, lists: dict[int, pl.DataFrame]) -> pl.DataFrame:
    """Every referral of the lists' window: List 6's episodes (with their primary need) and List 3's NFA ones,
    with the module dates of the journey (one row per CINdetails; `ep` a unique key)."""
    refs = j.refs.select("cid", "rid", "ref_date", "source", "nfa", "assess_start", "assess_end", "s47_start",
                         "icpc_date", "cp_start", "cp_end", "route", "cin_end", "cin_reason")
    cin = lists[6].select("cid", pl.col("cin_start").alias("ref_date"), "primary_need", "cin_closure",
                          "closure_reason")
    eps = cin.join(refs.filter(~pl.col("nfa")), on=["cid", "ref_date"], how="left")
    nfa = refs.filter(pl.col("nfa")).with_columns(
        primary_need=pl.lit(None, pl.String), cin_closure=pl.col("ref_date"), closure_reason=pl.lit(None, pl.String))
    eps = pl.concat([eps, nfa.select(eps.columns)], how="vertical_relaxed")
    return eps.with_columns(nfa=pl.col("nfa").fill_null(False), rid=pl.coalesce("rid", pl.col("cid") * 8 + 4)).sort(
        "cid", "ref_date").with_columns(ep=pl.int_range(pl.len(), dtype=pl.Int64))


def build_census(j: Journeys, lists: dict[int, pl.DataFrame], eps: pl.DataFrame, year: int, d: Draw,
                 hols: Sequence[date]) -> Census:
    """The census of collection year `year` (year ending)."""
    start, e = date(year - 1, 4, 1), date(year, 3, 31)
    lit_s, lit_e = pl.lit(start), pl.lit(e)
    inside = (pl.col("ref_date") <= lit_e) & (pl.col("cin_closure").is_null() | (pl.col("cin_closure") >= lit_s))
    ep = eps.filter(inside & (~pl.col("nfa") | (pl.col("ref_date") >= lit_s)))
    closed = pl.col("cin_closure") <= lit_e
    details = ep.with_columns(
        CINreferralDate=_d("ref_date"),
        ReferralSource=pl.coalesce("source", d.choice(801, {"5A": 0.4, "6": 0.3, "2A": 0.3})),
        PrimaryNeedCode=pl.col("primary_need"),
        CINclosureDate=pl.when(closed).then(_d("cin_closure")),
        ReasonForClosure=pl.when(closed).then(pl.col("closure_reason")),
        DateOfInitialCPC=pl.lit(None, pl.String),
        ReferralNFA=pl.when(pl.col("nfa")).then(pl.lit("1")).otherwise(pl.lit("0")),
    )
    # assessments overlapping the year (List 4's dates)
    a = ep.filter(pl.col("assess_start").is_not_null() & (pl.col("assess_start") <= lit_e)
                  & (pl.col("assess_end").is_null() | (pl.col("assess_end") >= lit_s)))
    authorised = pl.col("assess_end") <= lit_e
    assessments = a.select("cid", "ep", "rid", "route", sub=pl.lit(1, pl.Int64),
                           AssessmentActualStartDate=_d("assess_start"),
                           AssessmentAuthorisationDate=pl.when(authorised).then(_d("assess_end")))
    choices = FACTORS if year >= 2022 else FACTORS_OLD
    factor_rows = assessments.filter(pl.col("AssessmentAuthorisationDate").is_not_null()).with_columns(
        n=pl.when(pl.col("route") == "NIN").then(1).otherwise(d.between(802, 1, 3)))
    factors = (factor_rows.with_columns(k=pl.int_ranges(0, pl.col("n"))).explode("k")
               .with_columns(rid=pl.col("rid") * 4 + pl.col("k"))
               .with_columns(AssessmentFactors=pl.when((pl.col("route") == "NIN") & d.chance(803, 0.6))
                             .then(pl.lit("21")).otherwise(d.choice(804, choices)))
               .unique(["ep", "sub", "AssessmentFactors"], keep="first", maintain_order=True)
               .select("cid", "ep", "sub", "AssessmentFactors"))
    # CIN plans (2021-22 on): a child in need plan from the assessment to the episode's end
    plan = ep.filter((pl.col("route") == "CINP") & pl.col("assess_end").is_not_null() & (pl.col("assess_end") <= lit_e)
                     & (pl.col("cin_end").is_null() | (pl.col("cin_end") >= lit_s)))
    plans = plan.select("cid", "ep", CINPlanStartDate=_d("assess_end"),
                        CINPlanEndDate=pl.when(pl.col("cin_end") <= lit_e).then(_d("cin_end")))
    if year < 2022:
        plans = plans.clear()
    # S47 enquiries (List 5's): overlapping the year by start or conference
    target = add_working_days(pl.col("s47_start"), 15, hols)
    enquiries = ep.filter(pl.col("s47_start").is_not_null() & (pl.col("s47_start") <= lit_e)
                          & (pl.coalesce("icpc_date", target) >= lit_s))
    held = pl.col("icpc_date") <= lit_e
    s47 = enquiries.select("cid", "ep", S47ActualStartDate=_d("s47_start"), InitialCPCtarget=_d(target),
                   DateOfInitialCPC=pl.when(held).then(_d("icpc_date")),
                   ICPCnotRequired=pl.when(held).then(pl.lit("0")).when(target <= lit_e).then(pl.lit("1"))
                   .otherwise(pl.lit("0")))
    # CP plans (List 7's categories and previous plans) and their reviews held in the year
    cp_list = lists[7].select("cid", pl.col("cp_start").alias("cp_start"), "initial_category", "latest_category",
                              "previous_cp_plans")
    c = ep.filter(pl.col("cp_start").is_not_null() & (pl.col("cp_start") <= lit_e)
                  & (pl.col("cp_end").is_null() | (pl.col("cp_end") >= lit_s))).join(
        cp_list, on=["cid", "cp_start"], how="left")
    cpp = c.select("cid", "ep", sub=pl.lit(1, pl.Int64), CPPstartDate=_d("cp_start"),
                   CPPendDate=pl.when(pl.col("cp_end") <= lit_e).then(_d("cp_end")),
                   InitialCategoryOfAbuse=pl.coalesce("initial_category", pl.lit("NEG")),
                   LatestCategoryOfAbuse=pl.coalesce("latest_category", pl.lit("NEG")),
                   NumberOfPreviousCPP=pl.col("previous_cp_plans").fill_null(0).cast(pl.String))
    # reviews: 3 months after the start, then every 6 months, some late (List 7's schedule), held in the year,
    # before the end
    reviews = (c.select("cid", "ep", "rid", "cp_start", "cp_end", k=pl.int_ranges(0, 12)).explode("k")
               .with_columns(r=pl.col("cp_start").dt.offset_by("3mo").dt.offset_by(pl.format("{}mo", pl.col("k") * 6))
                             + days(review_delay(d, pl.col("k"))))
               .filter((pl.col("r") >= lit_s) & (pl.col("r") <= lit_e)
                       & (pl.col("cp_end").is_null() | (pl.col("r") < pl.col("cp_end"))))
               .select("cid", "ep", sub=pl.lit(1, pl.Int64), CPPreviewDate=_d("r")))
    kids = ep.select("cid").unique().join(j.people, on="cid", how="left")
    under6 = pl.col("date_of_birth") > pl.lit(e).dt.offset_by("-6y")
    upn = pl.format("A{}", (pl.col("cid").hash(year * 0 + 17) % 10**12).cast(pl.String).str.zfill(12))
    sex = (pl.col("gender").replace_strict(GENDER_CURRENT, default="0") if year <= 2024
           else pl.col("gender").replace({"I": "U"}))
    children = kids.with_columns(
        LAchildID=pl.col("child_id"), UPN=pl.when(~under6).then(upn),
        UPNunknown=pl.when(under6).then(pl.lit("UN1")), PersonBirthDate=_d("date_of_birth"),
        **{("GenderCurrent" if year <= 2024 else "Sex"): sex}, Ethnicity=pl.col("ethnicity"),
    ).sort("LAchildID")
    dis = kids.with_columns(rid=pl.col("cid") * 8 + 3).with_columns(
        Disability=pl.when(pl.col("disability") == "Y").then(d.choice(805, DISABILITY)).otherwise(pl.lit("NONE"))
    ).select("cid", "Disability")
    header = {"Collection": "CIN", "Year": str(year), "ReferenceDate": e.isoformat(), "SourceLevel": "L",
              "LEA": "808", "SoftwareCode": "csc-metrics sample", "Release": "1", "SerialNo": str(year),
              "DateTime": f"{e + timedelta(days=10)}T09:00:00"}
    return Census(year, header, children, dis, details, assessments, factors, plans, s47, cpp, reviews)


def _leaf(name: str) -> pl.Expr:
    v = pl.col(name)
    return pl.when(v.is_not_null()).then(pl.concat_str([pl.lit(f"<{name}>"), v, pl.lit(f"</{name}>\n")])).otherwise(
        pl.lit(""))


def _block(frame: pl.DataFrame, key: str, element: str, leaves: list[str], inner: pl.Expr | None = None) -> pl.DataFrame:
    """One fragment per `key`: the `element` blocks of its rows joined (rows in frame order)."""
    parts = [pl.lit(f"<{element}>\n"), *[_leaf(c) for c in leaves if c in frame.columns]]
    if inner is not None:
        parts.append(inner)
    parts.append(pl.lit(f"</{element}>\n"))
    return frame.select(key, pl.concat_str(parts).alias("x")).group_by(key, maintain_order=True).agg(
        pl.col("x").str.join("").alias(element))


def _attach(base: pl.DataFrame, block: pl.DataFrame, key: str, name: str) -> pl.DataFrame:
    return base.join(block, on=key, how="left", maintain_order="left").with_columns(pl.col(name).fill_null(""))


def render_xml(c: Census, *, declaration: bool = True, final_newline: bool = True) -> str:
    """The census as XML in the XSD's element order (ReferralNFA after the S47 groups)."""
    fac = c.factors.with_columns(k=pl.concat_str([pl.col("ep").cast(pl.String), pl.lit(":"), pl.col("sub").cast(pl.String)]))
    fac_inner = fac.select("k", pl.concat_str([pl.lit("<AssessmentFactors>"), "AssessmentFactors",
                                               pl.lit("</AssessmentFactors>\n")]).alias("x")).group_by(
        "k", maintain_order=True).agg(pl.concat_str([pl.lit("<FactorsIdentifiedAtAssessment>\n"),
                                                      pl.col("x").str.join(""),
                                                      pl.lit("</FactorsIdentifiedAtAssessment>\n")]).first().alias("f"))
    asm = c.assessments.with_columns(k=pl.concat_str([pl.col("ep").cast(pl.String), pl.lit(":"),
                                                      pl.col("sub").cast(pl.String)]))
    asm = _attach(asm, fac_inner, "k", "f")
    if "factors_empty" in asm.columns:
        asm = asm.with_columns(f=pl.when(pl.col("factors_empty")).then(
            pl.lit("<FactorsIdentifiedAtAssessment>\n</FactorsIdentifiedAtAssessment>\n")).otherwise(pl.col("f")))
    assessments = _block(asm, "ep", "Assessments", ["AssessmentActualStartDate", "AssessmentInternalReviewDate",
                                                    "AssessmentAuthorisationDate"], pl.col("f"))
    plans = _block(c.plans, "ep", "CINPlanDates", ["CINPlanStartDate", "CINPlanEndDate"])
    s47 = _block(c.s47, "ep", "Section47", ["S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC",
                                            "ICPCnotRequired"])
    rv = c.reviews.with_columns(k=pl.concat_str([pl.col("ep").cast(pl.String), pl.lit(":"), pl.col("sub").cast(pl.String)]))
    rv_inner = rv.select("k", pl.concat_str([pl.lit("<CPPreviewDate>"), "CPPreviewDate", pl.lit("</CPPreviewDate>\n")])
                         .alias("x")).group_by("k", maintain_order=True).agg(
        pl.concat_str([pl.lit("<Reviews>\n"), pl.col("x").str.join(""), pl.lit("</Reviews>\n")]).first().alias("r"))
    cpp = _attach(c.cpp.with_columns(k=pl.concat_str([pl.col("ep").cast(pl.String), pl.lit(":"),
                                                      pl.col("sub").cast(pl.String)])), rv_inner, "k", "r")
    cpp = _block(cpp, "ep", "ChildProtectionPlans", ["CPPstartDate", "CPPendDate", "InitialCategoryOfAbuse",
                                                     "LatestCategoryOfAbuse", "NumberOfPreviousCPP"], pl.col("r"))
    det = c.details
    for block, name in ((assessments, "Assessments"), (plans, "CINPlanDates"), (s47, "Section47"),
                        (cpp, "ChildProtectionPlans")):
        det = _attach(det, block, "ep", name)
    extra = pl.col("extra") if "extra" in det.columns else pl.lit("")
    det_x = det.select("cid", pl.concat_str([
        pl.lit("<CINdetails>\n"), *[_leaf(x) for x in ("CINreferralDate", "ReferralSource", "PrimaryNeedCode",
                                                      "CINclosureDate", "ReasonForClosure", "DateOfInitialCPC")],
        pl.col("Assessments"), pl.col("CINPlanDates"), pl.col("Section47"), _leaf("ReferralNFA"),
        pl.col("ChildProtectionPlans"), extra, pl.lit("</CINdetails>\n")]).alias("x")).group_by(
        "cid", maintain_order=True).agg(pl.col("x").str.join("").alias("details"))
    dis = c.disabilities.select("cid", pl.concat_str([pl.lit("<Disability>"), "Disability", pl.lit("</Disability>\n")])
                                .alias("x")).group_by("cid", maintain_order=True).agg(
        pl.concat_str([pl.lit("<Disabilities>\n"), pl.col("x").str.join(""), pl.lit("</Disabilities>\n")]).first()
        .alias("dis"))
    kids = _attach(_attach(c.children, det_x, "cid", "details"), dis, "cid", "dis")
    ident = ["LAchildID", "UPN", "FormerUPN", "UPNunknown", "PersonBirthDate", "ExpectedPersonBirthDate",
             "GenderCurrent", "Sex", "PersonDeathDate"]
    xml = kids.select(pl.concat_str([
        pl.lit("<Child>\n<ChildIdentifiers>\n"), *[_leaf(x) for x in ident if x in kids.columns],
        pl.lit("</ChildIdentifiers>\n<ChildCharacteristics>\n"), _leaf("Ethnicity"), pl.col("dis"),
        pl.lit("</ChildCharacteristics>\n"), pl.col("details"), pl.lit("</Child>\n")]).alias("x"))["x"]
    h = c.header
    head = ("<Header>\n<CollectionDetails>\n" + "".join(f"<{k}>{h[k]}</{k}>\n" for k in ("Collection", "Year",
                                                                                          "ReferenceDate"))
            + "</CollectionDetails>\n<Source>\n" + "".join(f"<{k}>{h[k]}</{k}>\n" for k in (
                "SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo", "DateTime")) + "</Source>\n</Header>\n")
    text = (('<?xml version="1.0" encoding="utf-8"?>\n' if declaration else "") + "<Message>\n" + head
            + "<Children>\n" + "".join(xml.to_list()) + "</Children>\n</Message>\n")
    return text if final_newline else text.rstrip("\n")


def _ordinal(over: list[str]) -> pl.Expr:
    return pl.int_range(1, pl.len() + 1).over(over).cast(pl.String)


def vcin_tables(c: Census, *, messy: bool = False) -> dict[str, pl.DataFrame]:
    """The census as VCIN `xmltocsv` tables (module name -> frame, ordinal ids), as written by `write_vcin_csvs`."""
    ids = c.children.select("cid", "LAchildID")
    det = c.details.join(ids, on="cid", how="left", maintain_order="left").with_columns(
        CINdetailsID=_ordinal(["cid"]))
    dkey = det.select("ep", "LAchildID", "CINdetailsID")
    asm = c.assessments.join(dkey, on="ep", how="left", maintain_order="left").with_columns(
        AssessmentID=_ordinal(["ep"]))
    akey = asm.select("ep", "sub", "LAchildID", "CINdetailsID", "AssessmentID")
    cpp = c.cpp.join(dkey, on="ep", how="left", maintain_order="left").with_columns(CPPID=_ordinal(["ep"]))
    ckey = cpp.select("ep", "sub", "LAchildID", "CINdetailsID", "CPPID")
    sex = "GenderCurrent" if "GenderCurrent" in c.children.columns else "Sex"
    child_cols = ["LAchildID", "UPN", "FormerUPN", "UPNunknown", "PersonBirthDate", "ExpectedPersonBirthDate",
                  "GenderCurrent", "Sex", "PersonDeathDate"]
    children = c.children.with_columns(*[pl.lit(None, pl.String).alias(x) for x in child_cols
                                         if x not in c.children.columns and x != sex])
    out = {
        "Header": pl.DataFrame({k: [v] for k, v in c.header.items()}),
        "ChildIdentifiers": children.select(child_cols),
        "ChildCharacteristics": c.children.select("LAchildID", "Ethnicity"),
        "Disabilities": c.disabilities.join(ids, on="cid", how="left", maintain_order="left").select(
            "LAchildID", "Disability"),
        "CINdetails": det.select("LAchildID", "CINdetailsID", "CINreferralDate", "ReferralSource", "PrimaryNeedCode",
                                 "CINclosureDate", "ReasonForClosure", "DateOfInitialCPC", "ReferralNFA"),
        "Assessments": asm.with_columns(AssessmentInternalReviewDate=pl.lit(None, pl.String)).select(
            "LAchildID", "CINdetailsID", "AssessmentID", "AssessmentActualStartDate", "AssessmentInternalReviewDate",
            "AssessmentAuthorisationDate"),
        "AssessmentFactorsList": c.factors.join(akey, on=["ep", "sub"], how="left", maintain_order="left").select(
            "LAchildID", "CINdetailsID", "AssessmentID", pl.col("AssessmentFactors").alias("AssessmentFactor")),
        "CINplanDates": c.plans.join(dkey, on="ep", how="left", maintain_order="left").select(
            "LAchildID", "CINdetailsID", "CINPlanStartDate", "CINPlanEndDate"),
        "Section47": c.s47.join(dkey, on="ep", how="left", maintain_order="left").select(
            "LAchildID", "CINdetailsID", "S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired"),
        "ChildProtectionPlans": cpp.select("LAchildID", "CINdetailsID", "CPPID", "CPPstartDate", "CPPendDate",
                                           "InitialCategoryOfAbuse", "LatestCategoryOfAbuse", "NumberOfPreviousCPP"),
        "Reviews": c.reviews.join(ckey, on=["ep", "sub"], how="left", maintain_order="left").select(
            "LAchildID", "CINdetailsID", "CPPID", "CPPreviewDate"),
    }
    if messy:  # §1.7 flattened sets: a header-only table and an absent one
        out["Reviews"] = out["Reviews"].clear()
        del out["Disabilities"]
    return out


def write_vcin_csvs(folder: Path, c: Census, *, messy: bool = False) -> list[Path]:
    """`<folder>/<Table>.csv` with a leading unnamed index column, as VCIN `xmltocsv` writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in vcin_tables(c, messy=messy).items():
        path = folder / f"{name}.csv"
        frame.with_row_index("").with_columns(pl.col("").cast(pl.String)).write_csv(path, null_value="")
        paths.append(path)
    return paths


def make_messy(c: Census, d: Draw, index: int, count: int) -> tuple[Census, dict[str, bool]]:
    """Defects of returns.md §1.7 at a low rate (each at least once in the census it is put in). The file-level
    ones rotate over the censuses: a July ReferenceDate, Year disagreeing, no declaration / final newline."""
    e = date(c.year, 3, 31)
    header = dict(c.header)
    style = {"declaration": True, "final_newline": True}
    if index == 0:
        header["ReferenceDate"] = f"{c.year}-07-14"
    if index == 1 % max(count, 1) and count > 1:
        header["Year"] = str(c.year - 1)
    if index == count - 1:
        style = {"declaration": False, "final_newline": False}

    def some(frame: pl.DataFrame, key: int, p: float, col: str, value: pl.Expr, where: pl.Expr | None = None) -> pl.DataFrame:
        frame = frame.with_row_index("__i")
        ok = pl.lit(True) if where is None else where
        hit = ok & (d.chance(key, p) | (pl.col("__i") == pl.col("__i").filter(ok).min()))
        return frame.with_columns(pl.when(hit.fill_null(False)).then(value).otherwise(pl.col(col)).alias(col)).drop("__i")

    det = c.details.with_columns(rid=pl.col("ep"))
    with_cp = pl.col("ep").is_in(c.cpp["ep"].implode())
    det = some(det, 901, 0.01, "ReferralNFA", pl.lit("true"), with_cp)  # NFA true on an episode with a CPP
    det = some(det, 902, 0.3, "ReferralNFA", pl.lit("false"), pl.col("ReferralNFA") == "0")  # 0/false mixed
    active = pl.col("ep").is_in(c.assessments["ep"].implode()) & (pl.col("ReferralNFA") != "1")
    det = some(det, 903, 0.003, "PrimaryNeedCode", pl.lit("N0"), active & pl.col("PrimaryNeedCode").is_not_null())
    det = some(det, 904, 0.0005, "CINreferralDate", pl.lit((e + timedelta(days=120)).isoformat()))  # future
    det = some(det, 905, 0.0005, "CINreferralDate", pl.lit("1965-06-01"),
               pl.col("CINclosureDate").is_null())  # absurd 1960s date
    asm = c.assessments.with_columns(rid=pl.col("ep") * 2 + 1)
    swap = pl.col("AssessmentAuthorisationDate").is_not_null() & (
        pl.col("AssessmentAuthorisationDate") != pl.col("AssessmentActualStartDate"))
    asm = asm.with_row_index("__i").with_columns(
        __swap=swap & (d.chance(906, 0.002) | (pl.col("__i") == pl.col("__i").filter(swap).min())))
    asm = asm.with_columns(
        AssessmentActualStartDate=pl.when("__swap").then("AssessmentAuthorisationDate").otherwise(
            "AssessmentActualStartDate"),
        AssessmentAuthorisationDate=pl.when("__swap").then("AssessmentActualStartDate").otherwise(
            "AssessmentAuthorisationDate")).drop("__i", "__swap")
    asm = asm.with_columns(factors_empty=d.chance(907, 0.01) & pl.col("AssessmentAuthorisationDate").is_not_null())
    fac = some(c.factors.with_columns(rid=pl.col("ep") * 16 + pl.int_range(pl.len()).over("ep")), 908, 0.001,
               "AssessmentFactors", pl.lit("99Z"))
    fac = fac.join(asm.filter(pl.col("factors_empty")).select("ep", "sub"), on=["ep", "sub"], how="anti")
    kids = c.children.with_columns(rid=pl.col("cid"))
    kids = some(kids, 909, 0.002, "UPNunknown", pl.lit("UN5"), pl.col("UPN").is_not_null())  # both UPN and reason
    sex = "Sex" if "Sex" in kids.columns else "GenderCurrent"
    kids = some(kids, 910, 0.001, sex, pl.lit("1" if sex == "Sex" else "X"))  # Sex as 1 / an invalid value
    cpp = some(c.cpp.with_columns(rid=pl.col("ep")), 911, 0.002, "NumberOfPreviousCPP", pl.lit("10"))
    det = det.with_columns(extra=pl.when(d.chance(912, 0.001)).then(pl.lit("  \t stray text\n")).otherwise(
        pl.lit("")))  # mixed content
    out = Census(c.year, header, kids.drop("rid"), c.disabilities, det.drop("rid"), asm.drop("rid"), fac.drop("rid"),
                 c.plans, c.s47, cpp.drop("rid"), c.reviews)
    return out, style


def write_cin(out: Path, j: Journeys, lists: dict[int, pl.DataFrame], w: Window, d: Draw, hols: Sequence[date], *,
              messy: bool = False, csv: bool = False) -> list[Path]:
    """One `cin_census_<yyyy-yy>.xml` per collection year (with `csv`, `cin_census_<yyyy-yy>_csv/` instead)."""
    eps = _episodes(j, lists)
    years = census_years(w)
    paths: list[Path] = []
    built: list[Census] = []
    for i, year in enumerate(years):
        census = build_census(j, lists, eps, year, d, hols)
        built.append(census)
        style = {"declaration": True, "final_newline": True}
        if messy:
            census, style = make_messy(census, d, i, len(years))
        label = f"{year - 1}-{year % 100:02d}"
        if csv:  # one copy of each census: the XML or its flattened tables, never both
            paths += write_vcin_csvs(out / f"cin_census_{label}_csv", census, messy=messy)
            continue
        path = out / f"cin_census_{label}.xml"
        try:
            path.write_text(render_xml(census, **style), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc}") from exc
        paths.append(path)
    if not messy:  # the figures known by construction (returns.md §3.1), for tests
        import json

        from csc_metrics.sample.cin_truth import front_door_truth

        truth = out / "truth_cin_census.json"
        from csc_metrics.sample.cin_truth_cp import cin_cp_truth

        known = front_door_truth(eps, built, hols)
        for year, figures in cin_cp_truth(eps, built).items():  # §3.2 beside §3.1
            known.setdefault(year, {}).update(figures)
        truth.write_text(json.dumps(known, indent=1, default=str, sort_keys=True), encoding="utf-8")
        paths.append(truth)
    return paths


__all__ = ["Census", "build_census", "census_years", "render_xml", "vcin_tables", "write_cin", "write_vcin_csvs"]
