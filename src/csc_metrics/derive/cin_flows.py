"""CIN census front door (returns.md §3.1): the derived tables the §3.1 measures count, built from the CIN
tables of every loaded census (appended, each row tagged `census_year`). Pure polars, no I/O.

Year-Y events come from census Y (§2.1, §6.10): a referral, assessment, S47 or ICPC dated in collection year Y
is counted from census Y's row; rows of other censuses are look-back facts only (previous referrals).
"""

from __future__ import annotations

import polars as pl

from csc_metrics.derive.cin import (
    CHILD,
    NATURAL_KEYS,
    REF,
    YEAR,
    cin_episodes,
    first_per_key,
    icpc_set,
    link_details,
)
from csc_metrics.io.model import ROW, SRC

CARRY = [SRC, ROW]  # provenance, where a derived row is one input row


def collection_year(d: pl.Expr) -> pl.Expr:
    """The collection year (year ending) of a date: 1 April 2024 .. 31 March 2025 -> 2025."""
    return (d.dt.year() + (d.dt.month() >= 4).cast(pl.Int32)).cast(pl.Int32)


def _yn(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr).then(pl.lit("Y")).otherwise(pl.lit("N"))


# the tables `_linked` has made, by the identity of the frames each was made from (kept, so no id is reused):
# the derived tables of one run link the same loaded tables, each once
_LINKED: dict[tuple, tuple[tuple[pl.DataFrame, ...], pl.DataFrame]] = {}
_LINKED_MAX = 64
# the tables a module's linking reads besides itself
_LINK_INPUTS = {"cin_assessment_factors": ("cin_details", "cin_assessments"),
                "cin_cpp_reviews": ("cin_details", "cin_cpp")}


def _linked(year_ending: int | None, **tables: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The tables linked to their referral by natural key, de-duplicated on it within each census. Rows given
    without `census_year` (example rows of a definition's test) are read as census `year_ending`'s. Each table
    is made once for the same input frames (remembered by identity, `_LINKED`)."""
    tables = {n: f if YEAR in f.columns else f.with_columns(pl.lit(year_ending, dtype=pl.Int32).alias(YEAR))
              for n, f in tables.items()}
    out: dict[str, pl.DataFrame] = {}
    keys: dict[str, tuple[tuple, tuple[pl.DataFrame, ...]]] = {}
    for name, frame in tables.items():
        inputs = (frame, *(tables.get(d) for d in _LINK_INPUTS.get(name, ("cin_details",)) if d != name))
        kept = tuple(f for f in inputs if f is not None)
        key = (name, tuple(None if f is None else id(f) for f in inputs))
        hit = _LINKED.get(key)
        if hit is not None:
            out[name] = hit[1]
        else:
            keys[name] = (key, kept)
    if keys:
        linked = link_details(tables)
        if len(_LINKED) > _LINKED_MAX:
            _LINKED.clear()
        for name, (key, kept) in keys.items():
            frame = linked[name]
            natural = [k for k in NATURAL_KEYS.get(name, []) if k in frame.columns]
            if natural and YEAR in frame.columns:
                frame = first_per_key(frame, [*natural, YEAR])
            out[name] = frame
            _LINKED[key] = (kept, frame)
    return out


def _carry(frame: pl.DataFrame) -> list[str]:
    return [c for c in CARRY if c in frame.columns]


def referrals(cin_details: pl.DataFrame, cin_assessments: pl.DataFrame, cin_plan_dates: pl.DataFrame,
              cin_s47: pl.DataFrame, cin_cpp: pl.DataFrame, year_ending: int | None = None) -> pl.DataFrame:
    """One row per referral (child, referral date) over every loaded census: the row of the census of the
    referral's own collection year when loaded (`in_year` Y: the row year-Y flows count), else the latest
    census's (`in_year` N: a look-back fact only). `nfa`: ReferralNFA, overridden by activity (§2.10, §6.11);
    `not_in_need`: closed RC8/RC9 on or before that census's 31 March."""
    t = _linked(year_ending, cin_details=cin_details, cin_assessments=cin_assessments, cin_plan_dates=cin_plan_dates,
                cin_s47=cin_s47, cin_cpp=cin_cpp)
    eps = cin_episodes(t["cin_details"], t["cin_assessments"], t["cin_plan_dates"], t["cin_s47"], t["cin_cpp"])
    census_end = pl.date(pl.col(YEAR), 3, 31)
    own = pl.col(YEAR) == collection_year(pl.col(REF))
    latest = eps.filter(pl.col(REF).is_not_null()).with_columns(__own=own).sort(["__own", YEAR], descending=True,
                                                                                 maintain_order=True)
    return (
        first_per_key(latest, [CHILD, REF])
        .sort(CHILD, REF)
        .select(CHILD, REF, pl.col("referral_source").cast(pl.String), pl.col("reason_for_closure").cast(pl.String),
                "cin_closure_date", *_carry(eps), nfa=_yn(pl.col("nfa")),
                not_in_need=_yn(pl.col("not_in_need") & (pl.col("cin_closure_date") <= census_end).fill_null(False)),
                in_year=_yn(pl.col("__own")), census_year=pl.col(YEAR).cast(pl.Int64))
    )


def assessments_in_year(cin_details: pl.DataFrame, cin_assessments: pl.DataFrame,
                        year_ending: int | None = None) -> pl.DataFrame:
    """Assessments authorised in a collection year, from that year's census (one row each)."""
    a = _linked(year_ending, cin_details=cin_details, cin_assessments=cin_assessments)["cin_assessments"]
    auth = pl.col("assessment_authorisation_date")
    return (a.filter(auth.is_not_null() & (pl.col(YEAR) == collection_year(auth)))
            .select(CHILD, REF, "assessment_actual_start_date", "assessment_authorisation_date",
                    *_carry(a), census_year=pl.col(YEAR).cast(pl.Int64)))


def assessment_factors(cin_details: pl.DataFrame, cin_assessments: pl.DataFrame,
                       cin_assessment_factors: pl.DataFrame, year_ending: int | None = None) -> pl.DataFrame:
    """One row per factor recorded at an assessment authorised in a collection year (that year's census),
    with the episode (child, referral date) and the authorisation date. Counted once per episode by the
    breakdown's `once_per`."""
    t = _linked(year_ending, cin_details=cin_details, cin_assessments=cin_assessments,
                cin_assessment_factors=cin_assessment_factors)
    auth = pl.col("assessment_authorisation_date")
    done = (t["cin_assessments"].filter(auth.is_not_null() & (pl.col(YEAR) == collection_year(auth)))
            .select(CHILD, "assessment_actual_start_date", YEAR, REF, "assessment_authorisation_date"))
    f = t["cin_assessment_factors"].drop(REF, strict=False)
    return (f.join(done, on=[CHILD, "assessment_actual_start_date", YEAR], how="inner", maintain_order="left")
            .filter(pl.col("assessment_factor").is_not_null())
            .select(CHILD, REF, "assessment_authorisation_date", pl.col("assessment_factor").cast(pl.String),
                    *_carry(f), census_year=pl.col(YEAR).cast(pl.Int64)))


def s47_in_year(cin_details: pl.DataFrame, cin_s47: pl.DataFrame, year_ending: int | None = None) -> pl.DataFrame:
    """Section 47 enquiries started in a collection year, from that year's census (one row per enquiry)."""
    s = _linked(year_ending, cin_details=cin_details, cin_s47=cin_s47)["cin_s47"]
    start = pl.col("s47_actual_start_date")
    return (s.filter(start.is_not_null() & (pl.col(YEAR) == collection_year(start)))
            .select(CHILD, REF, "s47_actual_start_date", *_carry(s), census_year=pl.col(YEAR).cast(pl.Int64)))


def icpcs(cin_details: pl.DataFrame, cin_s47: pl.DataFrame, year_ending: int | None = None) -> pl.DataFrame:
    """The ICPC set (§2.10, §6.12: S47-level conferences plus CINdetails-level ones that differ from every
    S47-level one of the episode) held in a collection year, from that year's census. `level` is `s47` or
    `cin_details`; `s47_actual_start_date` is blank at CINdetails level (a transfer-in)."""
    t = _linked(year_ending, cin_details=cin_details, cin_s47=cin_s47)
    found = icpc_set(t["cin_details"], t["cin_s47"])
    return (found.filter(pl.col(YEAR) == collection_year(pl.col("icpc_date")))
            .select(CHILD, REF, "icpc_date", pl.col("level").cast(pl.String), "s47_actual_start_date",
                    icpc_before_s47=_yn(pl.col("icpc_before_s47")), census_year=pl.col(YEAR).cast(pl.Int64)))
