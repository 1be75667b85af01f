"""Strict base model shared by every definitions model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Unknown keys are errors, values are validated, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, populate_by_name=True,
                              defer_build=True)  # built on first use: a cached load never validates
