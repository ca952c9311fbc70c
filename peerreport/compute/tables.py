"""Record sources as SQL: the FROM clause, the period filter and what each name means.

- `activity`: the activity table; in the period when `date` is within it. Its
  `breakdown_total_*` fields add up the activity's breakdown counts of one
  dimension at the revision being read (`breakdown_totals`): the resolver and
  `column` take that revision.
- `breakdown`: activity_breakdown joined to its activity (so `where` can use
  activity fields); in the period when the activity's `date` is. Only the
  counts by one dimension (`dimension2` = ''); `cross_breakdown` is the same
  join over the counts with a second dimension (`breakdown_kind`).
- `tokens`: activity joined to member_token, used only by `distinct =
  "member_tokens"`; same period rule as activity.
- `workforce`: in the period when the entry covers at least one of its days;
  in a `sum` its levels and amounts are apportioned to the period by days of
  overlap (`resolver(..., period=...)`, see `apportion`).
- `feedback`: in the period that holds the tally's last day, whole.

Every statement filters on `org`, the period and the revision of the records
(`revision`: the versions current at that import revision, or the current
versions when None; see store/schema.py) with bound parameters.
`programme` of workforce and feedback is stored as '' when not kept, and read
back as null, as in the record model. Decimal columns are read as double
precision, as the expression language defines.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, Numeric, Time, and_, case, cast, false, func, literal, null, or_, true
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FromClause

from peerreport.compute.apportion import apportioned_sql, counts_in_period
from peerreport.compute.breakdown_totals import breakdown_total_sql
from peerreport.language.sql import Resolve
from peerreport.rulebook.counting import EVERYTHING, UNIT_SOURCES, UnitRule
from peerreport.rulebook.model import Grouping
from peerreport.rulebook.sources import BREAKDOWN_SOURCES, BREAKDOWN_TOTALS, SECOND_DIMENSION
from peerreport.rulebook.time_bands import is_time_field, parse_band
from peerreport.store import schema
from peerreport.store.revisions import visible_at

TOKENS = "tokens"


def from_clause(source: str) -> FromClause:
    """The rows a source ranges over."""
    a = schema.activity
    if source == "activity":
        return a
    if source in BREAKDOWN_SOURCES:
        b = schema.activity_breakdown
        return b.join(a, and_(b.c.org == a.c.org, b.c.activity_id == a.c.activity_id))
    if source == TOKENS:
        t = schema.member_token
        # Tokens belong to one version of their activity.
        return a.join(
            t,
            and_(
                t.c.org == a.c.org,
                t.c.activity_id == a.c.activity_id,
                t.c.valid_from == a.c.valid_from,
            ),
        )
    if source == "workforce":
        return schema.workforce
    if source == "feedback":
        return schema.feedback
    raise KeyError(source)


#: The sources whose rows are activities, so an activity's breakdown totals can be read.
_ACTIVITY_ROWS = ("activity", TOKENS)


def _table_for(source: str, name: str) -> Any:
    if (
        source in BREAKDOWN_SOURCES
        and name in schema.activity_breakdown.c
        and name != "activity_id"
        and (source == "cross_breakdown" or name not in SECOND_DIMENSION)
    ):
        return schema.activity_breakdown.c[name]
    if source in ("activity", *BREAKDOWN_SOURCES, TOKENS):
        return schema.activity.c[name]
    return (schema.workforce if source == "workforce" else schema.feedback).c[name]


def row_filter(
    source: str,
    org: str,
    start: dt.date,
    end: dt.date,
    revision: int | None = None,
    units: UnitRule = EVERYTHING,
) -> ColumnElement[bool]:
    """The organisation, period and revision condition of a source, and which purchase
    units the return counts (`units`: every record by default)."""
    if source in ("activity", *BREAKDOWN_SOURCES, TOKENS):
        a = schema.activity
        conditions = [a.c.org == org, a.c.date >= start, a.c.date <= end, version(a, revision)]
        if source in BREAKDOWN_SOURCES:
            conditions.append(version(schema.activity_breakdown, revision))
            conditions.append(breakdown_kind(source))
        if not units.everything:
            conditions.append(unit_filter(source, units))
        return and_(*conditions)
    table = schema.workforce if source == "workforce" else schema.feedback
    conditions = [
        table.c.org == org,
        counts_in_period(source, start, end),
        version(table, revision),
    ]
    if not units.everything and source in UNIT_SOURCES:
        conditions.append(unit_filter(source, units))
    return and_(*conditions)


def unit_filter(source: str, units: UnitRule) -> ColumnElement[bool]:
    """The records of `source` a return counts by their purchase unit (`UnitRule.counts` in
    SQL). A source without purchase units (feedback) counts whole."""
    if source not in UNIT_SOURCES:
        return true()
    unit = (schema.workforce if source == "workforce" else schema.activity).c.purchase_unit
    assigned: ColumnElement[bool]
    if units.units is None:
        assigned = unit.is_not(None)
    elif units.units:
        assigned = unit.in_(sorted(units.units))
    else:
        assigned = false()  # no unit listed: IN () is not valid SQL everywhere
    return or_(assigned, unit.is_(None)) if units.unassigned else assigned


def breakdown_kind(source: str) -> ColumnElement[bool]:
    """Which breakdown rows a breakdown source has: counts by one dimension (`breakdown`) or
    with a second one (`cross_breakdown`)."""
    second = schema.activity_breakdown.c.dimension2
    return second == literal("") if source == "breakdown" else second != literal("")


def version(table: Any, revision: int | None) -> ColumnElement[bool]:
    """The versions of a record table current at `revision` (None: current now)."""
    if revision is None:
        return table.c.valid_to.is_(None)  # type: ignore[no-any-return]
    return visible_at(table, revision)


def column(source: str, name: str, revision: int | None = None) -> ColumnElement[Any]:
    """A record field as the expression language sees it (at `revision`: what a field
    computed from other records, a breakdown total, reads)."""
    if name in BREAKDOWN_TOTALS and source in _ACTIVITY_ROWS:
        return breakdown_total_sql(name, revision)
    col = _table_for(source, name)
    if isinstance(col.type, Numeric):
        return cast(col, Float)
    if name == "programme" and source in ("workforce", "feedback"):
        return func.nullif(col, literal(""))
    return col  # type: ignore[no-any-return]


def resolver(
    source: str,
    groupings: dict[str, Grouping],
    period: tuple[dt.date, dt.date] | None = None,
    revision: int | None = None,
) -> Resolve:
    """The `resolve` callback for `peerreport.language.to_sql` over one source.

    With `period`, fields are as a `sum` over that period sees them: a workforce
    entry's levels and amounts are its part of the period (`apportion`). Without
    it, every field is the value as recorded (`where`, `by`, min, max, checks).
    `revision` is the one the rows are read at (None: the current records), which
    fields computed from other records (breakdown totals) read too.
    """

    def resolve(name: str) -> ColumnElement[Any]:
        grouping = groupings.get(name)
        if grouping is not None and not _is_field(source, name):
            return grouping_case(column(source, grouping.field, revision), grouping)
        if period is not None:
            return apportioned_sql(source, name, column(source, name, revision), *period)
        return column(source, name, revision)

    return resolve


def _is_field(source: str, name: str) -> bool:
    if name in BREAKDOWN_TOTALS and source in _ACTIVITY_ROWS:
        return True
    try:
        _table_for(source, name)
    except KeyError:
        return False
    return True


def grouping_case(field: ColumnElement[Any], grouping: Grouping) -> ColumnElement[Any]:
    """CASE mapping a field's codes (or a time's bands) to the grouping's categories.

    Null stays null: a record without the field is "not recorded", never `other`.
    """
    whens: list[tuple[Any, Any]] = [(field.is_(None), null())]
    if is_time_field(grouping.field):
        for category, texts in grouping.map.items():
            for band in map(parse_band, texts):
                test = field >= literal(band.start_time, Time())
                if band.end_time is not None:
                    test = and_(test, field < literal(band.end_time, Time()))
                whens.append((test, literal(category)))
    else:
        whens += [(field.in_(codes), literal(category)) for category, codes in grouping.map.items()]
    other = literal(grouping.other) if grouping.other is not None else null()
    return case(*whens, else_=other)


def id_columns(source: str, names: tuple[str, ...]) -> list[ColumnElement[Any]]:
    """The columns that identify a row, for samples of failing records."""
    return [_table_for(source, n) for n in names]
