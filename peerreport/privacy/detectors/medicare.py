"""Australian Medicare card numbers, check digit validated.

Ten digits (the first 2–6; digit 9 is the check digit, digit 10 the card issue
number), optionally an 11th digit (the individual reference number). Written
plain or in the 4-5-1 grouping of the card, with spaces or hyphens
(research/rules-sdc.md §4.4).
"""

from __future__ import annotations

import re

from peerreport.privacy.detection import Detection
from peerreport.privacy.detectors._shared import detection

KIND = "medicare"
LABEL = "an Australian Medicare number"
TRIGGER = r"[0-9](?<=[2-6])[0-9]{3}[ -]?[0-9]{5}"

_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9)
_NUMBER = re.compile(
    r"(?<![\w.])([2-6][0-9]{3})([ -]?)([0-9]{5})\2([0-9])(?:[ /-]?[1-9])?(?!\w|[.,][0-9])"
)


def is_valid_medicare(digits: str) -> bool:
    """Whether a string of 10 or 11 digits is a Medicare number with a correct check digit."""
    if len(digits) not in (10, 11) or not digits.isascii() or not digits.isdigit():
        return False
    if digits[0] not in "23456":
        return False
    total = sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=False))
    return total % 10 == int(digits[8])


def find(text: str) -> list[Detection]:
    """Every Medicare number in `text` whose check digit is right."""
    return [
        detection(KIND, LABEL, text, m.start(), m.end())
        for m in _NUMBER.finditer(text)
        if is_valid_medicare(m[1] + m[3] + m[4])
    ]
