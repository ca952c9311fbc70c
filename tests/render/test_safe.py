"""Formula-injection protection: which text is neutralised, and that numbers never are."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peerreport.render.safe import is_formula_like, neutralise
from tests.render.sample import INJECTIONS, starts_like_formula


@pytest.mark.parametrize("text", [*INJECTIONS, "-", "＋1", "\x00=1", "\n=1", "\u3000=1"])
def test_formula_like_text_gets_a_quote(text: str) -> None:
    assert is_formula_like(text)
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["", "Te Whare Tāwharau", "2026-07-01", "a=b", "S", "..", "'=1"])
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert neutralise(text) == text


@given(st.text())
def test_nothing_neutralised_starts_like_a_formula(text: str) -> None:
    assert not starts_like_formula(neutralise(text))
