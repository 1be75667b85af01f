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
