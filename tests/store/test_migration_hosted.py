"""Migration 0004 adds the hosted tables to a 0003 database, keeping what it holds."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, Table, func, insert, inspect, select, update
from sqlalchemy.exc import DBAPIError

from peerreport.store.database import (
    _alembic_config,
    current_revision,
    head_revision,
    open_engine,
    upgrade,
)
from peerreport.store.hosted_schema import published_rule, received_bundle

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
HOSTED = {
    "funder",
    "funder_provider",
    "account",
    "account_scope",
    "web_session",
    "api_token",
    "published_rule",
    "received_bundle",
}


def _fill_0003(conn: object) -> None:
    meta = MetaData()
    organisation = Table("organisation", meta, autoload_with=conn)  # type: ignore[arg-type]
    submitted = Table("submitted_return", meta, autoload_with=conn)  # type: ignore[arg-type]
    run = conn.execute  # type: ignore[attr-defined]
    run(insert(organisation).values(org="OLD001", name="Old Network", created_at=NOW))
    run(
        insert(submitted).values(
            org="OLD001",
            rule_id="r",
            rule_version="1",
            rule_digest="sha256:" + "ef" * 32,
            period_start=dt.date(2026, 7, 1),
            period_end=dt.date(2026, 9, 30),
            period_label="FY2027-Q1",
            version=1,
            submitted_at=NOW,
            records_digest="sha256:" + "01" * 32,
            return_json="{}",
        )
    )


def test_a_0003_database_gains_the_hosted_tables_and_keeps_its_rows(empty_db_url: str) -> None:
    engine = open_engine(empty_db_url)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0003")
        _fill_0003(conn)
    assert not HOSTED & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) >= HOSTED
    with engine.begin() as conn:
        meta = MetaData()
        submitted = Table("submitted_return", meta, autoload_with=conn)
        assert conn.execute(select(func.count()).select_from(submitted)).scalar_one() == 1
        submission = conn.execute(select(submitted.c.id)).scalar_one()
        conn.execute(
            insert(received_bundle).values(
                submission_id=submission,
                org="OLD001",
                sha256="ab" * 32,
                data=b"PK\x03\x04bundle",
                received_at=NOW,
                via="filed",
            )
        )
    with engine.connect() as conn:
        assert conn.execute(select(received_bundle.c.data)).scalar_one() == b"PK\x03\x04bundle"
    engine.dispose()


def test_received_bundles_and_published_rules_are_never_changed(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(Table("funder", MetaData(), autoload_with=conn)).values(
                code="FUND", name="A Funder", created_at=NOW
            )
        )
        conn.execute(
            insert(published_rule).values(
                funder="FUND",
                rule_id="r",
                rule_version="1",
                digest="sha256:" + "00" * 32,
                toml="id = 'r'",
                published_at=NOW,
            )
        )
    with pytest.raises(DBAPIError, match="never edited or deleted"), engine.begin() as conn:
        conn.execute(update(published_rule).values(toml="id = 'changed'"))
    with pytest.raises(DBAPIError, match="never edited or deleted"), engine.begin() as conn:
        conn.execute(published_rule.delete())
