"""The record model: what a peer-run organisation records, and nothing else.

There is deliberately no field for a name, date of birth, address, contact
detail, NHI or other client identifier, diagnosis, medication or case note.
Every free-text field is scanned for identifiers and diagnoses as it is
validated, so a record that holds one cannot be constructed at all.

Field metadata (`json_schema_extra`) carries the intake synonyms and the
vocabulary a field draws from; the intake workbook and the docs read it.
"""

from __future__ import annotations

import datetime as dt
import functools
import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from peerreport.privacy import check_text
from peerreport.records.vocabulary import vocabulary


def _vocab_member(name: str) -> Any:
    """A validator that turns a code, label or synonym into the vocabulary's code."""

    def validate(value: object) -> object:
        if value is None or not isinstance(value, str):
            return value
        if not value.strip():
            return None
        vocab = vocabulary(name)
        code = vocab.resolve(value)
        if code is not None:
            return code
        hint = vocab.suggest(value)
        allowed = ", ".join(vocab.codes)
        did_you_mean = f" Did you mean '{hint}'?" if hint else ""
        raise ValueError(
            f"is not a known {vocab.title_in_sentence}.{did_you_mean} Allowed: {allowed}"
        )

    return BeforeValidator(validate)


class FieldProblem(ValueError):
    """A check across fields failed; `field` names the cell a coordinator should fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def activity_problem(fields: Mapping[str, Any]) -> FieldProblem | None:
    """An activity's checks across fields, on its field values (the model's validator and
    the columnar intake, which settles fields without building a model, share it)."""
    first_time, attendance = fields["first_time"], fields["attendance"]
    if first_time is not None and first_time > attendance:
        return FieldProblem(
            "first_time", f"first_time ({first_time}) cannot be more than attendance ({attendance})"
        )
    if fields["calls_missed"] is not None and fields["kind"] != "warm_line_call":
        return FieldProblem(
            "calls_missed",
            f"calls_missed is for warm-line calls; this activity is '{fields['kind']}': "
            "leave it blank or record the activity as a warm-line call",
        )
    return None


def period_problem(fields: Mapping[str, Any]) -> FieldProblem | None:
    """A workforce or feedback entry's period order, on its field values (shared like
    `activity_problem`)."""
    start, end = fields["period_start"], fields["period_end"]
    if end < start:
        return FieldProblem("period_end", f"period_end ({end}) is before period_start ({start})")
    return None


def _free_text(value: str) -> str:
    check_text(value)
    return value


def free_text_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of `model` that hold free text (each scanned for identifiers when validated).

    A list of free texts (`member_tokens`) is not one: it is stored only as hashes.
    """

    def validated(metadata: typing.Iterable[object]) -> bool:
        return any(isinstance(m, AfterValidator) and m.func is _free_text for m in metadata)

    def scanned(annotation: object) -> bool:
        if typing.get_origin(annotation) is list:
            return False
        if validated(getattr(annotation, "__metadata__", ())):
            return True
        return any(scanned(arg) for arg in typing.get_args(annotation))

    # pydantic keeps a required field's validators in its metadata, an optional one's in
    # the annotation.
    return tuple(
        name
        for name, info in model.model_fields.items()
        if validated(info.metadata) or scanned(info.annotation)
    )


def _blank_to_none(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _to_the_minute(value: dt.time | None) -> dt.time | None:
    """Times of day are kept to the minute: seconds (an Excel time's rounding) dropped."""
    if value is None:
        return None
    return value.replace(second=0, microsecond=0, tzinfo=None)


def _split_tokens(value: object) -> object:
    if value is None:
        return []
    if isinstance(value, str):
        return [t.strip() for t in value.replace(",", ";").split(";") if t.strip()]
    return value


Text = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_free_text)]
OptionalText = Annotated[Text | None, BeforeValidator(_blank_to_none)]
Identifier = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=r"^[^\s].*$"),
    AfterValidator(_free_text),
]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
OptionalCount = Annotated[Count | None, BeforeValidator(_blank_to_none)]
Hours = Annotated[Decimal, Field(ge=0, le=100_000, max_digits=12, decimal_places=2)]


def _unit_code(value: object) -> object:
    """Purchase unit codes are compared as written by the funder: upper case, no spaces."""
    if not isinstance(value, str):
        return value
    code = value.strip().upper()
    return code or None


#: A funder's purchase unit code ("MHC36F"): letters, digits, '.', '-' or '_'.
PurchaseUnit = Annotated[
    Annotated[str, Field(max_length=32, pattern=r"^[A-Z0-9][A-Z0-9._\-]*$")] | None,
    BeforeValidator(_unit_code),
]

#: The intake synonyms of `purchase_unit` (activities and workforce entries).
_UNIT_SYNONYMS = (
    "purchase unit",
    "purchase unit code",
    "pu",
    "pu code",
    "contract",
    "contract code",
)
_UNIT_HELP = (
    "The funder's purchase unit code the work is delivered under (e.g. MHC36F), if the "
    "organisation records it. A return that counts only its own purchase units reads it; "
    "blank means not assigned."
)


def _meta(
    description: str, synonyms: tuple[str, ...] = (), vocab: str | None = None, example: str = ""
) -> dict[str, Any]:
    extra: dict[str, Any] = {"synonyms": list(synonyms)}
    if vocab:
        extra["vocabulary"] = vocab
    if example:
        extra["example"] = example
    return {"description": description, "json_schema_extra": extra}


class Record(BaseModel):
    """Common configuration: immutable, unknown fields rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    #: The sheet name / record type name used by intake.
    record_type: ClassVar[str]
    #: Fields that together identify a record within an organisation.
    natural_key: ClassVar[tuple[str, ...]]


class Activity(Record):
    """One delivered activity or session: one row of the activity log."""

    record_type: ClassVar[str] = "activities"
    natural_key: ClassVar[tuple[str, ...]] = ("activity_id",)

    activity_id: Identifier = Field(
        **_meta(
            "The organisation's own id for this activity (a session, a call). "
            "Never a person's name or number.",
            ("id", "activity", "activity no", "activity number", "session id", "ref", "reference"),
            example="GRP-2026-0142",
        )
    )
    date: dt.date = Field(
        **_meta(
            "The day the activity happened (DD/MM/YYYY or YYYY-MM-DD).",
            ("activity date", "session date", "date of activity", "day"),
            example="14/08/2026",
        )
    )
    start_time: Annotated[
        dt.time | None, BeforeValidator(_blank_to_none), AfterValidator(_to_the_minute)
    ] = Field(
        None,
        **_meta(
            "The time of day it started (HH:MM on the 24-hour clock, or 6:30 pm), if known. "
            "Kept to the minute. Rules read it as start_time; blank means not recorded.",
            ("time", "start", "start time", "time started", "call time"),
            example="18:30",
        ),
    )
    duration_minutes: Annotated[
        int | None, Field(ge=0, le=1440), BeforeValidator(_blank_to_none)
    ] = Field(
        None,
        **_meta(
            "How long it lasted, in minutes.",
            ("duration", "minutes", "length (minutes)", "duration (mins)", "mins"),
            example="90",
        ),
    )
    kind: Annotated[str, _vocab_member("kind")] = Field(
        **_meta("What the activity was.", ("activity type", "type", "activity kind"), "kind")
    )
    programme: OptionalText = Field(
        None,
        **_meta(
            "The organisation's own service line.",
            ("program", "service", "service line", "project"),
            example="Wellington peer groups",
        ),
    )
    mode: Annotated[str | None, _vocab_member("mode")] = Field(
        None, **_meta("How it was delivered.", ("delivery mode", "delivery"), "mode")
    )
    setting: Annotated[str | None, _vocab_member("setting")] = Field(
        None, **_meta("Where it took place.", ("location type", "venue type", "place"), "setting")
    )
    group_id: OptionalText = Field(
        None,
        **_meta(
            "Which recurring group a session belongs to (the group's name or code).",
            ("group", "group name", "group code"),
            example="Tuesday evening group",
        ),
    )
    topic: OptionalText = Field(
        None,
        **_meta(
            "What the session was about (a theme, not a person).",
            ("theme", "subject", "session topic"),
            example="Sleep and wellbeing",
        ),
    )
    attendance: Count = Field(
        **_meta(
            "How many people took part (a headcount, facilitators not included).",
            ("attendees", "headcount", "participants", "number attending", "attended", "people"),
            example="9",
        )
    )
    first_time: OptionalCount = Field(
        None,
        **_meta(
            "Of those, how many came for the first time.",
            ("first time", "new people", "new attendees", "first-time attendees", "new"),
            example="2",
        ),
    )
    peer_workers: OptionalCount = Field(
        None,
        **_meta(
            "Paid peer workers facilitating.",
            ("peer workers facilitating", "staff", "facilitators"),
            example="1",
        ),
    )
    volunteers: OptionalCount = Field(
        None,
        **_meta("Volunteers facilitating or helping.", ("volunteers helping",), example="1"),
    )
    member_led: bool = Field(
        False,
        **_meta(
            "Led by members (people who use the service) rather than staff.",
            ("led by members", "member led session"),
            example="yes",
        ),
    )
    co_facilitated: bool = Field(
        False,
        **_meta(
            "Co-facilitated by members together with peer workers.",
            ("co facilitated", "cofacilitated", "co-facilitated by members"),
            example="no",
        ),
    )
    population_focus: Annotated[str | None, _vocab_member("population_focus")] = Field(
        None,
        **_meta(
            "Who it was designed for, if anyone in particular.",
            ("focus", "population"),
            "population_focus",
        ),
    )
    community_session: bool = Field(
        False,
        **_meta(
            "A community session (a stall, a talk) counted in aggregate, rather than direct "
            "peer support.",
            ("community", "aggregate only", "is community session"),
            example="no",
        ),
    )
    member_tokens: Annotated[list[Identifier], BeforeValidator(_split_tokens)] = Field(
        default_factory=list,
        **_meta(
            "Optional: the pseudonymous codes members chose, separated by ';'. Stored only as "
            "a keyed hash, used only to count unique people, never shown in any output.",
            ("tokens", "member codes", "member token"),
            example="kereru7; tui42",
        ),
    )
    purchase_unit: PurchaseUnit = Field(None, **_meta(_UNIT_HELP, _UNIT_SYNONYMS, example="MHC36F"))
    resources_linked: OptionalCount = Field(
        None,
        **_meta(
            "How many people were linked to community resources (a service, a group, housing "
            "or income help).",
            ("linked to resources", "people linked", "referrals to community resources"),
            example="2",
        ),
    )
    resources_given: OptionalCount = Field(
        None,
        **_meta(
            "How many resources were given out (leaflets, information packs, kits).",
            (
                "resources",
                "resources given out",
                "resources distributed",
                "information given",
                "leaflets given",
            ),
            example="15",
        ),
    )
    calls_missed: OptionalCount = Field(
        None,
        **_meta(
            "Warm-line calls only: how many calls were missed or went unanswered.",
            ("missed calls", "unanswered calls", "calls unanswered", "abandoned calls"),
            example="3",
        ),
    )
    notes: OptionalText = Field(
        None,
        **_meta(
            "Notes about the activity (never about a person). Not stored unless "
            "peerreport.toml says keep_notes = true: no return uses them.",
            ("comments", "comment", "activity notes", "session notes"),
            example="Moved to the small room",
        ),
    )

    @model_validator(mode="after")
    def _first_time_within_attendance(self) -> Activity:
        problem = activity_problem(self.__dict__)
        if problem is not None:
            raise problem
        return self


class BreakdownCount(Record):
    """Attendance at one activity broken down by ethnicity, age band, gender, Aboriginal and
    Torres Strait Islander status or CALD background (counts only); with a second dimension,
    one cell of a cross-tabulation ("Māori attendees aged 25 to 44")."""

    record_type: ClassVar[str] = "breakdowns"
    natural_key: ClassVar[tuple[str, ...]] = (
        "activity_id",
        "dimension",
        "category",
        "dimension2",
        "category2",
    )

    activity_id: Identifier = Field(
        **_meta("The activity this breakdown belongs to.", ("id", "activity", "session id"))
    )
    dimension: Annotated[str, _vocab_member("dimension")] = Field(
        **_meta("What the count is broken down by.", ("breakdown", "by"), "dimension")
    )
    category: Text = Field(
        **_meta(
            "The category within the dimension (e.g. 'Māori', '25 to 44', 'not stated').",
            ("group", "value"),
            example="Māori",
        )
    )
    dimension2: Annotated[str | None, _vocab_member("dimension")] = Field(
        None,
        **_meta(
            "For a cross-tabulated count, the second dimension (different from the first); "
            "blank for a count by one dimension. Either order may be recorded: the two are "
            "stored in the dimension list's order (ethnicity, age band, gender, ...).",
            ("dimension 2", "second dimension", "breakdown 2", "by 2", "and by"),
            "dimension",
        ),
    )
    category2: OptionalText = Field(
        None,
        **_meta(
            "The category within the second dimension (e.g. '25 to 44'); blank when there is "
            "no second dimension.",
            ("category 2", "second category", "group 2", "value 2"),
            example="25 to 44",
        ),
    )
    count: Count = Field(**_meta("How many attendees fell in the category.", ("number", "n")))

    @model_validator(mode="after")
    def _category_in_dimension(self) -> BreakdownCount:
        fields = dict(self.__dict__)
        problem = breakdown_problem(fields)
        if problem is not None:
            raise problem
        for name in ("dimension", "category", "dimension2", "category2"):
            if fields[name] != getattr(self, name):
                object.__setattr__(self, name, fields[name])
        return self


#: The category fields of a breakdown, each with the field naming its dimension.
CATEGORY_FIELDS: dict[str, str] = {"category": "dimension", "category2": "dimension2"}


@functools.lru_cache(maxsize=4096)
def category_code(dimension: str, category: str) -> str | None:
    """The code of `category` (a code, label or synonym) in `dimension`'s vocabulary."""
    return vocabulary(dimension).resolve(category)


def breakdown_problem(fields: dict[str, Any]) -> FieldProblem | None:
    """A breakdown's checks across fields, on its field values (shared like
    `activity_problem`): each category is in its dimension's vocabulary (its code is written
    back into `fields`), and a second dimension comes whole (dimension2 and category2, or
    neither) and differs from the first. The two dimensions are put in the dimension
    vocabulary's order (swapped in `fields` with their categories when recorded the other
    way round)."""
    dimension2, category2 = fields.get("dimension2"), fields.get("category2")
    if (dimension2 is None) != (category2 is None):
        missing, given = (
            ("category2", "dimension2") if category2 is None else ("dimension2", "category2")
        )
        return FieldProblem(
            missing,
            f"{missing} is empty but {given} is filled in: a cross-tabulated count needs both "
            "dimension2 and category2 (leave both blank for a count by one dimension)",
        )
    if dimension2 is not None and dimension2 == fields["dimension"]:
        return FieldProblem(
            "dimension2",
            f"dimension2 is '{dimension2}', the same as dimension: a second dimension must "
            "differ from the first",
        )
    for category_field, dimension_field in CATEGORY_FIELDS.items():
        dimension, category = fields.get(dimension_field), fields.get(category_field)
        if dimension is None or category is None:
            continue
        code = category_code(dimension, category)
        if code is None:
            vocab = vocabulary(dimension)
            hint = vocab.suggest(category)
            did_you_mean = f" Did you mean '{hint}'?" if hint else ""
            return FieldProblem(
                category_field,
                f"{category_field} '{category}' is not a known {vocab.title_in_sentence}."
                f"{did_you_mean} Allowed: {', '.join(vocab.codes)}",
            )
        fields[category_field] = code
    first = fields.get("dimension")
    if dimension2 is not None and first is not None and _before(dimension2, first):
        # One order for the two dimensions, the vocabulary's: "age band by ethnic group" is
        # stored as ethnic group by age band, so a rule file's `where` finds it either way.
        fields["dimension"], fields["dimension2"] = dimension2, first
        fields["category"], fields["category2"] = fields["category2"], fields["category"]
    return None


def _before(dimension: str, other: str) -> bool:
    """Does `dimension` come before `other` in the dimension vocabulary's order?"""
    codes = vocabulary("dimension").codes
    return dimension in codes and other in codes and codes.index(dimension) < codes.index(other)


class _PeriodRecord(Record):
    period_start: dt.date = Field(
        **_meta("First day of the period this entry covers.", ("from", "start date", "period from"))
    )
    period_end: dt.date = Field(
        **_meta("Last day of the period this entry covers.", ("to", "end date", "period to"))
    )
    programme: OptionalText = Field(
        None, **_meta("The service line, if entries are kept per programme.", ("program",))
    )

    @model_validator(mode="after")
    def _period_order(self) -> _PeriodRecord:
        problem = period_problem(self.__dict__)
        if problem is not None:
            raise problem
        return self


class WorkforceEntry(_PeriodRecord):
    """Lived-experience workforce for one role over one period."""

    record_type: ClassVar[str] = "workforce"
    natural_key: ClassVar[tuple[str, ...]] = ("period_start", "period_end", "role", "programme")

    role: Annotated[str, _vocab_member("role")] = Field(
        **_meta("The role.", ("position", "job"), "role")
    )
    paid_fte: Annotated[Decimal, Field(ge=0, le=10_000, max_digits=8, decimal_places=2)] = Field(
        Decimal(0), **_meta("Paid full-time equivalents in the role.", ("fte", "paid fte"))
    )
    paid_headcount: OptionalCount = Field(
        None, **_meta("People employed in the role.", ("headcount", "staff count"))
    )
    volunteer_count: OptionalCount = Field(
        None, **_meta("Volunteers in the role.", ("volunteers", "number of volunteers"))
    )
    volunteer_hours: Hours = Field(
        Decimal(0), **_meta("Hours given by volunteers.", ("volunteer hrs",))
    )
    supervision_hours: Hours = Field(
        Decimal(0),
        **_meta("Hours of peer supervision received.", ("supervision", "supervision hrs")),
    )
    training_hours: Hours = Field(
        Decimal(0), **_meta("Hours of training received.", ("training", "training hrs"))
    )
    purchase_unit: PurchaseUnit = Field(None, **_meta(_UNIT_HELP, _UNIT_SYNONYMS, example="MHC36F"))


class FeedbackTally(_PeriodRecord):
    """How many anonymous answers a feedback question received at one response level."""

    record_type: ClassVar[str] = "feedback"
    natural_key: ClassVar[tuple[str, ...]] = (
        "period_start",
        "period_end",
        "programme",
        "question",
        "response",
    )

    question: Text = Field(
        **_meta(
            "The question's short code or wording.",
            ("item", "survey question"),
            example="I feel more hopeful",
        )
    )
    response: Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_free_text)] = (
        Field(
            **_meta(
                "The answer level, e.g. 1 to 5 or 'agree'.",
                ("answer", "rating", "score"),
                example="4",
            )
        )
    )
    count: Count = Field(**_meta("How many people gave that answer.", ("number", "n", "tally")))


RECORD_TYPES: dict[str, type[Record]] = {
    cls.record_type: cls for cls in (Activity, BreakdownCount, WorkforceEntry, FeedbackTally)
}
