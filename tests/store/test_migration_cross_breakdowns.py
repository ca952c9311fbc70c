"""Migration 0010 gives breakdowns a second dimension; breakdowns stored at 0009 read back
unchanged, keep their digests and ledger tallies, and stay unchangeable in place."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, MetaData, Table, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from peerreport.audit.chain_check import _contents
from peerreport.records.models import BreakdownCount
from peerreport.store.database import _alembic_config, open_engine, upgrade
from peerreport.store.records import content_digest, save_records
from peerreport.store.schema import activity_breakdown
from tests.store.test_migration_units import ACTIVITY as UNITS_ACTIVITY

ORG = "OLD010"
NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
ACTIVITY: dict[str, Any] = {**UNITS_ACTIVITY, "org": ORG, "activity_id": "G-1", "kind": "group"}
BREAKDOWNS = [
    {"org": ORG, "activity_id": "G-1", "dimension": "ethnicity", "category": c, "count": n}
    for c, n in (("maori", 4), ("european", 5))
]


def _fill_0009(conn: Connection) -> None:
    meta = MetaData()
    tables = {
        n: Table(n, meta, autoload_with=conn)
        for n in ("organisation", "record_revision", "activity", "activity_breakdown")
    }
    assert "dimension2" not in tables["activity_breakdown"].c
    conn.execute(insert(tables["organisation"]).values(org=ORG, name="Old", created_at=NOW))
    conn.execute(
        insert(tables["record_revision"]).values(org=ORG, revision=1, kind="import", created_at=NOW)
    )
    version = {"valid_from": 1, "valid_to": None}
    conn.execute(
        insert(tables["activity"]).values(**ACTIVITY, **version, digest=content_digest(ACTIVITY))
    )
    for row in BREAKDOWNS:
        conn.execute(
            insert(tables["activity_breakdown"]).values(
                **row, **version, digest=content_digest(row)
            )
        )


def test_breakdowns_stored_at_0009_read_back_unchanged_after_0010(empty_db_url: str) -> None:
    engine = open_engine(empty_db_url)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0009")
        _fill_0009(conn)
    upgrade(engine)
    b = activity_breakdown
    with engine.begin() as conn:
        rows = conn.execute(
            select(b.c.category, b.c.dimension2, b.c.category2, b.c.count, b.c.digest).order_by(
                b.c.category
            )
        ).all()
        assert [tuple(r) for r in rows] == [
            ("european", "", "", 5, content_digest(BREAKDOWNS[1])),
            ("maori", "", "", 4, content_digest(BREAKDOWNS[0])),
        ]
        assert _contents(conn, ORG) == []  # the ledger's re-hash of every version matches
        same = [
            BreakdownCount.model_validate({k: v for k, v in r.items() if k != "org"})
            for r in BREAKDOWNS
        ]
        counts = save_records(conn, ORG, same)
        assert (counts.unchanged, counts.added, counts.updated) == (2, 0, 0)
        # A cross-tabulated count with the same first category is another record.
        crossed = same[0].model_copy(update={"dimension2": "age_band", "category2": "25_44"})
        assert save_records(conn, ORG, [crossed]).added == 1
    # The widened key: one current version per (…, dimension2, category2).
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            insert(b).values(
                **BREAKDOWNS[0], dimension2="age_band", category2="25_44", valid_from=3, digest="x"
            )
        )
    # Stored versions still cannot be edited in place (SQLite's triggers were made again).
    with pytest.raises(DBAPIError, match="never changed"), engine.begin() as conn:
        conn.execute(update(b).where(b.c.category == "european").values(category2="15_24"))
    engine.dispose()
