"""Street addresses in free text: "12 Main Road", "flat 3/45 Cuba Street", "lives on Cuba St".

Two shapes are flagged:

- a house number before a street name and a street type ("12 Main Road",
  "3/45 Taranaki Street", "flat 2, 18 Aro St"), wherever it stands:
  peerreport cannot tell a venue's address from a home's, and a session's
  venue belongs in `setting`, not in a street address;
- a street, with or without a number, after words that say someone lives
  there ("lives on Cuba St", "staying at Karangahape Rd", "his flat on
  Aro Street").

A street named on its own is a venue or a landmark and is accepted: "Met at
the Cuba Street hub", "Queen Street office", "Week 3 at Cuba Street". So is a
post office box ("PO Box 12") and a room or level ("Level 3, Room 301").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from peerreport.privacy.detection import Detection
from peerreport.privacy.detectors._shared import detection, merged

KIND = "address"
LABEL = "a street address"

STREET_TYPES = (
    "street", "st", "road", "rd", "avenue", "ave", "drive", "dr", "lane", "ln", "place",
    "pl", "terrace", "tce", "crescent", "cres", "cr", "way", "grove", "gr", "close", "cl",
    "court", "ct", "parade", "pde", "highway", "hwy", "boulevard", "blvd", "quay",
    "esplanade", "esp", "rise", "mews", "square", "sq", "circuit", "cct",
    "glade", "row", "track", "heights", "hts", "promenade", "view", "vale", "loop",
)  # fmt: skip
# Every address names a street type ("st", "road", ...): the scan pre-filter.
TRIGGER_WORDS = frozenset(STREET_TYPES)
TRIGGER = ""

_TYPE = "(?i:" + "|".join(sorted(STREET_TYPES, key=len, reverse=True)) + r")\b\.?"
# One to three words of a street name, each capitalised ("Main", "Te Atatū", "St Albans").
_NAME = r"(?:(?:[A-ZĀĒĪŌŪ][^\W\d_'’-]*(?:['’-][^\W\d_]+)*|Te|St\.?)[ \t]+){1,3}"
_NUMBER = r"[0-9]{1,5}[A-Za-z]?(?:[ \t]*/[ \t]*[0-9]{1,5}[A-Za-z]?)?"
_UNIT = r"(?:(?i:flat|unit|apartment|apt|f|u)\.?[ \t]*[0-9]{1,4}[A-Za-z]?[ \t]*[,/]?[ \t]*)?"
_NUMBERED = re.compile(
    rf"(?<![\w/.:-])(?P<address>{_UNIT}{_NUMBER},?[ \t]+{_NAME}{_TYPE})(?![^\W\d_])"
)
_LIVES = re.compile(
    r"\b(?i:lives?|living|lived|stays?|staying|stayed|resides?|residing"
    r"|(?:his|her|their|my|your)[ \t]+(?:home|house|flat|place|address))\b"
    r"(?:[ \t]+(?i:is|was))?(?:[ \t]+(?i:on|at|in|off|near))?"
    r"(?:[ \t]+(?i:the))?(?:[ \t]+(?i:corner[ \t]+of))?[ \t]+"
    rf"(?P<address>{_NAME}{_TYPE})(?![^\W\d_])"
)
# Words before a number that make it a count, not a house number: "Week 3 Queen Street".
_COUNTERS = re.compile(
    r"\b(?:session|sessions|week|weeks|room|level|group|groups|part|module|step|term|no"
    r"|number|ward|bed|floor|suite|box|q|quarter|year|day|days|of|about|around|over"
    r"|#)\W*$",
    re.IGNORECASE,
)


def _spans(text: str) -> Iterator[tuple[int, int]]:
    for m in _NUMBERED.finditer(text):
        if _COUNTERS.search(text, 0, m.start()) is None:
            yield m.span("address")
    for m in _LIVES.finditer(text):
        yield m.span("address")


def find(text: str) -> list[Detection]:
    """Every street address in `text`."""
    # Overlapping spans ("Aunty Mere": a title and a name) are one detection.
    return [detection(KIND, LABEL, text, start, end) for start, end in merged(_spans(text))]
