"""The format seam: `SourceFormat` (detect, read) and `Return` (tables plus the period they cover).

Contract (shared by every format; keep it small):
- `detect(path, head)` looks only at the first bytes of a file (`head`, up to 64 KiB) and its path, and says
  whether this format reads it. It never raises.
- `read(paths, definitions)` reads the files this format detected and returns one `Return` per collection
  (an Annex A extract, one year of SSDA903, one CIN census). Problems with the data are `Diagnostic`s in
  `Return.diagnostics` with file and row (CSV/xlsx) or element path and line (XML); a file that cannot be read
  at all raises `InputError` naming it.
- `Return.period` is the collection period (903: 1 April - 31 March of the collection year; CIN: census
  period ending at the reference date). Annex A has no declared period (`None`): its coverage stays the
  present rule (from the dates of each list).
A database source (e.g. an authority's Standard Safeguarding Dataset warehouse) plugs in as another format whose
`detect` recognises a connection string or config entry instead of a file."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from csc_metrics.diagnostics import Diagnostic
from csc_metrics.io.model import TableData

if TYPE_CHECKING:
    from csc_metrics.spec.loader import Definitions


@dataclass(frozen=True)
class CollectionPeriod:
    """The period a statutory return covers, inclusive at both ends."""

    start: date
    end: date

    @property
    def label(self) -> str:
        """Financial-year label of the collection, e.g. `2024-25` for 1 April 2024 - 31 March 2025."""
        return f"{self.end.year - 1}-{self.end.year % 100:02d}"

    @classmethod
    def collection_year(cls, year_ending: int) -> CollectionPeriod:
        """1 April of `year_ending - 1` to 31 March of `year_ending`."""
        return cls(date(year_ending - 1, 4, 1), date(year_ending, 3, 31))


@dataclass
class Return:
    """One collection read by one format: its tables (table id -> typed rows) and the period they cover."""

    format: str  # "annex_a" | "ssda903" | "cin_census" (the `source` a result carries)
    period: CollectionPeriod | None
    tables: dict[str, TableData]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unrecognised: list[dict] = field(default_factory=list)  # {"path", "sheet", "reason"}: files or sheets not read


@dataclass(frozen=True)
class ReadOptions:
    """What the user asked of one read, for formats that need it (`read_options()` inside `read`)."""

    named: frozenset[Path] = frozenset()  # files named on the command line (a problem with one is fatal)
    digests: bool = True  # hash each file (SHA-256) for the run's provenance
    year: int | None = None  # `--year`: the collection year (year ending), overriding the content
    columns: Mapping[str, set[str]] | None = None  # Annex A: only these columns per table (None: all)


_OPTIONS: ContextVar[ReadOptions | None] = ContextVar("read_options", default=None)


def read_options() -> ReadOptions:
    """The options of the read in progress (defaults outside one)."""
    return _OPTIONS.get() or ReadOptions()


class SourceFormat(Protocol):
    """A kind of input. See the module docstring for the contract."""

    name: str

    def detect(self, path: Path, head: bytes) -> bool: ...

    def read(self, paths: list[Path], definitions: Definitions) -> list[Return]: ...


HEAD_SIZE = 65_536  # bytes of a file `detect` sees


_FORMATS: list[SourceFormat] = []


def register(fmt: SourceFormat) -> SourceFormat:
    """Add a format to the registry (tried in registration order; Annex A, the catch-all, goes last)."""
    _FORMATS.append(fmt)
    return fmt


def formats() -> list[SourceFormat]:
    """The registered formats, in the order they are tried."""
    return list(_FORMATS)
