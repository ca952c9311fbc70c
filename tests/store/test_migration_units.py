"""Migration 0009 adds purchase units and new counts; records stored at 0008 read back unchanged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, MetaData, Table, insert, select, update
from sqlalchemy.exc import DBAPIError

from peerreport.audit.chain_check import _contents
from peerreport.records.models import Activity, WorkforceEntry
from peerreport.store.database import _alembic_config, open_engine, upgrade
from peerreport.store.records import content_digest, ensure_organisation, save_records
from peerreport.store.schema import activity

ORG = "OLD009"
NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)

ACTIVITY: dict[str, Any] = {
    "org": ORG,
    "activity_id": "W-1",
    "date": dt.date(2026, 7, 10),
    "start_time": dt.time(18, 30),
    "duration_minutes": 20,
    "kind": "warm_line_call",
    "programme": "Warm line",
    "mode": "phone",
    "setting": None,
    "group_id": None,
    "topic": None,
    "attendance": 1,
    "first_time": None,
    "peer_workers": 1,
    "volunteers": None,
    "member_led": False,
    "co_facilitated": False,
    "population_focus": None,
    "community_session": False,
    "notes": None,
}
WORKFORCE: dict[str, Any] = {
    "org": ORG,
    "period_start": dt.date(2026, 7, 1),
    "period_end": dt.date(2026, 9, 30),
    "role": "peer_support_worker",
    "programme": "",
    "paid_fte": Decimal("1.50"),
    "paid_headcount": 2,
    "volunteer_count": None,
    "volunteer_hours": Decimal("0.00"),
    "supervision_hours": Decimal("6.00"),
    "training_hours": Decimal("3.00"),
}


def _fill_0008(conn: Connection) -> None:
    """Rows as peerreport wrote them at migration 0008 (no purchase units, no new counts)."""
    meta = MetaData()
    tables = {
        n: Table(n, meta, autoload_with=conn)
        for n in ("organisation", "record_revision", "activity", "workforce")
    }
    assert "purchase_unit" not in tables["activity"].c
    conn.execute(insert(tables["organisation"]).values(org=ORG, name="Old", created_at=NOW))
    conn.execute(
        insert(tables["record_revision"]).values(org=ORG, revision=1, kind="import", created_at=NOW)
    )
    version = {"valid_from": 1, "valid_to": None}
    conn.execute(
        insert(tables["activity"]).values(**ACTIVITY, **version, digest=content_digest(ACTIVITY))
    )
    conn.execute(
        insert(tables["workforce"]).values(**WORKFORCE, **version, digest=content_digest(WORKFORCE))
    )


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "org"}


def _rows(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    meta = MetaData()
    found = {}
    for name in ("activity", "workforce"):
        table = Table(name, meta, autoload_with=conn)
        found[name] = [dict(r._mapping) for r in conn.execute(select(table))]
    return found


def test_records_stored_at_0008_read_back_unchanged_after_0009(empty_db_url: str) -> None:
    engine = open_engine(empty_db_url)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0008")
        _fill_0008(conn)
        before = _rows(conn)
    upgrade(engine)
    with engine.begin() as conn:
        after = _rows(conn)
        for name, rows in after.items():
            added = {"purchase_unit", "resources_linked", "resources_given", "calls_missed"}
            assert [{k: v for k, v in r.items() if k not in added} for r in rows] == before[name]
            assert all(r[k] is None for r in rows for k in added if k in r)
        # The ledger's re-hash of every stored version (new columns included) still matches.
        assert _contents(conn, ORG) == []
        # The same records imported again are unchanged, not a new version.
        same = [
            Activity.model_validate(_fields(ACTIVITY)),
            WorkforceEntry.model_validate(_fields(WORKFORCE)),
        ]
        counts = save_records(conn, ORG, same)
        assert (counts.unchanged, counts.added, counts.updated) == (2, 0, 0)
        # A purchase unit given later is a new version of the record.
        units = [same[0].model_copy(update={"purchase_unit": "MHC36F", "calls_missed": 2})]
        assert save_records(conn, ORG, units).updated == 1
    engine.dispose()


def test_a_stored_version_s_new_columns_cannot_be_edited_in_place(db_url: str) -> None:
    engine = open_engine(db_url)
    with engine.begin() as conn:
        ensure_organisation(conn, ORG, "Org")
        save_records(conn, ORG, [Activity.model_validate(_fields(ACTIVITY))])
    with pytest.raises(DBAPIError, match="never changed"), engine.begin() as conn:
        conn.execute(update(activity).values(purchase_unit="MHC99"))
    engine.dispose()
