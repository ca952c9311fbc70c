"""The JSON value types shared by the documents peerreport publishes, and their errors in words.

`return.json` and a bundle's `manifest.json` are defined once, as pydantic
models (`returns.document`, `bundle.document`); their JSON Schemas are
generated from the models. The models only validate: code keeps working with
plain dicts and the `Return` dataclass, so the types here check the JSON as it
is (an ISO date stays text) rather than converting it.

Every model is strict (no "1" for 1, no true for 1) and refuses unknown keys.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
)
from pydantic.json_schema import GenerateJsonSchema, WithJsonSchema
from pydantic_core import PydanticCustomError

T = TypeVar("T")

#: The largest number a document may carry: JSON readers (JavaScript, spreadsheets)
#: hold whole numbers exactly only up to 2**53 - 1.
MAX_MAGNITUDE = 2**53 - 1

# [0-9], not \d: \d also matches other scripts' digits in Python.
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_TIMESTAMP = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})$"
)
SHA256_HEX = r"^[0-9a-f]{64}$"
SHA256_PREFIXED = r"^sha256:[0-9a-f]{64}$"


class Document(BaseModel):
    """A part of a published JSON document: strict types, no unknown keys, read-only."""

    # No populate_by_name: a key is only ever accepted under its JSON name ("return", not "ret").
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("not_null", "may be left out, but is never null")
    return value


def _without_null(schema: dict[str, Any]) -> None:
    options = [s for s in schema.pop("anyOf") if s != {"type": "null"}]
    schema.pop("default", None)
    schema.update(options[0])


#: A key that may be left out but, when present, is never null: `x: Omissible[int] = omissible()`.
Omissible = Annotated[T | None, BeforeValidator(_refuse_null)]


def omissible(description: str) -> Any:
    """The field of an `Omissible` key: absent by default, and the schema shows no null."""
    return Field(None, description=description, json_schema_extra=_without_null)


def _iso_date(value: str) -> str:
    if not re.fullmatch(_DATE, value):
        raise PydanticCustomError("iso_date", "must be a date written YYYY-MM-DD")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("iso_date", "is not a real date") from None
    return value


def _timestamp(value: str) -> str:
    if not re.fullmatch(_TIMESTAMP, value):
        raise PydanticCustomError(
            "timestamp",
            "must be a date and time with its UTC offset, e.g. 2026-10-12T09:00:00+00:00",
        )
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("timestamp", "is not a real date and time") from None
    return value


# The validators check the pattern themselves, to say what is wrong in words.
IsoDate = Annotated[
    str, AfterValidator(_iso_date), Field(json_schema_extra={"format": "date", "pattern": _DATE})
]
Timestamp = Annotated[
    str,
    AfterValidator(_timestamp),
    Field(json_schema_extra={"format": "date-time", "pattern": _TIMESTAMP}),
]


def _kind_of(value: Any) -> str:
    """What a JSON value is, in words: 'text', 'a list', 'true'..."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _published(value: Any) -> int | float | str | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise PydanticCustomError("published_value", "must be a finite number")
        if abs(value) > MAX_MAGNITUDE:
            raise PydanticCustomError(
                "published_value",
                "is too large: at most {limit} either side of zero",
                {"limit": MAX_MAGNITUDE},
            )
        return value
    if isinstance(value, str):
        if not re.fullmatch(_DATE, value):
            raise PydanticCustomError(
                "published_value", "text is only allowed for a date written YYYY-MM-DD"
            )
        return _iso_date(value)
    raise PydanticCustomError(
        "published_value", "must be a number, a date or null, not {kind}", {"kind": _kind_of(value)}
    )


_NUMBER_RANGE = {"minimum": -MAX_MAGNITUDE, "maximum": MAX_MAGNITUDE}

#: A published value: a number, an ISO date (min or max of dates), or null (suppressed, or none).
Published = Annotated[
    int | float | str | None,
    PlainValidator(_published, json_schema_input_type=Any),
    WithJsonSchema(
        {
            "description": "A published value: a number, a date (YYYY-MM-DD: the min or max of "
            "dates), or null when suppressed or there is no value.",
            "anyOf": [
                {"type": "number", **_NUMBER_RANGE},
                {"type": "string", "pattern": _DATE, "format": "date"},
                {"type": "null"},
            ],
        }
    ),
]

Count = Annotated[int, Field(ge=0, le=MAX_MAGNITUDE)]


class SchemaGenerator(GenerateJsonSchema):
    """JSON Schema without a title on every property: the descriptions say what a key is."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        """Never: a property's title would only repeat its key."""
        return False


def published_schema(
    model: type[BaseModel], schema_id: str, title: str, description: str
) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a document model, with its id, title and description."""
    schema = model.model_json_schema(by_alias=True, schema_generator=SchemaGenerator)
    schema.pop("title", None)
    schema.pop("description", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "title": title,
        "description": description,
        **schema,
    }


def schema_text(schema: dict[str, Any]) -> str:
    """A schema as the file holds it: sorted keys, two-space indent, final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def where(loc: tuple[int | str, ...]) -> str:
    """An error location as a key path: `return.figures[3].total.value`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part, ensure_ascii=False)}]"
    return text


def _shown(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def describe(error: ValidationError) -> str:
    """A validation error in words, naming the key path: `figures[3].total.value: ...`.

    A model check that points below its model (e.g. at one cell's value) puts
    the rest of the path in its context as `path`. Only the first problem is
    spelt out; the others are counted.
    """
    problems = error.errors(include_url=False)
    first = problems[0]
    loc = where(first["loc"])
    below = (first.get("ctx") or {}).get("path")
    if below:
        loc = f"{loc}.{below}" if loc and not str(below).startswith("[") else f"{loc}{below}"
    message = first["msg"]
    # A model check's input is the whole model: its message names the value itself.
    if not below and first["type"] not in ("missing", "not_null") and "input" in first:
        message += f" (found {_shown(first['input'])})"
    more = len(problems) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{loc or '(top level)'}: {message}{tail}"
