"""Synthetic SSDA903 returns for the children of the sample's Annex A lists (`csc-metrics sample --ssda903`).

The episodes are derived from List 8 (one row per period of care open at the extract date or ended since the
history start), so the two agree: the same children, start and end dates, reasons for ceasing, and, on the
episode open at the extract date (or the last one), the List 8 legal status, placement type, provider,
postcode and URN and the placement start; the number of placements in the 12 months to that date follows
List 8's `placements_last_12m` under the counting rule of returns.md §2.5 (except a move to A5, placed for
adoption with the current foster carers, which that rule does not count as a move). Care leavers (OC3) of the
last year are List 9's young people (not those still in care), AD1 and PlacedAdoption come from List 10.

One return per financial year of the sample (and, with `history`, of the years before it, from the periods of
care the lists no longer hold too, drawn alike): `ssda903/SSDA903_<year>_<table>.csv` (DfE headers, dd/mm/yyyy) or,
with `xml`, `ssda903_xml/SSDA903_<year>.xml` (`EXPSSDA903`, returns.md §1.2); never both, so that the folder
reads as it is. `truth.json` beside them holds figures known by construction (children looked after at each 31
March, starts, cessations by reason, the 12-month cohort, adoptions), counted from the periods of care, not from
the files, and the OC2 and care-leaver figures as drawn (OC2 answers of the cohort, care leavers by age and
activity). SDQ scores and staying put (ACCOM Z1 for a third of those leaving foster care on their 18th birthday) are drawn near the
England figures.
`messy=True` then adds the SSDA903 defects of returns.md §1.7 (the truth stays that of the clean returns).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from csc_metrics.errors import InputError
from csc_metrics.sample.draw import Draw, age_at, days
from csc_metrics.sample.journeys import Window
from csc_metrics.sample.lists import (
    EET,
    IN_TOUCH,
    NEET,
    SUPPORTED_REGISTERED,
    Journeys,
    care_leavers_at,
    earlier_lists,
)
from csc_metrics.sample.ssda903_messy import make_messy_903
from csc_metrics.sample.ssda903_truth import in_cohort, truth_counts

# DfE CSV headers (returns.md §1.1), in order
HEADERS: dict[str, list[str]] = {
    "header": ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
    "episodes": ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                 "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"],
    "uasc": ["CHILD", "SEX", "DOB", "DUC"],
    "reviews": ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"],
    "oc2": ["CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK",
            "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"],
    "oc3": ["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"],
    "ad1": ["CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"],
    "placedadoption": ["CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"],
    "prevperm": ["CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"],
    "missing": ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
    "swepisodes": ["CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"],
    "dolo": ["CHILD", "DOB", "DOLO_START", "DOLO_END"],
}
FIRST_YEAR = {"swepisodes": 2024, "dolo": 2027}  # tables collected from that year ending
EARLIER = {"U4": 0.4, "U6": 0.25, "U1": 0.08, "U3": 0.09, "K2": 0.12, "R1": 0.03, "P1": 0.03}
TEMPORARY = {"T0": 0.1, "T1": 0.4, "T2": 0.25, "T3": 0.25}  # T0-T3 take no provider, URN or postcode
FOSTER = ["U1", "U2", "U3", "U4", "U5", "U6"]
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
LA_CODE = "808"


def year_of(d: date) -> int:
    return d.year if d.month <= 3 else d.year + 1


def generate_903(out: Path, j: Journeys, lists: dict[int, pl.DataFrame], w: Window, d: Draw, *,
                 history: int = 0, messy: bool = False, xml: bool = False) -> list[Path]:
    """Write the SSDA903 returns for the financial years of `w`, and for the `history` collection years before
    them, into `out` (CSV tables in `ssda903/`, or with `xml` one XML file per year in `ssda903_xml/`); return
    the files written. The earlier returns hold the same children's earlier episodes (periods of care over
    before the lists begin included), so that measures reaching back to the start of a period of care (A1, A10,
    the stability cohorts) find it."""
    first = year_of(w.start) - history
    years = list(range(first, w.end.year + 1 if w.end.month <= 3 else w.end.year + 2))
    since = date(first - 1, 4, 1)
    wide = earlier_lists(j, w, d, since) if since < w.hist else lists
    periods = _periods(wide[8], w)
    eps = _episodes(periods, d)
    returns = {}
    for y in years:
        leavers = lists[9] if y == w.end.year else care_leavers_at(j, w, d, date(y, 3, 31))
        returns[y] = _return(y, periods, eps, {**wide, 9: leavers}, w, d)
    folder = out / ("ssda903_xml" if xml else "ssda903")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create output folder {folder}: {exc}") from exc
    texts = {y: {t: _text(df) for t, df in tables.items()} for y, tables in returns.items()}
    styles: dict[tuple[int, str], tuple[bool, bool]] = {}
    if messy:
        texts, styles = make_messy_903(texts, d)
    paths = []
    for y, tables in texts.items():
        if xml:
            paths.append(_write(folder / f"SSDA903_{y}.xml", to_xml(tables).encode("utf-8")))
            continue
        for name, df in tables.items():
            bom, crlf = styles.get((y, name), (False, False))
            paths.append(_write_csv(folder / f"SSDA903_{y}_{name}.csv", df, bom=bom, crlf=crlf))
    truth = truth_counts(periods, years, returns, placements=_placements(periods, d), adoptions=wide[10])
    paths.append(_write(folder / "truth.json", (json.dumps(truth, indent=2, sort_keys=True) + "\n").encode("utf-8")))
    return paths


def _write(path: Path, data: bytes) -> Path:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc}") from exc
    return path


def _write_csv(path: Path, df: pl.DataFrame, *, bom: bool = False, crlf: bool = False) -> Path:
    text = df.write_csv(null_value="", line_terminator="\r\n" if crlf else "\n")
    return _write(path, (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


def _text(df: pl.DataFrame) -> pl.DataFrame:
    """Every column as text, dates dd/mm/yyyy, headers upper-case."""
    return df.select(
        (pl.col(c).dt.strftime("%d/%m/%Y") if t == pl.Date else pl.col(c).cast(pl.String)).alias(c.upper())
        for c, t in df.schema.items()
    )


# ---------------------------------------------------------------- periods and episodes


def _periods(l8: pl.DataFrame, w: Window) -> pl.DataFrame:
    """List 8 periods of care with a period id `pid` and the date the List 8 row describes (`as_of`)."""
    return (
        l8.sort("cid", "cla_start")
        .with_row_index("pid")
        .with_columns(pl.col("pid").cast(pl.Int64))
        .with_columns(
            as_of=pl.min_horizontal(pl.col("cla_end").fill_null(w.end), pl.lit(w.end)),
            uasc_b=pl.col("uasc") == "Y",
        )
        .with_columns(year_ago=pl.col("as_of").dt.offset_by("-12mo"))
    )


def _placements(p: pl.DataFrame, d: Draw) -> pl.DataFrame:
    """Each period's placements: `j` = 0 (from the start of care) to the List 8 one (from `placement_start`).

    Case A: the List 8 placement began with the period: one placement. Case B: it began more than 12 months
    before: earlier placements from the start of care to it. Case C: `placements_last_12m - 2` placements
    evenly spaced between max(start of care, 12 months ago) and `placement_start` (as many as the days allow),
    after the earlier placements up to 12 months ago. The earlier moves (`_history`) come at `MOVES` a year,
    faster for an unsettled child (most of those whose List 8 placement began in the last 2 years), so List 8's count
    of the last 12 months stays as it is and the two-year and long-term figures of every year are realistic."""
    rid = pl.col("pid") * 64
    one = pl.col("placement_start") == pl.col("cla_start")
    old = pl.col("placement_start") <= pl.col("year_ago")
    lo = pl.when(old).then(pl.col("cla_start")).otherwise(pl.max_horizontal("cla_start", "year_ago"))
    p = p.with_columns(rid=rid).with_columns(_lo=lo).with_columns(
        _gap=(pl.col("placement_start") - pl.col("_lo")).dt.total_days())
    k = (
        pl.when(one).then(-1)
        .when(old).then(0)
        .otherwise(pl.min_horizontal(pl.col("placements_last_12m") - 2, pl.col("_gap") - 1).clip(lower_bound=0))
    )
    # the earlier moves: between the start of care and the placement open 12 months ago (Case C) or the List 8
    # placement (Case B)
    until = pl.when(one).then(pl.col("cla_start")).when(old).then(pl.col("placement_start")).otherwise(
        pl.col("_lo"))
    p = p.with_columns(_k=k.cast(pl.Int64), _span=(until - pl.col("cla_start")).dt.total_days())
    recently = pl.col("placement_start") > pl.col("as_of").dt.offset_by("-24mo")
    p = p.with_columns(_h=_history(d, pl.col("_span"), recently))
    rows = p.with_columns(j=pl.int_ranges(0, pl.col("_h") + pl.col("_k") + 2)).explode("j").with_columns(
        n=pl.col("_h") + pl.col("_k") + 2, rid=pl.col("pid") * 64 + pl.col("j"))
    last = pl.col("j") == pl.col("n") - 1
    # the i-th earlier move inside the i-th of `_h` equal parts of the span, a random day in it
    width = (pl.col("_span") - 1) / pl.max_horizontal("_h", pl.lit(1))
    before = pl.col("cla_start") + days(
        1 + ((pl.col("j") - 1 + d.u(9016)) * width).floor().cast(pl.Int64))
    recent = pl.col("j") - pl.col("_h")
    between = pl.col("_lo") + days((recent * pl.col("_gap") / (pl.col("_k") + 1)).floor().cast(pl.Int64))
    start = (pl.when(pl.col("j") == 0).then(pl.col("cla_start")).when(last).then(pl.col("placement_start"))
             .when(pl.col("j") <= pl.col("_h")).then(before).otherwise(between))
    earlier = d.choice(9002, EARLIER)
    # placed for adoption with the current foster carers (A5) after an earlier placement
    same_carer = last & (pl.col("placement_type") == "A5") & (pl.col("n") >= 2)
    rows = rows.with_columns(
        p_start=start,
        place=pl.when(last).then(pl.col("placement_type")).otherwise(earlier),
        same_carer=same_carer,
    ).with_columns(
        # the foster placement before an A5 one is with the same carers: make it foster care
        place=pl.when(~last & (pl.col("j") == pl.col("n") - 2) & (pl.col("placement_type") == "A5")
                      & ~pl.col("place").is_in(FOSTER)).then(pl.lit("U4")).otherwise(pl.col("place")),
    )
    provider = (
        pl.when(pl.col("place") == "P1").then(pl.lit("PR0"))
        .when(pl.col("place").is_in(["U1", "U2", "U3"])).then(pl.lit("PR1"))
        .when(pl.col("place").is_in(["U4", "U5", "U6"])).then(d.choice(9003, {"PR1": 0.6, "PR4": 0.4}))
        .otherwise(d.choice(9004, {"PR4": 0.7, "PR1": 0.2, "PR5": 0.1}))
    )
    postcode = pl.format("TS{} {}{}", d.between(9005, 1, 29), d.between(9006, 1, 9),
                         d.choice(9007, {"AB": 1, "DE": 1, "GH": 1, "JN": 1, "PQ": 1, "RS": 1, "TU": 1, "WX": 1}))
    urn = pl.when(pl.col("place").is_in(["K1", "K2", "K3", "H5", "R1", "S1"])).then(
        pl.format("SC{}", d.between(9008, 100000, 999999)))
    rows = rows.with_columns(
        provider=pl.when(last).then(pl.col("placement_provider")).otherwise(provider),
        postcode=pl.when(last).then(pl.col("placement_postcode")).otherwise(postcode),
        urn=pl.when(last).then(pl.col("placement_urn")).otherwise(urn),
    )
    # the foster placement before an A5 one has the same carers: List 8's provider and address
    before_a5 = pl.col("same_carer").shift(-1).over("pid").fill_null(False)
    rows = rows.with_columns(
        [pl.when(before_a5).then(pl.col(c).shift(-1).over("pid")).otherwise(pl.col(c)).alias(c)
         for c in ("provider", "postcode", "urn")])
    return rows.select("pid", "j", "p_start", "place", "provider", "postcode", "urn", "same_carer")


MOVES = (0.1, 1.2)  # earlier placement moves a year: settled, unsettled child
UNSETTLED = (0.06, 0.88)  # chance a child is unsettled: settled in List 8's placement for 2 years, or not


def _history(d: Draw, span: pl.Expr, moved: pl.Expr) -> pl.Expr:
    """How many moves a child had in `span` days before the recent placements: `MOVES` a year, rounded at
    random, at most one every 3 days and 30 in all."""
    rate = pl.when(d.chance(9015, pl.when(moved).then(UNSETTLED[1]).otherwise(UNSETTLED[0]))).then(
        MOVES[1]).otherwise(MOVES[0])
    n = (rate * span / 365.25 + d.u(9017)).floor().cast(pl.Int64)
    return pl.min_horizontal(n, (span - 1) // 3, pl.lit(30)).clip(lower_bound=0)


def _legal(p: pl.DataFrame) -> pl.DataFrame:
    """Legal status from the start of care, and the change to the List 8 status (C1 -> C2 or E1) if any."""
    ls = pl.col("legal_status")
    changes = ls.is_in(["C2", "E1"]) & (pl.col("legal_status_start") > pl.col("cla_start"))
    first = p.select("pid", l_start="cla_start", ls=pl.when(changes).then(pl.lit("C1")).otherwise(ls))
    later = p.filter(changes).select("pid", l_start="legal_status_start", ls=ls)
    return pl.concat([first, later]).sort("pid", "l_start")


def _excursions(p: pl.DataFrame, d: Draw) -> pl.DataFrame:
    """A few short temporary placements (T0-T3) inside the List 8 placement, returning to the same carer."""
    span = (pl.col("as_of") - pl.col("placement_start")).dt.total_days()
    x = p.with_columns(rid=pl.col("pid") * 64 + 63).filter(d.chance(9010, 0.06) & (span >= 12))
    x = x.with_columns(x_start=pl.col("placement_start") + days(1 + (d.u(9011) * (span - 10)).floor().cast(pl.Int64)))
    return x.select("pid", "x_start", x_end=pl.col("x_start") + days(d.between(9012, 1, 6)),
                    x_place=d.choice(9013, TEMPORARY))


def _episodes(p: pl.DataFrame, d: Draw) -> pl.DataFrame:
    """Every episode of every period of care (the true history, before it is cut into returns)."""
    plc, legal, exc = _placements(p, d), _legal(p), _excursions(p, d)
    # supported accommodation begun before 28 October 2023: H5 until the provider registered, then K3 with the
    # same carer (RNE T, not a new placement)
    reg_day = pl.lit(SUPPORTED_REGISTERED)
    before = plc.filter((pl.col("place") == "K3") & (pl.col("p_start") < reg_day)).select("pid", at=reg_day)
    points = pl.concat([plc.select("pid", at="p_start"), legal.select("pid", at="l_start"),
                        exc.select("pid", at="x_start"), exc.select("pid", at="x_end"), before]).unique().sort(
        "pid", "at")
    ep = (
        points.join_asof(plc.sort("pid", "p_start"), left_on="at", right_on="p_start", by="pid", check_sortedness=False)
        .join_asof(legal, left_on="at", right_on="l_start", by="pid", check_sortedness=False)
        .join(exc, on="pid", how="left")
    )
    away = (pl.col("at") >= pl.col("x_start")) & (pl.col("at") < pl.col("x_end"))
    unregistered = (pl.col("place") == "K3") & (pl.col("p_start") < reg_day)
    ep = ep.with_columns(
        same_carer=pl.col("same_carer") | (unregistered & (pl.col("at") == reg_day)),
        place=pl.when(unregistered & (pl.col("at") < reg_day)).then(pl.lit("H5")).otherwise(pl.col("place")),
    ).with_columns(
        place=pl.when(away).then(pl.col("x_place")).otherwise(pl.col("place")),
        provider=pl.when(away).then(None).otherwise(pl.col("provider")),
        postcode=pl.when(away).then(None).otherwise(pl.col("postcode")),
        urn=pl.when(away).then(None).otherwise(pl.col("urn")),
        same_carer=pl.col("same_carer") & ~away.fill_null(False),
    ).drop("x_start", "x_end", "x_place", "p_start", "l_start")
    ep = ep.join(p.select("pid", "cid", "child_id", "cla_start", "cla_end", "reason_ceased", "category_of_need",
                          "uasc_b"), on="pid")
    moved = (pl.col("j") != pl.col("j").shift(1)) | pl.col("place").ne_missing(pl.col("place").shift(1))
    legal_changed = pl.col("ls") != pl.col("ls").shift(1)
    rne = (
        pl.when(pl.col("at") == pl.col("cla_start")).then(pl.lit("S"))
        .when(moved & legal_changed).then(pl.when(pl.col("same_carer")).then(pl.lit("U")).otherwise(pl.lit("B")))
        .when(moved).then(pl.when(pl.col("same_carer")).then(pl.lit("T")).otherwise(pl.lit("P")))
        .otherwise(pl.lit("L"))
    )
    last = pl.col("at") == pl.col("at").last().over("pid")
    ep = ep.sort("pid", "at").with_columns(rid=pl.col("pid") * 1024 + pl.int_range(pl.len()).over("pid"))
    return ep.with_columns(rne=rne.over("pid")).with_columns(
        dec=pl.when(last).then(pl.col("cla_end")).otherwise(pl.col("at").shift(-1).over("pid")),
        rec=pl.when(~last).then(pl.lit("X1")).otherwise(pl.col("reason_ceased")),
        reason_place_change=pl.when((pl.col("rne") == "P") & ~pl.col("place").is_in(list(TEMPORARY))
                                    & ~pl.col("place").shift(1).over("pid").is_in(list(TEMPORARY)).fill_null(True))
        .then(d.choice(9014, {"CARPL": 0.5, "CREQB": 0.15, "CREQO": 0.1, "LAREQ": 0.15, "OTHER": 0.1})),
    ).select(
        "pid", "cid", child="child_id", decom="at", rne="rne", ls="ls", cin="category_of_need", place="place",
        place_provider="provider", dec="dec", rec="rec", reason_place_change="reason_place_change",
        home_post=pl.lit("TS18 1AA"), pl_post="postcode", urn="urn",
    )


# ---------------------------------------------------------------- one year's return


def _return(y: int, p: pl.DataFrame, eps: pl.DataFrame, lists: dict[int, pl.DataFrame], w: Window,
            d: Draw) -> dict[str, pl.DataFrame]:
    """The tables of the return for the year ending 31 March `y`, as the LA would have submitted it then."""
    s, e = date(y - 1, 4, 1), date(y, 3, 31)
    held = eps.filter((pl.col("decom") <= e) & (pl.col("dec").is_null() | (pl.col("dec") >= s)))
    after = pl.col("dec") > e
    episodes = held.with_columns(dec=pl.when(after).then(None).otherwise(pl.col("dec")),
                                 rec=pl.when(after).then(None).otherwise(pl.col("rec")))
    # Header: every child in the return, the children in care in the year and the care leavers of OC3
    kids = p.join(held.select("cid").unique(), on="cid", how="semi").unique("cid", keep="last")
    oc3 = _oc3(lists, p, y, w, d)
    cols = ["cid", "child_id", "gender", "ethnicity", "date_of_birth", "uasc_b"]
    leavers = (lists[9].join(oc3.select("cid"), on="cid", how="semi").join(kids.select("cid"), on="cid", how="anti")
               .unique("cid").with_columns(uasc_b=pl.col("uasc") == "Y"))
    kids = pl.concat([kids.select(cols), leavers.select(cols)]).with_columns(rid=pl.col("cid") * 16 + 3)
    female = pl.col("gender") == "F"
    if y <= 2024:  # SEX 1/2 up to 2023-24 (returns.md §1.3)
        sex = pl.when(female).then(pl.lit("2")).when(pl.col("gender") == "M").then(pl.lit("1")).otherwise(
            d.choice(9020, {"1": 0.5, "2": 0.5}))
    else:
        sex = pl.when(pl.col("gender").is_in(["M", "F"])).then(pl.col("gender")).otherwise(pl.lit("U"))
    age_e = age_at(pl.col("date_of_birth"), pl.lit(e))
    header = kids.with_columns(
        sex=sex, ethnic=pl.when(pl.col("ethnicity") == "UNKNOWN").then(pl.lit("NOBT")).otherwise(pl.col("ethnicity")),
        upn=_upn(pl.col("cid")),
        mother=pl.when(female & (age_e >= 12)).then(pl.when(d.chance(9021, 0.03)).then(pl.lit("1"))
                                                      .otherwise(pl.lit("0"))),
    )
    header = header.with_columns(
        mc_dob=pl.when(pl.col("mother") == "1").then(pl.lit(e) - days(d.between(9022, 0, 300))))
    ident = header.select("cid", child="child_id", dob="date_of_birth")
    tables: dict[str, pl.DataFrame] = {
        "header": header.select(child="child_id", sex="sex", dob="date_of_birth", ethnic="ethnic", upn="upn",
                                mother="mother", mc_dob="mc_dob"),
        "episodes": episodes.drop("pid", "cid").sort("child", "decom"),
    }
    tables["uasc"] = header.filter(pl.col("uasc_b")).select(
        child="child_id", sex="sex", dob="date_of_birth", duc=pl.col("date_of_birth").dt.offset_by("18y"))
    tables["reviews"] = _reviews(held, p.select("pid", start="cla_start"), ident, s, e, d)
    tables["oc2"] = _oc2(p, ident, s, e, d)
    tables["oc3"] = oc3.drop("cid")
    ad1, placed = _adoption(lists, p, ident, s, e, d)
    tables["ad1"], tables["placedadoption"] = ad1, placed
    tables["prevperm"] = _prev_perm(p, ident, s, e, d)
    tables["missing"] = _missing(p, ident, y, w, d)
    if y >= FIRST_YEAR["swepisodes"]:
        tables["swepisodes"] = _social_workers(sw_history(p, d), ident, s, e)
    if y >= FIRST_YEAR["dolo"]:
        tables["dolo"] = pl.DataFrame(schema={"child": pl.String, "dob": pl.Date, "dolo_start": pl.Date,
                                              "dolo_end": pl.Date})
    return tables


def _upn(cid: pl.Expr) -> pl.Expr:
    """A well-formed synthetic UPN: check letter, LA code 808, two year digits, seven digits (DfE check letter:
    sum of character value x position 2-13, mod 23)."""
    body = pl.format("{}{}", pl.lit(LA_CODE + "10"), (cid % 10_000_000).cast(pl.String).str.zfill(7))
    total = pl.sum_horizontal([body.str.slice(i, 1).cast(pl.Int64) * (i + 2) for i in range(12)])
    letter = (total % 23).replace_strict(dict(enumerate(UPN_LETTERS)), return_dtype=pl.String)
    return pl.format("{}{}", letter, body)


def _reviews(held: pl.DataFrame, starts: pl.DataFrame, ident: pl.DataFrame, s: date, e: date,
             d: Draw) -> pl.DataFrame:
    """CLA reviews: 20 days after care starts, then 3 months, then every 6 months; those held in the year."""
    per = held.group_by("pid", "cid").agg(end=pl.col("dec").max(), open=pl.col("dec").is_null().any())
    per = per.join(starts, on="pid")
    per = per.with_columns(end=pl.when(pl.col("open")).then(pl.lit(e)).otherwise(pl.col("end")))
    rows = per.with_columns(k=pl.int_ranges(0, 40)).explode("k").with_columns(
        review=pl.when(pl.col("k") == 0).then(pl.col("start") + days(20))
        .otherwise((pl.col("start") + days(20)).dt.offset_by(pl.format("{}mo", 3 + (pl.col("k") - 1) * 6))))
    rows = rows.filter((pl.col("review") >= s) & (pl.col("review") <= pl.col("end")) & (pl.col("review") <= e))
    rows = rows.join(ident, on="cid").with_columns(rid=pl.col("pid") * 64 + pl.col("k"))
    code = pl.when(age_at(pl.col("dob"), pl.col("review")) < 4).then(pl.lit("PN0")).otherwise(
        d.choice(9030, {"PN1": 0.5, "PN2": 0.15, "PN3": 0.15, "PN4": 0.08, "PN5": 0.05, "PN6": 0.04, "PN7": 0.03}))
    return rows.select("child", "dob", "review", review_code=code).sort("child", "review")


def _oc2(p: pl.DataFrame, ident: pl.DataFrame, s: date, e: date, d: Draw) -> pl.DataFrame:
    cohort = p.filter(in_cohort(s, e)).select("cid").unique().join(ident, on="cid")
    age = age_at(pl.col("dob"), pl.lit(e))
    cohort = cohort.with_columns(rid=pl.col("cid") * 100 + e.year % 100, age=age)

    def flag(key: int, p_yes: float) -> pl.Expr:
        return pl.when(d.chance(key, p_yes)).then(pl.lit("1")).otherwise(pl.lit("0"))

    sdq = (pl.col("age") >= 4) & (pl.col("age") <= 16)
    has_score = sdq & d.chance(9040, 0.8)
    misuse = flag(9041, 0.04)
    return cohort.with_columns(substance_misuse=misuse).select(
        "child", "dob",
        # scores near England's: mean about 15, 42% 17-40 (a cause for concern), 13% borderline 14-16
        sdq_score=pl.when(has_score).then(d.mixture(9042, [(0, 13, 0.45), (14, 16, 0.13), (17, 30, 0.42)])
                                          .cast(pl.String)),
        sdq_reason=pl.when(sdq & ~has_score).then(d.choice(9043, {"SDQ1": 0.3, "SDQ2": 0.2, "SDQ3": 0.2,
                                                                   "SDQ4": 0.2, "SDQ5": 0.1})),
        convicted=pl.when(pl.col("age") >= 10).then(flag(9044, 0.03)),
        health_check=pl.when(pl.col("age") < 5).then(flag(9045, 0.9)),
        immunisations=flag(9046, 0.86), teeth_check=flag(9047, 0.8), health_assessment=flag(9048, 0.9),
        substance_misuse="substance_misuse",
        intervention_received=pl.when(pl.col("substance_misuse") == "1").then(flag(9049, 0.6)),
        intervention_offered=pl.when(pl.col("substance_misuse") == "1").then(flag(9050, 0.8)),
    ).sort("child")


def _oc3(lists: dict[int, pl.DataFrame], p: pl.DataFrame, y: int, w: Window, d: Draw) -> pl.DataFrame:
    """Care leavers with a 17th-21st birthday in the year who had left care (List 9 minus those still in care);
    the last year's statuses are List 9's, earlier years' are drawn again."""
    e = date(y, 3, 31)
    l9 = lists[9].filter(pl.col("eligibility") != "ELIGIBLE")
    still = p.filter((pl.col("cla_start") <= e) & (pl.col("cla_end").is_null() | (pl.col("cla_end") > e)))
    rows = l9.join(still.select("cid"), on="cid", how="anti").with_columns(
        age=age_at(pl.col("date_of_birth"), pl.lit(e))).filter(pl.col("age").is_between(17, 21))
    rows = rows.with_columns(rid=pl.col("cid") * 16 + 7 + (w.end.year - y))
    last = y == w.end.year
    suitable = pl.when(pl.col("accommodation_suitability") == "UNSUITABLE").then(pl.lit("2")).otherwise(pl.lit("1"))
    accom = pl.when(pl.col("accommodation").is_null()).then(pl.lit("0")).otherwise(
        pl.format("{}{}", pl.col("accommodation"), suitable))
    # earlier years: drawn as List 9 draws them (contact, then education, employment or training, or not)
    earlier_touch = {k: v for k, v in IN_TOUCH.items() if k not in ("DIED", "RHOM")}
    in_touch = pl.col("in_touch") if last else d.choice(9060, earlier_touch)
    eet_share = pl.when(pl.col("age") >= 19).then(0.60).otherwise(0.66)
    activ = pl.col("activity").fill_null("0") if last else pl.when(d.u(9061) < eet_share).then(
        d.choice(9064, eet_codes(y))).otherwise(d.choice(9065, NEET))
    # staying put: a third of those who left foster care on their 18th birthday still live with those carers
    final = p.sort("cla_start").unique("cid", keep="last").select("cid", _ptype="placement_type", _end="cla_end")
    rows = rows.join(final, on="cid", how="left")
    eighteenth = pl.col("date_of_birth").dt.offset_by("18y")
    stays = (pl.col("_ptype").is_in(FOSTER) & ((pl.col("_end") - eighteenth).dt.total_days().abs() <= 1)
             & d.chance(9063, 0.35)).fill_null(False)
    out = rows.with_columns(in_touch=in_touch).with_columns(
        activ=pl.when(pl.col("in_touch").is_in(["YES", "NREQ"]) | pl.lit(last)).then(activ).otherwise(pl.lit("0")),
        accom=pl.when(stays & (pl.col("in_touch") == "YES")).then(pl.lit("Z1")).when(pl.lit(last)).then(accom)
        .when(pl.col("in_touch") == "YES").then(
            d.choice(9062, {"B1": 0.4, "U1": 0.3, "D1": 0.2, "X2": 0.1})).otherwise(pl.lit("0")),
    )
    return out.select("cid", child="child_id", dob="date_of_birth", in_touch="in_touch", activ="activ",
                      accom="accom").sort("child")


def eet_codes(y: int) -> dict[str, float]:
    """The EET activity codes of collection year `y` with their shares: F3/P3 (training or employment) up to
    2020-21, split into F4/P4 (apprenticeships) and F5/P5 from 2021-22 (code set `activity`)."""
    if y >= 2022:
        return EET
    old = {k: v for k, v in EET.items() if k[1] not in "45"}
    return old | {"F3": EET["F4"] + EET["F5"], "P3": EET["P4"] + EET["P5"]}


def _adoption(lists: dict[int, pl.DataFrame], p: pl.DataFrame, ident: pl.DataFrame, s: date, e: date,
              d: Draw) -> tuple[pl.DataFrame, pl.DataFrame]:
    """AD1 (children adopted in the year, List 10 dates) and PlacedAdoption (decisions to place, List 10)."""
    l10 = lists[10].join(ident, on="cid")
    adopters = lists[11].group_by("family_id").agg(n=pl.len(), sexes=pl.col("gender").sort().str.join(""))
    adopted = l10.filter(pl.col("adoption_order").is_between(s, e)).join(adopters, on="family_id", how="left")
    last_place = p.sort("cla_start").unique("cid", keep="last").select("cid", "placement_type")
    adopted = adopted.join(last_place, on="cid", how="left").with_columns(rid=pl.col("cid") * 16 + 9)
    sex = pl.when(pl.col("n") == 2).then(pl.col("sexes").replace({"FM": "MF"})).otherwise(
        pl.format("{}1", pl.col("sexes")))
    ad1 = adopted.select(
        "child", "dob", date_int="adoption_decision", date_match="matched",
        foster_care=pl.when(pl.col("placement_type") == "A5").then(pl.lit("1")).otherwise(pl.lit("0")),
        nb_adoptr=pl.col("n").fill_null(1).cast(pl.String), sex_adoptr=sex.fill_null("F1"),
        ls_adoptr=pl.when(pl.col("n") == 2).then(d.choice(9070, {"L0": 0.7, "L11": 0.2, "L12": 0.1}))
        .otherwise(pl.lit("L2")),
    ).sort("child")
    placed = l10.filter((pl.col("adoption_decision") <= e)
                        & (pl.col("decision_reversed").is_null() | (pl.col("decision_reversed") >= s))
                        & (pl.col("adoption_order").is_null() | (pl.col("adoption_order") >= s)))
    reversed_ = pl.col("decision_reversed") <= e
    placed = placed.select(
        "child", "dob", date_placed="adoption_decision",
        date_placed_ceased=pl.when(reversed_).then(pl.col("decision_reversed")),
        reason_placed_ceased=pl.when(reversed_).then(pl.col("reversal_reason")),
    ).sort("child")
    return ad1, placed


def _prev_perm(p: pl.DataFrame, ident: pl.DataFrame, s: date, e: date, d: Draw) -> pl.DataFrame:
    """Previous permanence, for the children starting care in the year."""
    starters = p.filter(pl.col("cla_start").is_between(s, e)).select("cid").unique().join(ident, on="cid")
    starters = starters.with_columns(rid=pl.col("cid") * 16 + 10)
    perm = d.choice(9080, {"Z1": 0.9, "P1": 0.02, "P2": 0.05, "P3": 0.03})
    return starters.with_columns(prev_perm=perm).select(
        "child", "dob", "prev_perm",
        la_perm=pl.when(pl.col("prev_perm") != "Z1").then(pl.lit("808")),
        date_perm=pl.when(pl.col("prev_perm") != "Z1").then(pl.col("dob") + days(d.between(9081, 200, 2000))),
    ).sort("child")


def _missing(p: pl.DataFrame, ident: pl.DataFrame, y: int, w: Window, d: Draw) -> pl.DataFrame:
    """Missing (M) and away (A) incidents in the year: the List 8 counts in the 12 months to its date for the
    last year, drawn counts for earlier years, dated inside the time in care in the year (never before 1 April:
    a return holds its own year's incidents, so for a child who left care early in the last year the List 8
    count's incidents all fall between 1 April and the day care ended)."""
    s, e = date(y - 1, 4, 1), date(y, 3, 31)
    last = y == w.end.year
    base = p.filter((pl.col("cla_start") <= e) & (pl.col("cla_end").is_null() | (pl.col("cla_end") >= s)))
    base = base.with_columns(rid=pl.col("pid") * 16 + 11 + (w.end.year - y),
                             lo=pl.max_horizontal("cla_start", pl.lit(s)) if not last
                             else pl.max_horizontal("cla_start", pl.col("year_ago") + timedelta(days=1), pl.lit(s)),
                             hi=pl.min_horizontal(pl.col("cla_end").fill_null(e), pl.lit(e)))
    n_m = pl.col("missing_episodes_12m") if last else d.mixture(9090, [(0, 0, 0.9), (1, 3, 0.1)])
    n_a = pl.col("absent_episodes_12m") if last else d.mixture(9091, [(0, 0, 0.95), (1, 2, 0.05)])
    both = pl.concat([
        base.with_columns(missing=pl.lit("M"), k=pl.int_ranges(0, n_m)),
        base.with_columns(missing=pl.lit("A"), k=pl.int_ranges(0, n_a)),
    ]).explode("k").drop_nulls("k").filter(pl.col("hi") >= pl.col("lo"))
    both = both.with_columns(rid=pl.col("rid") * 64 + pl.col("k") * 2 + (pl.col("missing") == "A").cast(pl.Int64))
    span = (pl.col("hi") - pl.col("lo")).dt.total_days()
    both = both.with_columns(mis_start=pl.col("lo") + days((d.u(9092) * (span + 1)).floor().cast(pl.Int64)))
    both = both.with_columns(mis_end=pl.min_horizontal(pl.col("mis_start") + days(d.between(9093, 0, 3)),
                                                       pl.lit(e)))
    return both.join(ident, on="cid").unique(["child", "mis_start", "missing"]).select(
        "child", "dob", "missing", "mis_start", "mis_end").sort("child", "mis_start", "missing")


SW_CHANGES = (0.6, 2.4)  # social-worker changes a year: settled, unsettled allocations
SW_UNSETTLED = 0.3  # share of periods of care with an unsettled allocation
SW_REASONS = {"LEFTRL": 0.3, "TSPROC": 0.25, "MANAGE": 0.15, "ORGRST": 0.1, "ABSENC": 0.05, "PCCHAN": 0.05,
              "CHCHAN": 0.05, "OTHERS": 0.05}


def sw_history(p: pl.DataFrame, d: Draw) -> pl.DataFrame:
    """Every period's social workers: allocated up to 90 days before care starts, changing `SW_CHANGES` times a
    year (evenly spaced), the last one List 8's allocated worker; `sw_dec` blank while the period is open."""
    top = p.select(pl.col("allocated_worker").str.slice(2).cast(pl.Int64).max()).item()
    pool = max(20, int(top or 20))
    pre = days(pl.when(pl.col("uasc_b")).then(0).otherwise(d.between(9100, 0, 90)))
    h = p.with_columns(rid=pl.col("pid") * 64 + 62).with_columns(
        sw_from=pl.max_horizontal(pl.col("cla_start") - pre, pl.min_horizontal("date_of_birth", "cla_start")),
        rate=pl.when(d.chance(9101, SW_UNSETTLED)).then(SW_CHANGES[1]).otherwise(SW_CHANGES[0]),
    ).with_columns(span=(pl.col("as_of") - pl.col("sw_from")).dt.total_days())
    h = h.with_columns(m=pl.min_horizontal((pl.col("rate") * pl.col("span") / 365.25 + d.u(9102)).floor()
                                           .cast(pl.Int64), pl.col("span") - 1, pl.lit(40)).clip(lower_bound=0))
    rows = h.with_columns(j=pl.int_ranges(0, pl.col("m") + 1)).explode("j").with_columns(
        rid=pl.col("pid") * 64 + pl.col("j"))
    at = pl.col("sw_from") + days((pl.col("j") * pl.col("span") / (pl.col("m") + 1)).floor().cast(pl.Int64))
    last = pl.col("j") == pl.col("m")
    worker = pl.format("SW{}", d.between(9103, 1, pool).cast(pl.String).str.zfill(4))
    rows = rows.with_columns(sw_decom=at, sw_id=pl.when(last).then(pl.col("allocated_worker")).otherwise(worker))
    return rows.with_columns(
        sw_dec=pl.when(last).then(pl.col("cla_end")).otherwise(pl.col("sw_decom").shift(-1).over("pid")),
        sw_reason=pl.when(last).then(pl.when(pl.col("cla_end").is_not_null()).then(pl.lit("OTHERS")))
        .otherwise(d.choice(9104, SW_REASONS)),
    ).select("pid", "cid", "sw_id", "sw_decom", "sw_dec", "sw_reason")


def _social_workers(history: pl.DataFrame, ident: pl.DataFrame, s: date, e: date) -> pl.DataFrame:
    """The social-worker episodes overlapping the year, as at its end (`sw_history`)."""
    sw = history.filter((pl.col("sw_decom") <= e) & (pl.col("sw_dec").is_null() | (pl.col("sw_dec") >= s)))
    ended = pl.col("sw_dec") <= e
    return sw.join(ident, on="cid").select(
        "child", "dob", "sw_id", "sw_decom",
        sw_dec=pl.when(ended).then(pl.col("sw_dec")), sw_reason=pl.when(ended).then(pl.col("sw_reason")),
    ).unique(["child", "sw_id", "sw_decom"]).sort("child", "sw_decom")


# ---------------------------------------------------------------- XML


_XML_HEADER = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
_XML_EPISODE = {"DECOM": "DECOM", "RNE": "RNE", "LS": "LS", "CIN": "CIN", "PLACE": "PL", "PL_POST": "PL_POST",
                "HOME_POST": "HOME_POST", "URN": "URN", "PLACE_PROVIDER": "PLACE_PROVIDER", "DEC": "DEC",
                "REC": "REC", "REASON_PLACE_CHANGE": "REASON_PLACE_CHANGE"}
_GROUPS = {"reviews": "AREVIEW", "missing": "AMISSING", "prevperm": "PERMANENCE", "oc2": "OC2",
           "placedadoption": "AD_PLACED", "swepisodes": "SW_EPISODE"}


def _elements(cols: dict[str, str]) -> pl.Expr:
    """`<TAG>value</TAG>` for each column (an empty `<TAG />` when blank), values XML-escaped."""
    parts = []
    for col, tag in cols.items():
        v = pl.col(col).str.replace_all("&", "&amp;").str.replace_all("<", "&lt;").str.replace_all(">", "&gt;")
        parts.append(pl.when(v.is_null()).then(pl.lit(f"<{tag} />")).otherwise(pl.format(f"<{tag}>{{}}</{tag}>", v)))
    return pl.concat_str(parts)


def to_xml(tables: dict[str, pl.DataFrame]) -> str:
    """One return (text tables, DfE headers) as an `EXPSSDA903` document (returns.md §1.2), built with polars
    string expressions: `CHILD` > `HEADER` (with UASC, OC3, AD1 fields and the nested groups) and `EPISODE`s."""
    head = tables["header"]
    fields = {c: ("CHILDID" if c == "CHILD" else c) for c in _XML_HEADER}
    h = head.unique("CHILD", keep="first", maintain_order=True)
    extra = {"uasc": ["DUC"], "oc3": ["IN_TOUCH", "ACTIV", "ACCOM"],
             "ad1": ["DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"]}
    for name, names in extra.items():
        if name in tables:
            h = h.join(tables[name].unique("CHILD").select("CHILD", *names), on="CHILD", how="left")
    h = h.with_columns(UASC=pl.when(pl.col("DUC").is_not_null()).then(pl.lit("1")))
    cols = {**fields, "UASC": "UASC", "DUC": "DUC", **{c: c for cs in list(extra.values())[1:] for c in cs}}
    h = h.select("CHILD", _head=_elements(cols))
    groups = []
    for name, tag in _GROUPS.items():
        if name not in tables or tables[name].height == 0:
            continue
        t = tables[name]
        inner = {c: c for c in t.columns if c not in ("CHILD", "DOB")}
        groups.append(t.select("CHILD", _g=pl.format(f"<{tag}>{{}}</{tag}>", _elements(inner))))
    g = (pl.concat(groups).group_by("CHILD", maintain_order=True).agg(_groups=pl.col("_g").str.join(""))
         if groups else pl.DataFrame(schema={"CHILD": pl.String, "_groups": pl.String}))
    e = tables["episodes"].filter(pl.col("CHILD").is_not_null()).select(
        "CHILD", _e=pl.format("<EPISODE>{}</EPISODE>", _elements(_XML_EPISODE)))
    e = e.group_by("CHILD", maintain_order=True).agg(_eps=pl.col("_e").str.join("\n"))
    doc = (
        h.join(g, on="CHILD", how="left").join(e, on="CHILD", how="left")
        .select(pl.format("<CHILD>\n<HEADER>{}{}</HEADER>\n{}\n</CHILD>", pl.col("_head"),
                          pl.col("_groups").fill_null(""), pl.col("_eps").fill_null("")))
        .to_series()
    )
    return '<?xml version="1.0" encoding="utf-8"?>\n<EXPSSDA903>\n' + "\n".join(doc.to_list()) + "\n</EXPSSDA903>\n"
