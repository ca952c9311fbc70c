"""Tracing figures named as the return prints them, derived figures, and the record listing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from peerreport.audit import DerivedTrace, Trace, trace
from peerreport.errors import UsageError
from peerreport.records.models import RECORD_TYPES
from peerreport.returns.model import Return
from peerreport.rulebook import RuleFile
from peerreport.store.records import save_records
from tests.bundle.sample import ORG, SECRET, build, load_rules, records, store, write_rules

LINES = {"sessions": "PSA1", "group_attendance": "PSA2", "calls": "PSA4"}


def rules_with_lines(folder: Path, lines: dict[str, str], extra: str = "") -> RuleFile:
    """The test rule file with funder line codes on some measures (and extra TOML)."""
    path = write_rules(folder)
    text = path.read_text("utf-8")
    for ident, line in lines.items():
        text = text.replace(f'id = "{ident}"\n', f'id = "{ident}"\nline = "{line}"\n', 1)
    path.write_text(text + extra, "utf-8")
    return load_rules(path)


@pytest.fixture
def rule_file(tmp_path: Path) -> RuleFile:
    return rules_with_lines(tmp_path / "rules", LINES)


@pytest.fixture
def ret(engine: Engine, rule_file: RuleFile) -> Return:
    store(engine, records())
    return build(engine, rule_file)


def test_a_figure_is_found_by_id_line_code_or_label(
    engine: Engine, rule_file: RuleFile, ret: Return
) -> None:
    by_id = trace(engine, ret, rule_file, "calls", "phone")
    assert isinstance(by_id, Trace)
    for name in ("PSA4", "psa4", "Warm-line calls", "  warm-LINE   calls "):
        found = trace(engine, ret, rule_file, name, "phone")
        assert isinstance(found, Trace) and found.measure == "calls", name
        assert found.rows == by_id.rows
    assert by_id.line == "PSA4" and by_id.label == "Warm-line calls"


def test_records_are_listed_with_their_date_kind_and_the_value_added_up(
    engine: Engine, rule_file: RuleFile, ret: Return
) -> None:
    found = trace(engine, ret, rule_file, "PSA2", "in_person")
    assert isinstance(found, Trace)
    assert found.columns == ("activity_id", "date", "kind", "file", "row", "attendance")
    assert found.where == "kind = 'group'"
    assert {row[2] for row in found.rows} == {"group"}
    assert sum(row[-1] for row in found.rows) == found.value == found.published.value
    data = found.to_dict()
    assert data["columns"] == list(found.columns)
    assert data["records"][0][:2] == ["G-00", "2026-07-01"]


def test_an_ambiguous_name_lists_the_figures_it_could_mean(engine: Engine, tmp_path: Path) -> None:
    rule_file = rules_with_lines(tmp_path / "r", {"sessions": "PSA4", "calls": "psa4"})
    store(engine, records())
    ret = build(engine, rule_file)
    with pytest.raises(UsageError) as caught:
        trace(engine, ret, rule_file, "PSA4")
    message = str(caught.value)
    assert "'PSA4' could be any of 2 figures" in message
    assert "sessions (line PSA4): Sessions delivered" in message
    assert "calls (line psa4): Warm-line calls" in message
    assert "give the measure id:\n  sessions (line PSA4)" in message
    assert isinstance(trace(engine, ret, rule_file, "calls"), Trace)  # the id still works


def test_an_unknown_name_says_what_it_might_have_been(
    engine: Engine, rule_file: RuleFile, ret: Return
) -> None:
    with pytest.raises(UsageError, match="Did you mean 'Warm-line calls'"):
        trace(engine, ret, rule_file, "warm line calls")
    with pytest.raises(UsageError) as caught:
        trace(engine, ret, rule_file, "attendance")
    message = str(caught.value)
    assert "Figures with that in their name" in message
    assert "group_attendance (line PSA2)" in message and "average_group_size" in message
    assert "sessions" not in message.split("name:")[1]


def test_a_derived_figure_is_traced_through_the_measures_it_uses(
    engine: Engine, rule_file: RuleFile, ret: Return
) -> None:
    found = trace(engine, ret, rule_file, "Average attendance per session")
    assert isinstance(found, DerivedTrace)
    assert found.formula == "group_attendance / sessions"
    attendance, sessions = found.inputs
    assert isinstance(attendance, Trace) and isinstance(sessions, Trace)
    assert (attendance.measure, sessions.measure) == ("group_attendance", "sessions")
    assert sum(row[-1] for row in attendance.rows) == attendance.value == 84
    assert len(sessions.rows) == sessions.value == ret.figure("sessions").total.value == 23
    assert found.value == found.published.value == round(84 / 23, 1)
    data = found.to_dict()
    assert data["formula"] == "group_attendance / sessions"
    assert [i["count"] for i in data["inputs"]] == [14, 23]
    assert "-- sessions" in found.sql


def test_a_derived_figure_of_derived_figures_is_traced_all_the_way_down(
    engine: Engine, tmp_path: Path
) -> None:
    extra = (
        '\n[[measure]]\nid = "calls_per_group_attendance"\n'
        'label = "Calls per group attendance"\nexpr = "calls / (average_group_size * sessions)"\n'
        "round = 3\n"
    )
    rule_file = rules_with_lines(tmp_path / "r", LINES, extra)
    store(engine, records())
    ret = build(engine, rule_file)
    found = trace(engine, ret, rule_file, "calls_per_group_attendance")
    assert isinstance(found, DerivedTrace)
    assert [i.measure for i in found.inputs] == ["calls", "average_group_size", "sessions"]
    assert isinstance(found.inputs[1], DerivedTrace)
    assert found.value == ret.figure("calls_per_group_attendance").total.value


def test_workforce_entries_are_listed_by_their_period_role_and_programme(
    engine: Engine, tmp_path: Path
) -> None:
    extra = (
        '\n[[measure]]\nid = "fte"\nlabel = "Peer workforce FTE"\nline = "WF1"\n'
        'sum = "paid_fte"\nsource = "workforce"\n'
    )
    rule_file = rules_with_lines(tmp_path / "r", {}, extra)
    store(engine, records())
    entries = [
        {"period_start": start, "period_end": end, "role": role, "paid_fte": fte}
        for start, end, role, fte in (
            ("2026-07-01", "2026-09-30", "peer_support_worker", "2.5"),
            ("2026-07-01", "2026-09-30", "advocate", "0.4"),
            # 30 of its days are in the quarter's 92: it adds 0.92 x 30 / 92 = 0.3.
            ("2026-09-01", "2026-10-31", "educator", "0.92"),
        )
    ]
    models = [RECORD_TYPES["workforce"].model_validate(e) for e in entries]
    with engine.begin() as conn:
        save_records(conn, ORG, models, SECRET)
    ret = build(engine, rule_file)
    found = trace(engine, ret, rule_file, "wf1")
    assert isinstance(found, Trace)
    assert found.columns == (
        "period_start",
        "period_end",
        "role",
        "programme",
        "file",
        "row",
        "paid_fte (its part of the period)",
    )
    assert [row[2] for row in found.rows] == ["advocate", "peer_support_worker", "educator"]
    assert [row[-1] for row in found.rows] == pytest.approx([0.4, 2.5, 0.3])
    assert found.value == pytest.approx(3.2)
    assert ret.figure("fte").total.value == pytest.approx(3.2)


NOT_RECORDED = """
[[measure]]
id = "minutes"
label = "Minutes of support"
sum = "duration_minutes"
by = ["mode"]
nothing = "not collected"

[[measure]]
id = "minutes_per_session"
label = "Minutes per session"
expr = "minutes / sessions"
"""


def test_a_figure_not_collected_is_traced_as_not_collected(engine: Engine, tmp_path: Path) -> None:
    """Never '', 0 or 'no value': a reader could not tell it from a hidden or empty figure."""
    from peerreport.audit.tables import traced
    from peerreport.audit.text import trace_lines
    from peerreport.returns.model import NOT_COLLECTED

    rule_file = rules_with_lines(tmp_path / "rules", LINES, NOT_RECORDED)
    store(engine, records())  # no activity records its minutes
    ret = build(engine, rule_file)
    found = trace(engine, ret, rule_file, "minutes", "phone")
    assert isinstance(found, Trace)
    assert found.published.status == NOT_COLLECTED
    assert (found.collected, found.value, found.rows) == (False, None, ())
    assert found.to_dict()["collected"] is False
    lines = trace_lines(found)
    assert lines[0] == (
        "Minutes of support (minutes), phone: published not collected; "
        "the records give not collected (0 activity records)"
    )
    assert lines[1] == (
        "  not collected: no record of the period has a value for the fields the figure "
        "reads (the rule file says nothing is 'not collected', not 0)"
    )
    table = traced(found, ret)
    assert (table.published, table.from_records) == ("not collected", "not collected")
    assert table.notes == (lines[1].strip(),)

    # A derived figure of it is not collected either, and says so for itself and its input.
    derived = trace(engine, ret, rule_file, "minutes_per_session")
    assert isinstance(derived, DerivedTrace)
    assert (derived.collected, derived.value) == (False, None)
    text = trace_lines(derived)
    assert text[0] == (
        "Minutes per session (minutes_per_session): published not collected; "
        "the records give not collected"
    )
    assert "1. Minutes of support (minutes), total: published not collected;" in "\n".join(text)
    assert "2. Sessions delivered (sessions, line PSA1), total: published 23; the records " \
        "give 23 (23 activity records)" in "\n".join(text)  # fmt: skip


def test_a_figure_collected_by_one_record_is_no_longer_not_collected(
    engine: Engine, tmp_path: Path
) -> None:
    from peerreport.audit.text import trace_lines

    rule_file = rules_with_lines(tmp_path / "rules", LINES, NOT_RECORDED)
    rows = records()
    rows[0] = {**rows[0], "duration_minutes": 45}  # G-00, in person
    store(engine, rows)
    ret = build(engine, rule_file)
    found = trace(engine, ret, rule_file, "minutes", "phone")
    # Collected (one record has minutes), and no phone activity has any: a real 0.
    assert (found.collected, found.value, found.published.value) == (True, 0, 0)
    assert "collected" not in found.to_dict()
    assert "published 0; the records give 0 (0 activity records)" in trace_lines(found)[0]
