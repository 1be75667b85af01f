"""DfE children's services statistical neighbours (2025 and 2021 models)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from csc_metrics.errors import ConfigError
from csc_metrics.reference._files import manifest, table
from csc_metrics.reference.areas import area_name, la_info

DEFAULT_SN_MODEL = "2025"


@dataclass(frozen=True)
class Neighbour:
    code: str
    name: str
    rank: int
    closeness: str


def sn_models() -> dict[str, str]:
    """Model id -> label, e.g. {'2025': 'DfE statistical neighbours, May 2025', ...}."""
    return dict(manifest()["vintage"]["sn_models"])


def sn_model_label(model: str) -> str:
    models = sn_models()
    if str(model) not in models:
        raise ConfigError(f"unknown statistical-neighbour model {model!r}", f"use one of {', '.join(models)}")
    return models[str(model)]


@cache
def _neighbours() -> dict[tuple[str, str], list[Neighbour]]:
    out: dict[tuple[str, str], list[Neighbour]] = {}
    for r in table("statistical_neighbours.csv").iter_rows(named=True):
        out.setdefault((r["model"], r["la_code"]), []).append(
            Neighbour(r["neighbour"], area_name(r["neighbour"]) or r["neighbour"], int(r["rank"]), r["closeness"] or "")
        )
    return out


def statistical_neighbours(la_code: str, model: str = DEFAULT_SN_MODEL) -> list[Neighbour]:
    """The LA's neighbours in rank order; empty when the model gives it none (942 Cumberland in 2021)."""
    sn_model_label(model)
    la = la_info(la_code)
    return sorted(_neighbours().get((str(model), la.code), []), key=lambda n: n.rank)
