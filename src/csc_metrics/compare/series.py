"""A measure's published series for one LA beside England, its region and its statistical neighbours."""

from __future__ import annotations

import statistics
from typing import Any

from csc_metrics.errors import ConfigError
from csc_metrics.reference import (
    ENGLAND,
    LONDON,
    la_info,
    lait_measure,
    lait_measure_codes,
    lait_series,
    lait_value,
    manifest,
    sn_model_label,
    statistical_neighbours,
)
from csc_metrics.reference.ranking import Position, position


def _unknown_measure(code: str) -> ConfigError:
    import difflib

    close = difflib.get_close_matches(code, sorted(lait_measure_codes()), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else "see src/csc_metrics/data/lait_measures.csv for codes"
    return ConfigError(f"CSC108 unknown LAIT measure {code!r}", hint)


def benchmark_series(la_code: str, measure_code: str, sn_model: str = "2025") -> dict[str, Any]:
    """Every published year of `measure_code` for the LA, with England, region, SN mean/median, band and rank
    of the LA's published value (as LAIT shows them)."""
    la = la_info(la_code)
    measure = lait_measure(measure_code)
    if measure is None:
        raise _unknown_measure(measure_code)
    label = sn_model_label(sn_model)
    neighbours = [n.code for n in statistical_neighbours(la.code, sn_model)]
    rows = []
    for own in lait_series(measure.code, la.code):
        year = own.year
        region = lait_value(measure.code, la.region_code, year)
        region_label = la.region
        if region.value is None and la.region_code in ("987", "988"):
            region, region_label = lait_value(measure.code, LONDON, year), "London"
        sn = [v.value for v in (lait_value(measure.code, c, year) for c in neighbours) if v.value is not None]
        placed = Position(None, None, None)
        if own.value is not None and measure.polarity != "none":
            placed = position(measure, year, own.value, la.code, measure.polarity)
        rows.append({
            "year": year,
            "value": own.value,
            "reason": own.reason,
            "england": lait_value(measure.code, ENGLAND, year).value,
            "region": region.value,
            "region_label": region_label,
            "sn_mean": round(statistics.fmean(sn), 6) if sn else None,
            "sn_median": round(statistics.median(sn), 6) if sn else None,
            "sn_values_used": len(sn),
            "quartile_band": placed.band,
            "rank": placed.rank,
            "ranked_of": placed.ranked_of,
        })
    data = manifest()
    messages = []
    if not neighbours:
        messages.append(f"CSC402 {la.code} {la.name} has no statistical neighbours in the {label}")
    return {
        "schema_version": 1,
        "metadata": {
            "la_code": la.code, "la_name": la.name, "region": la.region, "region_code": la.region_code,
            "measure": measure.code, "measure_name": measure.name, "polarity": measure.polarity,
            "unit": measure.unit, "decimals": measure.decimals, "year_type": measure.year_type,
            "sn_model": label, "sn_model_id": str(sn_model), "neighbours": neighbours,
            "benchmark_source": f"{data['sources']['lait']['name']}, {data['vintage']['lait_values']}",
            "licence": data["licence"], "messages": messages,
        },
        "series": rows,
    }
