"""Source formats: each kind of input (Annex A lists, SSDA903, CIN census, later a database) behind one seam.

A format recognises its files (`detect`) and reads them into `Return`s: typed tables plus the collection period
they cover. `formats()` lists the formats in the order they are tried."""

from csc_metrics.io.formats.base import CollectionPeriod, Return, SourceFormat, formats, register

__all__ = ["CollectionPeriod", "Return", "SourceFormat", "formats", "register"]
