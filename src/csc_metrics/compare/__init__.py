"""Comparison of computed results with published benchmarks (`csc-metrics compare`, `csc-metrics benchmarks`)."""

from csc_metrics.compare.core import (
    BENCHMARKS,
    SOURCE_LABELS,
    Compared,
    any_worse,
    benchmark_source,
    compare,
    compare_results,
    indicator_meta_from_definitions,
    pick_source,
    select_results,
)
from csc_metrics.compare.series import benchmark_series

__all__ = [
    "BENCHMARKS",
    "SOURCE_LABELS",
    "Compared",
    "any_worse",
    "benchmark_series",
    "benchmark_source",
    "compare",
    "compare_results",
    "indicator_meta_from_definitions",
    "pick_source",
    "select_results",
]
