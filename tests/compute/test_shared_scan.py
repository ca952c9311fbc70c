"""Differential test of the shared pass: measures with different `by` lists over one source,
computed in one pass (grouping sets on PostgreSQL, the finest grain added up on SQLite),
give what Python computes record by record, total and cell by cell.

hypothesis draws activity records and a rule file of several measures over them: counts,
integer and real sums, minima, maxima and distinct counts, each with a `where` and a `by`
list drawn from a few (none, one field, a grouping, two fields in either order), and a
record check. Python evaluates each measure's `where` and argument on every record with the
expression language's own evaluator.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert

from peerreport.compute import evaluate, grouping
from peerreport.compute.figures import Value
from peerreport.language import evaluate as evaluate_expression
from peerreport.rulebook import RuleFile
from peerreport.store import schema
from peerreport.store.records import ensure_organisation
from tests.compute.conftest import ORG

Q1 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
KINDS = ["one_to_one", "group", "warm_line_call", "education"]
MODES = [None, "in_person", "phone", "video"]
SERVICE_TYPE = {"peer": ["one_to_one", "group"], "phone": ["warm_line_call"]}  # other: "rest"
GROUPINGS = (
    "[grouping.service_type]\n"
    'field = "kind"\n'
    'other = "rest"\n'
    "[grouping.service_type.map]\n"
    'peer = ["one_to_one", "group"]\n'
    'phone = ["warm_line_call"]\n'
)
#: (kind, argument) of the measures drawn: every aggregate the pass computes.
AGGREGATES = [
    ("count", "activity"),
    ("sum", "attendance"),
    ("sum", "coalesce(first_time, 0)"),
    ("sum", "attendance / 4"),  # a real sum: not added up from finer cells on SQLite
    ("min", "date"),
    ("max", "attendance"),
    ("min", "duration_minutes"),
    ("distinct", "group_id"),
]
WHERES = [None, "member_led", "attendance > 3", "mode = 'phone'", "first_time is null"]
BYS: list[list[str]] = [[], ["mode"], ["kind"], ["service_type"], ["mode", "kind"]]
BYS += [["kind", "mode"], ["service_type", "mode"]]


@st.composite
def activities(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for i in range(draw(st.integers(0, 10))):
        rows.append(
            {
                "org": ORG,
                "activity_id": f"A{i}",
                "date": draw(st.sampled_from([dt.date(2026, 6, 30), Q1[0], dt.date(2026, 8, 9)])),
                "kind": draw(st.sampled_from(KINDS)),
                "mode": draw(st.sampled_from(MODES)),
                "attendance": draw(st.integers(0, 9)),
                "first_time": draw(st.none() | st.integers(0, 5)),
                "duration_minutes": draw(st.none() | st.integers(1, 90)),
                "group_id": draw(st.none() | st.sampled_from(["g1", "g2", "g3"])),
                "member_led": draw(st.booleans()),
                "co_facilitated": False,
                "community_session": False,
                "digest": "x",
                "valid_from": 1,
            }
        )
    return rows


@st.composite
def measures(draw: st.DrawFn) -> list[tuple[str, str, str | None, list[str]]]:
    """(kind, argument, where, by) of two to six measures."""
    drawn = []
    for _ in range(draw(st.integers(2, 6))):
        kind, argument = draw(st.sampled_from(AGGREGATES))
        drawn.append((kind, argument, draw(st.sampled_from(WHERES)), draw(st.sampled_from(BYS))))
    return drawn


def rule_text(drawn: list[tuple[str, str, str | None, list[str]]]) -> str:
    lines = ['[disclosure]\nmethod = "none"\n', GROUPINGS]
    for i, (kind, argument, where, by) in enumerate(drawn):
        lines.append(f'[[measure]]\nid = "m{i}"\n{kind} = "{argument}"\n')
        if where is not None:
            lines.append(f'where = "{where}"\n')
        if by:
            lines.append(f"by = {by!r}\n".replace("'", '"'))
    lines.append(
        '[[check]]\nid = "C-1"\nsource = "activity"\nassert = "attendance < 8"\n'
        'message = "{count} big"\n'
    )
    return "".join(lines)


def key_of(row: dict[str, Any], name: str) -> str | None:
    if name == "service_type":
        return next((c for c, codes in SERVICE_TYPE.items() if row["kind"] in codes), "rest")
    value = row[name]
    return None if value is None else str(value)


def expected(rule_file: RuleFile, ident: str, rows: list[dict[str, Any]]) -> dict[Any, Value]:
    """The measure's total (key ()) and every cell with records, computed in Python."""
    compiled = rule_file.measures[ident]
    kind = compiled.measure.kind
    values: dict[Any, list[Any]] = {}
    for row in rows:
        if compiled.where is not None and evaluate_expression(compiled.where.tree, row) is not True:
            continue
        value = 1 if kind == "count" else evaluate_expression(compiled.argument.tree, row)  # type: ignore[union-attr]
        keys = [()]
        if compiled.measure.by:
            keys.append(tuple(key_of(row, name) for name in compiled.measure.by))
        for key in keys:
            values.setdefault(key, []).append(value)
    result: dict[Any, Value] = {}
    for key, found in values.items():
        present = [v for v in found if v is not None]
        if kind in ("count", "sum"):
            result[key] = sum(present) if present else 0
        elif kind == "distinct":
            result[key] = len(set(present))
        else:
            result[key] = (min if kind == "min" else max)(present) if present else None
    if () not in result:
        result[()] = None if kind in ("min", "max") else 0
    return result


def same(got: Value, want: Value) -> bool:
    if isinstance(got, float) or isinstance(want, float):
        return got is not None and want is not None and math.isclose(got, want, abs_tol=1e-9)  # type: ignore[arg-type]
    return got == want


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=activities(), drawn=measures())
def test_one_pass_gives_what_python_computes(
    engine: Engine,
    rule_file: Callable[[str], RuleFile],
    rows: list[dict[str, Any]],
    drawn: list[tuple[str, str, str | None, list[str]]],
) -> None:
    rules = rule_file(rule_text(drawn))
    in_period = [r for r in rows if Q1[0] <= r["date"] <= Q1[1]]
    # Stored records are never deleted (triggers refuse it): each example rolls back.
    with engine.connect() as conn, conn.begin() as transaction:
        ensure_organisation(conn, ORG, "Test organisation")
        if rows:
            conn.execute(insert(schema.activity), rows)
        result = evaluate(conn, ORG, rules, *Q1)
        transaction.rollback()
    dialect = engine.dialect.name
    for ident in rules.measures:
        want = expected(rules, ident, in_period)
        figure = result.figures[ident]
        assert same(figure.value, want[()]), f"{dialect} {ident} total: {figure.value} {want[()]}"
        if not figure.by:
            continue
        cells = {c.key: c.value for c in figure.cells}
        assert set(want) - {()} <= set(cells), f"{dialect} {ident}: cells missing"
        empty: Value = None if figure.kind in ("min", "max") else 0
        for key, value in cells.items():
            assert same(value, want.get(key, empty)), f"{dialect} {ident} {key}: {value}"
    failing = any(r["attendance"] >= 8 for r in in_period)
    assert [f.code for f in result.findings] == (["C-1"] if failing else [])
    if failing:
        count = sum(r["attendance"] >= 8 for r in in_period)
        assert result.findings[0].message.startswith(f"{count} big")


def test_a_statement_per_set_where_one_pass_cannot_be_shared_gives_the_same_figures(
    engine: Engine, rule_file: Callable[[str], RuleFile], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Too fine a grain on SQLite, or too many columns for GROUPING() on PostgreSQL: a plain
    statement per `by` list, as before, with the same figures as the shared pass."""
    drawn = [
        ("count", "activity", None, ["kind", "mode"]),
        ("sum", "attendance", "member_led", ["mode"]),
        ("distinct", "group_id", None, ["service_type"]),
        ("max", "attendance", "attendance > 3", ["kind"]),
    ]
    rules = rule_file(rule_text(drawn))
    rows = [
        {
            "org": ORG, "activity_id": f"A{i}", "date": Q1[0], "kind": KINDS[i % 4],
            "mode": MODES[i % 3], "attendance": i, "first_time": None, "duration_minutes": None,
            "group_id": f"g{i % 2}", "member_led": i % 2 == 0, "co_facilitated": False,
            "community_session": False, "digest": "x", "valid_from": 1,
        }
        for i in range(9)
    ]  # fmt: skip
    with engine.connect() as conn, conn.begin() as transaction:
        ensure_organisation(conn, ORG, "Test organisation")
        conn.execute(insert(schema.activity), rows)
        shared = evaluate(conn, ORG, rules, *Q1).figures
        monkeypatch.setattr(grouping, "FINEST_CELLS", 0)
        monkeypatch.setattr(grouping, "GROUPING_COLUMNS", 0)
        apart = evaluate(conn, ORG, rules, *Q1).figures
        transaction.rollback()
    assert apart == shared
    for ident in rules.measures:
        want = expected(rules, ident, rows)
        assert shared[ident].value == want[()]
        assert all(shared[ident].cell(*key) == value for key, value in want.items() if key)
