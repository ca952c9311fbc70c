"""Differential test: SQLite, PostgreSQL and the Python evaluator agree on every expression.

hypothesis draws a batch of random activity records (NULLs wherever the schema
allows them) and a batch of random well-typed expressions over them; each
expression is evaluated by SQL on every backend and in Python, record by
record, and the three must agree (numbers to within rounding error of the same
double-precision arithmetic, which in practice is exact).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select, text

from peerreport.compute.apportion import apportioned, counts_in
from peerreport.compute.tables import resolver, row_filter
from peerreport.language import (
    Binding,
    Define,
    Expression,
    ExpressionError,
    Scope,
    Type,
    evaluate,
    parse,
    to_sql,
)
from peerreport.rulebook.scopes import source_scope
from peerreport.rulebook.sources import sources
from peerreport.store import schema
from peerreport.store.database import open_engine, upgrade

ORG = "DIFF"
# The vocabulary check is tested elsewhere; here any text may be compared with any field.
SCOPE = Scope.of(
    "fields",
    [
        Binding(b.name, b.type, "field")
        for b in sources()["activity"].fields
        if b.type is not Type.TOKEN
    ],
)
INTEGER_FIELDS = ["attendance", "duration_minutes", "first_time", "peer_workers", "volunteers"]
TEXT_FIELDS = ["kind", "mode", "programme", "topic", "group_id"]
BOOLEAN_FIELDS = ["member_led", "co_facilitated", "community_session"]
WORDS = ["a", "A", "b", "ā", "Ā", "group", "x y", ""]
DATES = [dt.date(2026, 1, 31), dt.date(2026, 7, 1), dt.date(2026, 12, 25), dt.date(2028, 2, 29)]
# Sunday and Monday too, the ends of the ISO week that weekday() must get right.
DATES += [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]
TIMES = [dt.time(0, 0), dt.time(8, 59), dt.time(9, 0), dt.time(12, 30), dt.time(17, 0)]
TIMES += [dt.time(23, 59)]


@pytest.fixture(scope="module")
def engines() -> Iterator[list[Engine]]:
    """A migrated in-memory SQLite database, and a PostgreSQL schema when configured."""
    made = [open_engine("sqlite://")]
    upgrade(made[0])
    pg_url = os.environ.get("PEERREPORT_TEST_POSTGRES_URL")
    cleanup = None
    if pg_url:
        name = "d_" + uuid.uuid4().hex[:12]
        admin = open_engine(pg_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        sep = "&" if "?" in pg_url else "?"
        pg = open_engine(f"{pg_url}{sep}options={quote(f'-csearch_path={name}')}")
        upgrade(pg)
        made.append(pg)
        cleanup = (admin, name)
    for engine in made:
        with engine.begin() as conn:
            conn.execute(
                insert(schema.organisation).values(
                    org=ORG, name="x", created_at=dt.datetime.now(dt.UTC)
                )
            )
    yield made
    for engine in made:
        engine.dispose()
    if cleanup:
        admin, name = cleanup
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


small = st.integers(min_value=-20, max_value=100)


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=1, max_value=6))
    rows = []
    for i in range(count):
        row: dict[str, Any] = {
            "org": ORG,
            "activity_id": f"A{i}",
            "date": draw(st.sampled_from(DATES)),
            "start_time": draw(st.none() | st.sampled_from(TIMES)),
            "kind": draw(st.sampled_from(WORDS)),
            "attendance": draw(st.integers(min_value=0, max_value=100)),
            "member_led": draw(st.booleans()),
            "co_facilitated": draw(st.booleans()),
            "community_session": draw(st.booleans()),
            "digest": "x",
        }
        for name in INTEGER_FIELDS[1:]:
            row[name] = draw(st.none() | st.integers(min_value=0, max_value=100))
        for name in TEXT_FIELDS[1:]:
            row[name] = draw(st.none() | st.sampled_from(WORDS))
        rows.append(row)
    return rows


class Generator:
    """Random well-typed expression text, driven by a hypothesis-seeded Random."""

    def __init__(self, rng: random.Random, fields: dict[Type, list[str]] | None = None) -> None:
        self.rng = rng
        self.fields = fields or {
            Type.INTEGER: INTEGER_FIELDS,
            Type.REAL: [],
            Type.TEXT: TEXT_FIELDS,
            Type.DATE: ["date"],
            Type.TIME: ["start_time"],
            Type.BOOLEAN: BOOLEAN_FIELDS,
        }

    def leaf(self, t: Type) -> str:
        r = self.rng
        fields = self.fields[t]
        if fields and r.random() < 0.5:
            return r.choice(fields)
        if t is Type.INTEGER:
            return str(r.randint(-20, 100))
        if t is Type.REAL:
            return r.choice(["0.5", "2.25", "0.1", "3.0", "-1.5"])
        if t is Type.TEXT:
            return f"'{r.choice(WORDS)}'"
        if t is Type.DATE:
            return f"date('{r.choice(DATES).isoformat()}')"
        if t is Type.TIME:
            return f"time('{r.choice(TIMES).strftime('%H:%M')}')"
        return r.choice(["true", "false"])

    def nullable(self, t: Type, depth: int) -> str:
        return "null" if self.rng.random() < 0.2 else self.expr(t, depth)

    def number(self, depth: int) -> str:
        return self.expr(self.rng.choice([Type.INTEGER, Type.REAL]), depth)

    def expr(self, t: Type, depth: int) -> str:
        r = self.rng
        if depth <= 0 or r.random() < 0.25:
            return self.leaf(t)
        d = depth - 1
        if t is Type.INTEGER:
            choice = r.randrange(9)
            if choice == 0:
                return f"({self.nullable(t, d)} {r.choice('+-*')} {self.expr(t, d)})"
            if choice == 1:
                return f"-({self.expr(t, d)})"
            if choice == 2:
                return f"abs({self.nullable(t, d)})"
            if choice == 3:
                return f"length({self.nullable(Type.TEXT, d)})"
            if choice == 4:
                return f"{r.choice(['year', 'month', 'day'])}({self.nullable(Type.DATE, d)})"
            if choice == 5:
                first, second = self.nullable(Type.DATE, d), self.expr(Type.DATE, d)
                return f"days_between({first}, {second})"
            if choice == 6:
                return f"{r.choice(['hour', 'minute'])}({self.nullable(Type.TIME, d)})"
            if choice == 7:
                return f"weekday({self.nullable(Type.DATE, d)})"
            return f"coalesce({self.nullable(t, d)}, {self.expr(t, d)})"
        if t is Type.REAL:
            choice = r.randrange(3)
            if choice == 0:
                return f"({self.nullable(Type.INTEGER, d)} / {self.number(d)})"
            if choice == 1:
                return f"({self.expr(t, d)} {r.choice('+-*/')} {self.number(d)})"
            return f"coalesce({self.nullable(t, d)}, {self.number(d)})"
        if t is Type.TEXT:
            if r.random() < 0.5:
                return f"{r.choice(['lower', 'upper'])}({self.nullable(t, d)})"
            return f"coalesce({self.nullable(t, d)}, {self.expr(t, d)})"
        if t in (Type.DATE, Type.TIME):
            return f"coalesce({self.nullable(t, d)}, {self.expr(t, d)})"
        return f"({self.condition(d)})"

    def condition(self, d: int) -> str:
        r = self.rng
        choice = r.randrange(11)
        if choice == 9:
            op = r.choice(["=", "!=", "<", "<=", ">", ">="])
            return f"{self.expr(Type.TIME, d)} {op} {self.expr(Type.TIME, d)}"
        if choice == 0:
            op = r.choice(["=", "!=", "<", "<=", ">", ">="])
            return f"{self.number(d)} {op} {self.number(d)}"
        if choice == 1:
            return (
                f"{self.expr(Type.DATE, d)} {r.choice(['=', '<', '>='])} {self.expr(Type.DATE, d)}"
            )
        if choice == 2:
            return f"{self.expr(Type.TEXT, d)} {r.choice(['=', '!='])} {self.expr(Type.TEXT, d)}"
        if choice == 3:
            left, right = self.expr(Type.BOOLEAN, d), self.expr(Type.BOOLEAN, d)
            return f"{left} {r.choice(['=', '!='])} {right}"
        if choice == 4:
            kind = r.choice([Type.INTEGER, Type.TEXT])
            items = ", ".join(self.expr(kind, d) for _ in range(r.randint(1, 3)))
            return f"{self.expr(kind, d)} {r.choice(['in', 'not in'])} ({items})"
        if choice == 5:
            kind = r.choice([Type.INTEGER, Type.REAL, Type.DATE, Type.TIME])
            low, high = self.expr(kind, d), self.expr(kind, d)
            return f"{self.expr(kind, d)} {r.choice(['between', 'not between'])} {low} and {high}"
        if choice == 6:
            kind = r.choice(
                [Type.INTEGER, Type.REAL, Type.TEXT, Type.DATE, Type.TIME, Type.BOOLEAN]
            )
            return f"{self.nullable(kind, d)} {r.choice(['is null', 'is not null'])}"
        if choice == 7:
            return f"not {self.nullable(Type.BOOLEAN, d)}"
        op = r.choice(["and", "or"])
        return f"{self.nullable(Type.BOOLEAN, d)} {op} {self.nullable(Type.BOOLEAN, d)}"


@st.composite
def expression_batch(draw: st.DrawFn, fields: dict[Type, list[str]] | None = None) -> list[str]:
    """Twelve random expressions of mixed types."""
    generator = Generator(draw(st.randoms(use_true_random=False)), fields)
    kinds = [Type.BOOLEAN, Type.BOOLEAN, Type.INTEGER, Type.REAL, Type.TEXT, Type.DATE, Type.TIME]
    return [generator.expr(generator.rng.choice(kinds), 4) for _ in range(12)]


def same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b if isinstance(a, bool) and isinstance(b, bool) else False
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, str) and isinstance(b, dt.date):
        return a == b.isoformat()
    if isinstance(a, str) and isinstance(b, dt.time):
        return dt.time.fromisoformat(a) == b
    return bool(a == b)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=records(), texts=expression_batch())
def test_sql_and_python_agree(
    engines: list[Engine], rows: list[dict[str, Any]], texts: list[str]
) -> None:
    assert_agree(engines, rows, texts)


def test_not_and_is_null_keep_their_meaning_on_every_engine(engines: list[Engine]) -> None:
    """Found by the differential test: PostgreSQL binds IS tighter than NOT."""
    row = {
        "org": ORG,
        "activity_id": "r1",
        "date": dt.date(2026, 7, 1),
        "kind": "group",
        "attendance": 3,
        "first_time": None,
        "member_led": False,
        "co_facilitated": False,
        "community_session": False,
        "digest": "x",
    }
    assert_agree(
        engines,
        [row],
        [
            "(not null) is null",
            "not (first_time is null)",
            "(not member_led) is not null",
            "not attendance between 1 and 2",
        ],
    )


def test_a_time_not_recorded_is_never_out_of_hours(engines: list[Engine]) -> None:
    """A call without a start time is neither before 09:00 nor after 17:00, on every engine:
    the condition is null (not true), so a `where` leaves the record out."""
    base = {
        "org": ORG,
        "date": dt.date(2026, 3, 1),  # a Sunday
        "kind": "warm_line_call",
        "attendance": 1,
        "member_led": False,
        "co_facilitated": False,
        "community_session": False,
        "digest": "x",
    }
    rows = [
        {**base, "activity_id": "late", "start_time": dt.time(17, 30)},
        {**base, "activity_id": "unknown", "start_time": None},
    ]
    texts = [
        "start_time < time('09:00') or start_time >= time('17:00')",
        "hour(start_time) >= 17",
        "start_time is null",
        "weekday(date) = 7",
        "minute(start_time)",
    ]
    compiled = [Expression.compile(t, SCOPE) for t in texts]
    assert [evaluate(c.tree, rows[1]) for c in compiled] == [None, None, True, True, None]
    assert [evaluate(c.tree, rows[0]) for c in compiled] == [True, True, False, True, 30]
    assert_agree(engines, rows, texts)


def assert_agree(
    engines: list[Engine], rows: list[dict[str, Any]], texts: list[str], scope: Scope = SCOPE
) -> None:
    """Every engine's SQL gives what the Python evaluator gives, row by row."""
    compiled = [Expression.compile(t, scope) for t in texts]
    resolve = resolver("activity", {})
    by_id = {r["activity_id"]: r for r in rows}
    expected = {
        (i, r["activity_id"]): evaluate(c.tree, r) for i, c in enumerate(compiled) for r in rows
    }
    activity = schema.activity
    for engine in engines:
        # Stored records are never deleted (triggers refuse it): each example's rows
        # live in a transaction that is rolled back.
        with engine.connect() as conn, conn.begin() as transaction:
            conn.execute(insert(activity), [{**r, "valid_from": 1} for r in rows])
            query = select(activity.c.activity_id, *(to_sql(c.tree, resolve) for c in compiled))
            query = query.where(activity.c.org == ORG)
            for row in conn.execute(query):
                for i, value in enumerate(row[1:]):
                    want = expected[(i, row[0])]
                    assert same(value, want), (
                        f"{engine.dialect.name}: {texts[i]!r} on {by_id[row[0]]} gave {value!r}, "
                        f"Python gave {want!r}"
                    )
            transaction.rollback()


@st.composite
def defines_and_uses(draw: st.DrawFn) -> tuple[dict[str, str], list[str]]:
    """Random defines (each may use the ones before it) and expressions that use them."""
    rng = draw(st.randoms(use_true_random=False))
    fields: dict[Type, list[str]] = {
        Type.INTEGER: list(INTEGER_FIELDS),
        Type.REAL: [],
        Type.TEXT: list(TEXT_FIELDS),
        Type.DATE: ["date"],
        Type.TIME: ["start_time"],
        Type.BOOLEAN: list(BOOLEAN_FIELDS),
    }
    kinds = [Type.BOOLEAN, Type.INTEGER, Type.REAL, Type.TEXT, Type.DATE, Type.TIME]
    defines: dict[str, str] = {}
    for i in range(4):
        kind = rng.choice(kinds)
        defines[f"d{i}"] = Generator(rng, fields).expr(kind, 2)
        fields[kind] = [*fields[kind], f"d{i}", f"d{i}"]  # used often
    generator = Generator(rng, fields)
    return defines, [generator.expr(rng.choice(kinds), 3) for _ in range(8)]


def written_out(text: str, defines: dict[str, str]) -> str:
    """The text with every define written inline in brackets, as a funder would without them."""
    return re.sub(r"\bd\d\b", lambda m: f"({written_out(defines[m.group(0)], defines)})", text)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=records(), drawn=defines_and_uses())
def test_defines_agree_with_the_inline_formula_in_sql_and_python(
    engines: list[Engine], rows: list[dict[str, Any]], drawn: tuple[dict[str, str], list[str]]
) -> None:
    """A define is its formula written inline: the same tree, and SQL and Python agree on it."""
    defines, texts = drawn
    scope = replace(SCOPE, defines={n: Define(n, t, parse(t)) for n, t in defines.items()})
    kept = []
    for used in texts:
        try:
            compiled = Expression.compile(used, scope)
        except ExpressionError as exc:
            assert exc.code == "limit", exc  # written out, too deep for the databases
            continue
        inline = Expression.compile(written_out(used, defines), SCOPE)
        assert compiled.tree == inline.tree, used
        assert compiled.type == inline.type
        kept.append(used)
    assert_agree(engines, rows, kept, scope)


WORKFORCE_FIELDS = {
    Type.INTEGER: ["paid_headcount", "volunteer_count"],
    Type.REAL: ["paid_fte", "volunteer_hours", "supervision_hours", "training_hours"],
    Type.TEXT: ["role", "programme"],
    Type.DATE: ["period_start", "period_end"],
    Type.TIME: [],
    Type.BOOLEAN: [],
}
WORKFORCE_SCOPE = Scope.of(
    "fields", [Binding(b.name, b.type, "field") for b in sources()["workforce"].fields]
)
decimals = st.decimals(min_value=0, max_value=200, places=2, allow_nan=False)


@st.composite
def workforce_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for i in range(draw(st.integers(min_value=1, max_value=5))):
        start = draw(st.sampled_from(DATES))
        rows.append(
            {
                "org": ORG,
                "period_start": start,
                "period_end": start + dt.timedelta(days=draw(st.integers(0, 400))),
                "role": f"r{i}",
                "programme": draw(st.sampled_from(["", "a", "Ā"])),  # '' is read as null
                "paid_fte": draw(decimals),
                "paid_headcount": draw(st.none() | st.integers(0, 50)),
                "volunteer_count": draw(st.none() | st.integers(0, 50)),
                "volunteer_hours": draw(decimals),
                "supervision_hours": draw(decimals),
                "training_hours": draw(decimals),
                "digest": "x",
            }
        )
    return rows


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=workforce_rows(), texts=expression_batch(WORKFORCE_FIELDS))
def test_decimal_fields_agree(
    engines: list[Engine], rows: list[dict[str, Any]], texts: list[str]
) -> None:
    """Decimal columns are read as double precision by SQL, as floats by Python."""
    compiled = [Expression.compile(t, WORKFORCE_SCOPE) for t in texts]
    resolve = resolver("workforce", {})
    table = schema.workforce
    python_rows = [{**r, "programme": r["programme"] or None} for r in rows]
    expected = [[evaluate(c.tree, r) for c in compiled] for r in python_rows]
    for engine in engines:
        with engine.connect() as conn, conn.begin() as transaction:
            conn.execute(insert(table), [{**r, "valid_from": 1} for r in rows])
            query = select(table.c.role, *(to_sql(c.tree, resolve) for c in compiled))
            got = {row[0]: row[1:] for row in conn.execute(query.where(table.c.org == ORG))}
            transaction.rollback()
        for row, want in zip(rows, expected, strict=True):
            for i, value in enumerate(got[row["role"]]):
                assert same(value, want[i]), f"{engine.dialect.name}: {texts[i]!r} on {row}"


# --- apportioned values: what a `sum` over workforce entries adds up ---------------------------

#: In a `sum`, averaged headcounts are real numbers (see rulebook.scopes).
SUM_FIELDS = {
    Type.INTEGER: [],
    Type.REAL: [
        "paid_fte",
        "paid_headcount",
        "volunteer_count",
        "volunteer_hours",
        "supervision_hours",
        "training_hours",
    ],
    Type.TEXT: ["role", "programme"],
    Type.DATE: ["period_start", "period_end"],
    Type.TIME: [],
    Type.BOOLEAN: [],
}
SUM_SCOPE = Scope.of(
    "fields",
    [
        Binding(b.name, b.type, "field")
        for b in source_scope("workforce", {}, apportioned=True).bindings.values()
    ],
)
PERIODS = [
    (dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
    (dt.date(2026, 1, 31), dt.date(2026, 1, 31)),
    (dt.date(2025, 7, 1), dt.date(2026, 6, 30)),
    (dt.date(2026, 8, 17), dt.date(2027, 2, 3)),
]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=workforce_rows(),
    texts=expression_batch(SUM_FIELDS),
    period=st.sampled_from(PERIODS),
)
def test_apportioned_fields_agree(
    engines: list[Engine],
    rows: list[dict[str, Any]],
    texts: list[str],
    period: tuple[dt.date, dt.date],
) -> None:
    """The entries a period counts, and each field as a `sum` over it sees it (its part of the
    period), are the same in SQL on every backend and in Python (`compute.apportion`)."""
    compiled = [Expression.compile(t, SUM_SCOPE) for t in texts]
    resolve = resolver("workforce", {}, period)
    table = schema.workforce
    python_rows = [{**r, "programme": r["programme"] or None} for r in rows]
    expected = {
        r["role"]: [evaluate(c.tree, apportioned("workforce", r, *period)) for c in compiled]
        for r in python_rows
        if counts_in("workforce", r, *period)
    }
    for engine in engines:
        with engine.connect() as conn, conn.begin() as transaction:
            conn.execute(insert(table), [{**r, "valid_from": 1} for r in rows])
            query = select(table.c.role, *(to_sql(c.tree, resolve) for c in compiled)).where(
                row_filter("workforce", ORG, *period)
            )
            got = {row[0]: row[1:] for row in conn.execute(query)}
            transaction.rollback()
        assert set(got) == set(expected), f"{engine.dialect.name}: entries counted in {period}"
        for role, want in expected.items():
            for i, value in enumerate(got[role]):
                assert same(value, want[i]), f"{engine.dialect.name}: {texts[i]!r} on {role}"
