"""CIN census derived sets (returns.md §2.1, §2.10, §6.10-6.13): pure polars functions, no I/O, no loop over children.

Input frames are the CIN tables as `CinCensusFormat` reads them (columns in `definitions/tables/cin_census.yaml`
plus `census_year`). `stack_censuses` puts several censuses together and links every module to its referral by
natural key; `census_view` gives the tables for computing census year Y (census Y, plus look-back rows of earlier
censuses that census Y does not hold). The other functions take those tables.
"""

from __future__ import annotations

from datetime import date

import polars as pl

YEAR = "census_year"
CHILD = "la_child_id"
REF = "cin_referral_date"
LOOK_BACK = "look_back"  # the row comes from an earlier census than the year computed

# natural keys (returns.md §2.1 CIN decision; the rest by the same reading)
NATURAL_KEYS: dict[str, list[str]] = {
    "cin_header": [YEAR],
    "cin_child": [CHILD],
    "cin_disabilities": [CHILD, "disability"],
    "cin_details": [CHILD, REF],
    "cin_assessments": [CHILD, "assessment_actual_start_date"],
    "cin_assessment_factors": [CHILD, "assessment_actual_start_date", "assessment_factor"],
    "cin_plan_dates": [CHILD, "cin_plan_start_date"],
    "cin_s47": [CHILD, "s47_actual_start_date"],
    "cin_cpp": [CHILD, "cpp_start_date"],
    "cin_cpp_reviews": [CHILD, "cpp_start_date", "cpp_review_date"],
    "cin_pre_proceedings": [CHILD, "pp_start_date"],
}
ACTIVITY = ["cin_assessments", "cin_plan_dates", "cin_s47", "cin_cpp"]  # §6.11
NOT_IN_NEED = ["RC8", "RC9"]


def first_per_key(frame: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """The first row of each distinct `key` (nulls equal), in order: `unique(key, keep="first",
    maintain_order=True)` as a filter, which polars runs several times faster."""
    return frame.filter(pl.struct(list(dict.fromkeys(key))).is_first_distinct())


def _utf8(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Utf8)


def link_details(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Every module of one or more censuses with the natural key of its referral (`cin_referral_date`), the
    plan start on reviews and the assessment start on factors (ordinal ids mean nothing across censuses)."""
    out = dict(tables)
    details = tables.get("cin_details")
    if details is None:
        return out
    by = [CHILD, "cin_details_id", YEAR]
    refs = details.select(*by, REF)
    for name in ("cin_assessments", "cin_assessment_factors", "cin_plan_dates", "cin_s47", "cin_cpp",
                 "cin_cpp_reviews", "cin_pre_proceedings"):
        frame = out.get(name)
        if frame is not None and REF not in frame.columns:
            out[name] = frame.join(refs, on=by, how="left", maintain_order="left", nulls_equal=False)
    if "cin_assessment_factors" in out and "cin_assessments" in tables and \
            "assessment_actual_start_date" not in out["cin_assessment_factors"].columns:
        starts = tables["cin_assessments"].select(*by, "assessment_id", "assessment_actual_start_date")
        out["cin_assessment_factors"] = out["cin_assessment_factors"].join(
            starts, on=[*by, "assessment_id"], how="left", maintain_order="left")
    if "cin_cpp_reviews" in out and "cin_cpp" in tables and "cpp_start_date" not in out["cin_cpp_reviews"].columns:
        starts = tables["cin_cpp"].select(*by, "cpp_id", "cpp_start_date")
        out["cin_cpp_reviews"] = out["cin_cpp_reviews"].join(starts, on=[*by, "cpp_id"], how="left",
                                                             maintain_order="left")
    return out


def stack_censuses(censuses: list[tuple[int, dict[str, pl.DataFrame]]]) -> dict[str, pl.DataFrame]:
    """Several censuses (census year ending, tables) -> one frame per table holding every census's rows,
    tagged `census_year`, linked by natural key (`link_details`), de-duplicated on the natural key WITHIN each
    census (first row kept). Nothing is dropped across censuses: census Y stays the authority for year Y and
    earlier censuses supply look-back facts only (§6.10); use `census_view` to compute one year."""
    parts: dict[str, list[pl.DataFrame]] = {}
    for year, tables in sorted(censuses, key=lambda c: c[0]):
        for name, frame in tables.items():
            tagged = frame.with_columns(pl.lit(year, dtype=pl.Int32).alias(YEAR))
            parts.setdefault(name, []).append(tagged)
    stacked = {name: pl.concat(frames, how="diagonal_relaxed") for name, frames in parts.items()}
    linked = link_details(stacked)
    out = {}
    for name, frame in linked.items():
        key = [k for k in NATURAL_KEYS.get(name, []) if k in frame.columns]
        out[name] = first_per_key(frame, [*key, YEAR]) if key else frame
    return out


def census_view(stacked: dict[str, pl.DataFrame], year: int) -> dict[str, pl.DataFrame]:
    """The tables for computing census year `year`: every row of census `year`, plus (flagged `look_back`) the
    rows of earlier censuses whose natural key census `year` does not hold, the latest earlier census's row per
    key. Later censuses are ignored. Header and child rows come from census `year` only."""
    out = {}
    for name, frame in stacked.items():
        current = frame.filter(pl.col(YEAR) == year).with_columns(pl.lit(False).alias(LOOK_BACK))
        key = [k for k in NATURAL_KEYS.get(name, []) if k in frame.columns and k != YEAR]
        if name in ("cin_header", "cin_child", "cin_disabilities") or not key:
            out[name] = current
            continue
        earlier = (frame.filter(pl.col(YEAR) < year).sort(YEAR, descending=True, maintain_order=True)
                   .unique(key, keep="first", maintain_order=True)
                   .join(current.select(key), on=key, how="anti", nulls_equal=True)
                   .with_columns(pl.lit(True).alias(LOOK_BACK)))
        out[name] = pl.concat([current, earlier], how="vertical_relaxed")
    return out


def _episode_key(frame: pl.DataFrame) -> list[str]:
    return [CHILD, REF] + ([YEAR] if YEAR in frame.columns else [])


def _with_ref(frame: pl.DataFrame, details: pl.DataFrame) -> pl.DataFrame:
    """`frame` (a module of the census) with its referral's `cin_referral_date`, joined by the ordinal
    `cin_details_id` (within a census) when `link_details` has not added it already."""
    if REF in frame.columns:
        return frame
    by = [c for c in (CHILD, "cin_details_id", YEAR) if c in frame.columns and c in details.columns]
    return frame.join(details.select(*by, REF).unique(by, keep="first"), on=by, how="left", maintain_order="left")


def _with_plan_start(reviews: pl.DataFrame, cpp: pl.DataFrame) -> pl.DataFrame:
    """Reviews with their plan's `cpp_start_date` (joined by the ordinals) when not already linked."""
    if "cpp_start_date" in reviews.columns:
        return reviews
    by = [c for c in (CHILD, "cin_details_id", "cpp_id", YEAR) if c in reviews.columns and c in cpp.columns]
    return reviews.join(cpp.select(*by, "cpp_start_date").unique(by, keep="first"), on=by, how="left",
                        maintain_order="left")


def cin_episodes(details: pl.DataFrame, assessments: pl.DataFrame, plan_dates: pl.DataFrame, s47: pl.DataFrame,
                 cpp: pl.DataFrame) -> pl.DataFrame:
    """Referrals (one row per CINdetails) with: `nfa_flag` (ReferralNFA as recorded, bool), `has_activity`
    (an Assessments, CINPlanDates, Section47 or ChildProtectionPlans element, or a CINdetails-level ICPC:
    §6.11), `nfa` (the flag, overridden by activity: §2.10), `not_in_need` (closed RC8/RC9) and
    `episode_of_need` (not NFA and not closed RC8/RC9). Modules link by `cin_referral_date` (`link_details`)."""
    key = _episode_key(details)
    modules = [_with_ref(f, details) for f in (assessments, plan_dates, s47, cpp) if f.height]
    active = [f.select(key) for f in modules if set(key) <= set(f.columns)]
    activity = (pl.concat(active, how="vertical_relaxed").unique().with_columns(pl.lit(True).alias("__act"))
                if active else pl.DataFrame(schema={**{k: details.schema[k] for k in key}, "__act": pl.Boolean}))
    flag = _utf8("referral_nfa").is_in(["Y"])
    closed = _utf8("reason_for_closure").is_in(NOT_IN_NEED).fill_null(False)
    return (
        details.join(activity, on=key, how="left", maintain_order="left")
        .with_columns(
            nfa_flag=flag.fill_null(False),
            has_activity=pl.col("__act").fill_null(False) | pl.col("date_of_initial_cpc").is_not_null(),
        )
        .with_columns(nfa=pl.col("nfa_flag") & ~pl.col("has_activity"), not_in_need=closed)
        .with_columns(episode_of_need=~pl.col("nfa") & ~pl.col("not_in_need"))
        .drop("__act")
    )


def icpc_set(details: pl.DataFrame, s47: pl.DataFrame) -> pl.DataFrame:
    """Every initial child protection conference (§2.10, §6.12): each S47-level `DateOfInitialCPC`, plus each
    CINdetails-level one (a transfer-in) that differs from every S47-level ICPC of the same referral.
    Columns: la_child_id, cin_referral_date, [census_year], icpc_date, level (`s47` | `cin_details`),
    s47_actual_start_date (null at CINdetails level), icpc_before_s47 (the ICPC is dated before its S47 start;
    kept, per §4 Q1)."""
    key = _episode_key(details)
    s47 = _with_ref(s47, details)
    at_s47 = s47.filter(pl.col("date_of_initial_cpc").is_not_null()).select(
        *key, pl.col("date_of_initial_cpc").alias("icpc_date"), pl.lit("s47").alias("level"), "s47_actual_start_date")
    at_s47 = at_s47.unique([*key, "icpc_date", "s47_actual_start_date"], keep="first", maintain_order=True)
    at_details = (
        details.filter(pl.col("date_of_initial_cpc").is_not_null())
        .select(*key, pl.col("date_of_initial_cpc").alias("icpc_date"), pl.lit("cin_details").alias("level"),
                pl.lit(None, dtype=pl.Date).alias("s47_actual_start_date"))
        .join(at_s47.select(*key, "icpc_date"), on=[*key, "icpc_date"], how="anti")
    )
    return pl.concat([at_s47, at_details], how="vertical_relaxed").with_columns(
        icpc_before_s47=(pl.col("icpc_date") < pl.col("s47_actual_start_date")).fill_null(False)
    ).sort(*key, "icpc_date")


def open_plans(cpp: pl.DataFrame, at: date) -> pl.DataFrame:
    """Children on a CP plan at `at` (start <= at, end blank or after), once each, with the earliest open
    start (§2.10: several open plans per child count once) and how many plans are open."""
    d = pl.lit(at)
    return (
        cpp.filter((pl.col("cpp_start_date") <= d) & (pl.col("cpp_end_date").is_null() | (pl.col("cpp_end_date") > d)))
        .group_by(CHILD, maintain_order=True)
        .agg(pl.col("cpp_start_date").min().alias("earliest_open_start"), pl.len().alias("open_plans"))
    )


def review_chains(cpp: pl.DataFrame, reviews: pl.DataFrame, first_census_start: date) -> pl.DataFrame:
    """One row per review of each plan (`la_child_id, cpp_start_date`): the plan's `CPPreviewDate`s from all
    loaded censuses, distinct and sorted, a review on or before the plan start dropped (§2.10, VCIN 8841).
    `review_seq` counts from 1; `due_date` is plan start + 3 months for the first review and the previous
    review + 6 months after (calendar addition, month-end clamped: 30 September + 6 months = 30 March);
    `on_time` = review_date <= due_date. A plan that started before `first_census_start` (1 April of the
    earliest loaded census) cannot be anchored (§6.13): its first loaded review has no due date and no test."""
    reviews = _with_plan_start(reviews, cpp)
    plans = cpp.select(CHILD, "cpp_start_date", "cpp_end_date").sort(CHILD, "cpp_start_date").unique(
        [CHILD, "cpp_start_date"], keep="last", maintain_order=True)
    chain = (
        reviews.select(CHILD, "cpp_start_date", "cpp_review_date").drop_nulls()
        .unique(maintain_order=True)
        .join(plans, on=[CHILD, "cpp_start_date"], how="inner")
        .filter(pl.col("cpp_review_date") > pl.col("cpp_start_date"))
        .sort(CHILD, "cpp_start_date", "cpp_review_date")
    )
    plan = [CHILD, "cpp_start_date"]
    anchored = pl.col("cpp_start_date") >= pl.lit(first_census_start)
    previous = pl.col("cpp_review_date").shift(1).over(plan)
    seq = pl.int_range(1, pl.len() + 1).over(plan)
    due = (pl.when(seq == 1).then(pl.when(anchored).then(pl.col("cpp_start_date").dt.offset_by("3mo")))
           .otherwise(previous.dt.offset_by("6mo")))
    return chain.with_columns(review_seq=seq.cast(pl.UInt32), anchored=anchored, previous_review=previous).with_columns(
        due_date=due).with_columns(on_time=pl.when(pl.col("due_date").is_not_null())
                                   .then(pl.col("cpp_review_date") <= pl.col("due_date")))


def reviews_on_time(cpp: pl.DataFrame, chains: pl.DataFrame, at: date, first_census_start: date) -> pl.DataFrame:
    """Children on a plan at `at` (31 March) that started on or before `at` - 3 months, judged on the earliest
    starting such plan (§6.13): `on_time` when every tested review of its chain was on time and the plan is not
    overdue at `at` (`at` <= last review + 6 months, or <= start + 3 months before any review). A plan that
    cannot be anchored and has no loaded review is not on time; such children are flagged `unanchored`."""
    d = pl.lit(at)
    cutoff = pl.lit(at).dt.offset_by("-3mo")
    judged = (
        cpp.filter((pl.col("cpp_start_date") <= cutoff)
                   & (pl.col("cpp_end_date").is_null() | (pl.col("cpp_end_date") > d)))
        .sort(CHILD, "cpp_start_date").unique(CHILD, keep="first", maintain_order=True)
        .select(CHILD, "cpp_start_date")
    )
    per_plan = chains.filter(pl.col("cpp_review_date") <= d).group_by(CHILD, "cpp_start_date").agg(
        pl.col("cpp_review_date").max().alias("last_review"),
        (pl.col("on_time").fill_null(True)).all().alias("all_on_time"),
        pl.len().alias("reviews"),
    )
    anchored = pl.col("cpp_start_date") >= pl.lit(first_census_start)
    not_overdue = pl.when(pl.col("last_review").is_null()).then(anchored & (d <= pl.col("cpp_start_date").dt.offset_by("3mo"))) \
        .otherwise(d <= pl.col("last_review").dt.offset_by("6mo"))
    return (
        judged.join(per_plan, on=[CHILD, "cpp_start_date"], how="left")
        .with_columns(reviews=pl.col("reviews").fill_null(0), unanchored=~anchored)
        .with_columns(on_time=pl.col("all_on_time").fill_null(True) & not_overdue)
        .drop("all_on_time")
    )
