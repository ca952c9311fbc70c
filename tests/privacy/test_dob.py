"""Dates of birth: a date next to "DOB", "born", "birthday"; a plain date is fine."""

from __future__ import annotations

import pytest

from peerreport.privacy import scan_text
from peerreport.privacy.detectors import dob

CAUGHT = (
    ("DOB 03/04/1981", "03/04/1981"),
    ("D.O.B: 3/4/81", "3/4/81"),
    ("d.o.b. 1981-04-03", "1981-04-03"),
    ("date of birth: 1990-01-02", "1990-01-02"),
    ("Date of Birth - 2.1.1990", "2.1.1990"),
    ("born 12 March 1985", "12 March 1985"),
    ("Born on the 12th of March, 1985", "12th of March, 1985"),
    ("born March 12, 1985", "March 12, 1985"),
    ("born in March 1985", "March 1985"),
    ("birthday 12 March", "12 March"),
    ("Birth date 02.01.1990", "02.01.1990"),
    ("birthdate: 2/1/1990", "2/1/1990"),
    ("b. 12/03/1980", "12/03/1980"),
    ("03/04/1981 (DOB)", "03/04/1981"),
    ("Kim, 03/04/1981 dob", "03/04/1981"),
    ("DOB 03/04", "03/04"),
    ("do.b 03/04/1981", "03/04/1981"),
    ("d.ob: 03/04/1981", "03/04/1981"),
    ("Date of birth is 3 April 1981", "3 April 1981"),
)


@pytest.mark.parametrize(("text", "date"), CAUGHT)
def test_date_of_birth_is_caught(text: str, date: str) -> None:
    found = [d for d in scan_text(text) if d.kind != "name"]  # "Kim" is found as a name too
    assert [(d.kind, text[d.start : d.end]) for d in found] == [("dob", date)]


@pytest.mark.parametrize(
    "text",
    [
        "meeting on 03/04/2026",
        "12/08/2026",
        "Session 12 March 2026",
        "Born Free film night 12/08/2026",
        "Rebirth art workshop 12/08/2026",
        "newborn 12/08/2026",
        "Group's birthday celebration on 12/08/2026",
        "born and raised in Rotorua",
        "DOB not recorded",
        "Club b. 12",
    ],
)
def test_plain_dates_are_not_dates_of_birth(text: str) -> None:
    assert dob.find(text) == []


def test_context_word_stays_readable_when_masked() -> None:
    (found,) = dob.find("DOB 03/04/1981")
    assert (found.label, found.masked, found.start) == ("a date of birth", "0*/**/****", 4)
