"""Turning one row of cells into a validated record, or into problems that name the cell.

Order matters for privacy: every cell is scanned for identifiers *before* any
other message is written, so no message can ever echo an identifier; such a
cell is shown masked everywhere (messages and rejects files). Only the cells
of columns that are read are scanned: an unknown column is never stored (its
cells are masked when a rejects file shows them), and a dropped forbidden
column never reaches this module at all.

Findings are made with the row's keys as their column, and placed at the end
(`_placed`): the heading as written and, in a workbook, the cell address.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.intake.columns import ColumnPlan
from peerreport.intake.dates import AmbiguousDate, DateOrder, Place
from peerreport.intake.headings import (
    field_kinds,
    needed_fields,
    readable_heading,
    required_fields,
)
from peerreport.intake.ids import ActivityIds
from peerreport.intake.sources import InvalidJSON, Row, Table, column_letter
from peerreport.intake.values import CellValueError, parse_bool, parse_time
from peerreport.intake.wording import listed, not_in_vocabulary, what_to_enter
from peerreport.privacy import PrivacyViolation, mask_text, scan_text
from peerreport.records.models import CATEGORY_FIELDS, RECORD_TYPES, Activity, Record
from peerreport.records.vocabulary import vocabulary

FIX_IDENTIFIER = (
    "Delete the identifier from the cell (or the whole column), then import again. "
    "peerreport records what the organisation does, never who a person is."
)
#: Stands in for an activity's id until its made id is known (see `peerreport.intake.ids`).
_ID_TO_MAKE = "(made from the row)"


@dataclass
class RowOutcome:
    """The result of reading one row."""

    row: int
    record: Record | None
    problems: list[Finding] = field(default_factory=list)
    cells: dict[str, object] = field(default_factory=dict)  # the row as read
    masked: dict[str, str] = field(default_factory=dict)  # cells holding identifiers, masked
    columns: dict[str, str] = field(default_factory=dict)  # field -> the key it came from
    #: Column-level problems that stop this row (reported once per table, not per row).
    blocked_by: list[Finding] = field(default_factory=list)

    @property
    def shown(self) -> dict[str, object]:
        """The row as it is safe to show (identifiers masked), for rejects files."""
        return {h: self.masked.get(h, v) for h, v in self.cells.items()}

    @property
    def rejected(self) -> bool:
        """Whether the row cannot be stored."""
        return bool(self.problems or self.blocked_by)


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


def convert_cell(kind: str, value: object, *, from_excel: bool) -> object:
    """A filled cell's value as its field's validation takes it; not a date's, which
    depends on the file's date order (`DateOrder.read`)."""
    if kind == "time":
        return parse_time(value, from_excel=from_excel)
    if kind == "bool":
        return parse_bool(value)
    if kind == "number" and isinstance(value, str):
        return value.strip().replace(",", "") if value.strip() else None
    if kind == "text" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    if kind == "text" and not isinstance(value, str):
        return str(value)
    return value


JSON_LINE_HINT = 'Each line of a JSON Lines file is one record: {"field": value, ...}.'
NUL_MASK = "(a value with a NUL character, not shown)"


class RowReader:
    """Reads the rows of one table into records of one type."""

    def __init__(
        self,
        table: Table,
        record_type: str,
        date_order: str,
        dates: DateOrder | None = None,
    ) -> None:
        self.table = table
        self.record_type = record_type
        self.model = RECORD_TYPES[record_type]
        self.date_order = date_order
        self.kinds = field_kinds(record_type)
        self.plan = ColumnPlan(table, record_type)
        self.dates = dates or DateOrder(date_order)
        self.ids = ActivityIds() if self.plan.generated_ids else None
        self._needed = needed_fields(record_type)
        self._field_keys = {name: key for key, name in self.plan.fields.items()}
        self._blocked_fields = set(self.plan.column_problems)
        # The fields that say what a record is (an activity's id, date and kind; not its
        # counts): a row with none of them is stray cells (a total, a note), not a record.
        self._telling = [
            name
            for name in self.model.model_fields
            if name in required_fields(self.model)
            and self.kinds[name] != "number"
            and not (self.ids is not None and name == "activity_id")
        ]
        self._telling_keys = [
            key for key, name in self.plan.fields.items() if name in self._telling
        ] + [
            c.key
            for name, cols in self.plan.duplicates.items()
            if name in self._telling
            for c in cols
        ]
        self._not_counted = {c.key for c in self.plan.ignored}

    def heading_problems(self, drop_forbidden: bool = False) -> list[Finding]:
        """Problems with the heading row itself: forbidden columns, then column-level ones."""
        return [*self.plan.refusals(drop_forbidden), *self.plan.column_problems.values()]

    def notices(self) -> list[str]:
        """What the import says about the columns (after the rows are read)."""
        return self.plan.notices()

    def read(self, number: int, row: Row) -> RowOutcome:
        """Validate one row."""
        outcome = RowOutcome(number, None, cells=row)
        where = self.table.where
        data: dict[str, Any] = {}
        columns = outcome.columns  # field -> key, to name the cell in messages
        columns.update(self._field_keys)
        self._block(row, outcome)
        for heading, value in row.items():
            if isinstance(value, InvalidJSON):
                outcome.problems.append(
                    finding(
                        value.code,
                        value.message,
                        None if value.code != "IMP-023" else JSON_LINE_HINT,
                        Location(file=where, row=number),
                    )
                )
                return self._finish(outcome)  # a line that cannot be read has no cells to check
            if isinstance(value, str) and "\x00" in value:
                # No database stores a NUL in text (PostgreSQL refuses it): one plain
                # finding for the cell, its value never shown.
                outcome.masked[heading] = NUL_MASK
                outcome.problems.append(
                    finding(
                        "IMP-055",
                        "the cell holds a NUL character (byte 0), which cannot be stored; "
                        "its value is not shown",
                        None,
                        Location(file=where, row=number, column=heading),
                    )
                )
                continue
            field_name = self.plan.fields.get(heading)
            if field_name is None:
                self._not_read(heading, value)
                continue
            if value is None or value == "":
                continue
            text = _scannable(value)
            if text is not None and (detections := scan_text(text)):
                outcome.masked[heading] = mask_text(text)
                outcome.problems.append(
                    finding(
                        "PRV-002",
                        str(PrivacyViolation(detections)),
                        FIX_IDENTIFIER,
                        Location(file=where, row=number, column=heading),
                        {"kinds": [d.kind for d in detections]},
                    )
                )
                continue
            kind = self.kinds[field_name]
            if kind == "text" and isinstance(value, str):
                if value.strip():
                    data[field_name] = value
                continue
            if _is_blank(value):
                continue
            try:
                data[field_name] = self._convert(field_name, value, heading, number)
            except CellValueError as exc:
                outcome.problems.append(
                    finding(
                        "IMP-022" if isinstance(exc, AmbiguousDate) else "IMP-021",
                        str(exc),
                        _hint_for(kind),
                        Location(file=where, row=number, column=heading),
                    )
                )
        if self.ids is not None:
            data["activity_id"] = _ID_TO_MAKE
        if self._stray(row, outcome):
            return self._finish(outcome)
        if outcome.problems or outcome.blocked_by:
            # Still report missing and invalid values in the other cells.
            bad_columns = {p.location.column for p in outcome.problems}
            self._validate(data, columns, outcome, skip=bad_columns | self._blocked_fields)
            return self._finish(outcome)
        record = self._validate(data, columns, outcome, skip=self._blocked_fields)
        if record is not None and self.ids is not None:
            assert isinstance(record, Activity)
            record = self.ids.assign(record)
        outcome.record = record
        return self._finish(outcome)

    def valid_outcome(self, number: int, row: Row) -> RowOutcome:
        """The outcome `read` gives a valid row (its cells, no problems), without reading it
        again: for a row found valid in a batch and then refused as a whole (a duplicate)."""
        return RowOutcome(number, None, cells=row, columns=dict(self._field_keys))

    def _block(self, row: Row, outcome: RowOutcome) -> None:
        """The column-level problems that stop this row."""
        for name, problem in self.plan.column_problems.items():
            columns = self.plan.duplicates.get(name, [])
            if name in self._needed or any(not _is_blank(row.get(c.key)) for c in columns):
                outcome.blocked_by.append(problem)

    def _not_read(self, key: str, value: object) -> None:
        """A cell of a column that is not read: remember a heading-less column with data."""
        if _is_blank(value) or key in self.plan.fields:
            return
        column = self.table.column(key)
        if column is not None and not column.heading:
            self.plan.headingless_seen.setdefault(column.index, None)

    def _stray(self, row: Row, outcome: RowOutcome) -> bool:
        """A row with none of the values that say what a record is: one finding, not several."""
        if not self._telling_keys or any(not _is_blank(row.get(k)) for k in self._telling_keys):
            return False
        if any(isinstance(value, InvalidJSON) for value in row.values()):
            return False  # not a row of cells at all: its own problem says so
        filled = [
            key
            for key, value in row.items()
            if key not in self._not_counted
            and not isinstance(value, InvalidJSON)
            and not _is_blank(value)
        ]
        outcome.blocked_by.clear()
        outcome.problems[:] = [p for p in outcome.problems if p.code == "PRV-002"]
        if not filled:
            return True  # only the rejects file's `problem` is left: nothing to import
        needed = listed([f'"{readable_heading(f)}"' for f in self._telling], "or")
        where, number = self.table.where, outcome.row
        if len(filled) == 1:
            message = (
                f"is the only filled cell in row {number}, which has no {needed}: delete it if "
                "it is stray, or complete the row"
            )
            location = Location(file=where, row=number, column=filled[0])
        else:
            shown = [self._shown_column(k) for k in filled]
            cells = [self.table.address(k, number) for k in filled]
            addresses = f" ({listed([c for c in cells if c])})" if all(cells) else ""
            message = (
                f"this row has values only in {listed(shown)}{addresses}, and no {needed}: "
                "delete them if they are stray, or complete the row"
            )
            location = Location(file=where, row=number)
        outcome.problems.append(
            finding(
                "IMP-030",
                message,
                "A row below the data with a few stray values (a total, a note) is not an "
                "activity: delete the cells, or fill in the row.",
                location,
            )
        )
        return True

    def _shown_column(self, key: str) -> str:
        column = self.table.column(key)
        if column is None or not column.heading:
            letter = column_letter(column.index) if column else "?"
            return (
                f"column {letter}"
                if self.table.from_excel
                else f"column {column.index if column else '?'}"
            )
        return f'"{mask_text(column.heading)}"'

    def _finish(self, outcome: RowOutcome) -> RowOutcome:
        outcome.problems[:] = [self.placed(p) for p in outcome.problems]
        return outcome

    def placed(self, finding: Finding) -> Finding:
        """The finding with its column as the heading reads, and its cell address."""
        key, row = finding.location.column, finding.location.row
        column = self.table.column(key) if key is not None else None
        if column is None or row is None:
            return finding
        heading = mask_text(column.heading) if column.heading else None
        location = dataclasses.replace(
            finding.location, column=heading, address=self.table.address(column.key, row)
        )
        return dataclasses.replace(finding, location=location)

    def _convert(self, field_name: str, value: object, key: str, row: int) -> object:
        kind = self.kinds[field_name]
        excel = self.table.from_excel
        if kind == "date":
            column = self.table.column(key)
            place = Place(
                self.table.where,
                row,
                column.heading if column and column.heading else key,
                self.table.address(key, row),
            )
            return self.dates.read(value, place, from_excel=excel)
        return convert_cell(kind, value, from_excel=excel)

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
                finding = self._finding_for(error, field_name, column, outcome.row)
                vocab = self._vocabulary_of(field_name, data)
                value = data.get(str(field_name))
                if vocab and isinstance(value, str) and vocabulary(vocab).resolve(value) is None:
                    finding = dataclasses.replace(
                        finding, message=not_in_vocabulary(vocab, data[str(field_name)])
                    )
                outcome.problems.append(finding)
            return None

    def _vocabulary_of(self, field_name: str | None, data: dict[str, Any]) -> str | None:
        """The vocabulary a field's value must come from (a category's: its row's dimension)."""
        info = self.model.model_fields.get(str(field_name))
        extra = info.json_schema_extra if info and isinstance(info.json_schema_extra, dict) else {}
        if isinstance(extra.get("vocabulary"), str):
            return str(extra["vocabulary"])
        if self.record_type == "breakdowns" and field_name in CATEGORY_FIELDS:
            dimension = data.get(CATEGORY_FIELDS[str(field_name)])
            return (
                vocabulary("dimension").resolve(dimension) if isinstance(dimension, str) else None
            )
        return None

    def _finding_for(
        self, error: Any, field_name: str | None, column: str | None, row: int
    ) -> Finding:
        kind = error["type"]
        value = error.get("input")
        ctx = error.get("ctx") or {}
        shown = f'"{value}"' if isinstance(value, str | int | float) else "the value"
        code, hint = "IMP-021", "Correct the value and import again."
        if kind == "missing":
            code, hint = "IMP-020", "Fill in the cell."
            wanted = (
                what_to_enter(self.record_type, field_name, self.date_order)
                if field_name in self.model.model_fields
                else "enter a value"
            )
            message = f"is empty: {wanted}"
        elif kind in ("int_parsing", "int_from_float", "decimal_parsing", "float_parsing"):
            what = "a whole number" if kind.startswith("int") else "a number"
            message = f"{shown} is not {what}"
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
        return finding(
            code,
            message,
            hint,
            Location(file=self.table.where, row=row, column=column),
        )


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
