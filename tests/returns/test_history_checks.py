"""History checks ([[check]] history = ...): a figure against its earlier released values,
on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from peerreport.findings import Finding
from peerreport.render.html import render_html
from peerreport.returns.build import build_return
from peerreport.returns.model import Return
from peerreport.returns.periods import parse_period
from peerreport.rulebook import Catalogue, load
from tests.helpers import ACTIVITY_HEADER, make_workspace, messages, run_import, write_csv

RULES = """
id = "trend"
title = "Trend"
version = "1"
period = "month"
disclosure = {{ method = "{method}", threshold = 6 }}
[[measure]]
id = "group_sessions"
label = "Group sessions"
count = "activity"
where = "kind = 'group'"
[[check]]
id = "HIS-001"
history = "group_sessions"
{test}
message = "{{value}} group sessions, against {{mean}} on average ({{low}} to {{high}}): {{history}}"
hint = "Check the group log: {{group_sessions}} sessions this month."
"""


def _build(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    sessions: list[int],
    test: str = "ratio = [0.5, 2.0]",
    method: str = "suppress",
) -> Return:
    """Group sessions per month, January 2026 onwards; the return is for the last month."""
    ws = make_workspace(tmp_path / "ws", db_url)
    rows: list[list[object]] = [ACTIVITY_HEADER]
    for month, count in enumerate(sessions, start=1):
        # A call each month too, so a month with no groups still has records.
        rows.append([f"C-{month}", f"01/{month:02d}/2026", "warm line", 1, "Calls", ""])
        rows += [
            [f"G-{month}-{i}", f"{1 + i % 28:02d}/{month:02d}/2026", "group", 4, "Groups", ""]
            for i in range(count)
        ]
    report = run_import(engine, ws, write_csv(tmp_path / "a.csv", rows))
    assert report.stored, messages(report)
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "trend.toml").write_text(RULES.format(method=method, test=test), "utf-8")
    rule_file = load(folder / "trend.toml", Catalogue([folder]))
    period = parse_period(f"2026-{len(sessions):02d}")
    return build_return(engine, "TEST01", "Test Peer Network", rule_file, period)


def _found(ret: Return, code: str) -> list[Finding]:
    return [f for f in ret.findings if f.code == code]


def test_ratio_fires_on_a_jump_with_the_history_in_its_details_and_page(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ret = _build(engine, db_url, tmp_path, [10, 12, 11, 10, 30])
    [fired] = _found(ret, "HIS-001")
    assert fired.severity.value == "warning"  # the default of a history check
    assert fired.message == (
        "30 group sessions, against 10.75 on average (5.38 to 21.50): "
        "10 (January 2026), 12 (February 2026), 11 (March 2026), 10 (April 2026)"
    )
    assert fired.hint == "Check the group log: 30 sessions this month."
    assert fired.details["value"] == 30 and fired.details["mean"] == 10.75
    assert [h["value"] for h in fired.details["history"]] == [10, 12, 11, 10]
    page = render_html(ret)
    assert "Earlier periods compared" in page
    assert "1 figure, as published after disclosure control" in page  # one figure, not "figures"
    assert '<td>February 2026</td><td class="num">12</td>' in page


def test_ratio_stays_quiet_within_the_band(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ret = _build(engine, db_url, tmp_path, [10, 12, 11, 10, 21])
    assert not _found(ret, "HIS-001") and not _found(ret, "RET-030")
    assert "Earlier periods compared" not in render_html(ret)


@pytest.mark.parametrize(("current", "fires"), [(14, True), (13, False), (7, True)])
def test_z_fires_far_from_the_mean_and_not_near_it(
    engine: Engine, db_url: str, tmp_path: Path, current: int, fires: bool
) -> None:
    # Mean 10.75, sample standard deviation 0.957: with z = 3 the band is 7.88 to 13.62.
    ret = _build(engine, db_url, tmp_path, [10, 12, 11, 10, current], "z = 3.0")
    assert not _found(ret, "RET-030")
    fired = _found(ret, "HIS-001")
    assert bool(fired) is fires
    if fires:
        assert "(7.88 to 13.62)" in fired[0].message


def test_too_little_history_is_said_not_judged(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ret = _build(engine, db_url, tmp_path, [10, 11, 40], "z = 3.0")
    assert not _found(ret, "HIS-001")
    [note] = _found(ret, "RET-030")
    assert note.severity.value == "info"
    assert "not enough history" in note.message and "2 earlier periods" in note.message
    assert "3 needed" in note.message


def test_a_hidden_earlier_value_is_skipped_and_never_shown(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    # February's 3 sessions are hidden (threshold 6): z over 3 periods has 2 values left.
    ret = _build(engine, db_url, tmp_path, [10, 3, 11, 10, 40], "z = 3.0\nperiods = 3")
    assert not _found(ret, "HIS-001")
    [note] = _found(ret, "RET-030")
    assert "(1 hidden or rounded, skipped)" in note.message
    assert [h["value"] for h in note.details["history"]] == [11, 10]


def test_a_hidden_earlier_value_leaves_the_others_to_decide(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ret = _build(engine, db_url, tmp_path, [10, 3, 11, 10, 40], "ratio = [0.5, 2.0]")
    [fired] = _found(ret, "HIS-001")
    assert [h["value"] for h in fired.details["history"]] == [10, 11, 10]
    assert "(2026-02" not in fired.message and fired.details["mean"] == 31 / 3


def test_a_hidden_current_value_is_not_judged(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ret = _build(engine, db_url, tmp_path, [10, 12, 11, 10, 2])
    assert ret.figure("group_sessions").total.value is None
    assert not _found(ret, "HIS-001")
    [note] = _found(ret, "RET-030")
    assert "this period's 'Group sessions' is not published exactly" in note.message


def test_rounded_values_never_decide(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ret = _build(engine, db_url, tmp_path, [10, 12, 11, 10, 60], method="rr3")
    assert not _found(ret, "HIS-001") and _found(ret, "RET-030")


def test_no_disclosure_compares_the_exact_figures(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ret = _build(engine, db_url, tmp_path, [2, 3, 2, 3, 9], method="none")
    [fired] = _found(ret, "HIS-001")
    assert fired.details["history"][0]["value"] == 2
