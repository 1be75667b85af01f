"""Fuzz tests (hypothesis, a bounded number of examples so CI stays within about two minutes): hostile extract
bytes into `validate` and `compute`, hostile edits of the shipped definitions into `check`. Every run must
exit 0, 1 or 2, never with an internal error, and an exit 2 must name the file. `bench/fuzz.py` runs the same
kinds of input thousands of times in worker processes (crashes, aborts and hangs included)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests import hostile
from tests.conftest import DEFINITIONS
from typer.testing import CliRunner

from csc_metrics.cli import app

FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> hostile.Base:
    return hostile.base_files(tmp_path_factory.mktemp("fuzz-base"))


def run(args: list) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # an exception the CLI let through
    return result.exit_code, result.stderr


def assert_handled(args: list, path: Path) -> int:
    code, err = run(args)
    assert code in (0, 1, 2), (code, err)
    assert "internal error" not in err, err
    if code == 2:
        assert path.name in err or repr(path.name)[1:-1] in err, f"exit 2 without the file name: {err}"
    return code


def _fresh(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.rmtree(folder, ignore_errors=True)
    return folder


@FUZZ
@given(kind=st.sampled_from(hostile.CHEAP), seed=st.integers(0, 2**32))
def test_hostile_files_into_validate(base, tmp_path, kind, seed):
    path = hostile.make(kind, seed, base, _fresh(tmp_path, "v"))
    assert_handled(["validate", path], path)


@settings(FUZZ, max_examples=12)
@given(kind=st.sampled_from(hostile.CHEAP), seed=st.integers(0, 2**32))
def test_hostile_files_into_compute(base, tmp_path, kind, seed):
    path = hostile.make(kind, seed, base, _fresh(tmp_path, "c"))
    assert_handled(["compute", path, "--no-store"], path)


@FUZZ
@given(data=st.data())
def test_bytes_spliced_into_an_extract(base, tmp_path, data):
    """Hypothesis picks the bytes and where they go: quotes, NULs, BOMs, invalid UTF-8, line ends."""
    name = data.draw(st.sampled_from(sorted(n for n in base if n.endswith(".csv"))))
    content = bytearray(base[name])
    pieces = st.one_of(st.binary(max_size=12), st.sampled_from(
        [b'"', b'""', b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\r", b"\r\n", b",", b'"\xc3\xa9']))
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(content)))
        content[at:at] = data.draw(pieces)
    folder = _fresh(tmp_path, "b")
    folder.mkdir()
    path = folder / name
    path.write_bytes(bytes(content))
    assert_handled(["validate", path], path)


EDITS = ["delete", "duplicate", "swap_token", "indent", "truncate"]


@settings(FUZZ, max_examples=20)
@given(file=st.sampled_from(sorted(p.name for p in DEFINITIONS.glob("*.yaml"))), edit=st.sampled_from(EDITS),
       seed=st.integers(0, 2**32))
def test_edited_definitions_into_check(tmp_path, file, edit, seed):
    rng = random.Random(seed)
    folder = _fresh(tmp_path, "defs")
    shutil.copytree(DEFINITIONS, folder)
    path = folder / file
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    i = rng.randrange(len(lines))
    if edit == "delete":
        del lines[i]
    elif edit == "duplicate":
        lines.insert(i, lines[i])
    elif edit == "swap_token":
        tokens = [t for line in lines for t in line.split() if t.isidentifier()]
        lines[i] = lines[i].replace(rng.choice(tokens), rng.choice(tokens), 1) if tokens else lines[i]
    elif edit == "indent":
        lines[i] = "  " + lines[i]
    else:
        lines = lines[:i]
    path.write_text("".join(lines), encoding="utf-8")
    code, err = run(["check", folder, "--no-tests"])
    assert code in (0, 1), (code, err)
    assert "internal error" not in err
