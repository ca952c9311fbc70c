"""row-level security on PostgreSQL: each request sees only its organisations' rows

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

Written by hand. PostgreSQL only; on SQLite (one organisation per
workspace, no roles) nothing changes. The role the hosted server's requests
run as is made when missing and granted what the application does; every
table holding an organisation's records or returns gets a policy showing
only the rows of the organisations the transaction's settings name. The
owner is not walled, so nothing else changes for it. A function of the
owner's lets the role refresh the record tables' statistics after an import. The SQL and the names
are in `peerreport.store.row_security`, which the server uses too.
"""

from __future__ import annotations

from alembic import op

from peerreport.store import row_security

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(row_security.CREATE_ANALYZE_FUNCTION)
    op.execute(row_security.GRANT_WEB_ROLE)
    for statement in row_security.policy_statements():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in row_security.drop_policy_statements():
        op.execute(statement)
    op.execute(row_security.REVOKE_WEB_ROLE)
