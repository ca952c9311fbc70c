"""What is stored: counts of records by month and kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Integer, cast, extract, func, select

from peerreport.store.schema import activity, activity_breakdown, feedback, member_token, workforce


@dataclass(frozen=True)
class MonthKind:
    """Activities of one kind in one month."""

    month: str  # YYYY-MM
    kind: str
    activities: int
    attendance: int


@dataclass(frozen=True)
class RecordsSummary:
    """Counts of everything an organisation has stored."""

    org: str
    by_month: list[MonthKind]
    activities: int
    breakdowns: int
    member_tokens: int
    workforce: int
    feedback: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape."""
        return {
            "organisation": self.org,
            "totals": {
                "activities": self.activities,
                "attendance": sum(m.attendance for m in self.by_month),
                "breakdowns": self.breakdowns,
                "member_tokens": self.member_tokens,
                "workforce": self.workforce,
                "feedback": self.feedback,
            },
            "by_month": [vars(m) for m in self.by_month],
        }


def records_summary(conn: Connection, org: str) -> RecordsSummary:
    """Counts by month and kind, in one grouped query, plus totals per record type."""
    year = cast(extract("year", activity.c.date), Integer)
    month = cast(extract("month", activity.c.date), Integer)
    rows = conn.execute(
        select(
            year,
            month,
            activity.c.kind,
            func.count(),
            func.coalesce(func.sum(activity.c.attendance), 0),
        )
        .where(activity.c.org == org)
        .group_by(year, month, activity.c.kind)
        .order_by(year, month, activity.c.kind)
    ).all()
    by_month = [
        MonthKind(f"{int(y):04d}-{int(m):02d}", str(k), int(n), int(a)) for y, m, k, n, a in rows
    ]

    def count(table: Any) -> int:
        return int(conn.execute(select(func.count()).where(table.c.org == org)).scalar_one())

    return RecordsSummary(
        org=org,
        by_month=by_month,
        activities=sum(m.activities for m in by_month),
        breakdowns=count(activity_breakdown),
        member_tokens=count(member_token),
        workforce=count(workforce),
        feedback=count(feedback),
    )
