"""The tables of a hosted server (SQLAlchemy Core), on the same `metadata` as schema.py.

A hosted peerreport keeps many organisations in one database, with the
people who sign in and the funders they report to. Most of these tables
belong to the server, not to one organisation (`SERVER_TABLES`), so they carry
no `org` column: who may read what is decided from `account_scope` in one
place (`peerreport.hosted.access`).

Secrets are never stored: a password as its argon2 hash, a session id and an
API token as their sha256. Published rule files and received bundles are kept
as they came, and never changed (triggers, see migration 0004).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from peerreport.store.schema import CODE, ID, ORG, TEXT, metadata

#: The roles an account can have.
ROLES = ("admin", "coordinator", "funder", "auditor")

funder = Table(
    "funder",
    metadata,
    Column("code", String(CODE), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The providers a funder receives returns from.
funder_provider = Table(
    "funder_provider",
    metadata,
    Column("funder", String(CODE), nullable=False),
    Column("org", String(ORG), nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("funder", "org"),
    ForeignKeyConstraint(["funder"], ["funder.code"]),
    ForeignKeyConstraint(["org"], ["organisation.org"]),
)

account = Table(
    "account",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(120), nullable=False),  # stored lowercased
    Column("display_name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),  # argon2id, with its parameters
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("disabled", Boolean, nullable=False, server_default=text("false")),
    UniqueConstraint("username"),
    CheckConstraint(
        "role IN ('admin', 'coordinator', 'funder', 'auditor')", name="ck_account_role"
    ),
)

# What an account may see: organisations ('org') and funders ('funder') by code.
account_scope = Table(
    "account_scope",
    metadata,
    Column("account_id", Integer, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("code", String(CODE), nullable=False),
    PrimaryKeyConstraint("account_id", "kind", "code"),
    ForeignKeyConstraint(["account_id"], ["account.id"]),
    CheckConstraint("kind IN ('org', 'funder')", name="ck_account_scope_kind"),
)

# A signed-in browser: only the sha256 of the session id in its cookie is kept.
web_session = Table(
    "web_session",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("account_id", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("current_org", String(ORG), nullable=True),
    ForeignKeyConstraint(["account_id"], ["account.id"]),
    Index("ix_web_session_account_id", "account_id"),
)

# A token a program uses for one organisation or funder; only its sha256 is kept.
api_token = Table(
    "api_token",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("code", String(CODE), nullable=False),
    Column("label", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("token_hash"),
    CheckConstraint("kind IN ('org', 'funder')", name="ck_api_token_kind"),
)

# A funder's rule file as published (its TOML text as given) and the workbook
# template it names, if any. A version is published once and never changed.
published_rule = Table(
    "published_rule",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("funder", String(CODE), nullable=False),
    Column("rule_id", String(ID), nullable=False),
    Column("rule_version", String(ID), nullable=False),
    Column("digest", String(80), nullable=False),
    Column("toml", Text, nullable=False),
    Column("template_name", String(TEXT), nullable=True),  # as the rule file names it
    Column("template", LargeBinary, nullable=True),
    Column("published_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("funder", "rule_id", "rule_version"),
    ForeignKeyConstraint(["funder"], ["funder.code"]),
)

# The sealed bundle of a submitted return, exactly as it was received.
received_bundle = Table(
    "received_bundle",
    metadata,
    Column("submission_id", Integer, primary_key=True, autoincrement=False),
    Column("org", String(ORG), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("via", String(8), nullable=False),
    ForeignKeyConstraint(["submission_id"], ["submitted_return.id"]),
    ForeignKeyConstraint(["org"], ["organisation.org"]),
    CheckConstraint("via IN ('filed', 'upload', 'api')", name="ck_received_bundle_via"),
)

# The signing keys each organisation's bundles must be signed with (`peerreport admin key`).
# A key is registered once, for one organisation; retiring it (a new key replaced it) or
# revoking it (it may be in someone else's hands) stops the server taking bundles it signed.
provider_key = Table(
    "provider_key",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("org", String(ORG), nullable=False),
    Column("fingerprint", String(80), nullable=False),  # SHA256:<unpadded base64>
    Column("public_key", Text, nullable=True),  # PEM, when it was given
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("added_by", String(8), nullable=False),  # 'admin', or 'server' for its own desks
    Column("retired_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("fingerprint"),
    ForeignKeyConstraint(["org"], ["organisation.org"]),
    Index("ix_provider_key_org", "org"),
    CheckConstraint("added_by IN ('admin', 'server')", name="ck_provider_key_added_by"),
)

#: Tables that belong to the server rather than to one organisation (no `org` column).
SERVER_TABLES = frozenset(
    {"funder", "account", "account_scope", "web_session", "api_token", "published_rule"}
)
