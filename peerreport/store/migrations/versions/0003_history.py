"""records keep their history; the filing lifecycle; the hash-chained ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

Written by hand. Existing workspaces come over without losing anything:
- every stored record becomes version 1 of itself, brought in by revision 1
  ('baseline': the records as they stood when history began to be kept), its
  source unknown;
- record tables are keyed by (natural key, valid_from); a partial unique index
  keeps one current version per record; breakdowns and member tokens no longer
  point at an activity row by foreign key (an activity now has several rows);
- import runs gain their status, revision and problems; submitted returns
  their records revision, due date and lateness;
- `return_event` (acceptances, queries) and `ledger_entry` (the hash chain)
  are created, and the chain is started with an entry for the baseline
  revision and for every submission already in the ledger, oldest first;
- triggers refuse DELETE on record tables, and any UPDATE except closing a
  current version; events and chain entries are never changed.
Children are rebuilt before their parent, so SQLite's rebuild of `activity`
cannot cascade a delete into them.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

RECORD_MESSAGE = "stored records are never changed or deleted: import a new version or withdraw"
FIXED_MESSAGE = "the ledger is never edited or deleted"

_CONTENT = {
    "activity": [
        "org", "activity_id", "date", "start_time", "duration_minutes", "kind", "programme",
        "mode", "setting", "group_id", "topic", "attendance", "first_time", "peer_workers",
        "volunteers", "member_led", "co_facilitated", "population_focus", "community_session",
        "notes", "digest",
    ],
    "activity_breakdown": ["org", "activity_id", "dimension", "category", "count", "digest"],
    "workforce": [
        "org", "period_start", "period_end", "role", "programme", "paid_fte", "paid_headcount",
        "volunteer_count", "volunteer_hours", "supervision_hours", "training_hours", "digest",
    ],
    "feedback": [
        "org", "period_start", "period_end", "programme", "question", "response", "count",
        "digest",
    ],
}
_KEYS = {
    "activity": ["org", "activity_id"],
    "activity_breakdown": ["org", "activity_id", "dimension", "category"],
    "workforce": ["org", "period_start", "period_end", "role", "programme"],
    "feedback": ["org", "period_start", "period_end", "programme", "question", "response"],
}
_VERSION_COLUMNS = ["valid_from", "valid_to", "source_import", "source_sheet", "source_row"]


def _history_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("valid_from", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("valid_to", sa.Integer(), nullable=True),
        sa.Column("source_import", sa.Integer(), nullable=True),
        sa.Column("source_sheet", sa.String(length=500), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.create_table(
        "record_revision",
        sa.Column("org", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["org"], ["organisation.org"], name="fk_record_revision_org_organisation"
        ),
        sa.PrimaryKeyConstraint("org", "revision", name="pk_record_revision"),
    )

    # Children first: they lose their foreign key to activity before it is rebuilt.
    with op.batch_alter_table("member_token") as batch:
        batch.drop_constraint("fk_member_token_org_activity_id_activity", type_="foreignkey")
        batch.add_column(sa.Column("valid_from", sa.Integer(), nullable=False, server_default="1"))
        batch.drop_constraint("pk_member_token", type_="primary")
        batch.create_primary_key(
            "pk_member_token", ["org", "activity_id", "valid_from", "token_hash"]
        )
        batch.create_foreign_key(
            "fk_member_token_org_organisation", "organisation", ["org"], ["org"]
        )
    with op.batch_alter_table("activity_breakdown") as batch:
        batch.drop_constraint(
            "fk_activity_breakdown_org_activity_id_activity", type_="foreignkey"
        )
        for column in _history_columns():
            batch.add_column(column)
        batch.drop_constraint("pk_activity_breakdown", type_="primary")
        batch.create_primary_key(
            "pk_activity_breakdown",
            ["org", "activity_id", "dimension", "category", "valid_from"],
        )
        batch.create_foreign_key(
            "fk_activity_breakdown_org_organisation", "organisation", ["org"], ["org"]
        )
    for table in ("activity", "workforce", "feedback"):
        with op.batch_alter_table(table) as batch:
            for column in _history_columns():
                batch.add_column(column)
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", [*_KEYS[table], "valid_from"])
    for table, keys in _KEYS.items():
        op.create_index(
            f"ix_{table}_current",
            table,
            keys,
            unique=True,
            sqlite_where=sa.text("valid_to IS NULL"),
            postgresql_where=sa.text("valid_to IS NULL"),
        )

    with op.batch_alter_table("import_run") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="stored")
        )
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("problem_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("problems", sa.Text(), nullable=True))
    op.add_column("submitted_return", sa.Column("records_revision", sa.Integer(), nullable=True))
    op.add_column("submitted_return", sa.Column("due_date", sa.Date(), nullable=True))
    op.add_column(
        "submitted_return",
        sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.text("false")),
    )

    op.create_table(
        "return_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org", sa.String(length=32), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["org"], ["organisation.org"], name="fk_return_event_org_organisation"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submitted_return.id"],
            name="fk_return_event_submission_id_submitted_return",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_return_event"),
    )
    op.create_table(
        "ledger_entry",
        sa.Column("org", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=71), nullable=False),
        sa.Column("hash", sa.String(length=71), nullable=False),
        sa.ForeignKeyConstraint(
            ["org"], ["organisation.org"], name="fk_ledger_entry_org_organisation"
        ),
        sa.PrimaryKeyConstraint("org", "seq", name="pk_ledger_entry"),
    )

    _baseline(bind)
    if postgres:
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _baseline(bind: sa.Connection) -> None:
    """Revision 1 for every organisation with records; the chain started for each."""
    from peerreport.store import chain
    from peerreport.store.revisions import Tally

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    orgs = [r[0] for r in bind.execute(sa.text("SELECT org FROM organisation ORDER BY org"))]
    meta = sa.MetaData()
    revisions = sa.Table("record_revision", meta, autoload_with=bind)
    submitted = sa.Table("submitted_return", meta, autoload_with=bind)
    for org in orgs:
        tally = Tally()
        for table, keys in _KEYS.items():
            reflected = sa.Table(table, meta, autoload_with=bind)
            query = sa.select(*[reflected.c[k] for k in keys[1:]], reflected.c.digest).where(
                reflected.c.org == org
            )
            for row in bind.execute(query):
                tally.add(table, tuple(row[:-1]), str(row[-1]))
        if tally.added:
            bind.execute(
                sa.insert(revisions).values(
                    org=org,
                    revision=1,
                    kind="baseline",
                    created_at=now,
                    reason="the records as they stood when peerreport began to keep history",
                )
            )
            row = bind.execute(
                sa.select(revisions).where(revisions.c.org == org, revisions.c.revision == 1)
            ).one()
            chain.append(
                bind, org, "revision", "revision 1", chain.revision_payload(row, [], tally.to_dict())
            )
        for row in bind.execute(
            sa.select(submitted).where(submitted.c.org == org).order_by(submitted.c.id)
        ):
            kind = "amendment" if row.version > 1 else "submission"
            chain.append(
                bind, org, kind, f"submitted return {row.id}", chain.submission_payload(row)
            )


_PG_RECORDS = f"""
CREATE FUNCTION peerreport_record_versions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.valid_to IS NULL AND NEW.valid_to IS NOT NULL
       AND (to_jsonb(NEW) - 'valid_to') = (to_jsonb(OLD) - 'valid_to') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{RECORD_MESSAGE}' USING ERRCODE = 'restrict_violation';
END
$$
"""
_PG_FIXED = f"""
CREATE FUNCTION peerreport_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{FIXED_MESSAGE}' USING ERRCODE = 'restrict_violation';
END
$$
"""


def _postgres_triggers() -> None:
    op.execute(_PG_RECORDS)
    op.execute(_PG_FIXED)
    for table in (*_KEYS, "member_token", "record_revision", "return_event", "ledger_entry"):
        function = (
            "peerreport_record_versions" if table in _KEYS else "peerreport_refuse_change"
        )
        op.execute(
            f"CREATE TRIGGER {table}_versions BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION peerreport_refuse_change()"
        )


def _sqlite_triggers() -> None:
    for table, columns in _CONTENT.items():
        changed = " OR ".join(
            f"NEW.{c} IS NOT OLD.{c}"
            for c in [*columns, *_VERSION_COLUMNS]
            if c != "valid_to"
        )
        op.execute(
            f"CREATE TRIGGER {table}_versions BEFORE UPDATE ON {table} "
            f"WHEN OLD.valid_to IS NOT NULL OR NEW.valid_to IS NULL OR {changed} "
            f"BEGIN SELECT RAISE(ABORT, '{RECORD_MESSAGE}'); END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{RECORD_MESSAGE}'); END"
        )
    for table in ("member_token", "record_revision", "return_event", "ledger_entry"):
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{FIXED_MESSAGE}'); END"
            )


def downgrade() -> None:
    raise NotImplementedError(
        "0003 keeps every version of every record; going back would lose history. "
        "Restore a backup made before the upgrade instead."
    )
