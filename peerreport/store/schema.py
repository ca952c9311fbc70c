"""The database schema (SQLAlchemy Core).

Every table carries `org`, the organisation's provider code, and every query
filters on it, so one PostgreSQL database can hold several organisations
without mixing them. Records are keyed by their natural key within `org`;
`digest` is a hash of the record's content, used to tell an unchanged record
from an updated one on re-import.

The schema is created and changed only through Alembic migrations
(`peerreport/store/migrations`); a test checks the migrated database matches
this module.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ORG = 32
CODE = 32
TEXT = 500
ID = 64
DIGEST = 32

organisation = Table(
    "organisation",
    metadata,
    Column("org", String(ORG), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

activity = Table(
    "activity",
    metadata,
    Column("org", String(ORG), nullable=False),
    Column("activity_id", String(ID), nullable=False),
    Column("date", Date, nullable=False),
    Column("start_time", Time, nullable=True),
    Column("duration_minutes", Integer, nullable=True),
    Column("kind", String(CODE), nullable=False),
    Column("programme", String(TEXT), nullable=True),
    Column("mode", String(CODE), nullable=True),
    Column("setting", String(CODE), nullable=True),
    Column("group_id", String(TEXT), nullable=True),
    Column("topic", String(TEXT), nullable=True),
    Column("attendance", Integer, nullable=False),
    Column("first_time", Integer, nullable=True),
    Column("peer_workers", Integer, nullable=True),
    Column("volunteers", Integer, nullable=True),
    Column("member_led", Boolean, nullable=False),
    Column("co_facilitated", Boolean, nullable=False),
    Column("population_focus", String(CODE), nullable=True),
    Column("community_session", Boolean, nullable=False),
    Column("notes", String(TEXT), nullable=True),
    Column("digest", String(DIGEST), nullable=False),
    PrimaryKeyConstraint("org", "activity_id"),
    ForeignKeyConstraint(["org"], ["organisation.org"]),
    Index("ix_activity_org_date", "org", "date"),
)

activity_breakdown = Table(
    "activity_breakdown",
    metadata,
    Column("org", String(ORG), nullable=False),
    Column("activity_id", String(ID), nullable=False),
    Column("dimension", String(CODE), nullable=False),
    Column("category", String(CODE), nullable=False),
    Column("count", Integer, nullable=False),
    Column("digest", String(DIGEST), nullable=False),
    PrimaryKeyConstraint("org", "activity_id", "dimension", "category"),
    ForeignKeyConstraint(
        ["org", "activity_id"], ["activity.org", "activity.activity_id"], ondelete="CASCADE"
    ),
)

# Member tokens are stored only as a keyed hash (HMAC-SHA256 with the
# workspace's secret), usable only inside distinct counts.
member_token = Table(
    "member_token",
    metadata,
    Column("org", String(ORG), nullable=False),
    Column("activity_id", String(ID), nullable=False),
    Column("token_hash", String(64), nullable=False),
    PrimaryKeyConstraint("org", "activity_id", "token_hash"),
    ForeignKeyConstraint(
        ["org", "activity_id"], ["activity.org", "activity.activity_id"], ondelete="CASCADE"
    ),
)

workforce = Table(
    "workforce",
    metadata,
    Column("org", String(ORG), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("role", String(CODE), nullable=False),
    Column("programme", String(TEXT), nullable=False),  # '' when not kept per programme
    Column("paid_fte", Numeric(8, 2), nullable=False),
    Column("paid_headcount", Integer, nullable=True),
    Column("volunteer_count", Integer, nullable=True),
    Column("volunteer_hours", Numeric(12, 2), nullable=False),
    Column("supervision_hours", Numeric(12, 2), nullable=False),
    Column("training_hours", Numeric(12, 2), nullable=False),
    Column("digest", String(DIGEST), nullable=False),
    PrimaryKeyConstraint("org", "period_start", "period_end", "role", "programme"),
    ForeignKeyConstraint(["org"], ["organisation.org"]),
)

feedback = Table(
    "feedback",
    metadata,
    Column("org", String(ORG), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("programme", String(TEXT), nullable=False),  # '' when not kept per programme
    Column("question", String(TEXT), nullable=False),
    Column("response", String(60), nullable=False),
    Column("count", Integer, nullable=False),
    Column("digest", String(DIGEST), nullable=False),
    PrimaryKeyConstraint("org", "period_start", "period_end", "programme", "question", "response"),
    ForeignKeyConstraint(["org"], ["organisation.org"]),
)

# One row per import: what came in, from which file (by hash), with what result.
import_run = Table(
    "import_run",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("org", String(ORG), nullable=False),
    Column("file_name", String(TEXT), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("added", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    ForeignKeyConstraint(["org"], ["organisation.org"]),
)

#: The table each record type is stored in.
RECORD_TABLES: dict[str, Table] = {
    "activities": activity,
    "breakdowns": activity_breakdown,
    "workforce": workforce,
    "feedback": feedback,
}

# The ledger: every submitted return, never edited or deleted (a trigger refuses
# UPDATE and DELETE on SQLite and PostgreSQL, see migration 0002). An amendment
# is a new row with the next version, which must name the version it amends in
# the same (org, rule_id, period): the composite foreign key and the check make
# the versions of a period one unbroken chain 1, 2, 3, ..., so exactly one row
# (the newest) is current and "superseded" is derived, never stored.
submitted_return = Table(
    "submitted_return",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("org", String(ORG), nullable=False),
    Column("rule_id", String(ID), nullable=False),
    Column("rule_version", String(ID), nullable=False),
    Column("rule_digest", String(80), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("period_label", String(ID), nullable=False),
    Column("version", Integer, nullable=False),
    Column("supersedes_version", Integer, nullable=True),
    Column("reason", String(2000), nullable=True),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("records_digest", String(80), nullable=False),
    Column("return_json", Text, nullable=False),
    Column("bundle_sha256", String(64), nullable=True),
    UniqueConstraint(
        "org",
        "rule_id",
        "period_start",
        "period_end",
        "version",
        name="uq_submitted_return_period_version",
    ),
    ForeignKeyConstraint(["org"], ["organisation.org"], name="fk_submitted_return_org"),
    ForeignKeyConstraint(
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
    CheckConstraint(
        "(version = 1 AND supersedes_version IS NULL) OR "
        "(version > 1 AND supersedes_version = version - 1 AND reason IS NOT NULL)",
        name="ck_submitted_return_amends_previous",
    ),
)
