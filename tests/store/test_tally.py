"""A revision's tally adds up the same whichever way its versions are given."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from peerreport.store.revisions import Tally

key_values = st.one_of(
    st.text(max_size=12),
    st.integers(-5, 10**6),
    st.dates(),
    st.datetimes(min_value=dt.datetime(2000, 1, 1)),
    st.none(),
)
versions = st.lists(
    st.tuples(st.lists(key_values, min_size=1, max_size=5).map(tuple), st.text("0123456789abcdef")),
    max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(
    table=st.sampled_from(["activity", "activity_breakdown", "workforce", "feedback", "member"]),
    given_versions=versions,
)
def test_adding_many_versions_is_adding_each(
    table: str, given_versions: list[tuple[tuple[Any, ...], str]]
) -> None:
    one_by_one, at_once = Tally(), Tally()
    for key, digest in given_versions:
        one_by_one.add(table, key, digest)
    at_once.add_many(table, given_versions)
    assert at_once.to_dict() == one_by_one.to_dict()
    # A column at a time (the columnar intake's way): keys of one length, as a table's are.
    width = len(given_versions[0][0]) if given_versions else 1
    same_width = [(key, digest) for key, digest in given_versions if len(key) == width]
    by_columns, each = Tally(), Tally()
    for key, digest in same_width:
        each.add(table, key, digest)
    columns = [[key[j] for key, _ in same_width] for j in range(width)]
    by_columns.add_columns(table, columns, [digest for _, digest in same_width])
    assert by_columns.to_dict() == each.to_dict()
