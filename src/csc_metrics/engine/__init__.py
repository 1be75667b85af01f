"""The polars engine: periods, working days, compiling definitions to expressions, running them."""
