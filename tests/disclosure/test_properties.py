"""Properties of secondary suppression, checked against an independent attacker.

The attacker's feasible ranges come from tests/disclosure/oracle.py: an exact
LP over the hidden inner cells (rational simplex), itself checked against
brute force on tiny tables. Nothing here reuses the implementation's audit.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peerreport.disclosure import Status, protect_table
from peerreport.disclosure.audit import interval
from peerreport.disclosure.network import build_network
from peerreport.rulebook.model import Disclosure
from tests.disclosure.oracle import Key, brute_force_ranges, feasible_ranges, maximize
from tests.disclosure.strategies import larger_tables, one_way, tables, two_way

tiny = st.integers(0, 4)
tiny_tables = st.one_of(
    one_way(max_cells=3, values=tiny).map(lambda t: (t, 1)),
    two_way(max_rows=2, max_cols=2, values=tiny).map(lambda t: (t, 2)),
)


@st.composite
def hidden_patterns(
    draw: st.DrawFn, source: st.SearchStrategy[tuple[dict[Key, int], int]]
) -> tuple[dict[Key, int], int, set[Key], int]:
    """A table, an arbitrary set of hidden figures, and the attacker's lower bound."""
    table, by = draw(source)
    lower = draw(st.sampled_from([0, 1]))
    keys = sorted((k for k, v in table.items() if v >= lower), key=repr)
    hidden = {k for k in keys if draw(st.booleans())}
    return table, by, hidden, lower


def test_the_oracle_solves_small_linear_programs() -> None:
    one, two, four = Fraction(1), Fraction(2), Fraction(4)
    # max x + y subject to x + 2y = 4: at (4, 0).
    assert maximize([one, one], [[one, two]], [four]) == 4
    # max x subject to x - y = 1: unbounded.
    assert maximize([one, Fraction(0)], [[one, -one]], [one]) is None
    # x + y = -1 has no solution with x, y >= 0.
    with pytest.raises(ValueError):
        maximize([one, one], [[one, one]], [-one])
    # No constraints: bounded only if nothing is to be increased.
    assert maximize([-one], [], []) == 0


@settings(max_examples=60, deadline=None)
@given(hidden_patterns(tiny_tables))
def test_the_oracle_agrees_with_brute_force(
    case: tuple[dict[Key, int], int, set[Key], int],
) -> None:
    table, _, hidden, lower = case
    cap = 6
    keys = sorted(hidden, key=repr)
    assert feasible_ranges(table, hidden, keys, lower, cap) == brute_force_ranges(
        table, hidden, lower, cap
    )


@settings(max_examples=100, deadline=None)
@given(hidden_patterns(st.one_of(tables, larger_tables)))
def test_the_audit_agrees_with_the_oracle(case: tuple[dict[Key, int], int, set[Key], int]) -> None:
    """For any hidden set at all, not only ones suppression produced."""
    table, by, hidden, lower = case
    network = build_network(table, by)
    index = network.index_of()
    arcs = {index[k] for k in hidden}
    expected = feasible_ranges(table, hidden, sorted(hidden, key=repr), lower)
    for key in hidden:
        found = interval(network, arcs, index[key], lower)
        assert (found.low, found.high) == expected[key], key


@settings(max_examples=200, deadline=None)
@given(st.one_of(tables, larger_tables), st.integers(1, 10), st.booleans())
def test_no_suppressed_cell_can_be_narrowed_below_the_threshold(
    case: tuple[dict[Key, int], int], threshold: int, zero_exempt: bool
) -> None:
    table, by = case
    policy = Disclosure(method="suppress", threshold=threshold, zero_exempt=zero_exempt)
    result = protect_table(table, by, policy, ["prop"])
    assert set(result) == set(table)
    hidden = {k for k, p in result.items() if p.status is Status.SUPPRESSED}
    for key, value in table.items():
        sensitive = value < threshold and (value > 0 or not zero_exempt)
        assert (result[key].reason == "primary") == sensitive
        if key not in hidden:
            assert result[key].value == value
    # The attacker knows hidden figures are >= 1 when zeros are always shown.
    lower = 1 if zero_exempt else 0
    ranges = feasible_ranges(table, hidden, sorted(hidden, key=repr), lower)
    for key, (low, high) in ranges.items():
        assert high is None or high - low >= threshold, (key, low, high)


@settings(max_examples=40, deadline=None)
@given(tables, st.integers(1, 10))
def test_suppression_is_deterministic_and_ignores_mapping_order(
    case: tuple[dict[Key, int], int], threshold: int
) -> None:
    table, by = case
    policy = Disclosure(threshold=threshold)
    first = protect_table(table, by, policy, ["det"])
    assert protect_table(table, by, policy, ["det"]) == first
    reversed_table = dict(reversed(list(table.items())))
    assert protect_table(reversed_table, by, policy, ["det"]) == first
