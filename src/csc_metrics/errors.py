"""Typed exceptions raised by the library; the CLI turns them into one stderr line and an exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes (the CLI contract)."""

    OK = 0
    FINDINGS = 1
    ERROR = 2


class CscError(Exception):
    """A problem the user can fix: bad input, configuration or usage. Exit code 2."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code  # a stable code from `diagnostics.CODES`, where one names the problem

    def __str__(self) -> str:
        return self.message + (f" ({self.hint})" if self.hint else "")


class InputError(CscError):
    """An input file cannot be read or recognised."""


class ConfigError(CscError):
    """The configuration file or an option is invalid."""


class DefinitionsError(CscError):
    """The definitions cannot be loaded at all (for `compute`; `check` reports diagnostics instead)."""
