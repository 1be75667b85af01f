"""`csc-metrics.toml`: settings a team keeps beside its extracts instead of typing options."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

from pydantic import Field, ValidationError

from csc_metrics.errors import ConfigError
from csc_metrics.spec.base import StrictModel

DEFAULT_CONFIG = Path("csc-metrics.toml")


class Limits(StrictModel):
    """Size limits on input files (`[limits]` in the config file); a file beyond one is refused (CSC222)."""

    csv_max_line_bytes: int = Field(default=1_048_576, ge=1, description="Longest CSV line, in bytes.")
    csv_max_columns: int = Field(default=1_000, ge=1, description="Most cells in a CSV header row.")
    xlsx_max_rows: int = Field(default=1_000_000, ge=1, description="Most rows a worksheet may declare.")
    xlsx_max_columns: int = Field(default=1_000, ge=1, description="Most columns a worksheet may declare.")
    xlsx_max_cells: int = Field(default=30_000_000, ge=1,
                                description="Most cells (rows x columns) a worksheet may declare.")
    xlsx_max_uncompressed_mb: int = Field(default=2_000, ge=1,
                                          description="Most megabytes a workbook may inflate to (zip bombs).")


_limits = [Limits()]


def active_limits() -> Limits:
    """The limits of the config file read last (the defaults before any)."""
    return _limits[0]


class Config(StrictModel):
    """Contents of `csc-metrics.toml`. Every key is optional; command-line options win."""

    la: str | None = Field(default=None, description="DfE 3-digit local authority code, e.g. `808`.")
    definitions: Path | None = Field(default=None, description="Definitions folder to use.")
    store: Path | None = Field(default=None, description="History store path.")
    coverage_start: dict[str, date] = Field(
        default_factory=dict,
        description="Per table id: the first day the extract covers (Annex A lists hold a window before the "
        "extract date). Stock results for periods ending before it are incomplete.",
    )
    closures: list[date] = Field(
        default_factory=list, description="Local closure days treated as non-working (besides bank holidays)."
    )
    working_days: list[date] = Field(
        default_factory=list, description="Bank holidays the authority worked, treated as working days."
    )
    targets: dict[str, float] = Field(default_factory=dict, description="Local targets, per indicator id.")
    suppress_below: int | None = Field(default=None, description="Suppress counts 1..N-1 in published outputs.")
    sn_model: str | None = Field(default=None, description="Statistical-neighbour model: `2025` or `2021`.")
    min_base: int = Field(default=20, ge=1, description="Smallest base (denominator, or the count itself) a figure "
                          "needs to be headlined as a biggest movement; below it the figure is marked `small base`. "
                          "Means and medians need 5 cases.")
    limits: Limits = Field(default_factory=Limits, description="Size limits on input files (`[limits]`): "
                           "larger files are refused with a message instead of read.")


def find_config(inputs: list[Path] | None = None) -> Path | None:
    """`csc-metrics.toml` in the working directory, else beside the extracts (a folder given, or a file's folder)."""
    if DEFAULT_CONFIG.exists():
        return DEFAULT_CONFIG
    for item in inputs or []:
        folder = item if item.is_dir() else item.parent
        if (folder / DEFAULT_CONFIG.name).exists():
            return folder / DEFAULT_CONFIG.name
    return None


def load_config(path: Path | None = None, inputs: list[Path] | None = None) -> Config:
    """Read the config file; a missing default file is an empty config, a missing explicit one an error.
    Its `[limits]` apply to the files read from now on."""
    if path is None:
        path = find_config(inputs)  # only files that exist
        if path is None:
            _limits[0] = Limits()
            return Config()
    elif not path.exists():
        raise ConfigError(f"{path}: config file not found", "check the --config path")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", "fix the syntax of the config file") from exc
    if "la" in data and isinstance(data["la"], int):
        data["la"] = str(data["la"])
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: `{where}`: {first['msg']}", "see README, 'Configuration'") from exc
    _limits[0] = config.limits  # the files read from now on
    return config
