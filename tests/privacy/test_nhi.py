"""NZ NHI numbers: both formats, check character validated (research/nz.md §5)."""

from __future__ import annotations

import pytest

from peerreport.privacy import scan_text
from peerreport.privacy.detectors import nhi

# Test vectors from research/nz.md §5 (python-nhi's tests and Te Whatu Ora's examples).
VALID = (
    "ZAC5361", "ZZZ0016", "ZZZ0024", "ZAA0067", "ZAA0075", "ZAA0083", "JBX3656",
    "ALU18KZ", "AUL78CF", "ARM79XB", "ZVU27KZ", "ZZZ00AX", "ATD33RD", "ADH48ZJ",
    "ZBC42DQ", "ZGT56KB", "ZHS91BR", "ZHW58CN", "ZLV86AX",
)  # fmt: skip
INVALID = (
    "ZZZ0017", "DAB8233", "JBX3650", "JBX3651", "JBX3655", "JBX3657", "JBX3659",
    "ZZZ00AY", "ZVU27KY", "ZVU27KA", "ZHW58CZ", "ZZZ0044", "ZZZ00AA",
)  # fmt: skip


@pytest.mark.parametrize("value", VALID)
def test_valid_nhi_is_caught_in_text(value: str) -> None:
    text = f"Seen today, NHI {value}, follow up"
    found = scan_text(text)
    assert [(d.kind, text[d.start : d.end]) for d in found] == [("nhi", value)]
    assert nhi.is_valid_nhi(value)


@pytest.mark.parametrize("value", VALID)
def test_nhi_is_case_insensitive(value: str) -> None:
    assert [d.kind for d in scan_text(value.lower())] == ["nhi"]


@pytest.mark.parametrize("value", INVALID)
def test_wrong_check_character_is_not_an_nhi(value: str) -> None:
    assert not nhi.is_valid_nhi(value)
    assert scan_text(f"Room {value} is booked") == []


@pytest.mark.parametrize(
    "text",
    [
        "XZAC5361",  # part of a longer token
        "ZAC53612",
        "ZAC5361X",
        "ZIC5361",  # I and O are never used
        "ZOC5361",
        "ZAC536",
        "GRP2026",  # NHI-shaped product code with a wrong check digit
    ],
)
def test_nhi_must_be_a_whole_token_of_the_right_shape(text: str) -> None:
    assert nhi.find(text) == []


def test_nhi_detection_is_masked() -> None:
    (found,) = nhi.find("NHI: ZAA0067.")
    assert (found.kind, found.label, found.masked) == ("nhi", "an NZ NHI number", "Z******")
    assert (found.start, found.end) == (5, 12)


def test_shape_without_letters_is_not_valid() -> None:
    assert not nhi.is_valid_nhi("1234567")
    assert not nhi.is_valid_nhi("")
