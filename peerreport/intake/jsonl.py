"""Reading a JSON Lines file as one table: each line a flat JSON object, its keys the columns.

The keys are collected in a first pass, so a key that first appears on line
900 is a column like the others; the rows are then read again, streaming. A
line that is not a JSON object (or cannot be read: nested too deeply, a
number of more than 4,300 digits) becomes an `InvalidJSON` cell, reported
with the line's number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from peerreport.intake.headings import guess_record_type, record_type_for_name
from peerreport.intake.limits import InputLimits, refuse, too_many_rows
from peerreport.intake.sources import (
    InvalidJSON,
    Row,
    Table,
    TableColumn,
    checked_row,
    decode_lines,
    set_rows,
)

_RECORD_TYPE_NAMES = ("activities", "breakdowns", "workforce", "feedback")


def jsonl_objects(
    path: Path, stack: ExitStack, notices: list[str], limits: InputLimits
) -> Iterator[tuple[int, dict[str, Any] | InvalidJSON]]:
    """Each non-empty line's number and its object, or why it is not one."""
    handle = stack.enter_context(path.open("rb"))
    lines = decode_lines(handle, notices, path.name, limits)
    for number, line in enumerate(lines, start=1):
        if number > limits.max_rows:
            raise too_many_rows(path.name, limits)
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, InvalidJSON(f"not valid JSON ({exc.msg})")
            continue
        except RecursionError:
            yield (
                number,
                InvalidJSON(
                    "the line nests lists or objects too deeply to read; each record is one "
                    "flat object",
                    "IMP-057",
                ),
            )
            continue
        except ValueError:  # Python refuses to convert integers of more than 4,300 digits
            yield (
                number,
                InvalidJSON("the line holds a number with more than 4,300 digits", "IMP-058"),
            )
            continue
        # No text decoded from a line is longer than the line (an escape never decodes to
        # more characters than it takes): a short line of few keys is within the limits.
        if isinstance(value, dict) and (
            len(line) > limits.max_cell_chars or len(value) > limits.max_columns
        ):
            checked_row(path.name, number, list(value.values()), limits, from_excel=False)
        yield (
            number,
            value
            if isinstance(value, dict)
            else InvalidJSON("each line must be a JSON object {...}"),
        )


def _type_of_first(first: dict[str, Any]) -> str | None:
    """The records of a file not named after them: its first object says, by `record_type`
    or by its keys."""
    named = first.get("record_type")
    if isinstance(named, str) and named in _RECORD_TYPE_NAMES:
        return named
    return guess_record_type(list(first))


def jsonl_record_type(path: Path, limits: InputLimits) -> str | None:
    """The record type `jsonl_table` finds for the file (given no type), reading no further
    than its first object (`jsonl_table` reads every line for the keys)."""
    named = record_type_for_name(path.stem)
    if named is not None:
        return named
    with ExitStack() as stack:
        for _, value in jsonl_objects(path, stack, [], limits):
            if isinstance(value, dict):
                return _type_of_first(value)
    return None


def jsonl_table(
    path: Path, record_type: str | None, stack: ExitStack, limits: InputLimits
) -> Table:
    """A JSON Lines file: its keys (read in a first pass) are its columns."""
    keys: dict[str, None] = {}
    first: dict[str, Any] | None = None
    with ExitStack() as first_pass:
        for number, value in jsonl_objects(path, first_pass, [], limits):
            if isinstance(value, dict):
                first = value if first is None else first
                if value.keys() <= keys.keys():  # most lines: no key new (json's keys are text)
                    continue
                keys.update(dict.fromkeys(value))
                if len(keys) > limits.max_columns:
                    raise refuse(
                        "IMP-053",
                        f"line {number}: the lines have {len(keys):,} different keys so far; "
                        f"the limit is {limits.max_columns:,} columns: nothing is stored",
                        path.name,
                        number,
                    )
    table_type = record_type or record_type_for_name(path.stem)
    if table_type is None and first is not None:
        table_type = _type_of_first(first)
    notices: list[str] = []
    columns = [TableColumn(key, key, index) for index, key in enumerate(keys, start=1)]
    table = Table(path.name, None, table_type, columns, iter(()), notices)

    def rows() -> Iterator[tuple[int, Row]]:
        for number, value in jsonl_objects(path, stack, notices, limits):
            if isinstance(value, InvalidJSON):
                yield number, {"(json)": value}
                continue
            dropped = table.dropped
            # The keys of an object json reads are text: the object is the row, as it is.
            yield number, {k: v for k, v in value.items() if k not in dropped} if dropped else value

    set_rows(table, rows(), None)
    return table
