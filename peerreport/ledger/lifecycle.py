"""The filing lifecycle: draft → submitted → accepted or queried → amended → accepted.

A return is a *draft* until `submit` files it (version 1, state `submitted`).
The funder then accepts it or queries it with a message; the coordinator
answers a query with an amendment (version 2, state `amended`) or a reply.
Every transition is stored (a `submitted_return` row, or a `return_event`
row for acceptances, queries and replies) with its time and reason, and
chained into the ledger's hash chain. States are derived from that record,
never stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, insert, select

from peerreport.errors import UsageError
from peerreport.ledger.model import Submission
from peerreport.ledger.query import get
from peerreport.store import chain
from peerreport.store.schema import return_event
from peerreport.store.times import as_utc

DRAFT, SUBMITTED, AMENDED = "draft", "submitted", "amended"
ACCEPTED, QUERIED, REPLIED, SUPERSEDED = "accepted", "queried", "replied", "superseded"
DECISIONS = (ACCEPTED, QUERIED, REPLIED)
NOTE_LIMIT = 2000

#: What each state means, in words a coordinator reads.
STATE_WORDS = {
    DRAFT: "not yet submitted",
    SUBMITTED: "submitted, waiting for the funder",
    AMENDED: "amended, waiting for the funder",
    ACCEPTED: "accepted by the funder",
    QUERIED: "queried by the funder: answer with an amendment or a reply",
    REPLIED: "replied to the funder's query, waiting for the funder",
    SUPERSEDED: "superseded by a later version",
}


@dataclass(frozen=True)
class Event:
    """An acceptance, query or reply about one submitted return."""

    id: int
    submission_id: int
    kind: str
    at: dt.datetime
    note: str | None
    actor: str | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "id": self.id,
            "submission_id": self.submission_id,
            "kind": self.kind,
            "at": self.at.isoformat(),
            "note": self.note,
            "actor": self.actor,
        }


def events(engine: Engine, submission_ids: Iterable[int]) -> dict[int, list[Event]]:
    """The events of each submission, oldest first."""
    wanted = sorted(set(submission_ids))
    found: dict[int, list[Event]] = {i: [] for i in wanted}
    if wanted:
        found.update(_read_events(engine, return_event.c.submission_id.in_(wanted)))
    return found


def events_of(engine: Engine, submission_ids: Select[Any]) -> dict[int, list[Event]]:
    """The events of the submissions whose ids a query selects, oldest first, in one query.

    For many submissions at once (a funder's dashboard): the ids stay in the
    database instead of becoming a long `IN` list. A submission without events
    has no key.
    """
    return _read_events(engine, return_event.c.submission_id.in_(submission_ids))


def _read_events(engine: Engine, condition: ColumnElement[bool]) -> dict[int, list[Event]]:
    found: dict[int, list[Event]] = {}
    with engine.connect() as conn:
        rows = conn.execute(select(return_event).where(condition).order_by(return_event.c.id))
        for r in rows:
            found.setdefault(int(r.submission_id), []).append(
                Event(int(r.id), int(r.submission_id), r.kind, as_utc(r.at), r.note, r.actor)
            )
    return found


def state_of(submission: Submission, its_events: list[Event]) -> str:
    """The state of one submitted version, from its place in the ledger and its events."""
    return version_state(submission.version, submission.current, its_events)


def version_state(version: int, current: bool, its_events: list[Event]) -> str:
    """`state_of` from a version's number and currency, without the whole `Submission`."""
    if not current:
        return SUPERSEDED
    decided = [e for e in its_events if e.kind in DECISIONS]
    if decided:
        return decided[-1].kind
    return AMENDED if version > 1 else SUBMITTED


def record_event(
    engine: Engine,
    org: str,
    submission_id: int,
    kind: str,
    note: str | None = None,
    actor: str | None = None,
    now: Callable[[], dt.datetime] | None = None,
) -> Event:
    """Record that the funder accepted or queried a return, or the provider replied.

    Only the current version can be decided on; a query and a reply need a
    message; a return is accepted once.
    """
    if kind not in DECISIONS:
        raise UsageError(f"{kind!r} is not one of {', '.join(DECISIONS)}")
    text = (note or "").strip() or None
    if text is not None and len(text) > NOTE_LIMIT:
        raise UsageError(f"the message is {len(text)} characters; at most {NOTE_LIMIT}")
    if kind in (QUERIED, REPLIED) and text is None:
        raise UsageError(f"a {'query' if kind == QUERIED else 'reply'} needs a message")
    submission = get(engine, submission_id, org)
    current = state_of(submission, events(engine, [submission_id])[submission_id])
    _check_transition(submission, current, kind)
    at = (now or (lambda: dt.datetime.now(dt.UTC)))().astimezone(dt.UTC).replace(microsecond=0)
    with engine.begin() as conn:
        result = conn.execute(
            insert(return_event).values(
                org=org, submission_id=submission_id, kind=kind, at=at, note=text, actor=actor
            )
        )
        assert result.inserted_primary_key is not None
        ident = int(result.inserted_primary_key[0])
        row = conn.execute(select(return_event).where(return_event.c.id == ident)).one()
        chain.append(conn, org, "event", f"return event {ident}", chain.event_payload(row))
    return Event(ident, submission_id, kind, at, text, actor)


def _check_transition(submission: Submission, state: str, kind: str) -> None:
    name = f"{submission.rule_id} {submission.period_label} version {submission.version}"
    if state == SUPERSEDED:
        raise UsageError(f"{name} is superseded by a later version: decide on the current one")
    if state == ACCEPTED:
        raise UsageError(f"{name} was accepted already")
    if kind == REPLIED and state != QUERIED:
        raise UsageError(f"{name} has no open query to reply to")
    if kind == QUERIED and state == QUERIED:
        raise UsageError(f"{name} is queried already: wait for the amendment or reply")
