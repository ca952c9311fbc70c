"""Street addresses: a house number and a street, or where someone lives; venues are fine."""

from __future__ import annotations

import pytest

from peerreport.privacy import scan_text
from peerreport.privacy.detectors import address

CAUGHT = (
    ("Home visit at 12 Main Road", "12 Main Road"),
    ("moved into flat 3/45 Taranaki Street last month", "flat 3/45 Taranaki Street"),
    ("his flat at 2/18 Aro Street", "2/18 Aro Street"),
    ("moved to 14b Smith St", "14b Smith St"),
    ("Unit 4, 10 Rata Street", "Unit 4, 10 Rata Street"),
    ("45 Victoria Street is where she stays", "45 Victoria Street"),
    ("address: 22 Rimu Road, Mangere", "22 Rimu Road"),
    ("lives on Cuba St with flatmates", "Cuba St"),
    ("lives on Karangahape Rd", "Karangahape Rd"),
    ("staying at 7 Te Atatū Road for now", "7 Te Atatū Road"),
)


@pytest.mark.parametrize(("text", "span"), CAUGHT)
def test_address_is_caught(text: str, span: str) -> None:
    found = [d for d in scan_text(text) if d.kind == "address"]
    assert [text[d.start : d.end] for d in found] == [span]


@pytest.mark.parametrize(
    "text",
    [
        "Met at the Cuba Street hub", "Queen Street office", "Cuba Street venue, room 2",
        "Week 3 at Cuba Street", "Session 2 Cuba St", "Level 3, Room 301.2", "PO Box 12",
        "Darwin 0800", "Kowhai Street community house venue", "Lincoln Road venue",
        "the way forward", "a safe place to talk", "18:30 Cuba St", "lives in Kilbirnie",
        "Whānau and carers circle",
    ],
)  # fmt: skip
def test_what_is_not_an_address(text: str) -> None:
    assert address.find(text) == []
