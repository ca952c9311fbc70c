"""a register of each organisation's signing keys on a hosted server

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

Written by hand. One new table, `provider_key`: the fingerprints (and public
keys, when given) an organisation's bundles must be signed with, when each
was added and when it was retired or revoked. Nothing existing changes. On
PostgreSQL the web role is granted what it does in the schema again
(`row_security.GRANT_WEB_ROLE`), so it may read the keys and register the
server's own; the table holds public keys only, so it has no row policy
(like the rest of the directory).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from peerreport.store import row_security

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_key",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org", sa.String(length=32), nullable=False),
        sa.Column("fingerprint", sa.String(length=80), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=8), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_provider_key"),
        sa.UniqueConstraint("fingerprint", name="uq_provider_key_fingerprint"),
        sa.ForeignKeyConstraint(
            ["org"], ["organisation.org"], name="fk_provider_key_org_organisation"
        ),
        sa.CheckConstraint(
            "added_by IN ('admin', 'server')", name="ck_provider_key_added_by"
        ),
    )
    op.create_index("ix_provider_key_org", "provider_key", ["org"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(row_security.GRANT_WEB_ROLE)


def downgrade() -> None:
    op.drop_index("ix_provider_key_org", table_name="provider_key")
    op.drop_table("provider_key")
