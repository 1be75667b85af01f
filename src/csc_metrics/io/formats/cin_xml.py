"""Stream a CIN census XML file into raw text tables, one per module (returns.md §1.4).

The file is parsed by expat in 1 MiB chunks; no tree is built. Elements are read by NAME inside the record they
belong to (order-independent): a record element (`Child`, `CINdetails`, `Assessments`, ...) opens a row of its
table, a known leaf inside it fills a column, a repeating leaf (`Disability`, `AssessmentFactors`,
`CPPreviewDate`) is a row of its own table, wrapper elements (`Children`, `ChildIdentifiers`, `Reviews`...) are
transparent. Anything else is skipped with its subtree and reported once per element path (`Skipped`).
Text outside leaves (mixed content), namespaces and prefixes, and a missing declaration are all accepted.

Rows are buffered in Python lists and moved into polars frames every `FLUSH_ROWS` rows, so the Python memory
in use stays bounded whatever the file size. Each row carries internal columns: `__line` (line of the record's
start tag), `__pos` (1-based position of its Child in the file), `__d` (its CINdetails ordinal within the
child), `__a` (ordinal of the parent Assessments / ChildProtectionPlans for factors and reviews) and `__o`
(its ordinal among same-named siblings) - the element path is rebuilt from them (`element_path`).

Why expat (measured on the 92 MB, 3.2-million-line census of `bench/bench_returns.py`, quiet host, CPU time):
this parse 4.4 s; expat with no handlers 0.6 s, with two empty Python handlers and the text 2.0 s (the floor
of any handler design); `xml.etree` iterparse touching every element 2.0 s but no line numbers; lxml iterparse
1.7 s but its `sourceline` is wrong past line 65,535 (libxml2 keeps 16-bit lines on elements and then takes
the line of the first child text node: a `Child` on line 161,208 reads 161,209). Every row's line is its
provenance (`__line` becomes the row number), not only a diagnostic's, so a second pass for lines would cost
a parse again; a prototype of `xml.etree` rows plus a regex scan of the raw bytes for the record tags' lines
took 3.8 s against this parse's 4.0 s. Lines stay expat's, exact at any size.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import polars as pl

from csc_metrics.errors import InputError
from csc_metrics.spec.tables import TableSchema

CHUNK = 1 << 20
FLUSH_ROWS = 2_000
LINE, POS, DET, PAR, ORD = "__line", "__pos", "__d", "__a", "__o"
INTERNAL = [LINE, POS, DET, PAR, ORD]

# record element -> (table id, the record element it must sit inside; None: at top level)
RECORDS: dict[str, tuple[str, str | None]] = {
    "Header": ("cin_header", None),
    "Child": ("cin_child", None),
    "CINdetails": ("cin_details", "Child"),
    "Assessments": ("cin_assessments", "CINdetails"),
    "CINPlanDates": ("cin_plan_dates", "CINdetails"),
    "Section47": ("cin_s47", "CINdetails"),
    "ChildProtectionPlans": ("cin_cpp", "CINdetails"),
    "PreProceedingsandFGDM": ("cin_pre_proceedings", "CINdetails"),
}
# repeating leaf -> (table id, the record it sits inside)
LISTS: dict[str, tuple[str, str]] = {
    "Disability": ("cin_disabilities", "Child"),
    "AssessmentFactors": ("cin_assessment_factors", "Assessments"),
    "CPPreviewDate": ("cin_cpp_reviews", "ChildProtectionPlans"),
}
WRAPPERS = {"Message", "Children", "CollectionDetails", "Source", "ChildIdentifiers", "ChildCharacteristics",
            "Disabilities", "FactorsIdentifiedAtAssessment", "Reviews"}
LIST_TABLES = {t for t, _ in LISTS.values()}
TABLES = [t for t, _ in RECORDS.values()] + [t for t, _ in LISTS.values()]
ORDINAL_COLUMNS = {"cin_details_id", "assessment_id", "cpp_id"}  # made by the reader, never read from XML

_CHILD = "Message/Children/Child[{p}]"
_DET = _CHILD + "/CINdetails[{d}]"
PATHS: dict[str, str] = {
    "cin_header": "Message/Header",
    "cin_child": _CHILD,
    "cin_disabilities": _CHILD + "/ChildCharacteristics/Disabilities/Disability[{o}]",
    "cin_details": _DET,
    "cin_assessments": _DET + "/Assessments[{o}]",
    "cin_assessment_factors": _DET + "/Assessments[{a}]/FactorsIdentifiedAtAssessment/AssessmentFactors[{o}]",
    "cin_plan_dates": _DET + "/CINPlanDates[{o}]",
    "cin_s47": _DET + "/Section47[{o}]",
    "cin_cpp": _DET + "/ChildProtectionPlans[{o}]",
    "cin_cpp_reviews": _DET + "/ChildProtectionPlans[{a}]/Reviews/CPPreviewDate[{o}]",
    "cin_pre_proceedings": _DET + "/PreProceedingsandFGDM[{o}]",
}
# the wrapper a record's leaf sits in, for element paths of cells
FIELD_WRAPPERS: dict[str, dict[str, str]] = {
    "cin_header": {"Collection": "CollectionDetails", "Year": "CollectionDetails", "ReferenceDate": "CollectionDetails",
                   "*": "Source"},
    "cin_child": {"Ethnicity": "ChildCharacteristics", "*": "ChildIdentifiers"},
}


def element_path(table: str, pos: int | None, det: int | None, par: int | None, ord_: int | None,
                 element: str | None = None) -> str:
    """`Message/Children/Child[3]/CINdetails[1]/Section47[2]` (+ `/ReferralNFA` for a cell)."""
    path = PATHS[table].format(p=pos, d=det, a=par, o=ord_)
    if element is None or table in LIST_TABLES:
        return path
    wrappers = FIELD_WRAPPERS.get(table, {})
    wrapper = wrappers.get(element, wrappers.get("*"))
    return f"{path}/{wrapper}/{element}" if wrapper else f"{path}/{element}"


@dataclass
class Skipped:
    """An element the reader does not know, skipped with its subtree: where it first was and how often."""

    path: str  # generic path, e.g. Message/Children/Child/CINdetails/Foo
    element: str  # first occurrence, with positions
    line: int
    count: int = 1
    repeated: bool = False  # a known leaf given twice in one record (the first is kept)


@dataclass
class _Buffer:
    columns: list[str]
    lists: dict[str, list] = field(default_factory=dict)
    frames: list[pl.DataFrame] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lists = {c: [] for c in [*self.columns, *INTERNAL]}

    def add(self, values: dict[str, str], line: int, pos: int, det: int, par: int, ord_: int) -> None:
        lists = self.lists
        for c in self.columns:
            lists[c].append(values.get(c))
        lists[LINE].append(line)
        lists[POS].append(pos)
        lists[DET].append(det)
        lists[PAR].append(par)
        lists[ORD].append(ord_)
        if len(lists[LINE]) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.lists[LINE]:
            self.frames.append(pl.DataFrame(
                {**{c: pl.Series(c, self.lists[c], dtype=pl.String) for c in self.columns},
                 **{c: pl.Series(c, self.lists[c], dtype=pl.UInt32) for c in INTERNAL}}))
            self.lists = {c: [] for c in self.lists}

    def frame(self) -> pl.DataFrame:
        self.flush()
        if not self.frames:
            return pl.DataFrame(schema={**{c: pl.String for c in self.columns}, **{c: pl.UInt32 for c in INTERNAL}})
        return pl.concat(self.frames, rechunk=True)


@dataclass
class ParsedXml:
    """Raw text tables (element name columns renamed to canonical names) plus internal columns."""

    tables: dict[str, pl.DataFrame]
    skipped: list[Skipped]
    sha256: str
    elements: set[str]  # element names seen (e.g. GenderCurrent vs Sex), for year checks


class _Record:
    __slots__ = ("table", "name", "values", "line", "ord", "counts", "fields")

    def __init__(self, table: str, name: str, line: int, ord_: int, fields: dict[str, str]) -> None:
        self.table, self.name, self.line, self.ord, self.fields = table, name, line, ord_, fields
        self.values: dict[str, str] = {}
        self.counts: dict[str, int] = {}


def _fields(schema: TableSchema) -> dict[str, str]:
    """XML element name -> canonical column, for the columns an element of this record fills."""
    out: dict[str, str] = {}
    for col in schema.columns:
        if col.name in ORDINAL_COLUMNS or (col.name == "la_child_id" and schema.id != "cin_child"):
            continue
        for name in (col.header, *col.variants):
            out[name] = col.name
    return out


def parse_cin_xml(path: Path, schemas: dict[str, TableSchema]) -> ParsedXml:
    """Stream `path` into raw tables. Raises InputError (file and line) when the XML is not well-formed."""
    fields = {t: _fields(schemas[t]) for t in TABLES}
    list_columns = {name: fields[t][name] for name, (t, _) in LISTS.items()}
    buffers = {t: _Buffer([c.name for c in schemas[t].columns if c.name in set(fields[t].values())]) for t in TABLES}
    stack: list[str] = []  # element names open
    records: list[_Record] = []
    current: _Record | None = None  # the innermost open record (records[-1])
    current_fields: dict[str, str] = {}  # its leaves: element name -> column
    det = 0  # the ordinal of the open CINdetails (0: none open)
    skip_depth = 0  # > 0: inside an unknown element's subtree
    text: list[str] | None = None  # collecting a leaf's text
    leaf: str | None = None
    skipped: dict[str, Skipped] = {}
    elements: set[str] = set()
    pos = 0  # the Child's position in the file
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def skip(name: str, repeated: bool = False) -> None:
        nonlocal skip_depth
        generic = "/".join([*stack, name])
        if generic in skipped:
            skipped[generic].count += 1
        else:
            where = generic
            if current is not None:
                par = records[-2].ord if len(records) > 1 else 0
                where = element_path(current.table, pos, det, par, current.ord) + "/" + name
            skipped[generic] = Skipped(generic, where, parser.CurrentLineNumber, repeated=repeated)
        skip_depth = 1

    # the handlers run once per element: the common case (a leaf of the open record) comes first, with as few
    # Python operations as possible; a leaf's text goes straight to its list (a C-level call per text run)
    def start(name: str, attrs: object) -> None:
        nonlocal skip_depth, leaf, text, current, current_fields, det, pos
        if skip_depth:
            skip_depth += 1
            return
        if ":" in name:
            name = name.rpartition(":")[2]
        if text is not None:  # an element inside a leaf: not a leaf after all
            parser.CharacterDataHandler = None
            skip(name)
            return
        column = current_fields.get(name)
        if column is not None:  # the common case: a leaf of the open record
            elements.add(name)
            if column in current.values:  # type: ignore[union-attr]
                skip(name, repeated=True)
                return
            leaf = name
            text = []
            parser.CharacterDataHandler = text.append
            stack.append(name)
            return
        elements.add(name)
        if name in RECORDS:
            table, parent = RECORDS[name]
            if (current.name if current else None) == parent:
                if current is not None:
                    current.counts[name] = ord_ = current.counts.get(name, 0) + 1
                else:
                    ord_ = 1
                    if name == "Child":
                        pos += 1
                current = _Record(table, name, parser.CurrentLineNumber, ord_, fields[table])
                current_fields = current.fields
                if name == "CINdetails":
                    det = ord_
                records.append(current)
                stack.append(name)
                return
        elif name in LISTS and current is not None and LISTS[name][1] == current.name:
            leaf = name
            text = []
            parser.CharacterDataHandler = text.append
            stack.append(name)
            return
        elif name in WRAPPERS:
            stack.append(name)
            return
        skip(name)

    def end(name: str) -> None:
        nonlocal skip_depth, text, leaf, current, current_fields, det
        if skip_depth:
            skip_depth -= 1
            return
        stack.pop()
        if text is not None:
            parser.CharacterDataHandler = None
            value = "".join(text).strip() or None
            if leaf in LISTS:
                table = LISTS[leaf][0]
                n = current.counts[leaf] = current.counts.get(leaf, 0) + 1  # type: ignore[union-attr]
                par = current.ord if current.name != "Child" else 0  # type: ignore[union-attr]
                buffers[table].add({list_columns[leaf]: value} if value else {}, parser.CurrentLineNumber,
                                   pos, det, par, n)
            elif value is not None:
                current.values[current_fields[leaf]] = value  # type: ignore[union-attr, index]
            text, leaf = None, None
            return
        if ":" in name:
            name = name.rpartition(":")[2]
        if current is not None and current.name == name:
            rec = records.pop()
            current = records[-1] if records else None
            current_fields = current.fields if current is not None else {}
            if name == "CINdetails":
                rec_det, det = det, 0
            else:
                rec_det = det
            buffers[rec.table].add(rec.values, rec.line, pos if name != "Header" else 0, rec_det, 0, rec.ord)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise InputError(f"{path}: not well-formed XML at line {exc.lineno}, column {exc.offset + 1}: "
                         f"{expat.ErrorString(exc.code)}",
                         hint="the file may be truncated or edited by hand; export the census again") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc}") from exc
    tables = {t: b.frame() for t, b in buffers.items()}
    return ParsedXml(tables, list(skipped.values()), digest.hexdigest(), elements)

