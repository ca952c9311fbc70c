"""The records a return is computed from: how many of each kind, and one digest of them all.

The digest is SHA-256 over, for each kind in the order of `KINDS`, the line
`kind:count` and then the digest of every record version of that kind, sorted,
one a line. Sorting makes it independent of storage order; any added, removed
or changed record in the period changes it. Bundles and the ledger keep it, so
its value never changes with how it is computed.

It is computed without a row per record reaching Python: one statement groups
each kind's digests by their first `PREFIX` characters and joins each group
into one text (`string_agg`, `group_concat`). Python sorts the groups by that
prefix and each group's digests, which puts every digest in Python's order
whatever the database's collation is: for any two digests, the one with the
smaller prefix is the smaller. (PostgreSQL is asked to join each group in the
"C" collation's order, Python's, so those sorts only confirm it.) Record
digests are hexadecimal (`store.records.content_digest`), so a newline never
occurs inside one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import Connection, Select, String, and_, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import aggregate_order_by

from peerreport.compute.tables import version
from peerreport.store.schema import activity, activity_breakdown, feedback, workforce

__all__ = ["KINDS", "record_counts", "records_digest"]

#: The kinds of record a return is computed from, in the digest's order.
KINDS = ("activities", "breakdowns", "workforce", "feedback")
#: Digests are grouped by this many leading characters: 256 groups of hexadecimal digests.
PREFIX = 2


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


def _grouped(conn: Connection, kind: str, query: Select[Any]) -> Select[Any]:
    """One kind's digests as (kind, prefix, how many, the digests joined by newlines)."""
    digests = query.subquery()
    digest = digests.c.digest
    prefix = func.substr(digest, 1, PREFIX)
    joined: Any
    if conn.dialect.name == "postgresql":
        in_order = aggregate_order_by(literal("\n", String), digest.collate("C"))
        joined = func.string_agg(digest, in_order)
    else:
        joined = func.group_concat(digest, literal("\n", String))
    return select(
        literal(kind, String).label("kind"),
        prefix.label("prefix"),
        func.count().label("n"),
        joined.label("joined"),
    ).group_by(prefix)


def records_digest(
    conn: Connection, org: str, start: dt.date, end: dt.date, revision: int | None = None
) -> tuple[str, dict[str, int]]:
    """An order-independent digest of the records a return is computed from, and their counts."""
    queries = _digests(org, start, end, revision)
    groups: dict[str, list[tuple[str, str]]] = {kind: [] for kind in KINDS}
    counts = dict.fromkeys(KINDS, 0)
    statement = union_all(*(_grouped(conn, kind, queries[kind]) for kind in KINDS))
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
