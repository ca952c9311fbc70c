"""Closed vocabularies, loaded from `vocabularies.toml` (data, not literals in code)."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources


def normalise_token(text: str) -> str:
    """Fold case, spaces, hyphens and underscores so 'Drop-in', 'drop in', 'DROP_IN' match."""
    return re.sub(r"[\s_\-]+", " ", text.strip().casefold()).strip()


@dataclass(frozen=True)
class Term:
    """One member of a vocabulary."""

    code: str
    label: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """A closed list of terms with their labels and accepted spellings."""

    name: str
    title: str
    description: str
    terms: tuple[Term, ...]
    #: The title begins with a proper noun ("Aboriginal ..."), kept capitalised mid-sentence.
    proper_title: bool = False
    _lookup: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    _exact: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for term in self.terms:
            for spelling in (term.code, term.label, *term.synonyms):
                self._lookup.setdefault(normalise_token(spelling), term.code)
                self._exact.setdefault(spelling, term.code)

    @property
    def codes(self) -> tuple[str, ...]:
        """The stored codes, in their documented order."""
        return tuple(t.code for t in self.terms)

    @property
    def title_in_sentence(self) -> str:
        """The title as it reads inside a sentence: 'kind of activity', 'Aboriginal and ...'."""
        if self.proper_title:
            return self.title
        return self.title[:1].lower() + self.title[1:]

    def label(self, code: str) -> str:
        """The label people read for `code`."""
        for term in self.terms:
            if term.code == code:
                return term.label
        raise KeyError(code)

    def resolve(self, text: str) -> str | None:
        """The code for a code, label or synonym, or None if it is not in the vocabulary."""
        exact = self._exact.get(text)  # the common case: the cell holds the code itself
        return exact if exact is not None else self._lookup.get(normalise_token(text))

    def suggest(self, text: str) -> str | None:
        """The closest code or label to a misspelling, for 'did you mean' messages."""
        candidates = list(self._lookup)
        match = difflib.get_close_matches(normalise_token(text), candidates, n=1, cutoff=0.6)
        return self._lookup[match[0]] if match else None


@cache
def vocabularies() -> dict[str, Vocabulary]:
    """All vocabularies, keyed by name (kind, mode, setting, ...)."""
    text = resources.files("peerreport.records").joinpath("vocabularies.toml").read_text("utf-8")
    data = tomllib.loads(text)
    result: dict[str, Vocabulary] = {}
    for name, body in data.items():
        terms = tuple(
            Term(code=t["code"], label=t["label"], synonyms=tuple(t.get("synonyms", ())))
            for t in body["term"]
        )
        result[name] = Vocabulary(
            name=name,
            title=body["title"],
            description=body["description"],
            terms=terms,
            proper_title=bool(body.get("proper_title", False)),
        )
    return result


def vocabulary(name: str) -> Vocabulary:
    """One vocabulary by name."""
    return vocabularies()[name]
