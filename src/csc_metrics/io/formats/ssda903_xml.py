"""The SSDA903 XML (`EXPSSDA903`) flattened to the CSV tables (returns.md §1.2), streamed with expat: one
`CHILD` element is held at a time, so a large file never needs a tree of itself in memory.

`CHILD` -> one `HEADER` (Header, and UASC / OC3 / AD1 from its fields) and repeated `EPISODE` (Episodes);
groups inside `HEADER`: `AREVIEW` (Reviews), `AMISSING` (Missing), `PERMANENCE` (PrevPerm), `OC2`,
`AD_PLACED` (PlacedAdoption), `SW_EPISODE` (SWEpisodes), `DOLO` (DoLo). `CHILDID` is `CHILD`, `PL` is `PLACE`;
`CHILD` and `DOB` are copied from `HEADER` into every child table. Each row's line is the line of its element
(diagnostics name the element path); unknown elements are skipped and reported once each (CSC224)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING
from xml.parsers import expat

import polars as pl

from csc_metrics.diagnostics import Diagnostic, Severity
from csc_metrics.errors import InputError
from csc_metrics.io.convert import convert_columns
from csc_metrics.io.diagnose import problems_to_diagnostics
from csc_metrics.io.formats.xml import XmlSource
from csc_metrics.io.model import KEY, ROW, SRC, TableData

if TYPE_CHECKING:
    from csc_metrics.spec.loader import Definitions

GROUPS = {"AREVIEW": "ssda903_reviews", "AMISSING": "ssda903_missing", "PERMANENCE": "ssda903_prev_perm",
          "OC2": "ssda903_oc2", "AD_PLACED": "ssda903_placed_adoption", "SW_EPISODE": "ssda903_sw_episodes",
          "SWEPISODE": "ssda903_sw_episodes", "DOLO": "ssda903_dolo"}
RENAME = {"CHILDID": "child", "PL": "place"}
FROM_HEADER = {  # tables built from HEADER fields: present when any of their own fields is filled
    "ssda903_uasc": ("duc",), "ssda903_oc3": ("in_touch", "activ", "accom"),
    "ssda903_ad1": ("date_int", "date_match", "foster_care", "nb_adoptr", "sex_adoptr", "ls_adoptr"),
}
UASC_YES = {"1", "TRUE", "Y", "YES"}
CHUNK = 1 << 20


class _Flattener:
    """expat handlers: structural elements (root, CHILD, HEADER, EPISODE, the groups) keep an element path with
    indices; a record's fields take a fast path (no path kept: they are most of the elements)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, str | int | None]]] = {}
        self.elements: dict[int, str] = {}  # line of a record's element -> its path
        self.unknown: dict[str, tuple[str, int]] = {}  # element name -> (path, line) first seen
        self.fields: dict[str, tuple[str, int]] = {}  # field read -> (path, line) first seen
        self.depth = 0
        self.counts: list[dict[str, int]] = [{}]
        self.path: list[str] = []  # of the structural elements open
        self.text = ""  # the text of the element being read
        self.child: dict | None = None
        self.record: dict | None = None  # the HEADER, EPISODE or group being read
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.data

    def start(self, name: str, _attrs: dict) -> None:
        self.depth += 1
        if ":" in name:
            name = name.rsplit(":", 1)[1]
        rec = self.record
        self.text = ""
        if rec is not None and not (name in GROUPS and rec["__kind"] == "HEADER"):
            return  # a field of the record
        n = self.counts[-1].get(name, 0) + 1
        self.counts[-1][name] = n
        self.counts.append({})
        self.path.append(f"{name}[{n}]" if self.path else name)  # the root without an index
        depth, line = self.depth, self.parser.CurrentLineNumber
        if depth == 2 and name == "CHILD":
            self.child = {"header": None, "episodes": [], "groups": []}
        elif self.child is not None and depth == 3 and name in ("HEADER", "EPISODE") or rec is not None:
            where = "/".join(self.path)
            self.record = {"__line": line, "__kind": name, "__fields": {}, "__depth": depth, "__path": where,
                           "__parent": rec}
            self.elements.setdefault(line, where)

    def data(self, text: str) -> None:
        self.text += text  # one call per text node (buffer_text), rarely more

    def end(self, name: str) -> None:
        if ":" in name:
            name = name.rsplit(":", 1)[1]
        depth = self.depth
        self.depth -= 1
        rec = self.record
        if rec is not None and depth > rec["__depth"]:  # a field
            key = RENAME.get(name) or name.lower()
            rec["__fields"][key] = self.text.strip() or None
            if key not in self.fields:
                self.fields[key] = (f"{rec['__path']}/{name}", self.parser.CurrentLineNumber)
            self.text = ""
            return
        if rec is not None and depth == rec["__depth"]:
            kind = rec["__kind"]
            target = "header" if kind == "HEADER" else "episodes" if kind == "EPISODE" else "groups"
            if target == "header":
                self.child["header"] = rec  # type: ignore[index]
            else:
                self.child[target].append(rec)  # type: ignore[index]
            self.record = rec["__parent"]
        elif depth == 2 and name == "CHILD" and self.child is not None:
            self._emit(self.child)
            self.child = None
        elif depth >= 2:
            self.unknown.setdefault(name, ("/".join(self.path), self.parser.CurrentLineNumber))
        self.path.pop()
        self.counts.pop()
        self.text = ""

    def _add(self, table: str, fields: dict, line: int | None) -> None:
        self.rows.setdefault(table, []).append({**fields, ROW: line})

    def _emit(self, child: dict) -> None:
        header = child["header"]
        head = header["__fields"] if header else {}
        ident = {"child": head.get("child"), "dob": head.get("dob")}
        line = header["__line"] if header else None
        if header:
            self._add("ssda903_header", head, line)
            for table, own in FROM_HEADER.items():
                uasc = table == "ssda903_uasc" and (head.get("uasc") or "").upper() in UASC_YES
                if uasc or any(head.get(f) for f in own):
                    self._add(table, head, line)
        for ep in child["episodes"]:
            self._add("ssda903_episodes", {"child": ident["child"], **ep["__fields"]}, ep["__line"])
        for g in child["groups"]:
            self._add(GROUPS[g["__kind"]], {**ident, **g["__fields"]}, g["__line"])


def read_xml(path: Path, definitions: Definitions, *, digest: bool = True) -> tuple[list[TableData], list[Diagnostic]]:
    """Every table of one EXPSSDA903 file, typed per its schema, with the conversion diagnostics."""
    flat = _Flattener()
    sha = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                if digest:
                    sha.update(chunk)
                flat.parser.Parse(chunk, False)
            flat.parser.Parse(b"", True)
    except expat.ExpatError as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(f"{path}: not well-formed XML at line {line} ({expat.ErrorString(exc.code)})",
                         hint="export the SSDA903 XML again from the case management system") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})", hint="check the file") from None
    known = {c.name for t in definitions.tables.values() if t.format == "ssda903" for c in t.columns} | {"uasc"}
    unknown = dict(flat.unknown)
    for key, (where, line) in flat.fields.items():
        if key not in known:
            unknown.setdefault(where.rsplit("/", 1)[-1].split("[")[0], (where, line))
    diags = [Diagnostic(code="CSC224", severity=Severity.INFO, file=str(path), element=where, line=line,
                        message=f"element <{name}> is not part of the SSDA903 tables; skipped (reported once)",
                        hint="nothing to do unless it holds data you expected to be read")
             for name, (where, line) in unknown.items()]
    tables: list[TableData] = []
    for table_id, rows in flat.rows.items():
        schema = definitions.tables.get(table_id)
        if schema is None:
            continue
        names = [c.name for c in schema.columns if any(c.name in r for r in rows[:1000])]
        raw = pl.DataFrame({ROW: pl.Series(ROW, [r[ROW] for r in rows], dtype=pl.UInt32),
                            **{c: pl.Series(c, [r.get(c) for r in rows], dtype=pl.String) for c in names}})
        typed, problems = convert_columns(raw, schema, definitions.code_sets)
        headers = [{"header": schema.column(c).header, "column": c, "letter": None} for c in names]  # type: ignore[union-attr]
        source = XmlSource(str(path), None, table_id, typed.height, 0, "utf-8", sha.hexdigest() if digest else "",
                           None, headers, elements=flat.elements)
        typed = typed.with_columns(pl.lit(0, dtype=pl.UInt16).alias(SRC)).select(
            *schema.column_names, SRC, ROW, *([KEY] if KEY in typed.columns else []))
        diags += problems_to_diagnostics(problems, source, schema, definitions.code_sets)
        tables.append(TableData(schema, typed, [source]))
    return tables, diags
