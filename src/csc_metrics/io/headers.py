"""Recognise which table a sheet holds from its header row, and map its headers onto canonical columns.

Headers are compared after `norm_header` (trim, case-fold, collapse spaces, plain quotes and dashes) with each
column's header and declared variants. A table is recognised when every required column is present; among
several, the one with most matched columns wins, then the one whose `sheet_names` match the sheet or file name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from csc_metrics.io.normalise import norm_header, norm_name
from csc_metrics.spec.tables import TableSchema


@dataclass
class SchemaMatch:
    """How one header row matches one schema."""

    schema: TableSchema
    mapping: dict[int, str] = field(default_factory=dict)  # cell index -> canonical column
    ambiguous: list[tuple[int, str, list[str]]] = field(default_factory=list)  # (index, header, columns)
    repeated: list[tuple[int, str, str, int]] = field(default_factory=list)  # (index, header, column, first index)
    extras: list[tuple[int, str]] = field(default_factory=list)  # headers matching no column

    @property
    def matched(self) -> int:
        return len(self.mapping)

    @property
    def missing_required(self) -> list[str]:
        """Columns the header must have: the required ones, or with the schema's `match: all` (SSDA903) every
        column not marked `header_optional`."""
        present = set(self.mapping.values())
        every = self.schema.match == "all"
        return [c.name for c in self.schema.columns
                if (not c.header_optional if every else c.required) and c.name not in present]


@dataclass
class Recognition:
    header_index: int
    match: SchemaMatch | None  # None when not recognised
    best: SchemaMatch | None  # closest schema, for messages
    reason: str | None = None  # why not recognised
    missing: list[str] = field(default_factory=list)  # required columns missing from `best` (CSC214)


class Recogniser:
    """Header lookups for every schema, built once per read."""

    def __init__(self, schemas: list[TableSchema]) -> None:
        self.schemas = schemas
        self.lookups: list[dict[str, set[str]]] = []
        for schema in schemas:
            lookup: dict[str, set[str]] = {}
            for col in schema.columns:
                for text in (col.header, *col.variants):
                    lookup.setdefault(norm_header(text), set()).add(col.name)
            self.lookups.append(lookup)

    def match_row(self, cells: Sequence[object], index: int, keys: list[str]) -> SchemaMatch:
        """How a row of cells matches schema `index`; `keys`: the cells normalised (`norm_header`)."""
        schema, lookup = self.schemas[index], self.lookups[index]
        m = SchemaMatch(schema)
        first: dict[str, int] = {}
        for i, (cell, key) in enumerate(zip(cells, keys, strict=True)):
            if not key:
                continue
            cols = sorted(lookup.get(key, ()))
            if not cols:
                m.extras.append((i, str(cell).strip()))
            elif len(cols) > 1:
                m.ambiguous.append((i, str(cell).strip(), cols))
            elif cols[0] in first:
                m.repeated.append((i, str(cell).strip(), cols[0], first[cols[0]]))
            else:
                first[cols[0]] = i
                m.mapping[i] = cols[0]
        return m

    def recognise(self, head: Sequence[Sequence[object]], name_hint: str) -> Recognition:
        """Find the header row among `head` and the table it belongs to."""
        best_row, best_score, matches = 0, 0, []
        for r, cells in enumerate(head):
            keys = [norm_header(c) for c in cells]  # once per row, not once per schema
            row_matches = [self.match_row(cells, i, keys) for i in range(len(self.schemas))]
            score = max((m.matched for m in row_matches), default=0)
            if score > best_score:
                best_row, best_score, matches = r, score, row_matches
        if best_score == 0:
            return Recognition(0, None, None, "headers match no table")
        full = [m for m in matches if not m.missing_required]
        if full:
            chosen = _pick(full, name_hint)
            if chosen is None:
                top = sorted(m.schema.id for m in full if m.matched == max(x.matched for x in full))
                return Recognition(best_row, None, full[0], f"headers match several tables equally ({', '.join(top)})")
            return Recognition(best_row, chosen, chosen)
        closest = _pick(matches, name_hint) or max(matches, key=lambda m: m.matched)
        ncols = len(closest.schema.columns)
        if closest.matched >= max(2, (ncols + 1) // 2):
            missing = closest.missing_required
            return Recognition(best_row, None, closest, f"looks like {closest.schema.id} but required columns are missing",
                               missing)
        return Recognition(best_row, None, closest, "headers match no table")


def _pick(matches: list[SchemaMatch], name_hint: str) -> SchemaMatch | None:
    """Most matched columns; ties broken by sheet/file name; None if still tied."""
    top = max(m.matched for m in matches)
    tied = [m for m in matches if m.matched == top]
    if len(tied) == 1:
        return tied[0]
    named = [m for m in tied if name_matches(m.schema, name_hint)]
    return named[0] if len(named) == 1 else None


def name_matches(schema: TableSchema, name_hint: str) -> bool:
    """Whether a sheet or file name contains one of the schema's `sheet_names` (or its id/alias) as whole words."""
    hint = norm_name(name_hint)
    for candidate in (*schema.sheet_names, schema.id, schema.alias or ""):
        cand = norm_name(candidate)
        if cand and re.search(rf"(?<![a-z0-9]){re.escape(cand)}(?![a-z0-9])", hint):
            return True
    return False
