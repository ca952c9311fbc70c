"""The rule-file format, as pydantic models (the JSON Schema is generated from these).

A rule file is TOML. Its top level is `RuleFileModel`; `[[measure]]`,
`[[check]]`, `[[override]]`, `[[fixture]]`, `[disclosure]`, `[release]`, `[due]` and
`[grouping.NAME]` are the models below (`[export]` is in `export_model.py`,
`[[fixture]]` in `fixture_model.py`).
Unknown keys are errors everywhere (`extra="forbid"`), so a misspelt key never
silently does nothing. Field descriptions are the
reference documentation: docs/rule-files.md is checked against them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from peerreport.rulebook.export_model import Export
from peerreport.rulebook.fixture_model import Fixture
from peerreport.rulebook.strict import Strict as _Strict

MeasureId = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        max_length=64,
        description="A measure id: lower case letters, digits and _, starting with a letter.",
    ),
]
RuleFileId = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9._-]*$",
        max_length=64,
        description="A rule file id: lower case letters, digits, '.', '_' and '-'.",
    ),
]
CheckCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$",
        max_length=32,
        description="A stable check code, e.g. 'EX-010'. Never reuse a code for another rule.",
    ),
]
DefineName = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        max_length=64,
        description="A define's name: lower case letters, digits and _, starting with a letter.",
    ),
]
SourceName = Literal["activity", "breakdown", "cross_breakdown", "workforce", "feedback"]
Severity = Literal["error", "warning", "info"]
Number = int | float


class Disclosure(_Strict):
    """How small counts are protected when the return is published (applied by a later stage)."""

    method: Literal["suppress", "rr3", "graduated", "none"] = Field(
        "suppress",
        description="suppress: hide cells below the threshold; rr3: random rounding to base 3; "
        "graduated: Stats NZ graduated random rounding; none: publish as computed.",
    )
    threshold: int = Field(
        6, ge=0, le=1000, description="Cells counting fewer than this are protected."
    )
    secondary: bool = Field(
        True,
        description="Also suppress other cells so a hidden cell cannot be recovered from totals.",
    )
    zero_exempt: bool = Field(True, description="Zero cells are published as 0, not protected.")
    symbol: str = Field("S", max_length=8, description="What a suppressed cell shows.")
    max_cells: int = Field(
        100,
        ge=1,
        le=100_000,
        description="Privacy lint: a breakdown may have at most this many cells.",
    )


#: A funder's X25519 public key in a rule file: `x25519:` and the base64 of its 32 raw bytes.
FUNDER_KEY_PATTERN = r"^x25519:[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"


class Release(_Strict):
    """Who receives what: the funder's exact figures, and the public's protected ones.

    Keys a child sets replace the inherited ones. Left out entirely, the
    funder receives only the protected figures (and the rule file's digest is
    the same as before the table existed).
    """

    funder_exact: bool = Field(
        False,
        description="The funder receives the exact figures (the usual contract): each bundle "
        "carries them sealed to `funder_key`, beside the protected ones.",
    )
    funder_key: str | None = Field(
        None,
        pattern=FUNDER_KEY_PATTERN,
        description="The funder's X25519 public key, 'x25519:' and base64 (from "
        "`peerreport keys funder-new`); every provider seals the exact figures to it.",
    )
    public: Literal["anyone", "funder"] = Field(
        "anyone",
        description="Who reads the published (protected) figures: anyone (the funder may "
        "publish them), or the funder's staff only.",
    )
    minimum_threshold: int | None = Field(
        None,
        ge=0,
        le=1000,
        description="The funder's minimum disclosure threshold: `rules lint` warns when a "
        "file's [disclosure] publishes counts below it.",
    )


class Counting(_Strict):
    """Which records the return counts, by the purchase unit they carry.

    By default every record of the organisation counts (`purchase_units = "all"`). With
    `"only"`, every measure and record check counts only activities (and their breakdowns)
    and workforce entries whose `purchase_unit` is one of the rule file's `purchase_units`,
    plus those that carry none when `unassigned = "include"`. Feedback tallies carry no
    purchase unit and always count. `peerreport.rulebook.counting` says it in Python,
    `peerreport.compute.tables.unit_filter` in SQL.
    """

    purchase_units: Literal["all", "only"] = Field(
        "all",
        description="'all': every record counts, whatever its purchase unit (the default); "
        "'only': only records under one of this rule file's `purchase_units`.",
    )
    unassigned: Literal["include", "exclude"] = Field(
        "include",
        description="Records that carry no purchase unit: 'include' counts them (the "
        "default), 'exclude' leaves them out.",
    )
    exclusive: bool = Field(
        False,
        description="This return claims the records it counts for itself: `peerreport records "
        "attribution` flags a record that another exclusive return counts too.",
    )


class Due(_Strict):
    """When each period's return is due: a day of a month after the period ends, or N days after.

    Exactly one form: `day` (with `months_after`, default 1), e.g. the 20th of
    the month after the period; or `days_after_end`, e.g. 30 days after the
    period's last day. A day past the end of a shorter month (29, 30, 31) is
    that month's last day. `peerreport.returns.due.due_date` computes the date.
    """

    day: int | None = Field(
        None,
        ge=1,
        le=31,
        description="The day of the month the return is due, 1-31; past the end of a shorter "
        "month it is that month's last day (31 = always the last day).",
    )
    months_after: int | None = Field(
        None,
        ge=0,
        le=24,
        description="With `day`: how many months after the month the period ends in "
        "(0 = that same month). Default 1.",
    )
    days_after_end: int | None = Field(
        None,
        ge=0,
        le=366,
        description="Instead of `day`: the return is due this many days after the period's "
        "last day (0 = on the last day).",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_months(cls, data: Any) -> Any:
        # Filled in here, not as the field's default, so that `day = 20` and
        # `day = 20, months_after = 1` have one digest and days_after_end none.
        if isinstance(data, dict) and "day" in data and "months_after" not in data:
            return {**data, "months_after": 1}
        return data

    @model_validator(mode="after")
    def _one_form(self) -> Due:
        if self.days_after_end is not None and (
            self.day is not None or self.months_after is not None
        ):
            raise ValueError(
                "[due] takes either day (with months_after) or days_after_end, not both: "
                "e.g. day = 20 and months_after = 1 for the 20th of the month after the "
                "period, or days_after_end = 30"
            )
        if self.days_after_end is None and self.day is None:
            if self.months_after is not None:
                raise ValueError(
                    "[due] months_after needs a day: e.g. day = 20 and months_after = 1 for "
                    "the 20th of the month after the period"
                )
            raise ValueError(
                "[due] needs day (with months_after), e.g. day = 20 and months_after = 1, "
                "or days_after_end, e.g. days_after_end = 30"
            )
        return self

    def describe(self) -> str:
        """In words: 'the 20th of the month after the period ends', '30 days after it ends'."""
        if self.day is None:
            days = self.days_after_end or 0
            if days == 0:
                return "on the last day of the period"
            return f"{days} day{'s' if days != 1 else ''} after the period ends"
        day = f"the {_ordinal(self.day)}"
        if self.day >= 29:
            day += " (or the last day of a shorter month)"
        months = self.months_after or 0
        if months == 0:
            return f"{day} of the month the period ends in"
        if months == 1:
            return f"{day} of the month after the period ends"
        return f"{day} of the month {months} months after the period ends"


def _ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st, ..."""
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{'th' if 11 <= number % 100 <= 13 else suffix}"


class Grouping(_Strict):
    """A tailored vocabulary: the funder's categories, each a set of codes of a field."""

    field: str = Field(
        description="The vocabulary field grouped, e.g. 'category' or 'kind', or 'start_time' "
        "(bands of the day)."
    )
    label: str = Field("", description="What the grouping is, for people.")
    map: dict[str, list[str]] = Field(
        description="Each new category and the field's codes it takes, e.g. "
        "under_25 = ['under_15', '15_24']; for start_time its bands of the day, e.g. "
        "office_hours = ['09:00-17:00'] (from 09:00 up to, not including, 17:00).",
        min_length=1,
    )
    other: str | None = Field(
        None,
        description="The category for codes not listed in `map`. Without it, every code "
        "of the field's vocabulary must be mapped.",
    )


class Measure(_Strict):
    """One figure of the return: an aggregate over one record source, or derived from others."""

    id: MeasureId
    label: str = Field("", description="What the figure is, as the funder words it.")
    description: str = Field("", description="Longer explanation for people reading the return.")
    count: SourceName | None = Field(
        None, description="Count the records of this source that match `where`."
    )
    sum: str | None = Field(None, description="Sum this numeric expression over `source`.")
    distinct: str | None = Field(
        None,
        description="Count distinct values of this field over `source`; the only place "
        "`member_tokens` may appear.",
    )
    min: str | None = Field(None, description="The smallest value of this number or date.")
    max: str | None = Field(None, description="The largest value of this number or date.")
    expr: str | None = Field(
        None, description="A derived figure: an expression over other measures' totals."
    )
    source: SourceName | None = Field(
        None, description="The record source of sum, distinct, min and max (default activity)."
    )
    where: str | None = Field(None, description="Only records for which this condition is true.")
    by: list[str] = Field(
        default_factory=list,
        description="Break the figure down by these vocabulary fields or groupings.",
    )
    unit: str = Field("", description="The unit, e.g. 'sessions', 'people', 'hours'.")
    line: str = Field("", description="The funder's line or item code for this figure.")
    round: int | None = Field(
        None, ge=0, le=6, description="Round the figure to this many decimal places (half up)."
    )
    nothing: Literal["zero", "not collected"] = Field(
        "zero",
        description="What the figure is when none of the period's records of its source has a "
        "value for the fields it reads: 0 ('zero'), or published as not collected.",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Measure:
        kinds = [k for k in ("count", "sum", "distinct", "min", "max", "expr") if getattr(self, k)]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            raise ValueError(
                "a measure needs exactly one of count, sum, distinct, min, max or expr "
                f"(found: {found})"
            )
        if self.count and self.source and self.source != self.count:
            raise ValueError(f"count = '{self.count}' but source = '{self.source}'")
        if self.expr and (self.where or self.by or self.source):
            raise ValueError("a derived measure (expr) cannot have where, by or source")
        if self.expr and self.nothing != "zero":
            raise ValueError(
                "a derived measure (expr) cannot have nothing: it is not collected "
                "when a measure it uses is not"
            )
        return self

    @property
    def kind(self) -> str:
        """count, sum, distinct, min, max or expr."""
        return next(
            k for k in ("count", "sum", "distinct", "min", "max", "expr") if getattr(self, k)
        )

    @property
    def record_source(self) -> str | None:
        """The source the measure aggregates over; None for derived measures."""
        if self.expr:
            return None
        return self.count or self.source or "activity"

    @property
    def argument(self) -> str | None:
        """The expression of sum/distinct/min/max/expr; None for count."""
        return self.sum or self.distinct or self.min or self.max or self.expr


class Check(_Strict):
    """A rule the records or the return must satisfy.

    Four kinds: a record check (`source` and `assert` over each record's
    fields), a return check (`assert` over measures), a consistency check
    (`total` equals the sum of `parts`) and a history check (`history`: a
    measure's released total against its released totals in earlier periods,
    by `ratio` and/or `z`; `returns/history_checks.py` runs it).
    """

    id: CheckCode
    title: str = Field("", description="One line saying what the check is for.")
    severity: Severity = Field("error", description="error blocks export; warning and info do not.")
    source: SourceName | None = Field(
        None, description="Makes this a record check over this source."
    )
    where: str | None = Field(
        None, description="Only records (or returns) for which this condition is true are checked."
    )
    assert_: str | None = Field(
        None, alias="assert", description="The condition that must hold (not false)."
    )
    total: MeasureId | None = Field(None, description="Consistency check: this measure ...")
    parts: list[MeasureId] = Field(
        default_factory=list,
        description="... equals the sum of these measures (a measure with `by` contributes "
        "the sum of its cells).",
    )
    tolerance: float = Field(0, ge=0, description="Consistency check: allowed difference.")
    history: MeasureId | None = Field(
        None,
        description="Makes this a history check: this measure's released total is compared "
        "with its released totals in the earlier periods of the same length (severity "
        "warning unless set).",
    )
    periods: int = Field(
        4,
        ge=1,
        le=24,
        description="History check: how many earlier periods to compare with (the most "
        "recent ones, back to the first period with no records).",
    )
    ratio: tuple[float, float] | None = Field(
        None,
        description="History check: [low, high]; flagged when the value is below low x the "
        "mean of the earlier values or above high x that mean, e.g. [0.5, 2.0].",
    )
    z: float | None = Field(
        None,
        gt=0,
        description="History check: flagged when the value is further than z standard "
        "deviations from the mean of the earlier values (needs at least 3 of them).",
    )
    message: str = Field(
        description="What the finding says; {name} is replaced by a measure's value, and "
        "{count}, {sample}, {total}, {parts}, {difference}, {value}, {mean}, {low}, {high}, "
        "{history} by the check's own values."
    )
    hint: str = Field("", description="How the coordinator can fix it.")
    sample: int = Field(
        10, ge=0, le=100, description="Record check: how many failing record ids to list."
    )
    enabled: bool = Field(True, description="false switches the check off.")

    @model_validator(mode="before")
    @classmethod
    def _history_warns(cls, data: Any) -> Any:
        # A history check is a warning unless the file says otherwise; filled in here so
        # that leaving severity out and writing "warning" have one digest.
        if isinstance(data, dict) and data.get("history") and "severity" not in data:
            return {**data, "severity": "warning"}
        return data

    @model_validator(mode="after")
    def _one_kind(self) -> Check:
        if self.history:
            if self.assert_ or self.total or self.parts or self.source or self.where:
                raise ValueError(
                    "a history check (history) cannot have assert, total, parts, source or where"
                )
            if self.ratio is None and self.z is None:
                raise ValueError(
                    "a history check needs ratio (e.g. ratio = [0.5, 2.0]) or z (e.g. z = 3.0)"
                )
            if self.ratio is not None and not 0 <= self.ratio[0] <= self.ratio[1]:
                raise ValueError(
                    "ratio is [low, high] with 0 <= low <= high, e.g. ratio = [0.5, 2.0]"
                )
            return self
        if "periods" in self.model_fields_set or self.ratio is not None or self.z is not None:
            raise ValueError("periods, ratio and z belong to a history check (history = measure)")
        if bool(self.assert_) == bool(self.total):
            raise ValueError("a check needs either assert or total (with parts), not both")
        if self.total and not self.parts:
            raise ValueError("a consistency check needs parts")
        if self.total and (self.source or self.where):
            raise ValueError("a consistency check cannot have source or where")
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # The history keys are left out of other checks, so rule files written before
        # history checks existed keep their digests (and the returns built with them match).
        data: dict[str, Any] = handler(self)
        if self.history is None:
            for key in ("history", "periods", "ratio", "z"):
                data.pop(key, None)
        return data

    @property
    def kind(self) -> Literal["record", "return", "consistency", "history"]:
        """record, return, consistency or history."""
        if self.history:
            return "history"
        if self.total:
            return "consistency"
        return "record" if self.source else "return"


class Override(_Strict):
    """Tailoring an inherited check: switch it off, or change its severity, message or hint."""

    check: CheckCode = Field(description="The id of the inherited check.")
    enabled: bool | None = Field(None, description="false switches the check off.")
    severity: Severity | None = Field(None, description="The new severity.")
    message: str | None = Field(None, description="The new message.")
    hint: str | None = Field(None, description="The new hint.")


class Remove(_Strict):
    """Tailoring: an inherited measure or check this return does not have, and why."""

    measure: MeasureId | None = Field(None, description="The id of the inherited measure.")
    check: CheckCode | None = Field(None, description="The id of the inherited check.")
    reason: str = Field(
        min_length=1,
        description="Why it is removed, e.g. 'not purchased in this region'; the resolved "
        "rule file and `rules doc` show it.",
    )

    @model_validator(mode="after")
    def _one_target(self) -> Remove:
        if (self.measure is None) == (self.check is None):
            raise ValueError("a [[remove]] names either measure or check (one of them)")
        return self

    @property
    def kind(self) -> Literal["measure", "check"]:
        """measure or check."""
        return "measure" if self.measure is not None else "check"

    @property
    def target(self) -> str:
        """The id removed."""
        return self.measure if self.measure is not None else (self.check or "")


class RuleFileModel(_Strict):
    """A rule file: one funder return definition."""

    id: RuleFileId
    title: str = Field(description="The return's name.")
    version: str = Field(description="The rule file's version, e.g. '2026.1'.")
    funder: str = Field("", description="Who asks for the return.")
    spec: str = Field("", description="The funder's service specification code.")
    purchase_units: list[str] = Field(
        default_factory=list, description="The funder's purchase unit codes."
    )
    description: str = Field("", description="What the return is for.")
    extends: list[RuleFileId] = Field(
        default_factory=list, description="Rule files this one tailors (ids), in order."
    )
    period: Literal["month", "quarter", "half-year", "year"] | None = Field(
        None, description="The reporting period (inherited if not set; default quarter)."
    )
    year_start: str | None = Field(
        None,
        pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
        description="First day of the financial year, MM-DD (inherited; default 07-01).",
    )
    due: Due | None = Field(
        None,
        description="When each period's return is due (inherited as a whole if not set; "
        "none by default).",
    )
    counting: Counting | None = Field(
        None,
        description="Which records the return counts, by their purchase unit (inherited as a "
        "whole if not set; by default every record counts).",
    )
    disclosure: Disclosure | None = Field(
        None, description="Small-count protection (keys not set are inherited)."
    )
    release: Release | None = Field(
        None,
        description="Who receives what: the funder's exact figures sealed to its key, and "
        "who reads the protected ones (keys not set are inherited; none by default).",
    )
    grouping: dict[str, Grouping] = Field(
        default_factory=dict, description="Tailored vocabularies, by name."
    )
    measure: list[Measure] = Field(
        default_factory=list, description="The figures; a measure with an inherited id replaces it."
    )
    check: list[Check] = Field(
        default_factory=list, description="The checks; a check with an inherited id replaces it."
    )
    override: list[Override] = Field(
        default_factory=list, description="Changes to inherited checks."
    )
    remove: list[Remove] = Field(
        default_factory=list,
        description="Inherited measures and checks this return does not have, each with its "
        "reason (the resolved file lists every removal in its chain).",
    )
    define: dict[DefineName, str] = Field(
        default_factory=dict,
        description="Named expressions: name = expression, usable by name in expressions as "
        "if written inline in brackets (inherited; a child may redefine a name).",
    )
    fixture: list[Fixture] = Field(default_factory=list, description="Tests of this rule file.")
    resolved: bool = Field(
        False,
        exclude=True,  # a mark of how the file was written, not of what it decides
        description="Set by `peerreport rules pack`: the file is a resolved rule file, "
        "self-contained (no extends or override), whose [[remove]] tables record what its "
        "lineage removed.",
    )
    export: Export | None = Field(
        None,
        exclude=True,  # how files are laid out does not decide the return: not in the digest
        description="How returns are exported: the funder's workbook template and its cells.",
    )

    @model_validator(mode="after")
    def _units_to_count_only(self) -> RuleFileModel:
        only = self.counting is not None and self.counting.purchase_units == "only"
        if only and not self.purchase_units:
            raise ValueError(
                'counting.purchase_units = "only" counts only records under this rule '
                "file's purchase_units, and it lists none: add purchase_units = "
                '["..."] or count "all"'
            )
        return self

    @model_validator(mode="after")
    def _resolved_stands_alone(self) -> RuleFileModel:
        if self.resolved and (self.extends or self.override):
            raise ValueError(
                "resolved = true marks a self-contained file (written by `peerreport rules "
                "pack`): it cannot have extends or [[override]]; edit the source rule file "
                "and pack it again"
            )
        return self
