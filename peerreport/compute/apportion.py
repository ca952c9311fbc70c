"""Period entries in a reporting period: which count, and what their fields add up to.

A workforce entry covers the days `period_start` to `period_end` (both
included). It counts in a period when it covers at least one of the period's
days (`overlap` below: the days both cover), and in a `sum` its fields are its
part of the period (`peerreport.rulebook.sources.APPORTIONED` says which):

- a level (`AVERAGE`: paid_fte, paid_headcount, volunteer_count) is averaged
  over the period's days: value × overlap / period days. A year-long row of
  0.8 FTE gives 0.8 in each quarter, as do twelve monthly rows of 0.8; a
  row of 1.0 FTE starting halfway through a quarter gives about 0.5;
- an amount (`SHARE`: the hours) is spread evenly over the entry's own days:
  value × overlap / entry days. 120 hours over a year give 120 × 92 / 365
  in a 92-day quarter, and the four quarters give back the 120.

A feedback tally counts whole, in the period that holds its last day: a tally
of people's answers cannot be split (docs/rule-files.md says why).

Each rule has a SQL form (for the scans, set-based, using the one date
difference `days_between`) and a Python form (the reference the tests compare
it with). Both do the same double-precision arithmetic in the same order:
value × (overlap / days), so an entry wholly inside the period keeps its value
exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Date, Float, and_, case, cast, literal
from sqlalchemy.sql.elements import ColumnElement

from peerreport.language.functions import days_between
from peerreport.rulebook.sources import AVERAGE, SHARE, sources
from peerreport.store import schema


def period_days(start: dt.date, end: dt.date) -> int:
    """The days of a period, both ends included."""
    return (end - start).days + 1


# -- SQL ---------------------------------------------------------------------------


def _table(source: str) -> Any:
    return schema.workforce if source == "workforce" else schema.feedback


def counts_in_period(source: str, start: dt.date, end: dt.date) -> ColumnElement[bool]:
    """The period condition of a period source (`workforce` or `feedback`)."""
    table = _table(source)
    first, last = literal(start, Date()), literal(end, Date())
    if sources()[source].period == "overlap":
        return and_(table.c.period_start <= last, table.c.period_end >= first)
    return and_(table.c.period_end >= first, table.c.period_end <= last)


def overlap_days_sql(source: str, start: dt.date, end: dt.date) -> ColumnElement[int]:
    """The days an entry and the period both cover (at least 1 for entries in the period)."""
    table = _table(source)
    first, last = literal(start, Date()), literal(end, Date())
    later_start = case((table.c.period_start > first, table.c.period_start), else_=first)
    earlier_end = case((table.c.period_end < last, table.c.period_end), else_=last)
    return days_between(later_start, earlier_end) + 1


def entry_days_sql(source: str) -> ColumnElement[int]:
    """The days an entry covers, both ends included."""
    table = _table(source)
    return days_between(table.c.period_start, table.c.period_end) + 1


def apportioned_sql(
    source: str, name: str, value: ColumnElement[Any], start: dt.date, end: dt.date
) -> ColumnElement[Any]:
    """`value` (the field `name` as read) as a `sum` over the period sees it."""
    how = sources()[source].apportioned.get(name)
    if how is None:
        return value
    overlap = cast(overlap_days_sql(source, start, end), Float)
    if how == AVERAGE:
        weight = overlap / literal(float(period_days(start, end)), Float())
    else:
        assert how == SHARE
        weight = overlap / cast(entry_days_sql(source), Float)
    return (cast(value, Float) * weight.self_group()).self_group()


# -- Python ------------------------------------------------------------------------


def counts_in(source: str, row: Mapping[str, Any], start: dt.date, end: dt.date) -> bool:
    """Does a period entry (a mapping of its fields) count in the period?"""
    if sources()[source].period == "overlap":
        return bool(row["period_start"] <= end and row["period_end"] >= start)
    return bool(start <= row["period_end"] <= end)


def overlap_days(row: Mapping[str, Any], start: dt.date, end: dt.date) -> int:
    """The days an entry and the period both cover."""
    return period_days(max(row["period_start"], start), min(row["period_end"], end))


def apportioned(
    source: str, row: Mapping[str, Any], start: dt.date, end: dt.date
) -> dict[str, Any]:
    """An entry's fields as a `sum` over the period sees them (others as recorded)."""
    shares = sources()[source].apportioned
    result = dict(row)
    for name, how in shares.items():
        value = row.get(name)
        if value is None:
            continue
        days = period_days(start, end) if how == AVERAGE else period_days(*_span(row))
        result[name] = float(value) * (overlap_days(row, start, end) / days)
    return result


def _span(row: Mapping[str, Any]) -> tuple[dt.date, dt.date]:
    return row["period_start"], row["period_end"]
