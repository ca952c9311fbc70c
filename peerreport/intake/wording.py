"""The words of intake messages: what a field holds, what to enter, plurals and lists.

Messages name a field the way a coordinator thinks of it ("the date of the
session"), and a blank required cell says what to enter, with an example.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from peerreport.intake.headings import field_kinds, readable_heading
from peerreport.records.models import RECORD_TYPES
from peerreport.records.vocabulary import vocabulary

# What a required field holds, in words, by record type.
_WHAT: dict[str, dict[str, str]] = {
    "activities": {
        "activity_id": "the activity's own id",
        "date": "the date of the session",
        "kind": "the kind of activity",
        "attendance": "how many people took part",
    },
    "breakdowns": {
        "activity_id": "the id of the activity this row breaks down",
        "dimension": "what the count is broken down by",
        "category": "the category",
        "dimension2": "the second thing the count is broken down by",
        "category2": "the category of the second dimension",
        "count": "how many attendees were in the category",
    },
    "workforce": {
        "period_start": "the first day of the period",
        "period_end": "the last day of the period",
        "role": "the role",
    },
    "feedback": {
        "period_start": "the first day of the period",
        "period_end": "the last day of the period",
        "question": "the question",
        "response": "the answer level",
        "count": "how many people gave that answer",
    },
}

_DATE_EXAMPLES = {
    "period_start": ("01/07/2026", "07/01/2026"),
    "period_end": ("30/09/2026", "09/30/2026"),
}


def field_words(record_type: str, field: str) -> str:
    """What a field holds, in words: 'the date of the session', 'the delivery mode'."""
    known = _WHAT.get(record_type, {}).get(field)
    return known or f"the {readable_heading(field).lower()}"


def example(record_type: str, field: str, date_order: str = "day-first") -> str:
    """A value that could go in the field, as a coordinator writes it ('14/08/2026')."""
    info = RECORD_TYPES[record_type].model_fields[field]
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    month_first = date_order == "month-first"
    if field in _DATE_EXAMPLES:
        return _DATE_EXAMPLES[field][month_first]
    kind = field_kinds(record_type)[field]
    if kind == "date":
        return "08/14/2026" if month_first else "14/08/2026"
    if isinstance(extra.get("vocabulary"), str):
        return vocabulary(str(extra["vocabulary"])).terms[0].label
    for model in (RECORD_TYPES[record_type], *RECORD_TYPES.values()):  # activity_id's, say
        other = model.model_fields.get(field)
        given = other.json_schema_extra if other is not None else None
        if isinstance(given, dict) and given.get("example"):
            return str(given["example"])
    return {"time": "18:30", "bool": "yes", "number": "4"}.get(kind, "")


def what_to_enter(record_type: str, field: str, date_order: str = "day-first") -> str:
    """'enter the date of the session, e.g. 14/08/2026'."""
    shown = example(record_type, field, date_order)
    return f"enter {field_words(record_type, field)}" + (f", e.g. {shown}" if shown else "")


def plural(count: int, word: str, words: str | None = None) -> str:
    """'1 row', '3 rows', '2 activities' (give `words` when adding 's' is wrong)."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def listed(items: Sequence[str], conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def not_in_vocabulary(name: str, value: str) -> str:
    """'"gorup" is not on the kind of activity list: did you mean "Peer support group session"?
    Choose ...', in the labels the intake workbook's drop-downs show."""
    vocab = vocabulary(name)
    title = vocab.title_in_sentence
    suggestion = vocab.suggest(value)
    labels = listed([f'"{t.label}"' for t in vocab.terms], "or")
    if suggestion is None:
        return f'"{value}" is not on the {title} list: choose {labels}'
    return (
        f'"{value}" is not on the {title} list: did you mean "{vocab.label(suggestion)}"? '
        f"Choose {labels}"
    )


def duplicate_message(natural_key: tuple[str, ...], fields: dict[str, Any], made_ids: bool) -> str:
    """'activity_id A1 appears more than once in this import': a row repeating an earlier
    row's natural key (an empty optional key field, a breakdown's second dimension, unsaid)."""
    if made_ids:
        return (
            "this row is the same activity as an earlier row of another file in this import "
            "(the same date, start time, kind, programme, group, topic, mode and setting)"
        )
    named = [k for k in natural_key if fields[k] not in (None, "")]
    values = " / ".join(str(fields[k]) for k in named)
    return f"{', '.join(named)} {values} appears more than once in this import"
