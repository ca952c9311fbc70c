"""Hostile input files, built small or at full size (tests and benchmarks/hostile_files.py).

Each builder streams its file to disk, so even the full-size ones (a workbook
that unpacks to gigabytes, a CSV of a million columns) cost little memory to make.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from openpyxl import Workbook

HEADINGS = ["activity_id", "date", "kind", "attendance", "programme", "notes"]
ACTIVITY = ["A1", "14/08/2026", "group", "5", "Peer groups", ""]


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _heading_row() -> str:
    cells = "".join(_inline(f"{chr(65 + i)}1", h) for i, h in enumerate(HEADINGS))
    return f'<row r="1">{cells}</row>'


def empty_rows_workbook(
    path: Path, rows: int, numbered: bool = True, dimension: str | None = None
) -> Path:
    """A workbook whose sheet is the headings, then `rows` empty `<row/>` elements.

    The sheet's XML is streamed into the zip: a few MB on disk can unpack to GB.
    """
    chunk = 10_000
    dimension = dimension or f"A1:F{rows + 1}"
    book = Workbook()  # every other part of the workbook, as openpyxl writes it
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    base = io.BytesIO()
    book.save(base)
    with (
        zipfile.ZipFile(base) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
    ):
        for part in source.infolist():
            if part.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(part.filename, source.read(part))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as xml:
            xml.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                + f'<dimension ref="{dimension}"/><sheetData>'.encode()
                + _heading_row().encode()
            )
            for start in range(2, rows + 2, chunk):
                end = min(start + chunk, rows + 2)
                if numbered:
                    xml.write("".join(f'<row r="{n}"/>' for n in range(start, end)).encode())
                else:
                    xml.write(b"<row/>" * (end - start))
            xml.write(b"</sheetData></worksheet>")
    return path


def wide_csv(path: Path, columns: int) -> Path:
    """A CSV whose heading row has `columns` columns, then one row of as many cells."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(HEADINGS + [f"c{i}" for i in range(columns - len(HEADINGS))]))
        handle.write("\n")
        handle.write(",".join(ACTIVITY + ["x"] * (columns - len(ACTIVITY))))
        handle.write("\n")
    return path


def long_line_csv(path: Path, size: int) -> Path:
    """A CSV of headings, then one line of `size` bytes without a newline."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(HEADINGS) + "\n")
        block = "x" * 1_000_000
        for _ in range(size // len(block)):
            handle.write(block)
    return path


def tall_csv(path: Path, rows: int) -> Path:
    """A CSV of headings, then `rows` rows of commas only (empty rows)."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(HEADINGS) + "\n")
        line = "," * (len(HEADINGS) - 1) + "\n"
        for _ in range(rows // 10_000):
            handle.write(line * 10_000)
        handle.write(line * (rows % 10_000))
    return path


def nul_csv(path: Path) -> Path:
    """An activities CSV whose notes cell holds a NUL byte."""
    row = [*ACTIVITY[:-1], "met at\x00 the hall"]
    path.write_text(",".join(HEADINGS) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    return path


def utf16_csv(path: Path) -> Path:
    """An activities CSV saved as UTF-16 with a BOM (Excel's 'Unicode Text', tab-separated)."""
    text = "\t".join(HEADINGS) + "\r\n" + "\t".join(ACTIVITY) + "\r\n"
    path.write_bytes(text.encode("utf-16"))
    return path


def _record(activity_id: str) -> str:
    record = dict(zip(HEADINGS, ACTIVITY, strict=True)) | {"activity_id": activity_id}
    return json.dumps(record | {"date": "2026-08-14", "attendance": 5})


def deep_jsonl(path: Path, depth: int) -> Path:
    """A JSON Lines file: one good record, then one nesting `depth` lists deep in its notes."""
    line = _record("A2")[:-1] + ', "notes": ' + "[" * depth + "]" * depth + "}"
    path.write_text(_record("A1") + "\n" + line + "\n", encoding="utf-8")
    return path


def big_number_jsonl(path: Path, digits: int) -> Path:
    """A JSON Lines file: one good record, then one whose attendance has `digits` digits."""
    line = _record("A2")[:-1] + ', "attendance": ' + "9" * digits + "}"
    path.write_text(_record("A1") + "\n" + line + "\n", encoding="utf-8")
    return path


def shared_strings_workbook(path: Path, strings: int) -> Path:
    """A workbook of a few rows whose shared strings hold `strings` distinct texts."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    sheet.append(HEADINGS)
    base = io.BytesIO()
    book.save(base)
    with (
        zipfile.ZipFile(base) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for part in source.infolist():
            if part.filename != "xl/sharedStrings.xml":
                archive.writestr(part.filename, source.read(part))
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as xml:
            xml.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns='
                b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                + "".join(f"<si><t>{h}</t></si>" for h in HEADINGS).encode()
            )
            for start in range(0, strings, 10_000):
                xml.write(
                    "".join(
                        f"<si><t>s{n:x}</t></si>" for n in range(start, start + 10_000)
                    ).encode()
                )
            xml.write(b"</sst>")
    return path
