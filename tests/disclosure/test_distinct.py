"""Suppression of distinct-count breakdowns, attacked by enumerating people.

The attacker here knows nothing of the implementation's closed form: it lists
every way of spreading up to `PEOPLE` people over the categories (how many
people are in exactly each non-empty set of categories), keeps the spreads
whose cells and total agree with everything published (and with hidden
figures being at least 1 when zeros are always shown), and reads off each
hidden figure's smallest and largest value.
"""

from __future__ import annotations

import itertools
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peerreport.disclosure import Status
from peerreport.disclosure.cells import TableError
from peerreport.disclosure.distinct import distinct_interval, protect_distinct
from peerreport.rulebook.model import Disclosure

PEOPLE = 13  # the attacker's enumeration bound; true tables hold at most 7 people
Figures = tuple[int, ...]  # (total, cell 1, ..., cell k)


def _compositions(total: int, parts: int) -> list[tuple[int, ...]]:
    if parts == 1:
        return [(total,)]
    return [
        (first, *rest)
        for first in range(total + 1)
        for rest in _compositions(total - first, parts - 1)
    ]


@cache
def spreads(categories: int) -> frozenset[Figures]:
    """Every (total, cells...) that some set of at most PEOPLE people produces."""
    groups = [
        s for r in range(1, categories + 1) for s in itertools.combinations(range(categories), r)
    ]
    found: set[Figures] = set()
    for people in range(PEOPLE + 1):
        for counts in _compositions(people, len(groups)):
            cells = [0] * categories
            for group, n in zip(groups, counts, strict=True):
                for category in group:
                    cells[category] += n
            found.add((people, *cells))
    return frozenset(found)


def attack(truth: Figures, hidden: set[int], lower: int) -> dict[int, tuple[int, int]]:
    """Each hidden position's (smallest, largest) value over spreads agreeing with what is shown."""
    agree = [
        f
        for f in spreads(len(truth) - 1)
        if all(f[i] == truth[i] for i in range(len(truth)) if i not in hidden)
        and all(f[i] >= lower for i in hidden)
    ]
    return {i: (min(f[i] for f in agree), max(f[i] for f in agree)) for i in hidden}


@st.composite
def distinct_tables(draw: st.DrawFn) -> Figures:
    """A true distinct table: a spread of at most 7 people over 2 or 3 categories."""
    categories = draw(st.integers(2, 3))
    groups = [
        s for r in range(1, categories + 1) for s in itertools.combinations(range(categories), r)
    ]
    counts = draw(st.lists(st.integers(0, 3), min_size=len(groups), max_size=len(groups)))
    while sum(counts) > 7:
        counts[counts.index(max(counts))] -= 1
    cells = [
        sum(n for g, n in zip(groups, counts, strict=True) if c in g) for c in range(categories)
    ]
    return (sum(counts), *cells)


def _table(figures: Figures) -> dict[tuple[str | None, ...], int]:
    return {(): figures[0], **{(f"c{i}",): v for i, v in enumerate(figures[1:])}}


def _position(key: tuple[str | None, ...]) -> int:
    return 0 if key == () else int(str(key[0])[1:]) + 1


@settings(max_examples=150, deadline=None)
@given(
    distinct_tables(),
    st.integers(2, 4),
    st.booleans(),
)
def test_no_hidden_figure_can_be_narrowed_by_an_attacker_who_enumerates_people(
    truth: Figures, threshold: int, zero_exempt: bool
) -> None:
    policy = Disclosure(threshold=threshold, zero_exempt=zero_exempt)
    published = protect_distinct(_table(truth), 1, policy)
    hidden = {_position(k) for k, p in published.items() if p.status is Status.SUPPRESSED}
    for key, cell in published.items():
        if cell.status is Status.EXACT:
            assert cell.value == truth[_position(key)]
            assert cell.value >= threshold or (cell.value == 0 and zero_exempt)
    lower = 1 if zero_exempt else 0
    for position, (low, high) in attack(truth, hidden, lower).items():
        assert high - low >= threshold, (truth, hidden, position, low, high)


@settings(max_examples=150, deadline=None)
@given(distinct_tables(), st.data())
def test_the_closed_form_range_is_the_enumerating_attackers(
    truth: Figures, data: st.DataObject
) -> None:
    lower = data.draw(st.sampled_from([0, 1]))
    positions = [i for i, v in enumerate(truth) if v >= lower]
    hidden = {i for i in positions if data.draw(st.booleans())}
    table = _table(truth)
    keys = {_position(k): k for k in table}
    found = attack(truth, hidden, lower)
    for position, (low, high) in found.items():
        expected = distinct_interval(table, {keys[i] for i in hidden}, keys[position], lower)
        assert expected.low == low
        if expected.high is None or expected.high > PEOPLE:
            # Unlimited, or past the most people the enumeration tries: only its bound stops it.
            assert high == PEOPLE
        else:
            assert expected.high == high


def test_a_small_cell_beside_a_known_total_is_hidden_with_another() -> None:
    # 12 people; 3 went to groups, 11 to drop-ins, 2 to both. Hiding the 3 alone leaves
    # groups in 1..12 (anyone could be in both) - wide: nothing more is hidden.
    policy = Disclosure(threshold=6)
    table = {(): 12, ("group",): 3, ("drop_in",): 11}
    published = protect_distinct(table, 1, policy)
    assert published[("group",)].status is Status.SUPPRESSED
    assert published[("drop_in",)].value == 11 and published[()].value == 12


def test_a_small_total_hides_everything_it_bounds() -> None:
    # A total of 5 bounds every cell by 5: it is primary, and its cells go with it.
    policy = Disclosure(threshold=6)
    published = protect_distinct({(): 5, ("a",): 4, ("b",): 3}, 1, policy)
    assert all(p.status is Status.SUPPRESSED for p in published.values())


def test_a_total_at_the_threshold_is_hidden_with_a_small_cell() -> None:
    # Total 6 published bounds the hidden 2 to 1..6, too narrow for threshold 6 whatever
    # other cell is hidden: only hiding the total widens it.
    policy = Disclosure(threshold=6)
    published = protect_distinct({(): 6, ("a",): 2, ("b",): 6}, 1, policy)
    assert published[("a",)].reason == "primary"
    assert published[()].reason == "secondary"
    assert published[("b",)].value == 6


def test_a_table_that_adds_up_is_protected_as_an_additive_one() -> None:
    # No one in two cells: an attacker who knows that subtracts, so secondary follows.
    policy = Disclosure(threshold=6)
    published = protect_distinct({(): 23, ("a",): 3, ("b",): 8, ("c",): 12}, 1, policy)
    assert published[("a",)].reason == "primary"
    assert published[("b",)].reason == "secondary"


def test_tables_that_are_not_distinct_counts_are_refused() -> None:
    policy = Disclosure(threshold=6)
    with pytest.raises(TableError, match="more people than the total"):
        protect_distinct({(): 5, ("a",): 6, ("b",): 0}, 1, policy)
    with pytest.raises(TableError, match="fewer people than the total"):
        protect_distinct({(): 9, ("a",): 6, ("b",): 2}, 1, policy)


def test_building_a_return_protects_a_distinct_breakdown_with_the_distinct_audit() -> None:
    """The build stage's suppression of a distinct breakdown uses the distinct rule."""
    from peerreport.compute.figures import Cell, Figure
    from peerreport.returns.release import suppress

    figure = Figure(
        "people",
        "People",
        "distinct",
        6,
        by=("kind",),
        cells=(Cell(("group",), 2), Cell(("drop_in",), 6)),
    )
    values = {(): 6, ("group",): 2, ("drop_in",): 6}
    hidden = suppress(figure, values, Disclosure(threshold=6), None)
    # Protected cell by cell, the total (6, not small) was published and bounded the
    # hidden 2 to 1..6.
    assert hidden[()].status is Status.SUPPRESSED
    assert hidden[("group",)].status is Status.SUPPRESSED
    assert hidden[("drop_in",)].value == 6
