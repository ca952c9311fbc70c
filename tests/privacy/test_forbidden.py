"""Column headings that name identifying or clinical content are refused, with a reason."""

from __future__ import annotations

import pytest

from peerreport.privacy.forbidden import FORBIDDEN_COLUMNS, forbidden_column
from peerreport.records.models import RECORD_TYPES

FORBIDDEN = (
    # names
    "name", "Name", "first name", "First_Name", "firstName", "given name", "surname",
    "last name", "LAST-NAME", "family name", "full name", "client name", "Client's name",
    "participant name", "member name", "facilitator name", "preferred name", "alias",
    "initials", "Name of client", "Name (client)", "Ingoa",
    # dates of birth and age
    "dob", "DOB", "D.O.B.", "d.o.b", "date of birth", "Date_of_Birth", "dateOfBirth",
    "Date of birth (dd/mm/yyyy)", "birth date", "birthdate", "birthday", "Client DOB",
    "age", "Age (years)", "exact age", "client age",
    # addresses
    "address", "street", "street address", "home address", "postal address", "postcode",
    "post code", "Post-Code", "zip", "zip code", "home suburb", "suburb of residence",
    # phone and e-mail
    "phone", "phone number", "Phone (mobile)", "mobile", "mobile number", "cell", "telephone",
    "tel", "contact number", "email", "e-mail", "E-Mail Address", "email address",
    "client email",
    # client identifiers
    "nhi", "NHI", "nhi number", "NHI No.", "NHINumber", "ClientNHI", "medicare",
    "medicare number", "medicare no", "Medicare card number", "ihi", "slk", "SLK581",
    "slk 581", "SLK-581", "statistical linkage key", "client id", "Client ID", "patient id",
    "client number", "client no", "case number", "member id",
    # clinical
    "diagnosis", "diagnoses", "dx", "primary diagnosis", "icd", "icd10", "ICD-10 code",
    "dsm", "dsm code", "DSM5", "DSM-5", "condition", "health condition", "medication",
    "medications", "meds", "prescription", "dosage", "case notes", "client notes",
    "clinical notes", "progress notes", "notes about person", "person notes",
    "risk assessment", "Notes (client)",
)  # fmt: skip

ALLOWED = (
    "group name", "group", "programme", "program name", "topic", "notes", "comments",
    "activity id", "session id", "kind", "setting", "venue", "mode", "attendance",
    "population focus", "member tokens", "member led", "date", "start time",
    # judgement calls and near misses
    "suburb", "age band", "age group", "Age range", "phone calls", "mobile outreach",
    "session notes", "activity notes", "facilitator notes", "Notes (activity)",
    "venue address", "number of participants", "participants", "member codes", "member code",
    "first time", "first-time attendees", "staff", "facilitators", "whānau", "number",
    "Peer group name", "Date of activity", "Phone volunteers", "contact", "ID", "",
)  # fmt: skip


@pytest.mark.parametrize("heading", FORBIDDEN)
def test_forbidden_heading_gets_a_reason(heading: str) -> None:
    reason = forbidden_column(heading)
    assert reason is not None
    assert reason.startswith(f'"{heading.strip()}" looks like ')
    assert "peerreport" in reason
    assert "Delete this column" in reason or "delete it" in reason


@pytest.mark.parametrize("heading", ALLOWED)
def test_allowed_heading_is_not_forbidden(heading: str) -> None:
    assert forbidden_column(heading) is None


def test_no_record_field_or_synonym_is_forbidden() -> None:
    refused = []
    for model in RECORD_TYPES.values():
        for name, info in model.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            synonyms = extra.get("synonyms", [])
            assert isinstance(synonyms, list)
            refused += [h for h in (name, *map(str, synonyms)) if forbidden_column(h)]
    assert refused == []


def test_reasons_say_what_was_found() -> None:
    assert forbidden_column("DOB") == FORBIDDEN_COLUMNS["date of birth"].replace(
        '"date of birth"', '"DOB"'
    )
    reason = forbidden_column("Surname")
    assert reason is not None and "never stores names" in reason
    reason = forbidden_column("Age")
    assert reason is not None and '"age band"' in reason
    reason = forbidden_column("Progress notes")
    assert reason is not None and "not a clinical record" in reason


def test_canonical_list_is_consistent() -> None:
    assert len(FORBIDDEN_COLUMNS) >= 10
    for heading, reason in FORBIDDEN_COLUMNS.items():
        assert forbidden_column(heading) == reason
