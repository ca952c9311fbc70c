"""the ledger: submitted returns, immutable (triggers refuse UPDATE and DELETE)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Written by hand. Submitted returns are never edited or deleted: amendments
are new rows. The database enforces it with triggers on SQLite and
PostgreSQL (on PostgreSQL TRUNCATE is refused too), so not even plain SQL
can change the ledger. Dropping the table (downgrade) is still possible for
the database owner.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MESSAGE = "submitted returns are never edited or deleted; submit an amendment instead"

_PG_FUNCTION = f"""
CREATE FUNCTION peerreport_refuse_ledger_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "submitted_return",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org", sa.String(length=32), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("rule_version", sa.String(length=64), nullable=False),
        sa.Column("rule_digest", sa.String(length=80), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("period_label", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_version", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("records_digest", sa.String(length=80), nullable=False),
        sa.Column("return_json", sa.Text(), nullable=False),
        sa.Column("bundle_sha256", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_submitted_return"),
        sa.UniqueConstraint(
            "org", "rule_id", "period_start", "period_end", "version",
            name="uq_submitted_return_period_version",
        ),
        sa.ForeignKeyConstraint(["org"], ["organisation.org"], name="fk_submitted_return_org"),
        sa.ForeignKeyConstraint(
            ["org", "rule_id", "period_start", "period_end", "supersedes_version"],
            [
                "submitted_return.org",
                "submitted_return.rule_id",
                "submitted_return.period_start",
                "submitted_return.period_end",
                "submitted_return.version",
            ],
            name="fk_submitted_return_amends",
        ),
        sa.CheckConstraint(
            "(version = 1 AND supersedes_version IS NULL) OR "
            "(version > 1 AND supersedes_version = version - 1 AND reason IS NOT NULL)",
            name="ck_submitted_return_amends_previous",
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER submitted_return_immutable BEFORE UPDATE OR DELETE "
            "ON submitted_return FOR EACH ROW "
            "EXECUTE FUNCTION peerreport_refuse_ledger_change()"
        )
        op.execute(
            "CREATE TRIGGER submitted_return_no_truncate BEFORE TRUNCATE "
            "ON submitted_return FOR EACH STATEMENT "
            "EXECUTE FUNCTION peerreport_refuse_ledger_change()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER submitted_return_no_{event.lower()} BEFORE {event} "
                f"ON submitted_return BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS submitted_return_no_truncate ON submitted_return")
        op.execute("DROP TRIGGER IF EXISTS submitted_return_immutable ON submitted_return")
        op.drop_table("submitted_return")
        op.execute("DROP FUNCTION IF EXISTS peerreport_refuse_ledger_change()")
    else:
        op.drop_table("submitted_return")  # its triggers go with it
