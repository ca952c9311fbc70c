"""The history of an organisation's records: imports, revisions, versions, withdrawals.

Reads what the importer and `withdraw` wrote; nothing here changes a stored
version except `withdraw`, which closes one (the only change the database
allows). Used by `peerreport imports`, `peerreport records history|withdraw`
and by audits that ask what changed between two revisions.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from peerreport.errors import UsageError
from peerreport.store import chain
from peerreport.store.revisions import RevisionMaker
from peerreport.store.schema import (
    VERSION_COLUMNS,
    activity,
    activity_breakdown,
    feedback,
    import_run,
    record_revision,
    workforce,
)
from peerreport.store.times import as_utc

REASON_LIMIT = 2000


@dataclass(frozen=True)
class ImportRun:
    """One file of one import, stored or refused."""

    id: int
    file_name: str
    file_sha256: str
    finished_at: dt.datetime
    status: str  # stored | refused
    revision: int | None
    added: int
    updated: int
    unchanged: int
    rejected: int
    problem_count: int
    problems: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_row(cls, row: Any) -> ImportRun:
        """From an `import_run` row."""
        return cls(
            id=int(row.id),
            file_name=row.file_name,
            file_sha256=row.file_sha256,
            finished_at=as_utc(row.finished_at),
            status=row.status,
            revision=row.revision,
            added=int(row.added),
            updated=int(row.updated),
            unchanged=int(row.unchanged),
            rejected=int(row.rejected),
            problem_count=int(row.problem_count),
            problems=tuple(json.loads(row.problems)) if row.problems else (),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "id": self.id,
            "file": self.file_name,
            "sha256": self.file_sha256,
            "finished_at": self.finished_at.isoformat(),
            "status": self.status,
            "revision": self.revision,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "problem_count": self.problem_count,
            "problems": list(self.problems),
        }


def imports(engine: Engine, org: str) -> list[ImportRun]:
    """Every import of `org`, oldest first (refused ones too)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(import_run).where(import_run.c.org == org).order_by(import_run.c.id)
        ).all()
    return [ImportRun.from_row(r) for r in rows]


def import_run_by_id(engine: Engine, org: str, ident: int) -> ImportRun:
    """One import of `org` by id, or a plain error."""
    with engine.connect() as conn:
        row = conn.execute(
            select(import_run).where(import_run.c.org == org, import_run.c.id == ident)
        ).first()
    if row is None:
        raise UsageError(f"there is no import {ident}; `peerreport imports list` shows them")
    return ImportRun.from_row(row)


@dataclass(frozen=True)
class Revision:
    """One revision of the records."""

    number: int
    kind: str  # import | withdrawal | baseline
    created_at: dt.datetime
    reason: str | None
    files: tuple[str, ...] = ()

    def describe(self) -> str:
        """'revision 3 (import of activities.csv, 2026-10-02)'."""
        when = f"{self.created_at:%Y-%m-%d %H:%M} UTC"
        if self.kind == "import":
            what = f"import of {', '.join(self.files) or 'a file'}"
        elif self.kind == "withdrawal":
            what = f"withdrawal: {self.reason}"
        else:
            what = "records before history was kept"
        return f"revision {self.number} ({what}, {when})"


def revisions(conn: Connection, org: str) -> dict[int, Revision]:
    """Every revision of `org`, with the files of its import."""
    files: dict[int, list[str]] = {}
    for run in conn.execute(
        select(import_run.c.revision, import_run.c.file_name)
        .where(import_run.c.org == org, import_run.c.revision.is_not(None))
        .order_by(import_run.c.id)
    ):
        files.setdefault(int(run.revision), []).append(run.file_name)
    rows = conn.execute(
        select(record_revision)
        .where(record_revision.c.org == org)
        .order_by(record_revision.c.revision)
    )
    return {
        int(r.revision): Revision(
            int(r.revision),
            r.kind,
            as_utc(r.created_at),
            r.reason,
            tuple(files.get(int(r.revision), ())),
        )
        for r in rows
    }


@dataclass(frozen=True)
class FieldChange:
    """One field of a record that differs between two versions."""

    field: str
    before: Any
    after: Any

    def __str__(self) -> str:
        return f"{self.field}: {_show(self.before)} -> {_show(self.after)}"


def _show(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Version:
    """One version of a record: its content, where it came from, and what replaced it."""

    valid_from: int
    valid_to: int | None
    values: dict[str, Any]
    source: str  # 'activities.xlsx, sheet "Activities", row 14' or 'unknown'
    changes: tuple[FieldChange, ...] = ()  # from the previous version
    withdrawn: bool = False  # closed without a later version

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "withdrawn": self.withdrawn,
            "source": self.source,
            "values": {k: _json(v) for k, v in self.values.items()},
            "changes": [
                {"field": c.field, "before": _json(c.before), "after": _json(c.after)}
                for c in self.changes
            ],
        }


def _json(value: Any) -> Any:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def _content(row: Any, table: Table) -> dict[str, Any]:
    return {c.name: row._mapping[c.name] for c in table.columns if c.name not in VERSION_COLUMNS}


def _field_changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(name, before.get(name), after.get(name))
        for name in after
        if _json(before.get(name)) != _json(after.get(name))
    )


def _source_text(conn: Connection, org: str, row: Any) -> str:
    if row.source_import is None:
        return "unknown (stored before history was kept)"
    name = conn.execute(
        select(import_run.c.file_name).where(
            import_run.c.org == org, import_run.c.id == row.source_import
        )
    ).scalar()
    parts = [str(name or f"import {row.source_import}")]
    if row.source_sheet:
        parts.append(f'sheet "{row.source_sheet}"')
    if row.source_row is not None:
        parts.append(f"row {row.source_row}")
    return ", ".join(parts)


def versions_of(conn: Connection, org: str, table: Table, key: dict[str, Any]) -> list[Version]:
    """Every version of one record, oldest first, each with its changes from the one before."""
    conditions = [table.c.org == org, *(table.c[k] == v for k, v in key.items())]
    rows = conn.execute(select(table).where(*conditions).order_by(table.c.valid_from)).all()
    result: list[Version] = []
    previous: dict[str, Any] | None = None
    for index, row in enumerate(rows):
        values = _content(row, table)
        last = index == len(rows) - 1
        result.append(
            Version(
                valid_from=int(row.valid_from),
                valid_to=row.valid_to,
                values=values,
                source=_source_text(conn, org, row),
                changes=_field_changes(previous, values) if previous is not None else (),
                withdrawn=last and row.valid_to is not None,
            )
        )
        previous = values
    return result


@dataclass(frozen=True)
class RecordHistory:
    """An activity's versions, its breakdowns' versions, and the revisions they name."""

    activity_id: str
    versions: tuple[Version, ...]
    breakdowns: dict[str, tuple[Version, ...]] = field(default_factory=dict)
    revisions: dict[int, Revision] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "activity_id": self.activity_id,
            "versions": [v.to_dict() for v in self.versions],
            "breakdowns": {k: [v.to_dict() for v in vs] for k, vs in self.breakdowns.items()},
            "revisions": {
                str(n): {"kind": r.kind, "created_at": r.created_at.isoformat(), "reason": r.reason}
                for n, r in self.revisions.items()
            },
        }


def _breakdown_name(dimension: str, category: str, dimension2: str, category2: str) -> str:
    """A breakdown's name in a history: 'ethnicity=maori', or with its second dimension
    'ethnicity=maori & age_band=25_44'."""
    name = f"{dimension}={category}"
    return f"{name} & {dimension2}={category2}" if dimension2 else name


def record_history(engine: Engine, org: str, activity_id: str) -> RecordHistory:
    """The history of one activity (by its id), or a plain error if there is none."""
    with engine.connect() as conn:
        found = versions_of(conn, org, activity, {"activity_id": activity_id})
        if not found:
            raise UsageError(
                f'there is no activity "{activity_id}" for {org}; `peerreport records summary` '
                "shows what is stored"
            )
        b = activity_breakdown
        key = (b.c.dimension, b.c.category, b.c.dimension2, b.c.category2)
        breakdown_keys = conn.execute(
            select(*key)
            .where(b.c.org == org, b.c.activity_id == activity_id)
            .distinct()
            .order_by(*key)
        ).all()
        breakdowns = {
            _breakdown_name(d, c, d2, c2): tuple(
                versions_of(
                    conn,
                    org,
                    activity_breakdown,
                    {
                        "activity_id": activity_id,
                        "dimension": d,
                        "category": c,
                        "dimension2": d2,
                        "category2": c2,
                    },
                )
            )
            for d, c, d2, c2 in breakdown_keys
        }
        known = revisions(conn, org)
    return RecordHistory(activity_id, tuple(found), breakdowns, known)


def withdraw(engine: Engine, org: str, activity_id: str, reason: str) -> int:
    """Withdraw an activity (and its breakdowns): a new revision closes their current versions.

    Nothing is deleted: earlier returns still rebuild with it, and its history
    shows when and why it was withdrawn.
    """
    note = reason.strip()
    if not note:
        raise UsageError('a withdrawal needs a reason: give --reason "why it is withdrawn"')
    if len(note) > REASON_LIMIT:
        raise UsageError(f"--reason is {len(note)} characters; at most {REASON_LIMIT}")
    with engine.begin() as conn:
        maker = RevisionMaker(conn, org, "withdrawal", note)
        closing: list[tuple[Table, Any]] = []
        for table in (activity, activity_breakdown):
            rows = conn.execute(
                select(table).where(
                    table.c.org == org,
                    table.c.activity_id == activity_id,
                    table.c.valid_to.is_(None),
                )
            ).all()
            closing += [(table, row) for row in rows]
        if not any(table is activity for table, _ in closing):
            raise UsageError(
                f'there is no current activity "{activity_id}" to withdraw'
                + (
                    " (it was withdrawn already: `peerreport records history` shows when)"
                    if versions_of(conn, org, activity, {"activity_id": activity_id})
                    else ""
                )
            )
        number = maker()
        for table, row in closing:
            key = _key(table, row)
            conn.execute(
                update(table)
                .where(
                    table.c.org == org,
                    table.c.valid_from == row.valid_from,
                    *(table.c[k] == v for k, v in zip(_key_names(table), key, strict=True)),
                )
                .values(valid_to=number)
            )
            maker.tally.close(table.name, key, row.digest)
        revision_row = conn.execute(
            select(record_revision).where(
                record_revision.c.org == org, record_revision.c.revision == number
            )
        ).one()
        chain.append(
            conn,
            org,
            "revision",
            f"revision {number}",
            chain.revision_payload(revision_row, [], maker.tally.to_dict()),
        )
    return number


def _key_names(table: Table) -> list[str]:
    return [c.name for c in table.primary_key.columns if c.name not in ("org", "valid_from")]


def _key(table: Table, row: Any) -> tuple[Any, ...]:
    return tuple(row._mapping[name] for name in _key_names(table))


@dataclass(frozen=True)
class RecordChange:
    """A record of a period that differs between two revisions."""

    record_type: str
    key: str
    change: str  # added | changed | withdrawn
    revision: int  # the revision that made the change
    fields: tuple[FieldChange, ...] = ()

    def __str__(self) -> str:
        detail = f": {'; '.join(str(f) for f in self.fields)}" if self.fields else ""
        return f"{self.record_type} {self.key} {self.change} in revision {self.revision}{detail}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "record_type": self.record_type,
            "key": self.key,
            "change": self.change,
            "revision": self.revision,
            "fields": [
                {"field": f.field, "before": _json(f.before), "after": _json(f.after)}
                for f in self.fields
            ],
        }


_PERIOD_TABLES: dict[str, Table] = {
    "activity": activity,
    "workforce": workforce,
    "feedback": feedback,
}


def changes_between(
    engine: Engine, org: str, start: dt.date, end: dt.date, old: int, new: int
) -> list[RecordChange]:
    """The records of a period that differ between revision `old` and revision `new`.

    Only versions made after `old` can differ, so the query reads just those.
    """
    if new <= old:
        return []
    found: list[RecordChange] = []
    with engine.connect() as conn:
        for name, table in _PERIOD_TABLES.items():
            in_period: ColumnElement[bool]
            if table is activity:
                in_period = table.c.date.between(start, end)
            else:
                in_period = and_(table.c.period_start >= start, table.c.period_end <= end)
            touched = or_(
                and_(table.c.valid_from > old, table.c.valid_from <= new),
                and_(table.c.valid_to > old, table.c.valid_to <= new),
            )
            names = _key_names(table)
            keys = {
                tuple(r)
                for r in conn.execute(
                    select(*(table.c[n] for n in names)).where(
                        table.c.org == org, in_period, touched
                    )
                )
            }
            for key in sorted(keys, key=lambda k: tuple(str(x) for x in k)):
                versions = versions_of(conn, org, table, dict(zip(names, key, strict=True)))
                found += _compare(name, key, versions, old, new)
    return found


def _at(versions: list[Version], revision: int) -> Version | None:
    for v in versions:
        if v.valid_from <= revision and (v.valid_to is None or v.valid_to > revision):
            return v
    return None


def _compare(
    name: str, key: tuple[Any, ...], versions: list[Version], old: int, new: int
) -> list[RecordChange]:
    before, after = _at(versions, old), _at(versions, new)
    label = " / ".join(_show(k) for k in key)
    if before is None and after is None:
        return []
    if before is None:
        assert after is not None
        return [RecordChange(name, label, "added", after.valid_from)]
    if after is None:
        assert before.valid_to is not None
        return [RecordChange(name, label, "withdrawn", before.valid_to)]
    if before is after:
        return []
    fields = _field_changes(before.values, after.values)
    fields = tuple(f for f in fields if f.field != "digest")
    return [RecordChange(name, label, "changed", after.valid_from, fields)]
