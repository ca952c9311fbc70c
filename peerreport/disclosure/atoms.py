"""Atoms: an organisation's record versions partitioned by everything the released cells test.

Every released cell of a count or sum measure is a linear function of record
versions: those of its source that satisfy the measure's `where`, whose `by`
fields take the cell's codes, that lie in the cell's period, and that were
current at the release's revision. Partition the record versions by the truth
value of every `where` involved, the value of every `by` field, membership of
every period and of every revision: each part is an *atom*, and every cell is
the sum of the atoms it covers. ONE grouped statement per record source gives
every atom with its number of record versions and the sum of each summed
argument (SQLite and PostgreSQL alike).

This is the one module of `peerreport.disclosure` that reads the database; the
audit itself (`milp`) is pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from peerreport.compute.apportion import counts_in_period
from peerreport.compute.scans import apportions
from peerreport.compute.tables import breakdown_kind, from_clause, resolver, unit_filter, version
from peerreport.language import Type, to_sql
from peerreport.rulebook import CompiledMeasure, RuleFile
from peerreport.rulebook.counting import rule_of
from peerreport.rulebook.sources import BREAKDOWN_SOURCES, BREAKDOWN_TOTALS
from peerreport.store import schema

Key = tuple[str | None, ...]
Window = tuple[dt.date, dt.date]

#: The record sources whose cells the audit links (member tokens are distinct counts: not linear).
LINEAR_SOURCES = ("activity", "breakdown", "cross_breakdown", "workforce", "feedback")


@dataclass(frozen=True)
class CellSpec:
    """What one released cell counts: enough to find its atoms."""

    source: str
    kind: str  # count | sum
    where: str | None  # the condition's id in the source's statement (None: every record)
    argument: str | None  # the summed argument's id (sum only)
    fields: tuple[str, ...]  # the `by` fields' ids, in order
    key: Key | None  # the cell's codes (None: the total)
    window: Window
    revision: int | None


@dataclass
class SourcePlan:
    """The distinct conditions, fields, arguments, periods and revisions of one source."""

    source: str
    wheres: dict[str, ColumnElement[Any]] = field(default_factory=dict)
    fields: dict[str, ColumnElement[Any]] = field(default_factory=dict)
    arguments: dict[str, ColumnElement[Any]] = field(default_factory=dict)
    windows: list[Window] = field(default_factory=list)
    revisions: list[int | None] = field(default_factory=list)


@dataclass(frozen=True)
class Atom:
    """One part of the partition: its coordinates, record count and sums."""

    source: str
    wheres: frozenset[str]  # the conditions its records satisfy
    values: tuple[tuple[str, str | None], ...]  # (field id, value)
    windows: frozenset[Window]
    revisions: frozenset[int | None]
    count: int
    sums: tuple[tuple[str, int], ...]

    def value(self, field_id: str) -> str | None:
        """The value of one `by` field in this atom."""
        return dict(self.values)[field_id]

    def sum(self, argument: str) -> int:
        """The sum of one argument over this atom's records."""
        return dict(self.sums)[argument]


class Planner:
    """Collects cell definitions from rule files, sharing identical SQL between them."""

    def __init__(self, dialect: Any) -> None:
        self.dialect = dialect
        self.plans: dict[str, SourcePlan] = {}
        self._names: dict[tuple[int, str], str] = {}

    def _id(self, plan_part: dict[str, ColumnElement[Any]], prefix: str, expr: Any) -> str:
        """The name of `expr` in the statement: the same SQL text gets the same name."""
        try:
            text = str(expr.compile(dialect=self.dialect, compile_kwargs={"literal_binds": True}))
        except Exception:  # a value that cannot be inlined: keep it apart
            text = f"#{len(self._names)}"
        known = self._names.get((id(plan_part), text))
        if known is not None:
            return known
        name = f"{prefix}{len(plan_part)}"
        self._names[(id(plan_part), text)] = name
        plan_part[name] = expr
        return name

    def measure(
        self, rule_file: RuleFile, m: CompiledMeasure
    ) -> tuple[str, str, str | None, str | None, tuple[str, ...]] | None:
        """The source, kind, where id, argument id and field ids of a linear measure (else None)."""
        kind = m.measure.kind
        if kind not in ("count", "sum") or m.counts_tokens:
            return None
        source = m.measure.record_source
        if source not in LINEAR_SOURCES:
            return None
        if kind == "sum" and (m.type is not Type.INTEGER or apportions(m, source)):
            return None
        if reads_breakdown_totals(m):
            # One statement tests every revision, but a breakdown total is read at one.
            return None
        plan = self.plans.setdefault(source, SourcePlan(source))
        resolve = resolver(source, dict(rule_file.model.grouping))
        where = None
        units = rule_of(rule_file.model)
        if m.where is not None or not units.everything:
            # The records a measure counts: its `where`, within the purchase units counted.
            conds = [] if units.everything else [unit_filter(source, units)]
            conds += [to_sql(m.where.tree, resolve)] if m.where is not None else []
            cond = and_(*conds)
            where = self._id(plan.wheres, "w", case((cond, literal(1)), else_=literal(0)))
        argument = None
        if kind == "sum":
            assert m.argument is not None
            arg = to_sql(m.argument.tree, resolve)
            argument = self._id(plan.arguments, "s", func.coalesce(arg, literal(0)))
        fields = tuple(self._id(plan.fields, "f", resolve(name)) for name in m.measure.by)
        return source, kind, where, argument, fields

    def window(self, source: str, window: Window, revision: int | None) -> None:
        """Make sure the source's statement tests this period and revision."""
        plan = self.plans.setdefault(source, SourcePlan(source))
        if window not in plan.windows:
            plan.windows.append(window)
        if revision not in plan.revisions:
            plan.revisions.append(revision)


def reads_breakdown_totals(m: CompiledMeasure) -> bool:
    """Does the measure read an activity's breakdown totals (at one revision: not linked)?"""
    names = {*m.measure.by}
    for expression in (m.where, m.argument):
        if expression is not None:
            names |= set(expression.names())
    return bool(names & set(BREAKDOWN_TOTALS))


def _in_window(source: str, window: Window) -> ColumnElement[bool]:
    if source in ("activity", *BREAKDOWN_SOURCES):
        a = schema.activity
        return and_(a.c.date >= window[0], a.c.date <= window[1])
    return counts_in_period(source, *window)


def _at_revision(source: str, revision: int | None) -> ColumnElement[bool]:
    if source in ("activity", *BREAKDOWN_SOURCES):
        condition = version(schema.activity, revision)
        if source in BREAKDOWN_SOURCES:
            condition = and_(
                condition, version(schema.activity_breakdown, revision), breakdown_kind(source)
            )
        return condition
    return version(schema.workforce if source == "workforce" else schema.feedback, revision)


def _org_column(source: str) -> Any:
    if source in ("activity", *BREAKDOWN_SOURCES):
        return schema.activity.c.org
    return (schema.workforce if source == "workforce" else schema.feedback).c.org


def _bit(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return case((condition, literal(1)), else_=literal(0))


def gather(conn: Connection, org: str, plans: Sequence[SourcePlan]) -> list[Atom]:
    """Every non-empty atom of every source: one grouped statement per source."""
    atoms: list[Atom] = []
    for plan in plans:
        if not plan.windows:
            continue
        columns: list[ColumnElement[Any]] = []
        columns += [expr.label(name) for name, expr in plan.wheres.items()]
        columns += [expr.label(name) for name, expr in plan.fields.items()]
        columns += [
            _bit(_in_window(plan.source, w)).label(f"p{i}") for i, w in enumerate(plan.windows)
        ]
        columns += [
            _bit(_at_revision(plan.source, r)).label(f"r{i}") for i, r in enumerate(plan.revisions)
        ]
        columns += [expr.label(name) for name, expr in plan.arguments.items()]
        inner = (
            select(*columns)
            .select_from(from_clause(plan.source))
            .where(
                _org_column(plan.source) == org,
                or_(*(_in_window(plan.source, w) for w in plan.windows)),
                or_(*(_at_revision(plan.source, r) for r in plan.revisions)),
            )
            .subquery()
        )
        groups = [
            inner.c[name]
            for name in [
                *plan.wheres,
                *plan.fields,
                *(f"p{i}" for i in range(len(plan.windows))),
                *(f"r{i}" for i in range(len(plan.revisions))),
            ]
        ]
        sums = [func.sum(inner.c[name]).label(name) for name in plan.arguments]
        query = select(*groups, func.count().label("n"), *sums).group_by(*groups)
        for row in conn.execute(query):
            data = row._mapping
            atoms.append(
                Atom(
                    source=plan.source,
                    wheres=frozenset(n for n in plan.wheres if int(data[n]) == 1),
                    values=tuple(
                        (n, None if data[n] is None else str(data[n])) for n in plan.fields
                    ),
                    windows=frozenset(
                        w for i, w in enumerate(plan.windows) if int(data[f"p{i}"]) == 1
                    ),
                    revisions=frozenset(
                        r for i, r in enumerate(plan.revisions) if int(data[f"r{i}"]) == 1
                    ),
                    count=int(data["n"]),
                    sums=tuple((n, int(data[n] or 0)) for n in plan.arguments),
                )
            )
    return atoms


def covers(atom: Atom, spec: CellSpec) -> bool:
    """Is the atom part of the cell?"""
    if atom.source != spec.source or spec.window not in atom.windows:
        return False
    if spec.revision not in atom.revisions:
        return False
    if spec.where is not None and spec.where not in atom.wheres:
        return False
    if spec.key is not None:
        return all(atom.value(f) == k for f, k in zip(spec.fields, spec.key, strict=True))
    return True


__all__ = ["Atom", "CellSpec", "Planner", "SourcePlan", "covers", "gather"]
