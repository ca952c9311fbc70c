"""Reading an intake workbook back the way Excel would: validations, drop-down values, rows.

Columns are found by the field their heading names (intake's own matching), so
the tests say `kind` whatever the heading reads ("Kind of activity").
"""

from __future__ import annotations

from typing import Any

from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from peerreport.intake.headings import match_heading, record_type_for_name


def headings(sheet: Worksheet) -> list[str]:
    """The texts of row 1, up to the first empty cell."""
    result = []
    for cell in sheet[1]:
        if cell.value is None:
            break
        result.append(str(cell.value))
    return result


def field_of(sheet: Worksheet, heading: str) -> str:
    """The field a heading of a record sheet names, as intake reads it."""
    record_type = record_type_for_name(sheet.title)
    assert record_type is not None, sheet.title
    field = match_heading(record_type, heading).field
    assert field is not None, f"{sheet.title}: intake does not read the heading {heading!r}"
    return field


def fields(sheet: Worksheet) -> list[str]:
    """The fields of row 1's headings, in order."""
    return [field_of(sheet, heading) for heading in headings(sheet)]


def validations(sheet: Worksheet) -> dict[str, DataValidation]:
    """Each column's data validation, by the column's field (one validation per column)."""
    found: dict[str, DataValidation] = {}
    for validation in sheet.data_validations.dataValidation:
        for cells in validation.sqref.ranges:
            assert cells.min_col == cells.max_col, f"one column per range: {cells.coord}"
            field = field_of(sheet, str(sheet.cell(row=1, column=cells.min_col).value))
            assert field not in found, f"two validations on {field}"
            found[field] = validation
    return found


def list_range(workbook: Workbook, validation: DataValidation) -> list[Any]:
    """The values a list validation's formula points at, read from the workbook."""
    formula = str(validation.formula1).lstrip("=")
    assert "!" in formula, f"not a range on another sheet: {formula}"
    sheet_name, reference = formula.rsplit("!", 1)
    sheet = workbook[sheet_name.strip("'")]
    cells = sheet[reference.replace("$", "")]
    return [row[0].value for row in cells]


def drop_downs(workbook: Workbook, sheet_name: str) -> dict[str, list[str]]:
    """Every drop-down list of a record sheet: field -> the values it offers."""
    sheet = workbook[sheet_name]
    return {
        heading: [str(v) for v in list_range(workbook, validation)]
        for heading, validation in validations(sheet).items()
        if validation.type == "list"
    }


def fill(sheet: Worksheet, rows: list[dict[str, Any]]) -> None:
    """Write rows (field -> value) below the headings, as a coordinator would."""
    columns = {name: index for index, name in enumerate(fields(sheet), start=1)}
    for number, row in enumerate(rows, start=2):
        for field, value in row.items():
            sheet.cell(row=number, column=columns[field], value=value)
