"""Figures: the computed values of a rule file's measures, with their breakdown cells.

Values are `int` for whole-number measures (counts, distinct counts, sums of
whole numbers), `float` for real ones (derived measures, sums of FTE or
hours), `datetime.date` for min/max of dates, and `None` when there is no
value (the min of no records, a derived measure that divides by zero, a
figure that is not collected: `Figure.collected`).
A measure's `round` is applied once, to the final figure, rounding halves
away from zero; checks compare the unrounded values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

Value = int | float | dt.date | None
CellKey = tuple[str | None, ...]


@dataclass(frozen=True)
class Cell:
    """One cell of a breakdown: the `by` codes (None: not recorded) and the value."""

    key: CellKey
    value: Value
    # How many records gave a min or max (None for other kinds): disclosure control
    # hides one given by fewer than the threshold.
    support: int | None = field(default=None, compare=False)

    def label(self) -> str:
        """The key as text: codes joined with ',', '-' for not recorded."""
        return cell_label(self.key)


def cell_label(key: CellKey) -> str:
    """('in_person', None) -> 'in_person,-'."""
    return ",".join("-" if k is None else k for k in key)


@dataclass(frozen=True)
class Figure:
    """One measure's result."""

    id: str
    label: str
    kind: str
    value: Value
    unit: str = ""
    line: str = ""
    by: tuple[str, ...] = ()
    cells: tuple[Cell, ...] = ()
    support: int | None = field(default=None, compare=False)  # records behind a min or max
    # False when the organisation did not collect what the measure reads (`nothing = "not
    # collected"`), or a derived measure uses such a figure: no value, not 0.
    collected: bool = True

    def cell(self, *key: str | None) -> Value:
        """The value of one cell (KeyError if the breakdown has no such cell)."""
        for c in self.cells:
            if c.key == tuple(key):
                return c.value
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return {
            "id": self.id,
            "label": self.label,
            "kind": self.kind,
            "unit": self.unit,
            "line": self.line,
            "value": json_value(self.value),
            "by": list(self.by),
            "cells": [{"key": list(c.key), "value": json_value(c.value)} for c in self.cells],
            **({} if self.collected else {"collected": False}),
        }


@dataclass(frozen=True)
class Figures:
    """Every measure's figure, in rule-file order."""

    figures: dict[str, Figure] = field(default_factory=dict)

    def __getitem__(self, measure_id: str) -> Figure:
        return self.figures[measure_id]

    def __iter__(self) -> Any:
        return iter(self.figures.values())

    def values(self) -> dict[str, Value]:
        """Measure id -> value."""
        return {k: f.value for k, f in self.figures.items()}

    def uncollected(self) -> set[str]:
        """The ids of the figures that are not collected."""
        return {k for k, f in self.figures.items() if not f.collected}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return {k: f.to_dict() for k, f in self.figures.items()}


def json_value(value: Value) -> int | float | str | None:
    """A value for JSON: dates as ISO text."""
    return value.isoformat() if isinstance(value, dt.date) else value


def round_half_up(value: Value, places: int | None) -> Value:
    """Round a number to `places` decimals, halves away from zero; others unchanged."""
    if places is None or value is None or isinstance(value, dt.date | bool):
        return value
    rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return int(rounded) if isinstance(value, int) else float(rounded)


def show(value: Any, places: int | None = None) -> str:
    """A value as a message shows it."""
    if value is None:
        return "no value"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if places is not None:
            return f"{round_half_up(value, places):.{places}f}"
        return f"{value:.6g}" if value != int(value) else str(int(value))
    return str(value)
