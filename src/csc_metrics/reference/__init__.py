"""Published reference data bundled with csc-metrics: LAIT measures and values, statistical neighbours,
local authorities and ONS 0-17 population. Works offline; built by `scripts/build_data.py`.
"""

from csc_metrics.reference._files import manifest, missing_reason
from csc_metrics.reference.areas import ENGLAND, LONDON, LocalAuthority, area_name, la_codes, la_info
from csc_metrics.reference.lait import (
    Measure,
    PublishedValue,
    la_values,
    lait_measure,
    lait_measure_codes,
    lait_series,
    lait_value,
    lait_values,
    lait_years,
)
from csc_metrics.reference.neighbours import (
    DEFAULT_SN_MODEL,
    Neighbour,
    sn_model_label,
    sn_models,
    statistical_neighbours,
)
from csc_metrics.reference.population import Population, population_0_17
from csc_metrics.reference.ranking import national_rank, quantile7, quartile_band

__all__ = [
    "DEFAULT_SN_MODEL",
    "ENGLAND",
    "LONDON",
    "LocalAuthority",
    "Measure",
    "Neighbour",
    "Population",
    "PublishedValue",
    "area_name",
    "la_codes",
    "la_info",
    "la_values",
    "lait_measure",
    "lait_measure_codes",
    "lait_series",
    "lait_value",
    "lait_values",
    "lait_years",
    "manifest",
    "missing_reason",
    "national_rank",
    "population_0_17",
    "quantile7",
    "quartile_band",
    "sn_model_label",
    "sn_models",
    "statistical_neighbours",
]
