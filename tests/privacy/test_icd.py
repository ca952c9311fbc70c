"""ICD-10 chapter V codes: with a decimal always, bare only with a context word."""

from __future__ import annotations

import pytest

from peerreport.privacy import scan_text
from peerreport.privacy.detectors import icd

CAUGHT = (
    ("F32.1", "F32.1"),
    ("f43.10", "f43.10"),
    ("F10.239 noted", "F10.239"),
    ("F32.A", "F32.A"),
    ("Room 3, F20.0", "F20.0"),
    ("Diagnosis F20", "F20"),
    ("dx F200", "F200"),
    ("ICD-10 code F32", "F32"),
    ("F41 (ICD)", "F41"),
    ("DSM-5 F43.1", "F43.1"),
    ("code: F21X", "F21X"),
    ("diagnosed F60.3", "F60.3"),
)


@pytest.mark.parametrize(("text", "code"), CAUGHT)
def test_icd_code_is_caught(text: str, code: str) -> None:
    found = [d for d in scan_text(text) if d.kind == "icd"]
    assert [text[d.start : d.end] for d in found] == [code]


@pytest.mark.parametrize(
    "text",
    [
        "Room F12",
        "F12",
        "F1",
        "F20 lunch",
        "Floor F2",
        "F12.txt",
        "Room F12, code of conduct",
        "Dress code F12",
        "Room code F12",
        "F123456",
        "XF32.1",
    ],
)
def test_not_an_icd_code(text: str) -> None:
    assert icd.find(text) == []


def test_icd_label() -> None:
    (found,) = icd.find("F32.1")
    assert (found.label, found.masked) == ("an ICD-10 mental health diagnosis code", "F**.*")
