"""Annex A table schemas built in Python for the reader tests (independent of definitions/tables/*.yaml),
plus helpers that write messy extracts. Mirrors the fixed contract in the tables notes."""

from __future__ import annotations

from csc_metrics.spec.loader import Definitions
from csc_metrics.spec.tables import Code, CodeSet, Column, DatePair, TableSchema


def _cs(id_: str, pairs: list[tuple[str, str]] | list[tuple[str, str, list[str]]]) -> CodeSet:
    codes = [Code(code=p[0], label=p[1], aliases=list(p[2]) if len(p) > 2 else []) for p in pairs]
    return CodeSet(id=id_, title=id_, codes=codes)


ETHNIC = ["WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT"]
CODE_SETS = {cs.id: cs for cs in [
    _cs("gender", [("M", "Male"), ("F", "Female"), ("U", "Not stated/recorded"), ("I", "Neither")]),
    _cs("ethnicity", [(c, c) for c in ETHNIC] + [("UNKNOWN", "Unknown")]),
    _cs("source", [("1A", "Individual - family member, relative or carer"), ("1B", "Individual - acquaintance"),
                   ("2A", "Schools"), ("5D", "LA services - early help"), ("6", "Police"), ("10", "Unknown")]),
    _cs("primary_need", [(f"N{i}", f"need {i}") for i in range(10)]),
    _cs("closure_reason", [(f"RC{i}", f"reason {i}") for i in range(1, 10)]),
    _cs("case_status", [("CLA", "Looked after child"), ("CP", "Child Protection plan"), ("CIN", "Child in need plan"),
                        ("ASSESSMENT", "Open assessment"), ("CLOSED", "Closed episode")]),
    _cs("abuse_category", [("NEG", "Neglect"), ("PHY", "Physical abuse"), ("SAB", "Sexual abuse"),
                           ("EMO", "Emotional abuse"), ("MUL", "Multiple/not recommended")]),
    _cs("category_of_need", [(f"N{i}", f"need {i}") for i in range(1, 9)]),
    _cs("legal_status", [(c, c) for c in ["C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3"]]),
    _cs("reason_ceased", [("E11", "Adopted - application unopposed"), ("E12", "Adopted - consent dispensed"),
                          ("E2", "Died"), ("X1", "CodeError")]),
    _cs("placement_type", [("U1", "Foster placement - relatives - long term"), ("K2", "Childrens home"),
                           ("T4", "Temporary placement - seven days or less")]),
    _cs("placement_provider", [(f"PR{i}", f"provider {i}") for i in range(6)]),
    _cs("placement_location", [("IN", "In"), ("OUT", "Out")]),
    _cs("permanence_plan", [("RETURN_HOME", "Return to family"), ("ADOPTION", "Adoption"), ("OTHER", "other")]),
    _cs("eligibility", [("RELEVANT", "Relevant child"), ("FORMER_RELEVANT", "Former relevant child"),
                        ("QUALIFYING", "Qualifying care leaver"), ("ELIGIBLE", "Eligible child")]),
    _cs("in_touch", [("YES", "Yes"), ("NO", "No"), ("DIED", "Died"), ("REFU", "Refu"), ("NREQ", "NREQ"), ("RHOM", "Rhom")]),
    _cs("accommodation", [("B", "Parents/relatives"), ("U", "Independent living"), ("Z", "With former foster carers")]),
    _cs("suitability", [("SUITABLE", "Suitable"), ("UNSUITABLE", "Unsuitable")]),
    _cs("activity", [("F1", "Full time in higher education"), ("G4", "NEET - illness or disability"), ("0", "No information")]),
    _cs("reversal_reason", [(f"RD{i}", f"reason {i}") for i in range(1, 5)]),
    _cs("leaving_reason", [("1", "Adopter withdrew from process"), ("2", "Process put on hold"), ("3", "Application refused")]),
]}


def col(name: str, header: str, type_: str, *, req: bool = False, cs: str | None = None,
        variants: tuple[str, ...] = (), frac: bool = False) -> Column:
    return Column(name=name, header=header, type=type_, required=req, code_set=cs, variants=list(variants),
                  allow_fraction=frac)


def common(family: bool = False, disability: bool = False) -> list[Column]:
    cols = [col("child_id", "Child Unique ID", "id", req=True, variants=("Child ID", "LAchildID", "CHILD"))]
    if family:
        cols.append(col("family_id", "Family identifier", "id"))
    cols += [col("gender", "Gender", "code", req=True, cs="gender"),
             col("ethnicity", "Ethnicity", "code", req=True, cs="ethnicity"),
             col("date_of_birth", "Date of Birth", "date", variants=("DOB",)),
             col("age_years", "Age of Child (Years)", "integer", frac=True, variants=("Age",))]
    if disability:
        cols.append(col("disability", "Does the Child have a Disability", "yes_no", req=True))
    return cols


TEAM = [col("allocated_team", "Allocated Team", "text"), col("allocated_worker", "Allocated Worker", "text")]


def table(n: int, alias: str, cols: list[Column], event: str, key: list[str] | None = None,
          pairs: list[tuple[str, str]] = (), child_id: str = "child_id", dob: str | None = "date_of_birth",
          age: str | None = "age_years") -> TableSchema:
    return TableSchema(id=f"annex_a_list_{n}", alias=alias, title=f"List {n}", annex_a_list=n,
                       sheet_names=[f"List {n}", f"list_{n}"], columns=cols, child_id=child_id, event_date=event,
                       date_of_birth=dob, age_years=age, key=key or [child_id, event],
                       date_pairs=[DatePair(start=a, end=b) for a, b in pairs])


TABLES = [
    table(1, "contacts", common() + [col("contact_date", "Date of Contact", "date", req=True),
                                     col("contact_source", "Contact Source", "code", req=True, cs="source")],
          "contact_date", key=["child_id", "contact_date", "contact_source"]),
    table(2, "early_help", common() + [col("eh_assessment_start", "Assessment start date", "date", req=True),
                                       col("eh_assessment_completion", "Assessment completion date", "date"),
                                       col("organisation", "Organisation completing assessment", "text", req=True)],
          "eh_assessment_start", pairs=[("eh_assessment_start", "eh_assessment_completion")]),
    table(3, "referrals", common() + [
        col("referral_date", "Date of referral", "date", req=True, variants=("Referral Date", "CINreferralDate")),
        col("referral_source", "Referral Source", "code", req=True, cs="source"),
        col("referral_nfa", "Referral NFA?", "yes_no", req=True),
        col("referrals_last_12m", "Number of Referrals in Last 12 Months", "integer", req=True)] + TEAM,
          "referral_date"),
    table(4, "assessments", common(disability=True) + [
        col("assessment_start", "Continuous Assessment Start Date", "date", req=True),
        col("child_seen", "Child Seen During Continuous Assessment", "yes_no", req=True),
        col("assessment_authorised", "Continuous Assessment Date of Authorisation", "date"),
        col("requires_support", "Was the child assessed as requiring LA children's social care support?", "yes_no")] + TEAM,
          "assessment_start", pairs=[("assessment_start", "assessment_authorised")]),
    table(5, "s47", common(disability=True) + [
        col("s47_start", "Strategy discussion initiating Section 47 Enquiry Start Date", "date", req=True),
        col("icpc_unnecessary", "Was an Initial Child Protection Conference deemed unnecessary?", "yes_no"),
        col("icpc_date", "Date of Initial Child Protection Conference", "date"),
        col("icpc_resulted_in_plan", "Did the Initial Child Protection Conference Result in a Child Protection Plan", "yes_no"),
        col("s47_last_12m", "Number of Section 47 Enquiries in the last 12 months", "integer", req=True),
        col("icpcs_last_12m", "Number of ICPCs in the last 12 months", "integer", req=True)] + TEAM,
          "s47_start", pairs=[("s47_start", "icpc_date")]),
    table(6, "cin", common(disability=True) + [
        col("cin_start", "CIN Start Date", "date"),
        col("primary_need", "Primary Need Code", "code", req=True, cs="primary_need"),
        col("last_seen", "Date Child Was Last Seen", "date"), col("cin_closure", "CIN Closure Date", "date"),
        col("closure_reason", "Reason for Closure", "code", cs="closure_reason"),
        col("case_status", "Case Status", "code", cs="case_status")] + TEAM,
          "cin_start", pairs=[("cin_start", "cin_closure")]),
    table(7, "child_protection", common(disability=True) + [
        col("cp_start", "Child Protection Plan Start Date", "date", req=True),
        col("initial_category", "Initial Category of Abuse", "code", req=True, cs="abuse_category"),
        col("latest_category", "Latest Category of Abuse", "code", cs="abuse_category"),
        col("cp_end", "Child Protection Plan End Date", "date"),
        col("previous_cp_plans", "Number of Previous Child Protection Plans", "integer", req=True)] + TEAM,
          "cp_start", pairs=[("cp_start", "cp_end")]),
    table(8, "looked_after", common() + [
        col("uasc", "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)", "yes_no"),
        col("disability", "Does the Child have a Disability", "yes_no", req=True),
        col("cla_start", "Date Started to be Looked After", "date", req=True),
        col("legal_status_start", "Start date of current legal status", "date", req=True),
        col("legal_status", "Child's Legal Status", "code", req=True, cs="legal_status"),
        col("placements_last_12m", "Number of Placements in the Last 12 months", "integer", req=True),
        col("cla_end", "Date Ceased to be Looked After", "date"),
        col("reason_ceased", "Reason Ceased to be Looked After", "code", cs="reason_ceased"),
        col("placement_start", "Start Date of Most Recent Placement", "date", req=True),
        col("placement_type", "Placement Type", "code", cs="placement_type"),
        col("missing_episodes_12m",
            "Number of Episodes the Child has been 'Missing' from their Placement in the last 12 months", "integer")] + TEAM,
          "cla_start", pairs=[("cla_start", "cla_end")]),
    table(9, "care_leavers", common() + [
        col("disability", "Does the Child have a Disability", "yes_no", req=True),
        col("personal_advisor", "Allocated Personal Advisor", "text", req=True),
        col("eligibility", "Eligibility Category", "code", req=True, cs="eligibility"),
        col("in_touch", "LA in Touch", "code", req=True, cs="in_touch"),
        col("latest_contact", "Latest Date of Contact", "date"),
        col("accommodation", "Type of Accommodation", "code", cs="accommodation"),
        col("accommodation_suitability", "Suitability of Accommodation", "code", cs="suitability"),
        col("activity", "Activity Status", "code", cs="activity")], "latest_contact", key=["child_id"]),
    table(10, "adoption", common(family=True, disability=True) + [
        col("entered_care", "Date the Child Entered Care", "date", req=True),
        col("adoption_decision", "Date of Decision that Child Should be Placed for Adoption", "date", req=True),
        col("adoption_order", "Date of Adoption Order", "date"),
        col("reversal_reason", "Reason Why Child No Longer Placed for Adoption", "code", cs="reversal_reason")],
          "adoption_decision"),
    table(11, "adopters", [
        col("adopter_id", "Individual adopter identifier", "id", req=True), col("family_id", "Family identifier", "id"),
        col("gender", "Gender", "code", req=True, cs="gender"), col("ethnicity", "Ethnicity", "code", req=True, cs="ethnicity"),
        col("disability", "Disability", "yes_no", req=True),
        col("fostering_for_adoption", "Is the (prospective) adopter fostering for adoption?", "yes_no", req=True),
        col("enquiry_date", "Date enquiry received", "date", req=True),
        col("children_placed", "No. of children placed", "integer"),
        col("leaving_reason", "Reason for leaving adoption process", "code", cs="leaving_reason")],
          "enquiry_date", child_id="adopter_id", dob=None, age=None),
]


def definitions() -> Definitions:
    return Definitions(tables={t.id: t for t in TABLES}, code_sets=dict(CODE_SETS))


def test_support_schemas_are_consistent():
    defs = definitions()
    assert len(defs.tables) == 11
    for t in defs.tables.values():
        for c in t.columns:
            assert c.code_set is None or c.code_set in defs.code_sets, (t.id, c.name)
