"""Regenerate the indicator list in README.md from the definitions (a test keeps them in sync).

Usage: python scripts/update_readme.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from csc_metrics.spec.loader import load_definitions  # noqa: E402

START, END = "<!-- indicators:start -->", "<!-- indicators:end -->"
SECTIONS = {"inputs": "Inputs", "processes": "Processes", "outputs": "Outputs"}


def indicator_list() -> str:
    defs = load_definitions([ROOT / "definitions"]).definitions
    lines: list[str] = []
    for section, title in SECTIONS.items():
        lines += [f"**{title}**", ""]
        for ind in defs.indicators.values():
            if ind.section == section:
                bench = f" (LAIT `{ind.benchmark.measure}`)" if ind.benchmark else ""
                lines.append(f"- `{ind.id}`: {ind.title}{bench}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def updated_readme(text: str) -> str:
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{indicator_list()}{END}{after}"


if __name__ == "__main__":
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    new = updated_readme(text)
    if "--check" in sys.argv:
        sys.exit(0 if new == text else 1)
    readme.write_text(new, encoding="utf-8")
