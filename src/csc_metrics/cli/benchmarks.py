"""`csc-metrics benchmarks`: a measure's published series for an LA beside England, region and neighbours."""

from __future__ import annotations

from typing import Annotated

import typer

from csc_metrics.cli import app
from csc_metrics.cli.common import (
    ConfigOpt,
    DefinitionsOpt,
    Format,
    LaOpt,
    OutputOpt,
    write_formatted,
)
from csc_metrics.cli.compare import SnModel
from csc_metrics.errors import ConfigError


@app.command()
def benchmarks(
    la: LaOpt = None,
    indicator: Annotated[str | None, typer.Option("--indicator", "-i", help="Indicator id, e.g. "
                                                  "re_referrals_12m (its LAIT measure is shown).")] = None,
    measure: Annotated[str | None, typer.Option("--measure", "-m", help="LAIT measure code, e.g. "
                                                "ReReferral.")] = None,
    sn_model: Annotated[SnModel | None, typer.Option("--sn-model", help="2025 (default) or 2021.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, json, csv or markdown.")] = Format.table,
    output: OutputOpt = None,
    config: ConfigOpt = None,
    definitions: DefinitionsOpt = None,
) -> None:
    """Show a published DfE (LAIT) series for a local authority, year by year, beside England, its region and
    the mean and median of its statistical neighbours, with the LAIT quartile band (A = best) and national rank.

    Example:

        csc-metrics benchmarks --la 808 --indicator re_referrals_12m
        csc-metrics benchmarks --la 870 --measure CPPlans2yrs --format csv

    Missing published values are shown with their reason (`-` = suppressed or not available), never as 0.

    Exit codes: 0 success; 2 bad options (unknown LA, indicator or measure).
    """
    from csc_metrics.compare import benchmark_series, indicator_meta_from_definitions
    from csc_metrics.compare.render import series_csv, series_markdown, series_rich
    from csc_metrics.config import load_config

    if fmt not in (Format.table, Format.json, Format.csv, Format.markdown):
        raise ConfigError(f"--format {fmt.value} is not available for benchmarks", "use table, json, csv or markdown")
    cfg = load_config(config)
    la_code = la or cfg.la
    if not la_code:
        raise ConfigError("no local authority code", "pass --la CODE or set `la` in csc-metrics.toml")
    if (indicator is None) == (measure is None):
        raise ConfigError("give exactly one of --indicator or --measure", "e.g. --indicator re_referrals_12m")
    if indicator is not None:
        meta = indicator_meta_from_definitions(definitions or cfg.definitions).get(indicator) or {}
        measure = meta.get("benchmark_measure")
        if not measure:
            raise ConfigError(f"no published (LAIT) benchmark known for indicator {indicator!r}",
                              "check the id, or use --measure CODE to show a LAIT measure directly")
    series = benchmark_series(str(la_code), str(measure), (sn_model.value if sn_model else None) or cfg.sn_model
                              or "2025")
    write_formatted(series, fmt.value, output, csv=series_csv, markdown=series_markdown, rich=series_rich)
