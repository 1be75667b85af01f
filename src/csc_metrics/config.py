"""`csc-metrics.toml`: settings a team keeps beside its extracts instead of typing options."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

from pydantic import Field, ValidationError

from csc_metrics.errors import ConfigError
from csc_metrics.spec.base import StrictModel

DEFAULT_CONFIG = Path("csc-metrics.toml")


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
    """Read the config file; a missing default file is an empty config, a missing explicit one an error."""
    if path is None:
        path = find_config(inputs)  # only files that exist
        if path is None:
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
        return Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: `{where}`: {first['msg']}", "see README, 'Configuration'") from exc
