"""The typer application: one module per command, each a few lines over the library."""

from __future__ import annotations

import functools
import importlib
import os
import re
import sys
import traceback
from pathlib import Path
from typing import Annotated

# polars allocates with jemalloc, by default one arena per thread: memory one worker frees is not reused by the
# others, so the peak of a run grows with the thread count. One arena (each thread keeps its own small cache)
# lowers `compute`'s peak by about a tenth at no cost in time. Set before polars loads; a user's setting wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "narenas:1")

import typer
from rich.markup import escape

from csc_metrics.cli.common import err_console
from csc_metrics.errors import CscError, ExitCode

# click's ClickException (typer vendors click): usage errors, which typer reports itself with exit 2
_CLICK_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
REPORT_TO = "the csc-metrics issue tracker (or whoever supports csc-metrics for your team)"
_state = {"debug": False}


def debugging() -> bool:
    """`--debug` given (or CSC_METRICS_DEBUG=1): let exceptions propagate with their traceback."""
    return _state["debug"] or os.environ.get("CSC_METRICS_DEBUG", "") not in ("", "0")


def printable(text: str) -> str:
    """Control characters (a tab or line break in a file name) shown as escapes: one error, one line."""
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: repr(m.group())[1:-1], text)


def exit_code_for(exc: Exception) -> int:
    """THE mapping from an exception to one stderr line and an exit code (2). A `CscError` is a problem
    with the user's input, configuration or usage: its message names the file and the fix. Anything else
    is a bug in csc-metrics: say so, and how to report it, without the exception's text (it may quote
    values read from the user's files; `--debug` shows it)."""
    if isinstance(exc, CscError):
        code = f"{exc.code} " if exc.code else ""
        err_console.print(f"[bold red]error:[/] {escape(printable(code + str(exc)))}", highlight=False)
        return exc.exit_code
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {Path(frame.filename).name}:{frame.lineno}" if frame else ""
    command = " ".join(["csc-metrics", *sys.argv[1:]]) if sys.argv else "csc-metrics"
    err_console.print(
        f"[bold red]internal error:[/] CSC900 this is a bug in csc-metrics ({type(exc).__name__}{where}). "
        f"Please report it to {REPORT_TO} with the output of `{escape(command)} --debug` "
        "(check it holds no child-level data first).",
        highlight=False,
    )
    return int(ExitCode.ERROR)


class _Typer(typer.Typer):
    """Every command's exceptions go through `exit_code_for` (also under typer's test runner)."""

    def command(self, *args, **kwargs):
        register = super().command(*args, **kwargs)

        def decorator(func):
            @functools.wraps(func)
            def guarded(*a, **kw):
                try:
                    return func(*a, **kw)
                except (typer.Exit, typer.Abort, _CLICK_ERROR, KeyboardInterrupt):
                    raise
                except Exception as exc:
                    if debugging():
                        raise
                    raise typer.Exit(exit_code_for(exc)) from None

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
COMMANDS = ("compute", "compare", "reconcile", "report", "validate", "check", "explain", "history", "benchmarks", "sample", "schema")
for _name in COMMANDS:
    importlib.import_module(f"csc_metrics.cli.{_name}")


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="On an error, show the full traceback (for bug reports; "
                                        "it may quote values from your files).")] = False,
) -> None:
    """Children's social care performance indicators from Ofsted Annex A extracts."""
    _state["debug"] = debug


def main() -> None:
    """Entry point. `--debug` may also follow the command (`csc-metrics validate x.csv --debug`)."""
    args = sys.argv[1:]
    if "--debug" in args[1:]:
        args = ["--debug", *[a for a in args if a != "--debug"]]
    app(args=args, prog_name="csc-metrics")
