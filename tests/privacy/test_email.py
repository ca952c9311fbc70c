"""E-mail addresses."""

from __future__ import annotations

import pytest

from peerreport.privacy import scan_text
from peerreport.privacy.detectors import email

VALID = (
    "kim@example.org",
    "kim.smith+peer@mail.example.co.nz",
    "t.ngata@health.govt.nz",
    "Aroha_K@peer-org.org.au",
    "o'brien@example.com",
    "whānau@example.nz",
)


@pytest.mark.parametrize("value", VALID)
def test_email_is_caught(value: str) -> None:
    text = f"Contact ({value})."
    assert [(d.kind, text[d.start : d.end]) for d in scan_text(text)] == [("email", value)]


@pytest.mark.parametrize(
    "text",
    [
        "@peer_network on Instagram",
        "kim@",
        "meet @ the hall",
        "kim@localhost",  # no top-level domain
        "email us at the desk",
    ],
)
def test_not_an_email(text: str) -> None:
    assert email.find(text) == []


def test_email_mask() -> None:
    (found,) = email.find("kim@example.org")
    assert (found.label, found.masked) == ("an e-mail address", "k**@*******.***")
