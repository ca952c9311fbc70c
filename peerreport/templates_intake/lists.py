"""The hidden "Lists" sheet: the values the drop-down lists offer.

Excel limits a list typed into a validation to 255 characters, so each list
lives on this sheet and the validations point at its range.

Intake must never read this sheet as records. Its name is not a record type,
so intake looks in its first `HEADER_SCAN_ROWS` rows for a row of headings
and, finding none, skips the sheet. The lists therefore start below that
window: rows 1 to `HEADER_SCAN_ROWS` hold only a one-cell note, and no row
there has the two or more texts a heading row needs. The list titles are
also worded so that none is a field name ("List: Delivery mode", not
"Delivery mode", which intake would read as the `mode` heading).
"""

from __future__ import annotations

from dataclasses import dataclass

from peerreport.intake.sources import HEADER_SCAN_ROWS
from peerreport.templates_intake.columns import (
    Column,
    list_choice,
    list_choices,
    list_title,
    list_values,
)

#: The sheet's name; intake ignores sheets not named after a record type.
LISTS_SHEET = "Lists"
#: The row of the list titles: just below the rows intake scans for headings.
TITLE_ROW = HEADER_SCAN_ROWS + 1
#: The first row of list values.
FIRST_ROW = TITLE_ROW + 1
#: The note in A1, the only text above the lists.
NOTE = (
    "Values of the drop-down lists on the other sheets (what you choose, then the code "
    "peerreport stores). Do not edit: peerreport reads its own vocabularies, not this sheet."
)


@dataclass(frozen=True)
class ListRange:
    """Where one drop-down list's values sit on the Lists sheet."""

    name: str
    title: str
    column: int  # the choices' column (1-based); their codes are in the next column
    values: tuple[str, ...]  # the choices the drop-down offers (labels)
    codes: tuple[str, ...]  # the code of each choice

    @property
    def reference(self) -> str:
        """The absolute reference a validation uses, e.g. `Lists!$A$12:$A$22`."""
        from openpyxl.utils import get_column_letter

        letter = get_column_letter(self.column)
        last = FIRST_ROW + len(self.values) - 1
        return f"{LISTS_SHEET}!${letter}${FIRST_ROW}:${letter}${last}"


def list_ranges(columns: list[Column]) -> dict[str, ListRange]:
    """One range per list the columns use, in first-use order, two sheet columns each."""
    ranges: dict[str, ListRange] = {}
    for column in columns:
        name = column.list_name
        if name is None or name in ranges:
            continue
        choices = list_choices(name)
        code_of = {list_choice(name, code): code for code in reversed(list_values(name))}
        ranges[name] = ListRange(
            name=name,
            title=f"List: {list_title(name)}",
            column=1 + 3 * len(ranges),  # choice, code, an empty spacer column
            values=choices,
            codes=tuple(code_of[c] for c in choices),
        )
    return ranges
