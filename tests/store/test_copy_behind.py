"""A COPY running behind (PostgreSQL): the next use of the connection waits for it.

An import lets each batch's COPY run on a thread while it reads the next batch
(`store.bulk.CopyBehind`). What must hold: a statement after the COPY sees its
rows; a failed COPY's error reaches the caller as SQLAlchemy's error, before the
next statement or at the commit, and nothing is stored; the thread is gone when
the writer is done; and an import stores the same rows whether or not its
COPYs run behind.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from peerreport.intake import ImportSettings, import_files
from peerreport.records.models import Activity
from peerreport.store import bulk
from peerreport.store.database import open_engine
from peerreport.store.records import RecordWriter, ensure_organisation
from peerreport.store.schema import RECORD_TABLES, activity, ledger_entry, member_token
from tests.conftest import empty_database
from tests.migrated import migrate

pytestmark = pytest.mark.postgres
SECRET = b"s" * 32


@pytest.fixture
def engine(postgres_engine: Engine) -> Engine:
    return postgres_engine


def _activity(ident: str) -> Activity:
    return Activity(activity_id=ident, date=dt.date(2026, 3, 2), kind="group", attendance=4)


def _copy_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("peerreport-copy")]


def _count(conn: Connection, org: str) -> int:
    return int(conn.execute(select(func.count()).where(activity.c.org == org)).scalar_one())


def test_a_statement_after_a_copy_sees_its_rows(engine: Engine) -> None:
    with engine.begin() as conn:
        ensure_organisation(conn, "ORG", "Org")
        writer = RecordWriter(conn, "ORG", SECRET)
        writer.statements.copy_behind()
        writer.write("activities", [_activity(f"G-{i}") for i in range(2000)])
        assert writer.statements._behind is not None
        assert _count(conn, "ORG") == 2000  # waited for the COPY
        writer.write("activities", [_activity(f"H-{i}") for i in range(10)])
        writer.statements.stop_behind()
        assert _count(conn, "ORG") == 2010
    assert _copy_threads() == []


def _repeat_a_key(conn: Connection, monkeypatch: pytest.MonkeyPatch) -> RecordWriter:
    """A writer copying behind that has written G-1 twice (the second time with its lookup
    blinded, so it takes G-1 for new): the second COPY fails on the server."""
    ensure_organisation(conn, "DUP", "Dup")
    writer = RecordWriter(conn, "DUP", SECRET)
    writer.statements.copy_behind()
    writer.write("activities", [_activity("G-1")])
    monkeypatch.setattr(bulk.Statements, "current_digests", lambda self, *a, **k: {})
    writer.write("activities", [_activity("G-1")])
    return writer


@pytest.mark.parametrize("then", ["statement", "commit", "stop"])
def test_a_failed_copy_is_raised_as_sqlalchemys_error_and_nothing_is_stored(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, then: str
) -> None:
    """The second COPY repeats a key (its lookup is blinded): its error comes out of the
    next statement, the commit, or the end of copying behind, whichever comes first."""
    writer: RecordWriter | None = None
    with pytest.raises(IntegrityError), engine.begin() as conn:
        writer = _repeat_a_key(conn, monkeypatch)  # returns before its COPY fails
        if then == "statement":
            conn.execute(text("SELECT 1"))
        elif then == "stop":
            writer.statements.stop_behind()
        # "commit": leaving the block commits, and the commit waits for the COPY first
    assert writer is not None
    writer.statements.stop_behind()  # the error was raised once: nothing is left to raise
    with engine.connect() as conn:
        assert _count(conn, "DUP") == 0
    assert _copy_threads() == []


def test_stopping_removes_the_waits_and_the_thread(engine: Engine) -> None:
    with engine.begin() as conn:
        ensure_organisation(conn, "ORG", "Org")
        writer = RecordWriter(conn, "ORG", SECRET)
        writer.statements.copy_behind()
        writer.write("activities", [_activity("G-1")])
        assert len(_copy_threads()) == 1
        writer.statements.stop_behind()
        assert _copy_threads() == []
        assert writer.statements._behind is None
        # No wait left on the connection: a later COPY runs in line again.
        writer.write("activities", [_activity("G-2")])
        assert _count(conn, "ORG") == 2


def _stored(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored record row, and the versions each revision's ledger entry counts."""
    found = {}
    with engine.connect() as conn:
        for table in [*RECORD_TABLES.values(), member_token]:
            rows = conn.execute(select(table)).all()
            found[table.name] = sorted(map(tuple, rows), key=repr)
        payloads = conn.execute(
            select(ledger_entry.c.payload).where(ledger_entry.c.kind == "revision")
        ).scalars()
        found["versions"] = [json.loads(p)["versions"] for p in payloads]
    return found


def test_an_import_stores_the_same_rows_with_its_copies_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three batches of activities (with member tokens) and then their breakdowns, which
    look the activities up between COPYs: the same rows, counts and ledger tally whether
    the COPYs run behind or in line (each import into a database of its own)."""
    activities = tmp_path / "activities.csv"
    rows = ["activity_id,date,kind,attendance,member_tokens"]
    rows += [f"G-{i},02/03/2026,group,5,tok{i}a;tok{i}b" for i in range(2500)]
    activities.write_text("\n".join(rows) + "\n", encoding="utf-8")
    breakdowns = tmp_path / "activities-breakdowns.csv"
    rows = ["activity_id,dimension,category,count"]
    rows += [f"G-{i},gender,female,2" for i in range(0, 2500, 2)]
    breakdowns.write_text("\n".join(rows) + "\n", encoding="utf-8")
    settings = ImportSettings(org="ORG", org_name="Org", token_secret=SECRET)
    imported = {}
    for behind in (True, False):
        with monkeypatch.context() as patch, empty_database("postgresql", tmp_path) as url:
            if not behind:
                patch.setattr(bulk.Statements, "copy_behind", lambda self: None)
            migrate(url)
            engine = open_engine(url)
            report = import_files(engine, [activities, breakdowns], settings)
            assert report.stored
            imported[behind] = ([str(r.counts) for r in report.files], _stored(engine))
            engine.dispose()
    assert imported[True] == imported[False]
    counts, stored = imported[True]
    assert counts == [
        "2500 added, 0 updated, 0 unchanged, 0 rejected",
        "1250 added, 0 updated, 0 unchanged, 0 rejected",
    ]
    assert len(stored["member_token"]) == 5000
    assert _copy_threads() == []


def test_the_first_failed_copy_of_several_queued_is_the_one_raised(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COPYs queue up (a batch of activities is two: the activities and their tokens).
    When one fails, those queued after it fail too (the transaction is aborted); the
    error raised is the first one's, and every COPY has ended before it is."""
    writer: RecordWriter | None = None
    with pytest.raises(IntegrityError), engine.begin() as conn:
        writer = _repeat_a_key(conn, monkeypatch)  # fails on the server
        for i in range(2, 2 + bulk.CopyBehind.DEPTH):  # queued behind it: aborted too
            writer.write("activities", [_activity(f"G-{i}")])  # one of these raises
    assert writer is not None
    writer.statements.stop_behind()  # every COPY had ended: nothing is left to raise
    with engine.connect() as conn:
        assert _count(conn, "DUP") == 0
    assert _copy_threads() == []
