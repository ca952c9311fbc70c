"""`memory_engine`: each rule-file fixture's database is a fresh copy of a migrated one."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, text

from peerreport.store.database import HEAD_REVISION, memory_engine, open_engine, upgrade
from peerreport.store.schema import organisation


def _objects(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(text("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"))
        )


def test_a_memory_database_is_the_database_the_migrations_make(tmp_path: Path) -> None:
    made = open_engine(f"sqlite:///{tmp_path / 'made.db'}")
    upgrade(made)
    copied = memory_engine()
    try:
        assert _objects(copied) == _objects(made)
        with copied.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
                (HEAD_REVISION,)
            ]
            # The engine's own settings hold on the copy: foreign keys are enforced.
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        made.dispose()
        copied.dispose()


def test_each_memory_database_starts_empty(tmp_path: Path) -> None:
    """What one fixture stores is not in the next one's database, nor in the one copied."""
    first = memory_engine()
    with first.begin() as conn:
        conn.execute(insert(organisation).values(org="A", name="A", created_at=_now()))
    with first.connect() as conn:
        assert conn.execute(select(organisation.c.org)).scalars().all() == ["A"]
    second = memory_engine()
    with second.connect() as conn:
        assert conn.execute(select(organisation.c.org)).scalars().all() == []
    first.dispose()
    second.dispose()


def test_memory_databases_are_made_on_many_threads_at_once() -> None:
    """The web application runs fixtures on its worker threads: each gets its own copy."""
    seen: list[tuple[int, list[str]]] = []
    failures: list[BaseException] = []

    def fixture(number: int) -> None:
        try:
            engine = memory_engine()
            with engine.begin() as conn:
                conn.execute(
                    insert(organisation).values(org=f"O{number}", name="x", created_at=_now())
                )
            with engine.connect() as conn:
                seen.append((number, conn.execute(select(organisation.c.org)).scalars().all()))
            engine.dispose()
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=fixture, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(seen) == [(n, [f"O{n}"]) for n in range(8)]


def _now() -> Any:
    import datetime as dt

    return dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
