"""The hash chain: one tamper-evident sequence of everything that must not change.

Each organisation has its own chain in `ledger_entry`. An entry records one
event — a revision of the records (`revision`), a submission or amendment
(`submission`), an acceptance, query or reply (`event`) — as canonical JSON,
and its hash commits to the previous entry's hash:

    hash(n) = sha256( hash(n-1) "\\n" kind "\\n" subject "\\n" payload )

with `GENESIS` before the first entry. Editing, deleting or reordering any
entry breaks every later hash; editing a row the entry describes (a submitted
return, a record version) no longer matches the entry's payload. Someone with
the database owner's rights could rebuild the whole chain after an edit, so
every bundle carries the chain's head at its submission (`seq` and `hash`):
a funder holding the bundle can prove the chain has since been rewritten.
`peerreport audit ledger` checks all of this (peerreport/audit/chain_check.py).

Appends are serialised per organisation: on PostgreSQL by a transaction-scoped
advisory lock, on SQLite by the database's single writer; the primary key
(org, seq) is the backstop.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, text

from peerreport.store.schema import ledger_entry
from peerreport.store.times import as_utc

GENESIS = "sha256:" + "0" * 64


@dataclass(frozen=True)
class Entry:
    """One link of the chain."""

    org: str
    seq: int
    kind: str
    subject: str
    payload: str
    prev_hash: str
    hash: str

    @property
    def data(self) -> dict[str, Any]:
        """The payload as JSON data."""
        value = json.loads(self.payload)
        assert isinstance(value, dict)
        return value

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "subject": self.subject,
            "payload": self.data,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class Anchor:
    """The chain's head at one moment: what a bundle carries."""

    seq: int
    head: str

    def to_dict(self) -> dict[str, Any]:
        """The `ledger` block of a bundle's manifest."""
        return {"seq": self.seq, "head": self.head}


def canonical(payload: dict[str, Any]) -> str:
    """Canonical JSON text: sorted keys, no spaces, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, kind: str, subject: str, payload: str) -> str:
    """The hash an entry must have."""
    text_ = f"{prev_hash}\n{kind}\n{subject}\n{payload}"
    return "sha256:" + hashlib.sha256(text_.encode("utf-8")).hexdigest()


def lock_key(org: str) -> int:
    """A signed 64-bit advisory lock key for one organisation's chain."""
    name = f"peerreport-chain|{org}".encode()
    return int.from_bytes(hashlib.sha256(name).digest()[:8], "big", signed=True)


def head(conn: Connection, org: str) -> Anchor | None:
    """The newest entry's (seq, hash), or None for an empty chain."""
    row = conn.execute(
        select(ledger_entry.c.seq, ledger_entry.c.hash)
        .where(ledger_entry.c.org == org)
        .order_by(ledger_entry.c.seq.desc())
        .limit(1)
    ).first()
    return Anchor(int(row.seq), str(row.hash)) if row is not None else None


def append(conn: Connection, org: str, kind: str, subject: str, payload: dict[str, Any]) -> Entry:
    """Add an entry at the end of `org`'s chain, inside the caller's transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(org)})
    last = head(conn, org)
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.head
    body = canonical(payload)
    entry = Entry(org, seq, kind, subject, body, prev, entry_hash(prev, kind, subject, body))
    conn.execute(
        insert(ledger_entry).values(
            org=org,
            seq=seq,
            kind=kind,
            subject=subject,
            payload=body,
            prev_hash=prev,
            hash=entry.hash,
        )
    )
    return entry


def entries(conn: Connection, org: str) -> list[Entry]:
    """The whole chain of `org`, in order of `seq`."""
    rows = conn.execute(
        select(ledger_entry).where(ledger_entry.c.org == org).order_by(ledger_entry.c.seq)
    )
    return [
        Entry(r.org, int(r.seq), r.kind, r.subject, r.payload, r.prev_hash, r.hash) for r in rows
    ]


def iso(value: dt.datetime | dt.date | None) -> str | None:
    """A stored time as ISO text in UTC (SQLite gives datetimes back without their zone)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return as_utc(value).replace(microsecond=0).isoformat()
    return value.isoformat()


def submission_payload(row: Any) -> dict[str, Any]:
    """What the chain records of a `submitted_return` row (the return by its sha256)."""
    return {
        "id": int(row.id),
        "rule_id": row.rule_id,
        "rule_version": row.rule_version,
        "rule_digest": row.rule_digest,
        "period": [iso(row.period_start), iso(row.period_end), row.period_label],
        "version": int(row.version),
        "supersedes_version": row.supersedes_version,
        "reason": row.reason,
        "submitted_at": iso(row.submitted_at),
        "records_digest": row.records_digest,
        "records_revision": row.records_revision,
        "return_sha256": hashlib.sha256(row.return_json.encode("utf-8")).hexdigest(),
        "bundle_sha256": row.bundle_sha256,
        "due_date": iso(row.due_date),
        "late": bool(row.late),
    }


def event_payload(row: Any) -> dict[str, Any]:
    """What the chain records of a `return_event` row."""
    return {
        "id": int(row.id),
        "submission_id": int(row.submission_id),
        "kind": row.kind,
        "at": iso(row.at),
        "note": row.note,
        "actor": row.actor,
    }


def revision_payload(
    row: Any, imports: list[dict[str, Any]], versions: dict[str, Any]
) -> dict[str, Any]:
    """What the chain records of a `record_revision` row, its files and its record versions."""
    return {
        "revision": int(row.revision),
        "kind": row.kind,
        "created_at": iso(row.created_at),
        "reason": row.reason,
        "imports": imports,
        "versions": versions,
    }


def import_payload(row: Any) -> dict[str, Any]:
    """What the chain records of one file of an import (`import_run` row)."""
    return {
        "id": int(row.id),
        "file_name": row.file_name,
        "file_sha256": row.file_sha256,
        "counts": [int(row.added), int(row.updated), int(row.unchanged), int(row.rejected)],
    }
