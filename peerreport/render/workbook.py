"""peerreport's own workbook: sheets Cover, Figures and Findings.

Every sheet has the same shape: row 1 is a heading (or, in a draft, the DRAFT
banner), row 2 the column headings (Cover: blank), data from row 3. Figures
are numeric cells; a suppressed cell holds the disclosure symbol as text.
openpyxl is imported inside `render_xlsx`, so importing this module is cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from peerreport.render.display import (
    DRAFT_BANNER,
    change_rows,
    cover_fields,
    figure_rows,
    finding_row,
    period_text,
)
from peerreport.render.reproducible import make_reproducible
from peerreport.render.xlsx_cells import mark_draft, put_text, put_value
from peerreport.returns.model import Return

FIGURE_COLUMNS = (
    "Line",
    "Figure",
    "Unit",
    "Breakdown",
    "Cell",
    "Value",
    "Status",
    "Measure id",
)
FINDING_COLUMNS = ("Severity", "Code", "Message", "Hint", "Where")
NO_FINDINGS = "No findings."
FIRST_DATA_ROW = 3

_DRAFT_FILL = "C00000"
_HEAD_FILL = "1F4E79"


def render_xlsx(ret: Return, path: Path, draft: bool = False) -> None:
    """Write the return as peerreport's own workbook at `path`."""
    from openpyxl import Workbook

    workbook = Workbook()
    cover = workbook.active
    cover.title = "Cover"
    _cover(cover, ret, draft)
    _figures(workbook.create_sheet("Figures"), ret, draft)
    _findings(workbook.create_sheet("Findings"), ret, draft)
    title = f"{ret.rule.title} — {ret.organisation_name} — {ret.period.label}"
    workbook.properties.title = ("DRAFT: " if draft else "") + title
    workbook.properties.creator = f"peerreport {ret.tool_version}"
    workbook.save(path)
    make_reproducible(path, ret.period.end)


def _heading(sheet: Any, text: str, draft: bool, width: int) -> None:
    """Row 1: the sheet's heading, or the DRAFT banner."""
    from openpyxl.styles import Font, PatternFill

    cell = sheet.cell(row=1, column=1)
    put_text(cell, f"{DRAFT_BANNER}: {text}" if draft else text)
    cell.font = Font(bold=True, size=13, color="FFFFFF" if draft else "000000")
    if draft:
        for column in range(1, width + 1):
            sheet.cell(row=1, column=column).fill = PatternFill("solid", fgColor=_DRAFT_FILL)
        mark_draft(sheet)
    sheet.print_options.gridLines = False
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _header_row(sheet: Any, columns: tuple[str, ...]) -> None:
    from openpyxl.styles import Font, PatternFill

    for index, name in enumerate(columns, start=1):
        cell = sheet.cell(row=2, column=index)
        put_text(cell, name)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=_HEAD_FILL)
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "1:2"


def _widths(sheet: Any, widths: tuple[int, ...]) -> None:
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _cover(sheet: Any, ret: Return, draft: bool) -> None:
    from openpyxl.styles import Alignment, Font

    _heading(sheet, f"{ret.rule.title}: {ret.organisation_name}, {period_text(ret)}", draft, 2)
    for offset, (label, value) in enumerate(cover_fields(ret, draft)):
        row = FIRST_DATA_ROW + offset
        put_text(sheet.cell(row=row, column=1), label)
        sheet.cell(row=row, column=1).font = Font(bold=True)
        target = sheet.cell(row=row, column=2)
        if isinstance(value, str):
            put_text(target, value)
        else:
            put_value(target, value)  # the period's dates, as date cells
        target.alignment = Alignment(horizontal="left", wrap_text=True)
        if label == "Status" and draft:
            target.font = Font(bold=True, color=_DRAFT_FILL)
        if label == "Amendment":
            target.font = Font(bold=True)
    # An amendment lists the published figures it changed, old -> new.
    row = FIRST_DATA_ROW + len(cover_fields(ret, draft))
    for figure, cell, before, after in change_rows(ret):
        put_text(sheet.cell(row=row, column=1), "Changed")
        where = f" [{cell}]" if cell else ""
        put_text(sheet.cell(row=row, column=2), f"{figure}{where}: {before} → {after}")
        row += 1
    _widths(sheet, (24, 90))


def _figures(sheet: Any, ret: Return, draft: bool) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    _heading(sheet, f"Figures — {ret.rule.title}, {ret.period.label}", draft, len(FIGURE_COLUMNS))
    _header_row(sheet, FIGURE_COLUMNS)
    for offset, row in enumerate(figure_rows(ret)):
        number = FIRST_DATA_ROW + offset
        texts = (row.line, row.label, row.unit, row.breakdown_words, row.cell_words)
        for column, text in enumerate(texts, start=1):
            put_text(sheet.cell(row=number, column=column), text)
        value = sheet.cell(row=number, column=6)
        put_value(value, row.shown)
        if row.hidden_reason:
            # Every hidden cell says why, where the reader sees it.
            value.comment = Comment(
                row.hidden_reason[:1].upper() + row.hidden_reason[1:], "peerreport"
            )
        put_text(sheet.cell(row=number, column=7), row.status)
        put_text(sheet.cell(row=number, column=8), row.measure)
        if row.is_total:
            for column in range(1, len(FIGURE_COLUMNS) + 1):
                sheet.cell(row=number, column=column).font = Font(bold=True)
    last = FIRST_DATA_ROW + len(figure_rows(ret)) - 1
    if last >= FIRST_DATA_ROW:
        sheet.auto_filter.ref = f"A2:H{last}"
    _widths(sheet, (10, 48, 14, 22, 26, 12, 12, 26))


def _findings(sheet: Any, ret: Return, draft: bool) -> None:
    from openpyxl.styles import Alignment

    _heading(sheet, f"Findings — {ret.rule.title}, {ret.period.label}", draft, len(FINDING_COLUMNS))
    _header_row(sheet, FINDING_COLUMNS)
    if not ret.findings:
        put_text(sheet.cell(row=FIRST_DATA_ROW, column=1), NO_FINDINGS)
    for offset, finding in enumerate(ret.findings):
        for column, text in enumerate(finding_row(finding, ret), start=1):
            cell = sheet.cell(row=FIRST_DATA_ROW + offset, column=column)
            put_text(cell, text)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    _widths(sheet, (10, 14, 60, 60, 30))
