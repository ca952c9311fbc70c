"""E-mail addresses."""

from __future__ import annotations

import re

from peerreport.privacy.detection import Detection
from peerreport.privacy.detectors._shared import detection

KIND = "email"
LABEL = "an e-mail address"
TRIGGER = "@"

# Local part: dot-separated atoms; domain: dot-separated labels ending in a
# top-level domain of letters. Each label ends at a dot, so no backtracking blow-up.
_ADDRESS = re.compile(
    r"(?<![\w.%+'-])[\w%+'-]+(?:\.[\w%+'-]+)*"
    r"@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}(?![\w-])"
)


def find(text: str) -> list[Detection]:
    """Every e-mail address in `text`."""
    return [detection(KIND, LABEL, text, m.start(), m.end()) for m in _ADDRESS.finditer(text)]
