"""A person's age in free text: "aged 52", "a 34-year-old", "34yo", "she is 27", "in her 40s".

An age range of the people a session is for is not a person's age: "ages
18-24", "anyone aged 18 and over", "rangatahi aged 16 to 24", "12-18 year
olds", "people in their 20s". Neither is the age of a group ("the network is
25 years old", "the group turned 21"), a duration ("5 year anniversary",
"Session is 90 minutes") or a count ("is 12 people").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from peerreport.privacy.detection import Detection
from peerreport.privacy.detectors._lexicon import fold, lexicon
from peerreport.privacy.detectors._shared import detection, merged

KIND = "age"
LABEL = "a person's age"
# Every age holds a number right after a word that introduces it ("aged 52",
# "age: 41", "is 27", "was", "turns", "turned", "he's 19", "in her 40s", "will
# be"), after a bracket or comma ("Liam (16)", "son, 12,"), or before a "y"
# ("34yo", "34-year-old", "34 y/o"). A number after any other word ("site 3",
# "tui6") cannot be an age, and costs no detector run.
_BEFORE = ("ge ", "ge:", "ge: ", "ged", "is ", "as ", "ns ", "ed ", "'s ", "’s ", "er ", "ir ")
TRIGGER = (
    "[0-9](?:"
    + "|".join(f"(?<={re.escape(b)}[0-9])" for b in _BEFORE)
    + r"|(?<=my [0-9])|(?<=ng [0-9])|(?<=be [0-9])|(?<=\([0-9])|(?<=\( [0-9])|(?<=,[0-9])"
    r"|(?<=, [0-9])|(?=[0-9]?[ -]?y))"
)

# Every branch of the trigger looks back to a space, ':', "ged" (aged), '(' or ',' just
# before the digit, or ahead to a 'y': a text with none of them cannot match it. ("ged"
# with its digit, not any 'd': a third of a drop-in centre's ids, "D-0000002", hold one.)
TRIGGER_NEEDS = r"[ :(,y]|ged[0-9]"

_NUMBER = r"(?P<n>(?<![0-9])[0-9]{1,3}(?![0-9.,/:]?[0-9]))"
# What follows a number that is the bound of a range, not one age.
_RANGE = r"\s*(?:[-–+]|to\b|and\b|or\b|plus\b|&|years?\s+and\b|yrs?\s+and\b)"
_AGED = re.compile(rf"\b(?:aged|age)\s*[:=]?\s*{_NUMBER}(?!{_RANGE})", re.IGNORECASE)
_YEAR_OLD = re.compile(
    rf"{_NUMBER}\s*[- ]?\s*(?:years?|yrs?)\s*[- ]?\s*(?:old|young)(?![^\W\d_])",
    re.IGNORECASE,
)
_YO = re.compile(rf"{_NUMBER}\s?(?:yo|y\.o\.?|y/o)(?![^\W\d_])", re.IGNORECASE)
_DECADE = re.compile(
    r"\bin\s+(?:his|her|their|my)\s+(?:early\s+|mid[- ]?|late\s+)?"
    r"(?P<n>[1-9]0'?s)(?![^\W\d_])",
    re.IGNORECASE,
)
# "<person> is 27", "he's 19", "Tama turned 40": the number after a person and a verb.
_IS = re.compile(
    rf"(?<!\w)(?P<subject>[^\W\d_]+)(?:\s+(?:is|was|turned|turns|turning|just\s+turned|will\s+be)\s+"
    rf"|['’]s\s+){_NUMBER}"
    r"(?:\s*(?:years?|yrs?)(?:\s+old)?)?(?=\s*(?:$|[.,;:!?)–-]|(?:and|but|now|today|this|next"
    r"|last|on|in|so|with|yesterday|soon)\b))",
    re.IGNORECASE,
)
# "Grandson (7)", "son, 12, came": a person, then a number in brackets or commas
# (a comma and a space: "in_person,31," is a line of a CSV file).
_BESIDE = re.compile(rf"(?<!\w)(?P<subject>[^\W\d_]+)(?:\s*\(\s*|\s*,\s+){_NUMBER}\s*[),]")
# "turned 50 last week": a sentence that leaves its person out.
_TURNED = re.compile(
    rf"(?:^|[.!?;\n]\s*)(?:just\s+)?(?:turned|turns|turning)\s+{_NUMBER}"
    r"(?=\s*(?:$|[.,;:!?)–-]|(?:and|but|now|today|this|next|last|on|in|so|with|yesterday"
    r"|soon)\b))",
    re.IGNORECASE,
)
_PERSONS = frozenset(
    {
        "he", "she", "they", "client", "member", "participant", "attendee", "person", "son",
        "daughter", "mum", "mom", "dad", "mother", "father", "husband", "wife", "partner",
        "brother", "sister", "friend", "nephew", "niece", "grandson", "granddaughter", "boy",
        "girl", "man", "woman", "guy", "peer", "whaiora", "tamaiti", "koro", "kuia", "nan", "nana",
        "baby", "child", "kid"
    }
)  # fmt: skip
# People, not one person: "anyone aged 18", "participants aged 52 and over".
_POPULATION = re.compile(
    r"\b(?:people|those|anyone|everyone|youth|adults|rangatahi|tamariki|members"
    r"|participants|attendees|children|kids|students|women|men|persons|clients|peers"
    r"|whānau|whanau|ages|for|all|between|over|under)\W*$",
    re.IGNORECASE,
)
# Things that have an age too: "the network is 25 years old", "a 5-year-old programme".
_BODIES = (
    r"group|network|collective|service|programme|program|organisation|organization|trust"
    r"|centre|center|club|charity|society|rōpū|ropu|kaupapa|building|hall|whare|house"
    r"|marae|event|course|project|partnership|hub|team"
)
_BODY_BEFORE = re.compile(
    rf"\b(?:{_BODIES})\s+(?:is|was|turns|turned|turning|will\s+be|has\s+been|is\s+now)"
    r"\s+(?:now\s+|nearly\s+|almost\s+|over\s+)?$",
    re.IGNORECASE,
)
_BODY_AFTER = re.compile(rf"\s+(?:{_BODIES})\b", re.IGNORECASE)


def _is_person(subject: str) -> bool:
    key = fold(subject)
    if key in _PERSONS:
        return True
    lex = lexicon()
    return subject[0].isupper() and key in lex.given_names and key not in lex.not_names


def _spans(text: str) -> Iterator[tuple[int, int]]:
    for m in _AGED.finditer(text):
        if _POPULATION.search(text, 0, m.start()) is None:
            yield m.span()
    for pattern in (_YEAR_OLD, _YO):
        for m in pattern.finditer(text):
            before = text[max(0, m.start() - 40) : m.start()]
            if (
                _BODY_BEFORE.search(before) is None
                and _BODY_AFTER.match(text, m.end()) is None
                and _POPULATION.search(before) is None
            ):
                yield m.span()
    for m in _DECADE.finditer(text):
        if _POPULATION.search(text, 0, m.start()) is None:
            yield m.span("n")
    for pattern in (_IS, _BESIDE):
        for m in pattern.finditer(text):
            if _is_person(m["subject"]):
                yield m.span("n")
    for m in _TURNED.finditer(text):
        yield m.span("n")


def find(text: str) -> list[Detection]:
    """Every age of a person in `text`."""
    # Overlapping spans ("Aunty Mere": a title and a name) are one detection.
    return [detection(KIND, LABEL, text, start, end) for start, end in merged(_spans(text))]
