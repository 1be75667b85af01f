"""Turn simulated journeys into the eleven Annex A lists (canonical column names, codes, Y/N/U, dates)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import polars as pl

from csc_metrics.sample import journeys as jr
from csc_metrics.sample.draw import Draw, add_working_days, age_at, days

HOME_LA = "Stockton-on-Tees"
OTHER_LAS = ["Middlesbrough", "Hartlepool", "Darlington", "Redcar and Cleveland", "County Durham",
             "North Yorkshire", "Sunderland", "Leeds", "Manchester", "Birmingham"]
TEAMS = ["Assessment Team 1", "Assessment Team 2", "Safeguarding Team North", "Safeguarding Team South",
         "Children in Need Team", "Children in Care Team", "Disabled Children's Team"]
EH_ORGANISATIONS = {"Early Help Team": 0.45, "Family Hub": 0.2, "School": 0.2, "Health Visiting Service": 0.1,
                    "Youth Service": 0.05}
ETHNICITY = {
    "WBRI": 0.63, "WIRI": 0.003, "WIRT": 0.003, "WOTH": 0.055, "WROM": 0.01, "MWBC": 0.025, "MWBA": 0.01,
    "MWAS": 0.015, "MOTH": 0.03, "AIND": 0.01, "APKN": 0.03, "ABAN": 0.012, "AOTH": 0.02, "BCRB": 0.01,
    "BAFR": 0.035, "BOTH": 0.015, "CHNE": 0.002, "OOTH": 0.03, "REFU": 0.005, "NOBT": 0.026, "UNKNOWN": 0.005,
}
UASC_ETHNICITY = {"OOTH": 0.35, "AOTH": 0.25, "BAFR": 0.25, "WOTH": 0.1, "NOBT": 0.05}
GENDER = {"M": 0.515, "F": 0.475, "U": 0.007, "I": 0.003}
CONTACT_SOURCE = {**jr.REFERRAL_SOURCE, "6": 0.38, "2A": 0.15, "1A": 0.07, "9": 0.025}
PRIMARY_NEED = {"N1": 0.57, "N2": 0.09, "N3": 0.04, "N4": 0.08, "N5": 0.17, "N6": 0.02, "N7": 0.003, "N8": 0.02,
                "N9": 0.005, "N0": 0.002}
CATEGORY_OF_NEED = {"N1": 0.64, "N2": 0.03, "N3": 0.03, "N4": 0.08, "N5": 0.14, "N6": 0.02, "N7": 0.002, "N8": 0.058}
ABUSE = {"NEG": 0.50, "EMO": 0.37, "PHY": 0.07, "SAB": 0.04, "MUL": 0.02}
EET = {"F1": 0.12, "P1": 0.02, "F2": 0.3, "P2": 0.06, "F4": 0.08, "P4": 0.02, "F5": 0.25, "P5": 0.15}
NEET = {"G4": 0.3, "G5": 0.55, "G6": 0.15}
ACCOMMODATION = {"U": 0.33, "D": 0.2, "B": 0.12, "E": 0.06, "T": 0.05, "Z": 0.09, "C": 0.04, "K": 0.03,
                 "Y": 0.045, "G": 0.005, "X": 0.012, "S": 0.006, "V": 0.006, "W": 0.006}
ACCOMMODATION_17 = {k: v for k, v in ACCOMMODATION.items() if k != "Z"}
UNSUITABLE = ["S", "V", "W", "X"]
# care leavers' contact: England 2024-25 has about 4% of 19-21 year olds not in touch (returns.md §3.6)
IN_TOUCH = {"YES": 0.905, "NO": 0.035, "REFU": 0.03, "NREQ": 0.015, "DIED": 0.003, "RHOM": 0.012}
CONTACT_EXTRA = 2.0  # contacts that do not lead to a referral, per contact that does
EH_PER_REFERRAL = 0.45


def _yn(cond: pl.Expr) -> pl.Expr:
    return pl.when(cond).then(pl.lit("Y")).otherwise(pl.lit("N"))


def _null_after(col: str, end: date) -> pl.Expr:
    return pl.when(pl.col(col) <= end).then(pl.col(col)).alias(col)


def _team(d: Draw, key: int, workers: int) -> dict[str, pl.Expr]:
    return {
        "allocated_team": d.choice(key, {t: 1.0 for t in TEAMS}),
        "allocated_worker": pl.format("SW{}", d.between(key + 1, 1, workers).cast(pl.String).str.zfill(4)),
    }


def _count_before(events: pl.DataFrame, at: str, other: str, key: str = "cid") -> pl.DataFrame:
    """For each row of `events` (with a unique `row`), how many of the same child's `other` dates fall in the
    12 months before its `at` date (at - 12 months <= other < at)."""
    right = events.select(key, o=other).drop_nulls("o")
    return (
        events.select("row", key, at)
        .join(right, on=key)
        .filter((pl.col("o") < pl.col(at)) & (pl.col("o") >= pl.col(at).dt.offset_by("-12mo")))
        .group_by("row")
        .len("n")
    )


@dataclass(frozen=True)
class Journeys:
    """The simulated population every output is drawn from (the Annex A lists, the CIN census, the SSDA903):
    `refs` one row per referral with its outcome dates, `legacy` children in care since before the simulation,
    `care` every period of care, `people` child-level attributes (`cid`, `child_id`, gender, ethnicity,
    disability, date_of_birth) of every child in any list, and the lists' own contacts and early help."""

    refs: pl.DataFrame
    legacy: pl.DataFrame
    care: pl.DataFrame
    people: pl.DataFrame
    contacts: pl.DataFrame
    early_help: pl.DataFrame
    workers: int


def simulate(children: int, w: jr.Window, d: Draw, hols: Sequence[date]) -> Journeys:
    """The journeys of a child population of `children` aged 0-17 over the window `w`."""
    sim_years = ((w.end - w.burn).days + 1) / 365.25
    ch = jr.chains(max(1, round(children * jr.CHAIN_RATE * sim_years)), w, d, hols)
    refs = jr.simulate_referrals(ch, w, d, hols)
    legacy = jr.legacy_care(max(1, round(children * jr.LEGACY_CLA_RATE)), w, d, ch.height)
    care = pl.concat(
        [refs.filter(pl.col("cla_start").is_not_null()).select(legacy.columns), legacy], how="vertical_relaxed"
    )
    workers = max(20, children // 450)

    contacts, contact_kids = _contacts(refs, w, d, first_cid=ch.height + legacy.height)
    early_help, eh_kids = _early_help(refs, w, d, first_cid=ch.height + legacy.height + contact_kids.height)
    people = pl.concat(
        [ch.select("cid", "dob", "uasc"), legacy.select("cid", "dob", "uasc"), contact_kids, eh_kids],
        how="vertical_relaxed",
    )
    return Journeys(refs, legacy, care, _people(people, w, d), contacts, early_help, workers)


def build(children: int, w: jr.Window, d: Draw, hols: Sequence[date]) -> dict[int, pl.DataFrame]:
    """The eleven lists, keyed by list number, with canonical column names and stored code values."""
    return build_lists(simulate(children, w, d, hols), w, d, hols)


def build_lists(j: Journeys, w: jr.Window, d: Draw, hols: Sequence[date]) -> dict[int, pl.DataFrame]:
    """The eleven lists of simulated journeys `j`."""
    refs, legacy, care, people, workers = j.refs, j.legacy, j.care, j.people, j.workers
    lists = {
        1: j.contacts,
        2: j.early_help,
        3: _referrals(refs, w, d, workers),
        4: _assessments(refs, w, d, workers),
        5: _s47(refs, w, d, hols, workers),
        6: _cin(refs, legacy, care, w, d, workers),
        7: _cp(refs, w, d, workers),
        8: _looked_after(care, w, d, workers),
        9: _care_leavers(care, w, d, workers),
    }
    adoption, adopters = _adoption(care, w, d)
    lists[10] = adoption
    out: dict[int, pl.DataFrame] = {}
    for n, df in lists.items():
        joined = df.join(people, on="cid", how="left")
        out[n] = joined.with_columns(age_years=age_at(pl.col("date_of_birth"), pl.lit(w.end)))
    out[11] = adopters
    return out


def earlier_lists(j: Journeys, w: jr.Window, d: Draw, since: date) -> dict[int, pl.DataFrame]:
    """Lists 8, 10 and 11 as if their history began at `since` (before `w.hist`): the rows of the lists plus
    the periods of care, adoptions and adopters over between `since` and `w.hist`, drawn alike (every draw keys
    on the row), for returns of earlier years. Filtered from `w.hist` on, each is its list."""
    early = replace(w, hist=since)
    adoption, adopters = _adoption(j.care, early, d)
    frames = {8: _looked_after(j.care, early, d, j.workers), 10: adoption}
    out = {n: df.join(j.people, on="cid", how="left") for n, df in frames.items()}
    return {**out, 11: adopters}


def care_leavers_at(j: Journeys, w: jr.Window, d: Draw, end: date) -> pl.DataFrame:
    """List 9's young people as the list would have held them on `end` (aged 17-21 then), with the child-level
    attributes; only who they are and their eligibility mean anything for an earlier year."""
    care = j.care.filter(pl.col("cla_start") <= end)
    return _care_leavers(care, replace(w, end=end), d, j.workers).join(j.people, on="cid", how="left")


def _people(people: pl.DataFrame, w: jr.Window, d: Draw) -> pl.DataFrame:
    """Child-level attributes, the same in every list: id, gender, ethnicity, date of birth, disability."""
    ids = pl.int_range(people.height, eager=True, dtype=pl.Int64).shuffle(seed=d.seed) + 1_000_001
    uasc = pl.col("uasc").fill_null(False)
    return people.with_columns(rid=pl.col("cid") * 8 + 6, child_id=ids.cast(pl.String)).with_columns(
        gender=pl.when(uasc).then(d.choice(701, {"M": 0.92, "F": 0.08})).otherwise(d.choice(702, GENDER)),
        ethnicity=pl.when(uasc).then(d.choice(703, UASC_ETHNICITY)).otherwise(d.choice(704, ETHNICITY)),
        disability=d.choice(705, {"N": 0.86, "Y": 0.10, "U": 0.04}),
    ).select("cid", "child_id", "gender", "ethnicity", "disability", date_of_birth="dob")


def _contacts(refs: pl.DataFrame, w: jr.Window, d: Draw, first_cid: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """List 1: one contact before each referral, plus contacts that went no further (mostly children who were
    never referred). Returns the list and the contact-only children."""
    leading = refs.select("cid", "rid", "ref_date", "source", "dob").with_columns(
        contact_date=pl.max_horizontal(pl.col("ref_date") - days(d.mixture(501, [(0, 0, 0.7), (1, 5, 0.3)])),
                                       pl.col("dob")),
        contact_source=pl.when(d.chance(502, 0.92)).then(pl.col("source")).otherwise(d.choice(503, CONTACT_SOURCE)),
    )
    leading = leading.filter(pl.col("contact_date").is_between(w.hist, w.end)).select(
        "cid", "contact_date", "contact_source"
    )
    n_extra = round(leading.height * CONTACT_EXTRA)
    n_kids = max(1, round(n_extra * 0.8 / 1.25))
    span = (w.end - w.hist).days
    kids = (
        pl.DataFrame({"cid": pl.int_range(first_cid, first_cid + n_kids, eager=True, dtype=pl.Int64)})
        .with_columns(rid=pl.col("cid") * 8 + 1)
        .with_columns(
            contact_date=pl.lit(w.hist) + days(d.between(504, 0, span)),
            age_days=d.mixture(505, jr.REFERRAL_AGE),
            second=d.chance(506, 0.25),
        )
        .with_columns(dob=pl.col("contact_date") - days(pl.col("age_days")))
    )
    seconds = kids.filter(pl.col("second")).with_columns(
        contact_date=pl.col("contact_date") + days(d.between(507, 14, 240)), rid=pl.col("rid") + 2
    )
    only = pl.concat([kids, seconds]).filter(pl.col("contact_date") <= w.end).with_columns(
        contact_source=d.choice(508, CONTACT_SOURCE)
    )
    # a few more contacts for children who are referred at other times
    known = (
        refs.filter(pl.col("ref_date").is_between(w.hist, w.end))
        .select("cid", "dob", "ref_date", "rid")
        .sample(fraction=0.25, with_replacement=True, seed=d.seed + 11)
        .with_columns(rid=pl.col("rid") * 4 + pl.int_range(pl.len()) % 4)
        .with_columns(
            contact_date=pl.col("ref_date") + days(d.mixture(509, [(-330, -40, 0.5), (40, 330, 0.5)])),
            contact_source=d.choice(510, CONTACT_SOURCE),
        )
        .filter(
            pl.col("contact_date").is_between(w.hist, w.end)
            & (age_at(pl.col("dob"), pl.col("contact_date")) < 18)
            & (pl.col("contact_date") >= pl.col("dob"))
        )
    )
    contacts = pl.concat(
        [leading, only.select("cid", "contact_date", "contact_source"),
         known.select("cid", "contact_date", "contact_source")]
    ).unique(["cid", "contact_date", "contact_source"], keep="first", maintain_order=True)
    return contacts.sort("contact_date", "cid"), kids.select("cid", "dob", uasc=pl.lit(False))


def _early_help(refs: pl.DataFrame, w: jr.Window, d: Draw, first_cid: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """List 2: early help assessments after a social care case closed to early help, plus children known only
    to early help."""
    n_refs = refs.filter(pl.col("ref_date").is_between(w.hist, w.end)).height
    stepped = refs.filter(pl.col("cin_reason") == "RC9").select(
        "cid", "rid", eh_assessment_start=pl.col("cin_end") + days(d.between(601, 0, 20))
    )
    stepped = stepped.filter(pl.col("eh_assessment_start").is_between(w.hist, w.end))
    n_kids = max(1, round(n_refs * EH_PER_REFERRAL) - stepped.height)
    span = (w.end - w.hist).days
    kids = (
        pl.DataFrame({"cid": pl.int_range(first_cid, first_cid + n_kids, eager=True, dtype=pl.Int64)})
        .with_columns(rid=pl.col("cid") * 8 + 2)
        .with_columns(eh_assessment_start=pl.lit(w.hist) + days(d.between(602, 0, span)),
                      age_days=d.mixture(603, jr.REFERRAL_AGE))
        .with_columns(dob=pl.col("eh_assessment_start") - days(pl.col("age_days")))
    )
    eh = pl.concat([stepped, kids.select("cid", "rid", "eh_assessment_start")]).with_columns(
        eh_assessment_completion=pl.col("eh_assessment_start") + days(d.between(604, 10, 90)),
        organisation=d.choice(605, EH_ORGANISATIONS),
    )
    eh = eh.with_columns(_null_after("eh_assessment_completion", w.end)).with_columns(
        eh_assessment_completion=pl.when(d.chance(606, 0.05)).then(None).otherwise(pl.col("eh_assessment_completion"))
    )
    eh = eh.unique(["cid", "eh_assessment_start"], keep="first", maintain_order=True)
    return eh.drop("rid").sort("eh_assessment_start", "cid"), kids.select("cid", "dob", uasc=pl.lit(False))


def _referrals(refs: pl.DataFrame, w: jr.Window, d: Draw, workers: int) -> pl.DataFrame:
    ev = refs.with_row_index("row")
    prior = _count_before(ev, "ref_date", "ref_date")
    return (
        ev.filter(pl.col("ref_date").is_between(w.hist, w.end))
        .join(prior, on="row", how="left")
        .with_columns(
            referral_date=pl.col("ref_date"),
            referral_source=pl.col("source"),
            referral_nfa=_yn(pl.col("nfa")),
            referrals_last_12m=pl.col("n").fill_null(0).cast(pl.Int64),
            **_team(d, 711, workers),
        )
        .select("cid", "referral_date", "referral_source", "referral_nfa", "referrals_last_12m", "allocated_team",
                "allocated_worker")
        .sort("referral_date", "cid")
    )


def _assessments(refs: pl.DataFrame, w: jr.Window, d: Draw, workers: int) -> pl.DataFrame:
    a = refs.filter(
        pl.col("assess_start").is_not_null()
        & (pl.col("assess_start") <= w.end)
        & ((pl.col("assess_start") >= w.hist) | (pl.col("assess_end") >= w.hist))
    )
    return (
        a.with_columns(
            assessment_start=pl.col("assess_start"),
            child_seen=d.choice(721, {"Y": 0.965, "N": 0.02, "U": 0.015}),
            assessment_authorised=pl.when(pl.col("assess_end") <= w.end).then(pl.col("assess_end")),
            **_team(d, 722, workers),
        )
        .with_columns(
            requires_support=pl.when(pl.col("assessment_authorised").is_not_null()).then(pl.col("requires_support"))
        )
        .select("cid", "assessment_start", "child_seen", "assessment_authorised", "requires_support",
                "allocated_team", "allocated_worker")
        .sort("assessment_start", "cid")
    )


def _s47(refs: pl.DataFrame, w: jr.Window, d: Draw, hols: Sequence[date], workers: int) -> pl.DataFrame:
    ev = refs.filter(pl.col("s47_start").is_not_null()).with_row_index("row")
    s47_prior = _count_before(ev, "s47_start", "s47_start").rename({"n": "n_s47"})
    icpc_prior = _count_before(ev, "s47_start", "icpc_date").rename({"n": "n_icpc"})
    held = pl.col("icpc_date").is_not_null()
    concluded = add_working_days(pl.col("s47_start"), 15, hols) <= w.end
    return (
        ev.filter((pl.col("s47_start") <= w.end) & ((pl.col("s47_start") >= w.hist) | (pl.col("icpc_date") >= w.hist)))
        .join(s47_prior, on="row", how="left")
        .join(icpc_prior, on="row", how="left")
        .with_columns(_null_after("icpc_date", w.end))
        .with_columns(
            icpc_unnecessary=pl.when(held).then(pl.lit("N")).when(concluded).then(pl.lit("Y")),
            icpc_resulted_in_plan=pl.when(held).then(_yn(pl.col("cp_start").is_not_null())),
            s47_last_12m=pl.col("n_s47").fill_null(0).cast(pl.Int64),
            icpcs_last_12m=pl.col("n_icpc").fill_null(0).cast(pl.Int64),
            **_team(d, 731, workers),
        )
        .select("cid", "s47_start", "icpc_unnecessary", "icpc_date", "icpc_resulted_in_plan", "s47_last_12m",
                "icpcs_last_12m", "allocated_team", "allocated_worker")
        .sort("s47_start", "cid")
    )


def _open_at(start: str, end_col: str, when: date) -> pl.Expr:
    return (pl.col(start) <= when) & (pl.col(end_col).is_null() | (pl.col(end_col) > when))


def _cin(refs: pl.DataFrame, legacy: pl.DataFrame, care: pl.DataFrame, w: jr.Window, d: Draw,
         workers: int) -> pl.DataFrame:
    """List 6: CIN episodes (one per referral that was not NFA, plus those of children in care since before the
    simulation), with the case status at the extract date."""
    legacy_cin = legacy.select(
        "cid", "rid", "cla_end", "dob",
        cin_start=pl.max_horizontal(pl.col("cla_start") - days(d.between(741, 0, 60)), pl.col("dob")),
        cin_reason=jr.closure_reason_after_care(),
    ).with_columns(
        cin_end=pl.col("cla_end") + days(d.between(742, 0, 28)),
        assess_start=pl.lit(None, pl.Date),
        assess_end=pl.lit(None, pl.Date),
        uasc=pl.lit(False),
    )
    eps = pl.concat(
        [refs.filter(pl.col("cin_start").is_not_null()).select(
            "cid", "rid", "cin_start", "cin_end", "cin_reason", "assess_start", "assess_end", "uasc"),
         legacy_cin.select("cid", "rid", "cin_start", "cin_end", "cin_reason", "assess_start", "assess_end", "uasc")],
        how="vertical_relaxed",
    ).filter((pl.col("cin_start") <= w.end) & (pl.col("cin_end").is_null() | (pl.col("cin_end") >= w.hist)))
    in_care = care.filter(_open_at("cla_start", "cla_end", w.end)).select("cid").unique().with_columns(
        in_care=pl.lit(True))
    on_plan = refs.filter(_open_at("cp_start", "cp_end", w.end)).select("cid").unique().with_columns(
        on_plan=pl.lit(True))
    open_ep = pl.col("cin_end").is_null() | (pl.col("cin_end") > w.end)
    status = (
        pl.when(~open_ep).then(pl.lit("CLOSED"))
        .when(pl.col("in_care").fill_null(False)).then(pl.lit("CLA"))
        .when(pl.col("on_plan").fill_null(False)).then(pl.lit("CP"))
        .when(pl.col("assess_start").is_not_null() & (pl.col("assess_end") > w.end)).then(pl.lit("ASSESSMENT"))
        .otherwise(pl.lit("CIN"))
    )
    as_of = pl.min_horizontal(pl.col("cin_end"), pl.lit(w.end))
    return (
        eps.join(in_care, on="cid", how="left")
        .join(on_plan, on="cid", how="left")
        .with_columns(
            case_status=status,
            # N0 (not stated) only on an episode with no assessment
            primary_need=pl.when(pl.col("uasc")).then(pl.lit("N8")).when(pl.col("assess_start").is_null()).then(
                d.choice(743, PRIMARY_NEED)).otherwise(d.choice(743, {k: v for k, v in PRIMARY_NEED.items()
                                                                      if k != "N0"})),
            last_seen=pl.max_horizontal(as_of - days(d.between(744, 0, 40)), pl.col("cin_start")),
            cin_closure=pl.when(~open_ep).then(pl.col("cin_end")),
            closure_reason=pl.when(~open_ep).then(pl.col("cin_reason")),
            **_team(d, 745, workers),
        )
        .select("cid", "cin_start", "primary_need", "last_seen", "cin_closure", "closure_reason", "case_status",
                "allocated_team", "allocated_worker")
        .sort("cin_start", "cid")
    )


def _cp(refs: pl.DataFrame, w: jr.Window, d: Draw, workers: int) -> pl.DataFrame:
    plans = refs.filter(pl.col("cp_start").is_not_null()).sort("cid", "cp_start")
    # earlier plans in the simulation, plus plans before it for some children (the same for all their plans)
    plans = plans.with_columns(rank=pl.int_range(pl.len()).over("cid"), prior=pl.col("cid") * 8 + 5).with_columns(
        extra=pl.when(d.u(751, "prior") < 0.17).then(1).when(d.u(751, "prior") < 0.21).then(2).otherwise(0)
    )
    plans = plans.filter((pl.col("cp_start") <= w.end) & (pl.col("cp_end") >= w.hist))
    as_of = pl.min_horizontal(pl.col("cp_end"), pl.lit(w.end))
    # the latest review by the extract date (the census's schedule: 3 months, then 6-monthly, some late)
    reviews = (plans.select("cid", "cp_start", "cp_end", "rid", k=pl.int_ranges(0, 40)).explode("k")
               .with_columns(r=pl.col("cp_start").dt.offset_by("3mo").dt.offset_by(pl.format("{}mo", pl.col("k") * 6))
                             + days(jr.review_delay(d, pl.col("k"))))
               .filter((pl.col("r") <= w.end) & (pl.col("cp_end").is_null() | (pl.col("r") < pl.col("cp_end"))))
               .group_by("cid", "cp_start").agg(latest_review_conference=pl.col("r").max()))
    initial = d.choice(752, ABUSE)
    return (
        plans.join(reviews, on=["cid", "cp_start"], how="left").with_columns(
            initial_category=initial,
            latest_category=pl.when(d.chance(753, 0.85)).then(initial).otherwise(d.choice(754, ABUSE)),
            last_statutory_visit=pl.max_horizontal(as_of - days(d.between(755, 0, 14)), pl.col("cp_start")),
            seen_alone=d.choice(756, {"Y": 0.78, "N": 0.12, "U": 0.10}),
            epo_last_6m=_yn(d.chance(757, 0.03)),
            previous_cp_plans=(pl.col("rank") + pl.col("extra")).cast(pl.Int64),
            **_team(d, 758, workers),
        )
        .with_columns(_null_after("cp_end", w.end))
        .select("cid", "cp_start", "initial_category", "latest_category", "last_statutory_visit", "seen_alone",
                "latest_review_conference", "cp_end", "epo_last_6m", "previous_cp_plans", "allocated_team",
                "allocated_worker")
        .sort("cp_start", "cid")
    )


SUPPORTED_REGISTERED = date(2023, 10, 28)  # unregistered supported accommodation (H5) unlawful from this day


def _placement(d: Draw, age: pl.Expr) -> pl.Expr:
    """A placement type by age; H5 (semi-independent, unregistered) only for a placement over before 28 October
    2023, when supported accommodation had to be registered (K3; returns.md §1.3)."""
    return _registered(
        pl.when(pl.col("uasc")).then(d.choice(761, {"K3": 0.3, "H5": 0.15, "U6": 0.4, "U4": 0.15}))
        .when(age >= 16).then(d.choice(762, {"K2": 0.15, "H5": 0.12, "K3": 0.14, "U4": 0.28, "U6": 0.14, "U1": 0.06,
                                             "U3": 0.05, "R1": 0.02, "S1": 0.02, "Z1": 0.02}))
        .when(age >= 10).then(d.choice(763, {"U4": 0.38, "U6": 0.2, "U1": 0.08, "U3": 0.08, "K2": 0.15, "P1": 0.05,
                                             "K1": 0.01, "R1": 0.02, "S1": 0.02, "Z1": 0.01}))
        .otherwise(d.choice(764, {"U4": 0.36, "U6": 0.22, "U1": 0.12, "U3": 0.13, "U5": 0.02, "U2": 0.02,
                                  "P1": 0.08, "R3": 0.02, "K2": 0.03}))
    )


def _registered(place: pl.Expr) -> pl.Expr:
    """Supported accommodation: K3 (registered) for a placement still open on 28 October 2023 (`as_of` on or
    after it), H5 for one over before it."""
    supported = place.is_in(["H5", "K3"])
    return (pl.when(supported & (pl.col("as_of") >= SUPPORTED_REGISTERED)).then(pl.lit("K3"))
            .when(supported).then(pl.lit("H5")).otherwise(place))


def _looked_after(care: pl.DataFrame, w: jr.Window, d: Draw, workers: int) -> pl.DataFrame:
    """List 8: periods of care open at the extract date or ended since the history start."""
    ev = care.sort("cid", "cla_start").with_columns(
        prev_end=pl.col("cla_end").shift(1).over("cid"),
    )
    cla = ev.filter((pl.col("cla_start") <= w.end) & (pl.col("cla_end") >= w.hist))
    as_of = pl.min_horizontal(pl.col("cla_end"), pl.lit(w.end))
    cla = cla.with_columns(as_of=as_of).with_columns(
        elapsed=(pl.col("as_of") - pl.col("cla_start")).dt.total_days(),
        age=age_at(pl.col("dob"), pl.col("as_of")),
        placed=pl.col("placed_for_adoption").is_not_null() & (pl.col("placed_for_adoption") <= pl.col("as_of")),
        po=pl.col("placement_order").is_not_null() & (pl.col("placement_order") <= pl.col("as_of")),
        c2_date=pl.col("cla_start") + days(d.between(771, 90, 300)),
    )
    since_move = (
        pl.when(d.chance(772, 0.70)).then((pl.col("elapsed") * (0.75 + 0.25 * d.u(773))).floor())
        .otherwise((d.u(774) * pl.min_horizontal(pl.col("elapsed"), pl.lit(730))).floor())
        .cast(pl.Int64)
    )
    cla = cla.with_columns(
        placement_start=pl.when(pl.col("placed")).then(pl.col("placed_for_adoption"))
        .when(pl.col("elapsed") < 365).then(
            pl.when(d.chance(775, 0.6)).then(pl.col("cla_start")).otherwise(pl.col("as_of") - days(since_move))
        )
        .otherwise(pl.col("as_of") - days(since_move)),
    ).with_columns(
        placement_start=pl.max_horizontal("placement_start", "cla_start"),
    )
    year_ago = pl.col("as_of").dt.offset_by("-12mo")
    moves = d.mixture(776, [(0, 0, 0.63), (1, 1, 0.26), (2, 4, 0.11)])
    placements = (
        pl.when(pl.col("placement_start") <= year_ago).then(1)
        .when(pl.col("placement_start") == pl.col("cla_start")).then(1)
        .otherwise(2 + moves)
    ).cast(pl.Int64)
    legal = (
        pl.when(pl.col("po")).then(pl.lit("E1"))
        .when(pl.col("uasc")).then(pl.lit("V2"))
        .when(pl.col("reason_ceased") == "E14").then(pl.lit("J1"))
        .when((pl.col("exit") == "home") & d.chance(777, 0.6)).then(pl.lit("V2"))
        .when(d.chance(778, 0.12)).then(pl.lit("V2"))
        .when(pl.col("c2_date") <= pl.col("as_of")).then(pl.lit("C2"))
        .otherwise(pl.lit("C1"))
    )
    cla = cla.with_columns(legal_status=legal).with_columns(
        legal_status_start=pl.when(pl.col("legal_status") == "E1").then(pl.col("placement_order"))
        .when(pl.col("legal_status") == "C2").then(pl.col("c2_date"))
        .otherwise(pl.col("cla_start")),
        placement_type=pl.when(pl.col("placed")).then(d.choice(779, {"A5": 0.35, "A6": 0.65}))
        .otherwise(_placement(d, pl.col("age"))),
    )
    provider = (
        pl.when(pl.col("placement_type") == "P1").then(pl.lit("PR0"))
        .when(pl.col("placement_type").is_in(["U1", "U2", "U3"])).then(pl.lit("PR1"))
        .when(pl.col("placement_type").is_in(["U4", "U5", "U6"])).then(d.choice(780, {"PR1": 0.6, "PR4": 0.4}))
        .when(pl.col("placement_type").is_in(["A5", "A6"])).then(d.choice(781, {"PR1": 0.7, "PR5": 0.3}))
        .when(pl.col("placement_type").is_in(["K2", "K3", "H5"])).then(
            d.choice(782, {"PR4": 0.75, "PR1": 0.15, "PR5": 0.1}))
        .otherwise(d.choice(783, {"PR4": 0.6, "PR2": 0.25, "PR3": 0.15}))
    )
    inside = d.chance(784, 0.62)
    permanence = (
        pl.when(pl.col("exit") == "adoption").then(pl.lit("ADOPTION"))
        .when(pl.col("exit").is_in(["sgo", "cao"])).then(pl.lit("SGO_CAO"))
        .when(pl.col("exit") == "home").then(pl.lit("RETURN_HOME"))
        .otherwise(d.choice(785, {"LONG_TERM_FOSTERING": 0.6, "SUPPORTED_LIVING": 0.22, "RESIDENTIAL": 0.1,
                                  "OTHER": 0.08}))
    )
    missing = pl.when(pl.col("age") >= 13).then(d.chance(786, 0.19)).otherwise(d.chance(787, 0.03))
    n_missing = pl.when(missing).then(d.mixture(788, [(1, 1, 0.45), (2, 4, 0.4), (5, 15, 0.15)])).otherwise(0)
    offered = d.chance(789, 0.72)
    checked = pl.col("cla_start") + days(20)
    cla = cla.with_columns(
        second_period_12m=_yn(pl.col("prev_end").is_not_null()
                              & (pl.col("prev_end") >= pl.col("cla_start").dt.offset_by("-12mo"))),
        category_of_need=pl.when(pl.col("uasc")).then(pl.lit("N8")).otherwise(d.choice(790, CATEGORY_OF_NEED)),
        latest_review=pl.when(checked <= pl.col("as_of")).then(
            pl.max_horizontal(pl.col("as_of") - days(d.between(791, 0, 150)), checked)),
        last_sw_visit=pl.max_horizontal(pl.col("as_of") - days(d.between(792, 0, 40)), pl.col("cla_start")),
        permanence_plan=permanence,
        last_iro_visit=pl.when(d.chance(793, 0.95)).then(
            pl.max_horizontal(pl.col("as_of") - days(d.between(794, 0, 120)), pl.col("cla_start"))),
        last_health_assessment=pl.when(checked <= pl.col("as_of")).then(
            pl.max_horizontal(pl.col("as_of") - days(pl.when(d.chance(795, 0.88)).then(d.between(796, 0, 330))
                                                   .otherwise(d.between(797, 366, 500))), checked)),
        last_dental_check=pl.when((checked <= pl.col("as_of")) & d.chance(798, 0.9)).then(
            pl.max_horizontal(pl.col("as_of") - days(pl.when(d.chance(799, 0.8)).then(d.between(800, 0, 330))
                                                   .otherwise(d.between(801, 366, 600))), checked)),
        placements_last_12m=placements,
        cla_end=pl.when(pl.col("cla_end") <= w.end).then(pl.col("cla_end")),
        placement_provider=provider,
        placement_location=pl.when(inside).then(pl.lit("IN")).otherwise(pl.lit("OUT")),
        placement_la=pl.when(inside).then(pl.lit(HOME_LA)).otherwise(d.choice(802, {la: 1.0 for la in OTHER_LAS})),
        placement_postcode=pl.format(
            "{}{} {}{}", pl.when(inside).then(pl.lit("TS")).otherwise(d.choice(803, {"DL": 1, "NE": 1, "SR": 1,
                                                                                       "YO": 1, "LS": 1})),
            d.between(804, 1, 29), d.between(805, 1, 9), d.choice(806, {"AB": 1, "DE": 1, "GH": 1, "JN": 1, "PQ": 1,
                                                                       "RS": 1, "TU": 1, "WX": 1}),
        ),
        missing_episodes_12m=n_missing.cast(pl.Int64),
        absent_episodes_12m=pl.when(d.chance(807, 0.06)).then(d.between(808, 1, 4)).otherwise(0).cast(pl.Int64),
        return_interview_offered=pl.when(missing).then(_yn(offered)),
        return_interview_accepted=pl.when(missing & offered).then(_yn(d.chance(809, 0.45))),
        uasc=_yn(pl.col("uasc")),
        **_team(d, 810, workers),
    ).with_columns(
        reason_ceased=pl.when(pl.col("cla_end").is_not_null()).then(pl.col("reason_ceased")),
        placement_urn=pl.when(pl.col("placement_type").is_in(["K1", "K2", "K3", "H5", "R1", "S1"])).then(
            pl.format("SC{}", d.between(811, 100000, 999999))),
    )
    return cla.select(
        "cid", "uasc", "cla_start", "category_of_need", "second_period_12m", "legal_status_start", "legal_status",
        "latest_review", "last_sw_visit", "permanence_plan", "last_iro_visit", "last_health_assessment",
        "last_dental_check", "placements_last_12m", "cla_end", "reason_ceased", "placement_start", "placement_type",
        "placement_provider", "placement_postcode", "placement_urn", "placement_location", "placement_la",
        "missing_episodes_12m", "absent_episodes_12m", "return_interview_offered", "return_interview_accepted",
        "allocated_team", "allocated_worker",
    ).sort("cla_start", "cid")


def _care_leavers(care: pl.DataFrame, w: jr.Window, d: Draw, workers: int) -> pl.DataFrame:
    """List 9: young people aged 17-21 at the extract date who left care at 18 (former relevant), left care at
    16-17 (relevant), left under special guardianship at 16+ (qualifying), or are 17 and still in care (eligible)."""
    age_end = age_at(pl.col("dob"), pl.lit(w.end))
    age_left = age_at(pl.col("dob"), pl.col("cla_end"))
    ended = pl.col("cla_end") <= w.end
    eligibility = (
        pl.when(~ended & (age_end == 17)).then(pl.lit("ELIGIBLE"))
        .when(ended & (pl.col("exit") == "to18")).then(pl.lit("FORMER_RELEVANT"))
        .when(ended & pl.col("exit").is_in(["sgo", "cao"]) & (age_left >= 16)).then(pl.lit("QUALIFYING"))
        .when(ended & (age_left >= 16) & (age_end == 17) & pl.col("exit").is_in(["other"])).then(pl.lit("RELEVANT"))
    )
    cl = (
        care.with_columns(eligibility=eligibility, age_end=age_end)
        .filter(pl.col("eligibility").is_not_null() & pl.col("age_end").is_between(17, 21))
        .sort("cid", "cla_start")
        .unique("cid", keep="last", maintain_order=True)
        .with_columns(rid=pl.col("cid") * 8 + 4)
    )
    in_touch = pl.when(pl.col("eligibility") == "ELIGIBLE").then(pl.lit("YES")).otherwise(
        d.choice(821, IN_TOUCH)
    )
    cl = cl.with_columns(in_touch=in_touch)
    yes = pl.col("in_touch") == "YES"
    accommodation = (
        pl.when(yes & (pl.col("age_end") == 17)).then(d.choice(822, ACCOMMODATION_17))
        .when(yes).then(d.choice(823, ACCOMMODATION))
        .when(pl.col("in_touch").is_in(["NREQ", "RHOM"])).then(d.choice(824, {"B": 0.6, "U": 0.4}))
    )
    cl = cl.with_columns(accommodation=accommodation)
    eet_share = pl.when(pl.col("age_end") >= 19).then(pl.lit(0.60)).otherwise(pl.lit(0.66))
    activity = (
        pl.when(yes | (pl.col("in_touch") == "NREQ")).then(
            pl.when(d.u(825) < eet_share).then(d.choice(826, EET)).otherwise(d.choice(827, NEET)))
        .when(pl.col("in_touch").is_in(["NO", "REFU"])).then(pl.lit("0"))
    )
    contact_gap = (
        pl.when(yes).then(d.between(828, 0, 56))
        .when(pl.col("in_touch").is_in(["NO", "REFU"])).then(d.between(829, 90, 400))
        .otherwise(d.between(830, 30, 300))
    )
    return (
        cl.with_columns(
            uasc=_yn(pl.col("uasc")),
            personal_advisor=pl.format("PA{}", d.between(831, 1, max(5, workers // 8)).cast(pl.String).str.zfill(3)),
            pathway_plan_review=pl.when(d.chance(832, 0.95)).then(pl.lit(w.end) - days(d.between(833, 0, 200))),
            latest_contact=pl.when(pl.col("in_touch") != "DIED").then(pl.lit(w.end) - days(contact_gap)),
            accommodation_suitability=pl.when(pl.col("accommodation").is_in(UNSUITABLE)).then(pl.lit("UNSUITABLE"))
            .when(pl.col("accommodation").is_not_null()).then(
                pl.when(d.chance(834, 0.99)).then(pl.lit("SUITABLE")).otherwise(pl.lit("UNSUITABLE"))),
            activity=activity,
            **_team(d, 835, workers),
        )
        .select("cid", "uasc", "allocated_team", "allocated_worker", "personal_advisor", "eligibility",
                "pathway_plan_review", "in_touch", "latest_contact", "accommodation", "accommodation_suitability",
                "activity")
        .sort("cid")
    )


def _adoption(care: pl.DataFrame, w: jr.Window, d: Draw) -> tuple[pl.DataFrame, pl.DataFrame]:
    """List 10 (children with an adoption decision) and List 11 (their adopters, plus adopters who left the
    process or are still waiting)."""
    dates = ["adoption_decision", "placement_order", "matched", "placed_for_adoption", "adoption_order",
             "decision_reversed", "ffa_placement"]
    kids = care.filter(
        pl.col("adoption_decision").is_not_null()
        & (pl.col("adoption_decision") <= w.end)
        & (pl.col("adoption_order").is_null() | (pl.col("adoption_order") >= w.hist))
        & (pl.col("decision_reversed").is_null() | (pl.col("decision_reversed") >= w.hist))
    ).sort("matched", "cid")
    all_matched = care.filter(pl.col("matched").is_not_null()).select(
        "cid", "matched", "placed_for_adoption", "adoption_order"
    ).with_row_index("fam").with_columns(fam=pl.col("fam").cast(pl.Int64))
    families = _families(all_matched, w, d)
    fam_ids = families.select("fam", "family_id").unique("fam")
    kids = (
        kids.join(all_matched.select("cid", "fam"), on="cid", how="left")
        .join(fam_ids, on="fam", how="left")
        .with_columns(_null_after(c, w.end) for c in dates)
        .with_columns(
            family_id=pl.when(pl.col("matched").is_not_null()).then(pl.col("family_id")),
            reversal_reason=pl.when(pl.col("decision_reversed").is_not_null()).then(pl.col("reversal_reason")),
            entered_care=pl.col("cla_start"),
        )
        .select("cid", "family_id", "entered_care", *dates[:-1], "reversal_reason", "ffa_placement")
        .sort("adoption_decision", "cid")
    )
    return kids, families.drop("fam")


def _families(matched: pl.DataFrame, w: jr.Window, d: Draw) -> pl.DataFrame:
    """Adopters: one family per matched child, dates worked back from the match, and as many again who left the
    process (or are approved and waiting). One row per individual adopter."""
    base = matched.with_columns(rid=pl.col("fam") * 8 + 3).with_columns(
        application_approved=pl.col("matched") - days(d.between(841, 20, 330)),
    ).with_columns(stage2_end=pl.col("application_approved") - days(d.between(842, 0, 20))).with_columns(
        stage2_start=pl.col("stage2_end") - days(d.between(843, 100, 140))
    ).with_columns(
        application_submitted=pl.col("stage2_start") + days(d.between(844, 0, 10)),
        stage1_end=pl.col("stage2_start") - days(d.between(845, 0, 30)),
    ).with_columns(stage1_start=pl.col("stage1_end") - days(d.between(846, 45, 70))).with_columns(
        enquiry_date=pl.col("stage1_start") - days(d.between(847, 0, 40)),
        placed=pl.col("placed_for_adoption"),
        left_process=pl.lit(None, pl.Date),
        leaving_reason=pl.lit(None, pl.String),
    )
    n_left = max(1, round(matched.height * 0.8))
    sim_days = (w.end - w.burn).days
    left = (
        pl.DataFrame({"fam": pl.int_range(matched.height, matched.height + n_left, eager=True, dtype=pl.Int64)})
        .with_columns(rid=pl.col("fam") * 8 + 3)
        .with_columns(enquiry_date=pl.lit(w.burn) + days(d.between(848, 0, sim_days)), stage=d.u(849))
        .with_columns(stage1_start=pl.when(pl.col("stage") >= 0.35).then(
            pl.col("enquiry_date") + days(d.between(850, 5, 40))))
        .with_columns(stage1_end=pl.when(pl.col("stage") >= 0.6).then(pl.col("stage1_start") + days(d.between(851, 45, 70))))
        .with_columns(stage2_start=pl.col("stage1_end") + days(d.between(852, 0, 30)))
        .with_columns(application_submitted=pl.col("stage2_start") + days(d.between(853, 0, 10)),
                      stage2_end=pl.when(pl.col("stage") >= 0.8).then(pl.col("stage2_start") + days(d.between(854, 100, 140))))
        .with_columns(application_approved=pl.col("stage2_end") + days(d.between(855, 0, 20)))
        .with_columns(
            left_process=pl.when(pl.col("stage") < 0.92).then(
                pl.max_horizontal("enquiry_date", "stage1_start", "stage1_end", "stage2_start", "application_submitted",
                                  "stage2_end", "application_approved") + days(d.between(856, 7, 90))),
        )
        .with_columns(leaving_reason=pl.when(pl.col("left_process").is_not_null()).then(
            pl.when(pl.col("stage") < 0.6).then(d.choice(857, {"1": 0.8, "2": 0.2}))
            .otherwise(d.choice(858, {"1": 0.5, "2": 0.3, "3": 0.2}))))
    )
    cols = ["fam", "rid", "enquiry_date", "stage1_start", "stage1_end", "stage2_start", "stage2_end",
            "application_submitted", "application_approved", "matched", "placed", "adoption_order", "left_process",
            "leaving_reason"]
    fam = pl.concat([base.select(cols), left.select([c for c in cols if c in left.columns])], how="diagonal_relaxed")
    date_cols = cols[2:-1]
    last = pl.max_horizontal(*[pl.col(c) for c in date_cols])
    fam = fam.filter((pl.col("enquiry_date") <= w.end) & (last >= w.hist)).with_columns(
        _null_after(c, w.end) for c in date_cols
    ).with_columns(
        leaving_reason=pl.when(pl.col("left_process").is_not_null()).then(pl.col("leaving_reason")),
        children_placed=pl.when(pl.col("placed").is_not_null()).then(pl.lit(1, pl.Int64)),
        family_id=pl.format("F{}", (pl.col("fam") + 1).cast(pl.String).str.zfill(6)),
        couple=d.chance(859, 0.75),
        fostering_for_adoption=_yn(d.chance(860, 0.08)),
        mix=d.choice(861, {"MF": 0.8, "MM": 0.1, "FF": 0.1}),
    )
    people = (
        fam.with_columns(adopters=pl.when(pl.col("couple")).then(pl.lit([0, 1])).otherwise(pl.lit([0])))
        .explode("adopters")
        .with_columns(rid=pl.col("fam") * 8 + pl.col("adopters"))
        .with_columns(
            adopter_id=(pl.col("fam") * 2 + pl.col("adopters") + 5_000_001).cast(pl.String),
            gender=pl.when(pl.col("couple")).then(pl.col("mix").str.slice(pl.col("adopters"), 1))
            .otherwise(d.choice(862, {"F": 0.85, "M": 0.15})),
            ethnicity=d.choice(863, {"WBRI": 0.85, "WOTH": 0.04, "MWBC": 0.02, "APKN": 0.02, "AIND": 0.02,
                                     "BAFR": 0.02, "OOTH": 0.01, "NOBT": 0.02}),
            disability=_yn(d.chance(864, 0.03)),
        )
    )
    return people.select(
        "fam", "adopter_id", "family_id", "gender", "ethnicity", "disability", "fostering_for_adoption",
        "enquiry_date", "stage1_start", "stage1_end", "stage2_start", "stage2_end", "application_submitted",
        "application_approved", "matched", "placed", "children_placed", "adoption_order", "left_process",
        "leaving_reason",
    ).sort("enquiry_date", "adopter_id")
