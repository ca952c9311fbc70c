"""Migration 0003 brings a workspace made before history was kept over, losing nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from alembic import command
from sqlalchemy import MetaData, Table, func, insert, select

from peerreport.audit.chain_check import check_chain
from peerreport.returns.build import records_digest
from peerreport.store import chain
from peerreport.store.database import _alembic_config, open_engine, upgrade
from peerreport.store.history import record_history
from peerreport.store.records import content_digest

ORG = "OLD001"
NOW = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)


def _activity(ident: str, attendance: int) -> dict[str, object]:
    values: dict[str, object] = {
        "org": ORG,
        "activity_id": ident,
        "date": dt.date(2026, 7, 10),
        "start_time": None,
        "duration_minutes": 90,
        "kind": "group",
        "programme": "Groups",
        "mode": "in_person",
        "setting": None,
        "group_id": None,
        "topic": None,
        "attendance": attendance,
        "first_time": None,
        "peer_workers": 1,
        "volunteers": None,
        "member_led": False,
        "co_facilitated": True,
        "population_focus": None,
        "community_session": False,
        "notes": None,
    }
    return {**values, "digest": content_digest(values, ["ab" * 32] if ident == "G-1" else [])}


def _fill_0002(conn: object) -> None:
    """Rows as peerreport wrote them at migration 0002."""
    meta = MetaData()
    tables = {
        name: Table(name, meta, autoload_with=conn)  # type: ignore[arg-type]
        for name in (
            "organisation",
            "activity",
            "activity_breakdown",
            "member_token",
            "workforce",
            "feedback",
            "import_run",
            "submitted_return",
        )
    }
    run = conn.execute  # type: ignore[attr-defined]
    run(insert(tables["organisation"]).values(org=ORG, name="Old Network", created_at=NOW))
    run(insert(tables["activity"]), [_activity("G-1", 7), _activity("G-2", 9)])
    breakdown = {"org": ORG, "activity_id": "G-1", "dimension": "age", "category": "25_64"}
    run(
        insert(tables["activity_breakdown"]).values(
            **breakdown, count=7, digest=content_digest({**breakdown, "count": 7})
        )
    )
    run(insert(tables["member_token"]).values(org=ORG, activity_id="G-1", token_hash="ab" * 32))
    workforce = {
        "org": ORG,
        "period_start": dt.date(2026, 7, 1),
        "period_end": dt.date(2026, 9, 30),
        "role": "peer_support_worker",
        "programme": "",
        "paid_fte": Decimal("1.50"),
        "paid_headcount": 2,
        "volunteer_count": None,
        "volunteer_hours": Decimal("0"),
        "supervision_hours": Decimal("6"),
        "training_hours": Decimal("3"),
    }
    run(insert(tables["workforce"]).values(**workforce, digest=content_digest(workforce)))
    run(
        insert(tables["import_run"]).values(
            org=ORG,
            file_name="log.xlsx",
            file_sha256="cd" * 32,
            finished_at=NOW,
            added=2,
            updated=0,
            unchanged=0,
            rejected=0,
        )
    )
    common = {
        "org": ORG,
        "rule_id": "r",
        "rule_version": "1",
        "rule_digest": "sha256:" + "ef" * 32,
        "period_start": dt.date(2026, 7, 1),
        "period_end": dt.date(2026, 9, 30),
        "period_label": "FY2027-Q1",
        "records_digest": "sha256:" + "01" * 32,
        "return_json": '{"format": "peerreport-return/1"}',
        "bundle_sha256": None,
    }
    run(insert(tables["submitted_return"]).values(**common, version=1, submitted_at=NOW))
    run(
        insert(tables["submitted_return"]).values(
            **common, version=2, supersedes_version=1, reason="late log", submitted_at=NOW
        )
    )


def _digests(conn: object) -> dict[str, set[str]]:
    meta = MetaData()
    found = {}
    for name in ("activity", "activity_breakdown", "workforce", "feedback"):
        table = Table(name, meta, autoload_with=conn)  # type: ignore[arg-type]
        found[name] = {str(d) for d in conn.execute(select(table.c.digest)).scalars()}  # type: ignore[attr-defined]
    return found


def test_records_and_submissions_come_over_as_revision_1_and_a_started_chain(
    empty_db_url: str,
) -> None:
    engine = open_engine(empty_db_url)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0002")
        _fill_0002(conn)
        before = _digests(conn)
    upgrade(engine)
    meta = MetaData()
    with engine.connect() as conn:
        after = _digests(conn)
        digest, counts = records_digest(conn, ORG, dt.date(2026, 7, 1), dt.date(2026, 9, 30), 1)
        for name, count in (
            ("activity", 2),
            ("activity_breakdown", 1),
            ("member_token", 1),
            ("workforce", 1),
            ("submitted_return", 2),
            ("import_run", 1),
        ):
            table = Table(name, meta, autoload_with=conn)
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == count
            if "valid_from" in table.c:
                versions = {tuple(r) for r in conn.execute(select(table.c.valid_from).distinct())}
                assert versions == {(1,)}, name
        kinds = [(e.kind, e.subject) for e in chain.entries(conn, ORG)]
    assert after == before, "every record's content digest is kept"
    assert counts == {"activities": 2, "breakdowns": 1, "workforce": 1, "feedback": 0}
    assert digest.startswith("sha256:")
    assert kinds == [
        ("revision", "revision 1"),
        ("submission", "submitted return 1"),
        ("amendment", "submitted return 2"),
    ]
    checked = check_chain(engine, ORG)
    assert checked.ok, [f.message for f in checked.findings]
    history = record_history(engine, ORG, "G-1")
    assert history.revisions[1].kind == "baseline"
    assert history.versions[0].source == "unknown (stored before history was kept)"
    engine.dispose()
