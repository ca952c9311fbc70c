"""Reading an intake workbook back the way Excel would: validations, drop-down values, rows."""

from __future__ import annotations

from typing import Any

from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet


def headings(sheet: Worksheet) -> list[str]:
    """The texts of row 1, up to the first empty cell."""
    result = []
    for cell in sheet[1]:
        if cell.value is None:
            break
        result.append(str(cell.value))
    return result


def validations(sheet: Worksheet) -> dict[str, DataValidation]:
    """Each column's data validation, by the column's heading (one validation per column)."""
    found: dict[str, DataValidation] = {}
    for validation in sheet.data_validations.dataValidation:
        for cells in validation.sqref.ranges:
            assert cells.min_col == cells.max_col, f"one column per range: {cells.coord}"
            heading = sheet.cell(row=1, column=cells.min_col).value
            assert heading not in found, f"two validations on {heading}"
            found[str(heading)] = validation
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
    """Every drop-down list of a record sheet: heading -> the values it offers."""
    sheet = workbook[sheet_name]
    return {
        heading: [str(v) for v in list_range(workbook, validation)]
        for heading, validation in validations(sheet).items()
        if validation.type == "list"
    }


def fill(sheet: Worksheet, rows: list[dict[str, Any]]) -> None:
    """Write rows (field -> value) below the headings, as a coordinator would."""
    columns = {name: index for index, name in enumerate(headings(sheet), start=1)}
    for number, row in enumerate(rows, start=2):
        for field, value in row.items():
            sheet.cell(row=number, column=columns[field], value=value)
