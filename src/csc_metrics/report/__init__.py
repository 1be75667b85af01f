"""Renderers: every output format is drawn from the same result payload."""
