"""Recording a submission: the next version of (org, rule file, period), safely under concurrency.

Two people (or twenty processes) may submit the same period at once. Each
submission runs in one transaction that
1. on PostgreSQL takes a transaction-scoped advisory lock named after
   (org, rule file, period), so submissions of one period queue up;
2. reads the newest version and inserts the next one.
The unique constraint on (org, rule_id, period, version) is the backstop:
where no lock is available (SQLite) and two writers race, the loser gets a
unique violation (or "database is locked") and tries again from step 1.
Rows are only ever inserted: nothing here updates or deletes, and the
database's triggers would refuse it anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from peerreport.errors import DatabaseError, UsageError
from peerreport.ledger.changes import figure_changes
from peerreport.ledger.model import Submission
from peerreport.ledger.query import get
from peerreport.returns.model import FiledChange, Filing, Return
from peerreport.store import chain
from peerreport.store.records import ensure_organisation
from peerreport.store.schema import submitted_return as ledger

ATTEMPTS = 60
REASON_LIMIT = 2000


@dataclass(frozen=True)
class Pending:
    """What a submission will be recorded as, before it is: for writing its bundle.

    `filing` is what every rendering of the return says about it (version, what
    it amends and why, lateness, the figures that changed); `anchor` is the
    head of the ledger's hash chain just before this submission, which the
    bundle carries so a funder can later prove the chain was not rewritten.
    """

    version: int
    supersedes_version: int | None
    reason: str | None
    submitted_at: dt.datetime
    filing: Filing
    anchor: chain.Anchor | None = None
    due: dt.date | None = None

    def to_dict(self) -> dict[str, object]:
        """The `submission` block of a bundle's manifest."""
        return {
            "version": self.version,
            "supersedes_version": self.supersedes_version,
            "reason": self.reason,
            "submitted_at": self.submitted_at.isoformat(),
            "due": self.due.isoformat() if self.due is not None else None,
            "late": self.filing.late,
        }


@dataclass(frozen=True)
class Submitted:
    """A recorded submission and the bundle bytes made for it (if any)."""

    submission: Submission
    bundle: bytes | None


#: Makes the bundle of a pending submission (its bytes are hashed into the ledger).
BundleMaker = Callable[[Pending], bytes]

#: Records more about a submission (its id, its version) in the submission's own
#: transaction, so a crash leaves both or neither.
AlsoRecord = Callable[[Connection, int, int], None]


def lock_key(org: str, rule_id: str, start: dt.date, end: dt.date) -> int:
    """A signed 64-bit advisory lock key for one (org, rule file, period)."""
    name = f"peerreport-ledger|{org}|{rule_id}|{start}|{end}".encode()
    return int.from_bytes(hashlib.sha256(name).digest()[:8], "big", signed=True)


def submit(
    engine: Engine,
    ret: Return,
    reason: str | None = None,
    bundle: BundleMaker | None = None,
    now: Callable[[], dt.datetime] | None = None,
    also: AlsoRecord | None = None,
) -> Submitted:
    """Record `ret` as submitted: version 1, or an amendment of the current version.

    Refuses (with `UsageError`) a return with error findings, and an amendment
    without a reason. `also` runs inside the same transaction, after the row is
    inserted (filing records what the return released there).
    """
    if ret.has_errors:
        raise UsageError(
            f"the return for {ret.organisation} {ret.period.label} has error findings and "
            "cannot be submitted; fix them and build again"
        )
    note = (reason or "").strip() or None
    if note is not None and len(note) > REASON_LIMIT:
        raise UsageError(f"--reason is {len(note)} characters; at most {REASON_LIMIT}")
    if note is not None:
        from peerreport.privacy import scan_text

        # The reason goes into every rendering the funder reads: never a person's details.
        found = scan_text(note)
        if found:
            raise UsageError(
                f"--reason {found[0].describe()}: say what changed and why without anyone's "
                "details (the reason is printed on the return the funder reads)"
            )
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    for attempt in range(ATTEMPTS):
        try:
            with engine.begin() as conn:
                ident, made = _record(conn, ret, note, bundle, clock, also)
            return Submitted(get(engine, ident), made)
        except (IntegrityError, OperationalError) as exc:
            if not _worth_retrying(exc) or attempt == ATTEMPTS - 1:
                raise DatabaseError(f"cannot record the submission: {exc.orig}") from exc
            time.sleep(random.uniform(0.005, 0.05) * min(attempt + 1, 8))
    raise AssertionError("unreachable")  # pragma: no cover


def _record(
    conn: Connection,
    ret: Return,
    reason: str | None,
    bundle: BundleMaker | None,
    clock: Callable[[], dt.datetime],
    also: AlsoRecord | None = None,
) -> tuple[int, bytes | None]:
    start, end = ret.period.start, ret.period.end
    if conn.dialect.name == "postgresql":
        key = lock_key(ret.organisation, ret.rule.id, start, end)
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    period = (
        ledger.c.org == ret.organisation,
        ledger.c.rule_id == ret.rule.id,
        ledger.c.period_start == start,
        ledger.c.period_end == end,
    )
    latest = conn.execute(select(func.max(ledger.c.version)).where(*period)).scalar()
    if latest is not None and reason is None:
        raise UsageError(
            f"{ret.rule.id} {ret.period.label} was already submitted (version {latest}); "
            "submitting it again makes an amendment, which needs a reason: give --reason "
            '"what was wrong and what changed"'
        )
    previous = None
    if latest is not None:
        stored = conn.execute(
            select(ledger.c.return_json).where(*period, ledger.c.version == latest)
        ).scalar_one()
        previous = Return.from_dict(json.loads(stored))
    submitted_at = clock().astimezone(dt.UTC).replace(microsecond=0)
    late = ret.due is not None and submitted_at.date() > ret.due
    filing = Filing(
        version=(latest or 0) + 1,
        submitted_at=submitted_at.isoformat(),
        amends_version=latest,
        reason=reason,
        late=late,
        changes=tuple(
            FiledChange(c.measure, c.label, c.cell, c.before, c.after)
            for c in (figure_changes(previous, ret) if previous is not None else ())
        ),
    )
    ensure_organisation(conn, ret.organisation, ret.organisation_name)
    pending = Pending(
        version=filing.version,
        supersedes_version=latest,
        reason=reason,
        submitted_at=submitted_at,
        filing=filing,
        anchor=chain.head(conn, ret.organisation),
        due=ret.due,
    )
    made = bundle(pending) if bundle is not None else None
    result = conn.execute(
        insert(ledger).values(
            org=ret.organisation,
            rule_id=ret.rule.id,
            rule_version=ret.rule.version,
            rule_digest=ret.rule.digest,
            period_start=start,
            period_end=end,
            period_label=ret.period.label,
            version=pending.version,
            supersedes_version=pending.supersedes_version,
            reason=reason,
            submitted_at=pending.submitted_at,
            records_digest=ret.records_digest,
            return_json=ret.filed(filing).to_json(),
            bundle_sha256=hashlib.sha256(made).hexdigest() if made is not None else None,
            records_revision=ret.revision,
            due_date=ret.due,
            late=late,
        )
    )
    assert result.inserted_primary_key is not None
    ident = int(result.inserted_primary_key[0])
    row = conn.execute(select(ledger).where(ledger.c.id == ident)).one()
    kind = "amendment" if pending.version > 1 else "submission"
    chain.append(
        conn, ret.organisation, kind, f"submitted return {ident}", chain.submission_payload(row)
    )
    if also is not None:
        also(conn, ident, pending.version)
    return ident, made


def _worth_retrying(exc: IntegrityError | OperationalError) -> bool:
    """A lost race: a unique violation, a busy SQLite file, a PostgreSQL serialisation failure."""
    message = str(exc.orig).lower()
    if isinstance(exc, IntegrityError):
        return "unique" in message or "duplicate" in message
    return any(word in message for word in ("locked", "deadlock", "could not serialize"))
