"""Diagnostics shared by every layer: one model, a registry of stable codes, exit codes.

Code ranges: CSC1xx definitions (`check`), CSC2xx data quality (`validate`, `compute`),
CSC3xx computation warnings, CSC4xx comparison and benchmarks.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from csc_metrics.errors import ExitCode  # noqa: F401  (re-exported: the CLI contract lives in errors.py)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Diagnostic(BaseModel):
    """One problem found in definitions, data or a computation."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Stable code, e.g. CSC104.")
    severity: Severity = Field(default=Severity.ERROR, description="error, warning or info.")
    message: str = Field(description="What is wrong, in one sentence.")
    hint: str | None = Field(default=None, description="How to fix it.")
    file: str | None = Field(default=None, description="File the problem is in.")
    line: int | None = Field(default=None, description="1-based line (definitions) or Excel-style row (data).")
    col: int | None = Field(default=None, description="1-based column (definitions).")
    sheet: str | None = Field(default=None, description="Worksheet, for xlsx input.")
    column: str | None = Field(default=None, description="Excel-style column letter, for data.")
    element: str | None = Field(default=None, description="XML element path, e.g. Message/Children/Child[3]/CINdetails[1]; "
                                "with `line`, the XML line number.")
    field: str | None = Field(default=None, description="Canonical column name, for data.")
    value: str | None = Field(default=None, description="The offending cell as read (may be child-level data).")
    indicator: str | None = Field(default=None, description="Indicator id, where the problem concerns one.")
    count: int | None = Field(default=None, description="How many rows are affected, for summarised problems.")

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self) -> str:
        """`path:line:col` (definitions), `path [sheet] row N column X` (data) or `path element P line N` (XML)."""
        parts = self.file or "<input>"
        if self.element is not None:
            parts += f" element {self.element}"
            if self.line is not None:
                parts += f" line {self.line}"
            return parts
        if self.column is not None or self.sheet is not None:
            if self.sheet:
                parts += f" [{self.sheet}]"
            if self.line is not None:
                parts += f" row {self.line}"
            if self.column:
                parts += f" column {self.column}"
            return parts
        if self.line is not None:
            parts += f":{self.line}"
            if self.col is not None:
                parts += f":{self.col}"
        return parts

    def render(self) -> str:
        """One line: `location: CODE message (hint)`."""
        text = f"{self.location()}: {self.code} {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


# Registry of stable codes: code -> short title. Every code used anywhere must be listed here
# (a test enforces it), so users can search for them and `--ignore` can be added later.
CODES: dict[str, str] = {
    # definitions (check)
    "CSC100": "YAML syntax error",
    "CSC101": "unknown key",
    "CSC102": "missing required key",
    "CSC103": "wrong type or value",
    "CSC104": "unknown table",
    "CSC105": "unknown column",
    "CSC106": "unknown code value",
    "CSC107": "duplicate id",
    "CSC108": "unknown benchmark measure",
    "CSC109": "rate without population",
    "CSC110": "column of the wrong type for this use",
    "CSC111": "unknown code set",
    "CSC112": "unknown indicator reference",
    "CSC113": "definition does not compile",
    "CSC114": "embedded test failed",
    "CSC115": "unsupported definitions version",
    "CSC116": "file cannot be read",
    "CSC117": "duplicate header variant",
    "CSC118": "unknown derived-table builder",
    "CSC119": "recipe reads a table of another source",
    # data quality (validate / compute)
    "CSC200": "file cannot be read",
    "CSC201": "unparseable date",
    "CSC202": "unknown code",
    "CSC203": "missing required value",
    "CSC204": "duplicate row",
    "CSC205": "end date before start date",
    "CSC206": "date in the future",
    "CSC207": "date before the child's date of birth",
    "CSC208": "child over 25",
    "CSC209": "conflicting date of birth across lists",
    "CSC210": "not a whole number",
    "CSC211": "header matches two columns",
    "CSC212": "table not recognised",
    "CSC213": "rows skipped (blank, title or footer)",
    "CSC214": "required column missing",
    "CSC215": "empty table",
    "CSC216": "Excel serial date out of range",
    "CSC217": "negative number",
    "CSC218": "unrecognised column ignored",
    "CSC219": "more diagnostics than shown (see `validate --output`)",
    # SSDA903 (io/formats/ssda903*.py)
    "CSC220": "code outside its collection year",
    "CSC221": "collection year cross-check disagrees",
    "CSC222": "collection year of a table cannot be decided",
    "CSC223": "child in Episodes missing from Header",
    "CSC224": "XML element not read",
    "CSC225": "return of a collection year not yet over: computed only with --as-at",
    # SSDA903 stacking and episode repair (csc_metrics.derive.ssda903; rules of returns.md §2.2)
    "CSC230": "903 episode dropped: no child id or start date (R0)",
    "CSC231": "903 duplicate episode removed (R1)",
    "CSC232": "903 two versions of one episode: one kept (R2)",
    "CSC233": "903 open episode carries a reason for ceasing (R3)",
    "CSC234": "903 episode ends before it starts (R4)",
    "CSC235": "903 episode ends after its collection year (R5)",
    "CSC236": "903 episode open or overlapping while a later one exists (R6)",
    "CSC237": "903 X1 followed by a gap (R7)",
    "CSC238": "903 X1 on the child's last episode (R8)",
    "CSC239": "903 cessation followed the same day by a continuing episode (R9)",
    "CSC240": "903 episode after a gap without RNE S (R10)",
    "CSC241": "903 RNE S continuing an X1 episode (R11)",
    "CSC242": "903 episode open but the child absent from a later return (R12)",
    "CSC243": "903 episode no longer held by a later return: dropped",
    "CSC244": "903 date of birth differs between returns",
    # CIN census (io/formats/cin_*.py; element not read: CSC224, codes and years: CSC220/CSC221)
    "CSC272": "referral marked NFA but has recorded activity (counted as not NFA)",
    "CSC273": "both UPN and UPNunknown given",
    "CSC275": "date after the census reference date",
    "CSC276": "primary need not stated (N0) on an episode with activity",
    "CSC277": "flattened CIN table rebuilt with possible loss (LIIA event table)",
    # reading files: hostile or damaged input (io/limits.py, io/sources.py)
    "CSC250": "not a CSV or Excel file (another file type, or binary data)",
    "CSC251": "CSV quoting broken (text after a closing quote, or a quote never closed)",
    "CSC252": "file beyond a size limit (line length, columns, sheet dimensions, inflated size)",
    "CSC253": "damaged workbook",
    "CSC254": "path cannot be opened (missing, a link loop, a folder, no permission)",
    "CSC255": "file cannot be parsed",
    # computation
    "CSC301": "look-back or look-forward window not covered by the inputs",
    "CSC302": "population year not published; latest earlier year used",
    "CSC303": "no population for this local authority",
    "CSC304": "rows excluded from a duration (end before start or a date missing)",
    "CSC305": "source table absent",
    "CSC306": "period not fully covered by the inputs",
    "CSC307": "no local authority set: rates and benchmarks are off",
    "CSC308": "measure defined only for some kinds of period (e.g. complete collection years)",
    "CSC310": "look-back needs an earlier return: load the previous collection year's return",
    "CSC311": "measure unavailable: the inputs lack what it needs",
    "CSC315": "rows left out of a measure by one of its rules (the reason is given)",
    "CSC316": "cohort measure computed for collection years only",
    "CSC317": "pooled measure: not every pooled collection year is loaded",
    "CSC320": "counted rows need history from before the earliest loaded return: load the previous return",
    "CSC321": "the inputs hold no day of the period for a table the figure needs: no figure (no_data, unavailable)",
    # comparison
    "CSC401": "unknown local authority code",
    "CSC402": "no statistical neighbours in this model",
    "CSC403": "no published value for this measure and year",
    "CSC404": "no stored run",
    # the tool itself
    "CSC900": "internal error (a bug in csc-metrics)",
}
