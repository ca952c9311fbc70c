"""Matching a file's column headings to record fields.

Headings match field names and their documented synonyms case- and
space-insensitively ("Activity ID", "activity_id" and "ACTIVITY-ID" are the
same). A heading that names identifying or clinical content is refused with
the reason; any other unknown heading is refused with a suggestion. Nothing
is silently dropped.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache

from peerreport.privacy.forbidden import forbidden_column
from peerreport.records.models import RECORD_TYPES, Record
from peerreport.records.vocabulary import normalise_token


@dataclass(frozen=True)
class HeadingMatch:
    """What one heading means: a field, or a reason it is refused."""

    heading: str
    field: str | None = None
    problem: str | None = None
    forbidden: bool = False


@cache
def spellings(record_type: str) -> dict[str, str]:
    """Every accepted spelling of every field of a record type, normalised, to the field name."""
    model = RECORD_TYPES[record_type]
    result: dict[str, str] = {}
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        synonyms = extra.get("synonyms", [])
        assert isinstance(synonyms, list)
        for spelling in (name, *[str(s) for s in synonyms]):
            result.setdefault(normalise_token(spelling), name)
    return result


def match_heading(record_type: str, heading: str) -> HeadingMatch:
    """Decide what a heading means for a record type."""
    key = normalise_token(heading)
    field = spellings(record_type).get(key)
    if field is not None:
        return HeadingMatch(heading, field=field)
    reason = forbidden_column(heading)
    if reason is not None:
        return HeadingMatch(heading, problem=reason, forbidden=True)
    known = spellings(record_type)
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
    did_you_mean = f" Did you mean '{known[close[0]]}'?" if close else ""
    fields = ", ".join(RECORD_TYPES[record_type].model_fields)
    return HeadingMatch(
        heading,
        problem=(
            f'"{heading}" is not a {record_type} field, and peerreport does not keep columns it '
            f"does not know.{did_you_mean} Fields: {fields}"
        ),
    )


def required_fields(model: type[Record]) -> set[str]:
    """Fields that must have a value."""
    return {name for name, info in model.model_fields.items() if info.is_required()}


def guess_record_type(headings: list[str]) -> str | None:
    """The record type whose required fields all appear among `headings`, if exactly one."""
    fits = []
    for record_type, model in RECORD_TYPES.items():
        fields = {spellings(record_type).get(normalise_token(h)) for h in headings}
        if required_fields(model) <= fields:
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
