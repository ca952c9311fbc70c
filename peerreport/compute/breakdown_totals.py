"""An activity's breakdown counts added up, per dimension: in SQL and in Python.

`breakdown_total_ethnicity`, `breakdown_total_age_band` and `breakdown_total_gender`
are fields of the `activity` source (rulebook.sources): the sum of the activity's
breakdown counts of that dimension, null when it has none. Only counts by one
dimension are added up: a cross-tabulated count (with `dimension2`) counts
attendees the one-dimension counts already count. So a record check
can compare an activity with its breakdowns ("the age counts add up to no
more than the attendance") and name the activity that fails.

In SQL each is a correlated subquery over `activity_breakdown`: the same
organisation and activity, and the breakdown versions current at the revision
the activity rows are read at (a build as of an earlier revision adds up the
breakdowns as they stood then). `totals` is the same in Python, which the
differential test (tests/language/test_differential.py) holds SQL to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from peerreport.rulebook.sources import BREAKDOWN_TOTALS
from peerreport.store import schema
from peerreport.store.revisions import visible_at


def breakdown_total_sql(name: str, revision: int | None = None) -> ColumnElement[Any]:
    """The field `name` (a key of BREAKDOWN_TOTALS) of the activity row being read."""
    activity = schema.activity
    counted = schema.activity_breakdown.alias("counted")
    current = counted.c.valid_to.is_(None) if revision is None else visible_at(counted, revision)
    return (
        select(func.sum(counted.c.count))
        .where(
            and_(
                counted.c.org == activity.c.org,
                counted.c.activity_id == activity.c.activity_id,
                counted.c.dimension == BREAKDOWN_TOTALS[name],
                counted.c.dimension2 == "",  # a cross-tabulated count is not added in
                current,
            )
        )
        .scalar_subquery()
    )


def totals(activity_id: str, breakdowns: Iterable[Mapping[str, Any]]) -> dict[str, int | None]:
    """The breakdown-total fields of one activity, from breakdown rows (of one organisation,
    at one revision) with `activity_id`, `dimension` and `count`."""
    result: dict[str, int | None] = dict.fromkeys(BREAKDOWN_TOTALS)
    by_dimension = {dimension: name for name, dimension in BREAKDOWN_TOTALS.items()}
    for row in breakdowns:
        name = by_dimension.get(row["dimension"])
        if row["activity_id"] != activity_id or name is None or row.get("dimension2"):
            continue
        result[name] = (result[name] or 0) + int(row["count"])
    return result
