"""All measures over one source, with every breakdown, are computed in one pass over it.

A pass whose aggregates all add up from finer cells is grouped at the finest grain and
added up in Python on both engines. Otherwise PostgreSQL groups the pass by GROUPING
SETS, and SQLite groups it at the finest grain with a statement of their own only for
what finer cells cannot give (distinct counts, sums of real numbers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from peerreport.compute import evaluate
from peerreport.rulebook import RuleFile
from tests.compute.conftest import ORG, activity

RULES = """
[disclosure]
method = "none"
[[measure]]
id = "sessions"
count = "activity"
[[measure]]
id = "groups"
count = "activity"
where = "kind = 'group'"
[[measure]]
id = "attendances"
sum = "attendance"
where = "kind = 'group'"
by = ["mode"]
[[measure]]
id = "first_timers"
sum = "coalesce(first_time, 0)"
by = ["mode"]
[[measure]]
id = "biggest"
max = "attendance"
[[measure]]
id = "first_day"
min = "date"
[[measure]]
id = "groups_run"
distinct = "group_id"
[[measure]]
id = "by_kind"
count = "activity"
by = ["kind"]
[[measure]]
id = "people"
distinct = "member_tokens"
[[measure]]
id = "people_by_mode"
distinct = "member_tokens"
by = ["mode"]
[[measure]]
id = "female"
source = "breakdown"
sum = "count"
where = "dimension = 'gender' and category = 'female' and kind = 'group'"
[[measure]]
id = "fte"
source = "workforce"
sum = "paid_fte"
[[measure]]
id = "average"
expr = "attendances / groups"
[[check]]
id = "C-1"
source = "activity"
assert = "attendance < 50"
message = "{count} big: {sample}"
[[check]]
id = "C-2"
source = "activity"
assert = "duration_minutes is null or duration_minutes > 0"
message = "{count} zero-length"
[[check]]
id = "C-3"
assert = "average > 1"
message = "average {average}"
"""


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_statement_count(
    engine: Engine,
    backend: str,
    rule_file: Callable[[str], RuleFile],
    store: Callable[..., None],
) -> None:
    rules = rule_file(RULES)
    store(
        activities=[
            activity("A1", mode="phone", member_tokens="kea; tui", group_id="g1"),
            activity("A2", mode="phone", attendance=60, member_tokens="kea", group_id="g1"),
            activity("A3", kind="drop_in", attendance=3, first_time=2),
        ],
        breakdowns=[{"activity_id": "A1", "dimension": "gender", "category": "female", "count": 4}],
        workforce=[
            {
                "period_start": "2026-07-01",
                "period_end": "2026-09-30",
                "role": "advocate",
                "paid_fte": "0.5",
            }
        ],
    )
    with counting(engine) as statements:
        result = evaluate(engine, ORG, rules, dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(statements) == len(selects)
    samples = [s for s in selects if "LIMIT" in s]
    assert len(samples) == 1  # C-1's sample of failing records
    activity_passes = [s for s in selects if "FROM activity" in s and "JOIN" not in s]
    token_passes = [s for s in selects if "JOIN member_token" in s]
    if backend == "postgresql":
        # activity 1 (totals, by mode, by kind, 2 checks), tokens 1 (total, by mode),
        # breakdown 1, workforce 1, sample for C-1 1 = 5.
        assert len(selects) == 5, "\n\n".join(selects)
        assert len(activity_passes) == 2  # the pass and C-1's sample query
        assert len(token_passes) == 1
        assert all("GROUPING SETS" in s for s in [*token_passes, *activity_passes[:1]])
    else:
        # activity 1 at the finest grain (mode, kind) added up in Python, plus 1 for the
        # distinct count's total; tokens 2 (total, by mode: distinct counts); breakdown 1,
        # workforce 1, sample 1 = 7.
        assert len(selects) == 7, "\n\n".join(selects)
        grouped = [s for s in activity_passes if "GROUP BY" in s]
        assert len(grouped) == 1 and "count(DISTINCT" not in grouped[0]
        assert len(activity_passes) == 3  # the finest pass, the distinct total, the sample
        assert len(token_passes) == 2
    values = result.figures.values()
    assert values["sessions"] == 3 and values["groups"] == 2 and values["attendances"] == 65
    assert values["biggest"] == 60 and values["first_day"] == dt.date(2026, 7, 10)
    assert values["groups_run"] == 1 and values["people"] == 2 and values["female"] == 4
    assert values["fte"] == 0.5 and values["average"] == 32.5
    assert result.figures["people_by_mode"].cell("phone") == 2
    assert result.figures["by_kind"].cell("drop_in") == 1
    assert result.figures["by_kind"].cell("group") == 2
    assert result.figures["attendances"].cell("phone") == 65
    assert result.figures["first_timers"].cell(None) == 2
    assert [f.code for f in result.findings] == ["C-1"]
    assert result.findings[0].details["sample"] == ["A2"]


ADDING_UP = """
[disclosure]
method = "none"
[grouping.service]
field = "kind"
other = "rest"
[grouping.service.map]
peer = ["group", "drop_in"]
[[measure]]
id = "sessions"
count = "activity"
by = ["service"]
[[measure]]
id = "attendances"
sum = "attendance"
where = "kind = 'group'"
by = ["mode"]
[[measure]]
id = "biggest"
max = "attendance"
by = ["mode"]
[[measure]]
id = "first_day"
min = "date"
[[check]]
id = "C-1"
source = "activity"
assert = "attendance < 50"
message = "{count} big"
"""


def test_a_pass_whose_aggregates_all_add_up_is_one_group_by_at_the_finest_grain(
    engine: Engine,
    rule_file: Callable[[str], RuleFile],
    store: Callable[..., None],
) -> None:
    """Counts, integer sums, minima and maxima add up from finer cells: on both engines the
    pass is one plain GROUP BY (service, mode), never GROUPING SETS (which PostgreSQL
    cannot split between parallel workers), and every set is added up from it."""
    rules = rule_file(ADDING_UP)
    store(
        activities=[
            activity("A1", mode="phone", attendance=7),
            activity("A2", mode="phone", attendance=60, date="2026-08-01"),
            activity("A3", kind="drop_in", attendance=3),
            activity("A4", kind="one_to_one", mode="video", attendance=1),
            activity("A5", attendance=9, date="2026-06-30"),  # before the period
        ],
    )
    with counting(engine) as statements:
        result = evaluate(engine, ORG, rules, dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    passes = [s for s in statements if "FROM activity" in s and "LIMIT" not in s]
    assert len(passes) == 1, "\n\n".join(passes)
    assert "GROUPING SETS" not in passes[0].upper() and "GROUP BY" in passes[0].upper()
    figures = result.figures
    assert figures.values()["sessions"] == 4 and figures.values()["attendances"] == 67
    assert figures["sessions"].cell("peer") == 3 and figures["sessions"].cell("rest") == 1
    assert figures["attendances"].cell("phone") == 67 and figures["attendances"].cell(None) == 0
    assert figures["biggest"].cell("phone") == 60 and figures["biggest"].cell("video") == 1
    assert figures.values()["biggest"] == 60
    assert figures.values()["first_day"] == dt.date(2026, 7, 10)
    assert [f.code for f in result.findings] == ["C-1"]
