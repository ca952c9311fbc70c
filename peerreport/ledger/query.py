"""Reading the ledger: submissions with their status, one by id, a period's history.

Status is derived, never stored: the newest version of an (org, rule file,
period) is current, every earlier one superseded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, and_, func, select

from peerreport.errors import UsageError
from peerreport.ledger.model import Submission
from peerreport.store.schema import submitted_return as ledger

_PERIOD = (ledger.c.org, ledger.c.rule_id, ledger.c.period_start, ledger.c.period_end)


def _with_status() -> Any:
    newest = (
        select(*_PERIOD, func.max(ledger.c.version).label("newest"))
        .group_by(*_PERIOD)
        .subquery("newest")
    )
    joined = ledger.join(
        newest,
        and_(*(column == newest.c[column.name] for column in _PERIOD)),
    )
    return select(ledger, (ledger.c.version == newest.c.newest).label("is_current")).select_from(
        joined
    )


def _rows(engine: Engine, query: Any) -> list[Submission]:
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [Submission.from_row(row, bool(row.is_current)) for row in rows]


def submissions(
    engine: Engine,
    org: str | None = None,
    rule_id: str | None = None,
    period: tuple[dt.date, dt.date] | None = None,
    current_only: bool = False,
) -> list[Submission]:
    """Submissions, by organisation, rule file, period and version."""
    query = _with_status()
    if org is not None:
        query = query.where(ledger.c.org == org)
    if rule_id is not None:
        query = query.where(ledger.c.rule_id == rule_id)
    if period is not None:
        query = query.where(ledger.c.period_start == period[0], ledger.c.period_end == period[1])
    rows = _rows(engine, query.order_by(*_PERIOD, ledger.c.version))
    return [s for s in rows if s.current] if current_only else rows


def get(engine: Engine, ident: int, org: str | None = None) -> Submission:
    """One submission by its id (of `org` only, when given), or a plain `UsageError`."""
    query = _with_status().where(ledger.c.id == ident)
    if org is not None:
        query = query.where(ledger.c.org == org)
    found = _rows(engine, query)
    if not found:
        raise UsageError(
            f"there is no submitted return {ident}; `peerreport returns list` shows them"
        )
    return found[0]


def history(engine: Engine, submission: Submission) -> list[Submission]:
    """Every version of the submission's (org, rule file, period), oldest first."""
    return submissions(
        engine,
        submission.org,
        submission.rule_id,
        (submission.period_start, submission.period_end),
    )
