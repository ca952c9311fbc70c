"""Tracing a figure to the records behind it: the measure's own filter, compiled to SQL.

The statement is built from the same pieces the compute stage uses for the
figure (`compute.tables`: the source's FROM clause, the organisation and
period filter, the measure's `where` through `language.to_sql`, groupings),
plus, for a breakdown cell, one equality per `by` field. So the rows listed
are exactly the rows the figure aggregates: a count figure equals the number
of rows, a sum figure their sum. Member tokens are never listed; for a
distinct count of them the activities are, and their number of distinct
tokens is the figure.

A derived figure (`expr`, e.g. attendances / sessions) has no records of its
own: it is traced through the measures its expression uses, each in turn
(derived ones through theirs), and its value is the expression over theirs.
Records are listed by `records_listing.select_records`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, distinct, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from peerreport.audit.names import figure_named
from peerreport.audit.records_listing import record_table, select_records
from peerreport.compute.figures import round_half_up
from peerreport.compute.scans import apportions, argument_resolver, collects, read_fields
from peerreport.compute.tables import TOKENS, from_clause, resolver, row_filter
from peerreport.errors import UsageError
from peerreport.language import Type, evaluate, to_sql
from peerreport.returns.model import EXACT, PublishedCell, Return, ReturnFigure
from peerreport.rulebook.compiled import CompiledMeasure, RuleFile
from peerreport.rulebook.counting import rule_of
from peerreport.store import schema

CellKey = tuple[str | None, ...]
_NOT_RECORDED = ("-", "not recorded", "null", "")


@dataclass(frozen=True)
class Trace:
    """The records behind one figure (or one cell of it)."""

    measure: str
    label: str
    kind: str
    source: str
    cell: CellKey  # () for the total
    id_fields: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]  # id values, listed fields, then the value (if any)
    value: int | float | str | None  # the figure as the records give it, before disclosure
    published: PublishedCell
    sql: str
    listed: tuple[str, ...] = ()  # the fields after the ids: date, kind, ...
    value_name: str = ""  # what the value aggregated is, e.g. `attendance`; '' for none
    line: str = ""
    where: str = ""  # the measure's filter, as the rule file writes it
    places: int | None = None  # the rule file's `round` for this figure
    collected: bool = True  # False: `nothing = "not collected"` and no record has a value

    @property
    def agrees(self) -> bool | None:
        """Whether the records give the published figure; None when disclosure changed it."""
        return _agrees(self.published, self.value, self.places)

    @property
    def columns(self) -> tuple[str, ...]:
        """What each position of a row holds: id fields, listed fields, the value."""
        return (*self.id_fields, *self.listed, *((self.value_name,) if self.value_name else ()))

    @property
    def table(self) -> str:
        """The record table listed (member tokens list their activities)."""
        return record_table(self.source)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "measure": self.measure,
            "label": self.label,
            "line": self.line,
            "kind": self.kind,
            "source": self.source,
            "where": self.where or None,
            "cell": list(self.cell),
            "id_fields": list(self.id_fields),
            "columns": list(self.columns),
            "records": [list(_jsonable(v) for v in row) for row in self.rows],
            "count": len(self.rows),
            "value": self.value,
            **({} if self.collected else {"collected": False}),
            "published": self.published.to_dict(),
            "sql": self.sql,
        }


@dataclass(frozen=True)
class DerivedTrace:
    """A derived figure: its formula, and the trace of each measure the formula uses."""

    measure: str
    label: str
    line: str
    formula: str
    value: int | float | str | None  # the formula over the inputs' values, rounded as published
    published: PublishedCell
    inputs: tuple[Trace | DerivedTrace, ...]
    kind: str = "expr"
    places: int | None = None  # the rule file's `round` for this figure
    unrounded: Any = None  # the formula's value before rounding, as other formulas use it

    @property
    def collected(self) -> bool:
        """False when a figure the formula uses is not collected (so neither is this one)."""
        return all(i.collected for i in self.inputs)

    @property
    def agrees(self) -> bool | None:
        """Whether the records give the published figure; None when disclosure changed it."""
        return _agrees(self.published, self.value, None)

    @property
    def sql(self) -> str:
        """The statements of every input, one after another."""
        return "\n\n".join(f"-- {i.measure}\n{i.sql}" for i in self.inputs)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "measure": self.measure,
            "label": self.label,
            "line": self.line,
            "kind": self.kind,
            "formula": self.formula,
            "value": self.value,
            **({} if self.collected else {"collected": False}),
            "published": self.published.to_dict(),
            "inputs": [i.to_dict() for i in self.inputs],
        }


FigureTrace = Trace | DerivedTrace


def _agrees(published: PublishedCell, value: Any, places: int | None) -> bool | None:
    if published.status != EXACT:
        return None
    return bool(published.value == round_half_up(value, places))


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def parse_cell(figure: ReturnFigure, text: str | None) -> CellKey:
    """A cell of `figure` from `field=code,...`, `code / code` or `code,code`; () for the total."""
    if text is None or text.strip().lower() in ("", "total"):
        return ()
    if not figure.by:
        raise UsageError(f"{figure.id} has no breakdown; trace it without a cell")
    pieces = [p.strip() for p in (text.split(" / ") if " / " in text else text.split(","))]
    if all("=" in p for p in pieces):
        given = dict(p.split("=", 1) for p in pieces)
        unknown = sorted(set(given) - set(figure.by))
        if unknown or len(given) != len(figure.by):
            raise UsageError(
                f"{figure.id} is broken down by {', '.join(figure.by)}: "
                f"name each once, e.g. {_example(figure)}"
            )
        pieces = [given[field].strip() for field in figure.by]
    key: CellKey = tuple(None if p.lower() in _NOT_RECORDED else p for p in pieces)
    if key not in {c.key for c in figure.cells}:
        known = ", ".join(c.label() for c in figure.cells[:12])
        raise UsageError(f"{figure.id} has no cell {text!r}; its cells: {known}")
    return key


def _example(figure: ReturnFigure) -> str:
    if not figure.cells:
        return ",".join(f"{field}=CODE" for field in figure.by)
    key = figure.cells[0].key
    return ",".join(f"{f}={'-' if c is None else c}" for f, c in zip(figure.by, key, strict=True))


def trace(
    engine: Engine, ret: Return, rule_file: RuleFile, measure: str, cell: str | None = None
) -> FigureTrace:
    """The records behind a figure of `ret` (and one cell of it).

    `measure` is the measure id, the line code or the label the return prints.
    A derived figure gives a `DerivedTrace` of the measures its formula uses.
    """
    figure = figure_named(ret, measure)
    compiled = rule_file.measures.get(figure.id)
    if compiled is None:
        raise UsageError(
            f"the rule file {rule_file.id} {rule_file.version} has no measure {figure.id!r}; "
            "trace with the rule file the return was built with (--rules PATH)"
        )
    if compiled.measure.kind == "expr":
        if cell is not None and cell.strip().lower() not in ("", "total"):
            raise UsageError(
                f"{figure.id} is derived and has no breakdown; trace it without a cell"
            )
        return _derived(engine, ret, rule_file, figure, compiled)
    return _aggregate_trace(engine, ret, rule_file, figure, compiled, parse_cell(figure, cell))


def _derived(
    engine: Engine,
    ret: Return,
    rule_file: RuleFile,
    figure: ReturnFigure,
    compiled: CompiledMeasure,
) -> DerivedTrace:
    assert compiled.argument is not None
    inputs: list[FigureTrace] = []
    values: dict[str, Any] = {}
    for name in compiled.argument.names():
        used = rule_file.measures[name]
        try:
            shown = ret.figure(name)
        except KeyError:
            raise UsageError(
                f"{figure.id} uses {name}, which the return does not have; trace with the "
                "rule file the return was built with (--rules PATH)"
            ) from None
        found = (
            _derived(engine, ret, rule_file, shown, used)
            if used.measure.kind == "expr"
            else _aggregate_trace(engine, ret, rule_file, shown, used, ())
        )
        inputs.append(found)
        values[name] = found.unrounded if isinstance(found, DerivedTrace) else found.value
        values[name] = _raw(values[name], used)
    # As the compute stage does: the formula over unrounded inputs, then rounded.
    unrounded = evaluate(compiled.argument.tree, values)
    if isinstance(unrounded, int | float) and not isinstance(unrounded, bool):
        unrounded = float(unrounded)
    return DerivedTrace(
        figure.id,
        figure.label,
        figure.line,
        compiled.argument.text.strip(),
        _jsonable(round_half_up(unrounded, compiled.measure.round)),
        figure.total,
        tuple(inputs),
        places=compiled.measure.round,
        unrounded=unrounded,
    )


def _raw(value: Any, compiled: CompiledMeasure) -> Any:
    """An input's value as the formula sees it (dates were shown as ISO text)."""
    if compiled.type is Type.DATE and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _aggregate_trace(
    engine: Engine,
    ret: Return,
    rule_file: RuleFile,
    figure: ReturnFigure,
    compiled: CompiledMeasure,
    key: CellKey,
) -> Trace:
    source = TOKENS if compiled.counts_tokens else compiled.measure.record_source or "activity"
    conditions = _conditions(compiled, rule_file, ret, source, key)
    value_column = None
    value_name = compiled.argument.text.strip() if compiled.argument is not None else ""
    if compiled.measure.kind != "count" and not compiled.counts_tokens:
        assert compiled.argument is not None
        # The value each record adds to the figure: for a sum of workforce entries, its
        # part of the period, as the figure was computed.
        groupings = dict(rule_file.model.grouping)
        resolve = argument_resolver(
            compiled, source, groupings, ret.period.start, ret.period.end, ret.revision
        )
        value_column = to_sql(compiled.argument.tree, resolve)
        conditions.append(value_column.is_not(None))
        if apportions(compiled, source):
            value_name += " (its part of the period)"
    listing = select_records(source, conditions, value_column, value_name or "value")
    with engine.connect() as conn:
        rows = tuple(tuple(r) for r in conn.execute(listing.statement))
        if compiled.counts_tokens:
            value: Any = conn.execute(_token_count(compiled, rule_file, ret, key)).scalar()
            rows = tuple(dict.fromkeys(rows))
        collected = not collects(compiled) or _collected(conn, compiled, rule_file, ret, source)
    if not compiled.counts_tokens:
        items = [r[-1] for r in rows] if value_column is not None else list(rows)
        value = _aggregate(compiled.measure.kind, items)
    if not collected:
        value = None  # not collected: no value, never 0 (as the build said it)
    published = figure.total if not key else next(c for c in figure.cells if c.key == key)
    return Trace(
        figure.id,
        figure.label,
        compiled.measure.kind,
        source,
        key,
        listing.id_fields,
        rows,
        value,
        published,
        _sql_text(listing.statement, engine),
        listing.listed,
        listing.value_name,
        figure.line,
        (compiled.where.text.strip() if compiled.where is not None else ""),
        compiled.measure.round,
        collected,
    )


def _collected(
    conn: Connection, compiled: CompiledMeasure, rule_file: RuleFile, ret: Return, source: str
) -> bool:
    """As the build decides it (`compute.scans`): does any record of the period, at the
    return's revision, have a value for a field the measure reads? Groupings count as
    their field; with no field to read, any record of the period will do."""
    groupings = dict(rule_file.model.grouping)
    resolve = resolver(source, groupings, revision=ret.revision)
    names = [] if compiled.counts_tokens else read_fields(compiled)
    present = [resolve(groupings[n].field if n in groupings else n).is_not(None) for n in names]
    count = func.count(case((or_(*present), literal(1)))) if present else func.count()
    base = row_filter(
        source,
        ret.organisation,
        ret.period.start,
        ret.period.end,
        ret.revision,
        rule_of(rule_file.model),
    )
    return bool(conn.execute(select(count).select_from(from_clause(source)).where(base)).scalar())


def _conditions(
    compiled: CompiledMeasure, rule_file: RuleFile, ret: Return, source: str, key: CellKey
) -> list[ColumnElement[bool]]:
    resolve = resolver(source, dict(rule_file.model.grouping), revision=ret.revision)
    conditions = [
        row_filter(
            source,
            ret.organisation,
            ret.period.start,
            ret.period.end,
            ret.revision,
            rule_of(rule_file.model),
        )
    ]
    if compiled.where is not None:
        conditions.append(to_sql(compiled.where.tree, resolve))
    for field, code in zip(compiled.measure.by, key, strict=False):
        column = resolve(field)
        conditions.append(column.is_(None) if code is None else column == code)
    return conditions


def _token_count(compiled: CompiledMeasure, rule_file: RuleFile, ret: Return, key: CellKey) -> Any:
    conditions = _conditions(compiled, rule_file, ret, TOKENS, key)
    count = func.count(distinct(schema.member_token.c.token_hash))
    return select(count).select_from(from_clause(TOKENS)).where(and_(*conditions))


def _aggregate(kind: str, items: list[Any]) -> Any:
    if kind == "count":
        return len(items)
    if kind == "distinct":
        return len(set(items))
    if kind == "sum":
        total = sum(float(v) if not isinstance(v, int) else v for v in items)
        return total if items else 0
    if not items:
        return None
    chosen = min(items) if kind == "min" else max(items)
    return chosen.isoformat() if isinstance(chosen, dt.date) else chosen


def _sql_text(statement: Any, engine: Engine) -> str:
    """The statement as SQL text, values inline where the dialect can show them."""
    try:
        compiled = statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    except Exception:  # some types have no literal form on some dialects: show parameters
        compiled = statement.compile(dialect=engine.dialect)
        return f"{compiled}\n-- parameters: {compiled.params}"
    return str(compiled)
