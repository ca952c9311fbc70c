"""Migrations 0005 and 0006: row-level security on PostgreSQL (and nothing at all on SQLite)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from peerreport.store import row_security
from peerreport.store.database import _alembic_config, current_revision, head_revision, open_engine
from peerreport.store.database import upgrade as upgrade_to_head
from peerreport.store.hosted_schema import SERVER_TABLES
from peerreport.store.schema import (
    RECORD_TABLES,
    import_run,
    metadata,
    organisation,
    submitted_return,
)
from tests.conftest import empty_database

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
WALLED = {
    *row_security.RECORD_TABLES,
    *row_security.RETURN_TABLES,
    *row_security.RELEASE_TABLES,
}


@pytest.fixture
def pg_empty(tmp_path: Path) -> Iterator[str]:
    """An empty PostgreSQL schema (the tests skip without PostgreSQL)."""
    with empty_database("postgresql", tmp_path) as url:
        yield url


def _upgrade(engine: Engine, target: str) -> None:
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), target)


def _fill(conn: Connection, *orgs: str) -> None:
    """An organisation, an import and a submitted return for each of `orgs` (as the owner)."""
    for org in orgs:
        conn.execute(insert(organisation).values(org=org, name=f"Org {org}", created_at=NOW))
        conn.execute(insert(import_run).values(**_import(org)))
        conn.execute(
            insert(submitted_return).values(
                org=org,
                rule_id="r",
                rule_version="1",
                rule_digest="sha256:" + "ef" * 32,
                period_start=dt.date(2026, 4, 1),
                period_end=dt.date(2026, 6, 30),
                period_label="FY2026-Q4",
                version=1,
                submitted_at=NOW,
                records_digest="sha256:" + "01" * 32,
                return_json="{}",
            )
        )


def _import(org: str) -> dict[str, object]:
    return {
        "org": org,
        "file_name": "log.csv",
        "file_sha256": "ab" * 32,
        "finished_at": NOW,
        "added": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }


def _as_web_role(conn: Connection, records: str | None, returns: str | None) -> None:
    conn.execute(text(f"SET LOCAL ROLE {row_security.WEB_ROLE}"))
    for setting, value in (
        (row_security.RECORD_ORGS, records),
        (row_security.RETURN_ORGS, returns),
    ):
        if value is not None:
            conn.execute(text("SELECT set_config(:s, :v, true)"), {"s": setting, "v": value})


def _orgs(conn: Connection, table: object) -> list[str]:
    return sorted(conn.execute(select(table.c.org)).scalars())  # type: ignore[attr-defined]


def test_an_import_refreshes_the_statistics_of_every_record_table() -> None:
    records = {t.name for t in RECORD_TABLES.values()}
    assert set(row_security.ANALYZED) == records | {"member_token"}


def test_every_table_with_an_organisation_is_walled_or_named_as_the_directory() -> None:
    with_org = {t.name for t in metadata.tables.values() if "org" in t.c}
    directory = set(row_security.DIRECTORY_TABLES)
    assert with_org == WALLED | directory
    assert not WALLED & directory
    assert set(row_security.DELETED_FROM) <= SERVER_TABLES


@pytest.mark.postgres
def test_0005_walls_a_0004_database_and_keeps_its_rows(pg_empty: str) -> None:
    engine = open_engine(pg_empty)
    _upgrade(engine, "0004")
    with engine.begin() as conn:
        _fill(conn, "AAA001", "BBB002")
    upgrade_to_head(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        policies = conn.execute(
            text(
                "SELECT tablename, policyname, cmd, roles::text[] FROM pg_policies "
                "WHERE schemaname = current_schema()"
            )
        ).all()
        assert {p.tablename for p in policies} == WALLED
        assert {(p.policyname, p.cmd, tuple(p.roles)) for p in policies} == {
            (row_security.POLICY, "ALL", ("public",))
        }
        secured = dict(
            conn.execute(
                text(
                    "SELECT relname, relforcerowsecurity FROM pg_class "
                    "WHERE relnamespace = current_schema()::regnamespace AND relrowsecurity"
                )
            ).all()
        )
        assert set(secured) == WALLED
        assert not any(secured.values()), "the owner is never walled (no FORCE)"
        assert (
            conn.execute(
                text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :r"),
                {"r": row_security.WEB_ROLE},
            ).scalar_one()
            is False
        )
        # The owner still reads everything.
        assert _orgs(conn, submitted_return) == ["AAA001", "BBB002"]
    engine.dispose()


@pytest.mark.postgres
def test_the_web_role_may_do_what_the_application_does_and_no_more(pg_empty: str) -> None:
    engine = open_engine(pg_empty)
    upgrade_to_head(engine)
    with engine.connect() as conn:
        grants = conn.execute(
            text(
                "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = :r AND table_schema = current_schema()"
            ),
            {"r": row_security.WEB_ROLE},
        ).all()
        function = conn.execute(
            text(
                "SELECT prosecdef, proacl::text[] FROM pg_proc WHERE proname = :f "
                "AND pronamespace = current_schema()::regnamespace"
            ),
            {"f": row_security.ANALYZE_FUNCTION},
        ).one()
    assert function.prosecdef, "it runs as the owner, who may ANALYZE"
    users = {item.split("=")[0] for item in function.proacl}
    assert row_security.WEB_ROLE in users and "" not in users, "not PUBLIC"
    by_table: dict[str, set[str]] = {}
    for table, privilege in grants:
        by_table.setdefault(table, set()).add(privilege)
    assert by_table.pop(row_security.MIGRATIONS_TABLE) == {"SELECT"}
    assert set(by_table) == set(metadata.tables)
    for table, privileges in by_table.items():
        deletes = table in row_security.DELETED_FROM
        assert privileges == {"SELECT", "INSERT", "UPDATE"} | ({"DELETE"} if deletes else set())
    engine.dispose()


@pytest.mark.postgres
def test_the_web_role_sees_and_writes_only_the_organisations_it_is_given(pg_empty: str) -> None:
    engine = open_engine(pg_empty)
    upgrade_to_head(engine)
    with engine.begin() as conn:
        _fill(conn, "AAA001", "BBB002")
    with engine.begin() as conn:
        _as_web_role(conn, "AAA001", "AAA001,BBB002")
        assert _orgs(conn, import_run) == ["AAA001"]
        assert _orgs(conn, submitted_return) == ["AAA001", "BBB002"]
        everyone = conn.execute(select(organisation.c.org)).scalars().all()
        assert sorted(everyone) == ["AAA001", "BBB002"], "the directory has no policy"
        conn.execute(insert(import_run).values(**_import("AAA001")))
    for records, returns in ((None, None), ("", ""), ("ZZZ999", "ZZZ999")):
        with engine.begin() as conn:
            _as_web_role(conn, records, returns)
            assert _orgs(conn, import_run) == []
            assert _orgs(conn, submitted_return) == []
    with pytest.raises(DBAPIError, match="row-level security"), engine.begin() as conn:
        _as_web_role(conn, "AAA001", "AAA001")
        conn.execute(insert(import_run).values(**_import("BBB002")))
    with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as conn:
        _as_web_role(conn, "AAA001", "AAA001")
        conn.execute(text("DELETE FROM organisation"))
    with engine.connect() as conn:
        counts = conn.execute(
            select(import_run.c.org, func.count()).group_by(import_run.c.org)
        ).all()
    assert dict(counts) == {"AAA001": 2, "BBB002": 1}
    engine.dispose()


@pytest.mark.postgres
def test_0005_goes_down_and_up_again(pg_empty: str) -> None:
    engine = open_engine(pg_empty)
    upgrade_to_head(engine)
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0004")
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM pg_policies WHERE schemaname = current_schema()")
        ).scalar_one()
        privileges = conn.execute(
            text(
                "SELECT count(*) FROM information_schema.role_table_grants "
                "WHERE grantee = :r AND table_schema = current_schema()"
            ),
            {"r": row_security.WEB_ROLE},
        ).scalar_one()
        functions = conn.execute(
            text(
                "SELECT count(*) FROM pg_proc WHERE proname = :f "
                "AND pronamespace = current_schema()::regnamespace"
            ),
            {"f": row_security.ANALYZE_FUNCTION},
        ).scalar_one()
    assert (left, privileges, functions) == (0, 0, 0)
    upgrade_to_head(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def _policy_plan(engine: Engine) -> tuple[set[str], str]:
    """(each walled table's policy condition, the web role's plan of a read of the ledger)."""
    with engine.begin() as conn:
        conditions = set(
            conn.execute(
                text("SELECT qual FROM pg_policies WHERE schemaname = current_schema()")
            ).scalars()
        )
        _as_web_role(conn, "AAA001", "AAA001,BBB002")
        plan = "\n".join(
            conn.execute(text("EXPLAIN SELECT id FROM submitted_return WHERE version > 0"))
            .scalars()
            .all()
        )
    return conditions, plan


@pytest.mark.postgres
def test_0006_reads_the_organisations_once_per_statement_not_per_row(pg_empty: str) -> None:
    engine = open_engine(pg_empty)
    upgrade_to_head(engine)
    with engine.begin() as conn:
        _fill(conn, "AAA001", "BBB002", "CCC003")
    conditions, plan = _policy_plan(engine)
    assert all("SELECT string_to_array" in c for c in conditions), conditions
    assert "InitPlan" in plan, plan
    with engine.begin() as conn:
        _as_web_role(conn, "AAA001", "AAA001,BBB002")
        assert _orgs(conn, import_run) == ["AAA001"]
        assert _orgs(conn, submitted_return) == ["AAA001", "BBB002"]
    _upgrade_down(engine, "0005")
    conditions, plan = _policy_plan(engine)
    assert not any("SELECT" in c for c in conditions), conditions
    assert "InitPlan" not in plan, plan
    upgrade_to_head(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def _upgrade_down(engine: Engine, target: str) -> None:
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), target)


def _sqlite_schema(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT type, name, sql FROM sqlite_master WHERE name != 'alembic_version'")
        ).all()
    return sorted((str(r.type), str(r.name), str(r.sql)) for r in rows)


def test_0005_changes_nothing_on_sqlite(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'test.db'}")
    _upgrade(engine, "0004")
    before = _sqlite_schema(engine)
    _upgrade(engine, "0005")
    assert current_revision(engine) == "0005"
    assert _sqlite_schema(engine) == before
    engine.dispose()
