"""A funder-style workbook template built in code (the tests' own fixture).

Sheet 'Quarterly Return': a merged title, yellow input cells with borders, named
ranges for the provider fields (one on a merged cell), line codes with units,
number formats, a date cell, a SUM formula over the mapped volumes, and a
'Guidance' sheet with its own formatting and a sheet-scoped name.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.workbook.defined_name import DefinedName

SHEET = "Quarterly Return"
YELLOW = PatternFill("solid", fgColor="FFF2CC")
HEAD = PatternFill("solid", fgColor="1F4E79")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
LINES = [
    ("PS-01", "Peer support group sessions delivered", "session"),
    ("PS-02", "Warm line calls answered by phone", "call"),
    ("PS-03", "Attendances by Māori", "attendance"),
    ("PS-04", "Attendances, ethnicity not recorded", "attendance"),
    ("PS-05", "Attendances by Pacific peoples", "attendance"),
    ("PS-06", "Average group size", "people"),
]
NAMES = {
    "provider_name": f"'{SHEET}'!$C$3:$E$3",
    "provider_number": f"'{SHEET}'!$C$4",
    "quarter": f"'{SHEET}'!$C$5",
}


def build_template(path: Path) -> Path:
    """Write the template to `path`."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet["A1"] = "Example funder — Quarterly Provider Return"
    sheet["A1"].font = Font(bold=True, size=14, color="1F4E79")
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.merge_cells("A1:E1")
    for row, label in (
        (3, "Provider name"),
        (4, "Provider number"),
        (5, "Quarter"),
        (6, "Quarter starts"),
    ):
        sheet.cell(row=row, column=1, value=label).font = Font(bold=True)
        target = sheet.cell(row=row, column=3)
        target.fill = YELLOW
        target.border = BOX
    sheet.merge_cells("C3:E3")
    sheet["C6"].number_format = "dd/mm/yyyy"
    for column, heading in enumerate(("Line", "Measure", "Unit", "Volume", "Comment"), start=1):
        cell = sheet.cell(row=8, column=column, value=heading)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEAD
    for offset, (code, measure, unit) in enumerate(LINES):
        row = 9 + offset
        sheet.cell(row=row, column=1, value=code)
        sheet.cell(row=row, column=2, value=measure)
        sheet.cell(row=row, column=3, value=unit)
        volume = sheet.cell(row=row, column=4)
        volume.fill = YELLOW
        volume.border = BOX
        volume.number_format = "#,##0" if code != "PS-06" else "0.0"
        sheet.cell(row=row, column=5).fill = YELLOW
    sheet["B16"] = "Total attendances (calculated)"
    sheet["D16"] = "=SUM(D11:D13)"
    sheet["D16"].font = Font(bold=True)
    sheet["D16"].number_format = "#,##0"
    sheet["A18"] = "Declaration: figures contain no client identifiers."
    sheet.merge_cells("A18:E18")
    sheet.column_dimensions["B"].width = 44
    sheet.oddFooter.right.text = "Page &P of &N"
    for name, ref in NAMES.items():
        book.defined_names[name] = DefinedName(name, attr_text=ref)
    guidance = book.create_sheet("Guidance")
    guidance["A1"] = "Complete the yellow cells only. Return by the 20th."
    guidance["A1"].font = Font(italic=True)
    guidance.column_dimensions["A"].width = 90
    guidance.defined_names["due_day"] = DefinedName("due_day", attr_text="Guidance!$A$3")
    guidance["A3"] = 20
    book.save(path)
    return path
