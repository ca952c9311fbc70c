"""Small helpers shared by the detector modules."""

from __future__ import annotations

import re
from collections.abc import Iterable

from peerreport.privacy.detection import Detection, mask

#: How far (in characters) a context word may be from a code it qualifies.
CONTEXT_WINDOW = 40


def detection(kind: str, label: str, text: str, start: int, end: int) -> Detection:
    """A detection of `text[start:end]`, masked."""
    return Detection(kind, label, start, end, mask(text[start:end]))


# "code" is diagnostic context, but not in "dress code", "room code", "code of conduct".
_EVERYDAY_CODES = frozenset(
    {
        "dress", "post", "postal", "zip", "area", "country", "room", "door", "access", "entry",
        "building", "venue", "group", "activity", "session", "booking", "promo", "discount",
        "qr", "bar", "pin", "wifi", "colour", "color", "source", "programme", "program",
        "course", "unit", "product",
    }
)  # fmt: skip
_STRONG_CONTEXT = re.compile(r"\b(?:diagnos|dx\b|icd|dsm|coded\b|coding\b)", re.IGNORECASE)
_CODE = re.compile(r"\bcodes?\b(?![ \t]+of\b)", re.IGNORECASE)
_WORD_BEFORE = re.compile(r"(\w+)[ \t-]*$")


def merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans sorted, with overlapping ones joined: one detection per phrase."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(set(spans)):
        if kept and start < kept[-1][1]:
            kept[-1] = (kept[-1][0], max(end, kept[-1][1]))
            continue
        kept.append((start, end))
    return kept


def diagnostic_context(text: str, start: int, end: int) -> bool:
    """Whether "diagnosis", "dx", "ICD", "DSM" or a diagnostic "code" is near `text[start:end]`."""
    for low, high in ((max(0, start - CONTEXT_WINDOW), start), (end, end + CONTEXT_WINDOW)):
        if _STRONG_CONTEXT.search(text, low, high):
            return True
        for code in _CODE.finditer(text, low, high):
            word = _WORD_BEFORE.search(text, max(0, code.start() - 30), code.start())
            if word is None or word[1].lower() not in _EVERYDAY_CODES:
                return True
    return False


_Trie = dict[str, "_Trie"]


def literal_trie(words: tuple[str, ...]) -> str:
    """A regex matching any of `words` literally, factored by common prefixes.

    ("mania", "manic", "mental") -> "m(?:ani(?:a|c)|ental)". Python's regex engine
    tries the branches of an alternation one by one, so a factored trigger costs
    one branch per first letter instead of one per word.
    """
    root: _Trie = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here
    return _trie_pattern(root)


def _trie_pattern(node: _Trie) -> str:
    branches = [re.escape(ch) + _trie_pattern(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    optional = "" in node
    if len(branches) == 1 and not optional:
        return branches[0]
    return "(?:" + "|".join(branches) + ")" + ("?" if optional else "")
