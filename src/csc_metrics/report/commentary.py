"""The lead's commentary: a markdown file with one `## Section` per report section, rendered as safe HTML.

Only a small subset of markdown is rendered: paragraphs, bullet and numbered lists, `###` sub-headings,
**bold** and *italic*. Everything else is escaped, so raw HTML, scripts and links show as text.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from csc_metrics.errors import InputError
from csc_metrics.report.format import SECTIONS

SUMMARY = "summary"
SUMMARY_NAMES = ("summary", "overview", "introduction", "executive summary")
_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_SUB = re.compile(r"^#{3,6}\s+(.+?)\s*#*\s*$")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_ITALIC = re.compile(r"(?<![*\w])\*(?=\S)(.+?)(?<=\S)\*(?![*\w])|(?<![_\w])_(?=\S)(.+?)(?<=\S)_(?![_\w])")


def parse_commentary(text: str, source: str = "commentary") -> dict[str, str]:
    """Section key (inputs, processes, outputs, summary) -> its markdown. Text before the first heading and
    `## Summary` (or Overview, Introduction) go to the summary at the top of the report."""
    parts: dict[str, list[str]] = {}
    current = SUMMARY
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = _HEADING.match(line)
        if m is None:
            parts.setdefault(current, []).append(line)
            continue
        name = m[1].strip().lower()
        if name in SECTIONS:
            current = name
        elif name in SUMMARY_NAMES:
            current = SUMMARY
        else:
            raise InputError(
                f"{source}: line {lineno}: heading '## {m[1].strip()}' is not a report section",
                "use ## Summary, ## Inputs, ## Processes or ## Outputs",
            )
        parts.setdefault(current, [])
    return {k: "\n".join(v).strip() for k, v in parts.items() if "\n".join(v).strip()}


def read_commentary(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: commentary file not found", "check the --commentary path") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as UTF-8 text: {exc}", "save the commentary as UTF-8 markdown") from exc
    return parse_commentary(text, str(path))


def inline(text: str) -> str:
    """Escape, then turn **bold** and *italic* into <strong> and <em>."""
    out = html.escape(text, quote=True)
    out = _BOLD.sub(lambda m: f"<strong>{m[1] or m[2]}</strong>", out)
    return _ITALIC.sub(lambda m: f"<em>{m[1] or m[2]}</em>", out)


def markdown_html(text: str) -> str:
    """Paragraphs, lists and sub-headings as HTML; anything else stays (escaped) text."""
    blocks: list[str] = []
    para: list[str] = []
    items: list[str] = []
    list_tag = ""

    def flush_para() -> None:
        if para:
            blocks.append("<p>" + "<br>".join(inline(p) for p in para) + "</p>")
            para.clear()

    def flush_list() -> None:
        nonlocal list_tag
        if items:
            blocks.append(f"<{list_tag}>" + "".join(f"<li>{inline(i)}</li>" for i in items) + f"</{list_tag}>")
            items.clear()
        list_tag = ""

    for line in text.splitlines():
        bullet, numbered, sub = _BULLET.match(line), _NUMBERED.match(line), _SUB.match(line)
        if not line.strip():
            flush_para()
            flush_list()
        elif sub:
            flush_para()
            flush_list()
            blocks.append(f"<h4>{inline(sub[1])}</h4>")
        elif bullet or numbered:
            flush_para()
            tag = "ul" if bullet else "ol"
            if list_tag and list_tag != tag:
                flush_list()
            list_tag = tag
            items.append((bullet or numbered)[1])  # type: ignore[index]
        elif items and line.startswith((" ", "\t")):
            items[-1] += " " + line.strip()
        else:
            flush_list()
            para.append(line.strip())
    flush_para()
    flush_list()
    return "\n".join(blocks)
