"""DSM codes that are not F codes: ICD-9-CM style and V/Z codes, only with context."""

from __future__ import annotations

import pytest

from peerreport.privacy import scan_text
from peerreport.privacy.detectors import dsm

CAUGHT = (
    ("DSM 296.23", "296.23"),
    ("dx 309.81", "309.81"),
    ("Diagnosis: 300.02", "300.02"),
    ("code V62.3", "V62.3"),
    ("DSM-5 Z63.0", "Z63.0"),
    ("Z63.0 (DSM)", "Z63.0"),
    ("diagnosed 295.70 last year", "295.70"),
    ("ICD-9 311.0", "311.0"),
)


@pytest.mark.parametrize(("text", "code"), CAUGHT)
def test_dsm_code_is_caught(text: str, code: str) -> None:
    assert [(d.kind, text[d.start : d.end]) for d in scan_text(text)] == [("dsm", code)]


@pytest.mark.parametrize(
    "text",
    [
        "Budget 300.50",
        "296.23 km",
        "Z63.0",
        "296.23",
        "Level 3, Room 301.2",
        "Budget code 300.50",
        "code 296.23 km",
        "code 310.5 kg",
        "DSM $300.50",
        "dx 350.12",  # outside 290-319
        "code 1296.23",
    ],
)
def test_not_a_dsm_code(text: str) -> None:
    assert dsm.find(text) == []


def test_dsm_label() -> None:
    (found,) = dsm.find("DSM 296.23")
    assert (found.label, found.masked) == ("a DSM diagnosis code", "2**.**")
