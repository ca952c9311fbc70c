"""The tests' fresh databases (tests/migrated.py) are the databases the migrations make.

Most tests get a copy of a database migrated once per test process; these tests compare
a copy with a database the migrations made just now, object by object, on each backend:
if a copy ever missed a trigger, a policy, a grant or a row, every test on copies would
be testing a different database from the one coordinators have.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from peerreport.store.database import HEAD_REVISION, open_engine, upgrade
from tests.conftest import empty_database
from tests.migrated import _copy, can_copy, migrate

#: PostgreSQL's description of everything in the current schema, names and definitions
#: only (no oids), so two schemas made the same way describe alike.
_POSTGRES_CATALOGUE = {
    "columns": """
        SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length,
               numeric_precision, numeric_scale, is_nullable, column_default, is_identity
        FROM information_schema.columns WHERE table_schema = current_schema()
    """,
    "constraints": """
        SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        WHERE k.connamespace = current_schema()::regnamespace
    """,
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
    """,
    "triggers": """
        SELECT c.relname, t.tgname, t.tgenabled, pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal
    """,
    "functions": """
        SELECT proname, pg_get_functiondef(oid), proacl::text
        FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
    """,
    "owned sequences": """
        SELECT s.relname, t.relname, d.refobjsubid, d.deptype
        FROM pg_depend d JOIN pg_class s ON s.oid = d.objid JOIN pg_class t ON t.oid = d.refobjid
        WHERE s.relkind = 'S' AND d.deptype IN ('a', 'i')
          AND s.relnamespace = current_schema()::regnamespace
    """,
    "comments": """
        SELECT c.relname, d.objsubid, d.description
        FROM pg_description d JOIN pg_class c ON c.oid = d.objoid
        WHERE d.classoid = 'pg_class'::regclass AND c.relnamespace = current_schema()::regnamespace
    """,
    "policies": """
        SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check
        FROM pg_policies WHERE schemaname = current_schema()
    """,
    "tables": """
        SELECT relname, relkind, relrowsecurity, relforcerowsecurity, relacl::text,
               reloptions::text, relreplident, relpersistence
        FROM pg_class WHERE relnamespace = current_schema()::regnamespace
    """,
    "schema grants": """
        SELECT nspacl::text FROM pg_namespace WHERE oid = current_schema()::regnamespace
    """,
    "sequences": """
        SELECT * FROM pg_sequences WHERE schemaname = current_schema()
    """,
    "migrations": "SELECT version_num FROM alembic_version",
}


def _check(definition: str) -> str:
    """A CHECK constraint's definition, with PostgreSQL's two ways of writing a list.

    pg_dump writes `col IN (...)` checks as PostgreSQL deparses them, and reading that text
    back deparses differently: `ARRAY[('a'::character varying)::text, ...]` for
    `(ARRAY['a'::character varying, ...])::text[]`, the same constraint. Both become
    `ARRAY['a'::character varying, ...]`; every other word of the definition is kept."""
    definition = re.sub(
        r"\('((?:[^']|'')*)'::character varying\)::text", r"'\1'::character varying", definition
    )
    return re.sub(r"\((ARRAY\[[^\]]*\])\)::text\[\]", r"\1", definition)


def _describe(engine: Engine) -> dict[str, Any]:
    """Everything a database holds but its records: its objects and its rows of migrations."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            schema = conn.execute(
                text("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")
            ).all()
            rows = {
                str(table): conn.execute(text(f'SELECT * FROM "{table}"')).all()
                for kind, table, *_ in schema
                if kind == "table"
            }
            journal = conn.execute(text("PRAGMA journal_mode")).scalar()
            return {"schema": schema, "rows": rows, "journal": journal}
        here = str(conn.execute(text("SELECT current_schema()")).scalar())
        described: dict[str, Any] = {
            name: sorted(
                tuple(str(value).replace(here, "<schema>") for value in row)
                for row in conn.execute(text(query))
            )
            for name, query in _POSTGRES_CATALOGUE.items()
        }
        described["constraints"] = sorted(
            (table, name, kind, _check(definition))
            for table, name, kind, definition in described["constraints"]
        )
        described["rows"] = {
            str(table): conn.execute(text(f'SELECT * FROM "{table}"')).all()
            for (table,) in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
        }
        return described


_SEARCH_PATHS = """
    SELECT proconfig::text FROM pg_proc
    WHERE pronamespace = current_schema()::regnamespace AND proconfig IS NOT NULL
"""


def _schema(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT current_schema()")).scalar())


def test_a_copy_is_the_database_the_migrations_make(backend: str, tmp_path: Path) -> None:
    (tmp_path / "made").mkdir()
    (tmp_path / "copied").mkdir()
    with (
        empty_database(backend, tmp_path / "made") as made_url,
        empty_database(backend, tmp_path / "copied") as copied_url,
    ):
        if not can_copy(backend, copied_url):
            # Then every test runs the migrations themselves: slower, and nothing to compare.
            pytest.skip("no pg_dump of the server's major version here: tests migrate instead")
        made = open_engine(made_url)
        upgrade(made)
        assert _copy(copied_url), "no copy was made: the tests would all run the migrations"
        copied = open_engine(copied_url)
        try:
            described = _describe(copied)
            assert described == _describe(made)
            if backend == "postgresql":
                # The copy's definitions name its own schema, not the one copied (those
                # pinned to pg_catalog name no schema of ours: migration 0011's).
                with copied.connect() as conn:
                    settings = conn.execute(text(_SEARCH_PATHS)).scalars().all()
                ours = [s for s in settings if "search_path=pg_catalog" not in s]
                assert ours and all(_schema(copied) in s for s in ours)
                assert _schema(copied) != _schema(made)
            assert described["rows"]["alembic_version"] == [(HEAD_REVISION,)]
        finally:
            made.dispose()
            copied.dispose()


def test_a_database_that_is_not_empty_is_left_to_the_migrations(
    backend: str, tmp_path: Path
) -> None:
    """A copy is made into an empty database only; otherwise `migrate` upgrades, which
    says what is wrong (here: nothing, the database is at the newest schema)."""
    with empty_database(backend, tmp_path) as url:
        migrate(url)
        assert not _copy(url)
        migrate(url)  # the migrations find it current
        engine = open_engine(url)
        try:
            with engine.connect() as conn:
                versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
            assert versions == [(HEAD_REVISION,)]
        finally:
            engine.dispose()
