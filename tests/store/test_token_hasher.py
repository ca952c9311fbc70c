"""A `TokenHasher` stores each activity's member tokens as `hashed_tokens` does, however
many it has remembered, and forgets them past its limit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peerreport.store.records import TokenHasher, hashed_tokens

SECRET = b"k" * 32
TOKENS = st.lists(
    st.sampled_from(["tui42", " tui42 ", "kereru7", "ruru", "Tui42", "kākā", ""]) | st.text(),
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(activities=st.lists(TOKENS, max_size=30), remembered=st.integers(0, 8))
def test_tokens_hash_as_hashed_tokens_does(activities: list[list[str]], remembered: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TokenHasher, "REMEMBERED", remembered)
        hasher = TokenHasher(SECRET)
        for tokens in activities:
            assert hasher.hashed(tokens) == hashed_tokens(SECRET, tokens)
            # Forgotten once past the limit: never more than it and one activity's tokens.
            assert len(hasher._known) <= remembered + 1 + 6


def test_another_secret_gives_other_hashes() -> None:
    assert TokenHasher(SECRET).hashed(["tui42"]) != TokenHasher(b"j" * 32).hashed(["tui42"])
    assert TokenHasher(SECRET).hashed(None) == [] == TokenHasher(SECRET).hashed([])
