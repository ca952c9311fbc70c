"""SLK-581 statistical linkage keys (research/peers.md §1.3)."""

from __future__ import annotations

import datetime as dt

import pytest

from peerreport.privacy import scan_text
from peerreport.privacy.detectors import slk

VALID = (
    "MIHOH150319852",  # Smith, John, 15/03/1985, female
    "AR2AN010119901",  # Farr: a missing letter is 2
    "UA2OH311219993",
    "99999010119909",  # both names missing
    "mihoh150319852",  # case-insensitive
    "ONSAR290220001",  # 29 February in a leap year
)


@pytest.mark.parametrize("value", VALID)
def test_valid_slk_is_caught(value: str) -> None:
    text = f"SLK {value} from DEX"
    assert [(d.kind, text[d.start : d.end]) for d in scan_text(text)] == [("slk", value)]


@pytest.mark.parametrize(
    "value",
    [
        "MIHOH310219852",  # 31 February
        "MIHOH150319854",  # sex code 4 does not exist
        "MIHOH150318992",  # born 1899
        f"MIHOH1503{dt.date.today().year + 1}2",  # born next year
        "MIHOH290219011",  # 29 February 1901 (not a leap year)
        "XMIHOH150319852",  # part of a longer token
        "MIHOH1503198521",
        "MIH-OH150319852",
    ],
)
def test_invalid_slk_is_not_caught(value: str) -> None:
    assert slk.find(value) == []


def test_slk_label() -> None:
    (found,) = slk.find("MIHOH150319852")
    assert (found.label, found.masked) == ("an SLK-581 statistical linkage key", "M*************")
