"""[counting]: a return counts records by their purchase unit, the same in SQL and Python."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select

from peerreport.audit.trace import Trace, trace
from peerreport.compute import evaluate
from peerreport.compute.tables import row_filter
from peerreport.findings import Severity
from peerreport.returns.build import build_return
from peerreport.returns.periods import Period
from peerreport.rulebook import RuleFile
from peerreport.rulebook.counting import UnitRule
from peerreport.rulebook.diff import diff
from peerreport.rulebook.meaning import meaning_digest
from peerreport.rulebook.problems import RuleFileInvalid
from peerreport.store import schema
from peerreport.store.records import content_digest
from tests.compute.conftest import ORG, activity

Q1 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))

MEASURES = (
    'purchase_units = ["MHC36F", "MHC37"]\n'
    '[[measure]]\nid = "sessions"\ncount = "activity"\n'
    '[[measure]]\nid = "people"\nsum = "attendance"\n'
    '[[measure]]\nid = "by_gender"\nsource = "breakdown"\nsum = "count"\nby = ["category"]\n'
    "where = \"dimension = 'gender'\"\n"
    '[[measure]]\nid = "fte"\nsource = "workforce"\nsum = "paid_fte"\nround = 2\n'
    '[[check]]\nid = "small"\nsource = "activity"\nassert = "attendance < 10"\nmessage = "big"\n'
)


def _records(store: Callable[..., None]) -> None:
    store(
        activities=[
            activity("A", purchase_unit="MHC36F", attendance=3),
            activity("B", purchase_unit="mhc37", attendance=4),  # read as MHC37
            activity("C", purchase_unit="OTHER1", attendance=50),
            activity("D", attendance=12),  # no purchase unit
        ],
        breakdowns=[
            {"activity_id": "A", "dimension": "gender", "category": "female", "count": 3},
            {"activity_id": "C", "dimension": "gender", "category": "female", "count": 50},
            {"activity_id": "D", "dimension": "gender", "category": "male", "count": 12},
        ],
        workforce=[
            {"period_start": "2026-07-01", "period_end": "2026-09-30", "role": "advocate",
             "paid_fte": "1", "purchase_unit": "MHC36F"},
            {"period_start": "2026-07-01", "period_end": "2026-09-30", "role": "educator",
             "paid_fte": "2", "purchase_unit": "OTHER1"},
            {"period_start": "2026-07-01", "period_end": "2026-09-30", "role": "coordinator",
             "paid_fte": "4"},
        ],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("counting", "sessions", "people", "female", "male", "fte", "failing"),
    [
        ("", 4, 69, 53, 12, 7.0, 2),  # no [counting]: every record, as before
        ('purchase_units = "all"', 4, 69, 53, 12, 7.0, 2),
        ('purchase_units = "all"\nunassigned = "exclude"', 3, 57, 53, 0, 3.0, 1),
        ('purchase_units = "only"', 3, 19, 3, 12, 5.0, 1),
        ('purchase_units = "only"\nunassigned = "exclude"', 2, 7, 3, 0, 1.0, 0),
    ],
)
def test_counting_restricts_every_measure_and_check(
    engine: Engine,
    rule_file: Callable[[str], RuleFile],
    store: Callable[..., None],
    counting: str,
    sessions: int,
    people: int,
    female: int,
    male: int,
    fte: float,
    failing: int,
) -> None:
    table = f"[counting]\n{counting}\n" if counting else ""
    rules = rule_file(MEASURES + table)
    _records(store)
    result = evaluate(engine, ORG, rules, *Q1)
    assert result.figures["sessions"].value == sessions
    assert result.figures["people"].value == people
    cells = {c.key: c.value for c in result.figures["by_gender"].cells}
    assert (cells[("female",)], cells[("male",)]) == (female, male)
    assert result.figures["fte"].value == fte
    outcome = next(c for c in result.outcomes if c.check == "small")
    assert outcome.failures == failing


def test_counting_is_meaning_and_only_needs_purchase_units(
    rule_file: Callable[[str], RuleFile],
) -> None:
    plain = rule_file(MEASURES)
    counted = rule_file(MEASURES + '[counting]\npurchase_units = "only"\n')
    assert meaning_digest(plain.model) != meaning_digest(counted.model)
    other_units = rule_file(
        MEASURES.replace('"MHC36F", "MHC37"', '"MHC99"') + '[counting]\npurchase_units = "only"\n'
    )
    assert meaning_digest(other_units.model) != meaning_digest(counted.model)
    with pytest.raises(RuleFileInvalid, match="purchase_units"):
        rule_file('[counting]\npurchase_units = "only"\n')


def test_purchase_units_without_only_stay_presentation(
    rule_file: Callable[[str], RuleFile],
) -> None:
    one = rule_file(MEASURES)
    two = rule_file(MEASURES.replace('"MHC36F", "MHC37"', '"MHC99"'))
    assert meaning_digest(one.model) == meaning_digest(two.model)


UNITS = ["MHC36F", "MHC37", "OTHER1", None]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    units=st.lists(st.sampled_from(UNITS), min_size=1, max_size=12),
    listed=st.one_of(st.none(), st.sets(st.sampled_from(UNITS[:3]), max_size=3)),
    unassigned=st.booleans(),
)
def test_sql_and_python_agree_on_which_records_count(
    engine: Engine, units: list[str | None], listed: set[str] | None, unassigned: bool
) -> None:
    rule = UnitRule(None if listed is None else frozenset(listed), unassigned)
    rows = []
    for i, unit in enumerate(units):
        values = {
            "org": ORG, "activity_id": f"A{i}", "date": dt.date(2026, 7, 1), "kind": "group",
            "attendance": 1, "member_led": False, "co_facilitated": False,
            "community_session": False, "purchase_unit": unit,
        }  # fmt: skip
        rows.append({**values, "digest": content_digest(values), "valid_from": 1})
    expected = {f"A{i}" for i, u in enumerate(units) if rule.counts(u)}
    with engine.connect() as conn:
        transaction = conn.begin()  # rolled back: stored records cannot be deleted
        now = dt.datetime.now(dt.UTC)
        conn.execute(insert(schema.organisation).values(org=ORG, name="x", created_at=now))
        conn.execute(insert(schema.activity), rows)
        query = select(schema.activity.c.activity_id).where(
            row_filter("activity", ORG, *Q1, None, rule)
        )
        found = set(conn.execute(query).scalars())
        transaction.rollback()
    assert found == expected


def test_rules_diff_marks_purchase_units_as_meaning_only_when_counted_only(
    rule_file: Callable[[str], RuleFile],
) -> None:
    only = '[counting]\npurchase_units = "only"\n'
    other = MEASURES.replace('"MHC36F", "MHC37"', '"MHC99"')
    counted = diff(rule_file(MEASURES + only).model, rule_file(other + only).model)
    plain = diff(rule_file(MEASURES).model, rule_file(other).model)
    assert [(c.key, c.meaning) for c in counted.changes] == [("purchase_units", True)]
    assert [(c.key, c.meaning) for c in plain.changes] == [("purchase_units", False)]
    assert counted.meaning_changed and not plain.meaning_changed


def test_a_built_return_and_its_trace_count_only_the_return_s_units(
    engine: Engine, rule_file: Callable[[str], RuleFile], store: Callable[..., None]
) -> None:
    """Building (disclosure audited over the same records) and tracing a figure read the
    purchase units counted, as the figures do."""
    rules = rule_file(MEASURES + '[counting]\npurchase_units = "only"\nunassigned = "exclude"\n')
    _records(store)
    period = Period(*Q1, "FY2027-Q1", "quarter")
    ret = build_return(engine, ORG, "Test", rules, period)
    assert not [f for f in ret.findings if f.severity is Severity.ERROR]
    found = trace(engine, ret, rules, "people")
    assert isinstance(found, Trace)
    assert sorted(row[0] for row in found.rows) == ["A", "B"]
    assert found.value == 7
