"""The registry: every detector runs, overlaps resolve, and values never leak into messages."""

from __future__ import annotations

import re

import pytest

from peerreport.privacy import (
    Detection,
    PrivacyViolation,
    check_text,
    mask,
    mask_text,
    scan_text,
)
from peerreport.privacy.scan import DETECTORS
from tests.privacy.ordinary import ENGLISH, PASIFIKA, PLACES, TE_REO, TOPICS, VALUES

LABELS = {
    "nhi": "an NZ NHI number",
    "medicare": "an Australian Medicare number",
    "ihi": "an Australian IHI number",
    "slk": "an SLK-581 statistical linkage key",
    "email": "an e-mail address",
    "phone": "a phone number",
    "dob": "a date of birth",
    "icd": "an ICD-10 mental health diagnosis code",
    "dsm": "a DSM diagnosis code",
    "diagnosis": "a diagnosis about a person",
    "address": "a street address",
    "age": "a person's age",
    "name": "a person's name",
}

# One value of each kind, as the secret a message must never repeat.
SECRETS = (
    ("nhi", "ZAA0067"),
    ("medicare", "2123 45670 1"),
    ("ihi", "8003601234567894"),
    ("slk", "MIHOH150319852"),
    ("email", "kim.smith@example.org"),
    ("phone", "021 123 4567"),
    ("dob", "03/04/1981"),
    ("icd", "F32.1"),
    ("dsm", "296.23"),
    ("diagnosis", "has schizophrenia"),
    ("address", "12 Main Road"),
    ("age", "34-year-old"),
    ("name", "Mr T. Walker"),
)
CONTEXT = {
    "dob": "DOB {}",
    "dsm": "DSM {}",
    "diagnosis": "She {}",
    "age": "a {} man",
    "name": "{}'s medication changed",
}


def test_every_kind_has_its_detector_and_label() -> None:
    assert {d.KIND: d.LABEL for d in DETECTORS} == LABELS


def test_every_trigger_compiles() -> None:
    for detector in DETECTORS:
        re.compile(detector.TRIGGER)


@pytest.mark.parametrize(("kind", "secret"), SECRETS)
def test_each_kind_is_found_through_scan_text(kind: str, secret: str) -> None:
    text = CONTEXT.get(kind, "{}").format(secret)
    assert [d.kind for d in scan_text(text)] == [kind]


@pytest.mark.parametrize(("kind", "secret"), SECRETS)
def test_messages_never_contain_the_value(kind: str, secret: str) -> None:
    text = "Notes: " + CONTEXT.get(kind, "{}").format(secret) + " (follow up)"
    with pytest.raises(PrivacyViolation) as raised:
        check_text(text)
    message = str(raised.value)
    masked = mask_text(text)
    assert secret not in message
    assert secret not in masked
    assert LABELS[kind] in message
    assert masked.startswith("Notes: ") and masked.endswith(" (follow up)")
    assert len(masked) == len(text)
    # At most the first character of the value survives masking.
    for d in raised.value.detections:
        assert sum(ch.isalnum() for ch in d.masked) <= 1


def test_masked_is_the_mask_of_the_matched_text() -> None:
    text = "; ".join(CONTEXT.get(kind, "{}").format(secret) for kind, secret in SECRETS)
    found = scan_text(text)
    assert sorted(d.kind for d in found) == sorted(kind for kind, _ in SECRETS)
    for d in found:
        assert d.masked == mask(text[d.start : d.end])


def test_detections_are_in_order_of_position() -> None:
    text = "kim@example.org, ZAA0067, 021 123 4567"
    assert [d.kind for d in scan_text(text)] == ["email", "nhi", "phone"]
    starts = [d.start for d in scan_text(text)]
    assert starts == sorted(starts)


def test_overlaps_keep_the_most_specific() -> None:
    # A Luhn-valid IHI is also a long digit run; the IHI wins over anything else.
    assert [d.kind for d in scan_text("8003601234567894")] == ["ihi"]
    # An ICD code inside "diagnosed with ..." is kept as the code.
    text = "diagnosed with F32.1"
    assert [(d.kind, text[d.start : d.end]) for d in scan_text(text)] == [("icd", "F32.1")]
    # An e-mail address whose local part looks like a phone number is an e-mail address.
    assert [d.kind for d in scan_text("0211234567@example.org")] == ["email"]


def test_no_detections_means_no_violation() -> None:
    check_text("Tuesday evening group")
    assert scan_text("") == []
    assert mask_text("Tuesday evening group") == "Tuesday evening group"


@pytest.mark.parametrize("value", VALUES + TOPICS + ENGLISH + TE_REO + PASIFIKA + PLACES)
def test_ordinary_values_are_not_flagged(value: str) -> None:
    assert scan_text(value) == []


def test_violation_carries_the_detections() -> None:
    with pytest.raises(PrivacyViolation) as raised:
        check_text("NHI ZAA0067")
    assert raised.value.detections == [Detection("nhi", LABELS["nhi"], 4, 11, "Z******")]
    assert isinstance(raised.value, ValueError)
