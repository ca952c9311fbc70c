"""What an auditor is shown of a record: the one place that picks the columns listed.

`audit trace` and `audit sample` (and so the report) list records through
`select_records`: first the source's id fields (what identifies a record), then
the fields that say when and what it was (`LISTED`), then the value the measure
aggregates, if any, after the file and row each record's version was imported
from. A column added to the record tables later is listed everywhere once it is
named in `LISTED`; a join it needs goes into `select_records`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from peerreport.compute.tables import TOKENS, from_clause, id_columns
from peerreport.rulebook.sources import sources
from peerreport.store import schema
from peerreport.store.schema import import_run

#: Fields listed after the id fields, per record table. Workforce entries and feedback
#: tallies are identified by their period, role or question, so their ids say it all.
LISTED: dict[str, tuple[str, ...]] = {
    "activity": ("date", "kind"),
    "breakdown": ("date", "kind"),
    "cross_breakdown": ("date", "kind"),
    "workforce": (),
    "feedback": (),
}


@dataclass(frozen=True)
class RecordQuery:
    """A statement listing records, and what each position of its rows holds."""

    statement: Select[Any]
    table: str  # the record table listed: activity, breakdown, workforce or feedback
    id_fields: tuple[str, ...]
    listed: tuple[str, ...]  # the fields listed after the ids (date, kind, ...)
    value_name: str  # what the last position holds, e.g. `attendance`; '' when no value

    @property
    def columns(self) -> tuple[str, ...]:
        """What each position of a row holds: id fields, listed fields, the value."""
        return (*self.id_fields, *self.listed, *((self.value_name,) if self.value_name else ()))


def record_table(source: str) -> str:
    """The record table whose rows a source lists (member tokens list their activities)."""
    return "activity" if source == TOKENS else source


def select_records(
    source: str,
    conditions: Sequence[ColumnElement[bool]],
    value: ColumnElement[Any] | None = None,
    value_name: str = "value",
) -> RecordQuery:
    """The records of `source` meeting every condition, ordered by their ids."""
    table = record_table(source)
    ids = sources()[table].id_fields
    listed = tuple(name for name in LISTED[table] if name not in ids)
    shown = [
        column.label(name)
        for name, column in zip((*ids, *listed), id_columns(table, (*ids, *listed)), strict=True)
    ]
    if value is not None:
        shown.append(value.label("value"))
    # Where each record's version came from: the imported file and its row.
    versions = _VERSION_TABLES[table]()
    shown[len(ids) + len(listed) : len(ids) + len(listed)] = [
        import_run.c.file_name.label("file"),
        versions.c.source_row.label("row"),
    ]
    statement = (
        select(*shown)
        .select_from(
            from_clause(source).outerjoin(
                import_run,
                and_(
                    import_run.c.id == versions.c.source_import, import_run.c.org == versions.c.org
                ),
            )
        )
        .where(and_(*conditions))
        .order_by(*id_columns(table, ids))
    )
    return RecordQuery(
        statement,
        table,
        ids,
        (*listed, "file", "row"),
        value_name if value is not None else "",
    )


_VERSION_TABLES: dict[str, Any] = {
    "activity": lambda: schema.activity,
    "breakdown": lambda: schema.activity_breakdown,
    "cross_breakdown": lambda: schema.activity_breakdown,
    "workforce": lambda: schema.workforce,
    "feedback": lambda: schema.feedback,
}
