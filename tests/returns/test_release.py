"""Everything a return releases is protected: derived figures, decimals, min/max, record
counts, check messages; and random rounding is keyed by what a cell counts (issue 11)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine

from peerreport.compute import evaluate
from peerreport.render.text import render_text
from peerreport.returns.build import build_return
from peerreport.returns.model import ROUNDED, SUPPRESSED, Return
from peerreport.returns.periods import parse_period
from peerreport.returns.release import rounding_seed
from peerreport.rulebook import RuleFile, load
from peerreport.rulebook.definition import breakdown_key, canonical_definition
from tests.helpers import make_workspace, messages, run_import, write_csv
from tests.returns import leaks

HEAD = """
id = "{id}"
title = "Release test"
version = "1"
period = "quarter"
year_start = "07-01"

[disclosure]
method = "{method}"
threshold = {threshold}
"""

# A derived figure listed before its inputs; a decimal sum; a max; a check and a
# consistency check whose messages print figures.
MEASURES = """
[[measure]]
id = "average_size"
expr = "attendances / groups"
round = 1

[[measure]]
id = "calls"
label = "Warm-line calls by mode"
count = "activity"
where = "kind = 'warm_line_call'"
by = ["mode"]

[[measure]]
id = "groups"
count = "activity"
where = "kind = 'group'"

[[measure]]
id = "attendances"
sum = "attendance"
where = "kind = 'group'"

[[measure]]
id = "half_attendances"
sum = "attendance / 2"
where = "kind = 'group'"
by = ["mode"]
round = 1

[[measure]]
id = "largest_group"
max = "attendance"
where = "kind = 'group'"

[[measure]]
id = "smallest_online_group"
min = "attendance"
where = "kind = 'group' and mode = 'video'"

[[measure]]
id = "activities"
count = "activity"

[[check]]
id = "T-001"
severity = "warning"
assert = "groups >= 4"
message = "only {groups} group sessions, with {attendances} attendances"
hint = "{groups} is few."

[[check]]
id = "T-002"
severity = "warning"
total = "activities"
parts = ["calls"]
message = "{total} activities but {parts} calls ({difference} other)"
"""

# The same calls, under another id, label and rule file, written differently.
OTHER = """
[[measure]]
id = "warm_line_contacts"
label = "Contacts"
count = "activity"
where = "(kind='warm_line_call')"
by = ["mode"]

[[measure]]
id = "everything"
count = "activity"
"""


def _rules(
    tmp_path: Path, method: str, body: str = MEASURES, ident: str = "release", threshold: int = 6
) -> RuleFile:
    path = tmp_path / f"{ident}-{method}-{threshold}.toml"
    path.write_text(HEAD.format(id=ident, method=method, threshold=threshold) + body, "utf-8")
    return load(path)


@pytest.fixture
def stored(engine: Engine, db_url: str, tmp_path: Path) -> Engine:
    """20 phone calls, 2 texts, 2 in-person groups (7 and 9) and 1 video group (4)."""
    ws = make_workspace(tmp_path / "ws", db_url)
    rows = [["activity_id", "date", "kind", "mode", "attendance"]]
    rows += [[f"W{i}", f"{1 + i:02d}/07/2026", "warm line", "phone", "1"] for i in range(20)]
    rows += [["T1", "03/08/2026", "warm line", "text", "1"]]
    rows += [["T2", "04/08/2026", "warm line", "text", "1"]]
    rows += [["G1", "05/08/2026", "group", "in person", "7"]]
    rows += [["G2", "06/09/2026", "group", "in person", "9"]]
    rows += [["G3", "07/09/2026", "group", "video", "4"]]
    report = run_import(engine, ws, write_csv(tmp_path / "a.csv", rows))
    assert report.stored, messages(report)
    return engine


def _build(engine: Engine, rule_file: RuleFile, period: str = "FY2027-Q1") -> Return:
    return build_return(engine, "TEST01", "Test", rule_file, parse_period(period))


def _a_derived_figure_before_its_inputs_is_hidden_with_them(stored: Engine, tmp_path: Path) -> None:
    ret = _build(stored, _rules(tmp_path, "suppress"))
    assert ret.figure("groups").total.status == SUPPRESSED  # 3 groups
    # 20 attendances over 3 groups: publishing 6.7 next to 20 would give 3 groups.
    assert ret.figure("average_size").total.status == SUPPRESSED
    assert ret.figure("average_size").total.value is None


def _under_rr3_a_derived_figure_is_computed_from_the_rounded_inputs(
    stored: Engine, tmp_path: Path
) -> None:
    ret = _build(stored, _rules(tmp_path, "rr3"))
    attendances = ret.figure("attendances").total
    groups = ret.figure("groups").total
    assert attendances.status == groups.status == ROUNDED
    average = ret.figure("average_size").total
    assert average.status == ROUNDED
    assert isinstance(attendances.value, int) and isinstance(groups.value, int)
    expected = None if groups.value == 0 else round(attendances.value / groups.value, 1)
    assert average.value == expected


def _a_decimal_sum_is_protected_as_a_count(stored: Engine, tmp_path: Path) -> None:
    rules = _rules(tmp_path, "suppress")
    true = evaluate(stored, "TEST01", rules, *_dates()).figures["half_attendances"]
    assert true.cell("video") == 2.0 and true.cell("in_person") == 8.0
    half = _build(stored, rules).figure("half_attendances")
    cells = {c.key: c for c in half.cells}
    assert cells[("video",)].status == SUPPRESSED  # 2.0: a small count as a decimal
    # With the total (10.0) shown, 8.0 would give the online 2.0 away: hidden too.
    assert cells[("in_person",)].status == SUPPRESSED or half.total.status == SUPPRESSED
    rounded = _build(stored, _rules(tmp_path, "rr3")).figure("half_attendances")
    for cell in (rounded.total, *rounded.cells):
        assert cell.status == ROUNDED and isinstance(cell.value, float)
        assert cell.value % 3 == 0


def _min_and_max_over_few_records_are_hidden(stored: Engine, tmp_path: Path) -> None:
    rules = _rules(tmp_path, "suppress")
    true = evaluate(stored, "TEST01", rules, *_dates()).figures["largest_group"]
    assert true.value == 9 and true.support == 3
    built = _build(stored, rules)
    largest = built.figure("largest_group")
    assert largest.total.status == SUPPRESSED  # 3 groups: the 9 is one group's size
    assert largest.total.value is None
    assert "smallest or largest value of fewer than 6 records" in render_text(built)
    low = _build(stored, _rules(tmp_path, "suppress", threshold=2))
    assert low.figure("largest_group").total.value == 9  # 3 groups, threshold 2
    assert low.figure("smallest_online_group").total.status == SUPPRESSED  # one group
    assert _build(stored, _rules(tmp_path, "none")).figure("smallest_online_group").total.value == 4


def _record_counts_are_left_out_or_rounded_as_the_same_count(
    stored: Engine, tmp_path: Path
) -> None:
    assert _build(stored, _rules(tmp_path, "suppress")).record_counts == {}
    ret = _build(stored, _rules(tmp_path, "rr3"))
    assert set(ret.record_counts) == {"activities", "breakdowns", "workforce", "feedback"}
    assert all(v % 3 == 0 for v in ret.record_counts.values())
    # The record count and a measure counting every activity are one count, one value.
    assert ret.record_counts["activities"] == ret.figure("activities").total.value
    assert _build(stored, _rules(tmp_path, "none")).record_counts["activities"] == 25


def _check_messages_are_filled_from_released_values(stored: Engine, tmp_path: Path) -> None:
    ret = _build(stored, _rules(tmp_path, "suppress"))
    found = {f.code: f for f in ret.findings}
    # groups (3) is hidden, attendances (20) is published.
    assert found["T-001"].message == "only S group sessions, with 20 attendances"
    assert found["T-001"].hint == "S is few."
    assert found["T-001"].details["values"] == {"groups": None}
    # 25 activities, 22 calls of which 2 (text) hidden: parts and difference hidden.
    assert found["T-002"].message == "25 activities but S calls (S other)"
    assert found["T-002"].details["parts"] is None
    # The independent search (tests/returns/leaks.py) passes this return and catches
    # the message the engine wrote before (the true count at the placeholder).
    rules = _rules(tmp_path, "suppress")
    truth = evaluate(stored, "TEST01", rules, *_dates()).figures
    assert leaks.problems(ret, truth, rules) == []
    forged = replace(found["T-001"], message="only 3 group sessions, with 20 attendances")
    leaky = replace(ret, findings=(forged,))
    assert leaks.problems(leaky, truth, rules) == [
        "T-001: '{groups}' shows '3' in 'only 3 group sessions, with 20 attendances'"
    ]
    rounded = _build(stored, _rules(tmp_path, "rr3"))
    message = next(f for f in rounded.findings if f.code == "T-001").message
    groups = rounded.figure("groups").total.value
    assert message.startswith(f"only {groups} group sessions")


def test_rr3_rounds_one_count_the_same_under_any_name(stored: Engine, tmp_path: Path) -> None:
    """Another measure id, label and rule file, and another name of the same quarter."""
    first = _rules(tmp_path, "rr3")
    second = _rules(tmp_path, "rr3", OTHER, ident="another-file")
    calls, contacts = first.measures["calls"], second.measures["warm_line_contacts"]
    assert canonical_definition(calls, first) == canonical_definition(contacts, second)
    assert canonical_definition(calls, first) != canonical_definition(
        first.measures["groups"], first
    )
    key = ("text_online",)
    assert breakdown_key(calls, key, first) == breakdown_key(contacts, key, second)
    periods = [parse_period(p) for p in ("FY2027-Q1", "2026-Q3", "2026-07-01..2026-09-30")]
    seeds = {
        rounding_seed(canonical_definition(m, r), breakdown_key(m, key, r), p, "TEST01")
        for m, r in ((calls, first), (contacts, second))
        for p in periods
    }
    assert len(seeds) == 1
    builds = [_build(stored, first, "FY2027-Q1"), _build(stored, second, "2026-Q3")]
    builds.append(_build(stored, second, "2026-07-01..2026-09-30"))
    tables = [
        {c.key: c.value for c in (r.figure(i).total, *r.figure(i).cells)}
        for r, i in zip(builds, ("calls", "warm_line_contacts", "warm_line_contacts"), strict=True)
    ]
    assert tables[0] == tables[1] == tables[2]
    totals = {
        r.figure(i).total.value
        for r, i in zip(builds, ("activities", "everything", "everything"), strict=True)
    }
    assert len(totals) == 1


def test_every_released_number_is_protected(stored: Engine, tmp_path: Path) -> None:
    """One stored organisation, every kind of released number (imports are the slow part)."""
    _a_derived_figure_before_its_inputs_is_hidden_with_them(stored, tmp_path)
    _under_rr3_a_derived_figure_is_computed_from_the_rounded_inputs(stored, tmp_path)
    _a_decimal_sum_is_protected_as_a_count(stored, tmp_path)
    _min_and_max_over_few_records_are_hidden(stored, tmp_path)
    _record_counts_are_left_out_or_rounded_as_the_same_count(stored, tmp_path)
    _check_messages_are_filled_from_released_values(stored, tmp_path)


def _dates() -> tuple[dt.date, dt.date]:
    period = parse_period("FY2027-Q1")
    return period.start, period.end
