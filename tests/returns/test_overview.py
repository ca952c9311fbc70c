"""Where an organisation stands: each recent period's state, none before its first record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine

from peerreport.intake import import_files
from peerreport.returns.overview import LATE, next_to_file, period_states
from peerreport.rulebook import load
from tests.helpers import ACTIVITY_HEADER, make_workspace, settings_for, write_csv

TODAY = dt.date(2026, 11, 29)


def test_no_period_before_the_first_record_is_late(engine: Engine, tmp_path: Path) -> None:
    rules = load("nz-peer-support-adults")
    assert [s.words for s in period_states(engine, "TEST01", rules, TODAY)] == [
        "July to September 2026"
    ]
    workspace = make_workspace(tmp_path / "ws", str(engine.url.render_as_string(False)))
    rows = [ACTIVITY_HEADER, ["G-1", "02/05/2026", "group", 5, "Groups", ""]]
    assert import_files(engine, [write_csv(tmp_path / "a.csv", rows)], settings_for(workspace))
    states = period_states(engine, "TEST01", rules, TODAY)
    assert [s.words for s in states] == ["July to September 2026", "April to June 2026"]
    assert all(s.state == LATE for s in states)  # both due in 2026 and not filed
    found = next_to_file(states)
    assert found is not None and found.words == "April to June 2026"  # the oldest first
