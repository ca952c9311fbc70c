"""NZ and Australian phone numbers, as people write them.

A number counts only when it is written as a phone number: a leading 0 (or
1300/1800, or +64/+61) and exactly the digit count of a real NZ or AU number.
Spaces, hyphens, dots and brackets may separate digit groups. Years, session
numbers, times ("18:30"), dates ("03-04-2026"), counts and room codes never
start that way or never have that many digits, and are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from peerreport.privacy.detection import Detection
from peerreport.privacy.detectors._shared import detection

KIND = "phone"
LABEL = "a phone number"
_GAP = r"[ .()\u00a0-]{0,4}"
TRIGGER = (
    r"[0-9](?<=[+ \u00a0]6)[14]"
    rf"|[0-9](?<=0)(?:{_GAP}[0-9]){{8}}|[0-9](?<=1)[38]00(?:{_GAP}[0-9]){{6}}"
)
# A '+', a space or a no-break space before a country code, or nine digits or more with
# short gaps (a gap is at most 4 characters, none of them a digit). The nine digits are
# sought only from the first of a run of digits: a text has such nine digits from some
# digit exactly when it has them from the first of that digit's run (the run's digits
# before it count too), and a search from every digit of an id's run of seven cost
# 0.9 µs an id, against 0.5. Both branches start with a character class (the first digit
# is matched before looking back at the one before it), so the regex engine skips to the
# next character that could start either, rather than trying the lookbehind everywhere:
# 0.55 µs an id, against 0.75.
TRIGGER_NEEDS = r"[+ \u00a0]|[0-9](?<![0-9][0-9])(?:[^0-9]{0,4}[0-9]){8}"

# National numbers (digits only, leading 0 or 1300/1800).
_NZ = re.compile(r"0(?:2[012789][0-9]{6,8}|[34679][2-9][0-9]{6}|(?:800|508)[0-9]{6,7})")
_AU = re.compile(r"0(?:4[0-9]{8}|[2378][2-9][0-9]{7})|1[38]00[0-9]{6}")

# A run of digit groups, not glued to a word or to a number before it
# ("2026-0142", "18:05" and "L3-07" do not start a run).
_RUN = re.compile(
    r"(?<![\w+])(?<![0-9][-./:])"
    r"(?P<cc>\+[ \u00a0]?6(?P<country>[14])[ \u00a0.-]{0,2}(?:\(0\)[ \u00a0.-]{0,2})?)?"
    r"(?P<body>\(?[0-9]+(?:(?:\)[ \u00a0.-]{0,2}|[ \u00a0.-]{1,3})[0-9]+)*)"
)
_GROUP = re.compile(r"[0-9]+")
_MOST_DIGITS = 11  # the longest national number: 020 + 8 digits, 0800 + 7
_DATE_AHEAD = re.compile(r"[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{2,4}")
_GLUED_AFTER = re.compile(r"\w|[:/][0-9]")


def _is_number(country: str | None, digits: str) -> bool:
    if country == "4":
        return digits[0] != "0" and _NZ.fullmatch("0" + digits) is not None
    if country == "1":
        return digits[0] != "0" and _AU.fullmatch("0" + digits) is not None
    return _NZ.fullmatch(digits) is not None or _AU.fullmatch(digits) is not None


def _can_start(group: str) -> bool:
    return (len(group) >= 2 and group[0] == "0") or group.startswith(("1300", "1800"))


def _spans(text: str) -> Iterator[tuple[int, int]]:
    for run in _RUN.finditer(text):
        offset = run.start("body")
        groups = [(offset + g.start(), offset + g.end()) for g in _GROUP.finditer(run["body"])]
        if run["cc"] is not None:  # +64 / +61: the number starts at the plus sign
            if used := _longest_number(text, run["country"], groups):
                yield run.start(), groups[used - 1][1]
            continue
        first = 0
        while first < len(groups):  # a run may hold a count, then a number, then another
            used = (
                _longest_number(text, None, groups, first) if _may_start(text, groups, first) else 0
            )
            if not used:
                first += 1
                continue
            start, end = groups[first][0], groups[first + used - 1][1]
            yield (start - 1 if start and text[start - 1] == "(" else start), end
            first += used


def _may_start(text: str, groups: list[tuple[int, int]], first: int) -> bool:
    """Whether a national number may start at digit group `first` of a run."""
    start, end = groups[first]
    if not _can_start(text[start:end]) or _DATE_AHEAD.match(text, start):
        return False
    # Inside a run, only after a space: "2026-0412..." is one longer number.
    return first == 0 or any(ch in " \u00a0" for ch in text[groups[first - 1][1] : start])


def _longest_number(
    text: str, country: str | None, groups: list[tuple[int, int]], first: int = 0
) -> int:
    """How many digit `groups` from `first` on make the longest phone number (0 if none do)."""
    runs: list[str] = []  # the digits of the first 1, 2, 3 ... groups
    for start, end in groups[first : first + _MOST_DIGITS]:
        runs.append((runs[-1] if runs else "") + text[start:end])
        if len(runs[-1]) > _MOST_DIGITS:
            runs.pop()
            break
    for used in range(len(runs), 0, -1):
        end = groups[first + used - 1][1]
        if not _GLUED_AFTER.match(text, end) and _is_number(country, runs[used - 1]):
            return used
    return 0


def find(text: str) -> list[Detection]:
    """Every NZ or Australian phone number in `text`."""
    return [detection(KIND, LABEL, text, start, end) for start, end in _spans(text)]
