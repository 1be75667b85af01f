"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from csc_metrics.cli import app

ROOT = Path(__file__).resolve().parents[1]
DEFINITIONS = ROOT / "definitions"
SHARED_DATA = ROOT.parent / "shared" / "data"


def run_cli(args: list[str], code: int = 0):
    """Invoke the CLI, assert the exit code, keep stdout and stderr apart, re-raise real exceptions."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


@pytest.fixture(autouse=True)
def _own_working_directory(tmp_path, monkeypatch):
    """Each test runs in its own folder: no config, store or definitions from the repository leak in."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CSC_METRICS_STORE", raising=False)


@pytest.fixture
def cli():
    return run_cli


CIN_SAMPLE_CHILDREN = 10_000


@pytest.fixture(scope="session")
def cin_sample(tmp_path_factory):
    """The synthetic authority's CIN censuses (`sample --cin`, three years), every CIN recipe computed over them
    once for the session: (results, truth by year ending, the sample folder)."""
    import json

    from tests.cin_helpers import cin_only_definitions, compute_results

    from csc_metrics.sample import generate_sample

    out = tmp_path_factory.mktemp("cin_sample")
    generate_sample(out, children=CIN_SAMPLE_CHILDREN, seed=7, years=3, cin=True)
    defs = cin_only_definitions(tmp_path_factory.mktemp("cin_defs"))
    results = compute_results(defs, sorted(out.glob("cin_census_*.xml")), la=None)
    truth = {int(y): t for y, t in json.loads((out / "truth_cin_census.json").read_text()).items()}
    return results, truth, out
