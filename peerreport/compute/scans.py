"""Measures and record checks as few SQL statements: one pass over each source.

All measures over one source — their totals, their cells under every `by`
list — and the failure counts of every record check over it are conditional
aggregates of ONE pass over the source's rows in the period:

    SELECT <by columns>, count(CASE WHEN <where1> THEN 1 END),
           sum(CASE WHEN <where2> THEN attendance END), ...
    FROM activity WHERE org = :org AND date BETWEEN :start AND :end
    GROUP BY GROUPING SETS ((), (<by of measure 1>), (<by of measure 2>), ...)

`grouping` says how the groupings share the pass on each engine: one GROUP BY
at the finest grain, added up to the totals and each `by` in Python, when every
aggregate adds up from finer cells; otherwise grouping sets on PostgreSQL, and
on SQLite the finest grain with a plain statement per `by` only for what finer
cells cannot give (distinct counts, sums of real numbers). So the statement
count is one per source used on PostgreSQL, plus one sample query per record
check that found failing records; on SQLite, one more per `by` list of a
distinct count or a sum of real numbers (and one for their totals).
`distinct = "member_tokens"` measures range over activities joined to their
tokens: a source of their own.

A `sum` over workforce entries adds up each entry's part of the period
(`argument_resolver`, `apportion`): still one column expression per measure,
computed in the same statement.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, and_, case, distinct, func, literal, not_, or_
from sqlalchemy.sql.elements import ColumnElement

from peerreport.compute.figures import Cell, CellKey, Value
from peerreport.compute.grouping import Aggregate, Combine, Rows, aggregate
from peerreport.compute.tables import TOKENS, column, from_clause, resolver, row_filter
from peerreport.language import Type, to_sql
from peerreport.language.sql import Resolve
from peerreport.rulebook import CompiledCheck, CompiledMeasure, RuleFile
from peerreport.rulebook.cells import field_codes, measure_codes
from peerreport.rulebook.counting import rule_of
from peerreport.rulebook.model import Grouping
from peerreport.rulebook.sources import sources
from peerreport.store import schema

EXTREMES = ("min", "max")


@dataclass
class Scan:
    """One pass over a source: its measures (totals and breakdowns) and record checks."""

    source: str
    measures: list[CompiledMeasure] = field(default_factory=list)
    checks: list[CompiledCheck] = field(default_factory=list)


@dataclass
class ScanResults:
    """What the scans found: totals, breakdown cells and record-check failure counts."""

    totals: dict[str, Value] = field(default_factory=dict)
    cells: dict[str, tuple[Cell, ...]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    supports: dict[str, int] = field(default_factory=dict)  # records behind a min or max total
    # Measures with `nothing = "not collected"` that no record of the period gave a field to.
    uncollected: set[str] = field(default_factory=set)


def plan(rule_file: RuleFile) -> list[Scan]:
    """The passes needed for a rule file's measures and record checks: one per source."""
    scans: dict[str, Scan] = {}
    for m in rule_file.measures.values():
        if m.measure.kind == "expr":
            continue
        source = TOKENS if m.counts_tokens else m.measure.record_source
        assert source is not None
        scans.setdefault(source, Scan(source)).measures.append(m)
    for c in rule_file.checks.values():
        if c.check.enabled and c.check.kind == "record" and c.check.source:
            scans.setdefault(c.check.source, Scan(c.check.source)).checks.append(c)
    return list(scans.values())


def _aggregate(
    m: CompiledMeasure,
    rule_file: RuleFile,
    source: str,
    start: dt.date,
    end: dt.date,
    support: bool = False,
    revision: int | None = None,
) -> ColumnElement[Any]:
    """The measure's aggregate column; with `support`, how many records give it a value."""
    groupings = dict(rule_file.model.grouping)
    resolve = resolver(source, groupings, revision=revision)
    cond = to_sql(m.where.tree, resolve) if m.where else None
    kind = m.measure.kind
    if kind == "count":
        return func.count(case((cond, literal(1)))) if cond is not None else func.count()
    if m.counts_tokens:
        arg: ColumnElement[Any] = schema.member_token.c.token_hash
    else:
        assert m.argument is not None
        arg = to_sql(m.argument.tree, argument_resolver(m, source, groupings, start, end, revision))
    value = case((cond, arg)) if cond is not None else arg
    if support:
        return func.count(value)
    if kind == "distinct":
        return func.count(distinct(value))
    if kind == "sum":
        return func.sum(value)
    return func.min(value) if kind == "min" else func.max(value)


def collects(m: CompiledMeasure) -> bool:
    """Does the measure ask whether its fields were collected (`nothing = "not collected"`)?"""
    return m.measure.kind != "expr" and m.measure.nothing == "not collected"


def read_fields(m: CompiledMeasure) -> list[str]:
    """The names a measure reads from its records: its argument's (sum, distinct, min, max)
    or its filter's (count); none for a count without `where`."""
    if m.measure.kind == "count":
        return m.where.names() if m.where is not None else []
    return m.argument.names() if m.argument is not None else []


def _collected(
    m: CompiledMeasure, rule_file: RuleFile, source: str, revision: int | None = None
) -> ColumnElement[Any]:
    """How many of the period's records have a value for a field the measure reads.

    A grouping counts as its field (a code it does not map is still collected). With no
    field to read (a count without `where`, member tokens) every record counts, so the
    measure is not collected only when the source has no records in the period.
    """
    groupings = dict(rule_file.model.grouping)
    names = [] if m.counts_tokens else read_fields(m)
    present = []
    for name in names:
        grouping = groupings.get(name)
        try:
            target = column(source, grouping.field if grouping is not None else name, revision)
        except KeyError:
            target = resolver(source, groupings, revision=revision)(name)
        present.append(target.is_not(None))
    if not present:
        return func.count()
    return func.count(case((or_(*present), literal(1))))


def argument_resolver(
    m: CompiledMeasure,
    source: str,
    groupings: dict[str, Grouping],
    start: dt.date,
    end: dt.date,
    revision: int | None = None,
) -> Resolve:
    """What the names in a measure's argument mean: a `sum` adds up each record's part
    of the period (apportioned workforce entries); other aggregates see recorded values
    (at `revision`)."""
    period = (start, end) if m.measure.kind == "sum" else None
    return resolver(source, groupings, period, revision)


def apportions(m: CompiledMeasure, source: str) -> bool:
    """Does the measure add up records' parts of the period (a sum of apportioned fields)?"""
    shares = sources()[source].apportioned if source in sources() else {}
    return (
        m.measure.kind == "sum"
        and m.argument is not None
        and any(n in shares for n in m.argument.names())
    )


def _failures(
    c: CompiledCheck, rule_file: RuleFile, revision: int | None = None
) -> ColumnElement[Any]:
    return func.count(case((failing(c, rule_file, revision), literal(1))))


def failing(
    c: CompiledCheck, rule_file: RuleFile, revision: int | None = None
) -> ColumnElement[bool]:
    """The condition a record fails a record check on: where is true and assert is false
    (for the records read at `revision`, None: the current ones)."""
    assert c.check.source is not None and c.assertion is not None
    resolve = resolver(c.check.source, dict(rule_file.model.grouping), revision=revision)
    fails = not_(to_sql(c.assertion.tree, resolve))
    if c.where is not None:
        return and_(to_sql(c.where.tree, resolve), fails)
    return fails


def _combine(m: CompiledMeasure) -> Combine:
    """How the measure's value in finer cells adds up to coarser ones (None: it cannot)."""
    kind = m.measure.kind
    if kind == "count" or (kind == "sum" and m.type is Type.INTEGER):
        return "sum"
    if kind in EXTREMES:
        return "min" if kind == "min" else "max"
    return None  # distinct counts; sums of real numbers (kept exactly as the database adds)


def aggregates(
    scan: Scan,
    rule_file: RuleFile,
    start: dt.date,
    end: dt.date,
    revision: int | None = None,
) -> list[Aggregate]:
    """The pass's columns: each measure (`m`), the records behind a min or max (`s`), whether
    a measure's fields were collected (`n`), each record check's failures (`c`)."""
    columns: list[Aggregate] = []
    totals = frozenset({()})
    for i, m in enumerate(scan.measures):
        sets = totals | ({tuple(m.measure.by)} if m.measure.by else set())
        value = _aggregate(m, rule_file, scan.source, start, end, revision=revision)
        columns.append(Aggregate(f"m{i}", value, sets, _combine(m)))
        if m.measure.kind in EXTREMES:
            support = _aggregate(m, rule_file, scan.source, start, end, True, revision)
            columns.append(Aggregate(f"s{i}", support, sets))
        if collects(m):
            collected = _collected(m, rule_file, scan.source, revision)
            columns.append(Aggregate(f"n{i}", collected, totals))
    for i, c in enumerate(scan.checks):
        columns.append(Aggregate(f"c{i}", _failures(c, rule_file, revision), totals))
    return columns


def rows(
    scan: Scan,
    rule_file: RuleFile,
    org: str,
    start: dt.date,
    end: dt.date,
    revision: int | None = None,
) -> Rows:
    """The rows a pass reads, and the columns its measures' `by` lists group by."""
    groupings = dict(rule_file.model.grouping)
    resolve = resolver(scan.source, groupings, revision=revision)
    names = list(dict.fromkeys(f for m in scan.measures for f in m.measure.by))
    sizes: dict[str, int | None] = {}
    for name in names:
        source = scan.measures[0].measure.record_source or scan.source
        codes = field_codes(groupings, source, name)
        sizes[name] = None if codes is None else len(codes)
    return Rows(
        from_clause(scan.source),
        row_filter(scan.source, org, start, end, revision, rule_of(rule_file.model)),
        {name: resolve(name) for name in names},
        sizes,
    )


def run(
    conn: Connection,
    rule_file: RuleFile,
    org: str,
    start: dt.date,
    end: dt.date,
    revision: int | None = None,
) -> ScanResults:
    """Run every pass (over the records at `revision`, or the current ones) and collect results."""
    results = ScanResults()
    for scan in plan(rule_file):
        cells = aggregate(
            conn,
            rows(scan, rule_file, org, start, end, revision),
            aggregates(scan, rule_file, start, end, revision),
        )
        total = cells[()][()]
        for i, m in enumerate(scan.measures):
            results.totals[m.id] = normalise(m, total[f"m{i}"])
            if m.measure.kind in EXTREMES:
                results.supports[m.id] = int(total[f"s{i}"] or 0)
            if collects(m) and not total[f"n{i}"]:
                results.uncollected.add(m.id)
        for i, c in enumerate(scan.checks):
            results.failures[c.id] = int(total[f"c{i}"] or 0)
        for i, m in enumerate(scan.measures):
            if not m.measure.by:
                continue
            grouped = cells[tuple(m.measure.by)]
            observed = {k: normalise(m, v.get(f"m{i}")) for k, v in grouped.items()}
            found = fill_cells(m, rule_file, observed)
            if m.measure.kind in EXTREMES:
                support = {k: int(v.get(f"s{i}") or 0) for k, v in grouped.items()}
                found = tuple(replace(c, support=support.get(c.key, 0)) for c in found)
            results.cells[m.id] = found
    for ident in results.uncollected:
        # Not collected: no value, in the total and in every cell (never 0).
        results.totals[ident] = None
        results.supports.pop(ident, None)
        results.cells[ident] = tuple(Cell(c.key, None) for c in results.cells.get(ident, ()))
    return results


def normalise(m: CompiledMeasure, raw: Any) -> Value:
    """A database value as the measure's type (sums of nothing are 0)."""
    if raw is None:
        if m.measure.kind not in ("count", "distinct", "sum"):
            return None
        return 0.0 if m.type is Type.REAL else 0
    if m.type is Type.INTEGER:
        return int(raw)
    if m.type is Type.REAL:
        return float(raw)
    if isinstance(raw, str):
        return dt.date.fromisoformat(raw)
    assert isinstance(raw, dt.date)
    return raw


def fill_cells(
    m: CompiledMeasure, rule_file: RuleFile, observed: dict[CellKey, Value]
) -> tuple[Cell, ...]:
    """Every cell of the breakdown, zero (or no value) where no records fell."""
    axes: list[Sequence[str | None]] = []
    for f in m.measure.by:
        codes = measure_codes(rule_file.model, m.measure, f)
        axes.append(codes if codes is not None else [])
    empty = normalise(m, None)
    keys: list[CellKey] = [tuple(k) for k in itertools.product(*axes)]
    known = set(keys)
    # Rows of a shared GROUP BY that this measure's `where` excluded come back empty:
    # only codes outside the vocabulary that hold a value are kept.
    extra = [k for k, v in observed.items() if k not in known and v not in (0, None)]
    keys += sorted(extra, key=lambda k: tuple(str(x) for x in k))
    return tuple(Cell(k, observed.get(k, empty)) for k in keys)
