"""csc-metrics: children's social care performance indicators from case-level extracts."""

__version__ = "1.0.0"
