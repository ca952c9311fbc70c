"""a breakdown count may have a second dimension (cross-tabulated breakdowns)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30

Written by hand (issue 14). `activity_breakdown` gains `dimension2` and
`category2`, part of the natural key, so stored as '' when a count has one
dimension (as `workforce.programme` is) and never NULL: the server default ''
fills the rows already stored. The primary key and the index of current
versions are widened to (org, activity_id, dimension, category, dimension2,
category2[, valid_from]). Stored versions read back unchanged: an empty key
column is left out of a record's content digest (`store.digests.KEY_BLANKS`),
so every stored digest still matches its row.

SQLite rebuilds the table (batch mode), which drops its triggers: they are
made again over the content columns the table now has. On PostgreSQL the
table is altered in place, so its triggers (which compare whole rows), its
row-level security policy (migrations 0005 and 0006) and the web role's
grants stay as they were.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

RECORD_MESSAGE = "stored records are never changed or deleted: import a new version or withdraw"

_TABLE = "activity_breakdown"
_INDEX = "ix_activity_breakdown_current"
_OLD_KEY = ["org", "activity_id", "dimension", "category"]
_NEW_KEY = [*_OLD_KEY, "dimension2", "category2"]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index(_INDEX, table_name=_TABLE)
    with op.batch_alter_table(_TABLE) as batch:
        for name in ("dimension2", "category2"):
            batch.add_column(
                sa.Column(name, sa.String(length=32), nullable=False, server_default="")
            )
        batch.drop_constraint("pk_activity_breakdown", type_="primary")
        batch.create_primary_key("pk_activity_breakdown", [*_NEW_KEY, "valid_from"])
    _current_index(_NEW_KEY)
    if sqlite:
        _sqlite_version_triggers()


def _current_index(columns: list[str]) -> None:
    op.create_index(
        _INDEX,
        _TABLE,
        columns,
        unique=True,
        sqlite_where=sa.text("valid_to IS NULL"),
        postgresql_where=sa.text("valid_to IS NULL"),
    )


def _sqlite_version_triggers() -> None:
    """Make the table's triggers again (the rebuild dropped them), over every column."""
    bind = op.get_bind()
    columns = [c["name"] for c in sa.inspect(bind).get_columns(_TABLE)]
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns if c != "valid_to")
    op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_versions")
    op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_no_delete")
    op.execute(
        f"CREATE TRIGGER {_TABLE}_versions BEFORE UPDATE ON {_TABLE} "
        f"WHEN OLD.valid_to IS NOT NULL OR NEW.valid_to IS NULL OR {changed} "
        f"BEGIN SELECT RAISE(ABORT, '{RECORD_MESSAGE}'); END"
    )
    op.execute(
        f"CREATE TRIGGER {_TABLE}_no_delete BEFORE DELETE ON {_TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{RECORD_MESSAGE}'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        raise NotImplementedError(
            "0010 rebuilt a record table, which SQLite keeps under triggers; "
            "restore a backup made before the upgrade instead."
        )
    # Going back is possible only while no breakdown has a second dimension.
    crossed = op.get_bind().execute(
        sa.text(f"SELECT count(*) FROM {_TABLE} WHERE dimension2 <> ''")
    )
    if crossed.scalar_one():
        raise NotImplementedError(
            "breakdowns with a second dimension are stored; 0009 cannot hold them"
        )
    op.drop_index(_INDEX, table_name=_TABLE)
    op.drop_constraint("pk_activity_breakdown", _TABLE, type_="primary")
    op.create_primary_key("pk_activity_breakdown", _TABLE, [*_OLD_KEY, "valid_from"])
    op.drop_column(_TABLE, "category2")
    op.drop_column(_TABLE, "dimension2")
    _current_index(_OLD_KEY)
