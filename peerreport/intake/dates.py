"""Which way round a file writes its dates, and the cells that are wrong because of it.

Dates are read in the workspace's order (day first by default). A written date
that is no date that way but is one the other way round ("08/14/2026") is an
error that suggests the corrected value. Once a file has shown such a date,
its ambiguous dates ("04/05/2026", a date either way) are errors too, each
with its own suggestion, because the file evidently writes the month first.

Files are read once, so an ambiguous date above the first telling one is
remembered and reported when the file ends; `survey` reads the file's date
cells ahead, for imports that store valid rows (`--skip-invalid`) and so
must know before storing one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.intake.values import (
    CellValueError,
    is_ambiguous,
    parse_date,
    spoken,
    swapped_reading,
)

MAX_REMEMBERED = 1000  # ambiguous dates kept before the first telling one; the rest counted


class AmbiguousDate(CellValueError):
    """A date that reads either way, in a file that writes dates the other way round."""


@dataclass(frozen=True)
class Place:
    """A cell, for messages: the table, the row, its column and Excel address."""

    where: str
    row: int
    column: str
    address: str | None = None

    def describe(self) -> str:
        """'cell B9' in a workbook, 'row 9' in other files."""
        return f"cell {self.address}" if self.address else f"row {self.row}"


@dataclass
class DateOrder:
    """What one file shows about its date order."""

    date_order: str = "day-first"
    telling: str | None = None  # the first date only readable the other way round: where, what
    remembered: list[tuple[Place, str]] = field(default_factory=list)
    more: int = 0

    @property
    def other(self) -> str:
        """'month' in a day-first workspace: what the file writes first, if it is the other way."""
        return "month" if self.date_order == "day-first" else "day"

    def read(self, value: object, place: Place, *, from_excel: bool) -> dt.date:
        """A date cell's value, or `CellValueError` with the suggestion for this file."""
        try:
            date = parse_date(value, self.date_order, from_excel=from_excel)
        except CellValueError:
            if self.telling is None and isinstance(value, str):
                self.note(value, place)
            raise
        if isinstance(value, str) and is_ambiguous(value):
            self.read_ambiguous(value, lambda: place)
        return date

    def read_ambiguous(self, text: str, place: Callable[[], Place]) -> None:
        """A date that reads either way (`is_ambiguous`) was read: an error once the file has
        shown it writes dates the other way round, else remembered for `late_findings`
        (`place` is asked only when the date is remembered, not merely counted)."""
        if self.telling is not None:
            raise AmbiguousDate(self._ambiguous(text))
        if len(self.remembered) < MAX_REMEMBERED:
            self.remembered.append((place(), text))
        else:
            self.more += 1

    def note(self, value: object, place: Place) -> None:
        """Look at a date cell ahead of the import (see `survey`)."""
        if self.telling is None and isinstance(value, str):
            try:
                parse_date(value, self.date_order)
            except CellValueError:
                if swapped_reading(value, self.date_order) is not None:
                    self.telling = f'{place.describe()}, "{value.strip()}"'

    def _ambiguous(self, text: str) -> str:
        swapped = swapped_reading(text, self.date_order)
        assert swapped is not None
        as_read = parse_date(text, self.date_order)
        return (
            f'"{text.strip()}" is ambiguous in this file, which writes some dates {self.other} '
            f"first ({self.telling}): did you mean {swapped.text} ({spoken(swapped.date)})? "
            f"If it is {spoken(as_read)}, write {as_read.isoformat()}"
        )

    def late_findings(self) -> list[Finding]:
        """When the file turned out to write dates the other way: its earlier ambiguous dates."""
        if self.telling is None:
            return []
        found = [
            finding(
                "IMP-022",
                self._ambiguous(text),
                "Write the date the way the rest of the file does, or as YYYY-MM-DD.",
                Location(place.where, place.row, place.column, address=place.address),
            )
            for place, text in self.remembered
        ]
        if self.more:
            found.append(
                finding(
                    "IMP-022",
                    f"and {self.more:,} more ambiguous dates like these",
                    "Write the dates as YYYY-MM-DD, or set date_order in peerreport.toml.",
                    Location(file=self.remembered[-1][0].where),
                )
            )
        self.remembered.clear()
        return found


def survey(order: DateOrder, cells: Iterable[tuple[object, Place]]) -> None:
    """Look through a file's date cells for a telling one before its rows are read."""
    for value, place in cells:
        order.note(value, place)
        if order.telling is not None:
            return
