"""The TOML writer `rules pack` uses: whatever plain data it writes, tomllib reads back."""

from __future__ import annotations

import tomllib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from peerreport.rulebook.toml_text import dumps

_text = st.text(max_size=12)
_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    _text,
)
_values: st.SearchStrategy[Any] = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_text, _values, max_size=6))
def test_tomllib_reads_back_what_was_written(data: dict[str, Any]) -> None:
    assert tomllib.loads(dumps(data)) == data


def test_none_is_left_out_and_order_is_kept() -> None:
    text = dumps({"b": None, "grouping": {"age": {"map": {"z": ["1"], "a": ["2"]}}}})
    assert list(tomllib.loads(text)["grouping"]["age"]["map"]) == ["z", "a"]
    assert "b" not in tomllib.loads(text)
    assert "[grouping]\n" not in text  # a table holding only tables needs no header of its own


def test_awkward_strings_survive() -> None:
    data = {"k": 'quote " back \\ tab \t newline \n del \x7f nul \x00 Māori'}
    assert tomllib.loads(dumps(data)) == data
