"""Record sources a measure or check can be computed over, and the names each offers.

| source     | one row per                      | in the period when                          |
| ---------- | -------------------------------- | ------------------------------------------- |
| activity   | activity (session, call, ...)    | its `date` is within the period              |
| breakdown  | breakdown count of an activity   | its activity's `date` is within the period   |
| cross_breakdown | cross-tabulated count (two dimensions) of an activity | as `breakdown` |
| workforce  | workforce entry (role × period)  | it covers at least one day of the period     |
| feedback   | feedback tally (answer × period) | its last day (`period_end`) is in the period |

`breakdown` rows are joined to their activity, so its names are the
activity's fields plus `dimension`, `category` and `count`. They are the
breakdown counts by ONE dimension; a count with a second dimension (a cell of a
cross-tabulation, "Māori attendees aged 25 to 44") is a row of
`cross_breakdown` instead, which adds `dimension2` and `category2`. So the rule
files written before cross-tabulated counts existed count exactly what they
did, and a measure never adds up counts of one attendee in two tables. `activity` also
offers `member_tokens`, which only `distinct` may use, and the sums of its
breakdown counts per dimension (`BREAKDOWN_TOTALS`: `breakdown_total_age_band`,
...; null when the activity has no breakdown of that dimension; counts by one
dimension only), computed in `compute/breakdown_totals`.

A workforce entry is apportioned to the period by days of overlap, but only
where that is what a figure means: in a `sum`, each of the fields in
`APPORTIONED` is the entry's part of the period (`AVERAGE`: a level, such as
FTE, averaged over the period's days; `SHARE`: an amount, such as hours, times
the share of the entry's days that fall in the period). Everywhere else
(`where`, `by`, `min`, `max`, `distinct`, record checks) a field is the value
as recorded. Feedback tallies count whole, in the period holding their last
day: a tally of people's answers cannot be split. docs/rule-files.md says why.

Names, types, vocabularies and descriptions come from the record models
(`peerreport.records.models`), so a new field shows up here without editing
this module. Building a scope needs no database (nor SQLAlchemy).
"""

from __future__ import annotations

import datetime as dt
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from peerreport.language import Binding, Type
from peerreport.records.models import (
    CATEGORY_FIELDS,
    Activity,
    BreakdownCount,
    FeedbackTally,
    Record,
    WorkforceEntry,
)
from peerreport.records.vocabulary import vocabulary

#: The name of the member-token pseudo-field of `activity`.
MEMBER_TOKENS = "member_tokens"
#: The breakdown dimensions; `category` (and `category2`) draws its codes from these vocabularies.
DIMENSIONS = ("ethnicity", "age_band", "gender", "indigenous_status", "cald")
#: Fields of `activity` adding up its breakdown counts of one dimension (null when it has
#: none), so a record check can compare an activity with its breakdowns.
BREAKDOWN_TOTALS: dict[str, str] = {f"breakdown_total_{d}": d for d in DIMENSIONS}
#: The fields only a cross-tabulated breakdown (`cross_breakdown`) has.
SECOND_DIMENSION = ("dimension2", "category2")
#: The sources whose rows are breakdown counts joined to their activity.
BREAKDOWN_SOURCES = ("breakdown", "cross_breakdown")

#: An apportioned level (FTE, people): value × overlap days / the period's days.
AVERAGE = "average"
#: An apportioned amount (hours): value × overlap days / the entry's days.
SHARE = "share"
#: What each field of a period source is in a `sum`: how it is apportioned to the period.
APPORTIONED: dict[str, dict[str, str]] = {
    "workforce": {
        "paid_fte": AVERAGE,
        "paid_headcount": AVERAGE,
        "volunteer_count": AVERAGE,
        "volunteer_hours": SHARE,
        "supervision_hours": SHARE,
        "training_hours": SHARE,
    },
}


@dataclass(frozen=True)
class Source:
    """A kind of record measures and checks run over."""

    name: str
    description: str
    fields: tuple[Binding, ...]
    id_fields: tuple[str, ...]  # what identifies a row, for samples of failing records
    # "date": the activity's date is in the period; "overlap": the entry covers a day of
    # it; "end": the entry's last day is in it.
    period: str
    nullable: frozenset[str]  # fields that may be empty (null)
    apportioned: dict[str, str] = field(default_factory=dict)  # field -> AVERAGE or SHARE

    def binding(self, name: str) -> Binding | None:
        """The field called `name`, if the source has it."""
        return next((f for f in self.fields if f.name == name), None)


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _type_of(annotation: Any) -> tuple[Type | None, bool]:
    """The language type of a model field's annotation, and whether it may be empty."""
    annotation = _unwrap(annotation)
    args = [_unwrap(a) for a in typing.get_args(annotation) if a is not type(None)]
    nullable = len(args) < len(typing.get_args(annotation))
    base = args[0] if nullable and len(args) == 1 else annotation
    if typing.get_origin(base) is list:
        return Type.TOKEN, False
    mapping: dict[Any, Type] = {
        bool: Type.BOOLEAN,
        int: Type.INTEGER,
        Decimal: Type.REAL,
        float: Type.REAL,
        str: Type.TEXT,
        dt.date: Type.DATE,
        dt.time: Type.TIME,
    }
    return mapping.get(base), nullable


def _bindings(model: type[Record]) -> tuple[list[Binding], set[str]]:
    """The fields of a record model as bindings, with the words people use for them."""
    result: list[Binding] = []
    nullable: set[str] = set()
    for name, info in model.model_fields.items():
        t, may_be_empty = _type_of(info.annotation)
        if t is None or t is Type.TOKEN:
            continue
        if may_be_empty:
            nullable.add(name)
        description = info.description or ""
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        vocab = extra.get("vocabulary")
        words = extra.get("synonyms")
        synonyms = tuple(str(w) for w in words) if isinstance(words, list) else ()
        if isinstance(vocab, str):
            codes: tuple[str, ...] | None = vocabulary(vocab).codes
            result.append(Binding(name, t, "field", description, vocab, codes, synonyms))
        elif name in CATEGORY_FIELDS:
            result.append(
                Binding(name, t, "field", description, "category", category_codes(), synonyms)
            )
        else:
            result.append(Binding(name, t, "field", description, synonyms=synonyms))
    return result, nullable


def category_codes() -> tuple[str, ...]:
    """Every code a breakdown `category` can hold: the union of the dimensions' codes."""
    codes: dict[str, None] = {}
    for dimension in DIMENSIONS:
        codes.update(dict.fromkeys(vocabulary(dimension).codes))
    return tuple(codes)


@cache
def sources() -> dict[str, Source]:
    """Every record source, by name."""
    activity_fields, activity_nullable = _bindings(Activity)
    tokens = Binding(
        MEMBER_TOKENS,
        Type.TOKEN,
        "field",
        "Member tokens (keyed hashes); only `distinct` may count them.",
    )
    totals = [
        Binding(
            name,
            Type.INTEGER,
            "field",
            f"The activity's {dimension.replace('_', ' ')} breakdown counts added up "
            "(empty when it has none).",
        )
        for name, dimension in BREAKDOWN_TOTALS.items()
    ]
    breakdown_own, breakdown_nullable = _bindings(BreakdownCount)
    cross_own = [b for b in breakdown_own if b.name != "activity_id"]
    breakdown_own = [b for b in cross_own if b.name not in SECOND_DIMENSION]
    breakdown_nullable -= set(SECOND_DIMENSION)  # never empty in a cross-tabulated row
    workforce_fields, workforce_nullable = _bindings(WorkforceEntry)
    feedback_fields, feedback_nullable = _bindings(FeedbackTally)
    return {
        "activity": Source(
            "activity",
            "Activities: one row per session, call or event.",
            (*activity_fields, *totals, tokens),
            ("activity_id",),
            "date",
            frozenset(activity_nullable | set(BREAKDOWN_TOTALS)),
        ),
        "breakdown": Source(
            "breakdown",
            "Breakdown counts (attendance by ethnicity, age band, gender, Indigenous status or "
            "CALD background), each joined "
            "to its activity.",
            (*activity_fields, *breakdown_own),
            ("activity_id", "dimension", "category"),
            "date",
            frozenset(activity_nullable | breakdown_nullable),
        ),
        "cross_breakdown": Source(
            "cross_breakdown",
            "Cross-tabulated breakdown counts (attendance by two dimensions, e.g. ethnicity and "
            "age band), each joined to its activity.",
            (*activity_fields, *cross_own),
            ("activity_id", "dimension", "category", *SECOND_DIMENSION),
            "date",
            frozenset(activity_nullable | breakdown_nullable),
        ),
        "workforce": Source(
            "workforce",
            "Workforce entries: one row per role and period.",
            tuple(workforce_fields),
            ("period_start", "period_end", "role", "programme"),
            "overlap",
            frozenset(workforce_nullable),
            APPORTIONED["workforce"],
        ),
        "feedback": Source(
            "feedback",
            "Feedback tallies: how many people gave each answer to a question in a period.",
            tuple(feedback_fields),
            ("period_start", "period_end", "programme", "question", "response"),
            "end",
            frozenset(feedback_nullable),
        ),
    }


SOURCE_NAMES = ("activity", "breakdown", "cross_breakdown", "workforce", "feedback")
