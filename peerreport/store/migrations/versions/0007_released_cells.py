"""what each filed return released, cell by cell, for the audit of everything released

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

Written by hand. Adds `released_rule` (the resolved text of each rule file an
organisation filed a return under, once per digest) and `released_cell` (one
row per published cell of each filed return: measure, key, status, value, the
note a funder reads, the period's dates and the records revision), so a later
build audits its figures against everything already released
(peerreport/disclosure/release.py). Returns filed before this migration have
no rows: the audit cannot see them. On PostgreSQL the web role gets its grants
on the new tables and both are walled by organisation like the returns.
Self-contained: another 0007 may be renumbered around it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from peerreport.store import row_security

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "released_rule",
        sa.Column("org", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("resolved", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("org", "digest", name="pk_released_rule"),
        sa.ForeignKeyConstraint(
            ["org"], ["organisation.org"], name="fk_released_rule_org_organisation"
        ),
    )
    op.create_table(
        "released_cell",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org", sa.String(length=32), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("rule_digest", sa.String(length=80), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("period_label", sa.String(length=64), nullable=False),
        sa.Column("records_revision", sa.Integer(), nullable=True),
        sa.Column("measure_id", sa.String(length=64), nullable=False),
        sa.Column("cell_key", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_released_cell"),
        sa.ForeignKeyConstraint(
            ["org"], ["organisation.org"], name="fk_released_cell_org_organisation"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submitted_return.id"],
            name="fk_released_cell_submission_id_submitted_return",
        ),
        sa.ForeignKeyConstraint(
            ["org", "rule_digest"],
            ["released_rule.org", "released_rule.digest"],
            name="fk_released_cell_org_rule_digest_released_rule",
        ),
    )
    op.create_index(
        "ix_released_cell_org_period", "released_cell", ["org", "period_start", "period_end"]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(row_security.GRANT_WEB_ROLE)
        for statement in row_security.release_policy_statements():
            op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_released_cell_org_period", table_name="released_cell")
    op.drop_table("released_cell")
    op.drop_table("released_rule")
