"""Stream a CIN census XML file into raw text tables, one per module (returns.md §1.4).

The file is parsed by expat in 1 MiB chunks; no tree is built. Elements are read by NAME inside the record they
belong to (order-independent): a record element (`Child`, `CINdetails`, `Assessments`, ...) opens a row of its
table, a known leaf inside it fills a column, a repeating leaf (`Disability`, `AssessmentFactors`,
`CPPreviewDate`) is a row of its own table, wrapper elements (`Children`, `ChildIdentifiers`, `Reviews`...) are
transparent. Anything else is skipped with its subtree and reported once per element path (`Skipped`).
Text outside leaves (mixed content), namespaces and prefixes, and a missing declaration are all accepted.

Rows are buffered in Python lists (one list of cells per row, filled by cell index) and moved into polars frames
every `FLUSH_ROWS` rows, so the Python memory in use stays bounded whatever the file size; the cyclic garbage
collector is off during the parse (the rows are many small lists alive until a flush; it cost ~0.4 s on the
census below and nothing here makes cycles). Each row carries internal columns: `__line` (line of the record's
start tag), `__pos` (1-based position of its Child in the file), `__d` (its CINdetails ordinal within the
child), `__a` (ordinal of the parent Assessments / ChildProtectionPlans for factors and reviews) and `__o`
(its ordinal among same-named siblings) - the element path is rebuilt from them (`element_path`).

Why expat (measured on the 92 MB, 3.2-million-line census of `bench/bench_returns.py`, CPU time, a shared host
at load 0.4-2): this parse 3.3-3.5 s (3.9-4.0 s before the handlers' third round); expat with no handlers
0.65 s, with two empty Python handlers 1.6 s and with the text too 2.0 s (the floor of any handler design: the
rest is the handlers' work, ~1.3 s, and moving 600,000 rows into frames, ~0.3 s); lxml iterparse 1.7 s but
its `sourceline` is wrong past line 65,535 (libxml2 keeps 16-bit lines on elements and then takes the line of
the first child text node: a `Child` on line 161,208 reads 161,209). `xml.etree.ElementTree.XMLPullParser`
(C-accelerated) with end events only, each record's children read at its end and the record cleared: 4.3 s,
slower than this parse before any line lookup (the tree building and one Python loop step per element cost
what the handlers cost), and it gives no lines. Every row's line is its provenance (`__line` becomes the row
number), not only a diagnostic's, so a line pass only for the elements a diagnostic cites is not enough; a
regex scan of the raw bytes for the record tags' lines costs 0.6 s on its own. Lines stay expat's, exact at
any size.
"""

from __future__ import annotations

import gc
import hashlib
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

import polars as pl

from csc_metrics.errors import InputError
from csc_metrics.spec.tables import TableSchema

CHUNK = 1 << 20
FLUSH_ROWS = 1_000
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


class _Buffer:
    """One table's rows (a list of cell values in `columns` order, and the internal columns as a tuple),
    moved into a polars frame every `FLUSH_ROWS` rows."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        self.index = {c: i for i, c in enumerate(columns)}
        self.rows: list[list[str | None]] = []
        self.internal: list[tuple[int, int, int, int, int]] = []
        self.frames: list[pl.DataFrame] = []

    def flush(self) -> None:
        if self.rows:
            cells = list(zip(*self.rows, strict=True)) if self.columns else []  # rows -> columns
            internal = zip(*self.internal, strict=True)
            self.frames.append(pl.DataFrame(
                [*(pl.Series(c, v, dtype=pl.String) for c, v in zip(self.columns, cells, strict=True)),
                 *(pl.Series(c, v, dtype=pl.UInt32) for c, v in zip(INTERNAL, internal, strict=True))]))
            self.rows, self.internal = [], []

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
    buffers = {t: _Buffer([c.name for c in schemas[t].columns if c.name in set(fields[t].values())]) for t in TABLES}
    # a record's leaves: element name -> the index of its cell in the record's row
    leaves = {t: {name: buffers[t].index[col] for name, col in fields[t].items()} for t in TABLES}
    lists = {name: buffers[t] for name, (t, _) in LISTS.items()}  # a repeating leaf's table
    stack: list[str] = []  # names of the records and wrappers open (not leaves)
    # the records open, innermost last: [name, table, row, line, ordinal, counts of children by name]
    records: list[list] = []
    cur_name: str | None = None  # the innermost open record's name, its row and its leaves (name -> cell)
    cur_row: list[str | None] = []
    cur_leaves: dict[str, int] = {}
    det = 0  # the ordinal of the open CINdetails (0: none open)
    skip_depth = 0  # > 0: inside an unknown element's subtree
    in_leaf = False  # collecting a leaf's text (in `text`, by the C-level `put`)
    text: list[str] = []
    put = text.append
    leaf = ""  # the leaf open (when `in_leaf`), and its cell (-1: a repeating leaf, a row of its own)
    cell = -1
    skipped: dict[str, Skipped] = {}
    elements: set[str] = set()
    pos = 0  # the Child's position in the file
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def skip(name: str, repeated: bool = False) -> None:
        nonlocal skip_depth
        generic = "/".join([*stack, leaf, name] if in_leaf else [*stack, name])
        if generic in skipped:
            skipped[generic].count += 1
        else:
            where = generic
            if records:
                rec = records[-1]
                par = records[-2][4] if len(records) > 1 else 0
                where = element_path(rec[1], pos, det, par, rec[4]) + "/" + name
            skipped[generic] = Skipped(generic, where, parser.CurrentLineNumber, repeated=repeated)
        skip_depth = 1

    # the handlers run once per element: the common case (a leaf of the open record) comes first, with as few
    # Python operations as possible; a leaf's text goes straight to its list (a C-level call per text run)
    def start(name: str, attrs: object) -> None:
        nonlocal skip_depth, leaf, cell, in_leaf, cur_name, cur_row, cur_leaves, det, pos
        if skip_depth:
            skip_depth += 1
            return
        if in_leaf:  # an element inside a leaf: not a leaf after all
            parser.CharacterDataHandler = None
            skip(name.rpartition(":")[2])
            return
        i = cur_leaves.get(name)
        if i is None and ":" in name:  # a prefix (`cin:Child`): the local name counts
            name = name.rpartition(":")[2]
            i = cur_leaves.get(name)
        elements.add(name)
        if i is not None:  # the common case: a leaf of the open record
            if cur_row[i] is not None:
                skip(name, repeated=True)
                return
            leaf, cell, in_leaf = name, i, True
            parser.CharacterDataHandler = put
            return
        if name in RECORDS:
            table, parent = RECORDS[name]
            if cur_name == parent:
                if records:
                    counts = records[-1][5]
                    counts[name] = ord_ = counts.get(name, 0) + 1
                else:
                    ord_ = 1
                    if name == "Child":
                        pos += 1
                if name == "CINdetails":
                    det = ord_
                cur_name, cur_row, cur_leaves = name, [None] * len(buffers[table].columns), leaves[table]
                records.append([name, table, cur_row, parser.CurrentLineNumber, ord_, {}])
                stack.append(name)
                return
        elif name in LISTS and LISTS[name][1] == cur_name:
            leaf, cell, in_leaf = name, -1, True
            parser.CharacterDataHandler = put
            return
        elif name in WRAPPERS:
            stack.append(name)
            return
        skip(name)

    def end(name: str) -> None:
        nonlocal skip_depth, in_leaf, cur_name, cur_row, cur_leaves, det
        if skip_depth:
            skip_depth -= 1
            return
        if in_leaf:
            parser.CharacterDataHandler = None
            value = "".join(text).strip() or None
            text.clear()
            in_leaf = False
            if cell >= 0:
                if value is not None:
                    cur_row[cell] = value
                return
            rec = records[-1]
            counts = rec[5]
            counts[leaf] = n = counts.get(leaf, 0) + 1
            buf = lists[leaf]
            buf.rows.append([value])
            buf.internal.append((parser.CurrentLineNumber, pos, det, rec[4] if rec[0] != "Child" else 0, n))
            if len(buf.rows) >= FLUSH_ROWS:
                buf.flush()
            return
        stack.pop()
        if ":" in name:
            name = name.rpartition(":")[2]
        if cur_name == name:
            _, table, row, line, ord_, _ = records.pop()
            if records:
                cur_name, cur_row = records[-1][0], records[-1][2]
                cur_leaves = leaves[records[-1][1]]
            else:
                cur_name, cur_row, cur_leaves = None, [], {}
            rec_det = det
            if name == "CINdetails":
                det = 0
            buf = buffers[table]
            buf.rows.append(row)
            buf.internal.append((line, pos if name != "Header" else 0, rec_det, 0, ord_))
            if len(buf.rows) >= FLUSH_ROWS:
                buf.flush()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    digest = hashlib.sha256()
    collecting = gc.isenabled()
    gc.disable()  # the rows are many small lists that live until a flush: cycle collection only costs time here
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
    finally:
        if collecting:
            gc.enable()
    tables = {t: b.frame() for t, b in buffers.items()}
    return ParsedXml(tables, list(skipped.values()), digest.hexdigest(), elements)
