"""The funder's dashboard as a workbook: sheets Dashboard and States.

- **Dashboard**: a title row, a header row (Provider, Code, each period in
  words, newest first), one row per provider with each cell's state label on
  a light fill of its own, then the completeness and on-time rates of each
  period as percentages. The header row and the two provider columns stay in
  view when scrolling.
- **States**: what each state and each rate means.

Provider names and codes are text people typed: every text cell goes through
`xlsx_cells.put_text` (formula injection). Like every renderer this takes a
finished `Grid` and never queries; openpyxl is imported inside the writer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from peerreport.render.xlsx_cells import put_text
from peerreport.returns.dashboard import (
    ACCEPTED,
    DUE,
    LATE,
    MISSING,
    NOT_YET_DUE,
    QUERIED,
    RECEIVED,
    STATE_LABELS,
    STATE_SENTENCES,
    STATES,
    Grid,
    Rates,
)

#: A light fill per state, each dark text's contrast well above 4.5:1.
STATE_FILLS = {
    NOT_YET_DUE: "F2F2F2",  # light grey
    DUE: "FFF2CC",  # pale yellow
    MISSING: "FFC7CE",  # light red (Excel's own "bad" fill)
    RECEIVED: "DDEBF7",  # light blue
    LATE: "FCE4D6",  # light orange
    QUERIED: "E4DFEC",  # lavender
    ACCEPTED: "C6EFCE",  # light green (Excel's own "good" fill)
}
PERCENT_FORMAT = "0%"
RATE_ROWS = (
    ("Completeness", "completeness", "Returns received (any version) / returns expected."),
    ("On time", "timeliness", "Returns whose first version came by the due date / expected."),
)
NOTHING_EXPECTED = "not due yet"
HEADER_ROW, FIRST_PROVIDER_ROW = 2, 3

_HEAD_FILL = "1F4E79"


def write_dashboard_xlsx(grid: Grid, path: Path) -> Path:
    """Write the dashboard workbook to `path` and return the path."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Dashboard"
    _dashboard(sheet, grid)
    _states(book.create_sheet("States"))
    book.properties.title = _title(grid)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _title(grid: Grid) -> str:
    return f"{grid.title} ({grid.rule_id}): returns by provider, as at {grid.today:%d %B %Y}"


def _dashboard(sheet: Any, grid: Grid) -> None:
    from openpyxl.styles import Font, PatternFill

    put_text(sheet.cell(row=1, column=1), _title(grid))
    sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
    _header(sheet, ["Provider", "Code", *grid.headings()], HEADER_ROW)
    row = FIRST_PROVIDER_ROW
    for org, name in grid.providers:
        put_text(sheet.cell(row=row, column=1), name)
        put_text(sheet.cell(row=row, column=2), org)
        for column, cell in enumerate(grid.row(org), start=3):
            target = sheet.cell(row=row, column=column)
            put_text(target, cell.label)
            target.fill = PatternFill("solid", fgColor=STATE_FILLS[cell.state])
        row += 1
    row += 1  # a blank row between the providers and the rates
    for label, rate, _ in RATE_ROWS:
        put_text(sheet.cell(row=row, column=1), label)
        sheet.cell(row=row, column=1).font = Font(bold=True)
        for column, period in enumerate(grid.periods, start=3):
            _put_rate(sheet.cell(row=row, column=column), grid.rates[period.label], rate)
        row += 1
    sheet.freeze_panes = sheet.cell(row=FIRST_PROVIDER_ROW, column=3).coordinate
    names = [name for _, name in grid.providers]
    codes = [org for org, _ in grid.providers]
    widths = [_width(["Provider", *names, *(r[0] for r in RATE_ROWS)], 40), _width(codes, 16)]
    widths += [_width([words, *STATE_LABELS.values()], 30) for words in grid.headings()]
    _widths(sheet, widths)


def _put_rate(cell: Any, rates: Rates, which: str) -> None:
    value = rates.completeness if which == "completeness" else rates.timeliness
    if value is None:
        put_text(cell, NOTHING_EXPECTED)
        return
    cell.value = value
    cell.number_format = PERCENT_FORMAT


def _states(sheet: Any) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    put_text(sheet.cell(row=1, column=1), "What the states and rates mean")
    sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
    _header(sheet, ["State", "Meaning"], HEADER_ROW)
    rows: list[tuple[str, str, str | None]] = [
        (STATE_LABELS[s], STATE_SENTENCES[s], STATE_FILLS[s]) for s in STATES
    ]
    rows += [(label, words, None) for label, _, words in RATE_ROWS]
    for row, (label, words, fill) in enumerate(rows, start=FIRST_PROVIDER_ROW):
        put_text(sheet.cell(row=row, column=1), label)
        if fill is not None:
            sheet.cell(row=row, column=1).fill = PatternFill("solid", fgColor=fill)
        put_text(sheet.cell(row=row, column=2), words)
        sheet.cell(row=row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = sheet.cell(row=FIRST_PROVIDER_ROW, column=1).coordinate
    _widths(sheet, [16, 90])


def _header(sheet: Any, names: list[str], row: int) -> None:
    from openpyxl.styles import Font, PatternFill

    for column, name in enumerate(names, start=1):
        cell = sheet.cell(row=row, column=column)
        put_text(cell, name)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=_HEAD_FILL)


def _width(texts: list[str], most: int) -> int:
    """A column width that fits the longest text, within 10 and `most` characters."""
    return min(most, max([10, *(len(t) + 2 for t in texts)]))


def _widths(sheet: Any, widths: list[int]) -> None:
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
