"""Text normalisation shared by header matching (Python) and value conversion (polars expressions)."""

from __future__ import annotations

import re

import polars as pl

# curly quotes, primes, dashes, non-breaking space and BOM -> plain ASCII forms
_PAIRS: dict[str, str] = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a0": " ", "\ufeff": "",
}
_TRANSLATE = str.maketrans(_PAIRS)

# cells that mean "no value" in real extracts (compared after normalisation, upper-case)
PLACEHOLDERS = ["#N/A", "N/A", "-", ".", "<BLANK>", "NO DATA", "NULL"]


def norm_header(text: object) -> str:
    """Trim, collapse spaces, normalise quotes and dashes, case-fold."""
    if text is None:
        return ""
    return " ".join(str(text).translate(_TRANSLATE).split()).casefold()


def norm_key(text: str) -> str:
    """A code, label or alias as a lookup key: like `norm_value` but in Python."""
    return " ".join(str(text).translate(_TRANSLATE).split()).upper()


def norm_name(text: str) -> str:
    """A sheet or file name for tie-breaking: lower-case, `_`/`-` as spaces."""
    return " ".join(re.sub(r"[_\-.]+", " ", norm_header(text)).split())


def norm_value(expr: pl.Expr) -> pl.Expr:
    """Cell text as a lookup key: normalised quotes/dashes, collapsed spaces, trimmed, upper-case."""
    return (
        expr.str.replace_many(list(_PAIRS), list(_PAIRS.values()))
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.to_uppercase()
    )


def is_blank(expr: pl.Expr) -> pl.Expr:
    """Null, empty, whitespace or a placeholder such as `#N/A` (expects a normalised upper-case value)."""
    return expr.is_null() | (expr == "") | expr.is_in(PLACEHOLDERS)


def column_letter(index: int) -> str:
    """0-based column index -> Excel letter (0 -> A, 26 -> AA)."""
    out = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out
