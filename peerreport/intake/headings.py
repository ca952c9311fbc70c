"""Matching a file's column headings to record fields.

Headings match field names, their readable headings ("Duration (minutes)",
as the intake workbook writes them) and their documented synonyms, case- and
space-insensitively ("Activity ID", "activity_id" and "ACTIVITY-ID" are the
same). A heading that names identifying or clinical content is forbidden, with
the reason. Any other heading peerreport does not know is unknown: its column
is not stored (the import names it once, with a suggestion when it looks like
a field). The rejects file's own `problem` column is recognised and ignored.
"""

from __future__ import annotations

import datetime as dt
import difflib
import typing
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from peerreport.privacy.forbidden import forbidden_column
from peerreport.records.models import RECORD_TYPES, Record
from peerreport.records.vocabulary import normalise_token

#: The column a rejects file adds to the input's own columns: why the row was rejected.
PROBLEM_COLUMN = "problem"

#: Keys read but never stored: the rejects file's reasons, and the record type a
#: JSON Lines object may name.
_IGNORED = {normalise_token(PROBLEM_COLUMN), "record type"}

# Readable headings where the field name, spaced and capitalised, is not one.
_READABLE: dict[str, str] = {
    "activity_id": "Activity ID",
    "duration_minutes": "Duration (minutes)",
    "kind": "Kind of activity",
    "mode": "Delivery mode",
    "group_id": "Group",
    "first_time": "First-time attendees",
    "member_led": "Member-led",
    "co_facilitated": "Co-facilitated",
    "dimension": "Breakdown by",
    "dimension2": "Second breakdown by",
    "category2": "Second category",
    "paid_fte": "Paid FTE",
    "volunteer_count": "Volunteers",
}

#: Fields intake can make a value for when the file has no column for them.
GENERATED_FIELDS: dict[str, frozenset[str]] = {"activities": frozenset({"activity_id"})}


def readable_heading(field: str) -> str:
    """The heading a person reads for a field: 'Duration (minutes)', 'Start time'."""
    return _READABLE.get(field) or field.replace("_", " ").capitalize()


@dataclass(frozen=True)
class HeadingMatch:
    """What one heading means: a field, a forbidden column, an ignored one, or unknown."""

    heading: str
    field: str | None = None
    forbidden: str | None = None  # why the column is refused, in plain words
    ignored: bool = False  # recognised and not stored (the rejects file's `problem`)
    suggestion: str | None = None  # for an unknown heading: the field it looks like

    @property
    def unknown(self) -> bool:
        """A heading peerreport does not know: its column is not stored."""
        return self.field is None and self.forbidden is None and not self.ignored


@cache
def spellings(record_type: str) -> dict[str, str]:
    """Every accepted spelling of every field of a record type, normalised, to the field name."""
    model = RECORD_TYPES[record_type]
    result: dict[str, str] = {}
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        synonyms = extra.get("synonyms", [])
        assert isinstance(synonyms, list)
        for spelling in (name, readable_heading(name), *[str(s) for s in synonyms]):
            result.setdefault(normalise_token(spelling), name)
    return result


def match_heading(record_type: str, heading: str) -> HeadingMatch:
    """Decide what a heading means for a record type."""
    key = normalise_token(heading)
    field = spellings(record_type).get(key)
    if field is not None:
        return HeadingMatch(heading, field=field)
    if key in _IGNORED:
        return HeadingMatch(heading, ignored=True)
    reason = forbidden_column(heading)
    if reason is not None:
        return HeadingMatch(heading, forbidden=reason)
    known = spellings(record_type)
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
    return HeadingMatch(heading, suggestion=known[close[0]] if close else None)


@cache
def field_kinds(record_type: str) -> dict[str, str]:
    """'date', 'time', 'bool', 'number' or 'text' for each field, from the model's types."""
    kinds: dict[str, str] = {}
    for name, info in RECORD_TYPES[record_type].model_fields.items():
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


def required_fields(model: type[Record]) -> set[str]:
    """Fields that must have a value."""
    return {name for name, info in model.model_fields.items() if info.is_required()}


def needed_fields(record_type: str) -> set[str]:
    """Required fields a file must have a column for (an activity's id can be made for it)."""
    model = RECORD_TYPES[record_type]
    return required_fields(model) - GENERATED_FIELDS.get(record_type, frozenset())


def guess_record_type(headings: list[str]) -> str | None:
    """The record type whose needed fields all appear among `headings`, if exactly one."""
    fits = []
    for record_type in RECORD_TYPES:
        fields = {spellings(record_type).get(normalise_token(h)) for h in headings}
        if needed_fields(record_type) <= fields:
            fits.append(record_type)
    if len(fits) > 1 and "activities" in fits:
        return "activities"
    return fits[0] if len(fits) == 1 else None


_TYPE_NAMES = {
    "activities": ("activities", "activity", "activity log", "log", "sessions"),
    "breakdowns": ("breakdowns", "breakdown", "attendance breakdown", "demographics"),
    "workforce": ("workforce", "staff", "workforce entries"),
    "feedback": ("feedback", "feedback tallies", "survey"),
}


def record_type_for_name(name: str) -> str | None:
    """A record type named by a sheet name or a file name stem ('Activities', 'q1-workforce')."""
    key = normalise_token(name)
    for record_type, names in _TYPE_NAMES.items():
        if key in names:
            return record_type
    # Most specific first: "activity-breakdowns" is a breakdowns file.
    for record_type in ("breakdowns", "workforce", "feedback", "activities"):
        if any(n in key for n in _TYPE_NAMES[record_type] if len(n) > 3):
            return record_type
    return None
