"""A detector's `TRIGGER_NEEDS` matches every text its trigger matches, so gating the
trigger behind it never lets an identifier through the pre-filter."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from peerreport.privacy import scan
from peerreport.privacy.scan import DETECTORS, _triggered

GATED = [d for d in DETECTORS if getattr(d, "TRIGGER_NEEDS", "")]

# Pieces that make the triggers match often: the words and brackets an age follows,
# country codes, long digit runs with gaps, DSM-like decimals, IHI prefixes.
PIECES = [
    *"0123456789",
    "aged ",
    "aged",
    "age: ",
    "age:",
    "is ",
    "she's ",
    "he’s ",
    "turned ",
    "in her ",
    "my ",
    "( ",
    "(",
    ", ",
    ",",
    "y",
    "yo",
    " y/o",
    "-year-old",
    "+64",
    " 61",
    "\u00a0",
    "021 ",
    "021-234-567",
    "09.123.4567",
    "1800123456",
    "1800 ",
    "0800",
    "296.23",
    "v62.3",
    "z63.0",
    "8003 60",
    "f32",
    "abc",
    "zaa",
    "g-",
    "grp-2026-",
    "/",
    "-",
    ".",
    " ",
    "x",
]
texts = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
    st.text(alphabet="0123456789 .-()+,:/dyvzf\u00a0", max_size=24),
)


@settings(max_examples=600, deadline=None)
@given(texts)
@example("aged 52")
@example("aged52")
@example("d-0000002")
@example("2210987654")
@example("a2210987654")
@example("22-1098-7654")
@example("021 234 5678")
@example("+64 21 234 5678")
@example("dsm 296.23")
@example("1800 123 456")
def test_a_trigger_never_matches_where_its_needs_do_not(text: str) -> None:
    for detector in GATED:
        if re.search(detector.TRIGGER, text) is not None:
            assert re.search(detector.TRIGGER_NEEDS, text) is not None, (detector.KIND, text)


_ALL_DIGITS = re.compile(
    "|".join(d.TRIGGER for d in DETECTORS if d.TRIGGER.startswith("[0-9]")) or "(?!)"
)
_ALL_WORDS = re.compile(
    "|".join(d.TRIGGER for d in DETECTORS if d.TRIGGER and not d.TRIGGER.startswith("[0-9]"))
    or "(?!)"
)


@settings(max_examples=600, deadline=None)
@given(texts)
def test_the_gated_pre_filter_says_what_the_joined_triggers_say(text: str) -> None:
    joined = _ALL_DIGITS.search(text) is not None or _ALL_WORDS.search(text) is not None
    assert _triggered(text) == joined


def test_the_costly_triggers_are_gated() -> None:
    assert {d.KIND for d in GATED} >= {"age", "phone"}
    assert len(scan._GATED) == len(GATED)
