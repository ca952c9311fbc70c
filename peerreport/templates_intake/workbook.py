"""Writing the intake workbook with openpyxl.

Sheets, in order: the guidance sheet, one sheet per record type (readable
headings in row 1, bold and frozen, each with a note; validations and cell formats on
rows 2 to `rows + 1`) and the hidden Lists sheet. Formatting a cell gives it
no value, so the prepared rows read as blank, and intake skips blank rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from peerreport.templates_intake.columns import SHEET_NAMES, Column, all_columns
from peerreport.templates_intake.guidance import (
    GUIDANCE_SHEET,
    error_message,
    guidance_lines,
    heading_note,
    prompt,
    title_line,
)
from peerreport.templates_intake.lists import (
    FIRST_ROW,
    LISTS_SHEET,
    NOTE,
    TITLE_ROW,
    ListRange,
    list_ranges,
)
from peerreport.templates_intake.usage import ReturnUse

#: How many rows are prepared (validations and formats) below the headings by default.
DEFAULT_ROWS = 5000
#: The most rows prepared: each formatted cell costs memory while writing (50,000 rows
#: take about 12 seconds and 200 MB). Rows below the prepared ones still import.
MAX_ROWS = 100_000

DATE_FORMAT = "DD/MM/YYYY"
TIME_FORMAT = "HH:MM"
_REQUIRED_FILL = "FCE4D6"  # a light orange behind required headings
_USED_FILL = "DDEBF7"  # a light blue behind optional headings the return uses

# Validation bounds for dates and times, as Excel formulas.
_FIRST_DATE = "DATE(2000,1,1)"
_LAST_DATE = "DATE(2099,12,31)"
_FIRST_TIME = "TIME(0,0,0)"
_LAST_TIME = "TIME(23,59,59)"


def write_intake_workbook(
    path: Path, use: ReturnUse | None = None, rows: int = DEFAULT_ROWS
) -> Path:
    """Write the intake workbook to `path` (an .xlsx file); returns the path.

    `use` (from `return_use(rule_file)`) titles the workbook for one return and
    marks the fields it uses; `rows` is how many rows get validations and
    formats below the headings.
    """
    from openpyxl import Workbook

    if not 1 <= rows <= MAX_ROWS:
        raise ValueError(f"rows must be from 1 to {MAX_ROWS}")
    workbook = Workbook()
    guidance = workbook.active
    assert guidance is not None
    _write_guidance(guidance, use)
    sheets = all_columns()
    ranges = list_ranges([c for columns in sheets.values() for c in columns])
    for record_type, columns in sheets.items():
        sheet = workbook.create_sheet(SHEET_NAMES[record_type])
        _write_record_sheet(sheet, columns, ranges, use, rows)
    _write_lists(workbook.create_sheet(LISTS_SHEET), ranges)
    workbook.active = 0
    workbook.properties.title = title_line(use)
    workbook.properties.creator = "peerreport"
    workbook.save(path)
    return path


def _write_guidance(sheet: Any, use: ReturnUse | None) -> None:
    from openpyxl.styles import Alignment, Font

    sheet.title = GUIDANCE_SHEET
    sheet.column_dimensions["A"].width = 110
    fonts = {"title": Font(bold=True, size=14), "heading": Font(bold=True, size=12)}
    for number, (style, text) in enumerate(guidance_lines(use), start=1):
        if not text:
            continue
        cell = sheet.cell(row=number, column=1, value=text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if style in fonts:
            cell.font = fonts[style]


def _write_record_sheet(
    sheet: Any,
    columns: list[Column],
    ranges: dict[str, ListRange],
    use: ReturnUse | None,
    rows: int,
) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    last_row = rows + 1
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=column.heading)
        cell.font = Font(bold=True)
        fill = (
            _REQUIRED_FILL
            if column.required
            else (_USED_FILL if use and use.uses(column.record_type, column.name) else None)
        )
        if fill:
            cell.fill = PatternFill("solid", start_color=fill, end_color=fill)
        note = heading_note(column, use)
        comment = Comment(note, "peerreport")
        comment.width = 360
        comment.height = min(600, 40 + 15 * (note.count("\n") + 1 + len(note) // 55))
        cell.comment = comment
        sheet.column_dimensions[letter].width = _width(column)
        sheet.add_data_validation(_validation(column, ranges, f"{letter}2:{letter}{last_row}"))
        number_format = {"date": DATE_FORMAT, "time": TIME_FORMAT}.get(column.kind)
        if number_format:
            for row in range(2, last_row + 1):
                sheet.cell(row=row, column=index).number_format = number_format
    sheet.freeze_panes = "A2"


def _width(column: Column) -> float:
    """A column wide enough for its heading and its example, within reason."""
    widest = max(len(column.heading), len(column.example), 10)
    if column.kind == "list":
        widest = max(widest, *(len(choice) for choice in column.choices))
    return float(min(widest + 3, 40))


def _validation(column: Column, ranges: dict[str, ListRange], cells: str) -> Any:
    """The data validation of one column, applied to `cells`."""
    from openpyxl.worksheet.datavalidation import DataValidation

    title, message = error_message(column)
    options: dict[str, Any] = {}
    if column.list_name is not None:
        options = {"type": "list", "formula1": ranges[column.list_name].reference}
    elif column.kind == "date":
        options = {"type": "date", "operator": "between"}
        options |= {"formula1": _FIRST_DATE, "formula2": _LAST_DATE}
    elif column.kind == "time":
        options = {"type": "time", "operator": "between"}
        options |= {"formula1": _FIRST_TIME, "formula2": _LAST_TIME}
    elif column.kind in ("whole", "decimal"):
        options = {"type": column.kind, "operator": "between"}
        options |= {"formula1": _number(column.minimum, "0"), "formula2": _number(column.maximum)}
    elif column.max_length:
        options = {"type": "textLength", "operator": "lessThanOrEqual"}
        options["formula1"] = str(column.max_length)
    else:
        options = {"type": None}  # free text: only the input message
    validation = DataValidation(
        allow_blank=True,
        showErrorMessage=options["type"] is not None,
        errorStyle="stop",
        errorTitle=title,
        error=message,
        showInputMessage=True,
        promptTitle=column.heading[:32],
        prompt=prompt(column),
        **options,
    )
    validation.add(cells)
    return validation


def _number(value: Any, default: str = "1000000") -> str:
    return default if value is None else format(value, "f")


def _write_lists(sheet: Any, ranges: dict[str, ListRange]) -> None:
    from openpyxl.styles import Font

    sheet.cell(row=1, column=1, value=NOTE)
    for item in ranges.values():
        title = sheet.cell(row=TITLE_ROW, column=item.column, value=item.title)
        title.font = Font(bold=True)
        for offset, (value, code) in enumerate(zip(item.values, item.codes, strict=True)):
            sheet.cell(row=FIRST_ROW + offset, column=item.column, value=value)
            sheet.cell(row=FIRST_ROW + offset, column=item.column + 1, value=code)
        sheet.column_dimensions[_letter(item.column)].width = 40
        sheet.column_dimensions[_letter(item.column + 1)].width = 24
    sheet.sheet_state = "hidden"
    sheet.protection.sheet = True  # a guard against accidental edits, not a secret


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(column))
