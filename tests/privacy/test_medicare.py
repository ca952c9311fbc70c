"""Australian Medicare card numbers (research/rules-sdc.md §4.4)."""

from __future__ import annotations

import pytest

from peerreport.privacy import scan_text
from peerreport.privacy.detectors import medicare

WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9)


def with_check_digit(first_eight: str, issue: str = "1") -> str:
    """A Medicare number from its first eight digits, computed independently of the detector."""
    check = sum(int(d) * w for d, w in zip(first_eight, WEIGHTS, strict=True)) % 10
    return f"{first_eight}{check}{issue}"


def as_on_card(number: str) -> str:
    """The 4-5-1 grouping printed on the card."""
    return f"{number[:4]} {number[4:9]} {number[9:]}"


VALID = (
    "2123 45670 1",  # the documented example
    "2123456701",
    "2123-45670-1",
    "2123 45670 1 3",  # with the individual reference number
    "21234567013",
    as_on_card(with_check_digit("39876543", "2")),
    with_check_digit("55512345", "4"),
    with_check_digit("60000001", "9"),
)


@pytest.mark.parametrize("value", VALID)
def test_valid_medicare_is_caught(value: str) -> None:
    text = f"Medicare {value} on file"
    assert [(d.kind, text[d.start : d.end]) for d in scan_text(text)] == [("medicare", value)]


@pytest.mark.parametrize(
    "value",
    [
        "2123 45671 1",  # wrong check digit
        "2123456791",
        "7123456701",  # first digit must be 2-6
        "1123456701",
        "212345670",  # too short
        "212345670123",  # too long
        "2123 4567 01",  # not the card's grouping
        "4.2123456701",  # a decimal
        "doi.org/10.1002/spe.2123456701",
        "A2123456701",
    ],
)
def test_invalid_medicare_is_not_caught(value: str) -> None:
    assert medicare.find(f"Medicare {value}") == []


def test_is_valid_medicare() -> None:
    assert medicare.is_valid_medicare("2123456701")
    assert medicare.is_valid_medicare("21234567011")
    assert not medicare.is_valid_medicare("2123456711")
    assert not medicare.is_valid_medicare("212345670")
    assert not medicare.is_valid_medicare("21234567ab")


def test_medicare_label_and_mask() -> None:
    (found,) = medicare.find("2123 45670 1")
    assert (found.label, found.masked) == ("an Australian Medicare number", "2*** ***** *")
