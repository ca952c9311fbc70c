"""The records a return is computed from: how many of each kind, and one digest of them all.

The digest is SHA-256 over, for each kind in the order of `KINDS`, the line
`kind:count` and then the digest of every record version of that kind, sorted,
one a line. Sorting makes it independent of storage order; any added, removed
or changed record in the period changes it. Bundles and the ledger keep it, so
its value never changes with how it is computed.

It is computed without a row per record reaching Python:

- On PostgreSQL one statement writes the whole text hashed, each kind's digests
  joined in the "C" collation's order (byte order, which is Python's for the
  ASCII digests are), and hashes it (`sha256`): 64 hexadecimal characters come
  back, not the digests (about 10 MB at a million records, which took longer to
  send and sort in Python than the database takes to sort them). The sorts get
  `SORT_MEMORY` (`work_mem`, for this statement only) so they do not spill to
  disk.
- On SQLite one statement groups each kind's digests by their first `PREFIX`
  characters and joins each group into one text (`group_concat`). Python sorts
  the groups by that prefix and each group's digests, which puts every digest in
  Python's order whatever the database's collation is: for any two digests, the
  one with the smaller prefix is the smaller.

Record digests are hexadecimal (`store.records.content_digest`), so a newline
never occurs inside one.

A build needs the digest and the figures, two reads of the same period's rows.
`digest_beside` reads the digest on a second connection in a thread while the
build computes the figures on its own (the database drivers let go of Python's
lock while the database works), so the two take the time of the longer rather
than the sum. Both read the records as of one revision, which later imports
never change, so they see the same records whatever commits in between.

- The second connection is the engine's own, so it is set up as the build's is
  (SQLite's pragmas; the hosted server's role), and the thread runs in a copy
  of the caller's context, so its transaction is walled to the same
  organisations as the request's (`hosted.walls`).
- It is taken only when the pool has room at that moment; otherwise the digest
  is read on the build's connection after the figures. A build that found room
  never waits for a connection held by another waiting build, so a busy
  server's builds cannot deadlock on the pool: at worst one waits for a
  connection another build is about to give back.
- An in-memory SQLite database is one connection's own: read on it.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import os
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    Select,
    String,
    and_,
    cast,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.pool import NullPool, QueuePool

from peerreport.compute.tables import version
from peerreport.store.records import prepare_period_reads
from peerreport.store.schema import activity, activity_breakdown, feedback, workforce

__all__ = ["KINDS", "digest_beside", "record_counts", "records_digest"]

#: The kinds of record a return is computed from, in the digest's order.
KINDS = ("activities", "breakdowns", "workforce", "feedback")
#: Digests are grouped by this many leading characters: 256 groups of hexadecimal digests.
PREFIX = 2
#: `work_mem` for the digest's sorts on PostgreSQL (a quarter of a million records' digests
#: sort in about 20 MB; with the default 4 MB the sort spilled to disk and took twice as long).
SORT_MEMORY = "64MB"


def _digests(org: str, start: dt.date, end: dt.date, revision: int | None) -> dict[str, Any]:
    """Each kind's record digests in the period, at `revision` (None: the current records)."""
    in_period = and_(activity.c.date.between(start, end), version(activity, revision))
    return {
        "activities": select(activity.c.digest).where(activity.c.org == org, in_period),
        "breakdowns": select(activity_breakdown.c.digest)
        .join(
            activity,
            (activity.c.org == activity_breakdown.c.org)
            & (activity.c.activity_id == activity_breakdown.c.activity_id),
        )
        .where(activity_breakdown.c.org == org, in_period, version(activity_breakdown, revision)),
        "workforce": select(workforce.c.digest).where(
            workforce.c.org == org,
            workforce.c.period_start >= start,
            workforce.c.period_end <= end,
            version(workforce, revision),
        ),
        "feedback": select(feedback.c.digest).where(
            feedback.c.org == org,
            feedback.c.period_start >= start,
            feedback.c.period_end <= end,
            version(feedback, revision),
        ),
    }


def record_counts(
    conn: Connection, org: str, start: dt.date, end: dt.date, revision: int | None = None
) -> dict[str, int]:
    """How many records of each kind a return for the period is computed from (one statement)."""
    queries = _digests(org, start, end, revision)
    counts = [
        select(func.count()).select_from(queries[kind].subquery()).scalar_subquery().label(kind)
        for kind in KINDS
    ]
    row = conn.execute(select(*counts)).one()
    return {kind: int(row._mapping[kind]) for kind in KINDS}


def _grouped(kind: str, query: Select[Any]) -> Select[Any]:
    """One kind's digests as (kind, prefix, how many, the digests joined by newlines)."""
    digests = query.subquery()
    digest = digests.c.digest
    prefix = func.substr(digest, 1, PREFIX)
    return select(
        literal(kind, String).label("kind"),
        prefix.label("prefix"),
        func.count().label("n"),
        func.group_concat(digest, literal("\n", String)).label("joined"),
    ).group_by(prefix)


def _section(position: int, kind: str, query: Select[Any]) -> Select[Any]:
    """One kind's part of the hashed text on PostgreSQL: `kind:count`, then its digests in
    byte order, each followed by a newline; and how many there are."""
    digests = query.subquery()
    digest = digests.c.digest
    newline = literal("\n", String)
    in_order = aggregate_order_by(newline, digest.collate("C"))
    joined = func.coalesce(func.string_agg(digest, in_order).op("||")(newline), literal(""))
    count = func.count()
    header = literal(kind + ":", String).op("||")(cast(count, String)).op("||")(newline)
    return select(
        literal(position, Integer).label("position"),
        count.label("n"),
        header.op("||")(joined).label("part"),
    )


def _hashed_in_postgresql(
    conn: Connection, queries: dict[str, Select[Any]]
) -> tuple[str, dict[str, int]]:
    """The digest and counts from one PostgreSQL statement that sends back only the hash."""
    parts = union_all(*(_section(i, kind, queries[kind]) for i, kind in enumerate(KINDS)))
    sections = parts.subquery()
    text_ = func.string_agg(sections.c.part, aggregate_order_by(literal(""), sections.c.position))
    statement = select(
        func.encode(func.sha256(func.convert_to(text_, "UTF8")), "hex"),
        func.array_agg(aggregate_order_by(sections.c.n, sections.c.position)),
    )
    # More memory for the sorts, for this statement only (never less than the server gives).
    before, _ = conn.execute(_RAISE_SORT_MEMORY, {"memory": SORT_MEMORY}).one()
    try:
        hexdigest, counts = conn.execute(statement).one()
    finally:
        conn.execute(_SET_SORT_MEMORY, {"memory": before})
    return "sha256:" + str(hexdigest), {kind: int(n) for kind, n in zip(KINDS, counts, strict=True)}


_RAISE_SORT_MEMORY = text(
    "SELECT current_setting('work_mem'), set_config('work_mem', CASE WHEN "
    "pg_size_bytes(current_setting('work_mem')) < pg_size_bytes(:memory) THEN :memory "
    "ELSE current_setting('work_mem') END, true)"
)
_SET_SORT_MEMORY = text("SELECT set_config('work_mem', :memory, true)")


def records_digest(
    conn: Connection, org: str, start: dt.date, end: dt.date, revision: int | None = None
) -> tuple[str, dict[str, int]]:
    """An order-independent digest of the records a return is computed from, and their counts."""
    queries = _digests(org, start, end, revision)
    if conn.dialect.name == "postgresql":
        return _hashed_in_postgresql(conn, queries)
    groups: dict[str, list[tuple[str, str]]] = {kind: [] for kind in KINDS}
    counts = dict.fromkeys(KINDS, 0)
    statement = union_all(*(_grouped(kind, queries[kind]) for kind in KINDS))
    for kind, prefix, n, joined in conn.execute(statement):
        groups[kind].append((str(prefix), str(joined)))
        counts[kind] += int(n)
    digest = hashlib.sha256()
    for kind in KINDS:
        digest.update(f"{kind}:{counts[kind]}\n".encode())
        for _, joined in sorted(groups[kind]):
            digests = sorted(joined.split("\n"))
            digest.update(("\n".join(digests) + "\n").encode("ascii"))
    return "sha256:" + digest.hexdigest(), counts


#: What `digest_beside` gives back: called with the build's connection, the digest and counts.
PendingDigest = Callable[[Connection], tuple[str, dict[str, int]]]


def digest_beside(
    engine: Engine, org: str, start: dt.date, end: dt.date, revision: int
) -> PendingDigest:
    """Start `records_digest` of revision `revision` on a second connection in a thread; call
    the result with the build's connection for the digest and counts.

    Where a second connection cannot be had now (see the module's notes) nothing starts, and
    the call computes the digest on the connection it is given.
    """
    if not _room_beside(engine):
        return lambda conn: records_digest(conn, org, start, end, revision)
    outcome: dict[str, Any] = {}

    def read() -> None:
        try:
            with engine.connect() as conn:
                prepare_period_reads(conn)  # as the build's own connection is
                outcome["value"] = records_digest(conn, org, start, end, revision)
        except BaseException as exc:  # handed to the build's thread, which raises it
            outcome["error"] = exc

    # In a copy of this context: the hosted server's walls read the request's reach from it.
    context = contextvars.copy_context()
    reader = threading.Thread(target=context.run, args=(read,), name="records-digest")
    reader.daemon = True
    reader.start()

    def finish(_conn: Connection) -> tuple[str, dict[str, int]]:
        reader.join()
        if "error" in outcome:
            raise outcome["error"]
        value: tuple[str, dict[str, int]] = outcome["value"]
        return value

    return finish


def _room_beside(engine: Engine) -> bool:
    """True when a second connection can be had now without waiting for one to come back."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:" or not os.path.isfile(database):
            return False
    pool = engine.pool
    if isinstance(pool, QueuePool):
        overflow = pool._max_overflow  # no public accessor; -1 is unlimited
        return overflow < 0 or pool.checkedout() < pool.size() + overflow
    return isinstance(pool, NullPool)  # a new connection each time; any other: do not guess
