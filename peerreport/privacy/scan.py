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
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import Any

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
#: Texts `remember_clear` found to hold nothing, at most this many (then it starts again).
_CLEAR_LIMIT = 65_536
_CLEAR: set[str] = set()


def scan_text(text: str) -> list[Detection]:
    """Every detection in `text`, in order of position; of overlapping ones, the most specific."""
    if text in _CLEAR:
        return []
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


# -- many texts at once ---------------------------------------------------------------------
#
# A column of ids ("W-0200249") holds a new value on every row, so nothing is remembered
# and each value cost a dozen regex calls from Python: at 300,000 activities that was a
# third of reading the file. `remember_clear` scans a batch of texts in a few calls:
# each pattern is searched once over the batch's lower-cased texts joined by `_SEPARATOR`,
# and only the texts a search lands in are scanned one by one (`_scan`). The rest hold
# nothing, exactly as `_scan` would find, because of what the triggers are made of:
#
# - A match within one text is a match in the joined text at the same place: the same
#   characters are there, and what surrounds the text (the separator, other texts) can
#   only let more lookbehinds and lookaheads succeed. That holds for every construct
#   `_joinable` allows; it refuses anchors (`^`, `$`), backreferences, atomic groups and
#   possessive repeats, and a negative lookaround that could match a separator character
#   (which, beside a text, could fail where the end of a string lets it succeed).
# - `\b` sees the separator as it sees the end of a string (neither is a word character),
#   so the words found in the joined text are the words of the texts, none spanning two.
# - A search that lands in one text is started again at the next text, so a match that
#   began in one text and ran on into the next never hides one in the next.
#
# Were a detector's trigger ever to use anything else, `_JOINABLE` is False and each text
# is scanned on its own (tests/privacy/test_scan_many.py checks the triggers stay
# joinable, and compares both ways on arbitrary texts).

#: Between two texts: a newline matches no trigger's characters, and five of them are
#: more than the phone trigger's gap of at most four characters between two digits.
_SEPARATOR = "\n" * 5


def _joinable(pattern: re.Pattern[str]) -> bool:
    """Whether `pattern` finds, in texts joined by `_SEPARATOR`, every match it finds in
    each text on its own (see above)."""
    from re import _constants as c
    from re import _parser

    separator = ord("\n")

    def cannot_match_separator(items: Any) -> bool:
        for op, arg in items:
            if op is c.LITERAL and arg != separator:
                continue
            if op is c.IN and all(
                (kind is c.LITERAL and value != separator)
                or (kind is c.RANGE and not value[0] <= separator <= value[1])
                for kind, value in arg
            ):
                continue
            return False
        return True

    def allowed(items: Any) -> bool:
        for op, arg in items:
            if op is c.AT and arg not in (c.AT_BOUNDARY, c.AT_NON_BOUNDARY):
                return False
            if op in (c.GROUPREF, c.GROUPREF_EXISTS, c.ATOMIC_GROUP, c.POSSESSIVE_REPEAT):
                return False
            if op is c.ASSERT_NOT and not cannot_match_separator(arg[1]):
                return False
            if op is c.ASSERT and not allowed(arg[1]):
                return False
            if op is c.SUBPATTERN and not allowed(arg[3]):
                return False
            if op in (c.MAX_REPEAT, c.MIN_REPEAT) and not allowed(arg[2]):
                return False
            if op is c.BRANCH and not all(allowed(branch) for branch in arg[1]):
                return False
        return True

    return allowed(_parser.parse(pattern.pattern, pattern.flags))


_JOINABLE = all(
    _joinable(p)
    for p in (_DIGIT_TRIGGERS, _WORD_TRIGGERS, _WORD, *(p for pair in _GATED for p in pair))
)


def remember_clear(texts: Sequence[str]) -> None:
    """Scan the short texts of `texts` (`_REMEMBERED_LENGTH`, as `scan_text` remembers) at
    once, so that `scan_text` of each is then a lookup: those that hold nothing are
    remembered (the others, by `scan_text`'s own memory). So what is remembered stays
    small (at most `_CLEAR_LIMIT` texts of 200 characters), whatever the cells hold."""
    if not _JOINABLE:
        return
    texts = [t for t in texts if len(t) <= _REMEMBERED_LENGTH and t not in _CLEAR]
    if not texts:
        return
    if len(_CLEAR) + len(texts) > _CLEAR_LIMIT:
        _CLEAR.clear()
    landed = _landed([t.lower() for t in texts])
    _CLEAR.update(t for i, t in enumerate(texts) if i not in landed or not _scan(t))


def clear_among(texts: Iterable[str]) -> set[str]:
    """Those of `texts` known to hold nothing: found so by `remember_clear` (so `scan_text`
    of each is `[]`), in one set operation rather than a call a text."""
    return _CLEAR.intersection(texts)


def _landed(lowered: list[str]) -> set[int]:
    """The positions of the texts in which a trigger, or a trigger word, may match."""
    starts: list[int] = []
    at = 0
    for text in lowered:
        starts.append(at)
        at += len(text) + len(_SEPARATOR)
    joined = _SEPARATOR.join(lowered)
    landed: set[int] = set()

    def search(pattern: re.Pattern[str]) -> set[int]:
        found: set[int] = set()
        position = 0
        while (match := pattern.search(joined, position)) is not None:
            index = bisect_right(starts, match.start()) - 1
            found.add(index)
            if index + 1 == len(starts):
                break
            position = starts[index + 1]
        return found

    landed |= search(_DIGIT_TRIGGERS)
    landed |= search(_WORD_TRIGGERS)
    for needs, trigger in _GATED:
        landed.update(i for i in search(needs) if trigger.search(lowered[i]) is not None)
    if _ALL_WORDS.intersection(_WORD.findall(joined)):
        landed.update(
            bisect_right(starts, m.start()) - 1
            for m in _WORD.finditer(joined)
            if m.group() in _ALL_WORDS
        )
    return landed
