"""The records digest is computed in the database, and its value is the one returns always had.

Bundles and the ledger keep the digest, so `records_digest` must give exactly what the
earlier implementation gave (every row's digest pulled into Python and sorted there):
`reference_digest` below is that implementation, kept as the oracle.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, and_, create_engine, insert, select, text

from peerreport.compute.tables import version
from peerreport.returns import record_set
from peerreport.returns.record_set import (
    _RAISE_SORT_MEMORY,
    SORT_MEMORY,
    digest_beside,
    record_counts,
    records_digest,
)
from peerreport.store import schema
from peerreport.store.database import open_engine
from peerreport.store.records import ensure_organisation

ORG = "DIG01"
OTHER = "DIG02"
Q1 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))


def reference_digest(
    conn: Connection, org: str, start: dt.date, end: dt.date, revision: int | None
) -> tuple[str, dict[str, int]]:
    """The records digest as computed before issue 16: every digest sorted in Python."""
    a, b = schema.activity, schema.activity_breakdown
    w, f = schema.workforce, schema.feedback
    in_period = and_(a.c.date.between(start, end), version(a, revision))
    queries: dict[str, Any] = {
        "activities": select(a.c.digest).where(a.c.org == org, in_period),
        "breakdowns": select(b.c.digest)
        .join(a, (a.c.org == b.c.org) & (a.c.activity_id == b.c.activity_id))
        .where(b.c.org == org, in_period, version(b, revision)),
        "workforce": select(w.c.digest).where(
            w.c.org == org,
            w.c.period_start >= start,
            w.c.period_end <= end,
            version(w, revision),
        ),
        "feedback": select(f.c.digest).where(
            f.c.org == org,
            f.c.period_start >= start,
            f.c.period_end <= end,
            version(f, revision),
        ),
    }
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    for name, query in queries.items():
        digests = sorted(str(row[0]) for row in conn.execute(query))
        counts[name] = len(digests)
        digest.update(f"{name}:{len(digests)}\n".encode())
        for value in digests:
            digest.update(value.encode("ascii") + b"\n")
    return "sha256:" + digest.hexdigest(), counts


#: Digests as stored (hexadecimal) and, to show the order never depends on a collation,
#: any printable ASCII: capitals, punctuation, spaces and the empty text.
hex_digest = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
odd_digest = st.text(
    alphabet=string.ascii_letters + string.digits + string.punctuation + " ", max_size=32
)
digests = st.one_of(hex_digest, odd_digest)
DATES = [dt.date(2026, 6, 30), dt.date(2026, 7, 1), dt.date(2026, 8, 15), dt.date(2026, 9, 30)]
DATES += [dt.date(2026, 10, 1)]


@st.composite
def stored_rows(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    """Activity versions (some replaced at a later revision), their breakdowns, workforce
    entries and feedback tallies, for two organisations."""
    rows: dict[str, list[dict[str, Any]]] = {
        "activity": [],
        "breakdown": [],
        "workforce": [],
        "feedback": [],
    }
    for i in range(draw(st.integers(0, 12))):
        org = draw(st.sampled_from([ORG, ORG, OTHER]))
        start = draw(st.integers(1, 3))
        end = draw(st.none() | st.integers(start + 1, 4))
        rows["activity"].append(
            {
                "org": org,
                "activity_id": f"A{i}",
                "date": draw(st.sampled_from(DATES)),
                "kind": "group",
                "attendance": 1,
                "member_led": False,
                "co_facilitated": False,
                "community_session": False,
                "digest": draw(digests),
                "valid_from": start,
                "valid_to": end,
            }
        )
        for category in draw(st.lists(st.sampled_from(["maori", "pacific", "asian"]), unique=True)):
            rows["breakdown"].append(
                {
                    "org": org,
                    "activity_id": f"A{i}",
                    "dimension": "ethnicity",
                    "category": category,
                    "count": 1,
                    "digest": draw(digests),
                    "valid_from": start,
                    "valid_to": draw(st.sampled_from([end, None])) if end else None,
                }
            )
    for i in range(draw(st.integers(0, 4))):
        first = draw(st.sampled_from(DATES))
        common = {
            "org": draw(st.sampled_from([ORG, OTHER])),
            "period_start": first,
            "period_end": first + dt.timedelta(days=draw(st.integers(0, 60))),
            "programme": "",
            "valid_from": draw(st.integers(1, 3)),
        }
        rows["workforce"].append(
            {
                **common,
                "role": f"r{i}",
                "paid_fte": 1,
                "volunteer_hours": 0,
                "supervision_hours": 0,
                "training_hours": 0,
                "digest": draw(digests),
            }
        )
        rows["feedback"].append(
            {**common, "question": f"q{i}", "response": "yes", "count": 2, "digest": draw(digests)}
        )
    return rows


def _store(conn: Connection, rows: dict[str, list[dict[str, Any]]]) -> None:
    for org in (ORG, OTHER):
        ensure_organisation(conn, org, org)
    tables = {
        "activity": schema.activity,
        "breakdown": schema.activity_breakdown,
        "workforce": schema.workforce,
        "feedback": schema.feedback,
    }
    for name, table in tables.items():
        if rows[name]:
            conn.execute(insert(table), rows[name])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=stored_rows(), revision=st.sampled_from([None, 1, 2, 3]))
def test_the_digest_and_counts_are_the_reference_s_on_every_backend(
    engine: Engine, rows: dict[str, list[dict[str, Any]]], revision: int | None
) -> None:
    # Stored records are never deleted (triggers refuse it): each example rolls back.
    with engine.connect() as conn, conn.begin() as transaction:
        _store(conn, rows)
        want = reference_digest(conn, ORG, *Q1, revision)
        assert records_digest(conn, ORG, *Q1, revision) == want
        assert record_counts(conn, ORG, *Q1, revision) == want[1]
        transaction.rollback()


def test_many_digests_sharing_prefixes_keep_the_reference_value(engine: Engine) -> None:
    """Thousands of records: every prefix group holds many digests, in no stored order."""
    rows = []
    for i in range(3000):
        value = hashlib.sha256(str(i).encode()).hexdigest()[:32]
        rows.append(
            {
                "org": ORG,
                "activity_id": f"A{i:05d}",
                "date": DATES[1 + i % 3],
                "kind": "group",
                "attendance": 1,
                "member_led": False,
                "co_facilitated": False,
                "community_session": False,
                # Upper case for some: 'A' sorts before 'a' in Python, after it in many locales.
                "digest": value.upper() if i % 7 == 0 else value,
                "valid_from": 1,
            }
        )
    with engine.connect() as conn, conn.begin() as transaction:
        ensure_organisation(conn, ORG, ORG)
        conn.execute(insert(schema.activity), rows)
        digest, counts = records_digest(conn, ORG, *Q1)
        assert (digest, counts) == reference_digest(conn, ORG, *Q1, None)
        assert counts == {"activities": 3000, "breakdowns": 0, "workforce": 0, "feedback": 0}
        transaction.rollback()


def test_a_known_record_set_keeps_its_digest(engine: Engine) -> None:
    """A value computed by the earlier implementation, pinned: bundles filed before keep
    verifying."""
    with engine.connect() as conn, conn.begin() as transaction:
        ensure_organisation(conn, ORG, ORG)
        conn.execute(
            insert(schema.activity),
            [
                {
                    "org": ORG,
                    "activity_id": f"A{i}",
                    "date": dt.date(2026, 7, 1 + i),
                    "kind": "group",
                    "attendance": 1,
                    "member_led": False,
                    "co_facilitated": False,
                    "community_session": False,
                    "digest": digest,
                    "valid_from": 1,
                }
                for i, digest in enumerate(["b0", "a1", "B2", "a0"])
            ],
        )
        got = records_digest(conn, ORG, *Q1)
        transaction.rollback()
    expected = hashlib.sha256(
        b"activities:4\nB2\na0\na1\nb0\nbreakdowns:0\nworkforce:0\nfeedback:0\n"
    ).hexdigest()
    assert got == (
        "sha256:" + expected,
        {"activities": 4, "breakdowns": 0, "workforce": 0, "feedback": 0},
    )


@pytest.mark.postgres
def test_the_digest_leaves_the_sort_memory_as_it_was(postgres_engine: Engine) -> None:
    """PostgreSQL gives the digest's sorts more memory for that statement only (SQLite has
    no such setting)."""
    _sort_memory_is_restored(postgres_engine)


def _sort_memory_is_restored(engine: Engine) -> None:
    with engine.connect() as conn, conn.begin() as transaction:
        ensure_organisation(conn, ORG, ORG)
        conn.execute(text("SET LOCAL work_mem = '1MB'"))
        assert records_digest(conn, ORG, *Q1) == reference_digest(conn, ORG, *Q1, None)
        assert conn.execute(text("SELECT current_setting('work_mem')")).scalar_one() == "1MB"
        # A server that gives more than SORT_MEMORY keeps giving it.
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
        raised = conn.execute(_RAISE_SORT_MEMORY, {"memory": SORT_MEMORY}).one()
        assert raised == ("256MB", "256MB")
        transaction.rollback()


def _activity(activity_id: str, digest: str, valid_from: int, **more: Any) -> dict[str, Any]:
    return {
        "org": ORG,
        "activity_id": activity_id,
        "date": dt.date(2026, 8, 1),
        "kind": "group",
        "attendance": 1,
        "member_led": False,
        "co_facilitated": False,
        "community_session": False,
        "digest": digest,
        "valid_from": valid_from,
        "valid_to": None,
        **more,
    }


def test_the_digest_beside_the_build_reads_the_records_of_its_revision(engine: Engine) -> None:
    """On a SQLite file it is read on another connection, so only the revision makes the two
    reads agree: a later import must not change what it gives for an earlier revision."""
    with engine.begin() as conn:
        ensure_organisation(conn, ORG, ORG)
        conn.execute(
            insert(schema.activity),
            [
                _activity("A1", "a1", 1, valid_to=2),  # replaced at revision 2
                _activity("A1", "a1v2", 2),
                _activity("A2", "a2", 1),
                _activity("A3", "a3", 2),  # added at revision 2
            ],
        )
    with engine.connect() as conn:
        first = reference_digest(conn, ORG, *Q1, 1)
        second = reference_digest(conn, ORG, *Q1, 2)
        assert first != second
        assert digest_beside(engine, ORG, *Q1, 1)(conn) == first
        assert digest_beside(engine, ORG, *Q1, 2)(conn) == second


def test_the_digest_beside_the_build_waits_for_no_connection(db_url: str) -> None:
    """A second connection is taken only when the pool has room now; otherwise the digest is
    read on the build's own connection (which sees that connection's uncommitted rows, where
    another connection cannot)."""
    roomy = open_engine(db_url)
    full = create_engine(roomy.url, pool_size=1, max_overflow=0)
    try:
        for engine, own_connection in ((roomy, False), (full, True)):
            with engine.connect() as conn, conn.begin() as transaction:
                ensure_organisation(conn, ORG, ORG)
                conn.execute(insert(schema.activity), [_activity("A1", "a1", 1)])
                digest, counts = digest_beside(engine, ORG, *Q1, 1)(conn)
                assert counts["activities"] == (1 if own_connection else 0)
                if own_connection:
                    assert (digest, counts) == reference_digest(conn, ORG, *Q1, 1)
                transaction.rollback()
    finally:
        roomy.dispose()
        full.dispose()


def test_a_failed_digest_beside_the_build_fails_the_build(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> tuple[str, dict[str, int]]:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(record_set, "records_digest", broken)
    with engine.connect() as conn, pytest.raises(RuntimeError, match="the disk went away"):
        digest_beside(engine, ORG, *Q1, 1)(conn)
