"""Properties: valid NHIs are always caught; ordinary activity text is never flagged."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from peerreport.privacy import mask, mask_text, scan_text
from tests.privacy.ordinary import ENGLISH, PASIFIKA, PLACES, TE_REO, TOPICS

NHI_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # A=1 ... Z=24, no I or O
DIGITS = "0123456789"


def nhi_check_character(first_six: str) -> str | None:
    """The check character for six NHI characters (HISO 10046), or None if there is none.

    Written independently of peerreport.privacy.detectors.nhi.
    """
    values = [NHI_LETTERS.index(ch) + 1 if ch.isalpha() else int(ch) for ch in first_six]
    total = sum(value * weight for value, weight in zip(values, range(7, 1, -1), strict=True))
    if first_six[5].isdigit():  # old format AAANNNC
        remainder = total % 11
        if remainder == 0:
            return None
        check = 11 - remainder
        return "0" if check == 10 else str(check)
    return NHI_LETTERS[24 - total % 24 - 1]  # new format AAANNAX: 24 is Z


def test_independent_check_agrees_with_documented_vectors() -> None:
    for valid in ("ZAC5361", "ZZZ0024", "JBX3656", "ALU18KZ", "ZVU27KZ", "ZZZ00AX"):
        assert nhi_check_character(valid[:6]) == valid[6]
    assert nhi_check_character("ZZZ004") is None  # ZZZ0044: no check digit possible
    assert nhi_check_character("ZZZ00A") != "Y"


letters = st.sampled_from(NHI_LETTERS)
digits = st.sampled_from(DIGITS)
old_format = st.tuples(letters, letters, letters, digits, digits, digits)
new_format = st.tuples(letters, letters, letters, digits, digits, letters)

word = st.sampled_from(ENGLISH + TE_REO + PASIFIKA + PLACES + TOPICS)
session = st.integers(1, 60).flatmap(
    lambda n: st.sampled_from([f"Session {n}", f"#{n}", f"week {n}", f"session {n} of 8"])
)
room = st.tuples(st.sampled_from("ABCDEFGL"), st.integers(1, 20), st.integers(1, 40)).flatmap(
    lambda t: st.sampled_from([f"Room {t[0]}{t[1]}", f"{t[0]}{t[1]}", f"L{t[1]}-{t[2]:02d}"])
)
year = st.integers(2019, 2030).map(str)
time = st.tuples(st.integers(0, 23), st.sampled_from([0, 15, 30, 45])).map(
    lambda t: f"{t[0]:02d}:{t[1]:02d}"
)
meeting_date = st.tuples(st.integers(1, 28), st.integers(1, 12), st.integers(2019, 2030)).flatmap(
    lambda t: st.sampled_from([f"{t[0]:02d}/{t[1]:02d}/{t[2]}", f"{t[0]}/{t[1]}/{t[2]}"])
)
count = st.integers(1, 60).map(lambda n: f"{n} people")
ordinary_piece = st.one_of(word, word, word, session, room, year, time, meeting_date, count)
separator = st.sampled_from([" ", " ", ", ", "; ", " - ", " / ", ": "])


@st.composite
def ordinary_text(draw: st.DrawFn, max_pieces: int = 8) -> str:
    """A few ordinary pieces joined by everyday separators."""
    pieces: list[str] = draw(st.lists(ordinary_piece, min_size=1, max_size=max_pieces))
    out: str = pieces[0]
    for piece in pieces[1:]:
        out += draw(separator) + piece
    return out


@settings(max_examples=300, deadline=None)
@given(
    first_six=st.one_of(old_format, new_format).map("".join),
    before=ordinary_text(max_pieces=4),
    after=ordinary_text(max_pieces=4),
    opening=st.sampled_from([" ", " NHI ", " (", ": ", "\n"]),
    closing=st.sampled_from([" ", ") ", ". ", ", ", "\n"]),
    lower=st.booleans(),
)
def test_valid_nhi_in_ordinary_text_is_always_caught(
    first_six: str, before: str, after: str, opening: str, closing: str, lower: bool
) -> None:
    check = nhi_check_character(first_six)
    assume(check is not None)
    nhi = first_six + str(check)
    if lower:
        nhi = nhi.lower()
    text = before + opening + nhi + closing + after
    found = [(d.kind, text[d.start : d.end]) for d in scan_text(text)]
    assert ("nhi", nhi) in found


@settings(max_examples=300, deadline=None)
@given(text=ordinary_text())
def test_ordinary_activity_text_is_never_flagged(text: str) -> None:
    assert scan_text(text) == []


IDENTIFIERS = (
    "ZAA0067", "ALU18KZ", "2123 45670 1", "8003601234567894", "MIHOH150319852",
    "kim@example.org", "021 123 4567", "+61 412 345 678", "DOB 03/04/1981", "F32.1",
    "DSM 296.23", "has bipolar disorder", "Kim is psychotic", "diagnosed with ",
)  # fmt: skip
fragment = st.one_of(st.text(max_size=12), st.sampled_from(IDENTIFIERS), ordinary_piece)


@settings(max_examples=300, deadline=None)
@given(text=st.lists(fragment, max_size=8).map("".join))
def test_detections_are_well_formed_on_any_text(text: str) -> None:
    found = scan_text(text)
    for d in found:
        assert 0 <= d.start < d.end <= len(text)
        assert d.masked == mask(text[d.start : d.end])
    for before, after in pairwise(found):
        assert before.end <= after.start
    assert len(mask_text(text)) == len(text)
