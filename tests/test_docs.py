"""Docs that cannot drift: the README's indicator list, its commands, and the catalogue ids."""

import re
import subprocess
import sys

from tests.conftest import DEFINITIONS, ROOT
from tests.engine_helpers import standard

from csc_metrics.cli import app

CATALOGUE = ROOT.parent / "shared" / "spec" / "indicators.md"


def test_readme_indicator_list_is_generated():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "update_readme.py"), "--check"])
    assert out.returncode == 0, "run: python scripts/update_readme.py"


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        assert f"csc-metrics {name}" in readme, name


RETURNS_CATALOGUE = ROOT.parent / "shared" / "spec" / "returns.md"
# returns.md §3.3 says returned home is "reported separately too: planned / not planned"; these two ids do that.
RETURNS_EXTRAS = {"cla_ceased_returned_home_planned", "cla_ceased_returned_home_unplanned"}


def _returns_catalogue_ids(text: str) -> set[str]:
    """Every id in the first column of the catalogue tables of returns.md §3 (a cell may name several)."""
    section = text[text.index("## 3. Catalogue"):text.index("## 4. ")]
    return {i for line in section.splitlines() if line.startswith("| `")
            for i in re.findall(r"`([a-z0-9_]+)`", line.split("|")[1])}


def test_definition_ids_equal_the_catalogue():
    recipes = standard().recipes
    annex_a = {i for i, source in recipes if source == "annex_a"}
    returns = {i for i, source in recipes if source != "annex_a"}
    if CATALOGUE.exists():
        catalogue = set(re.findall(r"^\| `([a-z0-9_]+)` \|", CATALOGUE.read_text(), re.M))
        assert annex_a == catalogue
    if RETURNS_CATALOGUE.exists():
        assert returns == _returns_catalogue_ids(RETURNS_CATALOGUE.read_text()) | RETURNS_EXTRAS
    assert len(annex_a) >= 45


def test_definition_files_start_with_schema_comment():
    for path in DEFINITIONS.rglob("*.yaml"):
        assert path.read_text().startswith("# yaml-language-server: $schema="), path
