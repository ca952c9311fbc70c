"""Which returns count each activity of a period, by its purchase unit (`records attribution`).

The returns considered are the organisation's: the rule files its workspace
builds (`[returns] files` in peerreport.toml) and those the ledger holds a
filing of for a period overlapping this one (a return filed once and since
dropped from the workspace still claims its records). Each counts an
activity by its `[counting]` (`rulebook.counting`, the same rule the SQL of
every measure applies). An activity counted by two returns that both say
`exclusive = true` is claimed twice: finding REC-001.

Activities are read as they are now (current versions), or as they were at
an earlier revision of the records (`as_of`, as `build --as-of` reads them),
grouped by purchase unit, so the report is one small statement however many
activities there are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.sql.elements import ColumnElement

from peerreport.findings import Finding
from peerreport.findings_catalogue import finding
from peerreport.returns.periods import Period
from peerreport.rulebook.counting import UnitRule, is_exclusive, rule_of
from peerreport.rulebook.model import RuleFileModel
from peerreport.store import schema
from peerreport.store.revisions import resolve_revision, visible_at

#: How many activity ids a conflict names as examples.
SAMPLE = 5


def activities(count: int) -> str:
    """'1 activity', '3 activities'."""
    return f"{count} activit{'y' if count == 1 else 'ies'}"


@dataclass(frozen=True)
class Claimant:
    """A return that may count the period's activities."""

    rule_id: str
    title: str
    why: str  # "workspace", "filed" or "workspace, filed"
    rule: UnitRule
    exclusive: bool

    def counting_words(self) -> str:
        """How the return counts, in plain words."""
        if self.rule.units is None:
            what = (
                "every activity" if self.rule.unassigned else "activities under any purchase unit"
            )
        else:
            units = ", ".join(sorted(self.rule.units))
            what = f"activities under {units}"
            what += " and those with none" if self.rule.unassigned else ""
        return what + (" (claims them for itself)" if self.exclusive else "")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "why": self.why,
            "counts": self.counting_words(),
            "exclusive": self.exclusive,
        }


def claimant(model: RuleFileModel, why: str) -> Claimant:
    """A (resolved) rule file as a claimant."""
    return Claimant(model.id, model.title, why, rule_of(model), is_exclusive(model))


@dataclass(frozen=True)
class UnitLine:
    """The period's activities under one purchase unit (None: not assigned)."""

    purchase_unit: str | None
    activities: int
    counted_by: tuple[str, ...]
    examples: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "purchase_unit": self.purchase_unit,
            "activities": self.activities,
            "counted_by": list(self.counted_by),
            "examples": list(self.examples),
        }


@dataclass
class Attribution:
    """Which returns count the period's activities, and the activities claimed twice."""

    org: str
    period: Period
    claimants: list[Claimant]
    lines: list[UnitLine] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # filed rule files not found here
    as_of: int | None = None  # the records' revision read; None: as they are now

    @property
    def uncounted(self) -> int:
        """Activities no return counts."""
        return sum(line.activities for line in self.lines if not line.counted_by)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "organisation": self.org,
            "period": self.period.to_dict(),
            "as_of": self.as_of,
            "returns": [c.to_dict() for c in self.claimants],
            "purchase_units": [line.to_dict() for line in self.lines],
            "uncounted": self.uncounted,
            "not_found": list(self.missing),
            "findings": [f.to_dict() for f in self.findings],
        }


def _versions(as_of: int | None) -> ColumnElement[bool]:
    """The activity versions read: the current ones, or those current at revision `as_of`."""
    a = schema.activity
    return a.c.valid_to.is_(None) if as_of is None else visible_at(a, as_of)


def _by_unit(
    conn: Connection, org: str, start: dt.date, end: dt.date, as_of: int | None
) -> list[Any]:
    a = schema.activity
    return list(
        conn.execute(
            select(a.c.purchase_unit, func.count(), func.min(a.c.activity_id))
            .where(a.c.org == org, a.c.date >= start, a.c.date <= end, _versions(as_of))
            .group_by(a.c.purchase_unit)
        )
    )


def _examples(
    conn: Connection, org: str, start: dt.date, end: dt.date, unit: str | None, as_of: int | None
) -> tuple[str, ...]:
    a = schema.activity
    same = a.c.purchase_unit.is_(None) if unit is None else a.c.purchase_unit == unit
    query = (
        select(a.c.activity_id)
        .where(a.c.org == org, a.c.date >= start, a.c.date <= end, _versions(as_of), same)
        .order_by(a.c.activity_id)
        .limit(SAMPLE)
    )
    return tuple(conn.execute(query).scalars())


def attribute(
    conn: Connection,
    org: str,
    period: Period,
    claimants: Sequence[Claimant],
    as_of: int | None = None,
) -> Attribution:
    """Which of `claimants` count each of the period's activities: the current ones, or
    with `as_of` those of that revision of the records (`UsageError` if there is none)."""
    if as_of is not None:
        as_of = resolve_revision(conn, org, as_of)
    result = Attribution(org, period, list(claimants), as_of=as_of)
    found = _by_unit(conn, org, period.start, period.end, as_of)
    rows = sorted(found, key=lambda r: (r[0] is None, r[0]))
    for unit, count, _ in rows:
        counted = tuple(c.rule_id for c in claimants if c.rule.counts(unit))
        exclusive = [c.rule_id for c in claimants if c.exclusive and c.rule_id in counted]
        examples = _examples(conn, org, period.start, period.end, unit, as_of) if exclusive else ()
        result.lines.append(UnitLine(unit, int(count), counted, examples))
        if len(exclusive) >= 2:
            result.findings.append(_claimed_twice(unit, int(count), exclusive, examples))
    return result


def _claimed_twice(
    unit: str | None, count: int, exclusive: list[str], examples: tuple[str, ...]
) -> Finding:
    under = f"under purchase unit {unit}" if unit is not None else "with no purchase unit"
    more = ", ..." if count > len(examples) else ""
    return finding(
        "REC-001",
        f"{activities(count)} {under} ({', '.join(examples)}{more}) are counted by "
        f"{' and '.join(exclusive)}, which each claim their activities for themselves",
        "Each activity belongs to one of these returns: give the activities the purchase unit "
        "of the return that should count them, or ask the funder whether both rule files "
        'should count only their own purchase units ([counting] purchase_units = "only").',
        details={"purchase_unit": unit, "activities": count, "returns": exclusive},
    )
