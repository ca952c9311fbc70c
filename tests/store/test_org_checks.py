"""Every record names an organisation that exists, and an organisation named by records stays.

SQLite keeps this with foreign keys. PostgreSQL keeps it for the large record
tables (`ORG_CHECKED_BY_TRIGGER`) with triggers that check a statement's rows at
once (migration 0011); these tests hold both to the same promise, through plain
INSERTs and through the COPY an import writes with.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, Table, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from peerreport.store.bulk import Columns, Statements
from peerreport.store.schema import (
    ORG_CHECKED_BY_TRIGGER,
    activity,
    activity_breakdown,
    member_token,
    organisation,
)

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _activity(org: str, activity_id: str = "A-1") -> dict[str, Any]:
    return {
        "org": org,
        "activity_id": activity_id,
        "date": dt.date(2026, 7, 1),
        "kind": "group",
        "attendance": 5,
        "member_led": False,
        "co_facilitated": False,
        "community_session": False,
        "digest": "0" * 32,
        "valid_from": 1,
    }


def _breakdown(org: str) -> dict[str, Any]:
    return {
        "org": org,
        "activity_id": "A-1",
        "dimension": "ethnicity",
        "category": "maori",
        "count": 2,
        "digest": "1" * 32,
        "valid_from": 1,
    }


def _token(org: str) -> dict[str, Any]:
    return {"org": org, "activity_id": "A-1", "valid_from": 1, "token_hash": "2" * 64}


ROWS: dict[str, tuple[Table, Callable[[str], dict[str, Any]]]] = {
    "activity": (activity, _activity),
    "activity_breakdown": (activity_breakdown, _breakdown),
    "member_token": (member_token, _token),
}


def _organisation(conn: Connection, org: str) -> None:
    conn.execute(insert(organisation).values(org=org, name=f"Org {org}", created_at=NOW))


def test_the_checked_tables_are_the_large_record_tables() -> None:
    assert sorted(ROWS) == sorted(ORG_CHECKED_BY_TRIGGER)


@pytest.mark.parametrize("table_name", sorted(ROWS))
def test_a_row_naming_an_unknown_organisation_is_refused(engine: Engine, table_name: str) -> None:
    table, row = ROWS[table_name]
    with engine.begin() as conn:
        _organisation(conn, "KNOWN1")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(table), [row("KNOWN1"), row("NOBODY")])
    with engine.begin() as conn:  # nothing of the refused statement was kept
        assert conn.execute(select(table.c.org)).all() == []
        conn.execute(insert(table).values(**row("KNOWN1")))
        assert conn.execute(select(table.c.org)).scalars().all() == ["KNOWN1"]


@pytest.mark.parametrize("table_name", sorted(ROWS))
def test_a_copy_naming_an_unknown_organisation_is_refused(engine: Engine, table_name: str) -> None:
    """The way an import writes on PostgreSQL (`Statements.insert`: COPY), and executemany on
    SQLite: refused with the same exception either way."""
    table, row = ROWS[table_name]
    with engine.begin() as conn:
        _organisation(conn, "KNOWN1")
    names = list(row("KNOWN1"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        columns = Columns.of(conn, table, names)
        rows = [row("KNOWN1"), {**row("NOBODY"), "activity_id": "A-2"}]
        Statements(conn).insert(table, columns, columns.tuples(rows))
    with engine.connect() as conn:
        assert conn.execute(select(table.c.org)).all() == []


def test_an_organisation_with_records_cannot_be_deleted_or_renamed(engine: Engine) -> None:
    with engine.begin() as conn:
        _organisation(conn, "USED01")
        _organisation(conn, "SPARE1")
        conn.execute(insert(activity).values(**_activity("USED01")))
    for change in (
        delete(organisation).where(organisation.c.org == "USED01"),
        update(organisation).where(organisation.c.org == "USED01").values(org="USED02"),
    ):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(change)
    with engine.begin() as conn:
        # Its name may change; an organisation without records may go.
        conn.execute(
            update(organisation).where(organisation.c.org == "USED01").values(name="Renamed")
        )
        conn.execute(update(organisation).where(organisation.c.org == "SPARE1").values(org="SP2"))
        conn.execute(delete(organisation).where(organisation.c.org == "SP2"))
        assert conn.execute(select(organisation.c.org, organisation.c.name)).all() == [
            ("USED01", "Renamed")
        ]


@pytest.mark.parametrize("table_name", sorted(ROWS))
def test_each_checked_table_keeps_its_organisation(engine: Engine, table_name: str) -> None:
    table, row = ROWS[table_name]
    with engine.begin() as conn:
        _organisation(conn, "USED01")
        conn.execute(insert(table).values(**row("USED01")))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(delete(organisation).where(organisation.c.org == "USED01"))


def test_organisation_is_not_truncated_under_records(postgres_engine: Engine) -> None:
    engine = postgres_engine  # SQLite has no TRUNCATE
    with engine.begin() as conn:
        _organisation(conn, "USED01")
        conn.execute(insert(member_token).values(**_token("USED01")))
    with pytest.raises(IntegrityError, match="cannot be truncated"), engine.begin() as conn:
        # CASCADE would take every table with a real key to it, but not the records.
        conn.execute(text("TRUNCATE organisation CASCADE"))
    with engine.connect() as conn:
        assert conn.execute(select(organisation.c.org)).scalars().all() == ["USED01"]


def test_an_insert_holds_its_organisation_until_it_commits(postgres_engine: Engine) -> None:
    """As a foreign key does: the organisation's row is locked FOR KEY SHARE, so a delete
    waits for the insert's transaction, and then finds the records. (SQLite has one writer
    at a time.)"""
    engine = postgres_engine
    with engine.begin() as conn:
        _organisation(conn, "HELD01")
    inserting = engine.connect()
    writing = inserting.begin()
    inserting.execute(insert(activity).values(**_activity("HELD01")))
    try:
        with pytest.raises(DBAPIError, match="lock timeout"), engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '200ms'"))
            conn.execute(delete(organisation).where(organisation.c.org == "HELD01"))
        outcome: dict[str, BaseException] = {}

        def delete_waiting() -> None:
            try:
                with engine.begin() as conn:
                    conn.execute(delete(organisation).where(organisation.c.org == "HELD01"))
            except BaseException as exc:
                outcome["error"] = exc

        waiting = threading.Thread(target=delete_waiting)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()  # still waiting for the insert
        writing.commit()
        waiting.join(10)
        assert isinstance(outcome.get("error"), IntegrityError)
    finally:
        inserting.close()
    with engine.connect() as conn:
        assert conn.execute(select(activity.c.org)).scalars().all() == ["HELD01"]


def test_the_checks_run_once_a_statement_on_postgresql(engine: Engine) -> None:
    """The three tables have no row-level foreign key to `organisation` there, and a
    statement-level trigger after INSERT instead; SQLite keeps its foreign keys."""
    with engine.connect() as conn:
        if engine.dialect.name != "postgresql":
            for name in ORG_CHECKED_BY_TRIGGER:
                keys = conn.execute(text(f"PRAGMA foreign_key_list({name})")).all()
                assert [(k[2], k[3], k[4]) for k in keys] == [("organisation", "org", "org")]
            return
        triggers = conn.execute(
            text(
                "SELECT c.relname, t.tgtype FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal AND t.tgname LIKE '%known_org'"
                " AND c.relnamespace = to_regnamespace(current_schema())::oid"
            )
        ).all()
        keys = conn.execute(
            text(
                "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f'"
                " AND confrelid = 'organisation'::regclass"
                " AND connamespace = to_regnamespace(current_schema())::oid"
            )
        ).scalars()
    assert sorted(name for name, _ in triggers) == sorted(ORG_CHECKED_BY_TRIGGER)
    # tgtype: 1 is FOR EACH ROW (not set), 4 is INSERT (set), 2 is BEFORE (not set).
    assert all(kind & 1 == 0 and kind & 4 and kind & 2 == 0 for _, kind in triggers)
    assert not set(ORG_CHECKED_BY_TRIGGER) & set(keys)
