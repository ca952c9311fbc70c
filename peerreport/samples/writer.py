"""Writing generated samples as CSV (day-first dates, as coordinators' files have), XLSX
(one sheet per record type, real date cells) or JSON Lines, streaming."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from peerreport.errors import UsageError
from peerreport.samples.generator import COLUMNS, Row, SampleSpec, record_streams

SHEET_NAMES = {
    "activities": "Activities",
    "breakdowns": "Breakdowns",
    "workforce": "Workforce",
    "feedback": "Feedback",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value)


def sibling(path: Path, record_type: str) -> Path:
    """Where a record type goes when a format holds one type per file."""
    if record_type == "activities":
        return path
    return path.with_name(f"{path.stem}-{record_type}{path.suffix}")


def write_samples(path: Path, spec: SampleSpec, types: Iterable[str] = COLUMNS) -> list[Path]:
    """Write the sample; returns the files written."""
    streams = record_streams(spec)
    wanted = [t for t in COLUMNS if t in set(types)]
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _write_xlsx(path, {t: streams[t] for t in wanted})
        return [path]
    if suffix not in (".csv", ".jsonl"):
        raise UsageError(f"{path.name}: write samples to a .csv, .xlsx or .jsonl file")
    written = []
    for record_type in wanted:
        target = sibling(path, record_type)
        if suffix == ".csv":
            _write_csv(target, record_type, streams[record_type])
        else:
            _write_jsonl(target, record_type, streams[record_type])
        written.append(target)
    return written


def _write_csv(path: Path, record_type: str, rows: Iterator[Row]) -> None:
    columns = COLUMNS[record_type]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_text(row.get(c)) for c in columns])


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date | dt.time):
        return (
            value.isoformat(timespec="minutes")
            if isinstance(value, dt.time)
            else (value.isoformat())
        )
    return value


def _write_jsonl(path: Path, record_type: str, rows: Iterator[Row]) -> None:
    columns = COLUMNS[record_type]
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            data = {c: _json_value(row[c]) for c in columns if row.get(c) not in (None, "")}
            handle.write(json.dumps(data, ensure_ascii=False) + "\n")


def _write_xlsx(path: Path, streams: dict[str, Iterator[Row]]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    for record_type, rows in streams.items():
        sheet = workbook.create_sheet(SHEET_NAMES[record_type])
        columns = COLUMNS[record_type]
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=column)
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        for row in rows:
            cells: list[Any] = []
            for column in columns:
                value = row.get(column)
                if isinstance(value, dt.date):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = "DD/MM/YYYY"
                    cells.append(cell)
                elif isinstance(value, bool):
                    cells.append("yes" if value else "no")
                elif isinstance(value, dt.time):
                    cells.append(value.strftime("%H:%M"))
                else:
                    cells.append(None if value == "" else value)
            sheet.append(cells)
    workbook.save(path)
