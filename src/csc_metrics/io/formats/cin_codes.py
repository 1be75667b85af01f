"""CIN census codes that belong to some collection years only (returns.md §1.3; domain.md §3.1).

One union code map reads every year (the code sets in `definitions/tables/`); a code used in a census year
outside its span is reported as a warning, never refused. Keys: (table, column, code); values: (first, last)
collection year ENDING (None: open)."""

from __future__ import annotations

CODE_YEARS: dict[tuple[str, str, str], tuple[int | None, int | None]] = {
    # child-on-child / adult-on-child abuse split from 2020-21; 18A/19A queried by VCIN from 2024-25
    **{("cin_assessment_factors", "assessment_factor", c): (2021, None) for c in ("18B", "18C", "19B", "19C")},
    **{("cin_assessment_factors", "assessment_factor", c): (None, 2024) for c in ("18A", "19A")},
    ("cin_assessment_factors", "assessment_factor", "24A"): (2022, None),  # child criminal exploitation
    ("cin_details", "reason_for_closure", "RC9"): (2023, None),  # closed after assessment, referred to early help
    ("cin_details", "referral_source", "5D"): (2023, None),  # LA services - early help
}


def year_label(year_ending: int) -> str:
    """`2024-25` for 2025."""
    return f"{year_ending - 1}-{year_ending % 100:02d}"
