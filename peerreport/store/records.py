"""Writing records to the database: idempotent upserts by natural key, in batches.

Each stored row carries a digest of its content. Re-importing a record whose
digest is unchanged does nothing; a changed digest updates the row. All writes
of one import happen inside the caller's transaction, so an import that fails
leaves the database exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    and_,
    bindparam,
    delete,
    insert,
    select,
    text,
    tuple_,
    update,
)

from peerreport.records.models import Activity, Record
from peerreport.store.schema import RECORD_TABLES, activity, member_token, organisation


@dataclass
class ImportCounts:
    """What an import did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def __iadd__(self, other: ImportCounts) -> ImportCounts:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += other.rejected
        return self

    def __str__(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.rejected} rejected"
        )


def prepare_bulk_load(conn: Connection) -> None:
    """Make a long import in one transaction stay linear on PostgreSQL.

    Foreign-key checks run as cached plans; a generic plan made while a table
    looked empty is a sequential scan, and a million-row import then slows down
    quadratically. Custom plans, for this transaction only, follow the table's
    real size.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def ensure_organisation(conn: Connection, org: str, name: str) -> None:
    """Create the organisation row if it does not exist yet."""
    found = conn.execute(select(organisation.c.org).where(organisation.c.org == org)).first()
    if found is None:
        conn.execute(
            insert(organisation).values(org=org, name=name, created_at=dt.datetime.now(dt.UTC))
        )


def hash_token(secret: bytes, token: str) -> str:
    """The keyed hash a member token is stored as (HMAC-SHA256)."""
    return hmac.new(secret, token.strip().encode("utf-8"), hashlib.sha256).hexdigest()


def record_values(org: str, record: Record) -> dict[str, Any]:
    """The column values of a record's row (without its digest)."""
    values: dict[str, Any] = {"org": org}
    values.update(record.model_dump(exclude={"member_tokens"}))
    if "programme" in values and values["programme"] is None and not isinstance(record, Activity):
        values["programme"] = ""  # part of the natural key, so never NULL
    return values


def _canonical(value: Any) -> str:
    """One spelling per value: Decimal('4.20') and Decimal('4.2') are the same number."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def content_digest(values: dict[str, Any], tokens: Sequence[str] = ()) -> str:
    """A short hash of a row's content, to tell unchanged records from updated ones."""
    # JSON of the sorted items is unambiguous (strings are quoted and escaped).
    canonical = json.dumps(
        [sorted((k, _canonical(v)) for k, v in values.items()), sorted(tokens)],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


class RecordWriter:
    """Upserts records of one organisation, a batch at a time, on one connection."""

    def __init__(self, conn: Connection, org: str, token_secret: bytes | None) -> None:
        self.conn = conn
        self.org = org
        self.token_secret = token_secret
        self.counts = ImportCounts()

    def missing_activities(self, activity_ids: Iterable[str]) -> set[str]:
        """Which of these activity ids are not stored for this organisation."""
        wanted = set(activity_ids)
        found: set[str] = set()
        chunk = sorted(wanted)
        for start in range(0, len(chunk), 500):
            part = chunk[start : start + 500]
            rows = self.conn.execute(
                select(activity.c.activity_id).where(
                    activity.c.org == self.org, activity.c.activity_id.in_(part)
                )
            )
            found.update(r[0] for r in rows)
        return wanted - found

    def write(self, record_type: str, records: Sequence[Record]) -> None:
        """Insert new records, update changed ones, count unchanged ones."""
        if not records:
            return
        table = RECORD_TABLES[record_type]
        model = type(records[0])
        key_columns = [table.c[name] for name in ("org", *model.natural_key)]
        rows: list[dict[str, Any]] = []
        tokens: list[list[str]] = []
        for record in records:
            values = record_values(self.org, record)
            hashed = self._hashed_tokens(record)
            values["digest"] = content_digest(values, hashed)
            rows.append(values)
            tokens.append(hashed)
        keys = [tuple(row[c.name] for c in key_columns) for row in rows]
        existing = self._existing_digests(table, key_columns, keys)
        new = [i for i, k in enumerate(keys) if k not in existing]
        changed = [
            i for i, k in enumerate(keys) if k in existing and existing[k] != rows[i]["digest"]
        ]
        if new:
            self.conn.execute(insert(table), [rows[i] for i in new])
        if changed:
            self._update(table, key_columns, [rows[i] for i in changed])
        if record_type == "activities":
            self._write_tokens(
                [rows[i]["activity_id"] for i in changed], changed, new, rows, tokens
            )
        self.counts.added += len(new)
        self.counts.updated += len(changed)
        self.counts.unchanged += len(rows) - len(new) - len(changed)

    def _hashed_tokens(self, record: Record) -> list[str]:
        if not isinstance(record, Activity) or not record.member_tokens:
            return []
        if self.token_secret is None:
            raise ValueError("member tokens need the workspace's secret")
        return sorted({hash_token(self.token_secret, t) for t in record.member_tokens})

    def _existing_digests(
        self, table: Table, key_columns: list[Any], keys: list[tuple[Any, ...]]
    ) -> dict[tuple[Any, ...], str]:
        result: dict[tuple[Any, ...], str] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            query = select(*key_columns, table.c.digest).where(table.c.org == self.org)
            if len(key_columns) == 2:  # org + one column: a plain IN is much faster
                query = query.where(key_columns[1].in_([k[1] for k in part]))
            else:
                query = query.where(tuple_(*key_columns[1:]).in_([k[1:] for k in part]))
            for row in self.conn.execute(query):
                result[tuple(_normalise_key(v) for v in row[:-1])] = row[-1]
        return result

    def _update(self, table: Table, key_columns: list[Any], rows: list[dict[str, Any]]) -> None:
        key_names = {c.name for c in key_columns}
        value_names = [c.name for c in table.columns if c.name not in key_names]
        statement = (
            update(table)
            .where(and_(*[c == bindparam(f"k_{c.name}") for c in key_columns]))
            .values({name: bindparam(f"v_{name}") for name in value_names})
        )
        params = [
            {**{f"k_{n}": row[n] for n in key_names}, **{f"v_{n}": row[n] for n in value_names}}
            for row in rows
        ]
        self.conn.execute(statement, params)

    def _write_tokens(
        self,
        changed_ids: list[str],
        changed: list[int],
        new: list[int],
        rows: list[dict[str, Any]],
        tokens: list[list[str]],
    ) -> None:
        if changed_ids:
            self.conn.execute(
                delete(member_token).where(
                    member_token.c.org == self.org, member_token.c.activity_id.in_(changed_ids)
                )
            )
        token_rows = [
            {"org": self.org, "activity_id": rows[i]["activity_id"], "token_hash": h}
            for i in (*changed, *new)
            for h in tokens[i]
        ]
        if token_rows:
            self.conn.execute(insert(member_token), token_rows)


def _normalise_key(value: Any) -> Any:
    """Database values come back as the same Python types we compare keys with."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def save_records(
    conn: Connection, org: str, records: Iterable[Record], token_secret: bytes | None = None
) -> ImportCounts:
    """Upsert records (any mix of types, breakdowns after their activities) in batches."""
    writer = RecordWriter(conn, org, token_secret)
    batch: dict[str, list[Record]] = {}
    for record in records:
        batch.setdefault(record.record_type, []).append(record)
        if sum(len(v) for v in batch.values()) >= 1000:
            _flush(writer, batch)
    _flush(writer, batch)
    return writer.counts


def _flush(writer: RecordWriter, batch: dict[str, list[Record]]) -> None:
    for record_type in ("activities", "breakdowns", "workforce", "feedback"):
        if batch.get(record_type):
            writer.write(record_type, batch[record_type])
    batch.clear()
