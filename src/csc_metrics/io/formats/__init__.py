"""Source formats: each kind of input (Annex A lists, SSDA903, CIN census, later a database) behind one seam.

A format recognises its files (`detect`) and reads them into `Return`s: typed tables plus the collection period
they cover. `formats()` lists the formats in the order they are tried: the DfE returns first, Annex A (the
catch-all for CSV and workbooks) last."""

from csc_metrics.io.formats.annex_a import AnnexAFormat
from csc_metrics.io.formats.base import CollectionPeriod, Return, SourceFormat, formats, register
from csc_metrics.io.formats.ssda903 import Ssda903Format

register(Ssda903Format())
try:  # the CIN census format (h14cin), when installed
    from csc_metrics.io.formats.cin_census import CinCensusFormat

    register(CinCensusFormat())
except ImportError:  # pragma: no cover - until the CIN census format lands
    pass
register(AnnexAFormat())

__all__ = ["AnnexAFormat", "CollectionPeriod", "Return", "SourceFormat", "Ssda903Format", "formats", "register"]
