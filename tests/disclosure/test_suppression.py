"""Secondary suppression: worked examples, with the reason for every hidden cell."""

from __future__ import annotations

from peerreport.disclosure import MARGIN, CellKey, Protected, Status, protect_table
from peerreport.rulebook.model import Disclosure

IDENTITY = ["peer-core", "sessions"]
POLICY = Disclosure(threshold=6)


def hidden(result: dict[CellKey, Protected]) -> dict[CellKey, str]:
    return {k: p.reason for k, p in result.items() if p.status is Status.SUPPRESSED}


def test_one_way_hides_the_smallest_other_cell() -> None:
    # 3 = 23 - 8 - 12 unless a second cell goes: the smallest non-zero, 8.
    table: dict[CellKey, int] = {("a",): 3, ("b",): 8, ("c",): 12, ("d",): 0, (): 23}
    assert hidden(protect_table(table, 1, POLICY, IDENTITY)) == {
        ("a",): "primary",
        ("b",): "secondary",
    }


def test_two_small_cells_that_pin_each_other_need_the_total_hidden() -> None:
    # 3 + 4 = 7 published: each is between 1 and 6 (zeros are always shown, so a
    # hidden cell is at least 1), a range of 5 < 6. Hiding the total fixes it.
    table: dict[CellKey, int] = {("a",): 3, ("b",): 4, ("c",): 0, (): 7}
    assert hidden(protect_table(table, 1, POLICY, IDENTITY)) == {
        ("a",): "primary",
        ("b",): "primary",
        (): "secondary",
    }


def test_two_small_cells_are_enough_when_zero_could_be_hidden() -> None:
    # Without the zero exemption the attacker only knows 0 <= a <= 7: wide enough.
    table: dict[CellKey, int] = {("a",): 3, ("b",): 4, ("c",): 9, (): 16}
    policy = Disclosure(threshold=6, zero_exempt=False)
    assert hidden(protect_table(table, 1, policy, IDENTITY)) == {
        ("a",): "primary",
        ("b",): "primary",
    }


def test_two_way_with_margins_hides_a_rectangle() -> None:
    table: dict[CellKey, int] = {
        ("a", "x"): 3,
        ("a", "y"): 10,
        ("b", "x"): 9,
        ("b", "y"): 12,
        ("a", MARGIN): 13,
        ("b", MARGIN): 21,
        (MARGIN, "x"): 12,
        (MARGIN, "y"): 22,
        (): 34,
    }
    assert hidden(protect_table(table, 2, POLICY, IDENTITY)) == {
        ("a", "x"): "primary",
        ("a", "y"): "secondary",
        ("b", "x"): "secondary",
        ("b", "y"): "secondary",
    }


def test_two_way_without_margins_only_the_total_constrains() -> None:
    table: dict[CellKey, int] = {
        ("a", "x"): 3,
        ("a", "y"): 10,
        ("b", "x"): 9,
        ("b", "y"): 12,
        (): 34,
    }
    assert hidden(protect_table(table, 2, POLICY, IDENTITY)) == {
        ("a", "x"): "primary",
        ("b", "x"): "secondary",
    }


def test_a_small_margin_is_protected_like_a_cell() -> None:
    table: dict[CellKey, int] = {
        ("a", "x"): 2,
        ("a", "y"): 2,
        ("b", "x"): 20,
        ("b", "y"): 30,
        ("a", MARGIN): 4,
        ("b", MARGIN): 50,
        (): 54,
    }
    # 54 - 50 would give row a's total back, so row b's total goes too; then
    # a cell of row b, or a's cells would add up to 54 - 20 - 30 = 4.
    assert hidden(protect_table(table, 2, POLICY, IDENTITY)) == {
        ("a", "x"): "primary",
        ("a", "y"): "primary",
        ("a", MARGIN): "primary",
        ("b", "x"): "secondary",
        ("b", MARGIN): "secondary",
    }


def test_published_zeros_stay_published() -> None:
    table: dict[CellKey, int] = {("a",): 2, ("b",): 0, ("c",): 0, ("d",): 30, (): 32}
    result = protect_table(table, 1, POLICY, IDENTITY)
    assert result[("b",)] == Protected(0, Status.EXACT)
    assert hidden(result) == {("a",): "primary", ("d",): "secondary"}
