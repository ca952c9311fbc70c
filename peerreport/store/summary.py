"""What is stored now: counts of the current records by month and kind."""

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
        .where(activity.c.org == org, activity.c.valid_to.is_(None))
        .group_by(year, month, activity.c.kind)
        .order_by(year, month, activity.c.kind)
    ).all()
    by_month = [
        MonthKind(f"{int(y):04d}-{int(m):02d}", str(k), int(n), int(a)) for y, m, k, n, a in rows
    ]

    def count(table: Any) -> int:
        current = table.c.valid_to.is_(None)
        query = select(func.count()).where(table.c.org == org, current)
        return int(conn.execute(query).scalar_one())

    tokens = (
        select(func.count())
        .select_from(
            member_token.join(
                activity,
                (activity.c.org == member_token.c.org)
                & (activity.c.activity_id == member_token.c.activity_id)
                & (activity.c.valid_from == member_token.c.valid_from),
            )
        )
        .where(member_token.c.org == org, activity.c.valid_to.is_(None))
    )

    return RecordsSummary(
        org=org,
        by_month=by_month,
        activities=sum(m.activities for m in by_month),
        breakdowns=count(activity_breakdown),
        member_tokens=int(conn.execute(tokens).scalar_one()),
        workforce=count(workforce),
        feedback=count(feedback),
    )


def month_table(result: RecordsSummary) -> tuple[list[str], list[list[str]]]:
    """The summary as a table: months down, kinds (codes) across, then total and attendance.

    The last row is the total. A blank cell means no activity of that kind that
    month. The command line prints it; the web labels the kinds and shows it.
    """
    from peerreport.records.vocabulary import vocabulary

    kinds = [k for k in vocabulary("kind").codes if any(m.kind == k for m in result.by_month)]
    months = sorted({m.month for m in result.by_month})
    cells = {(m.month, m.kind): m for m in result.by_month}
    header = ["month", *kinds, "total", "attendance"]
    rows: list[list[str]] = []
    for month in months:
        row = [cells.get((month, k)) for k in kinds]  # None where no activity of that kind
        rows.append(
            [
                month,
                *[str(c.activities) if c else "" for c in row],
                str(sum(c.activities for c in row if c)),
                str(sum(c.attendance for c in row if c)),
            ]
        )
    totals = [sum(m.activities for m in result.by_month if m.kind == k) for k in kinds]
    rows.append(
        [
            "total",
            *map(str, totals),
            str(result.activities),
            str(sum(m.attendance for m in result.by_month)),
        ]
    )
    return header, rows
