"""Reading tables of cells out of CSV, XLSX and JSON Lines files, streaming.

A source yields `Table`s (a CSV or JSONL file is one table, a workbook one
table per sheet); a table yields `(row_number, {heading: value})` one row at a
time, so memory does not grow with file size. Row numbers are the ones a
coordinator sees: the spreadsheet row, or the line of a JSON Lines file.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from peerreport.errors import InputFileError
from peerreport.intake.headings import guess_record_type, match_heading, record_type_for_name

Row = dict[str, object]

SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
HEADER_SCAN_ROWS = 10  # title rows above the headings are skipped, up to this many


@dataclass
class Table:
    """One table of rows: a CSV or JSONL file, or one sheet of a workbook."""

    file: str
    sheet: str | None
    record_type: str | None
    headings: list[str]
    rows: Iterator[tuple[int, Row]]
    notices: list[str] = field(default_factory=list)
    from_excel: bool = False

    @property
    def where(self) -> str:
        """The file (and sheet) for messages."""
        return f'{self.file}, sheet "{self.sheet}"' if self.sheet else self.file


@contextmanager
def open_tables(path: Path, record_type: str | None = None) -> Iterator[list[Table]]:
    """The tables in a file, by its extension; files are closed when the block ends."""
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    kind = SUFFIXES.get(path.suffix.lower())
    with ExitStack() as stack:
        if kind == "csv":
            yield [_csv_table(path, record_type, stack)]
        elif kind == "xlsx":
            yield _xlsx_tables(path, record_type, stack)
        elif kind == "jsonl":
            yield [_jsonl_table(path, record_type, stack)]
        else:
            _refuse_suffix(path)


def _refuse_suffix(path: Path) -> None:
    if path.suffix.lower() == ".xls":
        raise InputFileError(
            f"{path.name}: old-style .xls workbooks cannot be read; open it in Excel and "
            "save it as .xlsx (Excel Workbook) or CSV UTF-8"
        )
    else:
        raise InputFileError(
            f"{path.name}: peerreport reads .csv, .xlsx and .jsonl files, not '{path.suffix}'"
        )


def _decode_lines(handle: IO[bytes], notices: list[str], name: str) -> Iterator[str]:
    """Decode line by line: UTF-8 (with or without BOM), falling back to Windows-1252.

    Deciding per line means one stray Windows-1252 character (a curly quote
    pasted from Word) cannot turn every macron in a UTF-8 file into mojibake.
    """
    warned = False
    for number, raw in enumerate(handle, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            if not warned:
                notices.append(
                    f"{name}: line {number} is not UTF-8; read as Windows-1252 (older Excel). "
                    "Windows-1252 cannot hold macrons (ā, ē, ī, ō, ū): save as 'CSV UTF-8' "
                    "to keep them"
                )
                warned = True
            yield raw.decode("cp1252", errors="replace")


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _csv_table(path: Path, record_type: str | None, stack: ExitStack) -> Table:
    handle = stack.enter_context(path.open("rb"))
    notices: list[str] = []
    lines = _decode_lines(handle, notices, path.name)
    try:
        first = next(lines)
    except StopIteration:
        raise InputFileError(f"{path.name}: the file is empty") from None

    def all_lines() -> Iterator[str]:
        yield first
        yield from lines

    reader = csv.reader(all_lines(), delimiter=_sniff_delimiter(first))
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise InputFileError(f"{path.name}: cannot read the heading row ({exc})") from exc
    table_type = record_type or record_type_for_name(path.stem) or guess_record_type(header)

    def rows() -> Iterator[tuple[int, Row]]:
        try:
            for number, cells in enumerate(reader, start=2):
                yield number, _zip_row(header, cells, number)
        except csv.Error as exc:
            raise InputFileError(f"{path.name}: cannot read the file ({exc})") from exc

    return Table(path.name, None, table_type, header, rows(), notices)


def _zip_row(header: list[str], cells: list[Any], number: int) -> Row:
    row: Row = {}
    for index, heading in enumerate(header):
        value = cells[index] if index < len(cells) else None
        if heading:
            row[heading] = value
        elif value not in (None, ""):
            row[f"(column {index + 1}, no heading)"] = value
    for index in range(len(header), len(cells)):
        if cells[index] not in (None, ""):
            row[f"(column {index + 1}, no heading)"] = cells[index]
    return row


def _is_blank(cells: tuple[Any, ...] | list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _looks_like_header(cells: tuple[Any, ...], record_type: str | None) -> bool:
    texts = [str(c) for c in cells if isinstance(c, str) and c.strip()]
    if len(texts) < 2:
        return False
    types = [record_type] if record_type else ["activities", "breakdowns", "workforce", "feedback"]
    return any(sum(1 for t in texts if match_heading(rt, t).field is not None) >= 2 for rt in types)


def _xlsx_tables(path: Path, record_type: str | None, stack: ExitStack) -> list[Table]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error for damaged files
        raise InputFileError(
            f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__}: {exc}); "
            "open it in Excel and save it again as an Excel Workbook (.xlsx)"
        ) from exc
    stack.callback(workbook.close)
    tables = []
    for sheet in workbook.worksheets:
        named_type = record_type_for_name(sheet.title)
        if record_type and named_type not in (None, record_type):
            continue
        table = _sheet_table(path.name, sheet, record_type or named_type, named_type is not None)
        if table is not None:
            tables.append(table)
    return tables


def _guarded_rows(file: str, sheet: Any) -> Iterator[tuple[Any, ...]]:
    """A sheet's rows; a damaged sheet becomes a plain InputFileError, not a traceback."""
    try:
        yield from sheet.iter_rows(values_only=True)
    except Exception as exc:  # damaged XML inside the workbook
        raise InputFileError(
            f'{file}, sheet "{sheet.title}": the sheet is damaged and cannot be read '
            f"({type(exc).__name__}); save the workbook again from Excel"
        ) from exc


def _sheet_table(
    file: str, sheet: Any, record_type: str | None, named: bool = True
) -> Table | None:
    """A sheet's table; None for a sheet that is not named for records and holds none."""
    rows = _guarded_rows(file, sheet)
    skipped = 0
    header_row: tuple[Any, ...] | None = None
    number = 0
    for number, cells in enumerate(rows, start=1):
        if _looks_like_header(cells, record_type):
            header_row = cells
            break
        skipped += 1
        if number >= HEADER_SCAN_ROWS:
            break
    if header_row is None:
        if record_type is None or not named:
            return None  # a guidance or lists sheet: not records
        raise InputFileError(
            f'{file}, sheet "{sheet.title}": no heading row found in the first '
            f"{HEADER_SCAN_ROWS} rows; the headings (activity_id, date, kind, attendance, ...) "
            "should be in the first row"
        )
    header = [str(c).strip() if c is not None else "" for c in header_row]
    # Trim empty trailing heading cells (formatting often extends the used range).
    while header and not header[-1]:
        header.pop()
    table_type = record_type or guess_record_type(header)
    if table_type is None:
        return None
    notices = []
    if skipped:
        rows_above = "row 1 is" if skipped == 1 else f"rows 1-{skipped} are"
        notices.append(
            f'{file}, sheet "{sheet.title}": {rows_above} above the headings '
            "(a title?) and not read"
        )
    header_number = number

    def table_rows() -> Iterator[tuple[int, Row]]:
        pending_blank: list[int] = []
        for row_number, cells in enumerate(rows, start=header_number + 1):
            if _is_blank(cells):
                pending_blank.append(row_number)
                continue
            # A blank row with data after it is worth a word; trailing blanks are not.
            for blank in pending_blank:
                notices.append(f'{file}, sheet "{sheet.title}", row {blank}: empty row skipped')
            pending_blank.clear()
            yield row_number, _zip_row(header, list(cells), row_number)

    return Table(file, sheet.title, table_type, header, table_rows(), notices, from_excel=True)


def _jsonl_table(path: Path, record_type: str | None, stack: ExitStack) -> Table:
    table_type = record_type or record_type_for_name(path.stem)
    handle = stack.enter_context(path.open("rb"))
    notices: list[str] = []

    def rows() -> Iterator[tuple[int, Row]]:
        for number, line in enumerate(_decode_lines(handle, notices, path.name), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, {"(json)": InvalidJSON(f"not valid JSON ({exc.msg})")}
                continue
            if not isinstance(value, dict):
                yield number, {"(json)": InvalidJSON("each line must be a JSON object {...}")}
                continue
            yield number, value

    stream = rows()
    first = next(stream, None)
    if table_type is None and first is not None:
        # Not named after its records: the first object says, by `record_type` or its keys.
        named = first[1].get("record_type")
        table_type = (
            named
            if isinstance(named, str) and named in _RECORD_TYPE_NAMES
            else (guess_record_type([str(k) for k in first[1]]))
        )

    def all_rows() -> Iterator[tuple[int, Row]]:
        if first is not None:
            yield first
        yield from stream

    return Table(path.name, None, table_type, [], all_rows(), notices)


_RECORD_TYPE_NAMES = ("activities", "breakdowns", "workforce", "feedback")


@dataclass(frozen=True)
class InvalidJSON:
    """A JSON Lines line that is not a JSON object."""

    message: str
