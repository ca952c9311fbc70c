"""A messy activity log: the mistakes coordinators really make, one per row.

`samples/messy-activity-log.xlsx` is made by this module and shows what
`peerreport import` says about each mistake. Every other row, and every other
cell of a row with a mistake, is valid, so each mistake gets exactly one
message. The workbook is synthetic: the organisation, groups and notes are
invented, and the one identifier is a test-range NHI number (ZAA0067, whose
check character is valid, so the privacy guard catches it as a real one).

    python -m peerreport.samples.messy samples/messy-activity-log.xlsx
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from peerreport.samples.generator import ORGANISATION

#: The test-range NHI number planted in a notes cell (valid check character).
STRAY_NHI = "ZAA0067"

TITLE = f"{ORGANISATION}: activity log, April 2026 (synthetic sample with mistakes)"

# Headings as coordinators write them: intake accepts these spellings of the fields.
HEADINGS = [
    "Activity ID",
    "Date",
    "Start time",
    "Activity type",
    "Programme",
    "Delivery mode",
    "Attendees",
    "First time",
    "Notes",
    "Room",  # the coordinator's own column: not a peerreport field, so not stored (a notice)
]
BREAKDOWN_HEADINGS = ["Activity ID", "Breakdown", "Category", "Count"]


@dataclass(frozen=True)
class Mistake:
    """One planted mistake: the column it is in and what it is."""

    column: str
    what: str
    row: int = 0  # set from the mistake's place in the sheet


def _day(day: int) -> dt.date:
    return dt.date(2026, 4, day)


#: The sheet rows above the activities: the title, then the headings.
FIRST_ROW = 3

# (row values, the mistake in the row or None), from row FIRST_ROW down.
_ROWS: list[tuple[list[Any] | None, Mistake | None]] = [
    (
        ["GRP-0401", _day(1), "18:00", "group", "Peer support groups", "in_person", 9, 1, None],
        None,
    ),
    (
        ["DRP-0402", _day(2), "10:00", "drop_in", "Drop-in centre", "in_person", 14, 2, None],
        None,
    ),
    (
        ["WLC-0403", "04/13/2026", "19:30", "warm_line_call", "Warm line", "phone", 1, 0, None],
        Mistake("Date", 'a US month-first date, "04/13/2026", which cannot be read day first'),
    ),
    (
        ["GRP-0404", _day(7), "18:00", "group", "Peer support groups", "in_person", 7, 0, None],
        None,
    ),
    (
        ["GRP-0405", "31/02/2026", "13:00", "group", "Peer support groups", "video", 6, 1, None],
        Mistake("Date", 'an impossible date, "31/02/2026"'),
    ),
    (None, None),  # a blank row in the middle (a notice, not an error)
    (
        [
            "ADV-0406",
            _day(14),
            "11:00",
            "individual_advocacy",
            "Advocacy",
            "in_person",
            1,
            1,
            f"Taxi chit given to {STRAY_NHI}",
        ],
        Mistake("Notes", "a stray NHI number in the notes"),
    ),
    (
        ["GRP-0407", _day(14), "18:00", "group", "Peer support groups", "in_person", -2, 0, None],
        Mistake("Attendees", "a negative attendance"),
    ),
    (
        ["GRP-0408", _day(21), "18:00", "gorup", "Peer support groups", "in_person", 8, 2, None],
        Mistake("Activity type", 'a typo in the activity type, "gorup"'),
    ),
    (
        [
            "EDU-0409",
            _day(23),
            "10:00",
            "education",
            "Education",
            "in_person",
            12,
            5,
            "Moved to the small room",
        ],
        None,
    ),
]

# Breakdowns of the valid activities only: a breakdown of a rejected activity would
# earn a second message ("there is no activity ... to break down") for one mistake.
_BREAKDOWNS: list[list[Any]] = [
    ["GRP-0401", "ethnicity", "maori", 4],
    ["GRP-0401", "ethnicity", "european", 5],
    ["DRP-0402", "age_band", "25_44", 9],
    ["DRP-0402", "age_band", "45_64", 5],
]

#: A stray cell far below the data: a note the coordinator left for themselves.
STRAY_ROW = 40
STRAY_NOTE = "stock take done"
_ROOMS = ("Hall", "Lounge", "Phone room", "Hall", "Online", "Office", "Hall", "Hall", "Small room")

#: Every planted mistake, in row order, with its sheet row.
MISTAKES: tuple[Mistake, ...] = (
    *(
        replace(mistake, row=FIRST_ROW + index)
        for index, (_, mistake) in enumerate(_ROWS)
        if mistake is not None
    ),
    Mistake("Notes", "a stray cell far below the data", STRAY_ROW),
)
#: The rows intake reports as notices: the title row, the blank row (and the empty rows
#: above the stray cell).
TITLE_ROW = 1
BLANK_ROW = FIRST_ROW + next(i for i, (cells, _) in enumerate(_ROWS) if cells is None)


def write_messy_workbook(path: Path) -> Path:
    """Write the messy activity log to `path` (.xlsx), the same every time."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Activities"
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADINGS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(HEADINGS)
    rooms = iter(_ROOMS)
    for cells, _ in _ROWS:
        sheet.append([*cells, next(rooms)] if cells else [])
    sheet.cell(row=STRAY_ROW, column=HEADINGS.index("Notes") + 1, value=STRAY_NOTE)
    for row in sheet.iter_rows(min_row=3, max_col=2):
        if isinstance(row[1].value, dt.date):
            row[1].number_format = "DD/MM/YYYY"
    breakdowns = workbook.create_sheet("Breakdowns")
    breakdowns.append(BREAKDOWN_HEADINGS)
    for line in _BREAKDOWNS:
        breakdowns.append(line)
    for worksheet in (sheet, breakdowns):
        for cell in worksheet[2 if worksheet is sheet else 1]:
            cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGHIJ", (12, 12, 10, 20, 22, 14, 10, 10, 40, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    workbook.properties.creator = "peerreport"
    workbook.properties.created = dt.datetime(2026, 4, 30)
    workbook.save(path)
    return path


def main(argv: list[str] | None = None) -> int:
    """`python -m peerreport.samples.messy OUT`: write the workbook to OUT."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].lower().endswith(".xlsx"):
        print("usage: python -m peerreport.samples.messy OUT.xlsx", file=sys.stderr)
        return 2
    print(f"wrote {write_messy_workbook(Path(args[0]))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
