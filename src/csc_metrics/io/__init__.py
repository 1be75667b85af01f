"""Reading case-level extracts: CSV files and xlsx workbooks -> typed tables, plus data-quality diagnostics."""

from csc_metrics.io.model import ROW, SRC, ReadResult, SourceInfo, TableData
from csc_metrics.io.reader import frame_from_rows, read_inputs, read_tables

__all__ = ["ROW", "SRC", "ReadResult", "SourceInfo", "TableData", "frame_from_rows", "read_inputs", "read_tables"]
