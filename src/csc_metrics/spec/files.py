"""The shape of one definitions YAML file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from csc_metrics.spec.base import StrictModel
from csc_metrics.spec.derived import DerivedTable
from csc_metrics.spec.indicators import Indicator
from csc_metrics.spec.tables import CodeSet, TableSchema


class DefinitionsFile(StrictModel):
    """A csc-metrics definitions file: any mix of table schemas, code sets and indicators."""

    version: Literal[1] = Field(description="Definitions language version; must be 1.")
    tables: list[TableSchema] = Field(default_factory=list, description="Input table schemas (data dictionaries).")
    code_sets: list[CodeSet] = Field(default_factory=list, description="Code sets referenced by coded columns.")
    indicators: list[Indicator] = Field(default_factory=list, description="Indicator definitions.")
    derived: list[DerivedTable] = Field(
        default_factory=list, description="Derived tables: built from input tables by a registered builder.")
