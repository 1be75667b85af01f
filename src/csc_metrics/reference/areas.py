"""England, regions and local authorities by DfE 3-digit code."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache

from csc_metrics.errors import ConfigError
from csc_metrics.reference._files import table

ENGLAND = "970"
LONDON = "986"


@dataclass(frozen=True)
class LocalAuthority:
    """A local authority: DfE 3-digit code, name, and its LAIT region (London LAs: Inner 987 / Outer 988)."""

    code: str
    name: str
    region: str
    region_code: str


@cache
def _areas() -> dict[str, dict[str, str | None]]:
    return {row["code"]: row for row in table("areas.csv").iter_rows(named=True)}


def area_name(code: str) -> str | None:
    """Name of England (970), a region (980-990) or an LA; None when unknown."""
    row = _areas().get(str(code).strip())
    return row["name"] if row else None


def la_codes() -> list[str]:
    """Every LA code (current and legacy)."""
    return [c for c, row in _areas().items() if row["level"] == "la"]


def _suggest(text: str) -> str:
    """'did you mean' hint: close codes, or names that contain or resemble the text."""
    areas = [(c, row["name"] or "") for c, row in _areas().items() if row["level"] == "la"]
    ons = [(c, row["name"]) for c, row in _areas().items() if (row["ons_code"] or "").lower() == text.lower()]
    if ons:
        return f"{text} is an ONS code; the DfE code is {ons[0][0]} ({ons[0][1]})"
    low = text.lower()
    names = {name.lower(): (c, name) for c, name in areas}
    hits = [v for k, v in names.items() if low and low in k]
    hits += [names[k] for k in difflib.get_close_matches(low, names, n=3, cutoff=0.6)]
    hits += [(c, n) for c, n in areas if c in difflib.get_close_matches(text, [c for c, _ in areas], n=3)]
    seen: list[tuple[str, str]] = []
    for hit in hits:
        if hit not in seen:
            seen.append(hit)
    if not seen:
        return "use a DfE 3-digit local authority code, e.g. 808 (Stockton-on-Tees)"
    return "did you mean " + ", ".join(f"{c} ({n})" for c, n in seen[:4]) + "?"


def la_info(la_code: str) -> LocalAuthority:
    """The LA with this DfE 3-digit code; an unknown code raises ConfigError with close matches."""
    code = str(la_code).strip()
    row = _areas().get(code)
    if row is None:
        raise ConfigError(f"CSC401 unknown local authority code {code!r}", _suggest(code))
    if row["level"] != "la":
        raise ConfigError(
            f"CSC401 {code} is {row['name']}, not a local authority", "use a DfE 3-digit LA code, e.g. 808"
        )
    region_code = row["region_code"] or ""
    return LocalAuthority(code=code, name=row["name"] or code, region=area_name(region_code) or "",
                          region_code=region_code)
