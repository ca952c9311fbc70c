"""Diagnosis terms used about a person ("she has bipolar disorder", "diagnosed with PTSD").

A group's topic is not a person's diagnosis: "Bipolar peer support group",
"Hearing Voices Network", "Living well with anxiety" and "talk about PTSD" are
accepted. A term is flagged only inside a phrase that says someone has it:

- "diagnosed with <anything>", "diagnosis of <term>", "dx: <term>";
- "has / had / have / suffers from / is being treated for <term>";
- "<person> is (a) <schizophrenic | bipolar | psychotic | ...>".

A term followed by a group word ("bipolar support", "depression awareness
week") names a topic, and a phrase about a population ("people who have
PTSD", "for those diagnosed with bipolar") is not about one person.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from peerreport.privacy.detection import Detection
from peerreport.privacy.detectors._shared import detection, literal_trie, merged

KIND = "diagnosis"
LABEL = "a diagnosis about a person"

# Conditions as nouns ("has <term>"). Regex fragments; spaces match any whitespace.
CONDITIONS = (
    r"(?:paranoid |catatonic )?schizophrenia",
    r"schizoaffective(?: disorder)?",
    r"schizotypal(?: personality disorder)?",
    r"bipolar(?: (?:affective )?disorder| (?:type )?(?:ii?|[12])\b)?",
    r"(?:(?:major|clinical|severe|chronic|postnatal|post-natal|postpartum|perinatal) )?depression",
    r"(?:major |persistent )?depressive (?:disorder|illness|episode)",
    r"dysthymia|cyclothymia|(?:hypo)?mania",
    r"c-?ptsd|ptsd|(?:complex )?post-?traumatic stress(?: disorder)?",
    r"(?:drug-induced |first-episode |first episode )?psychosis",
    r"psychotic (?:disorder|episode|illness)",
    r"(?:(?:borderline|antisocial|narcissistic|histrionic|avoidant|dependent|paranoid|schizoid"
    r"|emotionally unstable) )?personality disorder|bpd|eupd",
    r"anorexia(?: nervosa)?|bulimia(?: nervosa)?|(?:binge-?|binge )?eating disorder|arfid",
    r"ocd|obsessive(?:-|-? )compulsive disorder",
    r"adhd|(?-i:ADD)|attention(?:-|-? )deficit(?: hyperactivity)? disorder",
    r"autism(?: spectrum disorder)?|(?-i:ASD)|asperger'?s(?: syndrome)?",
    r"(?:generali[sz]ed |social )?anxiety(?: disorder)?|(?-i:GAD)|panic disorder|agoraphobia",
    r"dementia|alzheimer'?s(?: disease)?",
    r"(?:substance|alcohol|opioid|cannabis|methamphetamine|stimulant|gambling) use disorder",
    r"alcoholism|alcohol (?:dependence|dependency)|(?:drug |alcohol |opioid |meth )?addiction",
    r"dissociative (?:identity )?disorder|(?-i:DID)|fetal alcohol spectrum disorder|fasd",
    r"(?:a |an )?(?:serious |severe )?(?:mental|psychiatric) (?:illness|disorder|condition)",
)
# Conditions as adjectives ("<person> is <term>").
ADJECTIVES = (
    r"(?:paranoid )?schizophrenic|schizoaffective|bipolar|(?:hypo)?manic|psychotic",
    r"anorexic|bulimic|autistic|borderline|alcoholic|addict|suicidal|clinically depressed",
    r"(?-i:ADHD|OCD|BPD)",
)
# Words that follow a term when it names a group or a topic rather than a condition.
_TOPIC_WORDS = (
    r"peer|peers|support|group|groups|network|fellowship|meeting|evening|morning|afternoon"
    r"|night|session|sessions|awareness|workshop|hui|talk|forum|circle|cafe|café|day|week"
    r"|month|programme|program|service|services|team|society|association|foundation|trust"
    r"|education|training|course|class|community|collective|club|drop-in|information|info"
    r"|resources?|research|recovery|wellbeing|about|around|over|when|before|friendly"
)
_END = rf"(?![\w'’-])(?!\s*(?:{_TOPIC_WORDS})(?!\w))"
_PERSON = (
    r"(?:\b(?:he|she|they|client|patient|participant|member|peer|attendee|person|consumer"
    r"|whaiora|service user|someone|somebody|man|woman|guy|girl|boy|son|daughter|mum|mother"
    r"|dad|father|husband|wife|partner|brother|sister|friend|cousin|aunty|uncle)"
    r"|(?-i:(?!(?:This|That|It|There|Here|What|Which|Who|Topic|Theme|Focus|Subject|Session"
    r"|Group|Meeting|Tonight|Today|Tomorrow|Everyone|Nobody|Nothing|Everything|We|You)\b)"
    r"\b[A-ZĀĒĪŌŪ][\w'’-]*))"
)
_NOUN = "(?:" + "|".join(CONDITIONS) + ")"
_ADJ = "(?:" + "|".join(ADJECTIVES) + ")"


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.replace(" ", r"\s+"), re.IGNORECASE)


_DIAGNOSED = _compile(
    r"\b(?:diagnosed|dx'?d) (?:with|as having|as) (?:an? )?"
    r"[^\s.,;:!?()]+(?: (?!and\b|but\b|at\b|in\b|on\b)[^\s.,;:!?()]+){0,2}"
)
_DIAGNOSIS_OF = _compile(
    rf"\b(?:diagnosis|dx)\b\s*(?:of |is |was |[:=–-]\s*)?(?:an? )?{_NOUN}{_END}"
)
_HAS = _compile(
    r"\b(?:has|had|have|having|suffers from|suffered from|suffering from|suffer from"
    r"|(?:is |was |been |being )?treated for) "
    rf"(?:an? |a history of |history of )?{_NOUN}{_END}"
)
# "<person> is <adjective>": found from the verb on, then the word before is checked
# (trying the person words at every position of the text would be slow).
_IS = _compile(
    rf"(?: is| was|'s|’s| are| were| am|'m|’m| became| seems| is being| has been|'re|’re) "
    rf"(?:an? )?(?:known )?{_ADJ}{_END}"
)
_SUBJECT = _compile(rf"{_PERSON}$")
_ABOUT_A_PERSON = (_DIAGNOSED, _DIAGNOSIS_OF, _HAS)
# Every phrase above contains one of these (lower-cased): the scan pre-filter.
STEMS = (
    "diagnos", "dx", "schizo", "bipolar", "depress", "dysthym", "cyclothym", "mania", "manic",
    "ptsd", "traumatic", "psychos", "psychot", "bpd", "eupd", "anorex", "bulimi", "arfid", "ocd",
    "adhd", "add", "autis", "asd", "asperger", "anxi", "gad", "agoraphob", "dementia", "alzheimer",
    "disorder", "alcohol", "dissociat", "did", "fasd", "illness", "condition", "borderline",
    "suicid",
)  # fmt: skip
TRIGGER = literal_trie(STEMS)

# A population, not a person: "people who have PTSD", "for those newly diagnosed with".
_POPULATION = re.compile(
    r"\b(?:people|those|others|anyone|everyone|whānau|whanau|families|members|adults|youth"
    r"|rangatahi|tamariki|parents|carers|caregivers|women|men|students|survivors|peers"
    r"|individuals|folks?|you|if you)"
    r"(?:\s+(?:who|that|are|were|have|had|has|been|being|newly|recently|also|often|may"
    r"|might|can|all|living|with|already))*\s*$",
    re.IGNORECASE,
)


def _about_a_population(text: str, start: int) -> bool:
    return _POPULATION.search(text[max(0, start - 60) : start]) is not None


def _spans(text: str) -> Iterator[tuple[int, int]]:
    for pattern in _ABOUT_A_PERSON:
        for m in pattern.finditer(text):
            if not _about_a_population(text, m.start()):
                yield m.span()
    for m in _IS.finditer(text):
        subject = _SUBJECT.search(text, max(0, m.start() - 30), m.start())
        if subject is not None:
            yield subject.start(), m.end()


def find(text: str) -> list[Detection]:
    """Every phrase in `text` that says a person has a diagnosis."""
    # Overlapping spans ("Aunty Mere": a title and a name) are one detection.
    return [detection(KIND, LABEL, text, start, end) for start, end in merged(_spans(text))]
