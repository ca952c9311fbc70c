"""The schema is made by Alembic migrations, identically on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from peerreport.errors import DatabaseError
from peerreport.store.database import (
    current_revision,
    ensure_current,
    head_revision,
    open_engine,
    upgrade,
)
from peerreport.store.hosted_schema import SERVER_TABLES
from peerreport.store.schema import metadata


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
