"""Build CIN census XML in tests: small string builders, one element per line so line numbers are predictable."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import DEFINITIONS

from csc_metrics.compute import ComputeOptions, compute
from csc_metrics.io.formats.base import Return
from csc_metrics.io.formats.cin_census import CinCensusFormat
from csc_metrics.spec.loader import load_definitions

DEFS = load_definitions([DEFINITIONS]).definitions


def leaf(name: str, value: object | None) -> str:
    return "" if value is None else f"<{name}>{value}</{name}>\n"


def header(year: int | None = 2025, ref: str | None = "2025-03-31", lea: str = "808") -> str:
    return ("<Header>\n<CollectionDetails>\n" + leaf("Collection", "CIN") + leaf("Year", year)
            + leaf("ReferenceDate", ref) + "</CollectionDetails>\n<Source>\n" + leaf("SourceLevel", "L")
            + leaf("LEA", lea) + leaf("SoftwareCode", "Test") + leaf("Release", "1") + leaf("SerialNo", "1")
            + leaf("DateTime", "2025-04-10T09:00:00") + "</Source>\n</Header>\n")


def assessment(start: str, auth: str | None = None, factors: list[str] | None = None) -> str:
    body = leaf("AssessmentActualStartDate", start) + leaf("AssessmentAuthorisationDate", auth)
    if factors is not None:
        body += "<FactorsIdentifiedAtAssessment>\n" + "".join(leaf("AssessmentFactors", f) for f in factors) \
            + "</FactorsIdentifiedAtAssessment>\n"
    return "<Assessments>\n" + body + "</Assessments>\n"


def s47(start: str, icpc: str | None = None, not_required: str = "false", target: str | None = None) -> str:
    return ("<Section47>\n" + leaf("S47ActualStartDate", start) + leaf("InitialCPCtarget", target)
            + leaf("DateOfInitialCPC", icpc) + leaf("ICPCnotRequired", not_required) + "</Section47>\n")


def cpp(start: str, end: str | None = None, reviews: list[str] | None = None, previous: int = 0) -> str:
    body = (leaf("CPPstartDate", start) + leaf("CPPendDate", end) + leaf("InitialCategoryOfAbuse", "NEG")
            + leaf("LatestCategoryOfAbuse", "NEG") + leaf("NumberOfPreviousCPP", previous))
    if reviews:
        body += "<Reviews>\n" + "".join(leaf("CPPreviewDate", r) for r in reviews) + "</Reviews>\n"
    return "<ChildProtectionPlans>\n" + body + "</ChildProtectionPlans>\n"


def plan(start: str, end: str | None = None) -> str:
    return "<CINPlanDates>\n" + leaf("CINPlanStartDate", start) + leaf("CINPlanEndDate", end) + "</CINPlanDates>\n"


def details(referral: str, *, nfa: str = "0", source: str = "6", need: str | None = "N1", closure: str | None = None,
            reason: str | None = None, icpc: str | None = None, modules: str = "") -> str:
    return ("<CINdetails>\n" + leaf("CINreferralDate", referral) + leaf("ReferralSource", source)
            + leaf("PrimaryNeedCode", need) + leaf("CINclosureDate", closure) + leaf("ReasonForClosure", reason)
            + leaf("DateOfInitialCPC", icpc) + modules + leaf("ReferralNFA", nfa) + "</CINdetails>\n")


def child(cid: str, *episodes: str, dob: str | None = "2015-06-01", sex: tuple[str, str] | None = ("Sex", "M"),
          upn: str | None = "A123456789012", upn_unknown: str | None = None, ethnicity: str = "WBRI",
          disabilities: list[str] | None = None) -> str:
    ident = (leaf("LAchildID", cid) + leaf("UPN", upn) + leaf("UPNunknown", upn_unknown)
             + leaf("PersonBirthDate", dob) + (leaf(*sex) if sex else ""))
    chars = leaf("Ethnicity", ethnicity)
    if disabilities:
        chars += "<Disabilities>\n" + "".join(leaf("Disability", d) for d in disabilities) + "</Disabilities>\n"
    return ("<Child>\n<ChildIdentifiers>\n" + ident + "</ChildIdentifiers>\n<ChildCharacteristics>\n" + chars
            + "</ChildCharacteristics>\n" + "".join(episodes) + "</Child>\n")


def message(*children: str, head: str | None = None, declaration: bool = True) -> str:
    return (('<?xml version="1.0" encoding="utf-8"?>\n' if declaration else "") + "<Message>\n"
            + (header() if head is None else head) + "<Children>\n" + "".join(children) + "</Children>\n</Message>\n")


def read_xml(tmp_path: Path, text: str, name: str = "cin.xml") -> Return:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    [ret] = CinCensusFormat().read([path], DEFS)
    return ret


def codes(ret: Return) -> list[str]:
    return [d.code for d in ret.diagnostics]


def census_file(tmp_path: Path, year: int, *children: str) -> Path:
    """A census XML of `children` for the year ending 31 March `year`, written under `tmp_path`."""
    path = tmp_path / f"cin_{year}.xml"
    path.write_text(message(*children, head=header(year, f"{year}-03-31")), encoding="utf-8")
    return path


def cin_only_definitions(out: Path) -> Path:
    """The table schemas and the CIN census recipes only (copied into `out`), so every id is computed from
    the census."""
    shutil.copytree(DEFINITIONS / "tables", out / "tables")
    shutil.copytree(DEFINITIONS / "cin_census", out / "cin_census")
    return out


def compute_results(defs: Path, paths: list[Path], period: str = "year", ids: list[str] | None = None,
                    la: str | None = "808") -> list[dict]:
    """`compute` without the store: its results."""
    res = compute(ComputeOptions(paths=paths, definitions=defs, period=[period], indicators=ids or [],
                                 use_store=False, la=la))
    return res.payload["results"]


def result_of(results: list[dict], ind: str, period: str, category: str | None = None) -> dict:
    """The one result of `ind` for `period` (and `category`)."""
    [r] = [r for r in results if r["indicator"] == ind and r["period"] == period and r.get("category") == category]
    return r
