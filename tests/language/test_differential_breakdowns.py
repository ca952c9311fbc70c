"""The SQL-vs-Python differential test over breakdowns: an activity's breakdown totals at a
revision, and the two breakdown sources (`breakdown`: counts by one dimension;
`cross_breakdown`: counts with a second dimension) row by row. Split from
test_differential.py, whose records, expressions and engines it uses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select

from peerreport.compute.breakdown_totals import totals
from peerreport.compute.tables import from_clause, resolver, row_filter
from peerreport.language import Binding, Expression, Scope, Type, evaluate, to_sql
from peerreport.rulebook.sources import BREAKDOWN_TOTALS, sources
from peerreport.store import schema
from tests.language.test_differential import (
    BOOLEAN_FIELDS,
    INTEGER_FIELDS,
    ORG,
    SCOPE,
    TEXT_FIELDS,
    engines,
    expression_batch,
    records,
    same,
)

__all__ = ["engines"]  # the module-scoped databases fixture, shared


# --- breakdown totals: an activity's breakdown counts added up, at a revision -------------------

TOTAL_FIELDS = list(BREAKDOWN_TOTALS)  # fields of `activity`, so in SCOPE
#: Integers are the totals as often as the recorded fields.
WITH_TOTALS = {
    Type.INTEGER: [*INTEGER_FIELDS, *TOTAL_FIELDS, *TOTAL_FIELDS],
    Type.REAL: [],
    Type.TEXT: TEXT_FIELDS,
    Type.DATE: ["date"],
    Type.TIME: ["start_time"],
    Type.BOOLEAN: BOOLEAN_FIELDS,
}
CATEGORIES = {
    "ethnicity": ["maori", "pacific"],
    "age_band": ["15_24"],
    "gender": ["female", "male"],
}
#: The cross-tabulated cells a breakdown row may hold: (dimension, category) × (dimension2,
#: category2), in both orders of the two dimensions.
CROSSED = [
    (("ethnicity", "maori"), ("age_band", "15_24")),
    (("ethnicity", "pacific"), ("age_band", "15_24")),
    (("ethnicity", "maori"), ("age_band", "25_44")),
    (("age_band", "15_24"), ("ethnicity", "maori")),
    (("gender", "female"), ("age_band", "15_24")),
]


@st.composite
def breakdown_rows(draw: st.DrawFn, activities: int) -> list[dict[str, Any]]:
    """Breakdown versions for A0..A{activities} (some of none): each key once, current or
    replaced at a later revision, so a revision sees some and not others."""
    rows = []
    for i in range(activities):
        for dimension, categories in CATEGORIES.items():
            for category in categories:
                if not draw(st.booleans()):
                    continue
                start = draw(st.integers(1, 3))
                end = draw(st.none() | st.integers(start + 1, 4))
                rows.append(
                    {
                        "org": ORG,
                        "activity_id": f"A{i}",
                        "dimension": dimension,
                        "category": category,
                        "dimension2": "",
                        "category2": "",
                        "count": draw(st.integers(0, 60)),
                        "digest": "x",
                        "valid_from": start,
                        "valid_to": end,
                    }
                )
        # Cross-tabulated counts: the totals never add them in (they count attendees the
        # counts by one dimension count already).
        for (dimension, category), (dimension2, category2) in CROSSED:
            if not draw(st.booleans()):
                continue
            start = draw(st.integers(1, 3))
            rows.append(
                {
                    "org": ORG,
                    "activity_id": f"A{i}",
                    "dimension": dimension,
                    "category": category,
                    "dimension2": dimension2,
                    "category2": category2,
                    "count": draw(st.integers(0, 60)),
                    "digest": "x",
                    "valid_from": start,
                    "valid_to": draw(st.none() | st.integers(start + 1, 4)),
                }
            )
    return rows


@st.composite
def records_with_breakdowns(
    draw: st.DrawFn,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int | None]:
    rows = draw(records())
    return rows, draw(breakdown_rows(len(rows))), draw(st.sampled_from([None, 1, 2, 3]))


def _visible(row: dict[str, Any], revision: int | None) -> bool:
    if revision is None:
        return row["valid_to"] is None
    return bool(row["valid_from"] <= revision and (row["valid_to"] or 99) > revision)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=records_with_breakdowns(), texts=expression_batch(WITH_TOTALS))
def test_breakdown_totals_agree_at_every_revision(
    engines: list[Engine],
    drawn: tuple[list[dict[str, Any]], list[dict[str, Any]], int | None],
    texts: list[str],
) -> None:
    """`breakdown_total_*` in SQL (a subquery at the revision read) is what Python adds up
    from the breakdown versions current at that revision, in any expression."""
    rows, breakdowns, revision = drawn
    texts = [*TOTAL_FIELDS, "breakdown_total_age_band <= attendance", *texts]
    compiled = [Expression.compile(t, SCOPE) for t in texts]
    seen = [b for b in breakdowns if _visible(b, revision)]
    expected = {
        r["activity_id"]: [
            evaluate(c.tree, {**r, **totals(r["activity_id"], seen)}) for c in compiled
        ]
        for r in rows
    }
    resolve = resolver("activity", {}, revision=revision)
    activity = schema.activity
    for engine in engines:
        with engine.connect() as conn, conn.begin() as transaction:
            conn.execute(insert(activity), [{**r, "valid_from": 1} for r in rows])
            if breakdowns:
                conn.execute(insert(schema.activity_breakdown), breakdowns)
            query = select(activity.c.activity_id, *(to_sql(c.tree, resolve) for c in compiled))
            got = {row[0]: row[1:] for row in conn.execute(query.where(activity.c.org == ORG))}
            transaction.rollback()
        for activity_id, want in expected.items():
            for i, value in enumerate(got[activity_id]):
                assert same(value, want[i]), (
                    f"{engine.dialect.name} at revision {revision}: {texts[i]!r} on "
                    f"{activity_id} gave {value!r}, Python gave {want[i]!r}"
                )


# --- breakdown sources: counts by one dimension, and cross-tabulated counts ------------------

CROSS_SCOPE = Scope.of(
    "fields",
    [
        Binding(b.name, b.type, "field")
        for b in sources()["cross_breakdown"].fields
        if b.type is not Type.TOKEN
    ],
)
CROSS_FIELDS = {
    **WITH_TOTALS,
    Type.INTEGER: [*INTEGER_FIELDS, "count", "count"],
    Type.TEXT: [*TEXT_FIELDS, "dimension", "category", "dimension2", "category2"],
}
_BREAKDOWN_KEY = ("activity_id", "dimension", "category", "dimension2", "category2")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=records_with_breakdowns(), texts=expression_batch(CROSS_FIELDS))
def test_breakdown_sources_agree_row_by_row(
    engines: list[Engine],
    drawn: tuple[list[dict[str, Any]], list[dict[str, Any]], int | None],
    texts: list[str],
) -> None:
    """`cross_breakdown` is the breakdown rows with a second dimension, joined to their
    activity, and `breakdown` the rest: in SQL (the source's join and row filter) each row
    and each expression over its fields is what Python gives over the same rows."""
    rows, breakdowns, revision = drawn
    texts = ["dimension2 = 'age_band' and category = 'maori'", "count + attendance", *texts]
    compiled = [Expression.compile(t, CROSS_SCOPE) for t in texts]
    activities = {r["activity_id"]: r for r in rows}
    seen = [b for b in breakdowns if _visible(b, revision)]
    expected = {
        source: {
            tuple(b[k] for k in _BREAKDOWN_KEY): [
                evaluate(c.tree, {**activities[b["activity_id"]], **b}) for c in compiled
            ]
            for b in seen
            if bool(b["dimension2"]) == (source == "cross_breakdown")
        }
        for source in ("breakdown", "cross_breakdown")
    }
    table = schema.activity_breakdown
    for engine in engines:
        with engine.connect() as conn, conn.begin() as transaction:
            conn.execute(insert(schema.activity), [{**r, "valid_from": 1} for r in rows])
            if breakdowns:
                conn.execute(insert(table), breakdowns)
            got: dict[str, dict[tuple[Any, ...], list[Any]]] = {}
            for source, wanted in expected.items():
                resolve = resolver("cross_breakdown", {}, revision=revision)
                shown = compiled if source == "cross_breakdown" else []
                query = (
                    select(
                        *(table.c[k] for k in _BREAKDOWN_KEY),
                        *(to_sql(c.tree, resolve) for c in shown),
                    )
                    .select_from(from_clause(source))
                    .where(
                        row_filter(source, ORG, dt.date(2000, 1, 1), dt.date(2100, 1, 1), revision)
                    )
                )
                got[source] = {tuple(r[:5]): list(r[5:]) for r in conn.execute(query)}
                assert set(got[source]) == set(wanted), f"{engine.dialect.name}: {source}"
            transaction.rollback()
        for key, want in expected["cross_breakdown"].items():
            for i, value in enumerate(got["cross_breakdown"][key]):
                assert same(value, want[i]), (
                    f"{engine.dialect.name} at revision {revision}: {texts[i]!r} on {key} "
                    f"gave {value!r}, Python gave {want[i]!r}"
                )
