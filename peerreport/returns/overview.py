"""Where an organisation stands with its returns: each period's state, due date and lateness.

The web's home and returns pages show this; it reads the ledger and the rule
files and builds nothing. A period that is over and not submitted is a draft,
or late once its due date has passed; a submitted one is in the lifecycle
state of its current version (submitted, amended, accepted, queried, replied).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from peerreport.ledger import Submission, submissions
from peerreport.ledger.lifecycle import DRAFT, STATE_WORDS, events, state_of
from peerreport.render.words import period_words
from peerreport.returns.due import due_date, overdue
from peerreport.returns.periods import Period, recent_periods
from peerreport.rulebook import RuleFile

LATE = "late"
STATE_LABELS = {
    DRAFT: "Not yet submitted",
    LATE: "Late: not yet submitted",
    "submitted": "Submitted",
    "amended": "Amended",
    "accepted": "Accepted",
    "queried": "Queried by the funder",
    "replied": "Replied to the funder",
}
WORDS = {**STATE_WORDS, LATE: "past its due date and not yet submitted"}


@dataclass(frozen=True)
class PeriodState:
    """One period of one return: its words, due date, state and current version."""

    period: Period
    words: str
    due: dt.date | None
    state: str
    late: bool
    current: Submission | None

    @property
    def label(self) -> str:
        """The state as a short label ("Submitted", "Late: not yet submitted")."""
        return STATE_LABELS.get(self.state, self.state.capitalize())

    @property
    def explanation(self) -> str:
        """The state in a sentence's words."""
        return WORDS.get(self.state, self.state)

    @property
    def submitted(self) -> bool:
        """Whether any version is filed."""
        return self.current is not None


def period_states(
    engine: Engine, org: str, rule_file: RuleFile, today: dt.date, count: int = 4
) -> list[PeriodState]:
    """The `count` most recent ended periods of the rule file, newest first, with their states.

    Periods that end before the organisation's first recorded activity (and were
    never filed) are left out: a new workspace is not "late" for the years before
    it began. With no records at all, only the most recent period is listed.
    """
    periods = recent_periods(*period_scheme(rule_file), today, count)
    filed = [s for s in submissions(engine, org, rule_file.id) if s.current]
    first = first_activity(engine, org)
    kept_periods = {(s.period_start, s.period_end) for s in filed}
    periods = [
        p
        for index, p in enumerate(periods)
        if (p.start, p.end) in kept_periods
        or (first is not None and p.end >= first)
        or (first is None and index == 0)
    ]
    by_period = {(s.period_start, s.period_end): s for s in filed}
    their_events = events(engine, [s.id for s in filed])
    found = []
    for period in periods:
        due = due_date(rule_file, period)
        current = by_period.get((period.start, period.end))
        if current is not None:
            state = state_of(current, their_events.get(current.id, []))
            late = current.late
        else:
            late = overdue(due, today)
            state = LATE if late else DRAFT
        found.append(PeriodState(period, period_words(period), due, state, late, current))
    return found


def period_scheme(rule_file: RuleFile) -> tuple[str, str]:
    """The rule file's period kind and the first day of its year (`MM-DD`), with the defaults."""
    return rule_file.model.period or "quarter", rule_file.model.year_start or "07-01"


def next_to_file(states: Sequence[PeriodState]) -> PeriodState | None:
    """The period to work on next: the oldest ended one not yet submitted, or a queried one."""
    for state in reversed(states):
        if state.state == "queried":
            return state
    waiting = [s for s in states if not s.submitted]
    return waiting[-1] if waiting else None


def first_activity(engine: Engine, org: str) -> dt.date | None:
    """The date of the organisation's earliest current activity, or None without any."""
    from sqlalchemy import func, select

    from peerreport.store.schema import activity

    with engine.connect() as conn:
        found = conn.execute(
            select(func.min(activity.c.date)).where(
                activity.c.org == org, activity.c.valid_to.is_(None)
            )
        ).scalar()
    if found is None:
        return None
    return found if isinstance(found, dt.date) else dt.date.fromisoformat(str(found)[:10])
