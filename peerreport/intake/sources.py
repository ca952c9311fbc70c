"""Reading tables of cells out of CSV, XLSX and JSON Lines files, streaming.

A source yields `Table`s (a CSV or JSONL file is one table, a workbook one
table per sheet); a table yields `(row_number, {column key: value})` one row at
a time, so memory does not grow with file size. Row numbers are the ones a
coordinator sees: the spreadsheet row, or the line of a JSON Lines file.

Empty rows are skipped here and summarised in one notice per table ("rows 45
to 300 are empty: skipped"); empty rows after the last row of data say
nothing (formatting often stretches a sheet far below its data). Columns in
`Table.dropped` are never read: their cells are not looked at, not even to
tell whether a row is empty.

A workbook's sheet named "Problems" is not read: it is the list of problems
that `peerreport.intake.markup` adds to a marked-up copy of a workbook, so
the marked-up copy, once corrected, can be imported as it is.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from pathlib import Path
from typing import IO, Any, cast

from peerreport.errors import InputFileError
from peerreport.intake.headings import guess_record_type, match_heading, record_type_for_name
from peerreport.intake.limits import (
    InputLimits,
    cell_too_long,
    check_text_file,
    check_workbook,
    line_too_long,
    looks_utf16,
    refuse,
    too_many_columns,
    too_many_rows,
    utf16_refusal,
)
from peerreport.intake.values import restore_formula

Row = dict[str, object]
#: A row as the source gives it: a list of CSV cells, a workbook's tuple, a JSON Lines row.
RawRow = Any

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
#: The sheet a marked-up workbook lists its problems in; intake never reads it.
PROBLEMS_SHEET = "Problems"
RUNS_NAMED = 5  # an empty-rows notice names this many runs of empty rows, then counts


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 1-based column number: 1 -> A, 28 -> AB."""
    letters = ""
    while index > 0:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass(frozen=True)
class TableColumn:
    """One column of a table, as the coordinator wrote it."""

    key: str  # unique within the table: the heading, or a stand-in for a blank or repeated one
    heading: str  # as written ('' when the column has no heading)
    index: int  # 1-based position


@dataclass
class Table:
    """One table of rows: a CSV or JSONL file, or one sheet of a workbook."""

    file: str
    sheet: str | None
    record_type: str | None
    columns: list[TableColumn]
    rows: Iterator[tuple[int, Row]]
    notices: list[str] = field(default_factory=list)
    from_excel: bool = False
    #: Keys of columns never to read (forbidden columns discarded on request).
    dropped: set[str] = field(default_factory=set)
    #: The row the headings are in (a workbook's sheet may have title rows above them).
    header_row: int = 1
    #: The same rows as `rows`, as the source gives them (before they are zipped to their
    #: keys): intake that reads a table in column batches reads these instead.
    raw_rows: Iterator[tuple[int, RawRow]] = field(default_factory=lambda: iter(()))
    #: The positions (0-based) of the dropped columns, decided when the first row is read.
    skip: frozenset[int] | None = None
    #: CSV: every cell is text, and `neutralise_formula`'s apostrophes are taken off as
    #: rows are zipped (`restore_formula`).
    text_cells: bool = False
    #: How a raw row becomes a row (see `row_of`).
    _zip: Callable[[RawRow, frozenset[int]], Row] | None = None

    @property
    def where(self) -> str:
        """The file (and sheet) for messages."""
        return f'{self.file}, sheet "{self.sheet}"' if self.sheet else self.file

    @property
    def headings(self) -> list[str]:
        """The headings as written, in order ('' for a column without one)."""
        return [c.heading for c in self.columns]

    @cached_property
    def _by_key(self) -> dict[str, TableColumn]:
        return {column.key: column for column in self.columns}

    def column(self, key: str) -> TableColumn | None:
        """The column a row key belongs to (a heading-less column is found by its key)."""
        found = self._by_key.get(key)
        if found is not None:
            return found
        index = _headingless_index(key)
        return TableColumn(key, "", index) if index else None

    def row_of(self, cells: RawRow) -> Row:
        """A raw row (from `raw_rows`) as `rows` gives it: {column key: value}."""
        if self._zip is None:
            return cast(Row, cells)  # a JSON Lines row is read as {key: value} already
        return self._zip(cells, self.skip or frozenset())

    def dropped_indexes(self) -> frozenset[int]:
        """The positions of the dropped columns; fixed from the first row read on."""
        if self.skip is None:
            self.skip = frozenset(c.index - 1 for c in self.columns if c.key in self.dropped)
        return self.skip

    def address(self, key: str, row: int) -> str | None:
        """The Excel cell address of a key's cell in a row ('B5'); None outside workbooks."""
        column = self.column(key) if self.from_excel else None
        return f"{column_letter(column.index)}{row}" if column else None


def _headingless_key(index: int, from_excel: bool) -> str:
    return f"(column {column_letter(index) if from_excel else index}, no heading)"


def _headingless_index(key: str) -> int | None:
    if not (key.startswith("(column ") and key.endswith(", no heading)")):
        return None
    label = key[len("(column ") : -len(", no heading)")]
    if label.isdigit():
        return int(label)
    if label.isalpha() and label.isupper():
        number = 0
        for ch in label:
            number = number * 26 + ord(ch) - ord("A") + 1
        return number
    return None


def _columns(header: Sequence[str], from_excel: bool) -> list[TableColumn]:
    """Columns with unique keys: a blank heading or a repeated one gets a stand-in key."""
    result: list[TableColumn] = []
    used: set[str] = set()
    for index, heading in enumerate(header, start=1):
        key = heading
        if not heading or heading in used:
            key = _headingless_key(index, from_excel)
            if heading:
                key = f"{heading} {key[: -len(', no heading)')]})"  # 'Date (column F)'
        used.add(key)
        result.append(TableColumn(key, heading, index))
    return result


@contextmanager
def open_tables(
    path: Path, record_type: str | None = None, limits: InputLimits | None = None
) -> Iterator[list[Table]]:
    """The tables in a file, by its extension; files are closed when the block ends.

    A file past `limits` raises `InputRefused` (before reading, or while the
    rows are read): see `peerreport.intake.limits`.
    """
    if path.is_dir():
        raise InputFileError(
            f"{path}: a folder, not a file; name the files in it (for example {path / '*.csv'})"
        )
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    limits = limits or InputLimits()
    kind = SUFFIXES.get(path.suffix.lower())
    with ExitStack() as stack:
        if kind == "csv":
            check_text_file(path, limits)
            yield [_csv_table(path, record_type, stack, limits)]
        elif kind == "xlsx":
            check_workbook(path, limits)
            yield _xlsx_tables(path, record_type, stack, limits)
        elif kind == "jsonl":
            # Imported here: the JSON Lines reader builds on this module's tables and rows.
            from peerreport.intake.jsonl import jsonl_table

            check_text_file(path, limits)
            yield [jsonl_table(path, record_type, stack, limits)]
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


#: Bytes `decode_lines` reads at a time: the whole lines of a block are decoded together.
#: Blocks of 1 MB were no faster, and left the reading process 15 MB larger (1M activities).
BLOCK_BYTES = 1 << 16


def decode_lines(
    handle: IO[bytes], notices: list[str], name: str, limits: InputLimits
) -> Iterator[str]:
    """Decode line by line: UTF-8 (with or without BOM), falling back to Windows-1252.

    Deciding per line means one stray Windows-1252 character (a curly quote
    pasted from Word) cannot turn every macron in a UTF-8 file into mojibake.

    A line is what `readline` gives (up to and with a newline, b"\n"), none longer than
    `max_line_bytes` (a file without newlines is refused). The file is read a block at a
    time (`BLOCK_BYTES`), cut after its last newline: a block that is UTF-8 throughout is
    decoded in one call and its lines handed on in a list, so a line costs no Python step
    here; a block that is not is decoded a line at a time. The lines, notices and
    refusals are those of reading the file a line at a time, in the same order (a line
    past the limit is refused when reading reaches it, after every line before it).
    """
    return chain.from_iterable(_decoded_blocks(handle, notices, name, limits))


def _decoded_blocks(
    handle: IO[bytes], notices: list[str], name: str, limits: InputLimits
) -> Iterator[list[str]]:
    """The decoded lines of `decode_lines`, a block's lines at a time."""
    longest = limits.max_line_bytes
    first = handle.readline(longest + 1)
    if not first:
        return
    if len(first) > longest:
        raise line_too_long(name, 1, limits)
    if looks_utf16(first):
        raise utf16_refusal(name)
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8) :]
    decoding = _Decoding(notices, name)
    yield [decoding.line(first, 1)]
    done = 1  # lines handed on
    rest = b""
    while True:
        block = handle.read(BLOCK_BYTES)
        data = rest + block if rest else block
        # At the end of the file, what is left is the last line (without a newline).
        end = data.rfind(b"\n") + 1 if block else len(data)
        whole, rest = data[:end], data[end:]
        if whole:
            too_long = None
            if len(whole) > longest:  # only then can a line of it be too long
                ends = whole.split(b"\n")
                lengths = [len(line) + 1 for line in ends[:-1]]
                if ends[-1]:
                    lengths.append(len(ends[-1]))
                too_long = next((i for i, n in enumerate(lengths) if n > longest), None)
            if too_long is not None:
                cut = sum(lengths[:too_long])
                if cut:
                    yield decoding.lines(whole[:cut], done + 1)
                raise line_too_long(name, done + too_long + 1, limits)
            lines = decoding.lines(whole, done + 1)
            done += len(lines)
            yield lines
        if len(rest) > longest:  # the next line, not yet ended, is too long already
            raise line_too_long(name, done + 1, limits)
        if not block:
            return


class _Decoding:
    """Decodes lines UTF-8, or Windows-1252 with one notice a file (`decode_lines`)."""

    def __init__(self, notices: list[str], name: str) -> None:
        self.notices = notices
        self.name = name
        self.warned = False

    def lines(self, data: bytes, number: int) -> list[str]:
        """The lines of `data` (whole lines, the last one's newline optional at the end of
        the file), the first of them line `number` of the file."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pieces = data.split(b"\n")
            raws = [piece + b"\n" for piece in pieces[:-1]]
            if pieces[-1]:
                raws.append(pieces[-1])
            return [self.line(raw, number + i) for i, raw in enumerate(raws)]
        parts = text.split("\n")
        lines = [part + "\n" for part in parts[:-1]]
        if parts[-1]:
            lines.append(parts[-1])
        return lines

    def line(self, raw: bytes, number: int) -> str:
        """Line `number` of the file, decoded."""
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            if not self.warned:
                self.notices.append(
                    f"{self.name}: line {number} is not UTF-8; read as Windows-1252 (older "
                    "Excel). Windows-1252 cannot hold macrons (ā, ē, ī, ō, ū): save as 'CSV "
                    "UTF-8' to keep them"
                )
                self.warned = True
            return raw.decode("cp1252", errors="replace")


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _is_blank_cell(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _EmptyRuns:
    """Runs of empty rows followed by data, summarised in one line."""

    def __init__(self) -> None:
        self.named: list[tuple[int, int]] = []
        self.more = 0  # empty rows in runs beyond those named
        self._start: int | None = None
        self._end = 0

    def empty(self, number: int) -> None:
        if self._start is None:
            self._start = number
        self._end = number

    def holds_data(self, number: int, empty: bool) -> bool:
        """Note row `number`, empty or not; whether it holds data (is to be read)."""
        if empty:
            self.empty(number)
            return False
        if self._start is not None:
            self.data()
        return True

    def tell(self, table: Table) -> None:
        """Add the notice of the runs of empty rows, if any, to the table's."""
        notice = self.notice(table.where)
        if notice:
            table.notices.append(notice)

    def data(self) -> None:
        """A row with data: the pending run, if any, was a gap in the data."""
        if self._start is None:
            return
        if len(self.named) < RUNS_NAMED:
            self.named.append((self._start, self._end))
        else:
            self.more += self._end - self._start + 1
        self._start = None

    def notice(self, where: str) -> str | None:
        """'rows 8 and 13 to 299 are empty: skipped' (trailing empty rows are not mentioned)."""
        if not self.named:
            return None
        parts = [str(a) if a == b else f"{a} to {b}" for a, b in self.named]
        if self.more:
            parts.append(f"{self.more} more")
        single = len(self.named) == 1 and self.named[0][0] == self.named[0][1] and not self.more
        listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
        return (
            f"{where}: row {listed} is empty: skipped"
            if single
            else f"{where}: rows {listed} are empty: skipped"
        )


def _rows_with_data(
    table: Table,
    numbered: Iterator[tuple[int, Sequence[Any]]],
    blank: Callable[[Sequence[Any], frozenset[int]], bool],
) -> Iterator[tuple[int, Sequence[Any]]]:
    """The rows that hold data, as read; empty ones summarised in one notice."""
    runs = _EmptyRuns()
    last_empty: object = None  # openpyxl yields one tuple for every empty row it fills in
    skip: frozenset[int] | None = None
    for number, cells in numbered:
        if skip is None:
            # Decided when the first row is read, not when the table was opened: see
            # Table.dropped (and fixed from then on).
            skip = table.dropped_indexes()
        empty = cells is last_empty or blank(cells, skip)
        if empty:
            last_empty = cells
        if runs.holds_data(number, empty):
            yield number, cells
    runs.tell(table)


def _blank_cells(cells: Sequence[Any], skip: frozenset[int]) -> bool:
    return all(_is_blank_cell(v) for i, v in enumerate(cells) if i not in skip)


def set_rows(
    table: Table,
    raw: Iterator[tuple[int, RawRow]],
    zip_row: Callable[[RawRow, frozenset[int]], Row] | None,
) -> None:
    """Give a table its rows: `raw_rows` as read, and `rows` zipped to their keys."""
    table.raw_rows = raw
    table._zip = zip_row
    table.rows = ((number, table.row_of(cells)) for number, cells in raw)


def _zipper(
    columns: list[TableColumn], from_excel: bool, csv_text: bool
) -> Callable[[Sequence[Any], frozenset[int]], Row]:
    def zip_row(cells: Sequence[Any], skip: frozenset[int]) -> Row:
        row: Row = {}
        for index, value in enumerate(cells):
            if index in skip:
                continue
            if csv_text and isinstance(value, str):
                value = restore_formula(value)
            if index < len(columns) and columns[index].heading:
                row[columns[index].key] = value
            elif not _is_blank_cell(value):
                key = columns[index].key if index < len(columns) else None
                row[key or _headingless_key(index + 1, from_excel)] = value
        return row

    return zip_row


def checked_row(
    where: str, number: int, cells: Sequence[Any], limits: InputLimits, from_excel: bool
) -> None:
    """Refuse a row past the limits: its number, its columns, its cells' lengths."""
    if number > limits.max_rows:
        raise too_many_rows(where, limits)
    if len(cells) > limits.max_columns:
        used = len(cells)
        while used and _is_blank_cell(cells[used - 1]):
            used -= 1  # trailing empty cells (formatting, trailing separators) do not count
        if used > limits.max_columns:
            raise too_many_columns(where, number, used, limits)
    longest = max((len(v) for v in cells if isinstance(v, str)), default=0)
    if longest > limits.max_cell_chars:
        index = next(i for i, v in enumerate(cells) if isinstance(v, str) and len(v) == longest)
        column = column_letter(index + 1) if from_excel else str(index + 1)
        raise cell_too_long(where, number, column, longest, limits)


def _csv_table(path: Path, record_type: str | None, stack: ExitStack, limits: InputLimits) -> Table:
    handle = stack.enter_context(path.open("rb"))
    notices: list[str] = []
    lines = decode_lines(handle, notices, path.name, limits)
    try:
        first = next(lines)
    except StopIteration:
        raise InputFileError(f"{path.name}: the file is empty") from None

    reader = csv.reader(chain((first,), lines), delimiter=_sniff_delimiter(first))
    try:
        raw_header = next(reader)
    except csv.Error as exc:
        raise InputFileError(f"{path.name}: cannot read the heading row ({exc})") from exc
    checked_row(path.name, 1, raw_header, limits, from_excel=False)
    header = [restore_formula(h).strip() for h in raw_header]
    while header and not header[-1]:
        header.pop()
    table_type = record_type or record_type_for_name(path.stem) or guess_record_type(header)

    columns = _columns(header, from_excel=False)
    table = Table(path.name, None, table_type, columns, iter(()), notices, text_cells=True)
    raw = _csv_rows_with_data(table, reader, limits)
    set_rows(table, raw, _zipper(columns, False, csv_text=True))
    return table


def _csv_rows_with_data(
    table: Table, reader: Iterator[list[str]], limits: InputLimits
) -> Iterator[tuple[int, list[str]]]:
    """`_rows_with_data` of a CSV file's rows after the heading, each numbered and checked
    against the limits first, in one loop: a row's text is joined once for both tests."""
    where = table.where
    runs = _EmptyRuns()
    skip: frozenset[int] | None = None
    number = 1
    rows, columns, chars = limits.max_rows, limits.max_columns, limits.max_cell_chars
    try:
        for number, cells in enumerate(reader, start=2):
            text = "".join(cells)
            # The cheap test first (every cell is text, none longer than the row's text);
            # `checked_row` says which limit, if any.
            if number > rows or len(cells) > columns or len(text) > chars:
                checked_row(where, number, cells, limits, from_excel=False)
            if skip is None:
                skip = table.dropped_indexes()  # as `_rows_with_data` decides it
            if runs.holds_data(number, not text.strip() if not skip else _blank_cells(cells, skip)):
                yield number, cells
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise refuse(
                "IMP-054",
                f"row {number + 1}: a cell is longer than {csv.field_size_limit():,} "
                "characters (an unclosed quote?): nothing is stored",
                where,
                number + 1,
            ) from exc
        raise InputFileError(f"{where}: cannot read the file ({exc})") from exc
    runs.tell(table)


def _looks_like_header(cells: tuple[Any, ...], record_type: str | None) -> bool:
    texts = [str(c) for c in cells if isinstance(c, str) and c.strip()]
    if len(texts) < 2:
        return False
    types = [record_type] if record_type else ["activities", "breakdowns", "workforce", "feedback"]
    return any(sum(1 for t in texts if match_heading(rt, t).field is not None) >= 2 for rt in types)


def _xlsx_tables(
    path: Path, record_type: str | None, stack: ExitStack, limits: InputLimits
) -> list[Table]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error for damaged files
        raise InputFileError(
            f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__}: {exc}); "
            "open it in Excel and save it again as an Excel Workbook (.xlsx)"
        ) from exc
    stack.callback(workbook.close)
    tables: list[Table] = []
    skipped: list[str] = []
    for sheet in workbook.worksheets:
        if is_problems_sheet(sheet.title):
            skipped.append(sheet.title)
            continue
        named_type = record_type_for_name(sheet.title)
        if record_type and named_type not in (None, record_type):
            continue
        table = _sheet_table(
            path.name, sheet, record_type or named_type, named_type is not None, limits
        )
        if table is not None:
            tables.append(table)
    if skipped and tables:
        tables[0].notices.append(
            f'{path.name}, sheet "{skipped[0]}": not read; it is the list of problems '
            "peerreport adds to a workbook it marks up"
        )
    return tables


def is_problems_sheet(title: str) -> bool:
    """Whether a sheet is a marked-up workbook's list of problems, which intake never reads."""
    return title.strip().casefold() == PROBLEMS_SHEET.casefold()


def _guarded_rows(file: str, sheet: Any, limits: InputLimits) -> Iterator[tuple[Any, ...]]:
    """A sheet's rows, checked against the limits; a damaged sheet becomes a plain
    InputFileError, not a traceback."""
    where = f'{file}, sheet "{sheet.title}"'
    if (sheet.max_column or 0) > limits.max_columns:
        # The sheet claims a wide used range (formatting, or a hostile dimension):
        # openpyxl would pad every row to it, so each row is read as long as it is.
        sheet.reset_dimensions()
    try:
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            checked_row(where, number, cells, limits, from_excel=True)
            yield cells
    except InputFileError:
        raise
    except Exception as exc:  # damaged XML inside the workbook
        raise InputFileError(
            f'{file}, sheet "{sheet.title}": the sheet is damaged and cannot be read '
            f"({type(exc).__name__}); save the workbook again from Excel"
        ) from exc


def _sheet_table(
    file: str,
    sheet: Any,
    record_type: str | None,
    named: bool = True,
    limits: InputLimits | None = None,
) -> Table | None:
    """A sheet's table; None for a sheet that is not named for records and holds none."""
    rows = _guarded_rows(file, sheet, limits or InputLimits())
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
            f"{HEADER_SCAN_ROWS} rows; the headings (Activity ID, Date, Kind of activity, "
            "Attendance, ...) should be in the first row"
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
        rows_above = "row 1 is" if skipped == 1 else f"rows 1 to {skipped} are"
        notices.append(
            f'{file}, sheet "{sheet.title}": {rows_above} above the headings '
            "(a title?) and not read"
        )
    columns = _columns(header, from_excel=True)
    table = Table(file, sheet.title, table_type, columns, iter(()), notices, from_excel=True)
    table.header_row = number
    numbered = enumerate(rows, start=number + 1)
    raw = _rows_with_data(table, numbered, _blank_cells)
    set_rows(table, raw, _zipper(columns, True, csv_text=False))
    return table


@dataclass(frozen=True)
class InvalidJSON:
    """A JSON Lines line that is not a JSON object (or cannot be read as one)."""

    message: str
    code: str = "IMP-023"
