"""Privacy sweep: every command, in every format, on an extract whose child IDs are distinctive (`ZQ…X`),
with IDs also typed into a date and a code column (so they reach `value`). Every output, file written, error
and the history store is searched: no child ID unless asked (`validate --show-values`, `explain --ids`)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from csc_metrics.cli import app

ID = re.compile(rb"ZQ\d+X")


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    """A synthetic extract with child IDs `ZQ<n>X`; in List 3 one row has an ID as its referral date and
    another as its referral source."""
    from csc_metrics.sample import generate_sample

    folder = tmp_path_factory.mktemp("privacy") / "extract"
    generate_sample(folder, children=100, seed=5)
    for path in folder.glob("*.csv"):
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        for row in rows[1:]:
            if row and row[0]:
                row[0] = f"ZQ{row[0]}X"
        if path.name.startswith("list_03"):
            header = rows[0]
            rows[1][header.index("Date of referral")] = rows[2][0]
            rows[3][header.index("Referral Source")] = rows[4][0]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8")
    return folder


def _run(args: list, cwd: Path) -> tuple[int, bytes]:
    """Exit code and everything the command printed (stdout and stderr) or wrote (`-o`/`--out` files)."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    seen = result.stdout_bytes + result.stderr_bytes
    for flag in ("-o", "--out", "--output"):
        if flag in args:
            seen += _contents(Path(args[args.index(flag) + 1]))
    return result.exit_code, seen


def _contents(path: Path) -> bytes:
    if path.is_dir():  # `sample --out`: the files it wrote are synthetic; only what it printed matters
        return b""
    data = path.read_bytes()
    if zipfile.is_zipfile(path):  # xlsx: every part, uncompressed
        with zipfile.ZipFile(path) as z:
            data = b"".join(z.read(n) for n in z.namelist())
    return data


def _no_ids(args: list, cwd: Path, codes: tuple[int, ...] = (0, 1)) -> None:
    code, seen = _run(args, cwd)
    assert code in codes, (args, code, seen[-2000:])
    found = ID.findall(seen)
    assert not found, f"{' '.join(map(str, args))}: child IDs in the output: {sorted(set(found))[:5]}"


@pytest.fixture(scope="module")
def store(extract, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("privacy-store") / "history.sqlite"
    code, _ = _run(["compute", extract, "--la", "808", "--store", path, "-f", "json"], extract)
    assert code == 0
    return path


FORMATS = ["table", "json", "csv", "markdown"]


@pytest.mark.parametrize("fmt", [*FORMATS, "html", "xlsx"])
def test_compute(extract, store, tmp_path, fmt):
    out = ["-o", tmp_path / f"out.{fmt}"] if fmt in ("html", "xlsx") else []
    _no_ids(["compute", extract, "--la", "808", "--store", store, "-f", fmt, *out], tmp_path)


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_validate_shows_ids_only_with_show_values(extract, tmp_path, fmt):
    _no_ids(["validate", extract, "-f", fmt], tmp_path)
    _no_ids(["validate", extract, "-f", fmt, "-o", tmp_path / f"dq.{fmt}"], tmp_path)
    code, seen = _run(["validate", extract, "-f", fmt, "--show-values"], tmp_path)
    assert code == 1 and ID.search(seen), "--show-values shows the cells (the test can find an ID)"


def test_explain_shows_ids_only_with_ids(extract, tmp_path):
    _no_ids(["explain", "re_referrals_12m", extract], tmp_path)
    _no_ids(["explain", "contacts_to_referral", extract, "--plan"], tmp_path)
    code, seen = _run(["explain", "re_referrals_12m", extract, "--ids"], tmp_path)
    assert code == 0 and ID.search(seen)


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_history(store, tmp_path, fmt):
    _no_ids(["history", "--store", store, "-f", fmt], tmp_path)
    _no_ids(["history", "--store", store, "-f", fmt, "-i", "re_referrals_12m"], tmp_path)
    _no_ids(["history", "--store", store, "-f", fmt, "-i", "referrals_by_source", "--category", "6"], tmp_path)


@pytest.mark.parametrize("fmt", [*FORMATS, "html", "xlsx"])
def test_compare(store, tmp_path, fmt):
    out = ["-o", tmp_path / f"cmp.{fmt}"] if fmt in ("html", "xlsx") else []
    _no_ids(["compare", "--store", store, "--la", "808", "-f", fmt, *out], tmp_path)


@pytest.mark.parametrize("name", ["report.html", "report.xlsx"])
def test_report(store, tmp_path, name):
    _no_ids(["report", "--store", store, "--la", "808", "--out", tmp_path / name], tmp_path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_benchmarks(tmp_path, fmt):
    _no_ids(["benchmarks", "--la", "808", "-m", "ReReferral", "-f", fmt], tmp_path)


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_check(tmp_path, fmt):
    _no_ids(["check", "-f", fmt], tmp_path)


def test_sample(tmp_path):
    _no_ids(["sample", "--out", tmp_path / "s", "--children", "100"], tmp_path)


def test_errors_name_no_ids(extract, tmp_path):
    _no_ids(["compute", extract, "--la", "999", "--no-store"], tmp_path, codes=(2,))  # unknown LA
    _no_ids(["explain", "no_such_indicator", extract], tmp_path, codes=(2,))
    _no_ids(["compute", extract, "--no-store", "-p", "1999-00"], tmp_path, codes=(0, 2))


def test_the_store_holds_no_ids(store):
    assert not ID.search(store.read_bytes())
