"""JSON Schema of the definitions language, generated from the pydantic models (never written by hand)."""

from __future__ import annotations

import json
from typing import Any

from csc_metrics.spec.files import DefinitionsFile

SCHEMA_ID = "https://csc-metrics.example/schema/definitions-v1.json"


def definitions_schema() -> dict[str, Any]:
    """The schema editors use to validate definitions YAML as it is typed."""
    schema = DefinitionsFile.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "csc-metrics definitions (version 1)",
    }


def schema_text() -> str:
    return json.dumps(definitions_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
