"""NZ National Health Index (NHI) numbers, check character validated.

Old format `AAANNNC` and new format `AAANNAX` (letters exclude I and O), checked
with the HISO 10046 routine (research/nz.md §5.2). A token of NHI shape whose
check character is wrong is most likely a room or product code: not flagged.
"""

from __future__ import annotations

import re

from peerreport.privacy.detection import Detection
from peerreport.privacy.detectors._shared import detection

KIND = "nhi"
LABEL = "an NZ NHI number"
TRIGGER = r"[0-9](?<=[a-hj-np-z]{3}[0-9])[0-9](?:[0-9]{2}|[a-hj-np-z]{2})"

_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, no O: A=1 ... Z=24
_VALUES = {ch: n for n, ch in enumerate(_LETTERS, start=1)} | {str(d): d for d in range(10)}
_WEIGHTS = (7, 6, 5, 4, 3, 2)
_SHAPE = r"[A-HJ-NP-Z]{3}[0-9]{2}(?:[0-9]{2}|[A-HJ-NP-Z]{2})"
_FULL = re.compile(_SHAPE, re.IGNORECASE)
_TOKEN = re.compile(rf"(?<!\w){_SHAPE}(?!\w)", re.IGNORECASE)


def is_valid_nhi(value: str) -> bool:
    """Whether `value` is an NHI number in either format with a correct check character."""
    if _FULL.fullmatch(value) is None:
        return False
    nhi = value.upper()
    total = sum(_VALUES[ch] * weight for ch, weight in zip(nhi, _WEIGHTS, strict=False))
    if nhi[6].isdigit():  # old format: mod 11, remainder 0 has no check digit
        remainder = total % 11
        return remainder != 0 and (11 - remainder) % 10 == int(nhi[6])
    return _VALUES[nhi[6]] == 24 - total % 24  # new format: mod 24, 24 is Z


def find(text: str) -> list[Detection]:
    """Every whole-token NHI number in `text` whose check character is right."""
    return [
        detection(KIND, LABEL, text, m.start(), m.end())
        for m in _TOKEN.finditer(text)
        if is_valid_nhi(m.group())
    ]
