"""NZ and Australian phone numbers, and the many numbers that are not phone numbers."""

from __future__ import annotations

import pytest

from peerreport.privacy import scan_text
from peerreport.privacy.detectors import phone

NZ = (
    "021 123 4567", "022 123 4567", "027 123 4567", "0271234567", "028 1234 567",
    "029 123 456", "020 1234 5678", "021-123-4567", "021.123.4567", "03 234 5678",
    "04-234 5678", "(09) 234 5678", "07 834 5678", "06.834.5678", "0800 123 456",
    "0800 123 4567", "0508 123 456", "+64 21 123 4567", "+64 9 234 5678",
    "+64 (0)21 123 4567", "+6421234567", "+64-4-234-5678",
)  # fmt: skip
AU = (
    "0412 345 678", "0412345678", "04 1234 5678", "02 9876 5432", "(03) 9876 5432",
    "07 3123 4567", "08 8123 4567", "1300 123 456", "1800 123 456", "+61 412 345 678",
    "+61 2 9876 5432", "+61-3-9876-5432", "+61 (0)412 345 678",
)  # fmt: skip


@pytest.mark.parametrize("value", NZ + AU)
def test_phone_number_is_caught(value: str) -> None:
    text = f"Ph: {value} after 5pm"
    assert [(d.kind, text[d.start : d.end]) for d in scan_text(text)] == [("phone", value)]


@pytest.mark.parametrize(
    "text",
    [
        "2026", "Session 12", "Room B2", "18:30", "18:30-20:00", "09:30-11:30", "03/04/2026",
        "03-04-2026", "03.04.2026", "2019-2020", "12/08/2026 - 14/08/2026", "1200 people",
        "14 people", "#4", "L3-07", "GRP-2026-0142", "0800", "Darwin 0800", "021 123",
        "09 123 4567",  # NZ local numbers never start with 1
        "04-05-2026 10:30", "2026 0142", "+64 21", "1300", "1800 people", "09.30-11.30",
        "0 2026 2027", "week 03 2026", "INV-2026-0412345678", "0412345678901",
        "PhysRev E 72, 046105 (2005)",
    ],
)  # fmt: skip
def test_numbers_that_are_not_phone_numbers(text: str) -> None:
    assert phone.find(text) == []


def test_number_followed_by_a_count() -> None:
    text = "Call 0412 345 678 12 people came"
    (found,) = phone.find(text)
    assert text[found.start : found.end] == "0412 345 678"


def test_count_then_number() -> None:
    text = "Session 12 021 123 4567"
    (found,) = phone.find(text)
    assert text[found.start : found.end] == "021 123 4567"


def test_two_numbers_in_one_run() -> None:
    text = "021 123 4567 09 234 5678"
    assert [text[d.start : d.end] for d in phone.find(text)] == ["021 123 4567", "09 234 5678"]


def test_phone_label_and_mask() -> None:
    (found,) = phone.find("+64 21 123 4567")
    assert (found.label, found.masked) == ("a phone number", "+** ** *** ****")
