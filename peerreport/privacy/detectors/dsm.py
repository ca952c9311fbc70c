"""DSM diagnosis codes that are not ICD-10 F codes.

The DSM-IV / original DSM-5 printed ICD-9-CM codes (290–319 with decimals,
e.g. `296.23`, `309.81`) and psychosocial `V` / `Z` codes (`V62.3`, `Z63.0`).
They look like ordinary decimals, so they are flagged only with a context word
nearby ("DSM", "diagnosis", "dx", "code"), and never when they read as money
or a measurement ("Budget code 300.50", "296.23 km").
"""

from __future__ import annotations

import re

from peerreport.privacy.detection import Detection
from peerreport.privacy.detectors._shared import detection, diagnostic_context

KIND = "dsm"
LABEL = "a DSM diagnosis code"
TRIGGER = r"[0-9](?<=[23])[019][0-9]\.[0-9]|[0-9](?<=[vz][0-9])[0-9]\.[0-9]"
TRIGGER_NEEDS = r"\."  # every code has its decimal point

_CODE = re.compile(
    r"(?<![\w.$€£])(?:(?:29|3[01])[0-9]\.[0-9]{1,2}|[VZ][0-9]{2}\.[0-9]{1,3})(?!\w|[.,][0-9])",
    re.IGNORECASE,
)
_UNIT_AFTER = re.compile(
    r"[ \t]*(?:%|\$|(?:k?m|cm|mm|kms?|kg|g|mg|ml|l|hrs?|hours?|mins?|minutes?|dollars?|nzd|aud)\b)",
    re.IGNORECASE,
)
_MONEY_BEFORE = re.compile(
    r"(?:\$|\b(?:budget|cost|costs|price|spent|paid|amount|total|invoice|nzd|aud))\W*(?:\w+\W+)?$",
    re.IGNORECASE,
)


def _reads_as_quantity(text: str, start: int, end: int) -> bool:
    return (
        _UNIT_AFTER.match(text, end) is not None
        or _MONEY_BEFORE.search(text[max(0, start - 30) : start]) is not None
    )


def find(text: str) -> list[Detection]:
    """Every DSM-style code in `text` with a context word nearby that is not a quantity."""
    return [
        detection(KIND, LABEL, text, m.start(), m.end())
        for m in _CODE.finditer(text)
        if diagnostic_context(text, m.start(), m.end()) and not _reads_as_quantity(text, *m.span())
    ]
