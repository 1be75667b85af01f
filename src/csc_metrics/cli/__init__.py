"""The typer application: one module per command, each a few lines over the library."""

from __future__ import annotations

import functools
import importlib
import os
import sys

# polars allocates with jemalloc, by default one arena per thread: memory one worker frees is not reused by the
# others, so the peak of a run grows with the thread count. One arena (each thread keeps its own small cache)
# lowers `compute`'s peak by about a tenth at no cost in time. Set before polars loads; a user's setting wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "narenas:1")

import typer
from rich.markup import escape

from csc_metrics.cli.common import err_console
from csc_metrics.errors import CscError


class _Typer(typer.Typer):
    """Commands turn library errors into one stderr line and exit code 2 (also under typer's test runner)."""

    def command(self, *args, **kwargs):
        register = super().command(*args, **kwargs)

        def decorator(func):
            @functools.wraps(func)
            def guarded(*a, **kw):
                try:
                    return func(*a, **kw)
                except CscError as exc:
                    if "--debug" in sys.argv:
                        raise
                    err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
                    raise typer.Exit(exc.exit_code) from None

            return register(guarded)

        return decorator


app = _Typer(
    name="csc-metrics",
    help="Children's social care performance indicators from Ofsted Annex A extracts.",
    rich_markup_mode="markdown",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Each command module registers itself on `app` when imported, in the order `--help` lists them.
COMMANDS = ("compute", "compare", "report", "validate", "check", "explain", "history", "benchmarks", "sample", "schema")
for _name in COMMANDS:
    importlib.import_module(f"csc_metrics.cli.{_name}")


def main() -> None:
    """Entry point: library errors become one stderr line and exit 2, never a traceback (unless --debug)."""
    debug = "--debug" in sys.argv
    if debug:
        sys.argv.remove("--debug")
    try:
        app()
    except CscError as exc:
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(exc.exit_code)
    except Exception as exc:  # an internal error must not look like "findings" (exit 1)
        if debug:
            raise
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc} (re-run with --debug for details)",
            highlight=False,
        )
        sys.exit(2)
