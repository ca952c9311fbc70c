"""Tracing a figure to the records behind it: the measure's own filter, compiled to SQL.

The statement is built from the same pieces the compute stage uses for the
figure (`compute.tables`: the source's FROM clause, the organisation and
period filter, the measure's `where` through `language.to_sql`, groupings),
plus, for a breakdown cell, one equality per `by` field. So the rows listed
are exactly the rows the figure aggregates: a count figure equals the number
of rows, a sum figure their sum. Member tokens are never listed; for a
distinct count of them the activities are, and their number of distinct
tokens is the figure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, distinct, func, select
from sqlalchemy.sql.elements import ColumnElement

from peerreport.compute.tables import TOKENS, from_clause, id_columns, resolver, row_filter
from peerreport.errors import UsageError
from peerreport.language import to_sql
from peerreport.returns.model import PublishedCell, Return, ReturnFigure
from peerreport.rulebook.compiled import CompiledMeasure, RuleFile
from peerreport.rulebook.sources import sources
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
    rows: tuple[tuple[Any, ...], ...]  # id values, then the value aggregated (if any)
    value: int | float | str | None  # the figure as the records give it, before disclosure
    published: PublishedCell
    sql: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "measure": self.measure,
            "label": self.label,
            "kind": self.kind,
            "source": self.source,
            "cell": list(self.cell),
            "id_fields": list(self.id_fields),
            "records": [list(_jsonable(v) for v in row) for row in self.rows],
            "count": len(self.rows),
            "value": self.value,
            "published": self.published.to_dict(),
            "sql": self.sql,
        }


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
    engine: Engine, ret: Return, rule_file: RuleFile, measure_id: str, cell: str | None = None
) -> Trace:
    """The records behind `measure_id` (and one cell of it) in `ret`."""
    compiled = rule_file.measures.get(measure_id)
    try:
        figure = ret.figure(measure_id)
    except KeyError:
        figure = None
    if compiled is None or figure is None:
        known = ", ".join(f.id for f in ret.figures)
        raise UsageError(f"the return has no measure {measure_id!r}; its measures: {known}")
    if compiled.argument is not None and compiled.measure.kind == "expr":
        used = ", ".join(compiled.argument.names())
        raise UsageError(
            f"{measure_id} is derived ({compiled.argument.text.strip()}); "
            f"trace the measures it uses: {used}"
        )
    key = parse_cell(figure, cell)
    source = TOKENS if compiled.counts_tokens else compiled.measure.record_source or "activity"
    statement, id_fields, value_column = _statement(compiled, rule_file, ret, source, key)
    with engine.connect() as conn:
        rows = tuple(tuple(r) for r in conn.execute(statement))
        if compiled.counts_tokens:
            value: Any = conn.execute(_token_count(compiled, rule_file, ret, key)).scalar()
            rows = tuple(dict.fromkeys(rows))
    if not compiled.counts_tokens:
        value = _aggregate(compiled.measure.kind, [r[-1] for r in rows] if value_column else rows)
    published = figure.total if not key else next(c for c in figure.cells if c.key == key)
    return Trace(
        measure_id,
        figure.label,
        compiled.measure.kind,
        source,
        key,
        id_fields,
        rows,
        value,
        published,
        _sql_text(statement, engine),
    )


def _conditions(
    compiled: CompiledMeasure, rule_file: RuleFile, ret: Return, source: str, key: CellKey
) -> list[ColumnElement[bool]]:
    resolve = resolver(source, dict(rule_file.model.grouping))
    conditions = [
        row_filter(source, ret.organisation, ret.period.start, ret.period.end, ret.revision)
    ]
    if compiled.where is not None:
        conditions.append(to_sql(compiled.where.tree, resolve))
    for field, code in zip(compiled.measure.by, key, strict=False):
        column = resolve(field)
        conditions.append(column.is_(None) if code is None else column == code)
    return conditions


def _statement(
    compiled: CompiledMeasure, rule_file: RuleFile, ret: Return, source: str, key: CellKey
) -> tuple[Any, tuple[str, ...], bool]:
    base = "activity" if source == TOKENS else source
    id_fields = sources()[base].id_fields
    conditions = _conditions(compiled, rule_file, ret, source, key)
    columns = id_columns(base, id_fields)
    has_value = compiled.measure.kind != "count" and not compiled.counts_tokens
    if has_value:
        assert compiled.argument is not None
        resolve = resolver(source, dict(rule_file.model.grouping))
        value = to_sql(compiled.argument.tree, resolve)
        conditions.append(value.is_not(None))
        columns.append(value.label("value"))
    query = select(*columns).select_from(from_clause(source)).where(and_(*conditions))
    return query.order_by(*id_columns(base, id_fields)), id_fields, has_value


def _token_count(compiled: CompiledMeasure, rule_file: RuleFile, ret: Return, key: CellKey) -> Any:
    conditions = _conditions(compiled, rule_file, ret, TOKENS, key)
    count = func.count(distinct(schema.member_token.c.token_hash))
    return select(count).select_from(from_clause(TOKENS)).where(and_(*conditions))


def _aggregate(kind: str, values: Any) -> Any:
    items = list(values)
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
