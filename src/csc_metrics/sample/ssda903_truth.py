"""The SSDA903 figures the generator knows by construction (`truth.json`), counted from its own periods of care,
placements and List 10 dates, and the tables as drawn (before any --messy defect), never through the reader or
the derived structures of `csc_metrics.derive`. One entry per §3.3-3.7 measure; proportions as [numerator,
denominator], durations as [total days, adoptions] (the three-year pooled means add three years' entries)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from csc_metrics.sample.draw import age_at

FOSTER = ["U1", "U2", "U3", "U4", "U5", "U6"]
ADOPTIVE = ["A3", "A4", "A5", "A6"]
EET = ["F1", "P1", "F2", "P2", "F4", "P4", "F5", "P5"]
SUITABLE = ["B1", "C1", "D1", "E1", "G1", "H1", "K1", "R1", "S1", "T1", "U1", "V1", "W1", "X1", "Y1", "Z1"]
NOT_ASSESSED = ["G1", "G2", "H1", "H2", "R1", "R2"]  # left out of the suitability denominator (§3.6)


def in_cohort(s: date, e: date) -> pl.Expr:
    """A period of care that makes its child continuously looked after for 12 months at `e` (§2.7): begun on
    or before `s` and open to `e` (ceasing on 31 March keeps continuity)."""
    return (pl.col("cla_start") <= s) & (pl.col("cla_end").is_null() | (pl.col("cla_end") >= e))


def _pair(num: pl.DataFrame, den: pl.DataFrame) -> list[int]:
    return [num.height, den.height]


def _outcome_truth(y: int, tables: dict[str, pl.DataFrame], p: pl.DataFrame) -> dict:
    """OC2 and care-leaver figures as the generator drew them: the OC2 rows are the 12-month cohort (one each),
    the OC3 rows the care leavers aged 17-21 at 31 March (the age reached at the birthday in the year)."""
    e = date(y, 3, 31)
    oc2 = tables["oc2"].with_columns(age=age_at(pl.col("dob"), pl.lit(e)), sdq=pl.col("sdq_score").cast(pl.Int64))

    def yes(frame: pl.DataFrame, col: str) -> int:
        return frame.filter(pl.col(col) == "1").height

    sdq = oc2.filter(pl.col("age").is_between(5, 16))
    scores = sdq["sdq"].drop_nulls()
    transferred = p.filter(pl.col("reason_ceased") == "E3").select("child_id").unique()
    oc3 = (tables["oc3"].join(transferred, left_on="child", right_on="child_id", how="anti")
           .filter(~pl.col("in_touch").is_in(["DIED", "RHOM"]))
           .with_columns(age=age_at(pl.col("dob"), pl.lit(e))))
    band = oc3.filter(pl.col("age").is_between(19, 21))
    young = oc3.filter(pl.col("age").is_between(17, 18))
    eet = EET + (["F3", "P3"] if y <= 2021 else [])

    def suitable(frame: pl.DataFrame) -> list[int]:
        assessed = frame.filter(~pl.col("accom").is_in(NOT_ASSESSED))
        return _pair(assessed.filter(pl.col("accom").is_in(SUITABLE)), assessed)

    # staying put: aged 18-20, whose final period of care ended within a day of their 18th birthday in foster care
    final = p.sort("cla_start").unique("cid", keep="last").select(
        child="child_id", _ptype="placement_type", _end="cla_end")
    left_foster = oc3.join(final, on="child", how="inner").filter(
        pl.col("age").is_between(18, 20) & pl.col("_ptype").is_in(FOSTER)
        & ((pl.col("_end") - pl.col("dob").dt.offset_by("18y")).dt.total_days().abs() <= 1))
    return {
        "oc2_cohort": oc2.height,
        "oc2_health_assessment": yes(oc2, "health_assessment"), "oc2_immunisations": yes(oc2, "immunisations"),
        "oc2_teeth_check": yes(oc2, "teeth_check"), "oc2_substance_misuse": yes(oc2, "substance_misuse"),
        "oc2_under_5": oc2.filter(pl.col("age") < 5).height,
        "oc2_under_5_health_check": yes(oc2.filter(pl.col("age") < 5), "health_check"),
        "oc2_10_17": oc2.filter(pl.col("age").is_between(10, 17)).height,
        "oc2_10_17_convicted": yes(oc2.filter(pl.col("age").is_between(10, 17)), "convicted"),
        "sdq_5_16": sdq.height, "sdq_scores": scores.len(),
        "sdq_mean": float(scores.mean()) if scores.len() else None,  # type: ignore[arg-type]
        "sdq_concern": [int((scores >= 17).sum()), scores.len()],
        "care_leavers_19_21": band.height,
        "care_leavers_19_21_eet": band.filter(pl.col("activ").is_in(eet)).height,
        "care_leavers_17_18": young.height,
        "care_leavers_17_18_eet": young.filter(pl.col("activ").is_in(eet)).height,
        "care_leavers_19_21_neet": band.filter(pl.col("activ").is_in(["G4", "G5", "G6"])).height,
        "care_leavers_19_21_higher_education": band.filter(pl.col("activ").is_in(["F1", "P1"])).height,
        "care_leavers_19_21_not_in_touch": band.filter(
            (pl.col("in_touch") == "NO") & pl.col("activ").fill_null("0").eq("0")).height,
        "care_leavers_19_21_suitable": suitable(band), "care_leavers_17_18_suitable": suitable(young),
        "care_leavers_staying_put": _pair(left_foster.filter(pl.col("accom").is_in(["Z1", "Z2"])), left_foster),
    }


def _spells(p: pl.DataFrame, plc: pl.DataFrame) -> pl.DataFrame:
    """Each placement with its end (the next placement's start, or the end of care); a move to A5 with the same
    carers and the short temporary stays are not new placements (§2.5)."""
    spells = plc.filter(~pl.col("same_carer")).sort("pid", "p_start").with_columns(
        p_end=pl.col("p_start").shift(-1).over("pid")).join(p.select("pid", "cid", "cla_end"), on="pid")
    return spells.with_columns(p_end=pl.col("p_end").fill_null(pl.col("cla_end")))


def _placements_3plus(p: pl.DataFrame, spells: pl.DataFrame, e: date, years: int) -> list[int]:
    """[with 3+ placements in the `years` years to `e`, of those looked after at `e`] (in care since 2 years
    before for the two-year measure), the placements as drawn, of every period of care in the window."""
    s = e.replace(year=e.year - years) + timedelta(days=1)
    stock = p.filter(pl.col("cla_end").is_null() | (pl.col("cla_end") > e)).filter(pl.col("cla_start") <= e)
    if years == 2:
        stock = stock.filter(pl.col("cla_start") <= e.replace(year=e.year - 2))
    cohort = stock.select("cid").unique()
    held = spells.filter((pl.col("p_start") <= e) & (pl.col("p_end").is_null() | (pl.col("p_end") >= s)))
    per = held.join(cohort, on="cid").group_by("cid").len()
    return [per.filter(pl.col("len") >= 3).height, cohort.height]


def _long_term_stable(p: pl.DataFrame, plc: pl.DataFrame, e: date) -> list[int]:
    """[with the same carers for 2 years or more, looked after at `e`, under 16 and in care for 2.5 years or more]
    (§3.4, §2.6): the carers' start is the start of the placement held at `e`; for an adoptive one (A3-A6) the
    spell reaches one carer change further back (A5 with the same carers: the placement before the foster one)."""
    cohort = p.filter((pl.col("cla_start").dt.offset_by("30mo") <= e)
                      & (pl.col("cla_end").is_null() | (pl.col("cla_end") > e))
                      & (age_at(pl.col("date_of_birth"), pl.lit(e)) < 16)).select("pid")
    held = plc.filter(pl.col("p_start") <= e).sort("pid", "j").with_columns(
        before=pl.col("p_start").shift(1).over("pid"), before2=pl.col("p_start").shift(2).over("pid")).unique(
        "pid", keep="last")
    carers = (pl.when(pl.col("same_carer")).then(pl.coalesce("before2", "before"))
              .when(pl.col("place").is_in(ADOPTIVE)).then(pl.coalesce("before", "p_start"))
              .otherwise(pl.col("p_start")))
    stable = cohort.join(held, on="pid").filter(carers.dt.offset_by("24mo") <= e)
    return [stable.height, cohort.height]


def _adoption_days(p: pl.DataFrame, plc: pl.DataFrame, l10: pl.DataFrame, s: date, e: date) -> dict:
    """A1 (care to placed for adoption), A10 (care to moving in with the adopters: the foster placement's start
    when the adopters are its carers, A5) and A2 (placement order to match): [total days, adoptions] of the
    adoptions in the year."""
    adopted = p.filter(pl.col("reason_ceased").is_in(["E11", "E12"]) & pl.col("cla_end").is_between(s, e))
    # the placement order: the period's E1 legal status (from the start of care, or from the change to it)
    order = pl.when(pl.col("legal_status") != "E1").then(None).when(
        pl.col("legal_status_start") > pl.col("cla_start")).then(pl.col("legal_status_start")).otherwise(
        pl.col("cla_start"))
    last = plc.sort("pid", "j").with_columns(before=pl.col("p_start").shift(1).over("pid")).unique("pid", keep="last")
    rows = adopted.with_columns(order=order).join(l10.select("cid", "matched", "placed_for_adoption"), on="cid").join(
        last.select("pid", "same_carer", "before"), on="pid", how="left")
    moved_in = pl.when(pl.col("same_carer")).then(pl.col("before")).otherwise(pl.col("placed_for_adoption"))

    def total(frm: pl.Expr, to: pl.Expr) -> list[int]:
        days = rows.select((to - frm).dt.total_days().alias("d"))["d"].drop_nulls()
        return [int(days.sum()), days.len()]

    return {"a1_days": total(pl.col("cla_start"), pl.col("placed_for_adoption")),
            "a10_days": total(pl.col("cla_start"), moved_in),
            "a2_days": total(pl.col("order"), pl.col("matched"))}


def _stock_truth(p: pl.DataFrame, tables: dict[str, pl.DataFrame], s: date, e: date) -> dict:
    """Looked after at 31 March by legal status, placement type and UASC; UASC among those starting; the
    reason of each child's last cessation; missing and away among those looked after in the year."""
    eps = tables["episodes"].filter((pl.col("decom") <= e) & pl.col("dec").is_null())  # the episode open at `e`
    open_e = p.filter((pl.col("cla_start") <= e) & (pl.col("cla_end").is_null() | (pl.col("cla_end") > e)))
    uasc = tables["uasc"].select("child", "duc")
    started = p.filter(pl.col("cla_start").is_between(s, e)).select(child="child_id").unique()
    last_ceased = (p.filter(pl.col("cla_end").is_between(s, e)).sort("cla_end")
                   .unique("cid", keep="last", maintain_order=True))
    during = p.filter((pl.col("cla_start") <= e) & (pl.col("cla_end").is_null() | (pl.col("cla_end") >= s))).select(
        child="child_id").unique()

    def went(kind: str) -> list[int]:
        spells = tables["missing"].filter((pl.col("missing") == kind) & (pl.col("mis_start") <= e)
                                          & (pl.col("mis_end").is_null() | (pl.col("mis_end") >= s)))
        return _pair(during.join(spells, on="child", how="semi"), during)

    return {
        "legal_status_at_31_march": dict(sorted(eps.group_by("ls").len().iter_rows())),
        "placement_type_at_31_march": dict(sorted(eps.group_by("place").len().iter_rows())),
        "uasc_at_31_march": open_e.select(child="child_id").unique().join(
            uasc.filter(pl.col("duc") > e), on="child", how="semi").height,
        "children_started_uasc": started.join(uasc, on="child", how="semi").height,
        "children_ceased_by_reason": dict(sorted(last_ceased.group_by("reason_ceased").len().iter_rows())),
        "missing": went("M"), "away": went("A"),
    }


def truth_counts(p: pl.DataFrame, years: list[int], returns: dict[int, dict[str, pl.DataFrame]] | None = None,
                 placements: pl.DataFrame | None = None, adoptions: pl.DataFrame | None = None) -> dict:
    """Figures known by construction, per collection year, counted from the periods of care (and, given the
    returns as drawn, the OC2, care-leaver, stock and missing figures; given the placements, the placement
    counts and long-term stability; given List 10 too, the adoption durations)."""
    out: dict[str, dict] = {}
    spells = None if placements is None else _spells(p, placements)
    for y in years:
        s, e = date(y - 1, 4, 1), date(y, 3, 31)
        open_e = p.filter((pl.col("cla_start") <= e) & (pl.col("cla_end").is_null() | (pl.col("cla_end") > e)))
        ceased = p.filter(pl.col("cla_end").is_between(s, e))
        reasons = dict(sorted(ceased.group_by("reason_ceased").len().iter_rows()))
        t = out[str(y)] = {
            "period": f"{y - 1}-04-01/{y}-03-31",
            "looked_after_at_31_march": open_e.select(pl.col("cid").n_unique()).item(),
            "started": p.filter(pl.col("cla_start").is_between(s, e)).height,
            "children_started": p.filter(pl.col("cla_start").is_between(s, e)).select(pl.col("cid").n_unique()).item(),
            "ceased": ceased.height,
            "children_ceased": ceased.select(pl.col("cid").n_unique()).item(),
            "ceased_by_reason": reasons,
            "adopted": ceased.filter(pl.col("reason_ceased").is_in(["E11", "E12"])).height,
            "looked_after_during_year": p.filter(
                (pl.col("cla_start") <= e) & (pl.col("cla_end").is_null() | (pl.col("cla_end") >= s))
            ).select(pl.col("cid").n_unique()).item(),
            "continuously_12_months": p.filter(in_cohort(s, e)).select(pl.col("cid").n_unique()).item(),
        }
        if placements is not None and spells is not None:
            t["placements_3plus"] = _placements_3plus(p, spells, e, 1)
            t["placements_3plus_2y"] = _placements_3plus(p, spells, e, 2)
            t["long_term_stable"] = _long_term_stable(p, placements, e)
            if adoptions is not None:
                t.update(_adoption_days(p, placements, adoptions, s, e))
        if returns is not None:
            t.update(_outcome_truth(y, returns[y], p))
            t.update(_stock_truth(p, returns[y], s, e))
            if "swepisodes" in returns[y]:  # distinct workers in the year of the children in care at 31 March
                kids = open_e.select(child="child_id").unique()
                workers = returns[y]["swepisodes"].join(kids, on="child").group_by("child").agg(
                    n=pl.col("sw_id").n_unique())
                t["social_workers_3plus"] = workers.filter(pl.col("n") >= 3).height
    return {"note": "counted from the simulated periods of care before any --messy defects; children, not rows, "
                    "unless the name says otherwise (started, ceased: periods of care)", "years": out}
