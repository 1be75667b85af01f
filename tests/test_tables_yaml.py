"""The Annex A table schemas in `definitions/tables/` against the fixed contract in notes/tables.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from csc_metrics.spec.loader import load_definitions
from csc_metrics.spec.tables import CodeSet, ColumnType

ROOT = Path(__file__).resolve().parents[1]
TABLES_DIR = ROOT / "definitions" / "tables"

COMMON = ["child_id", "gender", "ethnicity", "date_of_birth", "age_years"]
TEAM = ["allocated_team", "allocated_worker"]

# The canonical column names of the contract, in template order.
EXPECTED: dict[str, tuple[str, list[str]]] = {
    "annex_a_list_1": ("contacts", [*COMMON, "contact_date", "contact_source"]),
    "annex_a_list_2": ("early_help", [*COMMON, "eh_assessment_start", "eh_assessment_completion", "organisation"]),
    "annex_a_list_3": (
        "referrals",
        [*COMMON, "referral_date", "referral_source", "referral_nfa", "referrals_last_12m", *TEAM],
    ),
    "annex_a_list_4": (
        "assessments",
        [*COMMON, "disability", "assessment_start", "child_seen", "assessment_authorised", "requires_support", *TEAM],
    ),
    "annex_a_list_5": (
        "s47",
        [*COMMON, "disability", "s47_start", "icpc_unnecessary", "icpc_date", "icpc_resulted_in_plan",
         "s47_last_12m", "icpcs_last_12m", *TEAM],
    ),
    "annex_a_list_6": (
        "cin",
        [*COMMON, "disability", "cin_start", "primary_need", "last_seen", "cin_closure", "closure_reason",
         "case_status", *TEAM],
    ),
    "annex_a_list_7": (
        "child_protection",
        [*COMMON, "disability", "cp_start", "initial_category", "latest_category", "last_statutory_visit",
         "seen_alone", "latest_review_conference", "cp_end", "epo_last_6m", "previous_cp_plans", *TEAM],
    ),
    "annex_a_list_8": (
        "looked_after",
        [*COMMON, "uasc", "disability", "cla_start", "category_of_need", "second_period_12m", "legal_status_start",
         "legal_status", "latest_review", "last_sw_visit", "permanence_plan", "last_iro_visit",
         "last_health_assessment", "last_dental_check", "placements_last_12m", "cla_end", "reason_ceased",
         "placement_start", "placement_type", "placement_provider", "placement_postcode", "placement_urn",
         "placement_location", "placement_la", "missing_episodes_12m", "absent_episodes_12m",
         "return_interview_offered", "return_interview_accepted", *TEAM],
    ),
    "annex_a_list_9": (
        "care_leavers",
        [*COMMON, "uasc", "disability", *TEAM, "personal_advisor", "eligibility", "pathway_plan_review", "in_touch",
         "latest_contact", "accommodation", "accommodation_suitability", "activity"],
    ),
    "annex_a_list_10": (
        "adoption",
        ["child_id", "family_id", "gender", "ethnicity", "date_of_birth", "age_years", "disability", "entered_care",
         "adoption_decision", "placement_order", "matched", "placed_for_adoption", "adoption_order",
         "decision_reversed", "reversal_reason", "ffa_placement"],
    ),
    "annex_a_list_11": (
        "adopters",
        ["adopter_id", "family_id", "gender", "ethnicity", "disability", "fostering_for_adoption", "enquiry_date",
         "stage1_start", "stage1_end", "stage2_start", "stage2_end", "application_submitted",
         "application_approved", "matched", "placed", "children_placed", "adoption_order", "left_process",
         "leaving_reason"],
    ),
}

# Code values indicators rely on (contract), per code set.
EXPECTED_CODES: dict[str, set[str]] = {
    "gender": {"M", "F", "U", "I"},
    "ethnicity": {"WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN",
                  "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT", "UNKNOWN"},
    "source": {"1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4", "5A", "5B", "5C", "5D",
               "6", "7", "8", "9", "10"},
    "primary_need": {f"N{i}" for i in range(10)},
    "closure_reason": {f"RC{i}" for i in range(1, 10)},
    "case_status": {"CLA", "CP", "CIN", "ASSESSMENT", "CLOSED"},
    "abuse_category": {"NEG", "PHY", "SAB", "EMO", "MUL"},
    "category_of_need": {f"N{i}" for i in range(1, 9)},
    "legal_status": {"C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3"},
    "permanence_plan": {"RETURN_HOME", "ADOPTION", "SGO_CAO", "SUPPORTED_LIVING", "RESIDENTIAL",
                        "LONG_TERM_FOSTERING", "OTHER"},
    "reason_ceased": {"X1", "E11", "E12", "E13", "E14", "E15", "E16", "E17", "E2", "E3", "E41", "E43", "E44", "E45",
                      "E46", "E47", "E48", "E4A", "E4B", "E5", "E6", "E7", "E8", "E9"},
    "placement_type": {"A3", "A4", "A5", "A6", "H5", "K1", "K2", "K3", "P1", "P2", "P3", "R1", "R2", "R3", "R5",
                       "S1", "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1", "Z11", "Z12",
                       "Z13", "Z14"},
    "placement_provider": {"PR0", "PR1", "PR2", "PR3", "PR4", "PR5"},
    "placement_location": {"IN", "OUT"},
    "eligibility": {"RELEVANT", "FORMER_RELEVANT", "QUALIFYING", "ELIGIBLE"},
    "in_touch": {"YES", "NO", "DIED", "REFU", "NREQ", "RHOM"},
    "accommodation": set("BCDEGHKRSTUVWXYZ"),
    "suitability": {"SUITABLE", "UNSUITABLE"},
    "activity": {"F1", "P1", "F2", "P2", "F3", "P3", "F4", "P4", "F5", "P5", "G4", "G5", "G6", "0"},
    "reversal_reason": {"RD1", "RD2", "RD3", "RD4"},
    "leaving_reason": {"1", "2", "3"},
}

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def normalise(text: str) -> str:
    """Header/label normalisation: strip, casefold, collapse spaces, straight quotes, en/em dash -> '-'."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES).strip()).casefold()


_PREFIX = re.compile(r"^[a-z]{1,2}\d?\)\s*", re.IGNORECASE)


def extract_code(value: str, code_set: CodeSet) -> str | None:
    """The code a cell means: strip a letter prefix (`q) `), try the part before `:` / ` - `, then the whole
    remainder against codes, labels and aliases (case-insensitive). None when nothing matches."""
    text = normalise(value)
    by_code = {normalise(c.code): c.code for c in code_set.codes}
    rest = _PREFIX.sub("", text)
    head = re.split(r":| - ", rest, maxsplit=1)[0].strip()
    if head in by_code:
        return by_code[head]
    if rest in by_code:
        return by_code[rest]
    for c in code_set.codes:
        if rest in {normalise(c.label), *(normalise(a) for a in c.aliases)} or text in {
            normalise(a) for a in c.aliases
        }:
            return c.code
    return None


@pytest.fixture(scope="module")
def loaded():
    return load_definitions([ROOT / "definitions"])


def test_files_start_with_schema_comment_and_version():
    files = sorted(TABLES_DIR.glob("*.yaml"))
    names = {f.name for f in files}
    assert "code_sets.yaml" in names
    assert {n for n in names if n.startswith("list_")} == {
        "list_01_contacts.yaml", "list_02_early_help.yaml", "list_03_referrals.yaml", "list_04_assessments.yaml",
        "list_05_s47.yaml", "list_06_cin.yaml", "list_07_child_protection.yaml", "list_08_looked_after.yaml",
        "list_09_care_leavers.yaml", "list_10_adoption.yaml", "list_11_adopters.yaml",
    }
    for f in files:
        lines = f.read_text(encoding="utf-8").splitlines()
        assert lines[0] == "# yaml-language-server: $schema=../schema.json", f.name
        assert "version: 1" in [ln for ln in lines if not ln.startswith("#")][:1], f.name


def test_tables_load_without_diagnostics(loaded):
    table_diags = [d for d in loaded.diagnostics if d.file and "tables" in d.file]
    assert table_diags == []


def test_all_lists_present_with_contract_ids_and_columns(loaded):
    tables = loaded.definitions.tables
    assert set(EXPECTED) <= set(tables)
    for table_id, (alias, columns) in EXPECTED.items():
        table = tables[table_id]
        assert table.alias == alias
        assert loaded.definitions.table(alias) is table
        assert table.annex_a_list == int(table_id.rsplit("_", 1)[1])
        assert table.column_names == columns, table_id


def test_table_pointers_name_real_columns(loaded):
    for table_id in EXPECTED:
        t = loaded.definitions.tables[table_id]
        names = set(t.column_names)
        for ref in [t.child_id, t.event_date, t.date_of_birth, t.age_years, *t.key]:
            assert ref is None or ref in names, (table_id, ref)
        for pair in t.date_pairs:
            assert t.column(pair.start).type is ColumnType.DATE
            assert t.column(pair.end).type is ColumnType.DATE
    assert loaded.definitions.tables["annex_a_list_11"].child_id == "adopter_id"
    assert loaded.definitions.tables["annex_a_list_11"].date_of_birth is None


def test_code_columns_reference_existing_code_sets_with_contract_codes(loaded):
    code_sets = loaded.definitions.code_sets
    for table_id in EXPECTED:
        for col in loaded.definitions.tables[table_id].columns:
            if col.type is ColumnType.CODE:
                assert col.code_set in code_sets, (table_id, col.name, col.code_set)
    for set_id, codes in EXPECTED_CODES.items():
        assert set(code_sets[set_id].code_values()) == codes, set_id


def test_no_two_columns_share_a_normalised_header_or_variant(loaded):
    for table_id in EXPECTED:
        seen: dict[str, str] = {}
        for col in loaded.definitions.tables[table_id].columns:
            for spelling in {normalise(s) for s in [col.header, *col.variants]}:
                assert spelling not in seen, f"{table_id}: {spelling!r} in {seen.get(spelling)} and {col.name}"
                seen[spelling] = col.name


def test_official_headers_from_domain_notes(loaded):
    t = loaded.definitions.tables
    assert t["annex_a_list_3"].column("referral_date").header == "Date of referral"
    assert t["annex_a_list_3"].column("referral_nfa").header == "Referral NFA?"
    assert t["annex_a_list_1"].column("age_years").header == "Age of Child (Years)"
    assert "Age" in t["annex_a_list_1"].column("age_years").variants
    assert t["annex_a_list_8"].column("missing_episodes_12m").header == (
        "Number of Episodes the Child has been 'Missing' from their Placement in the last 12 months"
    )
    # the doubled parenthesis typo seen in real List 8 headers
    assert any(v.endswith("(Y/N))") for v in t["annex_a_list_8"].column("uasc").variants)
    assert "CINreferralDate" in t["annex_a_list_3"].column("referral_date").variants
    assert {"LAchildID", "CHILD"} <= set(t["annex_a_list_6"].column("child_id").variants)


def test_no_spelling_means_two_codes(loaded):
    """Within a code set, a label or alias never equals another code's code, label or alias."""
    for set_id, cs in loaded.definitions.code_sets.items():
        owner: dict[str, str] = {}
        for c in cs.codes:
            for spelling in {normalise(s) for s in [c.code, c.label, *c.aliases]}:
                assert owner.setdefault(spelling, c.code) == c.code, (set_id, spelling)


@pytest.mark.parametrize(
    ("set_id", "value", "code"),
    [
        ("source", "q) 6: Police", "6"),
        ("source", "a) 1A: Individual", "1A"),
        ("source", "p1) 5D: LA services", "5D"),
        ("source", "u) 10: Unknown", "10"),
        ("abuse_category", "a) Neglect", "NEG"),
        ("abuse_category", "e) Multiple/not recommended", "MUL"),
        ("suitability", "a) Suitable", "SUITABLE"),
        ("suitability", "Suitable", "SUITABLE"),
        ("suitability", "b) Unsuitable", "UNSUITABLE"),
        ("suitability", "Unsuitable", "UNSUITABLE"),
        ("suitability", "UNSUITABLE", "UNSUITABLE"),
        ("in_touch", "a) Yes", "YES"),
        ("in_touch", "d) Refu", "REFU"),
        ("in_touch", "f) Rhom", "RHOM"),
        ("legal_status", "C1: ICO", "C1"),
        ("legal_status", "V2: Single period under S20", "V2"),
        ("reason_ceased", "a) E11: Adopted - application unopposed", "E11"),
        ("reason_ceased", "E43", "E43"),
        ("reason_ceased", "E44", "E44"),
        ("primary_need", "N1 - Abuse or neglect", "N1"),
        ("primary_need", "N1 \u2013 Abuse or neglect", "N1"),
        ("gender", "b) Female", "F"),
        ("ethnicity", "s) NOBT", "NOBT"),
        ("ethnicity", "A1", "WBRI"),
        ("case_status", "a) Looked after child", "CLA"),
        ("placement_provider", "e) PR4 - Private provision", "PR4"),
        ("permanence_plan", "g) other", "OTHER"),
        ("primary_need", "PSRMEM - Support with memory and cognition", None),
    ],
)
def test_real_world_spellings_map_to_codes(loaded, set_id, value, code):
    assert extract_code(value, loaded.definitions.code_sets[set_id]) == code


def test_every_alias_and_label_maps_back_to_its_own_code(loaded):
    for set_id, cs in loaded.definitions.code_sets.items():
        for c in cs.codes:
            for spelling in [c.code, c.label, *c.aliases]:
                assert extract_code(spelling, cs) == c.code, (set_id, spelling)
