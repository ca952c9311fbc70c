"""Dates of birth in free text: a date right next to "DOB", "born", "birthday" and the like.

A date on its own ("meeting on 03/04/2026") is an activity date and is fine;
only a date that the text itself says is a birth date is flagged. The span
is the date; the context word is left readable in masked text.
"""

from __future__ import annotations

import re

from peerreport.privacy.detection import Detection
from peerreport.privacy.detectors._shared import detection, literal_trie

KIND = "dob"
LABEL = "a date of birth"
TRIGGER = literal_trie(("dob", "d.o.b", "d.ob", "do.b", "birth", "born", "b."))

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?"
_DATE = (
    r"(?:[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}"  # 03/04/1981, 3.4.81
    r"|[0-9]{4}[/.-][0-9]{1,2}[/.-][0-9]{1,2}"  # 1990-01-02
    r"|[0-9]{1,2}/[0-9]{1,2}"  # 03/04 (a birthday without the year)
    rf"|{_DAY}[ ]+(?:of[ ]+)?{_MONTH}(?:,?[ ]+[0-9]{{4}})?"  # 12 March 1985, 12th of March
    rf"|{_MONTH}[ ]+{_DAY}(?:,?[ ]+[0-9]{{4}})?"  # March 12, 1985
    rf"|{_MONTH},?[ ]+[0-9]{{4}})"  # March 1985
    r"(?![0-9])"
)
_CONTEXT = (
    r"(?:\bd\.?o\.?b\b\.?|\bdate[ ]+of[ ]+birth\b|\bbirth[ ]?date\b|\bbirthday\b|\bborn\b"
    r"|(?-i:(?<![\w.])b\.))"
)
_GAP = r"[ \t:=,(\-–—]*(?:(?:is|was|on|in|the|of)[ \t:]+){0,2}"
_CONTEXT_THEN_DATE = re.compile(rf"{_CONTEXT}{_GAP}(?P<date>{_DATE})", re.IGNORECASE)
_DATE_THEN_TAG = re.compile(
    rf"(?<![\w/.-])(?P<date>{_DATE})[ \t,]*[(\[]?[ \t]*(?:d\.?o\.?b\b|date[ ]+of[ ]+birth\b)",
    re.IGNORECASE,
)


def find(text: str) -> list[Detection]:
    """Every date in `text` that sits next to a date-of-birth context word."""
    spans = {
        m.span("date")
        for pattern in (_CONTEXT_THEN_DATE, _DATE_THEN_TAG)
        for m in pattern.finditer(text)
    }
    return [detection(KIND, LABEL, text, start, end) for start, end in sorted(spans)]
