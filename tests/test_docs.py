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


def test_definition_ids_equal_the_catalogue():
    ids = set(standard().indicators)
    if CATALOGUE.exists():
        catalogue = set(re.findall(r"^\| `([a-z0-9_]+)` \|", CATALOGUE.read_text(), re.M))
        assert ids == catalogue
    assert len(ids) >= 45


def test_definition_files_start_with_schema_comment():
    for path in DEFINITIONS.rglob("*.yaml"):
        assert path.read_text().startswith("# yaml-language-server: $schema="), path
