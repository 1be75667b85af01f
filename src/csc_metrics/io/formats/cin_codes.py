"""Small helpers for CIN census years. Codes collected in some census years only are marked in the code sets
(`valid_from` / `valid_to`, collection year ending) and reported by `cin_tables` as warnings (CSC220)."""

from __future__ import annotations


def year_label(year_ending: int) -> str:
    """`2024-25` for 2025."""
    return f"{year_ending - 1}-{year_ending % 100:02d}"
