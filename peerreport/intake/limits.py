"""How much of a file intake will read: sizes checked before reading, counts while reading.

A hostile or damaged file (a zip bomb of a workbook, a CSV of a million
columns) must be refused with a plain finding, in bounded memory and time, and
never half-imported. Sizes are checked before a byte of data is parsed: a
CSV's or JSON Lines file's size on disk, and each workbook part's unpacked size
and compression ratio from the zip's central directory (Python's zipfile
stops at the declared size, so a part cannot unpack to more than it claims).
Rows, columns and cell lengths are counted while streaming.

The defaults are generous for any real activity log (Excel itself stops at
1,048,576 rows and 32,767 characters a cell); tests pass smaller ones through
`ImportSettings.limits`.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from peerreport.errors import InputFileError
from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding

MB = 1_000_000


def _mb(size: int) -> str:
    return f"{size / MB:,.1f} MB" if size < 10 * MB else f"{size / MB:,.0f} MB"


@dataclass(frozen=True)
class InputLimits:
    """The most intake reads of one file before refusing it."""

    max_file_bytes: int = (
        1024 * 1024 * 1024
    )  # a CSV or JSON Lines file on disk; a workbook, unpacked
    max_part_bytes: int = 500 * MB  # one part of a workbook (a sheet's XML), unpacked
    # openpyxl holds a workbook's shared strings in memory (sheets are streamed).
    max_shared_strings_bytes: int = 100 * MB
    max_ratio: int = 100  # unpacked / packed size of a workbook part ...
    ratio_floor_bytes: int = 10 * MB  # ... checked for parts that unpack to more than this
    max_rows: int = 2_000_000  # rows of a table, empty ones included
    max_columns: int = 500
    max_cell_chars: int = 32_767  # Excel's own limit for a cell
    max_line_bytes: int = 16 * 1024 * 1024  # one line of a CSV or JSON Lines file


class InputRefused(InputFileError):
    """A file refused as a whole (too large, a zip bomb, UTF-16): carries its finding."""

    def __init__(self, found: Finding) -> None:
        where = found.location.file
        super().__init__(f"{where}: {found.message}" if where else found.message)
        self.finding = found


#: The codes of findings that refuse a file as a whole (it is not read, or not to the
#: end): no cell of it can be pointed at, so such a file cannot be marked up.
REFUSAL_CODES = frozenset({"IMP-050", "IMP-051", "IMP-052", "IMP-053", "IMP-054", "IMP-056"})


def refuse(
    code: str,
    message: str,
    file: str,
    row: int | None = None,
    column: str | None = None,
) -> InputRefused:
    """The exception for a refused file, its finding declared in the catalogue."""
    if code not in REFUSAL_CODES:
        raise ValueError(f"{code} is not one of the codes that refuse a file (REFUSAL_CODES)")
    return InputRefused(finding(code, message, None, Location(file=file, row=row, column=column)))


def too_many_rows(where: str, limits: InputLimits) -> InputRefused:
    """IMP-052 for a table past `max_rows`."""
    return refuse(
        "IMP-052",
        f"more than {limits.max_rows:,} rows (empty ones included); the limit is "
        f"{limits.max_rows:,}: nothing is stored",
        where,
    )


def too_many_columns(where: str, row: int, count: int, limits: InputLimits) -> InputRefused:
    """IMP-053 for a row past `max_columns`."""
    return refuse(
        "IMP-053",
        f"row {row} has {count:,} columns; the limit is {limits.max_columns:,}: nothing is stored",
        where,
        row,
    )


def cell_too_long(
    where: str, row: int, column: str, length: int, limits: InputLimits
) -> InputRefused:
    """IMP-054 for a cell past `max_cell_chars`."""
    return refuse(
        "IMP-054",
        f"row {row}, column {column}: the cell has {length:,} characters; the limit is "
        f"{limits.max_cell_chars:,} (Excel's own): nothing is stored",
        where,
        row,
        column,
    )


def line_too_long(where: str, line: int, limits: InputLimits) -> InputRefused:
    """IMP-054 for a line of text past `max_line_bytes` (read no further than the limit)."""
    return refuse(
        "IMP-054",
        f"line {line} is longer than {limits.max_line_bytes // (1024 * 1024):,} MB; no row of "
        "records is that long: nothing is stored",
        where,
        line,
    )


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def utf16_refusal(name: str) -> InputRefused:
    """IMP-056: the file is UTF-16 (Excel's 'Unicode Text'), with how to save it as UTF-8."""
    return refuse(
        "IMP-056",
        "the file is saved as UTF-16 text (Excel's 'Unicode Text'); peerreport reads UTF-8. "
        "In Excel: File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)', then import that file",
        name,
    )


def looks_utf16(first: bytes) -> bool:
    """A UTF-16 byte-order mark, or the NUL of every other byte that UTF-16 ASCII text has."""
    if first.startswith(UTF16_BOMS):
        return True
    sample = first[:64]
    return len(sample) >= 4 and (
        sample[1::2].count(0) * 2 >= len(sample) // 2
        or sample[0::2].count(0) * 2 >= len(sample) // 2
    )


def check_workbook(path: Path, limits: InputLimits) -> None:
    """Refuse a workbook whose parts unpack too large or too far (IMP-050, IMP-051).

    Read from the zip's central directory only: nothing is unpacked.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return  # not a zip: openpyxl says so in its own words
    total = 0
    for part in parts:
        total += part.file_size
        limit = (
            limits.max_shared_strings_bytes
            if part.filename.lower().endswith("sharedstrings.xml")
            else limits.max_part_bytes
        )
        if part.file_size > limit:
            raise refuse(
                "IMP-050",
                f"the workbook part {part.filename} unpacks to {_mb(part.file_size)}; "
                f"the limit is {_mb(limit)}: nothing is read",
                path.name,
            )
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
            raise refuse(
                "IMP-051",
                f"the workbook part {part.filename} unpacks to {ratio:,.0f} times its packed "
                f"size (the limit is {limits.max_ratio:,}): a zip bomb, or a sheet stretched "
                "over empty rows; nothing is read",
                path.name,
            )
    if total > limits.max_file_bytes:
        raise refuse(
            "IMP-050",
            f"the workbook unpacks to {_mb(total)}; the limit is "
            f"{_mb(limits.max_file_bytes)}: nothing is read",
            path.name,
        )


def check_text_file(path: Path, limits: InputLimits) -> None:
    """Refuse a CSV or JSON Lines file larger than `max_file_bytes` (IMP-050), unread."""
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise refuse(
            "IMP-050",
            f"the file is {_mb(size)}; the limit is {_mb(limits.max_file_bytes)}: nothing is read",
            path.name,
        )
