"""ICD-10 chapter V (mental and behavioural disorders) codes, F00–F99.

A code with a decimal part (`F32.1`, `F43.10`, `F10.239`, `F32.A`) is always
flagged. A dot-less or bare code (`F20`, `F200`, `F32`) looks like a room or
form code, so it is flagged only with a context word nearby ("diagnosis",
"dx", "ICD", "code", "DSM").
"""

from __future__ import annotations

import re

from peerreport.privacy.detection import Detection
from peerreport.privacy.detectors._shared import detection, diagnostic_context

KIND = "icd"
LABEL = "an ICD-10 mental health diagnosis code"
TRIGGER = r"[0-9](?<=f[0-9])[0-9]"

_CODE = re.compile(
    r"(?<![\w.])F[0-9]{2}(?P<decimal>\.(?:[0-9][0-9A-Z]{0,3}|A))?(?(decimal)|[0-9X]{0,2})(?!\w)",
    re.IGNORECASE,
)


def find(text: str) -> list[Detection]:
    """Every ICD-10 F code in `text` with a decimal part, or with a context word nearby."""
    return [
        detection(KIND, LABEL, text, m.start(), m.end())
        for m in _CODE.finditer(text)
        if m["decimal"] or diagnostic_context(text, m.start(), m.end())
    ]
