"""The builders shipped with csc-metrics, registered for `derived:` tables (see `engine/derive.py`).

Each wraps a library function of `csc_metrics.derive` (SSDA903, CIN census); a builder whose library function
has not been installed is simply not registered, so `check` reports a table that names it."""

from __future__ import annotations
