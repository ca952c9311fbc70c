"""hosted mode: funders, accounts, sessions, API tokens, published rule files, bundles

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

Written by hand. Only new tables; nothing existing changes, so a workspace's
database comes over as it is. Published rule files and received bundles are
never changed or deleted: triggers refuse it (on PostgreSQL through
`peerreport_refuse_change()`, made by 0003), as for the ledger.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FIXED_MESSAGE = "the ledger is never edited or deleted"
_FIXED = ("published_rule", "received_bundle")
_TABLES = (
    "received_bundle",
    "published_rule",
    "api_token",
    "web_session",
    "account_scope",
    "account",
    "funder_provider",
    "funder",
)


def upgrade() -> None:
    op.create_table(
        "funder",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_funder"),
    )
    op.create_table(
        "funder_provider",
        sa.Column("funder", sa.String(length=32), nullable=False),
        sa.Column("org", sa.String(length=32), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("funder", "org", name="pk_funder_provider"),
        sa.ForeignKeyConstraint(
            ["funder"], ["funder.code"], name="fk_funder_provider_funder_funder"
        ),
        sa.ForeignKeyConstraint(
            ["org"], ["organisation.org"], name="fk_funder_provider_org_organisation"
        ),
    )
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=120), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.PrimaryKeyConstraint("id", name="pk_account"),
        sa.UniqueConstraint("username", name="uq_account_username"),
        sa.CheckConstraint(
            "role IN ('admin', 'coordinator', 'funder', 'auditor')", name="ck_account_role"
        ),
    )
    op.create_table(
        "account_scope",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "kind", "code", name="pk_account_scope"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_account_scope_account_id_account"
        ),
        sa.CheckConstraint("kind IN ('org', 'funder')", name="ck_account_scope_kind"),
    )
    op.create_table(
        "web_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("current_org", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id_hash", name="pk_web_session"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_web_session_account_id_account"
        ),
    )
    op.create_index("ix_web_session_account_id", "web_session", ["account_id"])
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_token"),
        sa.UniqueConstraint("token_hash", name="uq_api_token_token_hash"),
        sa.CheckConstraint("kind IN ('org', 'funder')", name="ck_api_token_kind"),
    )
    op.create_table(
        "published_rule",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("funder", sa.String(length=32), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("rule_version", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("toml", sa.Text(), nullable=False),
        sa.Column("template_name", sa.String(length=500), nullable=True),
        sa.Column("template", sa.LargeBinary(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_published_rule"),
        sa.UniqueConstraint(
            "funder",
            "rule_id",
            "rule_version",
            name="uq_published_rule_funder_rule_id_rule_version",
        ),
        sa.ForeignKeyConstraint(
            ["funder"], ["funder.code"], name="fk_published_rule_funder_funder"
        ),
    )
    op.create_table(
        "received_bundle",
        sa.Column("submission_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("org", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("submission_id", name="pk_received_bundle"),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submitted_return.id"],
            name="fk_received_bundle_submission_id_submitted_return",
        ),
        sa.ForeignKeyConstraint(
            ["org"], ["organisation.org"], name="fk_received_bundle_org_organisation"
        ),
        sa.CheckConstraint("via IN ('filed', 'upload', 'api')", name="ck_received_bundle_via"),
    )

    if op.get_bind().dialect.name == "postgresql":
        for table in _FIXED:
            op.execute(
                f"CREATE TRIGGER {table}_fixed BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION peerreport_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION peerreport_refuse_change()"
            )
    else:
        for table in _FIXED:
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{FIXED_MESSAGE}'); END"
                )


def downgrade() -> None:
    # Only new tables: dropping them loses the accounts and what was published and received.
    for table in _TABLES:
        op.drop_table(table)
