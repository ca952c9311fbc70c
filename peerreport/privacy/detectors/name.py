"""Personal names in free text: "Aroha led the session tonight", "Mr T. Walker's medication".

A name is found in three ways:

- a title or kin title with a name or an initial: "Mr T. Walker", "Mrs Smith",
  "Dr Lee", "Aunty Mere", "Whaea Ngaire", "Mrs W.";
- a given name from the curated list in `names.toml` (common names in
  Aotearoa and Australia, Māori and Pasifika names among them), written with
  a capital: "Sione and Tavita set up the hall", "Catch-up with Hemi";
- any other capitalised word that a verb of speech or feeling follows
  ("Zephyrine said ...") or that owns a relative, a home or a medication
  ("Walker's medication changed").

Many names are also words: "aroha" is love, "moana" the sea, "tūī" a bird,
"Hope" and "Grace" are English words, "Nelson" is a city. Such a name is
flagged only where the text uses it for a person: a verb follows ("Aroha led
the session"), it owns something ("Ruby's sister"), a verb or "with" comes
before it ("Thanked Aroha", "Spoke with Ngaio"), a surname follows ("Grace
Walker"), or it is joined by "and" to another name ("Faith and Rawiri
cooked"). Written in lower case, or inside the name of a group, place,
building or programme, it is a word: "aroha and manaakitanga", "Aroha Peer
Collective", "Whānau Ora group", "Hope Street", "Tui room", "Te Aroha", "St
John's", "Mary Potter Hospice".

A street name on its own is a venue, not a person ("Met at the Cuba Street
hub"); a street where someone lives, or with a house number, is the address
detector's. Precise rather than paranoid: an unlisted name with no title and
no telling verb ("Catch-up with Zephyrine") is not found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from peerreport.privacy.detection import Detection
from peerreport.privacy.detectors._lexicon import Lexicon, fold, lexicon
from peerreport.privacy.detectors._shared import detection, merged

KIND = "name"
LABEL = "a person's name"

# Verbs that say a person did something, after a name: "Aroha led", "Tama said".
_DOING = frozenset(
    {
        "said", "says", "told", "tells", "shared", "shares", "led", "leads", "ran", "runs",
        "facilitated", "facilitates", "co-facilitated", "cofacilitated", "hosted", "came", "comes",
        "attended", "attends", "joined", "joins", "left", "asked", "asks", "talked", "talks",
        "spoke", "speaks", "mentioned", "disclosed", "cried", "called", "rang", "phoned", "texted",
        "emailed", "messaged", "wants", "wanted", "needs", "needed", "felt", "feels", "seemed",
        "seems", "arrived", "brought", "brings", "helped", "helps", "struggled", "struggles",
        "missed", "misses", "got", "went", "goes", "did", "drove", "cooked", "made", "opened",
        "closed", "gave", "gives", "played", "sang", "wrote", "organised", "organized", "set",
        "dropped", "picked", "took", "takes", "baked", "bought", "volunteered", "returned",
        "started", "finished", "coming", "attending", "struggling", "feeling", "going", "leading",
        "helping", "volunteering", "doing", "sharing", "bringing"
    }
)  # fmt: skip
# How a person was, after "is", "was", "seemed" ...: "Tui was upset".
_STATES = frozenset(
    {
        "upset", "unwell", "sick", "sad", "angry", "late", "absent", "away", "distressed", "tired",
        "anxious", "teary", "withdrawn", "admitted", "discharged", "hospitalised", "hospitalized",
        "crying", "drunk", "homeless", "pregnant", "grieving"
    }
)  # fmt: skip
# Words that may come between a name and its verb: "Aroha also led", "Tui has been coming".
_BETWEEN = frozenset(
    {
        "has", "had", "have", "was", "is", "will", "would", "can", "could", "did", "didn't",
        "doesn't", "hasn't", "wasn't", "isn't", "won't", "can't", "couldn't", "also", "then",
        "just", "kindly", "later", "again", "finally", "really", "first", "been", "always",
        "often", "never", "still", "only", "quickly", "happily", "bravely", "openly", "briefly",
        "soon", "already", "recently", "seemed", "seems", "felt", "feels", "looked", "looks",
        "got", "became"
    }
)  # fmt: skip
# Verbs of speech or feeling, enough to take an unlisted capitalised word for a name.
# Not "felt", "shared" or "wanted", which are adjectives too: "Put shared options",
# "Buy felt for the craft table", "Help wanted".
_SPEAKING = frozenset(
    {
        "said", "says", "told", "tells", "disclosed", "discloses", "mentioned", "mentions",
        "asked", "asks", "cried", "cries", "feels", "wants", "rang", "phoned", "texted", "emailed",
        "complained", "confided", "admitted", "explained"
    }
)  # fmt: skip
# Verbs before a name that say something was done to a person: "Thanked Aroha".
_TO_A_PERSON = frozenset(
    {
        "thanked", "thank", "thanks", "told", "asked", "met", "visited", "supported", "helped",
        "called", "rang", "phoned", "texted", "emailed", "messaged", "welcomed", "introduced",
        "drove", "dropped", "picked", "saw", "farewelled", "congratulated", "invited", "reminded",
        "referred", "contacted", "named"
    }
)  # fmt: skip
# Words before a word-name that point at a person when it is capitalised mid-sentence.
_PERSON_PREPOSITIONS = frozenset({"with", "by", "for", "to", "from"})
_PLACE_PREPOSITIONS = frozenset({"with", "by"})  # a city after "to" or "from" is a city
# What someone's ... : a relative, a carer, a home, a medication.
_PERSONAL = frozenset(
    {
        "mum", "mom", "mother", "dad", "father", "partner", "husband", "wife", "son", "daughter",
        "kids", "children", "child", "baby", "brother", "sister", "nan", "nana", "koro",
        "grandmother", "grandfather", "grandson", "granddaughter", "boyfriend", "girlfriend",
        "flatmate", "medication", "medications", "meds", "doctor", "gp", "psychiatrist",
        "psychologist", "counsellor", "therapist", "nurse", "caseworker", "appointment",
        "diagnosis", "birthday", "funeral", "benefit", "landlord", "referral"
    }
)  # fmt: skip
# Words after 's that make it "is" or "has", not a possessive: "Aroha's a value".
_IS_NOT_OWNS = frozenset(
    {
        "a", "an", "the", "not", "been", "got", "so", "very", "really", "always", "also", "just",
        "what", "at", "in", "on", "all", "about", "everywhere", "here", "there"
    }
)  # fmt: skip
# After "called" or "named", these make the name a title of a thing: "a song called Aroha".
_THINGS = frozenset(
    {
        "song", "waiata", "group", "programme", "program", "book", "film", "movie", "app",
        "course", "workshop", "session", "place", "venue", "cafe", "room", "exercise", "game",
        "poem", "story"
    }
)  # fmt: skip
# Endings of common nouns ("Organiser said", "Members said"), never of unlisted names here.
_NOUN_ENDINGS = ("s", "er", "or", "ist", "ing", "tion", "ment", "ness", "ity", "ship")

_LETTERS = r"[^\W\d_]"
_TOKEN = re.compile(rf"{_LETTERS}+(?:(?:['’](?![sS](?!{_LETTERS}))|-){_LETTERS}+)*")
_POSSESSIVE = re.compile(rf"['’][sS](?!{_LETTERS})")
_SENTENCE_BREAK = re.compile(r"[.!?;:\n•*(\[\"“”]")
_CAPITAL = "A-ZĀĒĪŌŪ"
_AGE_AFTER = re.compile(
    r"(?:\s+(?:is|was|turned|turns|just\s+turned)\s+|\s*,\s*(?:aged\s+)?|\s*\(\s*)"
    r"[0-9]{1,3}(?![0-9])(?:\s*[,)]|\s*$|\s+(?:and|but|now|today|this|next|last|with|in)\b)"
)
_DATE_AFTER = re.compile(r"[ \t]*[0-9]")
# Formal titles may stand with an initial alone ("Mrs W."); kin titles need a name.
_FORMAL = frozenset({"mr", "mrs", "ms", "mx", "miss", "mstr", "dr", "prof", "sir", "dame"})
_LOWER_CASE_TITLES = ("mr", "mrs", "ms", "mx", "dr")  # also written "mr Smith"


class _Token:
    """One word of the text, with what the rules ask about it."""

    __slots__ = ("capitalised", "end", "gap", "head", "key", "possessive", "start", "text")

    def __init__(self, start: int, end: int, text: str, gap: str, possessive: bool) -> None:
        self.start = start
        self.end = end
        self.text = text
        self.gap = gap  # the text between the previous token and this one
        self.possessive = possessive  # followed by 's
        self.key = fold(text)
        self.head = fold(text.split("-", 1)[0]) if "-" in text else self.key  # "mary" of Mary-Jane
        self.capitalised = text[0].isupper() and not (len(text) > 1 and text.isupper())

    @property
    def sentence_start(self) -> bool:
        return _SENTENCE_BREAK.search(self.gap) is not None


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    previous_end = 0
    for m in _TOKEN.finditer(text):
        if tokens and tokens[-1].possessive and m.start() == tokens[-1].end + 1:
            continue  # the "s" of "Mere's"
        possessive = _POSSESSIVE.match(text, m.end()) is not None
        gap = "." if not tokens else text[previous_end : m.start()]
        tokens.append(_Token(m.start(), m.end(), m[0], gap, possessive))
        previous_end = m.end()
    return tokens


def _spaced(token: _Token, previous: _Token | None = None) -> bool:
    """Whether only spaces lie between `previous` (or the token before) and `token`."""
    gap = token.gap
    if previous is not None and previous.possessive:
        gap = _POSSESSIVE.sub("", gap, count=1)
    return gap.strip() == "" and "\n" not in gap


@cache
def _title_pattern() -> re.Pattern[str]:
    titles: list[str] = []
    for title in sorted(lexicon().titles, key=len, reverse=True):
        titles += [title.capitalize(), title.upper() if len(title) <= 3 else title.capitalize()]
        if title in _LOWER_CASE_TITLES:
            titles.append(title)
    alternation = "|".join(re.escape(t) for t in dict.fromkeys(titles))
    particles = r"(?:(?i:van|von|de|der|den|da|di|du|la|le|te|st\.?)[ \t]+){0,2}"
    return re.compile(
        rf"(?<![\w.'’])(?P<title>(?:{alternation})\b\.?)[ \t]+"
        rf"(?P<initials>(?:[{_CAPITAL}]\.?(?:[ \t]+|(?=[{_CAPITAL}])|$)){{0,3}})"
        rf"(?P<surname>{particles}[{_CAPITAL}]{_LETTERS}*(?:(?:['’](?![sS](?!{_LETTERS}))|-){_LETTERS}+)*)?"
    )


def _titled(text: str, tokens: list[_Token], lex: Lexicon) -> Iterator[tuple[int, int]]:
    """ "Mr T. Walker", "Dr Lee", "Aunty Mere", "Mrs W."."""
    for m in _title_pattern().finditer(text):
        title = fold(m["title"].rstrip("."))
        surname = m["surname"]
        if surname is not None:
            last = fold(surname.split()[-1])
            if last in lex.not_names or last in lex.organisation_words:
                continue
            index = next((i for i, t in enumerate(tokens) if t.end == m.end("surname")), None)
            if index is not None and _names_a_body(tokens, index, lex, word_name=False):
                continue
            yield m.start(), m.end("surname")
        elif m["initials"].strip() and title in _FORMAL:
            yield m.start(), m.start("initials") + len(m["initials"].rstrip())


def _names_a_body(tokens: list[_Token], i: int, lex: Lexicon, word_name: bool) -> bool:
    """Whether token `i` is part of the name of a place, building, group or programme."""
    token = tokens[i]
    before = tokens[i - 1] if i else None
    if (
        before is not None
        and _spaced(token)
        and before.key in lex.place_prefixes
        and (before.capitalised or before.key in {"te", "nga", "st", "mt"})
    ):
        return True  # St John's, Mt Albert, Te Aroha, Lake Grace
    for j in range(i + 1, min(i + 7, len(tokens))):
        after = tokens[j]
        gap = after.gap if not (j == i + 1 and token.possessive) else after.gap[2:]
        if gap.strip() not in ("", "-", "&") or "\n" in gap:
            return False
        # "Tui room", "Huia ward": a word-name before a lower-case place word too.
        if after.key in lex.organisation_words and (
            after.capitalised or (j == i + 1 and word_name and not token.possessive)
        ):
            return True
        if not after.capitalised:
            return False
    return False


def _doing_after(tokens: list[_Token], i: int, verbs: frozenset[str]) -> bool:
    """Whether a verb of `verbs` (or a state) follows token `i`: "Aroha led", "Tui was upset"."""
    for j in range(i + 1, min(i + 4, len(tokens))):
        after = tokens[j]
        if not _spaced(after, tokens[j - 1]) or tokens[j - 1].possessive:
            return False
        if after.key in verbs or (j > i + 1 and after.key in _STATES):
            return True
        if after.key not in _BETWEEN:
            return False
    return False


def _owns(tokens: list[_Token], i: int, personal_only: bool) -> bool:
    """ "Ruby's sister", "Walker's medication": a possessive before a (personal) noun."""
    if not tokens[i].possessive:
        return False
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    if after is not None and after.key in _IS_NOT_OWNS:
        return False  # "Aroha's a big part of what we do": 's is "is"
    if after is None or not _spaced(after, tokens[i]):
        return not personal_only
    if personal_only:
        return after.key in _PERSONAL
    return not after.capitalised or after.key in _PERSONAL


def _after_a_person_word(
    tokens: list[_Token], i: int, lex: Lexicon, title_case: bool, place_only: bool
) -> bool:
    """ "Thanked Aroha", "Spoke with Ngaio", "a new member named Moana"."""
    token = tokens[i]
    if not i or not _spaced(token):
        return False
    before = tokens[i - 1]
    if before.key in _TO_A_PERSON:  # but "a song called Aroha" is a song
        return not (before.key in {"called", "named"} and i >= 2 and tokens[i - 2].key in _THINGS)
    if i >= 2 and before.key in {"is", ":"} and tokens[i - 2].key == "name":
        return True
    prepositions = _PLACE_PREPOSITIONS if place_only else _PERSON_PREPOSITIONS
    if before.key not in prepositions or title_case or before.sentence_start:
        return False
    if token.head in lex.not_names:
        return False  # "for August", "by June", "in Summer": a month or a season
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    return after is None or not (after.capitalised and _spaced(after, token))


def _surname_after(tokens: list[_Token], i: int, lex: Lexicon) -> int | None:
    """The end of a surname right after token `i` ("Grace Walker"), if there is one."""
    if i + 1 >= len(tokens) or tokens[i].possessive:
        return None
    after = tokens[i + 1]
    if not (after.capitalised and _spaced(after)) or len(after.text) < 2:
        return None
    if lex.is_known(after.key) or lex.is_known(after.head):
        return None
    return after.end


def _title_case(tokens: list[_Token]) -> bool:
    """ "Walk With Grace": capitals say nothing about names in a title."""
    long = [t for t in tokens if len(t.text) >= 4]
    return len(long) >= 3 and all(t.capitalised for t in long)


def _given_name(
    text: str, tokens: list[_Token], i: int, lex: Lexicon, title_case: bool
) -> tuple[int, int] | None:
    """The span of a listed given name at token `i`, if the text uses it for a person."""
    token = tokens[i]
    word_name = lex.is_word_name(token.head)
    if token.capitalised and _names_a_body(tokens, i, lex, word_name):
        return None
    surname_end = _surname_after(tokens, i, lex) if not title_case else None
    end = surname_end or token.end
    if not token.capitalised:
        # "sione came to group": a listed name in lower case, with a telling verb.
        if word_name or not (
            _doing_after(tokens, i, _DOING) or _owns(tokens, i, personal_only=True)
        ):
            return None
        return token.start, token.end
    if not word_name:
        return token.start, end
    if token.head in lex.not_names and _DATE_AFTER.match(text, token.end):
        return None  # "in August 2026", "May 12": a month
    place_only = token.head in lex.places and token.head not in lex.words
    if (
        surname_end is not None
        or (not title_case and _doing_after(tokens, i, _DOING))
        or _owns(tokens, i, personal_only=title_case)
        or _after_a_person_word(tokens, i, lex, title_case, place_only)
        or (not place_only and _AGE_AFTER.match(text, token.end) is not None)
    ):
        return token.start, end
    return None


def _unlisted_name(tokens: list[_Token], i: int, lex: Lexicon) -> tuple[int, int] | None:
    """An unlisted capitalised word used for a person: "Zephyrine said", "Walker's meds"."""
    token = tokens[i]
    if (
        not token.capitalised
        or len(token.text) < 3
        or lex.is_known(token.key)
        or lex.is_known(token.head)
    ):
        return None
    # A possessive before a relative or a medication is telling enough for any word
    # ("Walker's medication"); a verb of speech is not, after a common noun's ending.
    if not _owns(tokens, i, personal_only=True) and (
        token.key.endswith(_NOUN_ENDINGS) or not _doing_after(tokens, i, _SPEAKING)
    ):
        return None
    start = token.start
    j = i
    while j > 0 and _spaced(tokens[j]) and not tokens[j].sentence_start:
        before = tokens[j - 1]  # "Zephyrine Smith said": the given name before it too
        if not before.capitalised or lex.is_known(before.key) or before.possessive:
            break
        start, j = before.start, j - 1
    return start, token.end


def _joined(tokens: list[_Token], i: int) -> list[int]:
    """Tokens joined to token `i` by "and", "&", "or" or a comma: "Faith and Rawiri"."""
    joined = []
    if i + 1 < len(tokens) and tokens[i + 1].gap.strip() in (",", "&"):
        joined.append(i + 1)
    if i + 2 < len(tokens) and tokens[i + 1].key in ("and", "or") and _spaced(tokens[i + 1]):
        joined.append(i + 2)
    if i >= 1 and tokens[i].gap.strip() in (",", "&"):
        joined.append(i - 1)
    if i >= 2 and tokens[i - 1].key in ("and", "or") and _spaced(tokens[i - 1]):
        joined.append(i - 2)
    return joined


def _spans(text: str) -> Iterator[tuple[int, int]]:
    lex = lexicon()
    tokens = _tokens(text)
    title_case = _title_case(tokens)
    yield from _titled(text, tokens, lex)
    found: dict[int, tuple[int, int]] = {}
    word_names: list[int] = []  # capitalised word-names not (yet) used for a person
    for i, token in enumerate(tokens):
        if token.head in lex.given_names:
            span = _given_name(text, tokens, i, lex, title_case)
            if span is not None:
                found[i] = span
            elif (
                token.capitalised
                and not title_case
                and not _names_a_body(tokens, i, lex, word_name=True)
            ):
                word_names.append(i)
        elif (span := _unlisted_name(tokens, i, lex)) is not None:
            found[i] = span
    changed = True
    while changed:  # "Faith and Rawiri cooked": a word-name beside a name is a name
        changed = False
        for i in list(word_names):
            if any(j in found for j in _joined(tokens, i)):
                found[i] = (tokens[i].start, tokens[i].end)
                word_names.remove(i)
                changed = True
    yield from found.values()


def _as_written(words: frozenset[str]) -> frozenset[str]:
    """`words` with every way of writing their vowels with macrons ("tui", "tūi", "tūī" ...)."""
    written: set[str] = set()
    for word in words:
        variants = [""]
        for ch in word:
            marked = _MACRONS.get(ch)
            variants = [v + c for v in variants for c in ((ch, marked) if marked else (ch,))]
        written.update(variants)
    return frozenset(written)


_MACRONS = dict(zip("aeiou", "āēīōū", strict=True))
#: Whole words of which a text must hold one for a name to be found in it (see
#: `scan`): the listed given names, the titles, the verbs of speech, and what
#: someone owns ("Walker's medication").
TRIGGER_WORDS = _as_written(lexicon().given_names | lexicon().titles) | _SPEAKING | _PERSONAL
TRIGGER = ""


def find(text: str) -> list[Detection]:
    """Every personal name in `text` (a title and surname, a given name used for a person)."""
    # Overlapping spans ("Aunty Mere": a title and a name) are one detection.
    return [detection(KIND, LABEL, text, start, end) for start, end in merged(_spans(text))]
