"""Revisions of an organisation's records, and which record versions are visible at one.

A revision is made by an import that stores something, or by a withdrawal.
Numbers run 1, 2, 3, ... per organisation. The records as they were at
revision R are the versions with `valid_from <= R` and not yet closed at R;
`visible_at` is that condition as SQL, used by every query that reads records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, text
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FromClause

from peerreport.errors import UsageError
from peerreport.store.schema import ledger_entry, record_revision

_MODULUS = 1 << 256


def visible_at(table: FromClause, revision: int) -> ColumnElement[bool]:
    """The versions of `table` (or an alias of it) that were current at `revision`."""
    return and_(
        table.c.valid_from <= revision,
        or_(table.c.valid_to.is_(None), table.c.valid_to > revision),
    )


def latest_revision(conn: Connection, org: str) -> int:
    """The newest revision of `org`'s records (0 when nothing was ever stored)."""
    found = conn.execute(
        select(func.max(record_revision.c.revision)).where(record_revision.c.org == org)
    ).scalar()
    return int(found or 0)


def resolve_revision(conn: Connection, org: str, as_of: int | None) -> int:
    """`as_of` checked against the revisions that exist, or the newest one."""
    latest = latest_revision(conn, org)
    if as_of is None:
        return latest
    if as_of < 0 or as_of > latest:
        raise UsageError(
            f"there is no revision {as_of} of {org}'s records: the revisions are 1 to {latest} "
            "(`peerreport imports list` shows them)"
            if latest
            else f"there is no revision {as_of}: nothing has been imported for {org} yet"
        )
    return as_of


#: Where the natural-key columns added after records were first stored begin, per table
#: (migration 0010: a breakdown's `dimension2`, `category2`, stored as '' when absent).
_ADDED_KEY_AT = {"activity_breakdown": 3}


def version_token(table: str, key: tuple[Any, ...], digest: str) -> int:
    """A record version as a 256-bit number, for order-independent tallies.

    Empty key columns added later are left out, so a version stored before they existed
    (a breakdown by one dimension) keeps its token, and the ledger's entries still match.
    """
    at = _ADDED_KEY_AT.get(table)
    if at is not None and all(k in ("", None) for k in key[at:]):
        key = key[:at]
    text_ = "\x1f".join([table, *(canonical_key(k) for k in key), digest])
    return int.from_bytes(hashlib.sha256(text_.encode("utf-8")).digest(), "big")


def canonical_key(value: Any) -> str:
    """One spelling of a key value, whichever database returned it."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return "" if value is None else str(value)


@dataclass
class Tally:
    """How many versions a revision added and closed, with an order-independent digest of each.

    The digest is the sum (mod 2^256) of `version_token` over the versions, so
    it can be accumulated while writing and recomputed by one scan when auditing.
    """

    added: int = 0
    added_sum: int = 0
    closed: int = 0
    closed_sum: int = 0

    def add(self, table: str, key: tuple[Any, ...], digest: str) -> None:
        """Count a version this revision brought in."""
        self.added += 1
        self.added_sum = (self.added_sum + version_token(table, key, digest)) % _MODULUS

    def add_many(self, table: str, versions: Iterable[tuple[tuple[Any, ...], str]]) -> None:
        """`add` for many versions (key, digest) of one table."""
        total = 0
        count = 0
        for key, digest in versions:
            total += version_token(table, key, digest)
            count += 1
        self.added += count
        self.added_sum = (self.added_sum + total) % _MODULUS

    def add_columns(
        self, table: str, key_columns: Sequence[Sequence[Any]], digests: Sequence[str]
    ) -> None:
        """`add_many` for versions given a column at a time: `key_columns[j][i]` is the j-th
        key value of the i-th version, whose digest is `digests[i]`."""
        if not key_columns or any(len(column) != len(digests) for column in key_columns):
            raise ValueError("every version needs its key and its digest")
        spelled = [
            column if set(map(type, column)) <= {str} else list(map(canonical_key, column))
            for column in key_columns
        ]
        join = "\x1f".join
        texts: Iterable[str] = map(join, zip(repeat(table), *spelled, digests, strict=False))
        at = _ADDED_KEY_AT.get(table)
        if at is not None and len(spelled) > at:
            # As `version_token` does: added key columns, all empty, are left out.
            short = map(join, zip(repeat(table), *spelled[:at], digests, strict=False))
            given = map(any, zip(*spelled[at:], strict=True))
            texts = [t if g else s for t, s, g in zip(texts, short, given, strict=True)]
        sha256, from_bytes = hashlib.sha256, int.from_bytes
        total = 0
        for text_ in texts:
            total += from_bytes(sha256(text_.encode("utf-8")).digest(), "big")
        self.added += len(digests)
        self.added_sum = (self.added_sum + total) % _MODULUS

    def close(self, table: str, key: tuple[Any, ...], digest: str) -> None:
        """Count a version this revision replaced or withdrew."""
        self.closed += 1
        self.closed_sum = (self.closed_sum + version_token(table, key, digest)) % _MODULUS

    def to_dict(self) -> dict[str, Any]:
        """The `versions` block of a revision's ledger entry."""
        return {
            "added": [self.added, f"{self.added_sum:064x}"],
            "closed": [self.closed, f"{self.closed_sum:064x}"],
        }


@dataclass
class RevisionMaker:
    """Allocates the next revision of `org` on first use, inside the caller's transaction."""

    conn: Connection
    org: str
    kind: str
    reason: str | None = None
    number: int | None = None
    tally: Tally = field(default_factory=Tally)

    def lock(self) -> None:
        """Take the organisation's write lock for the rest of the transaction (PostgreSQL's
        advisory lock, which every writer of its records and ledger takes before writing;
        SQLite has one writer at a time anyway). Taking it again is harmless."""
        if self.conn.dialect.name == "postgresql":
            from peerreport.store.chain import lock_key

            self.conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(self.org)}
            )

    def __call__(self) -> int:
        """The revision being made (allocated, and its row inserted, on the first call)."""
        if self.number is None:
            self.lock()
            number = latest_revision(self.conn, self.org) + 1
            self.conn.execute(
                insert(record_revision).values(
                    org=self.org,
                    revision=number,
                    kind=self.kind,
                    created_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
                    reason=self.reason,
                )
            )
            self.number = number
        return self.number


def chained_revisions(conn: Connection, org: str) -> set[int]:
    """The revisions the ledger has an entry for."""
    rows = conn.execute(
        select(ledger_entry.c.subject).where(
            ledger_entry.c.org == org, ledger_entry.c.kind == "revision"
        )
    )
    return {int(str(s).split()[-1]) for s in rows.scalars()}
