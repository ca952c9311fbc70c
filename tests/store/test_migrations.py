"""The schema is made by Alembic migrations, identically on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from peerreport.errors import DatabaseError
from peerreport.store.database import (
    HEAD_REVISION,
    current_revision,
    ensure_current,
    head_revision,
    open_engine,
    upgrade,
)
from peerreport.store.hosted_schema import SERVER_TABLES
from peerreport.store.schema import ORG_CHECKED_BY_TRIGGER, metadata


def test_upgrade_creates_the_schema_and_matches_the_models(empty_db_url: str) -> None:
    engine = open_engine(empty_db_url)
    assert current_revision(engine) is None
    with pytest.raises(DatabaseError, match="no peerreport tables"):
        ensure_current(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    ensure_current(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    if engine.dialect.name == "postgresql":
        # Triggers keep these keys there (migration 0011): the keys schema.py declares and
        # the database has not are the only difference allowed.
        triggered = [
            d
            for d in differences
            if d[0] == "add_fk"
            and d[1].parent.name in ORG_CHECKED_BY_TRIGGER
            and d[1].referred_table.name == "organisation"
        ]
        assert sorted(d[1].parent.name for d in triggered) == sorted(ORG_CHECKED_BY_TRIGGER)
        differences = [d for d in differences if d not in triggered]
    assert differences == [], "schema.py and the migrations disagree; add a migration"
    engine.dispose()


def test_upgrade_twice_is_harmless(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_every_table_carries_the_organisation() -> None:
    """...except the hosted server's own tables (accounts, funders, published rule files)."""
    for table in metadata.tables.values():
        if table.name in SERVER_TABLES:
            continue
        assert "org" in table.c, f"{table.name} has no org column"


def test_the_head_revision_constant_is_the_scripts_head() -> None:
    """`ensure_current` compares with HEAD_REVISION so as not to read the scripts: a new
    migration must update it."""
    assert head_revision() == HEAD_REVISION


def test_a_database_one_migration_behind_is_refused_without_the_quick_answer(
    db_url: str,
) -> None:
    """The quick check reads alembic_version: a database at an older migration still gets
    the plain message (through Alembic), and one at the head passes."""
    engine = open_engine(db_url)
    ensure_current(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    with pytest.raises(DatabaseError, match=r"schema is at 0009.*peerreport db upgrade"):
        ensure_current(engine)
    engine.dispose()
