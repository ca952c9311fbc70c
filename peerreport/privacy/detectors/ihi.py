"""Australian Individual Healthcare Identifiers (IHI).

Sixteen digits starting 800360, the last a Luhn check digit; written plain or
in groups of four separated by spaces or hyphens (research/rules-sdc.md §4.4).
"""

from __future__ import annotations

import re

from peerreport.privacy.detection import Detection
from peerreport.privacy.detectors._shared import detection

KIND = "ihi"
LABEL = "an Australian IHI number"
TRIGGER = r"[0-9](?<=8)003[ -]?60"

_NUMBER = re.compile(r"(?<![\w.])8003([ -]?)60[0-9]{2}\1[0-9]{4}\1[0-9]{4}(?!\w|[.,][0-9])")


def luhn_valid(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn (mod 10) check."""
    total = 0
    for position, ch in enumerate(reversed(digits)):
        value = int(ch)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def find(text: str) -> list[Detection]:
    """Every IHI in `text` that passes the Luhn check."""
    return [
        detection(KIND, LABEL, text, m.start(), m.end())
        for m in _NUMBER.finditer(text)
        if luhn_valid(re.sub(r"[ -]", "", m.group()))
    ]
