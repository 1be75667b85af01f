"""Table schemas (data dictionaries) and code sets.

A table schema declares one input table: the canonical column names used by indicators, the header
spellings that map onto them, and each column's type. Annex A Lists 1-11 ship in `definitions/tables/`;
users add their own tables with YAML only.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from csc_metrics.spec.base import StrictModel

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="snake_case identifier")]


class ColumnType(StrEnum):
    """How a column's text is converted."""

    ID = "id"  # text, trimmed, upper-cased; Excel's trailing `.0` removed when the whole column is numeric
    DATE = "date"  # dd/mm/yyyy (+time), yyyy-mm-dd, dd-mm-yyyy, dd.mm.yyyy, Excel serials, Excel date cells
    CODE = "code"  # the code embedded in a label, matched against `code_set`
    YES_NO = "yes_no"  # stored as Y / N / U (unknown); blank stays null
    INTEGER = "integer"  # whole numbers; fractional values tolerated only where `allow_fraction` is set
    NUMBER = "number"  # any number
    TEXT = "text"  # free text, trimmed


class Code(StrictModel):
    """One value of a code set."""

    code: str = Field(description="The code as stored after reading, e.g. `6`, `E11`, `N1`, `NEG`.")
    label: str = Field(description="The official label, e.g. `Police` or `Adopted - application unopposed`.")
    aliases: list[str] = Field(
        default_factory=list,
        description="Other spellings seen in real extracts that mean this code (matched case-insensitively).",
    )
    valid_from: int | None = Field(
        default=None, ge=2000, le=2100,
        description="First collection year (year ending 31 March, e.g. 2025 for 2024-25) this code belongs to; "
        "blank: every earlier year. Outside its years the code is still read, with a warning.",
    )
    valid_to: int | None = Field(
        default=None, ge=2000, le=2100,
        description="Last collection year (year ending) this code belongs to; blank: still current.",
    )
    read_as: str | None = Field(
        default=None,
        description="Another code of the set this one is read as after its year is checked (e.g. SEX `1` -> `M`).",
    )

    def valid_in(self, year: int) -> bool:
        """Whether the code belongs to collection year `year` (year ending)."""
        return (self.valid_from is None or year >= self.valid_from) and (self.valid_to is None or year <= self.valid_to)


class CodeSet(StrictModel):
    """A list of allowed codes shared by one or more columns."""

    id: Identifier = Field(description="Code set id, referenced by a column's `code_set`.")
    title: str = Field(description="Human-readable name.")
    description: str = Field(default="", description="Where the codes come from.")
    codes: list[Code] = Field(min_length=1, description="The allowed codes.")

    def code_values(self) -> list[str]:
        return [c.code for c in self.codes]

    @property
    def has_years(self) -> bool:
        """Whether any code is limited to some collection years or read as another code."""
        return any(c.valid_from or c.valid_to or c.read_as for c in self.codes)

    @model_validator(mode="after")
    def _read_as_known(self) -> CodeSet:
        codes = set(self.code_values())
        for c in self.codes:
            if c.read_as is not None and c.read_as not in codes:
                raise ValueError(f"code `{c.code}` of `{self.id}` is read as `{c.read_as}`, which is not in the set")
            if c.valid_from and c.valid_to and c.valid_to < c.valid_from:
                raise ValueError(f"code `{c.code}` of `{self.id}`: valid_to is before valid_from")
        return self


class Column(StrictModel):
    """One column of an input table."""

    name: Identifier = Field(description="Canonical column name used by indicators, e.g. `referral_date`.")
    header: str = Field(description="The official header, exactly as the Annex A template spells it.")
    variants: list[str] = Field(
        default_factory=list,
        description="Other header spellings that map to this column; compared after trimming, case-folding, "
        "collapsing spaces and normalising quotes and dashes.",
    )
    type: ColumnType = Field(description="id, date, code, yes_no, integer, number or text.")
    code_set: Identifier | None = Field(default=None, description="Code set id; required when type is `code`.")
    required: bool = Field(default=False, description="A blank value is a data-quality error.")
    allow_fraction: bool = Field(
        default=False, description="For integer columns: fractional values (e.g. ages 6.14) are accepted and floored."
    )
    header_optional: bool = Field(
        default=False, description="With the table's `match: all`: the header may lack this column (e.g. `YEAR`).")
    future_allowed: bool = Field(
        default=False, description="For date columns: a date that may lie ahead (e.g. SSDA903 `DUC`, the expected "
        "18th birthday), so it is not reported as a future date (CSC206).")
    description: str = Field(default="", description="What the column holds.")

    @model_validator(mode="after")
    def _code_set_matches_type(self) -> Column:
        if self.type is ColumnType.CODE and not self.code_set:
            raise ValueError(f"column `{self.name}` has type code but no `code_set`")
        if self.type is not ColumnType.CODE and self.code_set:
            raise ValueError(f"column `{self.name}` has a `code_set` but type {self.type.value}")
        if self.future_allowed and self.type is not ColumnType.DATE:
            raise ValueError(f"column `{self.name}` has `future_allowed` but type {self.type.value} (dates only)")
        return self


class DatePair(StrictModel):
    """Two date columns where the end must not be before the start (checked by `validate`)."""

    start: Identifier = Field(description="Start date column.")
    end: Identifier = Field(description="End date column.")


class TableSchema(StrictModel):
    """An input table: an Annex A list or a local report."""

    id: Identifier = Field(description="Table id, e.g. `annex_a_list_3`.")
    alias: Identifier | None = Field(default=None, description="Short alias usable instead of the id, e.g. `referrals`.")
    title: str = Field(description="Human-readable name, e.g. `List 3: Referrals`.")
    description: str = Field(default="", description="What one row is.")
    annex_a_list: int | None = Field(default=None, ge=1, le=11, description="The Annex A list number, if any.")
    format: Literal["annex_a", "ssda903", "cin_census"] = Field(
        default="annex_a",
        description="The kind of input the table comes in: an Annex A list (or local report), an SSDA903 table "
        "or a CIN census module. It decides how files are recognised and dated, and a result's `source`.",
    )
    match: Literal["required", "all"] = Field(
        default="required",
        description="How a header row is recognised as this table: `required` when it has every required "
        "column; `all` when it has every column not marked `header_optional` (the SSDA903 rule). Extra columns "
        "are allowed and reported either way.",
    )
    sheet_names: list[str] = Field(
        default_factory=list,
        description="Sheet or file names that suggest this table; only a tie-breaker, headers decide.",
    )
    columns: list[Column] = Field(min_length=1, description="The columns, in template order.")
    child_id: Identifier = Field(default="child_id", description="Column identifying the child (or adopter).")
    event_date: Identifier | None = Field(
        default=None, description="Date column that places a row in time; used for the table's coverage."
    )
    date_of_birth: Identifier | None = Field(default=None, description="Date of birth column, for ages.")
    age_years: Identifier | None = Field(default=None, description="Age in years column, used when birth date is blank.")
    key: list[Identifier] = Field(
        default_factory=list, description="Columns that identify a row; repeated keys are duplicate rows."
    )
    duplicates: Literal["count_each", "one_per_key"] = Field(
        default="count_each",
        description="How rows repeating a `key` are counted (always reported as CSC204): `count_each` (each row is "
        "an event, e.g. two contacts on one day) or `one_per_key` (the key identifies the event, e.g. a referral "
        "is a child and a date: the first row counts, later repeats do not).",
    )
    date_pairs: list[DatePair] = Field(default_factory=list, description="Start/end pairs checked for end before start.")

    @model_validator(mode="after")
    def _unique_columns(self) -> TableSchema:
        seen: set[str] = set()
        for col in self.columns:
            if col.name in seen:
                raise ValueError(f"duplicate column name `{col.name}` in table `{self.id}`")
            seen.add(col.name)
        return self

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]
