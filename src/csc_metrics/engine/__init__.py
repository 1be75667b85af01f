"""The polars engine: calendars and periods, scanning extracts, compiling definitions into one lazy query."""
