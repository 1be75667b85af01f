"""XML helpers shared by the return formats: the root element of a file from its first bytes, and XML
locations (element path + line) for diagnostics."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from csc_metrics.diagnostics import Diagnostic
from csc_metrics.io.model import SourceInfo

_ROOT = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)[\s/>]")


def root_name(head: bytes) -> str | None:
    """The local name of the first element in `head` (after the declaration, comments and a BOM), or None
    when `head` does not start like an XML document."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"<"):
        return None
    pos = 0
    while True:
        if text.startswith(b"<?", pos):
            end = text.find(b"?>", pos)
        elif text.startswith(b"<!--", pos):
            end = text.find(b"-->", pos)
        elif text.startswith(b"<!", pos):
            end = text.find(b">", pos)
        else:
            m = _ROOT.match(text, pos)
            return m.group(2).decode("ascii", "replace") if m else None
        if end < 0:
            return None
        pos = end + 2
        while pos < len(text) and text[pos:pos + 1] in b" \t\r\n>":
            pos += 1


@dataclass
class XmlSource(SourceInfo):
    """A table read from an XML file: `elements` maps a row's line to its element path, so diagnostics
    (which carry the line as their row) can name the element."""

    elements: dict[int, str] = field(default_factory=dict)


def locate(diags: list[Diagnostic], sources: list[SourceInfo]) -> list[Diagnostic]:
    """Diagnostics on XML sources with their element path (from the line) and no column letter."""
    maps: dict[str, dict[int, str]] = {}
    for s in sources:
        if isinstance(s, XmlSource):
            maps.setdefault(s.path, {}).update(s.elements)
    if not maps:
        return diags
    out = []
    for d in diags:
        lines = maps.get(d.file or "")
        if lines is not None and d.element is None and d.line is not None:
            d = d.model_copy(update={"element": lines.get(d.line, "?"), "column": None})
        out.append(d)
    return out
