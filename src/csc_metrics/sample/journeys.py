"""Children's journeys through social care, simulated in bulk with polars.

A *chain* is one child's run of referrals: each referral ends in no further action, an assessment that finds
no need, a child in need plan, a child protection plan, or care; the next referral (if any) comes some time after
the previous episode closed. Chains are simulated position by position (at most `MAX_REFERRALS` steps), each step
vectorised over every chain, from `Window.burn` (years before the lists start) so that open cases carry realistic
old start dates. Children already in care when the simulation starts (the *legacy* cohort) are added separately.

Rates are per 10,000 children aged 0-17 per year and are tuned so that a run lands near the England 2024-25
figures (referrals ~519, S47 ~189, ICPCs ~59, CP ~41 and CIN ~330 and CLA ~67 at 31 March).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from csc_metrics.sample.draw import Draw, add_working_days, age_at, days

MAX_REFERRALS = 6
CHAIN_RATE = 0.0308  # new chains (children referred for the first time) per child per year
UASC_SHARE = 0.012  # of new chains: unaccompanied asylum-seeking children, who go straight into care
NFA_RATE = 0.06
S47_RATE = 0.387  # of referrals that are not NFA
ICPC_RATE = 0.31  # of S47 enquiries
PLAN_RATE = 0.88  # of ICPCs
CP_TO_CARE = 0.17  # of CP plans, ending because the child comes into care
NEXT_REFERRAL = 0.46  # chance of a further referral after an episode closes
LEGACY_CLA_RATE = 0.0044  # children in care when the simulation starts, per child

# age at first referral (days): under 1, 1-4, 5-9, 10-15, 16-17
REFERRAL_AGE = [(0, 364, 0.11), (365, 1825, 0.19), (1826, 3652, 0.24), (3653, 5843, 0.36), (5844, 6560, 0.10)]
# days between an episode closing and the next referral
REFERRAL_GAP = [(5, 120, 0.56), (121, 365, 0.20), (366, 1100, 0.24)]
CP_DAYS = [(60, 180, 0.36), (181, 365, 0.40), (366, 729, 0.18), (730, 1200, 0.06)]
CIN_PLAN_DAYS = [(30, 180, 0.56), (181, 365, 0.35), (366, 600, 0.09)]
RETURN_HOME_DAYS = [(7, 180, 0.40), (181, 730, 0.40), (731, 1500, 0.20)]

REFERRAL_SOURCE = {
    "6": 0.29, "2A": 0.19, "2B": 0.01, "3A": 0.03, "3B": 0.02, "3C": 0.005, "3D": 0.02, "3E": 0.04, "3F": 0.035,
    "5A": 0.05, "5B": 0.04, "5C": 0.03, "5D": 0.01, "1A": 0.05, "1B": 0.005, "1C": 0.01, "1D": 0.005, "4": 0.017,
    "7": 0.04, "8": 0.07, "9": 0.017, "10": 0.018,
}
UASC_SOURCE = {"6": 0.45, "5C": 0.3, "8": 0.25}

# how a period of care ends, by age when it starts
EXITS_UNDER_1 = {"adoption": 0.52, "sgo": 0.22, "home": 0.13, "to18": 0.06, "cao": 0.04, "other": 0.03}
EXITS_1_4 = {"adoption": 0.36, "sgo": 0.26, "home": 0.21, "to18": 0.10, "cao": 0.04, "other": 0.03}
EXITS_5_9 = {"adoption": 0.03, "sgo": 0.20, "home": 0.37, "to18": 0.30, "cao": 0.04, "other": 0.06}
EXITS_10_15 = {"sgo": 0.04, "home": 0.44, "to18": 0.40, "cao": 0.01, "other": 0.11}
EXITS_16_17 = {"home": 0.33, "to18": 0.57, "other": 0.10}
EXITS_UASC = {"to18": 0.85, "uasc_age": 0.05, "other": 0.10}
# children already in care when the simulation starts are mostly long-stayers (length-biased)
EXITS_LEGACY = {"to18": 0.72, "sgo": 0.10, "home": 0.10, "adoption": 0.05, "other": 0.03}
LEGACY_AGE = [(0, 364, 0.04), (365, 1825, 0.13), (1826, 3652, 0.19), (3653, 5843, 0.40), (5844, 6500, 0.24)]


@dataclass(frozen=True)
class Window:
    """The dates a sample covers."""

    end: date  # extract date, the last day of the last financial year
    start: date  # first day of the first financial year
    hist: date  # rows of the lists begin here: 12 months before `start`, for look-backs
    burn: date  # the simulation starts here, 4 years before `hist`

    @classmethod
    def of(cls, end: date, years: int) -> Window:
        start = _years_before(end, years) + timedelta(days=1)
        hist = _years_before(start, 1)
        return cls(end=end, start=start, hist=hist, burn=_years_before(hist, 4))


def _years_before(d: date, n: int) -> date:
    try:
        return d.replace(year=d.year - n)
    except ValueError:  # 29 February
        return d.replace(year=d.year - n, day=28)


def chains(n: int, w: Window, d: Draw, hols: Sequence[date]) -> pl.DataFrame:
    """One row per referred child: `cid`, first referral date, date of birth, UASC flag. About 1 in 2,000 first
    referrals is dated on a bank holiday (an edge case for working-day counts)."""
    sim_days = (w.end - w.burn).days + 1
    uasc = d.chance(101, UASC_SHARE)
    in_range = pl.Series([h for h in hols if w.burn <= h <= w.end], dtype=pl.Date)
    holiday = pl.lit(in_range).gather((d.u(105) * len(in_range)).floor().cast(pl.Int64))
    age_days = pl.when(uasc).then(d.between(102, 5479, 6400)).otherwise(d.mixture(103, REFERRAL_AGE))
    return (
        pl.DataFrame({"cid": pl.int_range(n, eager=True, dtype=pl.Int64)})
        .with_columns(rid=pl.col("cid"))
        .with_columns(uasc=uasc, first=pl.lit(w.burn) + days(d.between(104, 0, sim_days - 1)), age_days=age_days)
        .with_columns(first=pl.when(d.chance(106, 0.0005)).then(holiday).otherwise(pl.col("first")))
        .with_columns(dob=pl.col("first") - days(pl.col("age_days")))
        .select("cid", "first", "dob", "uasc")
    )


def simulate_referrals(ch: pl.DataFrame, w: Window, d: Draw, hols: Sequence[date]) -> pl.DataFrame:
    """Every referral of every chain, with its outcome dates (assessment, S47, ICPC, plans, care)."""
    cur = ch.select("cid", "dob", "uasc", ref_date="first").with_columns(k=pl.lit(0, pl.Int64))
    steps: list[pl.DataFrame] = []
    for k in range(MAX_REFERRALS):
        if cur.height == 0:
            break
        step = _referral_step(cur.with_columns(rid=pl.col("cid") * 8 + k), w, d, hols)
        steps.append(step.drop("cont", "next_date"))
        cur = (
            step.filter(pl.col("cont"))
            .select("cid", "dob", "uasc", ref_date="next_date")
            .with_columns(k=pl.lit(k + 1, pl.Int64))
            .filter((pl.col("ref_date") <= w.end) & (age_at(pl.col("dob"), pl.col("ref_date")) < 18))
        )
    return pl.concat(steps, how="diagonal_relaxed").sort("rid")  # joins do not keep order; draws key on rid


def _referral_step(cur: pl.DataFrame, w: Window, d: Draw, hols: Sequence[date]) -> pl.DataFrame:
    ref = pl.col("ref_date")
    uasc = pl.col("uasc")
    df = cur.with_columns(
        nfa=~uasc & d.chance(201, NFA_RATE),
        source=pl.when(uasc).then(d.choice(202, UASC_SOURCE)).otherwise(d.choice(203, REFERRAL_SOURCE)),
        s47=~uasc & d.chance(209, S47_RATE),
        icpc_u=d.u(211),
        plan_u=d.u(215),
    ).with_columns(s47=pl.col("s47") & ~pl.col("nfa"))
    assess_wd = (
        pl.when(d.chance(230, 0.02)).then(pl.lit(0, pl.Int64))  # authorised the same day
        .when(d.chance(205, 0.86))
        .then((pl.max_horizontal(d.u(206), d.u(207)) * 46).floor().cast(pl.Int64))
        .otherwise(d.between(208, 46, 95))
    )
    df = df.with_columns(
        assess_start=pl.when(~pl.col("nfa")).then(
            add_working_days(ref, d.mixture(204, [(0, 0, 0.5), (1, 5, 0.35), (6, 20, 0.15)]), hols)
        ),
        s47_start=pl.when(pl.col("s47")).then(add_working_days(ref, d.mixture(210, [(0, 0, 0.6), (1, 3, 0.4)]), hols)),
        icpc=pl.col("s47") & (pl.col("icpc_u") < ICPC_RATE),
    ).with_columns(
        assess_end=add_working_days(pl.col("assess_start"), assess_wd, hols),
        icpc_date=pl.when(pl.col("icpc")).then(
            add_working_days(
                pl.col("s47_start"),
                pl.when(d.chance(212, 0.79)).then(d.between(213, 5, 15)).otherwise(d.between(214, 16, 35)),
                hols,
            )
        ),
    ).with_columns(
        cp=pl.col("icpc") & (pl.col("plan_u") < PLAN_RATE)
        & (pl.col("icpc_date") < pl.col("dob").dt.offset_by("18y") - days(30)),
    )
    route = (
        pl.when(uasc).then(pl.lit("CLA"))
        .when(pl.col("nfa")).then(pl.lit("NFA"))
        .when(pl.col("cp")).then(pl.lit("CP"))
        .when(pl.col("icpc")).then(pl.lit("CINP"))
        .when(pl.col("s47")).then(d.choice(216, {"CLA": 0.09, "NIN": 0.35, "CINP": 0.56}))
        .otherwise(d.choice(217, {"NIN": 0.38, "CINP": 0.62}))
    )
    b18 = pl.col("dob").dt.offset_by("18y")
    df = df.with_columns(route=route).with_columns(
        cp_start=pl.when(pl.col("cp")).then(pl.col("icpc_date")),
    ).with_columns(
        cp_end=pl.min_horizontal(pl.col("cp_start") + days(d.mixture(218, CP_DAYS)), b18),  # plans end at 18
    ).with_columns(
        cp_to_care=pl.col("cp") & d.chance(219, CP_TO_CARE) & (pl.col("cp_end") < b18),
    ).with_columns(
        cla_start=pl.when(pl.col("cp_to_care")).then(pl.col("cp_end"))
        .when(uasc).then(ref + days(d.between(220, 0, 3)))
        .when(pl.col("route") == "CLA").then(ref + days(d.between(221, 0, 20))),
    ).with_columns(cla_start=pl.when(pl.col("cla_start") < b18).then(pl.col("cla_start")))
    care = care_periods(
        df.filter(pl.col("cla_start").is_not_null()).select("rid", "cid", "cla_start", "dob", "uasc"), d, None
    )
    df = df.join(care.drop("cid", "cla_start", "dob", "uasc"), on="rid", how="left")
    in_care = pl.col("cla_start").is_not_null()
    cin_end = (
        pl.when(pl.col("nfa")).then(None)
        .when(in_care).then(pl.col("cla_end") + days(d.between(222, 0, 28)))
        .when(pl.col("cp")).then(pl.col("cp_end") + days(d.between(223, 60, 200)))
        .when(pl.col("route") == "NIN").then(pl.col("assess_end"))
        .otherwise(pl.col("assess_end") + days(d.mixture(224, CIN_PLAN_DAYS)))
    )
    care_reason = closure_reason_after_care()
    cin_reason = (
        pl.when(pl.col("nfa")).then(None)
        .when(in_care).then(care_reason)
        .when(pl.col("cp")).then(d.choice(225, {"RC7": 0.95, "RC5": 0.05}))
        .when(pl.col("route") == "NIN").then(d.choice(226, {"RC8": 0.8, "RC9": 0.2}))
        .otherwise(d.choice(227, {"RC7": 0.88, "RC5": 0.04, "RC9": 0.08}))
    )
    terminal = in_care & pl.col("exit").is_in(["adoption", "sgo", "cao", "to18", "uasc_age"])
    terminal = terminal | pl.col("reason_ceased").is_in(["E3", "E2", "E7", "E16", "E15"])
    return df.with_columns(
        cin_start=pl.when(~pl.col("nfa")).then(ref),
        cin_end=cin_end,
        cin_reason=cin_reason,
        requires_support=pl.when(pl.col("nfa")).then(None).when(pl.col("route") == "NIN").then(pl.lit("N"))
        .otherwise(pl.lit("Y")),
    ).with_columns(
        cont=~uasc & ~terminal.fill_null(False) & d.chance(228, NEXT_REFERRAL),
        next_date=pl.coalesce("cin_end", "ref_date") + days(d.mixture(229, REFERRAL_GAP)),
    ).drop("icpc_u", "plan_u", "cp", "s47", "icpc")


LATE_REVIEW = 0.14  # of CP plans: one review late, the later ones on the new schedule (England: 90.6% on time)


def review_delay(d: Draw, k: pl.Expr) -> pl.Expr:
    """Days added to review `k` (0 = the first, 3 months after the start) of the plan in row `rid`: a late plan's
    review from its `k_late`-th (0-2) on comes 3-45 days after its due date."""
    late = d.chance(240, LATE_REVIEW) & (k >= d.between(241, 0, 2))
    return pl.when(late).then(d.between(242, 3, 45)).otherwise(0)


def closure_reason_after_care() -> pl.Expr:
    """The CIN closure reason when a period of care ends (RC1 adopted, RC4 SGO, RC3 CAO, RC5 transferred)."""
    by_exit = pl.col("exit").replace_strict({"adoption": "RC1", "sgo": "RC4", "cao": "RC3"}, default="RC7",
                                            return_dtype=pl.String)
    return pl.when(pl.col("reason_ceased") == "E3").then(pl.lit("RC5")).otherwise(by_exit)


def care_periods(df: pl.DataFrame, d: Draw, legacy_at: date | None) -> pl.DataFrame:
    """Periods of care from `cla_start` (or, for the legacy cohort, open on `legacy_at`): how and when each ends,
    with the adoption milestones where adoption is the plan. Columns added: exit, cla_end, reason_ceased,
    adoption_decision, placement_order, matched, placed_for_adoption, adoption_order, decision_reversed,
    reversal_reason, ffa_placement."""
    if df.height == 0:
        return df.with_columns(
            *[pl.lit(None, pl.Date).alias(c) for c in ("cla_end", "adoption_decision", "placement_order", "matched",
                                                       "placed_for_adoption", "adoption_order", "decision_reversed",
                                                       "ffa_placement")],
            *[pl.lit(None, pl.String).alias(c) for c in ("exit", "reason_ceased", "reversal_reason")],
        )
    start = pl.col("cla_start")
    age0 = age_at(pl.col("dob"), start)
    exit_ = (
        pl.when(pl.col("uasc")).then(d.choice(301, EXITS_UASC))
        .when(pl.lit(legacy_at is not None) & (age0 < 6)).then(d.choice(331, EXITS_LEGACY))
        .when(pl.lit(legacy_at is not None) & (age0 < 16)).then(d.choice(332, {**EXITS_LEGACY, "adoption": 0.0}))
        .when(age0 < 1).then(d.choice(302, EXITS_UNDER_1))
        .when(age0 < 5).then(d.choice(303, EXITS_1_4))
        .when(age0 < 10).then(d.choice(304, EXITS_5_9))
        .when(age0 < 16).then(d.choice(305, EXITS_10_15))
        .otherwise(d.choice(306, EXITS_16_17))
    )
    df = df.with_columns(exit=exit_, b18=pl.col("dob").dt.offset_by("18y"))
    adopt = pl.col("exit") == "adoption"
    df = df.with_columns(
        adoption_decision=pl.when(adopt).then(start + days(d.between(307, 90, 330))),
        reversed=adopt & d.chance(308, 0.10),
    ).with_columns(
        placement_order=pl.col("adoption_decision") + days(d.between(309, 30, 150)),
        decision_reversed=pl.when(pl.col("reversed")).then(pl.col("adoption_decision") + days(d.between(310, 60, 300))),
    ).with_columns(
        placement_order=pl.when(pl.col("reversed") & (pl.col("placement_order") >= pl.col("decision_reversed")))
        .then(None).otherwise(pl.col("placement_order")),
        reversal_reason=pl.when(pl.col("reversed")).then(
            d.choice(311, {"RD1": 0.3, "RD2": 0.25, "RD3": 0.25, "RD4": 0.2})
        ),
        matched=pl.when(adopt & ~pl.col("reversed")).then(pl.col("placement_order") + days(d.between(312, 60, 300))),
    ).with_columns(
        placed_for_adoption=pl.col("matched") + days(d.between(313, 7, 40)),
    ).with_columns(
        adoption_order=pl.col("placed_for_adoption") + days(d.between(314, 150, 400)),
        ffa_placement=pl.when(adopt & d.chance(315, 0.12)).then(start + days(d.between(316, 0, 30))),
    )
    after_reversal = d.choice(317, {"sgo": 0.5, "to18": 0.5})
    dur = (
        pl.when(pl.col("reversed")).then((pl.col("decision_reversed") - start).dt.total_days()
                                         + d.between(318, 180, 700))
        .when(adopt).then((pl.col("adoption_order") - start).dt.total_days())
        .when(pl.col("exit") == "home").then(d.mixture(319, RETURN_HOME_DAYS))
        .when(pl.col("exit") == "sgo").then(d.between(320, 365, 1100))
        .when(pl.col("exit") == "cao").then(d.between(321, 200, 900))
        .when(pl.col("exit") == "to18").then(pl.lit(100_000, pl.Int64))
        .otherwise(d.between(322, 30, 700))
    )
    df = df.with_columns(
        exit=pl.when(pl.col("reversed")).then(after_reversal).otherwise(pl.col("exit")),
        natural_end=start + days(dur.clip(upper_bound=40_000)),
    ).with_columns(
        exit=pl.when(pl.col("natural_end") >= pl.col("b18")).then(pl.lit("to18")).otherwise(pl.col("exit")),
        cla_end=pl.min_horizontal("natural_end", "b18"),
    )
    if legacy_at is not None:
        df = _shift_legacy(df, d, legacy_at)
    reason = (
        pl.when(pl.col("exit") == "adoption").then(d.choice(323, {"E11": 0.7, "E12": 0.3}))
        .when(pl.col("exit") == "sgo").then(d.choice(324, {"E45": 0.35, "E46": 0.1, "E47": 0.45, "E48": 0.1}))
        .when(pl.col("exit") == "cao").then(pl.lit("E41"))
        .when(pl.col("exit") == "home").then(d.choice(325, {"E4A": 0.85, "E4B": 0.15}))
        .when(pl.col("exit") == "uasc_age").then(pl.lit("E15"))
        .when(pl.col("exit") == "to18").then(
            d.choice(326, {"E17": 0.2, "E5": 0.37, "E6": 0.07, "E8": 0.25, "E13": 0.08, "E7": 0.03})
        )
        .otherwise(d.choice(327, {"E13": 0.4, "E3": 0.15, "E8": 0.2, "E9": 0.06, "E14": 0.06, "E16": 0.05,
                                  "E2": 0.02, "E7": 0.02, "E15": 0.04}))
    )
    return df.with_columns(reason_ceased=reason).drop("b18", "natural_end", "reversed")


def _shift_legacy(df: pl.DataFrame, d: Draw, at: date) -> pl.DataFrame:
    """Move a legacy period back so that `at` falls at a random point inside it (never before birth)."""
    span = (pl.col("cla_end") - pl.col("cla_start")).dt.total_days()
    age_days = (pl.lit(at) - pl.col("dob")).dt.total_days()
    cap = (pl.when(pl.col("exit") == "to18").then(pl.min_horizontal(age_days, pl.lit(8 * 365)))
           .otherwise(pl.min_horizontal(span, age_days)))
    shift = days((d.u(330) * cap).floor().cast(pl.Int64))
    moved = ["cla_start", "adoption_decision", "placement_order", "matched", "placed_for_adoption",
             "adoption_order", "decision_reversed", "ffa_placement"]
    df = df.with_columns(pl.col(c) - shift for c in moved)
    return df.with_columns(
        cla_end=pl.when(pl.col("exit") == "to18").then(pl.col("cla_end")).otherwise(pl.col("cla_end") - shift)
    )


def legacy_care(n: int, w: Window, d: Draw, first_cid: int) -> pl.DataFrame:
    """Children already in care when the simulation starts, with periods that began years before."""
    df = (
        pl.DataFrame({"cid": pl.int_range(first_cid, first_cid + n, eager=True, dtype=pl.Int64)})
        .with_columns(rid=pl.col("cid") * 8 + 7)
        .with_columns(uasc=d.chance(401, 0.04))
        .with_columns(
            age_days=pl.when(pl.col("uasc")).then(d.between(402, 5479, 6400)).otherwise(d.mixture(403, LEGACY_AGE))
        )
        .with_columns(dob=pl.lit(w.burn) - days(pl.col("age_days")), cla_start=pl.lit(w.burn))
        .drop("age_days")
    )
    return care_periods(df, d, w.burn)
