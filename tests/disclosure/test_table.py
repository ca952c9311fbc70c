"""protect_table: each method, zero handling, keys and errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import pytest

from peerreport.disclosure import (
    MARGIN,
    CellKey,
    Protected,
    Status,
    TableError,
    cell_seed,
    graduated,
    key_label,
    protect_table,
    rr3,
)
from peerreport.rulebook.model import Disclosure

IDENTITY = ["peer-core", "sessions", "2025-Q1", "org1"]
ONE_WAY: dict[CellKey, int] = {
    ("in_person",): 17,
    ("phone",): 4,
    ("online",): 0,
    (None,): 2,
    (): 23,
}
TWO_WAY: dict[CellKey, int] = {
    ("maori", "under_25"): 3,
    ("maori", "25_44"): 10,
    ("pakeha", "under_25"): 9,
    ("pakeha", "25_44"): 12,
    ("maori", MARGIN): 13,
    ("pakeha", MARGIN): 21,
    (MARGIN, "under_25"): 12,
    (MARGIN, "25_44"): 22,
    (): 34,
}


def hidden(result: dict[CellKey, Protected]) -> dict[CellKey, str]:
    return {k: p.reason for k, p in result.items() if p.status is Status.SUPPRESSED}


def test_none_publishes_everything_exactly() -> None:
    result = protect_table(ONE_WAY, 1, Disclosure(method="none"), IDENTITY)
    assert result == {k: Protected(v, Status.EXACT) for k, v in ONE_WAY.items()}


@pytest.mark.parametrize(("method", "round_"), [("rr3", rr3), ("graduated", graduated)])
def test_rounding_methods_round_every_cell_on_its_own_seed(
    method: Literal["rr3", "graduated"], round_: Callable[[int, int], int]
) -> None:
    policy = Disclosure(method=method)
    result = protect_table(TWO_WAY, 2, policy, IDENTITY)
    assert list(result) == list(TWO_WAY)  # keyed as given, totals and margins included
    for key, value in TWO_WAY.items():
        expected = round_(value, cell_seed(*IDENTITY, key_label(key)))
        assert result[key] == Protected(expected, Status.ROUNDED, method)


def test_rounded_status_even_when_the_value_is_unchanged() -> None:
    result = protect_table({("a",): 3, (): 3}, 1, Disclosure(method="rr3"), IDENTITY)
    assert result[("a",)] == Protected(3, Status.ROUNDED, "rr3")


def test_rr3_msd_variant_is_an_option() -> None:
    table: dict[CellKey, int] = {("a",): 1, ("b",): 2, (): 3}
    result = protect_table(table, 1, Disclosure(method="rr3"), IDENTITY, never_zero=True)
    assert [p.value for p in result.values()] == [3, 3, 3]


def test_rounding_depends_on_the_identity() -> None:
    table: dict[CellKey, int] = {(f"c{i}",): 1 for i in range(40)}
    table[()] = 40
    first = protect_table(table, 1, Disclosure(method="rr3"), ["a"])
    second = protect_table(table, 1, Disclosure(method="rr3"), ["b"])
    assert first != second
    assert protect_table(table, 1, Disclosure(method="rr3"), ["a"]) == first


def test_primary_only_without_secondary() -> None:
    policy = Disclosure(threshold=6, secondary=False)
    result = protect_table(ONE_WAY, 1, policy, IDENTITY)
    assert hidden(result) == {("phone",): "primary", (None,): "primary"}
    assert result[("online",)] == Protected(0, Status.EXACT)  # zeros exempt by default
    assert result[()] == Protected(23, Status.EXACT)


def test_zeros_are_protected_when_not_exempt() -> None:
    policy = Disclosure(threshold=6, secondary=False, zero_exempt=False)
    result = protect_table(ONE_WAY, 1, policy, IDENTITY)
    assert hidden(result) == {("phone",): "primary", ("online",): "primary", (None,): "primary"}


def test_not_recorded_is_an_ordinary_category() -> None:
    result = protect_table(ONE_WAY, 1, Disclosure(threshold=6), IDENTITY)
    assert result[(None,)].reason == "primary"


def test_totals_are_suppressed_only_when_small_themselves() -> None:
    table: dict[CellKey, int] = {("a",): 4, ("b",): 0, (): 4}
    result = protect_table(table, 1, Disclosure(threshold=6), IDENTITY)
    assert hidden(result) == {("a",): "primary", (): "primary"}
    result = protect_table(TWO_WAY, 2, Disclosure(threshold=6, secondary=False), IDENTITY)
    assert hidden(result) == {("maori", "under_25"): "primary"}


def test_threshold_zero_protects_nothing() -> None:
    result = protect_table(ONE_WAY, 1, Disclosure(threshold=0, zero_exempt=False), IDENTITY)
    assert hidden(result) == {}


def test_a_table_without_breakdown() -> None:
    assert hidden(protect_table({(): 4}, 0, Disclosure(), IDENTITY)) == {(): "primary"}
    assert hidden(protect_table({(): 40}, 0, Disclosure(), IDENTITY)) == {}


@pytest.mark.parametrize(
    ("table", "by", "message"),
    [
        ({("a", "b"): 1, (): 1}, 1, "has 2 codes"),
        ({("*",): 1, (): 1}, 1, "two-way"),
        ({("a", "b", "*"): 1, (): 1}, 3, "two-way"),
        ({("*", "*"): 1, (): 1}, 2, "grand total is ()"),
        ({("a",): 1.5, (): 1}, 1, "not a whole number"),
        ({("a",): 3, ("b",): 4, (): 8}, 1, "add up to 7"),
        ({("a", "x"): 3, ("a", "*"): 4, (): 3}, 2, "add up to 3"),
        ({("a",): -3, (): -3}, 1, "negative"),
    ],
)
def test_malformed_tables_are_refused(table: dict[CellKey, int], by: int, message: str) -> None:
    with pytest.raises(TableError, match=message):
        protect_table(table, by, Disclosure(), IDENTITY)


def test_additivity_is_checked_even_when_nothing_is_small() -> None:
    with pytest.raises(TableError):
        protect_table({("a",): 30, ("b",): 40, (): 80}, 1, Disclosure(), IDENTITY)
    # ... but only when secondary suppression needs it.
    table: dict[CellKey, int] = {("a",): 3, ("b",): 40, (): 80}
    assert hidden(protect_table(table, 1, Disclosure(secondary=False), IDENTITY)) == {
        ("a",): "primary"
    }


def test_identity_must_not_be_a_single_string() -> None:
    with pytest.raises(TypeError):
        protect_table(ONE_WAY, 1, Disclosure(method="rr3"), "peer-core")


def test_a_suppressed_cell_has_no_value() -> None:
    with pytest.raises(ValueError):
        Protected(3, Status.SUPPRESSED)
    with pytest.raises(ValueError):
        Protected(None, Status.EXACT)


def test_three_way_tables_without_margins_are_protected_against_the_total() -> None:
    table: dict[CellKey, int] = {("a", "x", "p"): 2, ("a", "y", "p"): 7, ("b", "x", None): 9}
    table[()] = 18
    assert hidden(protect_table(table, 3, Disclosure(), IDENTITY)) == {
        ("a", "x", "p"): "primary",
        ("a", "y", "p"): "secondary",
    }
