"""Personal names: titles and surnames, listed given names used for a person, telling verbs.

The corpus (`corpus/names.tsv`, `test_name_corpus.py`) measures precision and
recall; these tests pin each rule and the exact span that is masked.
"""

from __future__ import annotations

import pytest

from peerreport.privacy import check_text, mask_text, scan_text
from peerreport.privacy.detection import PrivacyViolation
from peerreport.privacy.detectors import name
from peerreport.privacy.detectors._lexicon import fold, lexicon

CAUGHT = (
    # A title with a surname, initials or particles.
    ("Mr T. Walker's medication changed", "Mr T. Walker"),
    ("Mrs Smith brought scones", "Mrs Smith"),
    ("Dr Lee came to talk about sleep", "Dr Lee"),
    ("Dr. Patel's referral came through", "Dr. Patel"),
    ("Mrs O'Connor asked about transport", "Mrs O'Connor"),
    ("Mr van der Berg rang", "Mr van der Berg"),
    ("Mrs W. rang again", "Mrs W."),
    ("Aunty Mere shared her story", "Aunty Mere"),
    ("Whaea Ngaire opened with a karakia", "Whaea Ngaire"),
    # A listed given name, written with a capital.
    ("Catch-up with Hemi about the roster", "Hemi"),
    ("Session with Sione", "Sione"),
    ("Kiri-Ana brought her guitar", "Kiri-Ana"),
    ("James Cooper came for the first time", "James"),
    ("Grace Walker joined the group", "Grace Walker"),
    # A name that is also a word, used for a person.
    ("Aroha led the session tonight", "Aroha"),
    ("Tama said he felt better", "Tama"),
    ("Tui was upset after the call", "Tui"),
    ("Tūī and Kahurangi ran the art table", "Tūī"),
    ("Ruby's sister came too", "Ruby"),
    ("Thanked Aroha for the karakia", "Aroha"),
    ("Spoke with Ngaio about her housing", "Ngaio"),
    ("Faith and Rawiri cooked lunch", "Faith"),
    ("Ioane is 45", "Ioane"),
    # An unlisted name with a verb of speech, or owning a relative or a medication.
    ("Zephyrine said she wants to try the art group", "Zephyrine"),
    ("Zephyrine Smith said she would come", "Zephyrine Smith"),
    ("Walker's medication changed again", "Walker"),
    # A listed name in lower case, with a verb.
    ("sione came to group again", "sione"),
)


@pytest.mark.parametrize(("text", "span"), CAUGHT)
def test_name_is_caught(text: str, span: str) -> None:
    spans = [text[d.start : d.end] for d in name.find(text)]
    assert span in spans


@pytest.mark.parametrize(
    "text",
    [
        # Te reo and Pasifika words used as words.
        "Aroha was the theme of tonight's kōrero", "Aroha and manaakitanga are our values",
        "Session on mana and wairua", "Lots of aroha in the room tonight", "Aroha mai, we ran late",
        "Aroha's a big part of what we do", "Alofa and fa'afetai", "Talofa and welcome",
        # Groups, networks, programmes, places, buildings and rooms.
        "Aroha Peer Collective monthly hui", "Whānau Ora group met at the marae",
        "Hearing Voices Network approach", "Te Aroha youth group", "St John's church hall",
        "Mt Albert community centre", "Hope Street drop-in", "Mary Potter Hospice stall",
        "Ronald McDonald House visit", "Mary's Kitchen lunch outing", "Tui room booked",
        "Huia ward visit", "Grace Church hall", "Hoani Waititi Marae", "Victoria Park walk",
        "Emily Place car park is closed", "Hunter Valley retreat", "Nelson peer group",
        # Words, months and roles.
        "Hope and belonging", "May session cancelled", "Will meet again next week",
        "Mark attendance in the register", "no activities are recorded in August 2026",
        "is the log for August 2026 missing?", "Staff said the room was too cold",
        "Everyone said the new time works", "Put shared options in decorators", "Help wanted",
        "Koro shared a kōrero", "Dr appointment reminders", "Father's Day BBQ",
        # Member tokens and codes.
        "kereru7; tui42", "tui6; huia2; kotuku9",
    ],
)  # fmt: skip
def test_word_not_used_for_a_person_is_not_caught(text: str) -> None:
    assert name.find(text) == []


def test_message_masks_the_name() -> None:
    with pytest.raises(PrivacyViolation) as raised:
        check_text("Aroha led the session tonight")
    assert str(raised.value).startswith("looks like a person's name (A****)")
    assert mask_text("Mr T. Walker's medication changed") == "M* *. ******'s medication changed"


def test_every_listed_name_is_found_through_the_pre_filter() -> None:
    lex = lexicon()
    for given in sorted(lex.given_names):
        text = f"{given.capitalize()} said she would come back"
        assert [d.kind for d in scan_text(text)] == ["name"], text


def test_macrons_are_matched_either_way() -> None:
    for text in ("Tūī said hello", "Tui said hello", "Tāne said hello", "Tane said hello"):
        assert [d.kind for d in scan_text(text)] == ["name"], text


def test_lists_are_folded_and_word_names_are_words() -> None:
    lex = lexicon()
    assert fold("Tūī’s") == "tui's"
    for word_name in ("aroha", "moana", "tui", "hope", "grace", "mana", "alofa"):
        assert word_name in lex.given_names and lex.is_word_name(word_name)
    for plain in ("hemi", "sione", "olivia", "mohammed"):
        assert plain in lex.given_names and not lex.is_word_name(plain)
    # Nothing in the lists is written with a macron or in capitals: lookups fold.
    for entries in (lex.given_names, lex.words, lex.places, lex.not_names, lex.titles):
        assert all(entry == fold(entry) for entry in entries)


def test_no_label_or_description_of_a_shipped_rule_file_is_taken_for_a_name() -> None:
    # Everything in a rule file ends up in the bundle that `audit scan` checks.
    import tomllib
    from pathlib import Path

    def strings(value: object) -> list[str]:
        if isinstance(value, dict):
            return [s for v in value.values() for s in strings(v)]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return [value] if isinstance(value, str) else []

    rules = Path(__file__).resolve().parents[2] / "rules"
    found = [
        (path.name, text)
        for path in sorted(rules.glob("*.toml"))
        for text in strings(tomllib.loads(path.read_text("utf-8")))
        if scan_text(text)
    ]
    assert found == []
