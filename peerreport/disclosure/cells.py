"""Published cells: keys, statuses, and the checks every table must pass.

A table is a mapping from `CellKey` to a count. `()` is the grand total; a key
of length `by` is a breakdown cell, one code per `by` field, where `None` is the
ordinary "not recorded" category. In a two-way table, `MARGIN` ("*") in one
position makes the key a margin: `("maori", "*")` is the row total of
`maori`, `("*", "25_44")` the column total of `25_44`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

from peerreport.errors import PeerreportError

CellKey: TypeAlias = tuple[str | None, ...]
MARGIN = "*"
GRAND_TOTAL: CellKey = ()


class Status(StrEnum):
    """How a published cell relates to the computed count."""

    EXACT = "exact"
    SUPPRESSED = "suppressed"
    ROUNDED = "rounded"


@dataclass(frozen=True)
class Protected:
    """One published cell: its value (None when suppressed), its status and why."""

    value: int | None
    status: Status
    reason: str = ""

    def __post_init__(self) -> None:
        if (self.value is None) != (self.status is Status.SUPPRESSED):
            raise ValueError("a cell has no value exactly when it is suppressed")


class TableError(PeerreportError, ValueError):
    """A table given to disclosure control is malformed, negative or does not add up."""


def key_label(key: CellKey) -> str:
    """An unambiguous text form of a key, used in seeds: `[]`, `["maori",null]`, `["*","a"]`."""
    return json.dumps(list(key), ensure_ascii=False, separators=(",", ":"))


def code_order(code: str | None) -> tuple[bool, str]:
    """Sort key for one code: codes alphabetically, then None (not recorded)."""
    return (code is None, code or "")


def key_order(key: CellKey) -> tuple[tuple[bool, str], ...]:
    """Sort key for whole keys, so that results never depend on the mapping's order."""
    return tuple(code_order(code) for code in key)


def kind_of(key: CellKey) -> str:
    """'total', 'margin' or 'cell'."""
    if key == GRAND_TOTAL:
        return "total"
    return "margin" if MARGIN in key else "cell"


def check_table(cells: Mapping[CellKey, int], by: int) -> None:
    """Raise `TableError` unless every key fits a table broken down by `by` fields.

    Margins are allowed in two-way tables only, with exactly one `MARGIN`;
    values must be whole numbers.
    """
    if by < 0:
        raise TableError(f"by must be 0 or more, not {by}")
    for key, value in cells.items():
        if not isinstance(key, tuple) or not all(c is None or isinstance(c, str) for c in key):
            raise TableError(f"cell key {key!r} is not a tuple of codes")
        if isinstance(value, bool) or not isinstance(value, int):
            raise TableError(f"cell {key_label(key)} has value {value!r}, not a whole number")
        if key == GRAND_TOTAL:
            continue
        if len(key) != by:
            raise TableError(f"cell {key_label(key)} has {len(key)} codes; the table has by = {by}")
        margins = key.count(MARGIN)
        if margins and by != 2:
            raise TableError(f"cell {key_label(key)}: margins ('*') need a two-way table")
        if margins > 1:
            raise TableError(f"cell {key_label(key)}: the grand total is (), not ('*', '*')")
