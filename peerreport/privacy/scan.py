"""Run every detector over a text value: the registry of detectors.

Intake calls `scan_text` for every text cell of files with millions of rows,
and nearly every value is ordinary ("Tuesday evening group"). So the
detectors' triggers are joined into a pre-filter, and a value that cannot
hold anything costs a few regex searches; no detector runs. (Intake asks once
per distinct value of a column: `peerreport.intake.columnar`.)
"""

from __future__ import annotations

import functools
import re

from peerreport.privacy.detection import Detection, PrivacyViolation
from peerreport.privacy.detectors import (
    Detector,
    address,
    age,
    diagnosis,
    dob,
    dsm,
    email,
    icd,
    ihi,
    medicare,
    name,
    nhi,
    phone,
    slk,
)

#: Every detector, most specific first: when two detections overlap, the one
#: from the detector earlier in this list wins (a checksum-validated number
#: beats a phone-number shape; a code beats the phrase around it).
DETECTORS: tuple[Detector, ...] = (
    ihi,
    medicare,
    nhi,
    slk,
    email,
    dob,
    icd,
    dsm,
    phone,
    diagnosis,
    address,
    age,
    name,
)
_RANK = {detector.KIND: rank for rank, detector in enumerate(DETECTORS)}


def _union(triggers: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(triggers) if triggers else "(?!)")


# Python's regex engine skips quickly through text only to characters that can
# start a match, and only when every branch of the pattern starts alike. So
# the triggers that start at a digit are searched as one pattern (in effect
# `[0-9](?:...)`, which skips all letters) and the word triggers as another.
# When either matches, each detector runs only if its own trigger matches.
# A trigger with `TRIGGER_NEEDS` is searched on its own, only in a text its cheap
# necessary condition matches (see `peerreport.privacy.detectors`).
def _needs(detector: Detector) -> str:
    return str(getattr(detector, "TRIGGER_NEEDS", ""))


_GATED = tuple(
    (re.compile(_needs(d)), re.compile(d.TRIGGER)) for d in DETECTORS if d.TRIGGER and _needs(d)
)
_UNGATED = [d for d in DETECTORS if d.TRIGGER and not _needs(d)]
_DIGIT_TRIGGERS = _union([d.TRIGGER for d in _UNGATED if d.TRIGGER.startswith("[0-9]")])
_WORD_TRIGGERS = _union([d.TRIGGER for d in _UNGATED if not d.TRIGGER.startswith("[0-9]")])
_TRIGGERS = tuple((re.compile(d.TRIGGER or "(?!)"), d) for d in DETECTORS)


def _triggered(lowered: str) -> bool:
    """Whether any detector's `TRIGGER` matches the lower-cased text (the pre-filter)."""
    if _DIGIT_TRIGGERS.search(lowered) is not None or _WORD_TRIGGERS.search(lowered) is not None:
        return True
    for needs, trigger in _GATED:
        if needs.search(lowered) is not None and trigger.search(lowered) is not None:
            return True
    return False


# Whole-word triggers (`TRIGGER_WORDS`: hundreds of given names, the street
# types) are looked up in a set of the text's words. As regex branches they
# would cost more than every other trigger together, and would spoil the
# skipping above. A word glued to a digit is no word: the member token "tui6"
# is not the name "tui".
_WORDS_OF = {d.KIND: frozenset(getattr(d, "TRIGGER_WORDS", ())) for d in DETECTORS}
_ALL_WORDS: frozenset[str] = frozenset().union(*_WORDS_OF.values())
_WORD = re.compile(r"\b[^\W\d_]+\b")


#: Values up to this long are remembered: the same programme, topic or group name recurs
#: on thousands of rows, and intake checks each cell twice (the reader and the model).
_REMEMBERED_LENGTH = 200


def scan_text(text: str) -> list[Detection]:
    """Every detection in `text`, in order of position; of overlapping ones, the most specific."""
    if len(text) <= _REMEMBERED_LENGTH:
        return list(_scan_remembered(text))
    return _scan(text)


@functools.lru_cache(maxsize=8192)
def _scan_remembered(text: str) -> tuple[Detection, ...]:
    """`_scan` of a short value, kept for the next time (at most 8,192 values, about 2 MB)."""
    return tuple(_scan(text))


def _scan(text: str) -> list[Detection]:
    lowered = text.lower()
    # Plain words and spaces (most values) split as they are; others need the regex.
    plain = lowered.replace(" ", "").isalpha()
    words = _ALL_WORDS.intersection(lowered.split() if plain else _WORD.findall(lowered))
    if not words and not _triggered(lowered):
        return []
    found = [
        d
        for trigger, detector in _TRIGGERS
        if trigger.search(lowered) is not None or not words.isdisjoint(_WORDS_OF[detector.KIND])
        for d in detector.find(text)
    ]
    if len(found) < 2:
        return found
    return _merge(found)


def _merge(found: list[Detection]) -> list[Detection]:
    """Keep the most specific of overlapping detections, then sort by position."""
    kept: list[Detection] = []
    for d in sorted(found, key=lambda d: (_RANK[d.kind], d.start - d.end, d.start)):
        if all(d.end <= k.start or d.start >= k.end for k in kept):
            kept.append(d)
    return sorted(kept, key=lambda d: d.start)


def check_text(text: str) -> None:
    """Raise `PrivacyViolation` if `text` holds an identifier or a diagnosis."""
    found = scan_text(text)
    if found:
        raise PrivacyViolation(found)


def mask_text(text: str) -> str:
    """`text` with every detected span masked (for rejects files and logs)."""
    pieces: list[str] = []
    position = 0
    for d in scan_text(text):
        pieces += [text[position : d.start], d.masked]
        position = d.end
    pieces.append(text[position:])
    return "".join(pieces)
