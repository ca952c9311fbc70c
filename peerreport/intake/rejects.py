"""The rejects file: rejected rows in the input's own columns, plus one `problem` column.

Written beside the input as `FILE.rejects.csv` (UTF-8 with a BOM, so Excel
reads macrons). Each rejected row keeps its cells as the coordinator wrote
them, in the same columns and order, so the file can be corrected and
imported as it is: intake recognises and ignores the `problem` column.
Three things differ from the input, on purpose:

- identifiers are masked (`Z******`), in every column, unknown ones included;
- text a spreadsheet would run as a formula gets a leading apostrophe
  (`'=1+1`); intake takes it off again when the file is imported;
- columns discarded unread (`--drop-forbidden`) are left out.

A workbook whose rejected rows come from several sheets gets one file per
sheet, `FILE.SHEET.rejects.csv`, because each sheet has its own columns.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from peerreport.findings import Finding
from peerreport.intake.headings import PROBLEM_COLUMN
from peerreport.intake.rows import RowOutcome
from peerreport.intake.sources import Table
from peerreport.intake.values import neutralise_formula
from peerreport.privacy import mask_text


def cell_text(value: object) -> str:
    """A cell as text a spreadsheet shows and intake reads back as the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M" if not value.second else "%H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def safe_text(value: object) -> str:
    """A cell as it may be shown: identifiers masked, formulas made inert."""
    return neutralise_formula(mask_text(cell_text(value)))


def reasons_text(reasons: list[Finding]) -> str:
    """The `problem` cell: every reason for the row, each naming its column."""
    return "; ".join(
        (f'column "{r.location.column}": ' if r.location.column else "") + r.message
        for r in reasons
    )


class _SheetRejects:
    """The rejected rows of one table, in a temporary file until the import ends."""

    def __init__(self, table: Table, tmp: Path) -> None:
        self.table = table
        self.tmp = tmp
        self.handle: Any = tmp.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.handle)
        self.keys = [c.key for c in table.columns if c.key not in table.dropped]
        problem = [
            k for c in table.columns if c.heading.strip().lower() == PROBLEM_COLUMN for k in [c.key]
        ]
        self.problem_key = problem[0] if problem else None
        headings = [c.heading for c in table.columns if c.key not in table.dropped]
        if self.problem_key is None:
            headings.append(PROBLEM_COLUMN)
        self.writer.writerow([safe_text(h) for h in headings])

    def write(self, outcome: RowOutcome, reasons: list[Finding]) -> None:
        shown = outcome.shown
        problem = neutralise_formula(reasons_text(reasons))
        cells = [
            problem if key == self.problem_key else safe_text(shown.get(key)) for key in self.keys
        ]
        if self.problem_key is None:
            cells.append(problem)
        self.writer.writerow(cells)


class RejectsFile:
    """The rejected rows of one input file."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.sheets: list[_SheetRejects] = []

    def write(self, table: Table, outcome: RowOutcome, reasons: list[Finding]) -> None:
        """Add a rejected row with its reasons."""
        sheet = next((s for s in self.sheets if s.table is table), None)
        if sheet is None:
            tmp = self.source.with_name(f"{self.source.name}.rejects.{len(self.sheets)}.tmp")
            sheet = _SheetRejects(table, tmp)
            self.sheets.append(sheet)
        sheet.write(outcome, reasons)

    def finish(self) -> list[Path]:
        """Put the files in place; their paths (none when no row was rejected)."""
        paths = []
        for sheet in self.sheets:
            sheet.handle.close()
            name = (
                f"{self.source.name}.{sheet.table.sheet}.rejects.csv"
                if len(self.sheets) > 1 and sheet.table.sheet
                else f"{self.source.name}.rejects.csv"
            )
            path = self.source.with_name(name)
            sheet.tmp.replace(path)
            paths.append(path)
        return paths

    def discard(self) -> None:
        """Remove the temporary files (the import failed)."""
        for sheet in self.sheets:
            sheet.handle.close()
            sheet.tmp.unlink(missing_ok=True)
