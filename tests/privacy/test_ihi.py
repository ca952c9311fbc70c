"""Australian Individual Healthcare Identifiers: 800360 prefix, Luhn check."""

from __future__ import annotations

import pytest

from peerreport.privacy import scan_text
from peerreport.privacy.detectors import ihi


def luhn_check_digit(partial: str) -> str:
    """The digit that makes `partial` + digit Luhn-valid (an independent implementation)."""
    total = 0
    for position, ch in enumerate(reversed(partial)):
        digit = int(ch)
        if position % 2 == 0:  # doubled: these sit second from the right once the check is added
            digit = sum(divmod(digit * 2, 10))
        total += digit
    return str((10 - total % 10) % 10)


def make_ihi(middle: str) -> str:
    """A valid IHI from nine digits."""
    partial = "800360" + middle
    return partial + luhn_check_digit(partial)


def grouped(number: str, separator: str = " ") -> str:
    return separator.join(number[i : i + 4] for i in range(0, 16, 4))


NUMBERS = [make_ihi(m) for m in ("123456789", "000000001", "987654321", "555000111")]


def test_documented_example_is_valid() -> None:
    assert make_ihi("123456789") == "8003601234567894"


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("form", ["plain", "spaces", "hyphens"])
def test_valid_ihi_is_caught(number: str, form: str) -> None:
    value = {"plain": number, "spaces": grouped(number), "hyphens": grouped(number, "-")}[form]
    text = f"IHI {value} recorded"
    assert [(d.kind, text[d.start : d.end]) for d in scan_text(text)] == [("ihi", value)]


@pytest.mark.parametrize("number", NUMBERS)
def test_wrong_check_digit_is_not_an_ihi(number: str) -> None:
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert ihi.find(wrong) == []


@pytest.mark.parametrize(
    "value",
    [
        "8003611234567893",  # HPI-I prefix: a provider, not a client
        "800360123456789",  # 15 digits
        "80036012345678940",  # 17 digits
        "8003 6012 345 67894",  # wrong grouping
    ],
)
def test_other_numbers_are_not_ihis(value: str) -> None:
    assert ihi.find(value) == []


def test_luhn() -> None:
    assert ihi.luhn_valid("79927398713")
    assert not ihi.luhn_valid("79927398710")
