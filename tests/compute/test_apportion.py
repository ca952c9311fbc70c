"""Workforce entries apportioned to the period by days; feedback tallies in the period they end.

The examples are the issue's: a staff row for the whole financial year counts
its FTE in every quarter, an entry that starts mid-quarter counts pro rata.
The properties (hypothesis, on SQLite and PostgreSQL): splitting entries into
parts never changes a sum, the quarters of a year add up to the year, and the
SQL figures equal the Python reference (`compute.apportion` + the language's
evaluator) record by record.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from peerreport.compute import evaluate
from peerreport.compute.apportion import apportioned, counts_in, period_days
from peerreport.compute.figures import Value
from peerreport.language import evaluate as evaluate_expression
from peerreport.records.models import RECORD_TYPES
from peerreport.records.vocabulary import vocabulary
from peerreport.rulebook import Catalogue, RuleFile, load
from peerreport.store.database import open_engine
from peerreport.store.records import ensure_organisation, save_records
from tests.compute.conftest import ORG
from tests.conftest import BACKENDS, empty_database
from tests.migrated import migrate

FY = (dt.date(2026, 7, 1), dt.date(2027, 6, 30))
QUARTERS = [
    (dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
    (dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
    (dt.date(2027, 1, 1), dt.date(2027, 3, 31)),
    (dt.date(2027, 4, 1), dt.date(2027, 6, 30)),
]
Q1 = QUARTERS[0]

WORKFORCE_RULES = """
[[measure]]
id = "fte"
source = "workforce"
sum = "paid_fte"
by = ["role"]
[[measure]]
id = "peer_fte"
source = "workforce"
sum = "paid_fte"
where = "role = 'peer_support_worker' and paid_fte > 0.5"
[[measure]]
id = "people"
source = "workforce"
sum = "paid_headcount"
[[measure]]
id = "volunteers"
source = "workforce"
sum = "coalesce(volunteer_count, 0)"
[[measure]]
id = "volunteer_hours"
source = "workforce"
sum = "volunteer_hours"
by = ["role"]
[[measure]]
id = "supervision_hours"
source = "workforce"
sum = "supervision_hours"
[[measure]]
id = "volunteer_fte_equivalent"
source = "workforce"
sum = "volunteer_hours / 520 + training_hours * 2"
[[measure]]
id = "entries"
source = "workforce"
count = "workforce"
[[measure]]
id = "largest_fte"
source = "workforce"
max = "paid_fte"
[[measure]]
id = "answers"
source = "feedback"
sum = "count"
[[measure]]
id = "supervision_per_fte"
expr = "supervision_hours / fte"
"""
#: The measures that add up parts of the period: splitting entries never changes them.
SUMS = ("fte", "peer_fte", "people", "volunteers", "volunteer_hours", "supervision_hours")
SUMS += ("volunteer_fte_equivalent",)


def _load(folder: Path, body: str) -> RuleFile:
    path = folder / "r.toml"
    path.write_text(f'id = "r"\ntitle = "Test"\nversion = "1"\n{body}', "utf-8")
    return load(path, Catalogue([folder]))


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> RuleFile:
    return _load(tmp_path_factory.mktemp("rules"), WORKFORCE_RULES)


def entry(start: str, end: str, role: str = "peer_support_worker", **fields: Any) -> dict[str, Any]:
    """A workforce entry with defaults."""
    return {"period_start": start, "period_end": end, "role": role, **fields}


# --- the examples ---------------------------------------------------------------------


def test_a_year_long_staff_row_counts_its_fte_in_each_quarter(
    engine: Engine, rules: RuleFile, store: Callable[..., None]
) -> None:
    store(workforce=[entry("2026-07-01", "2027-06-30", paid_fte="0.8", supervision_hours="365")])
    for (start, end), days in zip(QUARTERS, (92, 92, 90, 91), strict=True):
        figures = evaluate(engine, ORG, rules, start, end).figures
        assert figures["fte"].value == pytest.approx(0.8)
        assert figures["fte"].cell("peer_support_worker") == pytest.approx(0.8)
        # An amount is spread over the entry's days: one hour a day.
        assert figures["supervision_hours"].value == pytest.approx(days)
        assert figures["entries"].value == 1
    year = evaluate(engine, ORG, rules, *FY).figures
    assert year["fte"].value == pytest.approx(0.8)
    assert year["supervision_hours"].value == pytest.approx(365)


def test_an_entry_starting_mid_quarter_counts_for_its_days(
    engine: Engine, rules: RuleFile, store: Callable[..., None]
) -> None:
    store(
        workforce=[
            # From 16 August: 46 of the quarter's 92 days.
            entry("2026-08-16", "2027-06-30", "advocate", paid_fte="1", paid_headcount=2),
            # Ends on 15 July: 15 days.
            entry("2026-06-01", "2026-07-15", "educator", paid_fte="0.92", volunteer_hours="45"),
        ]
    )
    figures = evaluate(engine, ORG, rules, *Q1).figures
    assert figures["fte"].cell("advocate") == pytest.approx(0.5)
    assert figures["fte"].cell("educator") == pytest.approx(0.92 * 15 / 92)
    assert figures["people"].value == pytest.approx(1.0)  # two people for half the quarter
    assert figures["volunteer_hours"].cell("educator") == pytest.approx(15.0)  # 45 over 45 days
    assert figures["entries"].value == 2


def test_where_max_and_record_checks_see_the_entry_as_recorded(
    engine: Engine, rule_file: Callable[[str], RuleFile], store: Callable[..., None]
) -> None:
    rules = rule_file(
        '[[measure]]\nid = "big"\nsource = "workforce"\nsum = "paid_fte"\n'
        'where = "paid_fte > 0.5"\n'
        '[[measure]]\nid = "largest"\nsource = "workforce"\nmax = "paid_fte"\n'
        '[[check]]\nid = "T-010"\nsource = "workforce"\nassert = "paid_fte <= 0.5"\n'
        'message = "{count} entries over 0.5 FTE ({sample})"\n'
        '[[check]]\nid = "T-020"\nsource = "workforce"\n'
        'assert = "days_between(period_start, period_end) + 1 <= 92"\n'
        'message = "{count} entries longer than a quarter"\n'
    )
    # 0.8 FTE over the last 23 days of the quarter: 0.2 of it, but still an entry of 0.8.
    store(workforce=[entry("2026-09-08", "2026-12-31", paid_fte="0.8")])
    result = evaluate(engine, ORG, rules, *Q1)
    assert result.figures["big"].value == pytest.approx(0.8 * 23 / 92)
    assert result.figures["largest"].value == pytest.approx(0.8)
    assert {f.code: f.details["count"] for f in result.findings} == {"T-010": 1, "T-020": 1}


def test_averaged_headcounts_are_real_numbers(rule_file: Callable[[str], RuleFile]) -> None:
    rules = rule_file(
        '[[measure]]\nid = "people"\nsource = "workforce"\nsum = "paid_headcount"\n'
        '[[measure]]\nid = "largest"\nsource = "workforce"\nmax = "paid_headcount"\n'
    )
    assert rules.measures["people"].type.value == "real"
    assert rules.measures["largest"].type.value == "integer"


def test_a_feedback_tally_counts_whole_in_the_period_of_its_last_day(
    engine: Engine, rules: RuleFile, store: Callable[..., None]
) -> None:
    def tally(start: str, end: str, count: int) -> dict[str, Any]:
        return {
            "period_start": start,
            "period_end": end,
            "question": f"q{start}{end}",
            "response": "4",
            "count": count,
        }

    store(
        feedback=[
            tally("2026-01-01", "2026-07-01", 5),  # ends in Q1: all of it in Q1
            tally("2026-07-01", "2026-09-30", 7),
            tally("2026-09-01", "2026-10-01", 11),  # ends in Q2
            tally("2026-07-01", "2027-06-30", 13),  # the year: in Q4
        ]
    )
    quarters = [evaluate(engine, ORG, rules, *q).figures["answers"].value for q in QUARTERS]
    assert quarters == [12, 11, 0, 13]
    assert evaluate(engine, ORG, rules, *FY).figures["answers"].value == 36


def test_an_earlier_revision_apportions_the_entries_it_held(
    engine: Engine, rules: RuleFile, store: Callable[..., None]
) -> None:
    store(workforce=[entry("2026-07-01", "2027-06-30", paid_fte="0.8")])
    store(workforce=[entry("2026-07-01", "2027-06-30", paid_fte="0.6")])  # revision 2
    store(workforce=[entry("2026-09-01", "2026-09-30", "advocate", paid_fte="0.92")])
    assert evaluate(engine, ORG, rules, *Q1, revision=1).figures["fte"].value == pytest.approx(0.8)
    assert evaluate(engine, ORG, rules, *Q1, revision=2).figures["fte"].value == pytest.approx(0.6)
    now = evaluate(engine, ORG, rules, *Q1).figures["fte"].value
    assert now == pytest.approx(0.6 + 0.92 * 30 / 92)


# --- properties --------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def shared_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One migrated database per backend for a property's examples (each its own organisation)."""
    with empty_database(str(request.param), tmp_path_factory.mktemp("db")) as url:
        migrate(url)
        engine = open_engine(url)
        yield engine
        engine.dispose()


ROLES = vocabulary("role").codes
BASE = dt.date(2026, 7, 1)


@st.composite
def entries(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Workforce entries around FY2027; hours are a whole number of cents a day, so that
    they split into parts by days exactly."""
    result: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 6))):
        start = BASE + dt.timedelta(days=draw(st.integers(-120, 420)))
        end = start + dt.timedelta(days=draw(st.integers(0, 400)))
        role = draw(st.sampled_from(ROLES))
        days = (end - start).days + 1
        rates = [Decimal(draw(st.integers(0, 300))) / 100 for _ in range(3)]
        result.append(
            {
                "period_start": start,
                "period_end": end,
                "role": role,
                # Its own programme, so that no part of one entry has another's key.
                "programme": f"p{i}",
                "paid_fte": Decimal(draw(st.integers(0, 300))) / 100,
                "paid_headcount": draw(st.none() | st.integers(0, 12)),
                "volunteer_count": draw(st.none() | st.integers(0, 12)),
                "volunteer_hours": rates[0] * days,
                "supervision_hours": rates[1] * days,
                "training_hours": rates[2] * days,
                "rates": rates,
            }
        )
    return result


def split(row: dict[str, Any], cuts: list[int]) -> list[dict[str, Any]]:
    """An entry as consecutive parts (each cut a day offset where a new part begins): the
    same levels, the hours of each part's days."""
    days = (row["period_end"] - row["period_start"]).days + 1
    offsets = sorted({c % days for c in cuts} - {0})
    bounds = [0, *offsets, days]
    parts = []
    for first, after in itertools.pairwise(bounds):
        start = row["period_start"] + dt.timedelta(days=first)
        end = row["period_start"] + dt.timedelta(days=after - 1)
        hours = {
            name: rate * (after - first)
            for name, rate in zip(
                ("volunteer_hours", "supervision_hours", "training_hours"),
                row["rates"],
                strict=True,
            )
        }
        parts.append({**row, "period_start": start, "period_end": end, **hours})
    return parts


periods = st.sampled_from([*QUARTERS, FY, (dt.date(2026, 8, 1), dt.date(2026, 8, 31))]) | st.tuples(
    st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), st.integers(0, 500)
).map(lambda p: (p[0], p[0] + dt.timedelta(days=p[1])))


def _store(engine: Engine, rows: list[dict[str, Any]]) -> str:
    org = "H" + uuid.uuid4().hex[:12]
    model = RECORD_TYPES["workforce"]
    records = [model.model_validate({k: v for k, v in r.items() if k != "rates"}) for r in rows]
    with engine.begin() as conn:
        ensure_organisation(conn, org, "Property test")
        save_records(conn, org, records)
    return org


def _same(a: Value, b: Value) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def _sums_of(figures: Any) -> dict[str, Any]:
    return {
        name: (figures[name].value, [(c.key, c.value) for c in figures[name].cells])
        for name in SUMS
    }


def _assert_same_sums(got: dict[str, Any], want: dict[str, Any]) -> None:
    for name, (total, cells) in want.items():
        assert _same(got[name][0], total), (name, got[name][0], total)
        for (key, value), (other_key, other) in zip(got[name][1], cells, strict=True):
            assert key == other_key and _same(value, other), (name, key, value, other)


PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(
    rows=entries(),
    cuts=st.lists(st.lists(st.integers(1, 400), max_size=12), min_size=6, max_size=6),
    period=periods,
)
def test_splitting_entries_into_parts_never_changes_a_sum(
    shared_engine: Engine,
    rules: RuleFile,
    rows: list[dict[str, Any]],
    cuts: list[list[int]],
    period: tuple[dt.date, dt.date],
) -> None:
    parts = [part for row, c in zip(rows, cuts, strict=False) for part in split(row, c)]
    whole = evaluate(shared_engine, _store(shared_engine, rows), rules, *period)
    pieces = evaluate(shared_engine, _store(shared_engine, parts), rules, *period)
    _assert_same_sums(_sums_of(pieces.figures), _sums_of(whole.figures))


def test_a_year_row_and_twelve_month_rows_give_the_same_rounded_return(
    engine: Engine, rule_file: Callable[[str], RuleFile], store: Callable[..., None]
) -> None:
    rules = rule_file(
        '[[measure]]\nid = "fte"\nsource = "workforce"\nsum = "paid_fte"\nround = 2\n'
        '[[measure]]\nid = "hours"\nsource = "workforce"\nsum = "supervision_hours"\nround = 1\n'
    )
    store(
        org="YEAR",
        workforce=[entry("2026-07-01", "2027-06-30", paid_fte="0.8", supervision_hours="36.5")],
    )
    months = []
    for month in range(12):
        first = dt.date(2026 + (6 + month) // 12, (6 + month) % 12 + 1, 1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        hours = Decimal("0.1") * period_days(first, last)
        months.append(
            entry(first.isoformat(), last.isoformat(), paid_fte="0.8", supervision_hours=str(hours))
        )
    store(org="MONTHS", workforce=months)
    for period in [*QUARTERS, FY, (dt.date(2026, 8, 10), dt.date(2026, 11, 20))]:
        year = evaluate(engine, "YEAR", rules, *period).figures.values()
        by_month = evaluate(engine, "MONTHS", rules, *period).figures.values()
        assert year == by_month, period
        assert year["fte"] == 0.8


@PROPERTY
@given(rows=entries())
def test_the_quarters_of_a_year_add_up_to_the_year(
    shared_engine: Engine, rules: RuleFile, rows: list[dict[str, Any]]
) -> None:
    org = _store(shared_engine, rows)
    year = evaluate(shared_engine, org, rules, *FY).figures
    quarters = [evaluate(shared_engine, org, rules, *q).figures for q in QUARTERS]
    days = [period_days(*q) for q in QUARTERS]
    for name in ("volunteer_hours", "supervision_hours", "volunteer_fte_equivalent"):
        total = sum(float(q[name].value or 0) for q in quarters)
        assert _same(total, float(year[name].value or 0)), name
    for name in ("fte", "people", "volunteers"):
        # Levels: the year's average is the quarters' averages weighted by their days.
        weighted = sum(float(q[name].value or 0) * d for q, d in zip(quarters, days, strict=True))
        assert _same(weighted / sum(days), float(year[name].value or 0)), name


@PROPERTY
@given(rows=entries(), period=periods)
def test_sql_sums_equal_the_python_reference(
    shared_engine: Engine,
    rules: RuleFile,
    rows: list[dict[str, Any]],
    period: tuple[dt.date, dt.date],
) -> None:
    """Each sum is the Python evaluator's value of its argument over the apportioned entry,
    for the entries counted, where its `where` (on the recorded entry) is true."""
    result = evaluate(shared_engine, _store(shared_engine, rows), rules, *period)
    counted = [r for r in rows if counts_in("workforce", r, *period)]
    for name in SUMS:
        measure = rules.measures[name]
        assert measure.argument is not None
        total = 0.0
        for row in counted:
            if measure.where and evaluate_expression(measure.where.tree, row) is not True:
                continue
            value = evaluate_expression(
                measure.argument.tree, apportioned("workforce", row, *period)
            )
            total += value or 0.0
        assert _same(result.figures[name].value, total), name
    assert result.figures["entries"].value == len(counted)
