"""The three sections of the indicator catalogue (a module of its own: the CLI's options use it)."""

from __future__ import annotations

from enum import StrEnum


class Section(StrEnum):
    inputs = "inputs"
    processes = "processes"
    outputs = "outputs"
