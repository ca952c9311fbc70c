"""The shipped example funder template, built in code (a fictional funder's workbook).

`rules/templates/example-tailored.xlsx` is what `rules/example-tailored.toml`
fills: a 'Return' sheet with the provider and period, five lines of figures
and one formula (calls in office hours = calls less calls out of hours),
which is what a funder's own workbook looks like. Regenerate it with
`python -m peerreport.samples.templates`; a test checks the committed file
against this code cell by cell.
"""

from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Border, Font, PatternFill, Side

SHEET = "Return"
FILE = Path(__file__).resolve().parents[2] / "rules" / "templates" / "example-tailored.xlsx"
INPUT = PatternFill("solid", fgColor="FFF2CC")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
#: (row, line code, item, unit, formula or None); the value goes in column C.
LINES = [
    (7, "T1", "Member-led peer support group sessions", "sessions", None),
    (8, "GS", "Peer support group sessions", "sessions", None),
    (9, "WL1", "Warm line calls", "calls", None),
    (10, "WL2", "Warm line calls out of hours (weekends, before 9am, from 5pm)", "calls", None),
    (11, "WL3", "Warm line calls in office hours", "calls", "=C9-C10"),
]


def example_workbook() -> Workbook:
    """The example funder's quarterly return workbook, empty."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet["A1"] = "Example regional funder: quarterly peer support return (fictional)"
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.merge_cells("A1:D1")
    for row, label in ((3, "Provider"), (4, "Period")):
        sheet.cell(row, 1, label).font = Font(bold=True)
        sheet.cell(row, 3).fill = INPUT
        sheet.cell(row, 3).border = BOX
    for column, heading in enumerate(("Line", "Item", "Value", "Unit"), 1):
        sheet.cell(6, column, heading).font = Font(bold=True)
    for row, code, item, unit, formula in LINES:
        sheet.cell(row, 1, code)
        sheet.cell(row, 2, item)
        value = sheet.cell(row, 3, formula)
        value.border = BOX
        if formula is None:
            value.fill = INPUT
        sheet.cell(row, 4, unit)
    for letter, width in (("A", 8), ("B", 62), ("C", 14), ("D", 10)):
        sheet.column_dimensions[letter].width = width
    return book


def main(argv: list[str] | None = None) -> None:
    """Write the template (to the path given, else the shipped file)."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    example_workbook().save(target)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
