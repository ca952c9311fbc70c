"""row-level security reads the request's organisations once per statement, not per row

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08

Written by hand. PostgreSQL only. The policies of 0005 split the setting
naming the request's organisations again for every row a statement looked
at; with a funder's 200 providers that was most of the database's time for
their dashboard. The same condition in a sub-select is worked out once per
statement (`row_security.visible_when`). Nothing else changes: the same rows
are visible to the same requests.
"""

from __future__ import annotations

from alembic import op

from peerreport.store import row_security

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in row_security.alter_policy_statements():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in row_security.alter_policy_statements(row_security.visible_per_row):
        op.execute(statement)
