"""The word lists of the name, age and address detectors, read once from `names.toml`.

The lists are data, not code: `names.toml` says how they were assembled and
how to add to them. Every entry is kept in the form `fold` gives it, so a
lookup ignores case, macrons and the shape of an apostrophe.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources


@lru_cache(maxsize=1 << 16)  # the same few thousand words come again and again
def fold(word: str) -> str:
    """`word` lower-cased, without macrons or other accents, with a plain apostrophe."""
    decomposed = unicodedata.normalize("NFD", word.replace("’", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


@dataclass(frozen=True)
class Lexicon:
    """What the detectors know about words (every entry folded)."""

    given_names: frozenset[str]
    words: frozenset[str]  # everyday te reo, Pasifika and English words
    places: frozenset[str]
    organisation_words: frozenset[str]
    place_prefixes: frozenset[str]
    not_names: frozenset[str]
    titles: frozenset[str]

    def is_word_name(self, key: str) -> bool:
        """Whether a given name is also a word or a place ("aroha", "hope", "nelson")."""
        return key in self.words or key in self.places

    def is_known(self, key: str) -> bool:
        """Whether `key` is in any list: a word the text may use without naming anyone."""
        return (
            key in self.given_names
            or key in self.words
            or key in self.places
            or key in self.organisation_words
            or key in self.not_names
            or key in self.titles
        )


def _set(entries: list[str]) -> frozenset[str]:
    return frozenset(fold(entry) for entry in entries)


@cache
def lexicon() -> Lexicon:
    """The word lists, read from the package's `names.toml`."""
    text = resources.files("peerreport.privacy.detectors").joinpath("names.toml").read_text("utf-8")
    data = tomllib.loads(text)
    context = data["context"]
    return Lexicon(
        given_names=_set([n for names in data["given_names"].values() for n in names]),
        words=_set([w for words in data["words"].values() for w in words]),
        places=_set(data["places"]["names"]),
        organisation_words=_set(context["organisation_words"]),
        place_prefixes=_set(context["place_prefixes"]),
        not_names=_set(context["not_names"]),
        titles=_set(context["titles"]),
    )
