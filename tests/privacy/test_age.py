"""A person's age, and the age ranges, durations and counts that are not one."""

from __future__ import annotations

import pytest

from peerreport.privacy import scan_text
from peerreport.privacy.detectors import age

CAUGHT = (
    ("new member aged 52 came along", "aged 52"),
    ("Age: 41", "Age: 41"),
    ("two new people, one aged 70", "aged 70"),
    ("a 34-year-old man dropped in", "34-year-old"),
    ("A 61 year old woman came in", "61 year old"),
    ("58 years young and loving it", "58 years young"),
    ("19yo joined the youth group", "19yo"),
    ("42 y/o new member", "42 y/o"),
    ("she is 27 and lives with her nan", "27"),
    ("He turns 60 next week", "60"),
    ("his mum is 80 and unwell", "80"),
    ("he's 19, studying at polytech", "19"),
    ("Wiremu is 34 and new", "34"),
    ("in her 40s, first time at a peer group", "40s"),
    ("Grandson (7) came along", "7"),
    ("her son, 12, came too", "12"),
    ("turned 50 last week, she's thrilled", "50"),
)


@pytest.mark.parametrize(("text", "span"), CAUGHT)
def test_age_is_caught(text: str, span: str) -> None:
    assert [(d.kind, text[d.start : d.end]) for d in scan_text(text) if d.kind == "age"] == [
        ("age", span)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Ages 18-24 welcome", "Open to anyone aged 18 and over", "Rangatahi aged 16 to 24",
        "Youth group for 12-18 year olds", "Peer support for people in their 20s and 30s",
        "aged 65+", "The network is 25 years old", "Group is 10 years old this month",
        "The group turned 21 this year", "a 5-year-old programme", "5 year anniversary",
        "Session is 90 minutes", "she is 12 people short", "12 people attended, 3 new",
        "Room 3, Level 2", "Session 4 of 8", "Age group 25-44", "aged care liaison",
        "TEST01,group_attendance,mode,in_person,31,exact,31,,", "Youth peer support (site 3)",
        "tui6; kereru7", "average 34", "page 34",
    ],
)  # fmt: skip
def test_what_is_not_a_persons_age(text: str) -> None:
    assert age.find(text) == []
