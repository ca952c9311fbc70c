"""Intake: reading CSV, XLSX and JSON Lines files into validated records.

`import_files` stores them (all-or-nothing, idempotent, streaming);
`load_records` just reads them, for fixtures and tests.
"""

from __future__ import annotations

from pathlib import Path

from peerreport.errors import InputFileError
from peerreport.intake.dates import DateOrder
from peerreport.intake.importer import import_files
from peerreport.intake.reports import ImportReport, ImportSettings
from peerreport.intake.rows import RowReader
from peerreport.intake.sources import open_tables
from peerreport.records.models import Record

__all__ = ["ImportReport", "ImportSettings", "import_files", "load_records"]


def load_records(path: Path, date_order: str = "day-first") -> list[Record]:
    """Every record in a file, or `InputFileError` listing every problem."""
    records: list[Record] = []
    problems: list[str] = []
    dates = DateOrder(date_order)
    with open_tables(path) as tables:
        for table in tables:
            if table.record_type is None:
                problems.append(f"{table.where}: cannot tell which records this file holds")
                continue
            reader = RowReader(table, table.record_type, date_order, dates)
            heading_problems = reader.heading_problems()
            problems.extend(str(p) for p in heading_problems)
            if heading_problems:
                continue
            for number, row in table.rows:
                outcome = reader.read(number, row)
                problems.extend(str(p) for p in outcome.problems)
                if outcome.record is not None:
                    records.append(outcome.record)
    problems.extend(str(p) for p in dates.late_findings())
    if problems:
        raise InputFileError("\n".join(problems))
    records.sort(
        key=lambda r: ("activities", "breakdowns", "workforce", "feedback").index(r.record_type)
    )
    return records
