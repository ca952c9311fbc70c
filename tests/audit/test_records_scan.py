"""`records scan`: the privacy detectors over the stored records, names included."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from peerreport.audit.records_scan import scan_records
from peerreport.records.models import Activity, FeedbackTally, Record, WorkforceEntry
from peerreport.store.records import ensure_organisation, save_records
from tests.audit.conftest import Run
from tests.helpers import make_workspace

ORG = "TEST01"


def _unchecked_activity(activity_id: str, **fields: Any) -> Activity:
    """An activity as it might have been stored before a detector existed (never validated)."""
    values: dict[str, Any] = {
        "activity_id": activity_id,
        "date": dt.date(2026, 7, 10),
        "kind": "group",
        "attendance": 5,
        "member_tokens": [],
        **fields,
    }
    return Activity.model_construct(**values)


def _store(engine: Engine, records: list[Record], org: str = ORG) -> None:
    with engine.begin() as conn:
        ensure_organisation(conn, org, "Test Peer Network")
        save_records(conn, org, records)


def _leaky() -> list[Record]:
    period = {"period_start": dt.date(2026, 7, 1), "period_end": dt.date(2026, 9, 30)}
    return [
        _unchecked_activity("A-1", topic="Aroha led the session tonight"),
        _unchecked_activity("A-2", notes="Mr T. Walker's medication changed", programme="Peer"),
        _unchecked_activity("Sione-3", group_id="Tuesday evening group"),
        _unchecked_activity("A-4", topic="Aroha and manaakitanga", group_id="Aroha Peer Group"),
        WorkforceEntry.model_construct(
            **period, role="peer_worker", programme="Hemi's team", paid_fte=Decimal(1),
            volunteer_hours=Decimal(0), supervision_hours=Decimal(0), training_hours=Decimal(0),
        ),
        FeedbackTally.model_construct(
            **period, programme=None, question="Did Dr Lee help you?", response="4", count=3
        ),
    ]  # fmt: skip


def test_findings_name_the_record_and_field_and_mask_the_value(engine: Engine) -> None:
    _store(engine, _leaky())
    found = scan_records(engine, ORG)

    assert not found.clean
    assert found.records == 6
    assert [f.message for f in found.findings] == [
        'activities A-1, field "topic": looks like a person\'s name (A****)',
        'activities A-2, field "notes": looks like a person\'s name (M* *. ******)',
        'activities S****-3, field "activity_id": looks like a person\'s name (S****)',
        "workforce 2026-07-01 / 2026-09-30 / peer_worker / H***'s team, "
        'field "programme": looks like a person\'s name (H***)',
        "feedback 2026-07-01 / 2026-09-30 / Did D* *** help you? / 4, "
        'field "question": looks like a person\'s name (D* ***)',
    ]
    assert found.findings[0].location.key == "activities A-1"
    assert found.findings[0].location.column == "topic"
    assert {f.code for f in found.findings} == {"SCN-004"}
    shown = json.dumps(found.to_dict())
    for secret in ("Aroha", "Walker", "Sione", "Hemi", "Lee"):
        assert secret not in shown


def test_only_current_records_of_the_organisation_are_scanned(engine: Engine) -> None:
    _store(engine, [_unchecked_activity("A-1", topic="Aroha led the session tonight")])
    _store(engine, [_unchecked_activity("A-1", topic="Peer support")])  # corrected since
    _store(engine, [_unchecked_activity("B-1", topic="Tama said hello")], org="OTHER")

    found = scan_records(engine, ORG)
    assert found.clean and found.records == 1
    assert not scan_records(engine, "OTHER").clean


def test_records_scan_command_exits_1_when_something_is_found(
    run: Run, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url, code=ORG)
    ws = ["--workspace", workspace.root]
    _store(engine, [_unchecked_activity("A-1", topic="Peer support")])
    clean = run("records", "scan", *ws)
    assert clean.exit_code == 0, clean.output
    assert "scanned 1 current records" in clean.output and "CLEAN" in clean.output

    _store(engine, _leaky())
    found = run("records", "scan", *ws)
    assert found.exit_code == 1
    assert 'activities A-1, field "topic": looks like a person\'s name (A****)' in found.output
    assert "Aroha" not in found.output
    as_json = run("records", "scan", *ws, "--json")
    assert as_json.exit_code == 1
    document = json.loads(as_json.output)
    assert document["clean"] is False and len(document["findings"]) == 5


def test_the_demo_bundle_and_records_have_nothing_to_find(run: Run, tmp_path: Path) -> None:
    # The return's own labels, measure names and the sample's groups and topics are words,
    # not names: a real bundle and its records scan clean.
    demo = run("demo", "--out", tmp_path / "demo")
    assert demo.exit_code == 0, demo.output
    (bundle,) = (tmp_path / "demo" / "submissions").glob("*.bundle.zip")
    scanned = run("audit", "scan", bundle, "--workspace", tmp_path / "demo")
    assert scanned.exit_code == 0, scanned.output
    assert "CLEAN" in scanned.output
    records = run("records", "scan", "--workspace", tmp_path / "demo")
    assert records.exit_code == 0, records.output
