"""Many texts scanned at once (`remember_clear`) find exactly what each scanned alone finds."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from peerreport.privacy import scan
from peerreport.privacy.scan import _joinable, _scan, remember_clear, scan_text
from tests.privacy.ordinary import ENGLISH, TOPICS
from tests.privacy.test_scan import CONTEXT, SECRETS
from tests.privacy.test_trigger_needs import PIECES

# Pieces that make the joined search differ from one text's if anything can: words that
# trigger (names, street types, diagnoses, a birth date's words), separators' neighbours
# (a newline, a text's start and end), and what sits on either side of a digit.
WORDS = ["tui", "kim", "road", "street", "mr ", "dob", "born", "schizo", "adhd", "@", "\n"]
texts = st.one_of(
    st.lists(st.sampled_from([*PIECES, *WORDS]), max_size=10).map("".join),
    st.text(alphabet="0123456789 .-()+,:/@dyvzfabckmortu\n\u00a0", max_size=20),
    st.sampled_from([*ENGLISH, *TOPICS]),
)


@pytest.fixture(autouse=True)
def _forget() -> None:
    """Each test starts with nothing remembered as clear."""
    scan._CLEAR.clear()


def test_the_triggers_can_be_searched_joined() -> None:
    """Every trigger is made of what a joined search finds exactly: otherwise each text
    would be scanned on its own, slowly, with nothing to show for it."""
    assert scan._JOINABLE


@pytest.mark.parametrize(
    "pattern",
    [r"^[0-9]", r"[0-9]$", r"\A7", r"7\Z", r"(a)\1", r"(?>a+)", r"a++", r"7(?![^0-9])",
     r"(?<![a-z\n])7", r"(?<!.)7", r"(a)?(?(1)b|c)"],
)  # fmt: skip
def test_what_a_joined_search_could_miss_is_refused(pattern: str) -> None:
    assert not _joinable(re.compile(pattern))


@pytest.mark.parametrize(
    "pattern",
    [r"(?<![0-9])(?:[0-9][^0-9]{0,4}){9}", r"\bkim\b", r"[0-9](?<=[2-6])[0-9]{3}",
     r"7(?=[0-9]?y)", r"(?:a|b(?:c|d))*7", r"7(?!x)"],
)  # fmt: skip
def test_what_a_joined_search_finds_exactly_is_allowed(pattern: str) -> None:
    assert _joinable(re.compile(pattern))


@settings(max_examples=400, deadline=None)
@given(st.lists(texts, max_size=30))
@example(["021 234 56", "78"])  # a phone number's digits split over two texts
@example(["W-0200249", "ZAA0067", "W-0200250"])  # an NHI in a column of ids
@example(["kim", "Tuesday group"])
@example(["aged", " 52"])
@example(["has", " schizophrenia"])
def test_a_text_is_remembered_clear_exactly_when_it_holds_nothing(batch: list[str]) -> None:
    remember_clear(batch)
    for text in batch:
        assert (text in scan._CLEAR) == (not _scan(text)), text
        assert scan_text(text) == _scan(text)


def test_every_kind_of_identifier_is_found_among_ids() -> None:
    """One identifier of each kind, in its usual words and alone, among a thousand ids."""
    secrets = [CONTEXT.get(kind, "{}").format(value) for kind, value in SECRETS]
    ids = [f"W-{n:07d}" for n in range(1000)]
    batch = ids[:500] + secrets + [value for _, value in SECRETS] + ids[500:]
    remember_clear(batch)
    assert set(ids) <= scan._CLEAR
    for text in secrets:
        assert text not in scan._CLEAR
        assert scan_text(text), text
    for _, value in SECRETS:  # some need their words ("DOB 03/04/1981") to be one
        assert (value in scan._CLEAR) == (not _scan(value)), value


def test_what_is_remembered_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "_CLEAR_LIMIT", 100)
    for start in range(0, 1000, 60):
        remember_clear([f"W-{n:07d}" for n in range(start, start + 60)])
        assert len(scan._CLEAR) <= 100
    assert scan_text("W-0000001") == []  # forgotten, and scanned again when asked


def test_long_texts_are_not_remembered() -> None:
    """Texts longer than `scan_text` remembers are scanned as they come, so what is held
    stays small however large the cells."""
    long = "Tuesday evening group " * 20
    remember_clear([long, "W-0000001"])
    assert {"W-0000001"} == scan._CLEAR
    assert scan_text(long) == []


def test_nothing_is_remembered_when_a_trigger_is_not_joinable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(scan, "_JOINABLE", False)
    remember_clear(["W-0000001", "Tuesday group"])
    assert not scan._CLEAR
    assert scan_text("ZAA0067")


def test_a_match_that_runs_on_into_the_next_text_hides_nothing_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No trigger today can cross five newlines, but one that did (here: from an 'x' to the
    next 'y') must not hide a match that starts in the next text."""
    monkeypatch.setattr(scan, "_WORD_TRIGGERS", re.compile(r"x[^y]*y"))
    assert scan._landed(["x", "aa xy", "b"]) == {0, 1}
    assert scan._landed(["b", "x", "b", "b"]) == set()
