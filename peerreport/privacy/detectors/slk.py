"""SLK-581 statistical linkage keys (Australian DSS / AIHW).

Fourteen characters: five from the family and given names (letters, with `2`
for a missing letter and `9` for a missing name), the date of birth as
DDMMYYYY, and a sex code 1, 2, 3 or 9 (research/peers.md §1.3). A key is
re-identifiable from a name list and a birthday, so it is an identifier.
"""

from __future__ import annotations

import datetime as dt
import re

from peerreport.privacy.detection import Detection
from peerreport.privacy.detectors._shared import detection

KIND = "slk"
LABEL = "an SLK-581 statistical linkage key"
TRIGGER = r"[0-9](?<=[a-z29]{5}[0-9])[0-9]{8}"

_KEY = re.compile(r"(?<!\w)[A-Z29]{5}([0-9]{2})([0-9]{2})([0-9]{4})[1239](?!\w)", re.IGNORECASE)
_EARLIEST_YEAR = 1900


def _is_birth_date(day: str, month: str, year: str) -> bool:
    try:
        born = dt.date(int(year), int(month), int(day))
    except ValueError:
        return False
    return _EARLIEST_YEAR <= born.year <= dt.date.today().year


def find(text: str) -> list[Detection]:
    """Every whole-token SLK-581 in `text` whose date part is a real, plausible birth date."""
    return [
        detection(KIND, LABEL, text, m.start(), m.end())
        for m in _KEY.finditer(text)
        if _is_birth_date(m[1], m[2], m[3])
    ]
