"""Load definitions YAML with source positions, so every problem is reported as `path:line:col`.

YAML is read with ruamel in round-trip mode (YAML 1.2: `no` stays the string "no"), which keeps the line and
column of every key and item. Each file is validated by pydantic as a whole, so all its structural errors are
collected; pydantic's error locations are then walked through the YAML tree to find the line of each one.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import pickle
import re
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic
from pydantic import BaseModel, ValidationError

from csc_metrics import __version__
from csc_metrics.cache import cache_dir, prune
from csc_metrics.diagnostics import Diagnostic, Severity
from csc_metrics.spec.derived import DerivedTable
from csc_metrics.spec.files import DefinitionsFile
from csc_metrics.spec.indicators import AnyIndicator
from csc_metrics.spec.tables import CodeSet, TableSchema

if TYPE_CHECKING:  # ruamel is imported when a file is parsed (a cached load never needs it)
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class Located:
    """An object from a definitions file, with where it was defined."""

    obj: Any
    file: str
    line: int
    col: int
    node: Any = None  # the YAML node, for positions of nested keys


def indicator_kind(source: str) -> str:
    """The `located` kind of an indicator recipe: `indicators` for Annex A, `indicators@ssda903` for others."""
    return "indicators" if source == "annex_a" else f"indicators@{source}"


@dataclass
class Definitions:
    """Every table schema, code set and indicator found, keyed by id (first definition wins).

    Indicators are keyed by (id, source) in `recipes`: one id may be computed from Annex A and from a DfE
    return. `indicators` holds one recipe per id, the one a run uses (by default the Annex A recipe, else the
    first loaded; `with_recipes` gives the definitions with other choices)."""

    tables: dict[str, TableSchema] = field(default_factory=dict)
    code_sets: dict[str, CodeSet] = field(default_factory=dict)
    indicators: dict[str, AnyIndicator] = field(default_factory=dict)
    recipes: dict[tuple[str, str], AnyIndicator] = field(default_factory=dict)  # (id, source) -> indicator
    derived: dict[str, DerivedTable] = field(default_factory=dict)  # also in `tables`, as schemas
    located: dict[tuple[str, str], Located] = field(default_factory=dict)  # (kind, id) -> where
    files: list[Path] = field(default_factory=list)
    content_hash: str = ""

    def sources(self, ind_id: str) -> list[str]:
        """The sources an indicator id has a recipe for, in load order."""
        return [src for (i, src) in self.recipes if i == ind_id]

    def recipe_of(self, rate: Any) -> AnyIndicator:
        """The count a rate divides: the recipe of `rate.of` with the rate's source, else the one in use."""
        return self.recipes.get((rate.of, rate.source)) or self.indicators[rate.of]

    def with_recipes(self, chosen: dict[str, AnyIndicator]) -> Definitions:
        """These definitions with `indicators` using the chosen recipe of each id named (others unchanged)."""
        from dataclasses import replace

        return replace(self, indicators={**self.indicators, **chosen})

    def table(self, name: str) -> TableSchema | None:
        """A table by id or alias."""
        if name in self.tables:
            return self.tables[name]
        return next((t for t in self.tables.values() if t.alias == name), None)


@dataclass
class LoadResult:
    definitions: Definitions
    diagnostics: list[Diagnostic]

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)


def standard_definitions_path() -> Path:
    """The standard library shipped with the package (or the repository's `definitions/` in development)."""
    packaged = Path(str(resources.files("csc_metrics"))) / "_definitions"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "definitions"


def default_definitions_path(explicit: Path | None = None) -> Path:
    """`--definitions`, else `definitions/` in the working directory, else the standard library."""
    if explicit is not None:
        return explicit
    local = Path("definitions")
    if local.is_dir() and any(local.rglob("*.y*ml")):
        return local
    return standard_definitions_path()


def find_yaml_files(paths: list[Path]) -> list[Path]:
    """YAML files under the given files/folders, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file()))
        else:
            found.append(path)
    return found


_MEMORY: dict[str, LoadResult] = {}


def load_definitions(paths: list[Path], cache: bool = False, positions: bool = False) -> LoadResult:
    """Parse and validate every definitions file; structural problems become diagnostics (never raised).

    With `cache`, an unchanged set of files (same names and contents, same tool and pydantic versions, same
    definitions models in `csc_metrics.spec`) is loaded from a pickle in the user's cache folder instead of
    being parsed again. Files with errors are never cached. Source positions are kept only with `positions`
    (what `check` needs to place a later problem: a reference, a compile or an embedded test failing).
    """
    if not cache:
        return _load_all(paths)
    digest = hashlib.sha256(f"{__version__}|{pydantic.VERSION}|{positions}".encode())
    for model in sorted(Path(__file__).parent.glob("*.py")):  # a changed model or validator: parse again
        digest.update(model.read_bytes())
    contents: dict[Path, bytes] = {}
    for path in find_yaml_files(paths):
        try:
            contents[path] = path.read_bytes()
        except OSError:
            return _load_all(paths)
        digest.update(str(path).encode() + b"\0" + contents[path] + b"\0")
    key = digest.hexdigest()
    if key in _MEMORY:
        return _MEMORY[key]
    cached = cache_dir() / f"definitions-{key[:32]}.pickle"
    try:
        result = pickle.loads(cached.read_bytes())
    except Exception:  # missing, stale or unreadable cache: parse again (the files as read for the key)
        result = _load_all(paths, contents)
        if result.has_errors:  # keep positions for the error message; nothing worth caching
            return result
        if not positions:
            result.definitions.located = {}
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(pickle.dumps(result))
            tmp.replace(cached)
            prune("definitions-*.pickle")
        except OSError:
            pass  # a read-only home: no cache, same result
    _MEMORY[key] = result
    return result


def _load_all(paths: list[Path], contents: dict[Path, bytes] | None = None) -> LoadResult:
    """`contents`: files already read (by the cache key), else read here."""
    defs = Definitions()
    diags: list[Diagnostic] = []
    digest = hashlib.sha256()
    files = find_yaml_files(paths)
    if not files:
        where = ", ".join(str(p) for p in paths)
        diags.append(
            Diagnostic(code="CSC116", message=f"no definitions (.yaml) found in {where}", file=where,
                       hint="pass the folder that holds your definitions, e.g. `csc-metrics check definitions/`")
        )
    for path in files:
        defs.files.append(path)
        try:
            raw = contents[path] if contents and path in contents else path.read_bytes()
            text = raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")  # as read_text reads it
        except (OSError, UnicodeDecodeError) as exc:
            diags.append(Diagnostic(code="CSC116", message=f"cannot read file: {exc}", file=str(path),
                                    hint="save it as UTF-8 text"))
            continue
        digest.update(path.name.encode() + b"\0" + text.encode() + b"\0")
        _load_file(path, text, defs, diags)
    _register_derived(defs, diags)
    defs.content_hash = "sha256:" + digest.hexdigest()
    return LoadResult(defs, diags)


def _yaml() -> YAML:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def _load_file(path: Path, text: str, defs: Definitions, diags: list[Diagnostic]) -> None:
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import MarkedYAMLError

    fname = str(path)
    problem = _node_problem(text) if _TAG.search(text) else None  # tags: refused before anything is built
    if problem:
        diags.append(Diagnostic(code="CSC100", message=problem[0], file=fname, line=problem[1], col=problem[2],
                                hint="definitions use plain YAML values: text, numbers, dates, lists and mappings"))
        return
    try:
        data = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        diags.append(
            Diagnostic(code="CSC100", message=f"YAML syntax error: {exc.problem or exc.context}", file=fname,
                       line=mark.line + 1 if mark else None, col=mark.column + 1 if mark else None,
                       hint="check indentation, colons and quotes around this line")
        )
        return
    except RecursionError:
        diags.append(Diagnostic(code="CSC100", message="YAML nested too deeply to read", file=fname,
                                hint="definitions nest a few levels; look for a run of `[` or `-` that never ends"))
        return
    except Exception as exc:  # ruamel raises a few non-marked errors (e.g. duplicate keys, a bad date)
        found = _node_problem(text)
        message, line, col = found if found else (f"YAML error: {exc}", None, None)
        diags.append(Diagnostic(code="CSC103" if found else "CSC100", message=message, file=fname, line=line,
                                col=col))
        return
    if data is None:
        return
    refused = _alias_bomb(data)
    if refused:
        diags.append(Diagnostic(code="CSC100", message=refused, file=fname, line=1, col=1,
                                hint="anchors (`&name`) and aliases (`*name`) may share a block of filters; "
                                     "they may not nest into an expansion this large"))
        return
    if not isinstance(data, CommentedMap):
        diags.append(Diagnostic(code="CSC103", message="a definitions file must be a mapping with `version: 1`",
                                file=fname, line=1, col=1))
        return
    if data.get("version") not in (1, None) or "version" not in data:
        line, col = _pos(data, ["version"])
        diags.append(
            Diagnostic(code="CSC115", message=f"unsupported or missing `version` ({data.get('version')!r})",
                       file=fname, line=line, col=col, hint="start the file with `version: 1`")
        )
    try:
        parsed = DefinitionsFile.model_validate(_plain(data))
    except ValidationError as exc:
        diags.extend(_diagnostics_from_errors(exc, data, fname))
        parsed = _salvage(data, fname)
    _register(parsed, data, fname, defs, diags)


_TAG = re.compile(r"(?:^|[\s\[{,])!")  # a YAML tag may be present (`!!python/object`, `!custom`)
PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp",
                                                    "merge")}


def _node_problem(text: str) -> tuple[str, int, int] | None:
    """(message, line, col) of the first value a definitions file may not hold: a tag other than YAML's plain
    ones (no object is ever built from a tag), or a date that is not a calendar date. Reads the YAML node
    tree only (aliases shared, each node visited once)."""
    from ruamel.yaml import YAML

    try:
        root = YAML(typ="rt").compose(text)
    except Exception:
        return None  # the loader reports syntax errors itself
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        tag = str(getattr(node.tag, "value", node.tag))
        where = (node.start_mark.line + 1, node.start_mark.column + 1)
        if tag not in PLAIN_TAGS:
            return f"YAML tag `{tag.removeprefix('tag:yaml.org,2002:')}` is not allowed in definitions", *where
        if tag.endswith(":timestamp"):
            ymd = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", str(node.value))
            try:
                date(*map(int, ymd.groups())) if ymd else date.fromisoformat(str(node.value))
            except ValueError:
                return f"`{node.value}` is not a valid date (year-month-day)", *where
        if isinstance(node.value, list):
            for item in node.value:
                stack.extend(item if isinstance(item, tuple) else [item])
    return None


MAX_NODES = 200_000  # values in one file once its aliases are expanded (the shipped files: a few thousand)
MAX_DEPTH = 64  # nesting of mappings and lists, aliases expanded


def _alias_bomb(data: Any) -> str | None:
    """Why a file is refused: its aliases expand past MAX_NODES values or MAX_DEPTH levels (a "billion
    laughs"), else None. ruamel builds each anchored node once and an alias shares it, so the tree is small;
    its expanded size is counted here per distinct node (iteratively, memoised), before anything expands it."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in size and not done:
            continue
        children = list(node.values()) if isinstance(node, dict) else node if isinstance(node, list) else []
        if not done:
            size[key] = -1  # in progress: a node that contains itself is a loop
            stack.append((node, True))
            for child in children:
                if size.get(id(child)) == -1:
                    return "YAML aliases refer to themselves (a loop); not read"
                if id(child) not in size and isinstance(child, (dict, list)):
                    stack.append((child, False))
            continue
        size[key] = 1 + sum(size.get(id(c), 1) for c in children)
        depth[key] = 1 + max((depth.get(id(c), 0) for c in children), default=0)
        if size[key] > MAX_NODES:
            return f"YAML aliases expand to more than {MAX_NODES:,} values (an alias bomb?); not read"
        if depth[key] > MAX_DEPTH:
            return f"YAML nests more than {MAX_DEPTH} levels deep (aliases expanded); not read"
    return None


def _salvage(data: CommentedMap, fname: str) -> DefinitionsFile:
    """Keep the valid items of a file with errors, so cross-reference checks still see them."""
    kept: dict[str, list[Any]] = {"tables": [], "code_sets": [], "indicators": [], "derived": []}
    for key in kept:
        for item in data.get(key) or []:
            try:
                DefinitionsFile.model_validate({"version": 1, key: [_plain(item)]})
            except ValidationError:
                kept[key].append(None)
                continue
            kept[key].append(item)
    good = {k: [_plain(i) for i in v if i is not None] for k, v in kept.items()}
    parsed = DefinitionsFile.model_validate({"version": 1, **good})
    # keep positions aligned: remember which YAML items survived
    parsed.__dict__["_survivors"] = kept
    return parsed


def _register(parsed: DefinitionsFile, data: CommentedMap, fname: str, defs: Definitions,
              diags: list[Diagnostic]) -> None:
    survivors = parsed.__dict__.get("_survivors")
    for kind, store in (("tables", defs.tables), ("code_sets", defs.code_sets), ("indicators", defs.indicators),
                        ("derived", defs.derived)):
        items = getattr(parsed, kind)
        nodes = data.get(kind) or []
        if survivors is not None:
            nodes = [n for n in survivors[kind] if n is not None]
        for obj, node in zip(items, nodes, strict=False):
            line, col = _node_pos(node)
            where = indicator_kind(obj.source) if kind == "indicators" else kind
            prev = defs.located.get((where, obj.id))
            if prev is not None:
                what = kind[:-1].replace("_", " ")
                if kind == "indicators":
                    what = f"indicator recipe (id, source) `{obj.id}`, `{obj.source}`"
                    hint = "an id has at most one recipe per source (annex_a, ssda903, cin_census)"
                else:
                    what = f"{what} id `{obj.id}`"
                    hint = "ids must be unique across all definitions files"
                diags.append(
                    Diagnostic(code="CSC107", message=f"duplicate {what} (first defined at {prev.file}:{prev.line})",
                               file=fname, line=line, col=col, hint=hint)
                )
                continue
            if kind == "indicators":
                defs.recipes[(obj.id, obj.source)] = obj
                if obj.id not in store or obj.source == "annex_a":  # the default recipe: Annex A, else the first
                    store[obj.id] = obj
            else:
                store[obj.id] = obj
            defs.located[(where, obj.id)] = Located(obj, fname, line, col, node)


def _register_derived(defs: Definitions, diags: list[Diagnostic]) -> None:
    """Each derived table joins `tables` as a schema (its `source` that of its first input); an id already
    taken by an input table is a duplicate."""
    for d in list(defs.derived.values()):
        where = defs.located.get(("derived", d.id))
        if d.id in defs.tables:
            first = defs.located.get(("tables", d.id))
            diags.append(Diagnostic(code="CSC107", message=f"derived table id `{d.id}` is also an input table"
                                    + (f" (defined at {first.file}:{first.line})" if first else ""),
                                    file=where.file if where else None, line=where.line if where else None,
                                    hint="ids must be unique across tables and derived tables"))
            del defs.derived[d.id]
            continue
        source = next((defs.tables[i].format for i in d.inputs if i in defs.tables), "annex_a")
        defs.tables[d.id] = d.as_schema(source)
        if where is not None:
            defs.located[("tables", d.id)] = where


def _plain(node: Any) -> Any:
    """ruamel containers -> plain dicts/lists, ruamel's scalars (`ScalarInt`, ...) -> int, float, str, bool
    (dates stay dates), so a cached load unpickles without importing ruamel."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if type(node).__module__.startswith("ruamel.") and isinstance(node, (int, float, str)):
        if type(node).__name__ == "ScalarBoolean":
            return bool(node)
        return next(base(node) for base in (int, float, str) if isinstance(node, base))
    return node


def _node_pos(node: Any) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        return lc.line + 1, lc.col + 1
    return 1, 1


def _pos(root: Any, loc: list[Any]) -> tuple[int, int]:
    """Line/col (1-based) of the deepest part of `loc` present in the YAML tree; segments that are not
    keys (union tags, pydantic internals) are skipped."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    node, line, col = root, *_node_pos(root)
    for seg in loc:
        if isinstance(node, CommentedMap) and seg in node:
            ln, cl = node.lc.key(seg)
            line, col = ln + 1, cl + 1
            node = node[seg]
        elif isinstance(node, CommentedSeq) and isinstance(seg, int) and 0 <= seg < len(node):
            item = node.lc.item(seg)
            if item is not None:
                line, col = item[0] + 1, item[1] + 1
            node = node[seg]
    return line, col


def _known_fields() -> set[str]:
    from csc_metrics.spec import derived, indicators, tables

    names: set[str] = set()
    for module in (indicators, tables, derived):
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, BaseModel):
                for name, info in obj.model_fields.items():
                    names.add(info.alias or name)
    return names


def _diagnostics_from_errors(exc: ValidationError, root: CommentedMap, fname: str) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[tuple[str, int, int]] = set()
    for err in exc.errors():
        loc = list(err["loc"])
        line, col = _pos(root, loc)
        keys = [str(s) for s in loc if isinstance(s, str)]
        where = keys[-1] if keys else ""
        etype = err["type"]
        hint = None
        if etype == "extra_forbidden":
            code, message = "CSC101", f"unknown key `{where}`"
            close = difflib.get_close_matches(where, sorted(_known_fields()), n=1)
            hint = f"did you mean `{close[0]}`?" if close else "remove it; see definitions/schema.json"
        elif etype == "missing":
            code, message = "CSC102", f"missing required key `{where}`"
            hint = "add it; see definitions/schema.json for the fields each object needs"
        else:
            code = "CSC103"
            msg = err["msg"].removeprefix("Value error, ")
            message = msg if etype == "value_error" or not where else f"`{where}`: {msg}"
            if etype in ("literal_error", "enum"):
                hint = "use one of the values listed"
        key = (message, line, col)
        if key in seen:
            continue
        seen.add(key)
        out.append(Diagnostic(code=code, severity=Severity.ERROR, message=message, hint=hint, file=fname,
                              line=line, col=col))
    return out
