"""The desk keeps builds per records revision, rule files until they change, and builds ahead."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from peerreport.intake import ImportSettings, import_files
from peerreport.web.config import WebConfig
from peerreport.web.desk import Desk
from peerreport.web.rules import rule_and_period, rule_choices, rule_file
from peerreport.workspace import load_workspace, write_workspace
from tests.helpers import ACTIVITY_HEADER, write_csv

RULES = "nz-peer-support-adults"


@pytest.fixture
def desk(tmp_path: Path, db_url: str) -> Any:
    root = tmp_path / "ws"
    write_workspace(root, "Harbour Peer Collective", "HPC001", db_url, returns=(RULES,))
    made = Desk(WebConfig(base_dir=tmp_path, workspace_dir=root, prepare_ahead=True))
    yield made
    made.close()


def _import(desk: Desk, tmp_path: Path, name: str, day: str) -> None:
    log = [ACTIVITY_HEADER, [name, day, "group", 6, "Groups", ""]]
    path = write_csv(tmp_path / f"{name}.csv", log)
    workspace = load_workspace(desk.workspace.root)
    assert import_files(desk.engine, [path], ImportSettings.for_workspace(workspace)).stored


def _count_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import peerreport.returns.build as build

    calls: list[str] = []
    original = build.build_return

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[4].label)
        return original(*args, **kwargs)

    monkeypatch.setattr(build, "build_return", counting)
    return calls


def test_a_build_is_kept_until_the_records_change(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import(desk, tmp_path, "G-1", "02/05/2026")
    calls = _count_builds(monkeypatch)
    loaded, period = rule_and_period(RULES, "FY2026-Q4")
    first, _ = desk.built(loaded, period)
    assert calls.count("FY2026-Q4") == 1
    again, _ = desk.built(loaded, period)
    assert again is first and calls.count("FY2026-Q4") == 1
    _import(desk, tmp_path, "G-2", "03/05/2026")  # a new revision
    fresh, _ = desk.built(loaded, period)
    assert calls.count("FY2026-Q4") == 2
    assert fresh.revision == first.revision + 1


def test_the_summary_is_read_again_after_an_import(desk: Desk, tmp_path: Path) -> None:
    _import(desk, tmp_path, "G-1", "02/05/2026")
    assert desk.summary().activities == 1
    assert desk.summary() is desk.summary()
    _import(desk, tmp_path, "G-2", "03/05/2026")
    assert desk.summary().activities == 2


def test_prepare_ahead_builds_the_next_period_to_file(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import(desk, tmp_path, "G-1", "02/05/2026")
    calls = _count_builds(monkeypatch)
    thread = desk.prepare_ahead()
    assert thread is not None
    thread.join(timeout=120)
    assert calls, "nothing was built ahead"
    loaded = rule_file(RULES)
    before = len(calls)
    from peerreport.returns.overview import next_to_file, period_states

    states = period_states(desk.engine, "HPC001", loaded, dt.date.today())
    target = next_to_file(states)
    assert target is not None
    desk.built(loaded, target.period)  # already built: no new build
    assert len(calls) == before


def test_rule_files_are_loaded_again_when_one_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    shipped = Path(__file__).resolve().parents[2] / "rules" / "example-peer-core.toml"
    text = shipped.read_text("utf-8")
    own = folder / "own.toml"
    own.write_text(text.replace('id = "example-peer-core"', 'id = "own-return"'), "utf-8")
    monkeypatch.setenv("PEERREPORT_RULES_PATH", str(folder))
    first = rule_file("own-return")
    assert rule_file("own-return") is first
    assert ("own-return", first.model.title) in rule_choices()
    own.write_text(own.read_text("utf-8").replace(first.model.title, "A retitled return"), "utf-8")
    stat = own.stat()
    os.utime(own, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    again = rule_file("own-return")
    assert again is not first and again.model.title == "A retitled return"
