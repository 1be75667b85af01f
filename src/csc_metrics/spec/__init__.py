"""The definitions language: pydantic models, the YAML loader with positions, cross-reference rules."""
