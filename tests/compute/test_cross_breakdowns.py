"""A cross-tabulation (issue 14) built cell by cell on both databases: every ethnic group ×
age band cell, the total, the margins as measures by one category, and small-count
protection over all of them, which an independent attacker cannot undo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine

from peerreport.records.models import Activity, BreakdownCount
from peerreport.records.vocabulary import vocabulary
from peerreport.returns.build import build_return
from peerreport.rulebook import load
from peerreport.store.records import ensure_organisation, save_records
from tests.bundle.sample import ORG, ORG_NAME, period
from tests.disclosure.attacker import attack

RULES = """
id = "cross-tab"
title = "Cross-tabulation"
funder = "Test"
version = "1"

[disclosure]
method = "suppress"
threshold = 3
secondary = true

[define]
ethnicity_by_age = "dimension = 'ethnicity' and dimension2 = 'age_band'"

[[measure]]
id = "by_ethnicity_and_age"
label = "Attendances by ethnic group and age band"
source = "cross_breakdown"
sum = "count"
where = "ethnicity_by_age"
by = ["category", "category2"]

[[measure]]
id = "ethnicity_margin"
label = "The table's rows"
source = "cross_breakdown"
sum = "count"
where = "ethnicity_by_age"
by = ["category"]

[[measure]]
id = "age_margin"
label = "The table's columns"
source = "cross_breakdown"
sum = "count"
where = "ethnicity_by_age"
by = ["category2"]

[[measure]]
id = "by_age"
label = "Attendances by age band (counts by one dimension)"
source = "breakdown"
sum = "count"
where = "dimension = 'age_band'"
by = ["category"]
"""

#: (ethnicity, age band) -> count, all at one group session of 24.
CROSSED = {
    ("maori", "25_44"): 5,
    ("maori", "45_64"): 2,
    ("european", "25_44"): 7,
    ("pacific", "15_24"): 6,
    ("asian", "65_plus"): 4,  # recorded age band first (below)
}


def _store(engine: Engine) -> None:
    records: list[Activity | BreakdownCount] = [
        Activity(activity_id="A1", date=dt.date(2026, 7, 3), kind="group", attendance=24,
                 member_led=False, co_facilitated=False, community_session=False),
        BreakdownCount(activity_id="A1", dimension="age_band", category="25_44", count=12),
        # Recorded age band first: stored ethnic group first, a cell of the table all the same.
        BreakdownCount(activity_id="A1", dimension="age_band", category="65_plus",
                       dimension2="ethnicity", category2="asian", count=4),
    ]  # fmt: skip
    records += [
        BreakdownCount(
            activity_id="A1", dimension="ethnicity", category=e, dimension2="age_band",
            category2=a, count=n,
        )
        for (e, a), n in CROSSED.items()
        if (e, a) != ("asian", "65_plus")
    ]  # fmt: skip
    with engine.begin() as conn:
        ensure_organisation(conn, ORG, ORG_NAME)
        save_records(conn, ORG, records)


def test_the_cross_tabulation_cell_by_cell(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cross-tab.toml"
    path.write_text(RULES, "utf-8")
    rule_file = load(path)
    _store(engine)
    ret = build_return(engine, ORG, ORG_NAME, rule_file, period())
    table = ret.figure("by_ethnicity_and_age")
    ethnicities, ages = vocabulary("ethnicity").codes, vocabulary("age_band").codes
    # Every cell of the table, in vocabulary order, zeros included, and nothing else.
    assert [c.key for c in table.cells] == [(e, a) for e in ethnicities for a in ages]
    assert table.total.value == 24 and table.total.status == "exact"
    shown = {c.key: c.value for c in table.cells if c.status == "exact"}
    hidden = {c.key for c in table.cells if c.status == "suppressed"}
    # The small cells are hidden (the one recorded age band first too); two hidden cells
    # cannot be worked out from the total alone.
    assert {("maori", "45_64"), ("asian", "65_plus")} <= hidden
    for key, value in shown.items():
        assert value == CROSSED.get(key, 0), key  # shown cells are exact
    assert all(c.value is None for c in table.cells if c.status == "suppressed")
    # The margins, as measures by one category: each shown one is its row's or column's sum.
    # With them, the maori row (7) and the 25_44 column (12) would give hidden cells away,
    # so the audit of everything released hides more (which ones is its choice).
    for measure, position in (("ethnicity_margin", 0), ("age_margin", 1)):
        margin = ret.figure(measure)
        for cell in margin.cells:
            true = sum(n for k, n in CROSSED.items() if k[position] == cell.key[0])
            assert cell.value in (true, None), (measure, cell)
            assert cell.status == ("exact" if cell.value is not None else "suppressed")
        assert margin.total.value == 24
    released_rows = {c.key[0] for c in ret.figure("ethnicity_margin").cells if c.value is not None}
    released_columns = {c.key[0] for c in ret.figure("age_margin").cells if c.value is not None}
    assert not (
        {"maori"} <= released_rows
        and {"25_44"} <= released_columns
        and (("european", "25_44") in shown)
    )
    assert attack(engine, ORG, [(ret, rule_file)]) == []
    # The counts by one dimension are their own table: the cross-tabulated rows are not in it.
    by_age = {c.key: c.value for c in ret.figure("by_age").cells}
    assert by_age[("25_44",)] == 12 and by_age[("65_plus",)] == 0
