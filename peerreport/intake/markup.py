"""A coordinator's own file back, marked up: each problem cell highlighted, with a comment.

An import that finds problems stores nothing. Coordinators work in Excel, so
`mark_up` gives them their file back as a workbook to correct there and import
again:

- a workbook: a copy of their own (their sheets, data and formatting; the file
  itself is never changed);
- a CSV or JSON Lines file: a new workbook with one sheet of the file's rows as
  intake read them, the headings in row 1. A CSV's row N is the sheet's row N,
  the row number the import report gives; a JSON Lines file's line N is the
  sheet's row N + 1. Identifiers in its cells are masked (`Z******`), as in a
  rejects file, and a column refused for its heading (a name, an NHI) has its
  heading copied but not its cells: intake never reads them.

Each cell a problem points at gets a light red fill and a thick dark red
border (which reads without colour too) and a comment saying what is wrong and
how to fix it, one comment listing them all when a cell has several. A problem
about a column is put on its heading, one about a whole row on the row's first
cell, one about a table (a missing column, say) on its first heading.

A sheet "Problems" lists them all: sheet, cell (a link to it), column heading,
what is wrong, how to fix (for a CSV or JSON Lines file, also the row or line
of the file). It is the LAST sheet, so every sheet of the coordinator's own
keeps its position (macros, formulas and habits that go by position still
work), and the workbook opens on it. Intake never reads a sheet of that name,
so the corrected copy can be imported as it is; marking a marked-up copy
again first takes off the earlier marks.

Nothing identifying goes into the Problems sheet or a comment: intake's
messages are masked already and are masked again here, and cell values are
never shown there. Every text written goes through intake's formula-injection
protection (`neutralise_formula`), as the rejects file's does. A file refused as
a whole (too large, a zip bomb, UTF-16) has no cell to point at: `mark_up`
raises `InputFileError` saying so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from peerreport.errors import InputFileError, UsageError
from peerreport.findings import Finding
from peerreport.intake.columns import ColumnPlan
from peerreport.intake.limits import REFUSAL_CODES, InputLimits, InputRefused, check_workbook
from peerreport.intake.rejects import cell_text
from peerreport.intake.sources import (
    PROBLEMS_SHEET,
    SUFFIXES,
    Table,
    column_letter,
    is_problems_sheet,
    open_tables,
)
from peerreport.intake.values import neutralise_formula
from peerreport.intake.wording import plural
from peerreport.privacy import mask_text

#: The author of every comment peerreport writes (how an earlier mark-up is recognised).
AUTHOR = "peerreport"
FILL_COLOUR = "FFC7CE"  # light red: Excel's own "light red fill" for bad values
BORDER_COLOUR = "C00000"  # dark red, in a thick line
LINK_COLOUR = "0563C1"
HEADINGS = ("Sheet", "Cell", "Column heading", "What is wrong", "How to fix")
FILE_HEADING = "In your file"
#: Used when the workbook has a sheet "Problems" of its own (never overwritten).
OTHER_TITLE = "Problems found"
#: A cell's own note, kept below peerreport's comment (and put back by a later mark-up).
KEPT_NOTE = "\n\n--- the cell's own note (by {author}), kept: ---\n"
_KEPT = re.compile(r"\n\n--- the cell's own note \(by (.*?)\), kept: ---\n", re.DOTALL)
_ADDRESS = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what XLSX cannot hold
MAX_ROW, MAX_COLUMN, MAX_TEXT = 1_048_576, 16_384, 32_767  # Excel's own limits
SAFE_INTEGER = 10**15  # larger whole numbers lose digits in a spreadsheet: written as text


def marked_up_name(source: Path) -> str:
    """The name of a file's marked-up copy: `activity-log.xlsx` -> `activity-log.problems.xlsx`."""
    return f"{source.stem}.problems.xlsx"


def mark_up(
    source: Path,
    problems: Sequence[Finding],
    out: Path,
    *,
    total: int | None = None,
    record_type: str | None = None,
    limits: InputLimits | None = None,
) -> Path:
    """Write `source` to `out` as an XLSX with every problem's cell marked; returns `out`.

    `problems` are the file's findings from an import report (`FileReport.problems`);
    `total` is how many there were (`FileReport.problem_count`) when the list was
    capped, so the Problems sheet says how many more there are. `record_type` is the
    import's `--type`, for a CSV or JSON Lines file. Raises `InputFileError` when
    there is nothing to mark up (the file is refused as a whole, or cannot be read).
    """
    refused = next((p for p in problems if p.code in REFUSAL_CODES), None)
    if refused is not None:
        raise _refused(source, refused)
    if out.resolve() == source.resolve():
        raise UsageError(f"{out}: the marked-up copy cannot replace the file it is made from")
    limits = limits or InputLimits()
    kind = SUFFIXES.get(source.suffix.lower())
    try:
        if kind == "xlsx":
            book = _marked_workbook(source, problems, total, limits, record_type)
        elif kind in ("csv", "jsonl"):
            book = _marked_rows(source, problems, total, limits, record_type, kind == "jsonl")
        else:
            raise InputFileError(
                f"{source.name}: peerreport marks up .xlsx, .csv and .jsonl files, "
                f"not '{source.suffix}'"
            )
    except InputRefused as refusal:
        raise _refused(source, refusal.finding) from None
    except InputFileError as exc:
        raise InputFileError(f"{exc}: there is nothing to mark up") from None
    _save(book, out)
    return out


def _refused(source: Path, problem: Finding) -> InputFileError:
    hint = f" {problem.hint}" if problem.hint else ""
    return InputFileError(
        f"{source.name}: {problem.message}. There is nothing to mark up: the file is refused "
        f"as a whole, so no cell of it can be pointed at.{hint}"
    )


def _save(book: Any, out: Path) -> None:
    """Save through a temporary file, so a failure never leaves half a workbook at `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        book.save(tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------- where problems go


@dataclass(frozen=True)
class _Columns:
    """A table's headings: which row they are in, and each heading's column."""

    header_row: int = 1
    by_heading: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, table: Table) -> _Columns:
        by_heading: dict[str, int] = {}
        for column in table.columns:
            if column.heading:
                # Messages show a heading masked: find it either way (the first of repeats).
                by_heading.setdefault(column.heading, column.index)
                by_heading.setdefault(mask_text(column.heading), column.index)
        return cls(table.header_row, by_heading)

    def index(self, heading: str | None) -> int | None:
        return self.by_heading.get(heading) if heading is not None else None


@dataclass(frozen=True)
class _Placed:
    """A problem and the cell it is marked on (none for a problem about the whole file)."""

    finding: Finding
    sheet: str | None = None
    address: str | None = None
    in_file: str = ""  # a CSV's row or a JSON Lines file's line, for the Problems sheet


def _address(column: int, row: int) -> str | None:
    if 1 <= column <= MAX_COLUMN and 1 <= row <= MAX_ROW:
        return f"{column_letter(column)}{row}"
    return None


def _parsed(address: str | None) -> tuple[int, int] | None:
    """An address's column and row numbers ('C5' -> (3, 5)); None if it is none in Excel."""
    match = _ADDRESS.fullmatch(address or "")
    if match is None:
        return None
    index = 0
    for letter in match.group(1):
        index = index * 26 + ord(letter) - ord("A") + 1
    row = int(match.group(2))
    return (index, row) if index <= MAX_COLUMN and row <= MAX_ROW else None


def _within(address: str, rows: int, columns: int) -> bool:
    place = _parsed(address)
    return place is not None and place[0] <= columns and place[1] <= rows


def _cell_for(finding: Finding, columns: _Columns, row_offset: int = 0) -> str | None:
    """The cell for a problem: its own; a column's heading; a row's first cell; a table's."""
    location = finding.location
    column = columns.index(location.column)
    if location.row is not None:
        return _address(column or 1, location.row + row_offset)
    return _address(column or 1, columns.header_row)


def _sheet_of(where: str | None, titles: Iterable[str]) -> str | None:
    """The sheet a location names: intake writes `FILE, sheet "TITLE"`."""
    if not where:
        return None
    for title in sorted(titles, key=len, reverse=True):
        if where.endswith(f', sheet "{title}"'):
            return title
    return None


# ---------------------------------------------------------------- a workbook


def _marked_workbook(
    source: Path,
    problems: Sequence[Finding],
    total: int | None,
    limits: InputLimits,
    record_type: str | None,
) -> Any:
    from openpyxl import load_workbook

    check_workbook(source, limits)
    with open_tables(source, record_type, limits) as tables:
        columns = {t.sheet: _Columns.of(t) for t in tables if t.sheet is not None}
    try:
        book = load_workbook(source)  # formulas kept as formulas; macros are not kept
    except Exception as exc:  # openpyxl raises many kinds of error for damaged files
        raise InputFileError(
            f"{source.name}: not a readable .xlsx workbook ({type(exc).__name__})"
        ) from exc
    _take_off_earlier_marks(book)
    # A problem pointing outside a sheet's cells (none from an import does) is only listed.
    used = {sheet.title: (sheet.max_row, sheet.max_column) for sheet in book.worksheets}
    placed: list[_Placed] = []
    for problem in problems:
        title = _sheet_of(problem.location.file, book.sheetnames)
        if title is None:
            placed.append(_Placed(problem))
            continue
        own = problem.location.address
        address = own if _parsed(own) else _cell_for(problem, columns.get(title, _Columns()))
        if address is not None and _within(address, *used[title]):
            placed.append(_Placed(problem, title, _anchor(book[title], address).coordinate))
        else:
            placed.append(_Placed(problem, title))
    marks: dict[tuple[str, str], list[Finding]] = {}
    for item in placed:
        if item.sheet is not None and item.address is not None:
            marks.setdefault((item.sheet, item.address), []).append(item.finding)
    for (title, address), found in marks.items():
        _mark(book[title][address], found)
    title = OTHER_TITLE if any(is_problems_sheet(t) for t in book.sheetnames) else PROBLEMS_SHEET
    sheet = book.create_sheet(title)  # the last sheet: see the module's docstring
    _write_problems(sheet, placed, total, with_file_column=False)
    _open_on(book, sheet)
    return book


def _anchor(sheet: Any, address: str) -> Any:
    """The cell to mark: a merged range's top-left cell stands for the whole range."""
    from openpyxl.cell.cell import MergedCell

    cell = sheet[address]
    if isinstance(cell, MergedCell):
        for merged in sheet.merged_cells.ranges:
            if address in merged:
                return sheet.cell(merged.min_row, merged.min_col)
    return cell


def _open_on(book: Any, sheet: Any) -> None:
    """Open on `sheet`, with no other sheet selected (grouped sheets would be edited together)."""
    for other in book.worksheets:
        other.sheet_view.tabSelected = False
    sheet.sheet_view.tabSelected = True
    book.active = book.worksheets.index(sheet)


def _is_problems_list(sheet: Any) -> bool:
    first = [c.value for c in next(sheet.iter_rows(min_row=1, max_row=1), ())]
    return tuple(first[: len(HEADINGS)]) == HEADINGS


def _take_off_earlier_marks(book: Any) -> None:
    """A marked-up copy marked up again: drop the earlier Problems sheet and its marks."""
    for sheet in list(book.worksheets):
        if not _is_problems_list(sheet):
            continue
        for (cell,) in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
            target = _link_target(book, cell.hyperlink.location if cell.hyperlink else None)
            if target is not None:
                _unmark(target)
        book.remove(sheet)


def _link_target(book: Any, location: str | None) -> Any:
    title, _, address = (location or "").rpartition("!")
    title = title[1:-1].replace("''", "'") if title.startswith("'") else title
    if title not in book.sheetnames or _parsed(address) is None:
        return None
    return book[title][address]


# ---------------------------------------------------------------- marks


def _styles() -> tuple[Any, Any]:
    from openpyxl.styles import Border, PatternFill, Side

    side = Side(style="thick", color=BORDER_COLOUR)
    return (
        PatternFill(fill_type="solid", start_color=FILL_COLOUR, end_color=FILL_COLOUR),
        Border(left=side, right=side, top=side, bottom=side),
    )


def _mark(cell: Any, found: Sequence[Finding]) -> None:
    """Highlight a cell and comment on it (a note of its own is kept below the comment)."""
    from openpyxl.comments import Comment

    cell.fill, cell.border = _styles()
    text = _clean(_comment_text(found))
    own = cell.comment
    if own is not None and own.author != AUTHOR:
        # The note is the coordinator's own, in their own workbook: kept as it is.
        text += KEPT_NOTE.format(author=_ILLEGAL.sub("", own.author or "")) + (own.text or "")
    lines = sum(max(1, math.ceil(len(line) / 48)) for line in text.splitlines())
    cell.comment = Comment(text[:MAX_TEXT], AUTHOR, height=min(40 + 15 * lines, 600), width=340)


def _unmark(cell: Any) -> None:
    """Take off an earlier mark: peerreport's comment (the cell's own note back), fill, border."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Border, PatternFill

    comment = cell.comment
    if comment is not None and comment.author == AUTHOR:
        kept = _KEPT.search(comment.text or "")
        cell.comment = (
            Comment(comment.text[kept.end() :], kept.group(1)) if kept is not None else None
        )
    fill, border = _styles()
    if cell.fill == fill:
        cell.fill = PatternFill()
    if cell.border == border:
        cell.border = Border()


def _comment_text(found: Sequence[Finding]) -> str:
    if len(found) == 1:
        return f"{_what(found[0])}\nHow to fix: {_how(found[0])}"
    parts = [f"{plural(len(found), 'problem')} here:"]
    for number, problem in enumerate(found, start=1):
        parts.append(f"{number}. {_what(problem)}\n   How to fix: {_how(problem)}")
    return "\n".join(parts)


def _what(problem: Finding) -> str:
    """What is wrong, said of the cell: "is empty: ..." -> "This cell is empty: ..."."""
    message = problem.message.strip() or "a problem (no message)"
    return f"This cell {message}" if message.startswith("is ") else message


def _how(problem: Finding) -> str:
    return problem.hint.strip() or "Correct the cell and import the file again."


def _clean(text: str) -> str:
    """Text as peerreport writes it in a workbook: storable, masked, never a formula."""
    return neutralise_formula(mask_text(_ILLEGAL.sub("\ufffd", text)))[:MAX_TEXT]


# ---------------------------------------------------------------- the Problems sheet


def _write_problems(
    sheet: Any, placed: Sequence[_Placed], total: int | None, with_file_column: bool
) -> None:
    """One row per problem, its cell a link to the cell; works in write-only workbooks too."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.hyperlink import Hyperlink

    headings = [*HEADINGS, FILE_HEADING] if with_file_column else list(HEADINGS)
    for letter, width in zip("ABCDEF", (16, 9, 22, 60, 50, 18), strict=False):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    bold, grey = Font(bold=True), PatternFill(fill_type="solid", start_color="E7E6E6")
    wrap = Alignment(wrap_text=True, vertical="top")

    def text_cell(value: str, **style: Any) -> Any:
        cell = WriteOnlyCell(sheet, _clean(value) or None)
        cell.data_type = "s"
        for name, setting in style.items():
            setattr(cell, name, setting)
        return cell

    sheet.append([text_cell(h, font=bold, fill=grey) for h in headings])
    for row, item in enumerate(placed, start=2):
        location = item.finding.location
        where = text_cell(item.address or "", alignment=wrap)
        if item.sheet is not None and item.address is not None:
            quoted = item.sheet.replace("'", "''")
            where.hyperlink = Hyperlink(ref="", location=f"'{quoted}'!{item.address}")
            where.hyperlink.ref = f"B{row}"  # the setter takes the cell's place before append
            where.hyperlink.tooltip = "Go to the cell"
            where.font = Font(color=LINK_COLOUR, underline="single")
        cells = [
            text_cell(item.sheet or "(the whole file)", alignment=wrap),
            where,
            text_cell(location.column or "", alignment=wrap),
            text_cell(_what(item.finding), alignment=wrap),
            text_cell(_how(item.finding), alignment=wrap),
        ]
        if with_file_column:
            cells.append(text_cell(item.in_file, alignment=wrap))
        sheet.append(cells)
    hidden = (total or 0) - len(placed)
    if hidden > 0:
        sheet.append(
            [
                text_cell(
                    f"... and {plural(hidden, 'more problem')}, not listed or highlighted here: "
                    "correct these and import the file again to see the rest",
                    font=bold,
                )
            ]
        )
    elif not placed:
        sheet.append([text_cell("No problems to mark up.")])


# ---------------------------------------------------------------- a CSV or JSON Lines file


def _marked_rows(
    source: Path,
    problems: Sequence[Finding],
    total: int | None,
    limits: InputLimits,
    record_type: str | None,
    jsonl: bool,
) -> Any:
    """A new workbook of the file's rows, streamed (a sheet of a million rows is fine)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    with open_tables(source, record_type, limits) as tables:
        table = tables[0]
        if table.record_type is not None:
            # A column the privacy guard refuses by its heading is never read: its heading
            # is copied (and marked), its cells are not.
            ColumnPlan(table, table.record_type).drop_forbidden()
        title = _data_title(table, source)
        offset, unit = (1, "line") if jsonl else (0, "row")
        columns = _Columns.of(table)
        placed = [
            _Placed(
                p,
                title,
                _cell_for(p, columns, offset),
                f"{unit} {p.location.row} of the file"
                if p.location.row is not None
                else "the headings",
            )
            for p in problems
        ]
        marks: dict[int, dict[int, list[Finding]]] = {}
        for item in placed:
            place = _parsed(item.address)
            if place is not None:
                index, at = place
                marks.setdefault(at, {}).setdefault(index, []).append(item.finding)
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        writer = _RowWriter(sheet, marks, offset)
        writer.write(table)
    # A problem pointing past the file's last row (none from an import does) is only listed.
    placed = [p if p.address in writer.marked else replace(p, address=None) for p in placed]
    problems_sheet = book.create_sheet(PROBLEMS_SHEET)
    _write_problems(problems_sheet, placed, total, with_file_column=True)
    _open_on(book, problems_sheet)
    return book


def _data_title(table: Table, source: Path) -> str:
    """The data sheet's title: its record type (so the copy imports as it is), or the file's."""
    if table.record_type:
        return table.record_type.capitalize()
    title = re.sub(r"[\[\]:*?/\\]", " ", source.stem).strip(" '")[:31].strip()
    return "Rows" if not title or is_problems_sheet(title) else title


class _RowWriter:
    """Appends a table's rows to a write-only sheet at their own row numbers, marking cells."""

    def __init__(self, sheet: Any, marks: dict[int, dict[int, list[Finding]]], offset: int) -> None:
        self.sheet = sheet
        self.marks = marks
        self.offset = offset  # a JSON Lines file's line N is row N + 1, below the headings
        self.written = 0
        self.marked: set[str] = set()  # the addresses of the cells marked

    def write(self, table: Table) -> None:
        """The headings in row 1, then every row of the table at its own row number."""
        self._append(1, [_clean(c.heading) for c in table.columns], heading=True)
        for number, row in table.rows:
            cells: dict[int, object] = {}
            for key, value in row.items():
                column = table.column(key)  # None for a line that is not JSON: left empty
                if column is not None:
                    cells[column.index] = _data_value(value)
            width = max(cells, default=0)
            self._append(number + self.offset, [cells.get(i) for i in range(1, width + 1)])

    def _append(self, at: int, values: list[object], heading: bool = False) -> None:
        while self.written + 1 < at:  # rows intake skipped (empty) keep their numbers
            self.written += 1
            self.sheet.append(self._cells(self.written, []))
        if at <= self.written:
            return
        self.written = at
        self.sheet.append(self._cells(at, values, heading))

    def _cells(self, at: int, values: list[object], heading: bool = False) -> list[object]:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        marks = self.marks.get(at, {})
        width = max([len(values), *marks])
        cells: list[object] = [values[i] if i < len(values) else None for i in range(width)]
        for index in range(1, width + 1):
            found = marks.get(index)
            if found is None and cells[index - 1] is None:
                continue
            cell = WriteOnlyCell(self.sheet, cells[index - 1])
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, nor an error value like "#N/A"
            if heading:
                cell.font = Font(bold=True)
            if found is not None:
                _mark(cell, found)
                self.marked.add(f"{column_letter(index)}{at}")
            cells[index - 1] = cell
        return cells


def _data_value(value: object) -> object:
    """A cell of the file as the sheet holds it: numbers as numbers, text masked and inert."""
    if value is None or (isinstance(value, str) and not value):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < SAFE_INTEGER:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return _clean(cell_text(value))
