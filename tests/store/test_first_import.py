"""An organisation's first import skips the stored-digest lookups, and only when it is safe.

`RecordWriter(..., keys_once=True)` (what the importer uses: it refuses a repeated
row) decides, per table and under the organisation's write lock, whether the
organisation had any version in the table; if not, none of its keys can be stored
and they are not looked up. The rows it stores must be exactly those the lookups
would have led to.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from peerreport.store import bulk
from peerreport.store.database import open_engine
from peerreport.store.history import withdraw
from peerreport.store.records import RecordWriter, ensure_organisation
from tests.conftest import empty_database
from tests.migrated import migrate
from tests.store.test_fast_writes import SECRET, _activity, _history, _import, _stored


class OnceWriter(RecordWriter):
    """The writer as the importer makes it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, keys_once=True, **kwargs)


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, bool]]]:
    """Every stored-digest lookup made: (table, current)."""
    made: list[tuple[str, bool]] = []
    looked_up = bulk.Statements.current_digests

    def spy(self: bulk.Statements, table: Any, *args: Any, current: bool) -> Any:
        made.append((table.name, current))
        return looked_up(self, table, *args, current=current)

    monkeypatch.setattr(bulk.Statements, "current_digests", spy)
    yield made


def test_skipping_the_lookups_stores_exactly_what_the_lookups_stored(
    engine: Engine, backend: str, tmp_path: Path, lookups: list[tuple[str, bool]]
) -> None:
    once = _history(engine, OnceWriter)
    skipped = list(lookups)
    (tmp_path / "reference").mkdir()
    with empty_database(backend, tmp_path / "reference") as url:
        migrate(url)
        reference = open_engine(url)
        try:
            looked_up = _history(reference, RecordWriter)
            with reference.connect() as conn:
                expected = _stored(conn, "ORG")
        finally:
            reference.dispose()
    assert once == looked_up  # counts, withdrawn keys, the revisions' tallies
    with engine.connect() as conn:
        assert _stored(conn, "ORG") == expected
    # The first import looked nothing up; the second (after it) looked up every table.
    current = sorted(table for table, current in skipped if current)
    assert current == ["activity", "activity_breakdown", "feedback", "workforce"]


def test_first_import_of_each_table_looks_nothing_up(
    engine: Engine, lookups: list[tuple[str, bool]]
) -> None:
    _import(engine, OnceWriter, "ORG", [_activity("G-1")])
    assert lookups == []
    _import(engine, OnceWriter, "OTHER", [_activity("G-1")])  # another organisation's rows
    assert lookups == []
    counts, _, _ = _import(engine, OnceWriter, "ORG", [_activity("G-1"), _activity("G-2")])
    assert (counts.added, counts.unchanged) == (1, 1)
    assert ("activity", True) in lookups


def test_a_withdrawn_record_alone_keeps_the_lookups(
    engine: Engine, lookups: list[tuple[str, bool]]
) -> None:
    _import(engine, OnceWriter, "ORG", [_activity("G-1")])
    withdraw(engine, "ORG", "G-1", "entered by mistake")
    counts, withdrawn, _ = _import(engine, OnceWriter, "ORG", [_activity("G-1")])
    assert withdrawn == ["G-1"]  # found by the lookup of closed versions: not imported again
    assert (counts.added, counts.unchanged) == (0, 1)
    assert ("activity", False) in lookups


def test_a_connection_that_is_not_yet_the_writer_looks_keys_up(
    engine: Engine, backend: str
) -> None:
    """SQLite: a connection that has not written is not the database's one writer yet, so
    another could add rows after the check. PostgreSQL: the advisory lock is taken first,
    and only READ COMMITTED sees what was committed before it was granted."""
    with engine.connect() as conn:
        writer = OnceWriter(conn, "ORG", SECRET)
        assert writer._none_stored("activities") is (backend == "postgresql")
        conn.rollback()
    with engine.connect() as conn:
        ensure_organisation(conn, "ORG", "ORG")  # a write: now the writer, on SQLite too
        assert OnceWriter(conn, "ORG", SECRET)._none_stored("activities") is True
        conn.rollback()
    if backend == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            assert OnceWriter(conn, "ORG", SECRET)._none_stored("activities") is False
            conn.rollback()
    with engine.connect() as conn:
        ensure_organisation(conn, "ORG", "ORG")
        assert RecordWriter(conn, "ORG", SECRET)._none_stored("activities") is False
        conn.rollback()
