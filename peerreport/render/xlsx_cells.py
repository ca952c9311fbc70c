"""Writing values into openpyxl cells safely, and marking sheets DRAFT.

Shared by peerreport's own workbook and by funder templates. Text always goes
in as a string cell (never a formula), neutralised against formula injection
and stripped of the control characters XLSX cannot hold. Numbers go in as
numbers and ISO dates as dates, so the spreadsheet can add them up.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from peerreport.render.display import DRAFT_BANNER, as_date
from peerreport.render.safe import neutralise

#: Characters an XLSX file cannot hold (the same set openpyxl refuses).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
DATE_FORMAT = "yyyy-mm-dd"
INTEGER_FORMAT = "#,##0"


def clean_text(text: str) -> str:
    """`text` without the control characters XLSX cannot store, neutralised."""
    return neutralise(_ILLEGAL.sub("", text))


def put_text(cell: Any, text: str) -> None:
    """Write `text` as a string cell that no spreadsheet will evaluate."""
    cell.value = clean_text(text)
    cell.data_type = "s"


def put_value(cell: Any, value: object, *, keep_format: bool = False) -> None:
    """Write a published value: numbers and dates as such, anything else as safe text.

    With `keep_format` (a funder's template) the cell's own number format is
    kept, except that a date gets a date format if the cell has none.
    """
    if value is None:
        cell.value = None
        return
    if isinstance(value, bool):
        put_text(cell, "true" if value else "false")
        return
    if isinstance(value, int | float):
        cell.value = value
        if not keep_format and isinstance(value, int):
            cell.number_format = INTEGER_FORMAT
        return
    date = (
        value if isinstance(value, dt.date) else as_date(value) if isinstance(value, str) else None
    )
    if date is not None:
        cell.value = date  # openpyxl gives it a date format if the cell has none
        if not keep_format:
            cell.number_format = DATE_FORMAT
        return
    put_text(cell, str(value))


def mark_draft(sheet: Any) -> None:
    """Say DRAFT in the sheet's printed header and footer and colour its tab red."""
    for header_footer in (
        sheet.HeaderFooter.oddHeader,
        sheet.HeaderFooter.evenHeader,
        sheet.HeaderFooter.firstHeader,
    ):
        existing = header_footer.center.text
        header_footer.center.text = f"{DRAFT_BANNER}" + (f" — {existing}" if existing else "")
    for footer in (
        sheet.HeaderFooter.oddFooter,
        sheet.HeaderFooter.evenFooter,
        sheet.HeaderFooter.firstFooter,
    ):
        existing = footer.left.text
        footer.left.text = "DRAFT" + (f" — {existing}" if existing else "")
    sheet.sheet_properties.tabColor = "C00000"
