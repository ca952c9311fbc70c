"""The `Return`: an immutable value holding everything a funder receives.

A return holds the PUBLISHED figures only: every cell carries the value after
disclosure control and its status (exact, suppressed, rounded). Nothing in it
depends on when it was built, so building twice gives byte-identical JSON.
Renderers take a finished return and never query the database.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from typing import Any

from peerreport import __version__
from peerreport.findings import Finding, Location, Severity, has_errors
from peerreport.returns.document import ExportedReturnDocument
from peerreport.returns.periods import Period

Published = int | float | str | None  # dates are ISO text; None when hidden, not collected
# or no value
CellKey = tuple[str | None, ...]

EXACT, SUPPRESSED, ROUNDED = "exact", "suppressed", "rounded"
#: A figure the organisation did not collect (`nothing = "not collected"`): no value, not 0.
NOT_COLLECTED = "not_collected"


@dataclass(frozen=True)
class PublishedCell:
    """One published number: a figure's total (key `()`) or one breakdown cell."""

    key: CellKey
    value: Published
    status: str = EXACT  # exact | suppressed | rounded | not_collected
    note: str = ""  # why it is hidden, when the audit of everything released hid it

    def label(self) -> str:
        """The key as text: codes joined with ' / ', 'not recorded' for None, 'total' for ()."""
        if not self.key:
            return "total"
        return " / ".join("not recorded" if k is None else k for k in self.key)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        data: dict[str, Any] = {"key": list(self.key), "value": self.value, "status": self.status}
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True)
class ReturnFigure:
    """One measure as published."""

    id: str
    label: str
    kind: str  # count | sum | distinct | min | max | expr
    unit: str
    line: str
    by: tuple[str, ...]
    total: PublishedCell
    cells: tuple[PublishedCell, ...] = ()
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "id": self.id,
            "label": self.label,
            "description": self.description,
            "kind": self.kind,
            "unit": self.unit,
            "line": self.line,
            "by": list(self.by),
            "total": self.total.to_dict(),
            "cells": [c.to_dict() for c in self.cells],
        }


@dataclass(frozen=True)
class RuleInfo:
    """Which rule file a return was built from (its digest covers the resolved file)."""

    id: str
    version: str
    digest: str
    title: str
    funder: str = ""
    spec: str = ""
    purchase_units: tuple[str, ...] = ()
    #: The digest of the rule file's meaning (`rulebook.meaning`); None in returns built
    #: before it existed, which then compare by the whole digest only.
    meaning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (`meaning` only when known, so older returns read back unchanged)."""
        data: dict[str, Any] = {
            "id": self.id,
            "version": self.version,
            "digest": self.digest,
            "title": self.title,
            "funder": self.funder,
            "spec": self.spec,
            "purchase_units": list(self.purchase_units),
        }
        if self.meaning is not None:
            data["meaning"] = self.meaning
        return data


@dataclass(frozen=True)
class FiledChange:
    """One published number an amendment changed: `before` -> `after`, as shown."""

    measure: str
    label: str
    cell: str  # 'total' or the breakdown cell's label
    before: str
    after: str

    def to_dict(self) -> dict[str, str]:
        """Plain JSON data."""
        return {
            "measure": self.measure,
            "label": self.label,
            "cell": self.cell,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class Filing:
    """How a return was filed: its version, what it amends and why, when, and what changed.

    A draft (built, exported for review, not submitted) has no filing. `submit`
    attaches one before the files a funder reads are rendered, so every
    rendering can say "version 2, amends version 1" with the reason and the
    figures that changed.
    """

    version: int
    submitted_at: str  # ISO 8601, UTC
    amends_version: int | None = None
    reason: str | None = None
    late: bool = False
    changes: tuple[FiledChange, ...] = ()

    @property
    def is_amendment(self) -> bool:
        """True for version 2 and later."""
        return self.amends_version is not None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "version": self.version,
            "amends_version": self.amends_version,
            "reason": self.reason,
            "submitted_at": self.submitted_at,
            "late": self.late,
            "changes": [c.to_dict() for c in self.changes],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Filing:
        """Read back `to_dict()` data."""
        return cls(
            version=int(data["version"]),
            submitted_at=str(data["submitted_at"]),
            amends_version=data.get("amends_version"),
            reason=data.get("reason"),
            late=bool(data.get("late", False)),
            changes=tuple(FiledChange(**c) for c in data.get("changes", ())),
        )


@dataclass(frozen=True)
class Return:
    """A built return: organisation, rule file, period, published figures and findings.

    `revision` names the state of the organisation's records it was computed
    from (the import revision), so it can be rebuilt exactly as it was; `due`
    is the date the rule file says the period's return is due; `filing` says
    how it was filed (None for a draft).
    """

    organisation: str
    organisation_name: str
    rule: RuleInfo
    period: Period
    figures: tuple[ReturnFigure, ...]
    findings: tuple[Finding, ...]
    disclosure: dict[str, Any]
    records_digest: str
    record_counts: dict[str, int] = field(default_factory=dict)
    tool_version: str = __version__
    revision: int | None = None
    due: dt.date | None = None
    filing: Filing | None = None
    contact_role: str | None = None  # the role a funder contacts (the workspace's setting)

    def filed(self, filing: Filing | None) -> Return:
        """The same return with a filing attached (or removed)."""
        return replace(self, filing=filing)

    @property
    def has_errors(self) -> bool:
        """True when any finding has error severity (export and submission are refused)."""
        return has_errors(list(self.findings))

    def figure(self, measure_id: str) -> ReturnFigure:
        """One figure by measure id."""
        for figure in self.figures:
            if figure.id == measure_id:
                return figure
        raise KeyError(measure_id)

    def to_dict(self) -> dict[str, Any]:
        """The return as plain JSON data (the shape of `return.json`)."""
        return {
            "format": "peerreport-return/1",
            "organisation": {
                "code": self.organisation,
                "name": self.organisation_name,
                # Left out when not set, so a return without one reads as it did before.
                **({"contact_role": self.contact_role} if self.contact_role else {}),
            },
            "rule_file": self.rule.to_dict(),
            "period": self.period.to_dict(),
            "disclosure": dict(self.disclosure),
            "status": "has-errors" if self.has_errors else "ready",
            "figures": [f.to_dict() for f in self.figures],
            "findings": [f.to_dict() for f in self.findings],
            "records": {
                "digest": self.records_digest,
                "counts": dict(self.record_counts),
                "revision": self.revision,
            },
            "due": self.due.isoformat() if self.due is not None else None,
            "filing": self.filing.to_dict() if self.filing is not None else None,
            "tool": {"name": "peerreport", "version": self.tool_version},
        }

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, fixed separators, so equal returns are equal bytes."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Return:
        """Read a return back from `to_dict()` data (e.g. from a bundle's return.json).

        The data is validated against `ReturnDocument` first: malformed data raises
        pydantic's `ValidationError` (a `ValueError`) rather than half-building a return.
        """
        ExportedReturnDocument.model_validate(data)
        period = data["period"]
        rule = data["rule_file"]
        return cls(
            organisation=data["organisation"]["code"],
            organisation_name=data["organisation"]["name"],
            rule=RuleInfo(
                id=rule["id"],
                version=rule["version"],
                digest=rule["digest"],
                title=rule["title"],
                funder=rule.get("funder", ""),
                spec=rule.get("spec", ""),
                purchase_units=tuple(rule.get("purchase_units", ())),
                meaning=rule.get("meaning"),
            ),
            period=Period(
                dt.date.fromisoformat(period["start"]),
                dt.date.fromisoformat(period["end"]),
                period["label"],
                period["kind"],
            ),
            figures=tuple(_figure_from(f) for f in data["figures"]),
            findings=tuple(_finding_from(f) for f in data["findings"]),
            disclosure=dict(data["disclosure"]),
            records_digest=data["records"]["digest"],
            record_counts=dict(data["records"]["counts"]),
            tool_version=data["tool"]["version"],
            revision=data["records"].get("revision"),
            due=dt.date.fromisoformat(data["due"]) if data.get("due") else None,
            filing=Filing.from_dict(data["filing"]) if data.get("filing") else None,
            contact_role=data["organisation"].get("contact_role"),
        )


def _cell_from(data: dict[str, Any]) -> PublishedCell:
    return PublishedCell(
        tuple(data["key"]), data["value"], data["status"], str(data.get("note") or "")
    )


def _figure_from(data: dict[str, Any]) -> ReturnFigure:
    return ReturnFigure(
        id=data["id"],
        label=data["label"],
        kind=data["kind"],
        unit=data["unit"],
        line=data["line"],
        by=tuple(data["by"]),
        total=_cell_from(data["total"]),
        cells=tuple(_cell_from(c) for c in data["cells"]),
        description=data.get("description", ""),
    )


def _finding_from(data: dict[str, Any]) -> Finding:
    return Finding(
        code=data["code"],
        severity=Severity(data["severity"]),
        message=data["message"],
        hint=data.get("hint", ""),
        location=Location(**data.get("location", {})),
        details=dict(data.get("details", {})),
    )
