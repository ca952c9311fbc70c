"""Turning one row of cells into a validated record, or into problems that name the cell.

Order matters for privacy: every cell is scanned for identifiers *before* any
other message is written, so no message can ever echo an identifier; such a
cell is shown masked everywhere (messages and rejects files).
"""

from __future__ import annotations

import datetime as dt
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from pydantic import ValidationError

from peerreport.findings import Finding, Location, Severity
from peerreport.intake.headings import HeadingMatch, match_heading
from peerreport.intake.sources import InvalidJSON, Row, Table
from peerreport.intake.values import CellValueError, parse_bool, parse_date, parse_time
from peerreport.privacy import PrivacyViolation, mask_text, scan_text
from peerreport.records.models import RECORD_TYPES, Record

FIX_IDENTIFIER = (
    "Delete the identifier from the cell (or the whole column), then import again. "
    "peerreport records what the organisation does, never who a person is."
)


@dataclass
class RowOutcome:
    """The result of reading one row."""

    row: int
    record: Record | None
    problems: list[Finding] = field(default_factory=list)
    cells: dict[str, object] = field(default_factory=dict)  # the row as read
    masked: dict[str, str] = field(default_factory=dict)  # cells holding identifiers, masked
    columns: dict[str, str] = field(default_factory=dict)  # field -> the heading it came from

    @property
    def shown(self) -> dict[str, object]:
        """The row as it is safe to show (identifiers masked), for rejects files."""
        return {h: self.masked.get(h, v) for h, v in self.cells.items()}


@cache
def _field_kinds(record_type: str) -> dict[str, str]:
    """'date', 'time', 'bool', 'number' or 'text' for each field, from the model's types."""
    model = RECORD_TYPES[record_type]
    kinds: dict[str, str] = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        args = set(typing.get_args(annotation)) | {annotation}
        if dt.date in args:
            kinds[name] = "date"
        elif dt.time in args:
            kinds[name] = "time"
        elif bool in args:
            kinds[name] = "bool"
        elif args & {int, Decimal}:
            kinds[name] = "number"
        else:
            kinds[name] = "text"
    return kinds


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# No identifier or diagnosis the detectors know is shorter than this ("a@b.nz" is 6),
# so shorter cells (codes, counts, yes/no) skip the scan.
SHORTEST_IDENTIFIER = 6


def _scannable(value: object) -> str | None:
    if isinstance(value, str):
        return value if len(value) >= SHORTEST_IDENTIFIER else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None


class RowReader:
    """Reads the rows of one table into records of one type."""

    def __init__(self, table: Table, record_type: str, date_order: str) -> None:
        self.table = table
        self.record_type = record_type
        self.model = RECORD_TYPES[record_type]
        self.date_order = date_order
        self.kinds = _field_kinds(record_type)
        self._matches: dict[str, HeadingMatch] = {}

    def heading(self, heading: str) -> HeadingMatch:
        """What a heading means (cached per table)."""
        found = self._matches.get(heading)
        if found is None:
            found = match_heading(self.record_type, heading)
            self._matches[heading] = found
        return found

    def heading_problems(self) -> list[Finding]:
        """Problems with the heading row itself: refused and unknown columns, duplicates."""
        problems: list[Finding] = []
        seen: dict[str, str] = {}
        for heading in self.table.headings:
            if not heading:
                continue
            match = self.heading(heading)
            if match.problem:
                problems.append(self._column_problem(match))
            elif match.field in seen:
                problems.append(
                    Finding(
                        "duplicate-column",
                        Severity.ERROR,
                        f'"{heading}" and "{seen[match.field]}" are both the {match.field} column',
                        "Keep one of the two columns.",
                        Location(file=self.table.where, column=heading),
                    )
                )
            elif match.field:
                seen[match.field] = heading
        return problems

    def _column_problem(self, match: HeadingMatch, row: int | None = None) -> Finding:
        if match.forbidden:
            return Finding(
                "forbidden-column",
                Severity.ERROR,
                match.problem or "",
                FIX_IDENTIFIER,
                Location(file=self.table.where, row=row, column=match.heading),
            )
        return Finding(
            "unknown-column",
            Severity.ERROR,
            match.problem or "",
            "Rename the heading to a peerreport field, or delete the column.",
            Location(file=self.table.where, row=row, column=match.heading),
        )

    def read(self, number: int, row: Row) -> RowOutcome:
        """Validate one row."""
        outcome = RowOutcome(number, None, cells=row)
        where = self.table.where
        data: dict[str, Any] = {}
        columns = outcome.columns  # field -> heading, to name the cell in messages
        for heading, value in row.items():
            if isinstance(value, InvalidJSON):
                outcome.problems.append(
                    Finding(
                        "unreadable-row",
                        Severity.ERROR,
                        value.message,
                        'Each line of a JSON Lines file is one record: {"field": value, ...}.',
                        Location(file=where, row=number),
                    )
                )
                continue
            if value is None or value == "":
                match = self.heading(heading)
                if match.field is not None:
                    outcome.columns[match.field] = heading
                continue
            text = _scannable(value)
            if text is not None and (detections := scan_text(text)):
                outcome.masked[heading] = mask_text(text)
                outcome.problems.append(
                    Finding(
                        "identifier-in-cell",
                        Severity.ERROR,
                        str(PrivacyViolation(detections)),
                        FIX_IDENTIFIER,
                        Location(file=where, row=number, column=heading),
                        {"kinds": [d.kind for d in detections]},
                    )
                )
                continue
            if heading == "record_type" and not self.table.headings:
                continue  # JSON Lines rows may say which record type they are
            match = self.heading(heading)
            if match.field is None:
                if not self.table.headings:  # JSON Lines: keys are checked row by row
                    outcome.problems.append(self._column_problem(match, number))
                continue
            columns[match.field] = heading
            kind = self.kinds[match.field]
            if kind == "text" and isinstance(value, str):
                if value.strip():
                    data[match.field] = value
                continue
            if _is_blank(value):
                continue
            try:
                data[match.field] = self._convert(match.field, value)
            except CellValueError as exc:
                outcome.problems.append(
                    Finding(
                        "invalid-value",
                        Severity.ERROR,
                        str(exc),
                        _hint_for(self.kinds[match.field]),
                        Location(file=where, row=number, column=heading),
                    )
                )
        if outcome.problems:
            # Still report missing and invalid values in the other cells.
            bad_columns = {p.location.column for p in outcome.problems}
            self._validate(data, columns, outcome, skip=bad_columns)
            return outcome
        outcome.record = self._validate(data, columns, outcome, skip=set())
        return outcome

    def _convert(self, field_name: str, value: object) -> object:
        kind = self.kinds[field_name]
        excel = self.table.from_excel
        if kind == "date":
            return parse_date(value, self.date_order, from_excel=excel)
        if kind == "time":
            return parse_time(value, from_excel=excel)
        if kind == "bool":
            return parse_bool(value)
        if kind == "number" and isinstance(value, str):
            return value.strip().replace(",", "") if value.strip() else None
        if kind == "text" and isinstance(value, float) and value.is_integer():
            return str(int(value))
        if kind == "text" and not isinstance(value, str):
            return str(value)
        return value

    def _validate(
        self, data: dict[str, Any], columns: dict[str, str], outcome: RowOutcome, skip: set[Any]
    ) -> Record | None:
        try:
            return self.model.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = error["loc"]
                field_name = str(loc[0]) if loc else _field_of(error)
                column = columns.get(field_name, field_name) if field_name else None
                if column in skip or (field_name in skip):
                    continue
                outcome.problems.append(
                    _finding_for(error, field_name, column, self.table.where, outcome.row)
                )
            return None


def _field_of(error: Any) -> str | None:
    ctx = error.get("ctx") or {}
    exc = ctx.get("error")
    return getattr(exc, "field", None)


def _hint_for(kind: str) -> str:
    return {
        "date": "Write the date as DD/MM/YYYY (e.g. 14/08/2026) or YYYY-MM-DD, or use a date cell.",
        "time": "Write the time as HH:MM, e.g. 18:30.",
        "bool": "Write yes or no.",
        "number": "Write a whole number, 0 or more.",
    }.get(kind, "Correct the value and import again.")


def _finding_for(
    error: Any, field_name: str | None, column: str | None, where: str, row: int
) -> Finding:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    shown = f'"{value}"' if isinstance(value, str | int | float) else "the value"
    code, hint = "invalid-value", "Correct the value and import again."
    if kind == "missing":
        code, message = "missing-value", "is empty, but a value is required here"
        hint = "Fill in the cell."
    elif kind in ("int_parsing", "int_from_float", "decimal_parsing", "float_parsing"):
        message = f"{shown} is not a {'whole ' if kind.startswith('int') else ''}number"
        hint = _hint_for("number")
    elif kind in ("greater_than_equal", "greater_than"):
        message = f"{shown} is too small: it must be {ctx.get('ge', ctx.get('gt'))} or more"
        hint = "Counts and durations cannot be negative."
    elif kind in ("less_than_equal", "less_than"):
        message = f"{shown} is too large: it must be at most {ctx.get('le', ctx.get('lt'))}"
    elif kind == "string_too_long":
        message = f"is longer than {ctx.get('max_length')} characters"
    elif kind == "decimal_max_places":
        message = f"{shown} has more than {ctx.get('decimal_places')} decimal places"
    elif kind == "value_error":
        raw = str(ctx.get("error", error["msg"]))
        message = (
            raw
            if not field_name or not str(value)
            else (f"{shown} {raw}" if raw.startswith("is ") else raw)
        )
    else:
        message = str(error["msg"])
    return Finding(
        code, Severity.ERROR, message, hint, Location(file=where, row=row, column=column)
    )
