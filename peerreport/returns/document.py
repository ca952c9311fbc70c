"""The shape of `return.json`, defined once: `ReturnDocument` is exactly what `Return.to_dict()`
writes, and `ExportedReturnDocument` adds the `draft` flag of a draft export.

`peerreport/render/return.schema.json` is generated from these models
(`python -m peerreport.bundle.schemas`), and data read from outside (a bundle's
manifest, a stored return) is validated with them before it becomes a `Return`.
Beyond types, the models hold what the format promises: a suppressed cell has
no value; counts are whole numbers of at least 0; only a min or max can be a
date; every cell has one code per `by` field; the status says whether any
finding is an error. Keys added after a format's first release (the records
revision, `due`, `filing`) may be absent, so older returns still read.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from peerreport.returns.document_types import (
    Count,
    Document,
    IsoDate,
    Omissible,
    Published,
    Timestamp,
    omissible,
    published_schema,
)

FORMAT = "peerreport-return/1"
SCHEMA_ID = "https://peerreport.invalid/schema/return.json"
ADDITIVE = ("count", "sum", "distinct")
WHOLE = ("count", "distinct")  # kinds whose values are counts of people or events
DATED = ("min", "max")  # the only kinds that can be a date

Kind = Literal["count", "sum", "distinct", "min", "max", "expr"]


class Organisation(Document):
    """The organisation the return is from."""

    code: str = Field(description="The organisation's code (provider code).")
    name: str = Field(description="The organisation's name.")
    contact_role: Omissible[str] = omissible(
        "The role the funder contacts about the return (a role, never a person), from the "
        "workspace's [organisation] contact_role. Left out when not set."
    )


class RuleFileInfo(Document):
    """The rule file the return was built from."""

    id: str = Field(description="The rule file id.")
    version: str = Field(description="The rule file version.")
    digest: str = Field(description="sha256 of the resolved rule file (extends included).")
    meaning: Omissible[str] = omissible(
        "sha256 of the rule file's meaning: what decides the figures, not the wording "
        "(labels, messages, ...). Left out by returns built before it existed."
    )
    title: str = Field(description="The return's title.")
    funder: str = Field(description="The funder, or empty.")
    spec: str = Field(description="The funder's service specification code, or empty.")
    purchase_units: list[str] = Field(description="The funder's purchase unit codes.")


class Period(Document):
    """The reporting period, first and last day inclusive."""

    label: str = Field(description="The period's name, e.g. FY2027-Q1.")
    kind: Literal["month", "quarter", "half-year", "year", "custom"] = Field(
        description="The period's kind; custom for an explicit range of days."
    )
    start: IsoDate = Field(description="First day, inclusive.")
    end: IsoDate = Field(description="Last day, inclusive.")

    @model_validator(mode="after")
    def _in_order(self) -> Period:
        if self.end < self.start:  # ISO dates sort as text
            raise PydanticCustomError("period", "the period ends before it starts")
        return self


class Disclosure(Document):
    """The disclosure control applied to the published figures."""

    method: Literal["suppress", "rr3", "graduated", "none"] = Field(
        description="suppress: cells below the threshold hidden; rr3: random rounding to base 3; "
        "graduated: graduated random rounding; none: published as computed."
    )
    threshold: Count = Field(description="Cells counting fewer than this were protected.")
    secondary: bool = Field(description="Whether secondary suppression was applied.")
    zero_exempt: bool = Field(description="Whether zero cells were published as 0.")
    symbol: str = Field(description="What a suppressed cell shows.")


class Cell(Document):
    """One published number: a figure's total or one breakdown cell."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"status": {"enum": ["suppressed", "not_collected"]}}},
            "then": {"properties": {"value": {"type": "null"}}},
        }
    )

    key: list[str | None] = Field(
        description="The cell's codes, one per `by` field (null: not recorded); [] for a total."
    )
    value: Published
    status: Literal["exact", "suppressed", "rounded", "not_collected"] = Field(
        description="exact; suppressed (the value is null); rounded by disclosure control; or "
        "not_collected: the organisation did not collect what the figure reads (the value is "
        "null, never 0)."
    )
    note: Omissible[str] = omissible(
        "Why a suppressed cell is hidden, when not the usual reason: with another return "
        "already filed (or other figures of this one), it could be worked out."
    )

    @model_validator(mode="after")
    def _suppressed_has_no_value(self) -> Cell:
        if self.status in ("suppressed", "not_collected") and self.value is not None:
            words = "suppressed" if self.status == "suppressed" else "not collected"
            raise PydanticCustomError(
                self.status,
                "a {words} cell has no value, not {value}",
                {"path": "value", "value": self.value, "words": words},
            )
        return self


def _values_schema(value: dict[str, Any]) -> dict[str, Any]:
    cell = {"properties": {"value": value}}
    return {"properties": {"total": cell, "cells": {"items": cell}}}


def _figure_schema(schema: dict[str, Any]) -> None:
    schema["allOf"] = [
        {"properties": {"total": {"properties": {"key": {"maxItems": 0}}}}},
        {
            "if": {"properties": {"kind": {"enum": list(WHOLE)}}},
            "then": _values_schema({"type": ["integer", "null"], "minimum": 0}),
        },
        {
            "if": {"properties": {"kind": {"enum": [*ADDITIVE, "expr"]}}},
            "then": _values_schema({"type": ["number", "null"]}),
        },
    ]


class Figure(Document):
    """One measure as published: its total and its breakdown cells."""

    model_config = ConfigDict(json_schema_extra=_figure_schema)

    id: str = Field(min_length=1, description="The measure id.")
    label: str = Field(description="The measure's label.")
    description: str = Field(description="The measure's description, or empty.")
    kind: Kind = Field(description="How the measure is computed.")
    unit: str = Field(description="The unit, e.g. sessions, or empty.")
    line: str = Field(description="The funder's line code, or empty.")
    by: list[str] = Field(description="The fields the figure is broken down by.")
    total: Cell = Field(description="The total (its key is []).")
    cells: list[Cell] = Field(description="The breakdown cells, one per combination of codes.")

    @model_validator(mode="after")
    def _cells_fit_the_figure(self) -> Figure:
        if self.total.key:
            raise PydanticCustomError("figure", "a total has no codes", {"path": "total.key"})
        for index, cell in enumerate(self.cells):
            if len(cell.key) != len(self.by):
                raise PydanticCustomError(
                    "figure",
                    "a cell has one code per `by` field ({fields}), not {codes}",
                    {"path": f"cells[{index}].key", "fields": len(self.by), "codes": len(cell.key)},
                )
        for path, cell in [("total", self.total)] + [
            (f"cells[{i}]", c) for i, c in enumerate(self.cells)
        ]:
            problem = _misfit(self.kind, cell.value)
            if problem:
                raise PydanticCustomError("figure", problem, {"path": f"{path}.value"})
        return self


def _misfit(kind: str, value: Any) -> str | None:
    """Why a value cannot be one of a `kind` figure's, or None."""
    if value is None:
        return None
    if isinstance(value, str) and kind not in DATED:
        return f"a {kind} is a number, not a date"
    if kind in WHOLE and (not isinstance(value, int) or value < 0):
        return f"a {kind} is a whole number of at least 0, not {value}"
    return None


class Location(Document):
    """Where a finding points; only the parts that are set are present."""

    file: Omissible[str] = omissible("A file name.")
    row: Omissible[int] = omissible("A row number in the file.")
    column: Omissible[str] = omissible("A column heading.")
    key: Omissible[str] = omissible("A rule-file key path, e.g. measure[2].where.")
    line: Omissible[int] = omissible("A line number.")
    col: Omissible[int] = omissible("A character column.")
    measure: Omissible[str] = omissible("A measure id.")
    cell: Omissible[str] = omissible("A breakdown cell, e.g. mode=phone.")


class Finding(Document):
    """A problem found while building the return."""

    code: str = Field(description="The stable code of the check.")
    severity: Literal["error", "warning", "info"] = Field(
        description="An error blocks submission; a warning or info does not."
    )
    message: str = Field(description="What was found.")
    hint: str = Field(description="How to fix it.")
    location: Location
    details: dict[str, Any] = Field(description="Extra data, e.g. the values a check compared.")


class Records(Document):
    """The records the return was computed from."""

    digest: str = Field(description="Digest of the record set (order-independent).")
    counts: dict[str, Count] = Field(description="How many records of each kind were used.")
    revision: int | None = Field(
        None, description="The import revision of the records; null or absent if not known."
    )


class FiledChange(Document):
    """One published number an amendment changed, as shown."""

    measure: str = Field(description="The measure id.")
    label: str = Field(description="The measure's label.")
    cell: str = Field(description="'total' or the breakdown cell's label.")
    before: str = Field(description="What the amended version showed.")
    after: str = Field(description="What this version shows.")


class Filing(Document):
    """How the return was filed: its version, what it amends and why, when, what changed."""

    version: int = Field(ge=1, description="The version filed: 1, or 2 and later for amendments.")
    amends_version: int | None = Field(ge=1, description="The version this one amends, or null.")
    reason: str | None = Field(description="Why it was amended, or null.")
    submitted_at: Timestamp = Field(description="When it was submitted (ISO 8601, UTC).")
    late: bool = Field(description="Whether it was submitted after the due date.")
    changes: list[FiledChange] = Field(description="The published numbers that changed.")


class Tool(Document):
    """The program that built the return."""

    name: Literal["peerreport"] = Field(description="Always peerreport.")
    version: str = Field(description="Its version.")


class ReturnDocument(Document):
    """A built return as `Return.to_dict()` writes it: published figures after disclosure
    control, findings, and what the return was built from."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {
                "properties": {
                    "findings": {"contains": {"properties": {"severity": {"const": "error"}}}}
                },
                "required": ["findings"],
            },
            "then": {"properties": {"status": {"const": "has-errors"}}},
            "else": {"properties": {"status": {"const": "ready"}}},
        }
    )

    format: Literal["peerreport-return/1"] = Field(description="The format and its version.")
    organisation: Organisation
    rule_file: RuleFileInfo
    period: Period
    disclosure: Disclosure
    status: Literal["ready", "has-errors"] = Field(
        description="has-errors when any finding is an error (the return cannot be submitted)."
    )
    figures: list[Figure] = Field(description="Every measure, as published.")
    findings: list[Finding] = Field(description="Check results and other problems found.")
    records: Records
    due: IsoDate | None = Field(
        None, description="When the rule file says the period's return is due; null if not known."
    )
    filing: Filing | None = Field(None, description="How the return was filed; null for a draft.")
    tool: Tool

    @model_validator(mode="after")
    def _status_follows_the_findings(self) -> ReturnDocument:
        errors = any(f.severity == "error" for f in self.findings)
        if self.status != ("has-errors" if errors else "ready"):
            raise PydanticCustomError(
                "status",
                "is {status}, but {count} finding(s) are errors",
                {
                    "path": "status",
                    "status": self.status,
                    "count": sum(f.severity == "error" for f in self.findings),
                },
            )
        return self


class ExportedReturnDocument(ReturnDocument):
    """A built return as exported (`return.json`): published figures after disclosure control,
    findings, and what the return was built from."""

    draft: Omissible[Literal[True]] = omissible(
        "Present (and true) only in a draft export, which is not for submission."
    )


def return_json_schema() -> dict[str, Any]:
    """The JSON Schema of `return.json`, generated from `ExportedReturnDocument`."""
    return published_schema(
        ExportedReturnDocument,
        SCHEMA_ID,
        "peerreport return",
        "A built return as exported by `peerreport export` (return.json): published figures "
        "after disclosure control, findings, and what the return was built from. Generated "
        "from peerreport.returns.document; do not edit by hand.",
    )
