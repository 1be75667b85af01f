"""Derived tables: tables built from input tables by a registered function (`engine/derive.py`), declared in
YAML with their output columns so `check` can type-check the indicators that read them.

    derived:
      - id: ssda903_periods_of_care
        title: Periods of care
        builder: periods_of_care          # a function registered with @derivation("periods_of_care", ...)
        inputs: [ssda903_episodes]
        child_id: child
        event_date: poc_start
        columns:
          - {name: child, type: id}
          - {name: poc_start, type: date}
"""

from __future__ import annotations

from pydantic import Field, model_validator

from csc_metrics.spec.base import StrictModel
from csc_metrics.spec.tables import Column, ColumnType, Identifier, TableSchema


class DerivedColumn(StrictModel):
    """One output column of a derived table."""

    name: Identifier = Field(description="Column name, as the builder writes it.")
    type: ColumnType = Field(description="id, date, code, yes_no, integer, number or text.")
    code_set: Identifier | None = Field(default=None, description="Code set id; required when type is `code`.")
    description: str = Field(default="", description="What the column holds.")


class DerivedTable(StrictModel):
    """A table built from other tables by a registered builder, before indicators are evaluated."""

    id: Identifier = Field(description="Table id indicators name in `table:`, e.g. `ssda903_periods_of_care`.")
    alias: Identifier | None = Field(default=None, description="Short alias usable instead of the id.")
    title: str = Field(description="Human-readable name.")
    description: str = Field(default="", description="What one row is, and the rules that build it.")
    builder: Identifier = Field(description="Id of the registered builder function (`csc_metrics.engine.derive`).")
    inputs: list[Identifier] = Field(min_length=1, description="The tables (input or derived) the builder reads.")
    columns: list[DerivedColumn] = Field(min_length=1, description="The columns the builder returns.")
    child_id: Identifier = Field(default="child_id", description="Column identifying the child.")
    event_date: Identifier | None = Field(default=None, description="Date column that places a row in time.")
    date_of_birth: Identifier | None = Field(default=None, description="Date of birth column, for ages.")
    key: list[Identifier] = Field(default_factory=list, description="Columns that identify a row.")

    @model_validator(mode="after")
    def _codes_typed(self) -> DerivedTable:
        for col in self.columns:
            if (col.type is ColumnType.CODE) != bool(col.code_set):
                raise ValueError(f"column `{col.name}`: a `code_set` goes with type code, and only with it")
        return self

    def as_schema(self, format: str = "annex_a") -> TableSchema:
        """The table as a schema, so indicators, `check` and the engine treat it as any other table.
        `format`: the kind of input its first input table comes in (a result's `source`)."""
        return TableSchema(
            id=self.id, alias=self.alias, title=self.title, description=self.description, format=format,  # type: ignore[arg-type]
            columns=[Column(name=c.name, header=c.name, type=c.type, code_set=c.code_set, description=c.description)
                     for c in self.columns],
            child_id=self.child_id, event_date=self.event_date, date_of_birth=self.date_of_birth, key=self.key,
        )
