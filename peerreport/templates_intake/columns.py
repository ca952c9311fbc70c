"""What each column of the intake workbook is, read from the record model.

One `Column` per model field, in the model's order: its readable heading
("Duration (minutes)"), its kind (which decides the cell format and the data
validation), whether it is required, an example, its bounds and, for
closed-vocabulary fields, the list of choices. A drop-down offers the
vocabulary's labels ("Warm-line call"), which is what a person reads; intake
turns a label back into its code, and accepts the code too. Nothing here is
written by hand per field, so a new field or term shows up in the workbook
without editing this package.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from peerreport.intake.headings import readable_heading
from peerreport.records.models import CATEGORY_FIELDS, RECORD_TYPES
from peerreport.records.vocabulary import vocabulary
from peerreport.rulebook.sources import DIMENSIONS, category_codes

#: The sheet each record type is read from; intake matches these names.
SHEET_NAMES: dict[str, str] = {
    "activities": "Activities",
    "breakdowns": "Breakdowns",
    "workforce": "Workforce",
    "feedback": "Feedback",
}

#: The yes/no list offered for true/false fields (intake also reads true/false, 1/0, x).
YES_NO: tuple[str, ...] = ("yes", "no")

#: The name of the list a breakdown `category` draws from (every dimension's categories).
CATEGORY_LIST = "category"
#: The name of the yes/no list.
YES_NO_LIST = "yes_no"

# Examples for fields whose model metadata has none, by kind.
_DEFAULT_EXAMPLES = {
    "date": "14/08/2026",
    "time": "18:30",
    "whole": "4",
    "decimal": "1.5",
    "bool": "yes",
    "text": "",
}


@dataclass(frozen=True)
class Column:
    """One column of a record sheet: a field of the record model."""

    record_type: str
    name: str  # the field
    kind: str  # date, time, whole, decimal, bool, list or text
    required: bool
    description: str
    example: str
    list_name: str | None = None  # for kind "list" and "bool": the list on the Lists sheet
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    max_length: int | None = None

    @property
    def heading(self) -> str:
        """The heading a coordinator reads ('Duration (minutes)'); intake reads it back."""
        return readable_heading(self.name)

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes behind the drop-down's choices (empty for free columns)."""
        return list_values(self.list_name) if self.list_name else ()

    @property
    def choices(self) -> tuple[str, ...]:
        """The values offered in the drop-down: labels (empty for free columns)."""
        return list_choices(self.list_name) if self.list_name else ()


def list_values(list_name: str) -> tuple[str, ...]:
    """The codes of one drop-down list: a vocabulary's codes, every category, or yes/no."""
    if list_name == YES_NO_LIST:
        return YES_NO
    if list_name == CATEGORY_LIST:
        return category_codes()
    return vocabulary(list_name).codes


def list_choice(list_name: str, code: str) -> str:
    """What the drop-down offers for a code: its label ('warm_line_call' -> 'Warm-line call').

    A breakdown category offers its plain label ('Māori', 'Not stated'): intake
    reads it within the row's dimension.
    """
    if list_name == YES_NO_LIST:
        return code
    if list_name == CATEGORY_LIST:
        return next(vocabulary(d).label(code) for d in DIMENSIONS if code in vocabulary(d).codes)
    return vocabulary(list_name).label(code)


def list_choices(list_name: str) -> tuple[str, ...]:
    """The drop-down's values, in the list's order, each once."""
    return tuple(dict.fromkeys(list_choice(list_name, code) for code in list_values(list_name)))


def list_title(list_name: str) -> str:
    """A short title for a list ('Kind of activity', 'Breakdown category', 'Yes or no')."""
    if list_name == YES_NO_LIST:
        return "Yes or no"
    if list_name == CATEGORY_LIST:
        return "Breakdown category"
    return vocabulary(list_name).title


def _constraints(annotation: Any, metadata: list[Any]) -> dict[str, Any]:
    """ge/le/max_length found anywhere in a field's annotation (unions, Annotated, FieldInfo)."""
    found: dict[str, Any] = {}
    pending: list[Any] = list(metadata)
    stack = [annotation]
    while stack:
        current = stack.pop()
        if typing.get_origin(current) is typing.Annotated:
            base, *extra = typing.get_args(current)
            stack.append(base)
            pending.extend(extra)
        elif typing.get_origin(current) in (typing.Union, types.UnionType):
            stack.extend(typing.get_args(current))
    while pending:
        item = pending.pop()
        pending.extend(getattr(item, "metadata", None) or [])
        for key in ("ge", "le", "max_length"):
            value = getattr(item, key, None)
            if value is not None and not callable(value):
                found.setdefault(key, value)
    return found


def _base_types(annotation: Any) -> set[Any]:
    """The plain types a field's annotation can hold (Annotated and unions unwrapped)."""
    result: set[Any] = set()
    stack = [annotation]
    while stack:
        current = stack.pop()
        origin = typing.get_origin(current)
        if origin is typing.Annotated:
            stack.append(typing.get_args(current)[0])
        elif origin is not None and origin is not list:
            stack.extend(typing.get_args(current))
        else:
            result.add(origin or current)
    return result


def _kind(plain: set[Any], list_name: str | None) -> str:
    if list_name == YES_NO_LIST:
        return "bool"
    if list_name is not None:
        return "list"
    if dt.date in plain:
        return "date"
    if dt.time in plain:
        return "time"
    if int in plain:
        return "whole"
    if Decimal in plain:
        return "decimal"
    return "text"


def _shared_example(field_name: str) -> str:
    """The example of a same-named field of another record (activity_id, programme)."""
    for model in RECORD_TYPES.values():
        info = model.model_fields.get(field_name)
        extra = info.json_schema_extra if info and isinstance(info.json_schema_extra, dict) else {}
        if extra.get("example"):
            return str(extra["example"])
    return ""


def _example(given: str, kind: str, list_name: str | None) -> str:
    """The model's example, as a value the column offers (a label, not a code)."""
    if kind != "list" or list_name is None:
        return given or _DEFAULT_EXAMPLES[kind]
    offered = list_values(list_name)
    vocabularies = DIMENSIONS if list_name == CATEGORY_LIST else (list_name,)
    for name in vocabularies:
        code = vocabulary(name).resolve(given) if given else None
        if code is not None and code in offered:
            return list_choice(list_name, code)
    return list_choice(list_name, offered[0])


def columns(record_type: str) -> list[Column]:
    """The columns of one record sheet, in the record model's field order."""
    model = RECORD_TYPES[record_type]
    result = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        plain = _base_types(info.annotation)
        vocab = extra.get("vocabulary")
        list_name: str | None = None
        if bool in plain:
            list_name = YES_NO_LIST
        elif isinstance(vocab, str):
            list_name = vocab
        elif record_type == "breakdowns" and name in CATEGORY_FIELDS:
            list_name = CATEGORY_LIST
        kind = _kind(plain, list_name)
        limits = _constraints(info.annotation, list(info.metadata))
        example = _example(str(extra.get("example") or _shared_example(name)), kind, list_name)
        result.append(
            Column(
                record_type=record_type,
                name=name,
                kind=kind,
                required=info.is_required(),
                description=info.description or "",
                example=example,
                list_name=list_name,
                minimum=Decimal(str(limits["ge"])) if "ge" in limits else None,
                maximum=Decimal(str(limits["le"])) if "le" in limits else None,
                max_length=limits.get("max_length") if kind == "text" else None,
            )
        )
    return result


def all_columns() -> dict[str, list[Column]]:
    """Every record sheet's columns, by record type, in sheet order."""
    return {record_type: columns(record_type) for record_type in SHEET_NAMES}
