"""purchase units on records; the counts peer services report

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

Written by hand. New nullable columns, nothing existing changes:
- `activity`: `purchase_unit` (the funder's purchase unit code the work is
  delivered under), `resources_linked`, `resources_given`, `calls_missed`;
- `workforce`: `purchase_unit`.
Stored versions read back unchanged: the new columns are NULL, and an empty
new column is left out of a record's content digest (`store.records.
ADDED_COLUMNS`), so every stored digest still matches its row. On SQLite the
trigger that lets a version only be closed lists the content columns, so it is
made again with the new ones (PostgreSQL's compares whole rows already).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

RECORD_MESSAGE = "stored records are never changed or deleted: import a new version or withdraw"

_ACTIVITY = ["purchase_unit", "resources_linked", "resources_given", "calls_missed"]


def upgrade() -> None:
    op.add_column("activity", sa.Column("purchase_unit", sa.String(length=32), nullable=True))
    for name in _ACTIVITY[1:]:
        op.add_column("activity", sa.Column(name, sa.Integer(), nullable=True))
    op.add_column("workforce", sa.Column("purchase_unit", sa.String(length=32), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_version_triggers()


def _sqlite_version_triggers() -> None:
    """Make `<table>_versions` again over every content column the table now has."""
    bind = op.get_bind()
    for table in ("activity", "workforce"):
        columns = [c["name"] for c in sa.inspect(bind).get_columns(table)]
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns if c != "valid_to")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_versions")
        op.execute(
            f"CREATE TRIGGER {table}_versions BEFORE UPDATE ON {table} "
            f"WHEN OLD.valid_to IS NOT NULL OR NEW.valid_to IS NULL OR {changed} "
            f"BEGIN SELECT RAISE(ABORT, '{RECORD_MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        raise NotImplementedError(
            "0009 added columns to record tables, which SQLite keeps under triggers; "
            "restore a backup made before the upgrade instead."
        )
    for name in _ACTIVITY:
        op.drop_column("activity", name)
    op.drop_column("workforce", "purchase_unit")
