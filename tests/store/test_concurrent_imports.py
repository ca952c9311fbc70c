"""First imports of one organisation, started at once, all succeed: no race for its row,
nor for its first records."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from sqlalchemy import func, select

from peerreport.store.database import open_engine
from peerreport.store.records import ensure_organisation
from peerreport.store.schema import organisation
from tests.helpers import ACTIVITY_HEADER, make_workspace, stored_activities, write_csv
from tests.store.worker import import_once

PROCESSES = 6


def test_first_imports_at_once_create_the_organisation_once(db_url: str, tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    files = [
        write_csv(
            tmp_path / f"log{i}.csv",
            [ACTIVITY_HEADER, [f"P{i}-A1", "14/08/2026", "group", "4", "", ""]],
        )
        for i in range(PROCESSES)
    ]
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(PROCESSES), context.Queue()
    workers = [
        context.Process(
            target=import_once, args=(db_url, str(workspace.root), str(path), start, results)
        )
        for path in files
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert [o for o in outcomes if o[0] != "ok"] == []
    assert all(stored for _, stored, _ in outcomes)
    assert sorted(revision for _, _, revision in outcomes) == list(range(1, PROCESSES + 1))
    engine = open_engine(db_url)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(organisation)).scalar()
    assert count == 1
    assert set(stored_activities(engine, workspace.provider_code)) == {
        f"P{i}-A1" for i in range(PROCESSES)
    }
    engine.dispose()


def test_first_imports_of_one_record_at_once_store_it_once(db_url: str, tmp_path: Path) -> None:
    """Each import decides whether the organisation has records (and so whether to look its
    keys up) only once it holds the organisation's write lock: the imports that waited
    find the record stored and leave it unchanged, instead of adding it again."""
    workspace = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "log.csv", [ACTIVITY_HEADER, ["A1", "14/08/2026", "group", "4", "", ""]]
    )
    engine = open_engine(db_url)
    with engine.begin() as conn:  # made already: its row's insert does not queue the imports
        ensure_organisation(conn, workspace.provider_code, workspace.organisation_name)
    engine.dispose()
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(PROCESSES), context.Queue()
    workers = [
        context.Process(
            target=import_once, args=(db_url, str(workspace.root), str(path), start, results)
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert [o for o in outcomes if o[0] != "ok"] == []
    # One import stored it (revision 1); the others changed nothing, so made no revision.
    assert sorted((revision or 0) for _, _, revision in outcomes) == [0] * (PROCESSES - 1) + [1]
    engine = open_engine(db_url)
    assert list(stored_activities(engine, workspace.provider_code)) == ["A1"]
    engine.dispose()
