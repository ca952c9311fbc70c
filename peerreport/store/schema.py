"""The database schema (SQLAlchemy Core).

Every table carries `org`, the organisation's provider code, and every query
filters on it, so one PostgreSQL database can hold several organisations
without mixing them. The tables a hosted server keeps for itself (accounts,
funders, published rule files: `hosted_schema.SERVER_TABLES`) are the
exception, defined in `hosted_schema` on the same `metadata`.

Records keep their history. Every import that stores something, and every
withdrawal, is a numbered *revision* of the organisation's records
(`record_revision`). A record table holds one row per VERSION of a record:
`valid_from` is the revision that brought that version in, `valid_to` the
revision that replaced or withdrew it (NULL while it is current). The records
as they were at revision R are the rows with `valid_from <= R` and
(`valid_to` IS NULL or `valid_to > R`), so a return is rebuilt as it was by
one more condition in the same set-based SQL. Nothing is ever deleted and a
stored version's content never changes: the only update allowed, enforced by
triggers, is closing a current version (setting `valid_to`). Each version
records which import (file), sheet and row it came from. `digest` is a hash of
the record's content, used to tell an unchanged record from a changed one.

The schema is created and changed only through Alembic migrations
(`peerreport/store/migrations`); a test checks the migrated database matches
this module, with one difference: on PostgreSQL the foreign keys to
`organisation` of the tables in `ORG_CHECKED_BY_TRIGGER` are kept by triggers
that check a statement's rows at once (migration 0011), not by the database's
row-at-a-time foreign keys.
"""

from __future__ import annotations

from typing import Any

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
    text,
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

#: The tables whose `org` key is enforced on PostgreSQL by a statement-level trigger (a
#: COPY of a thousand rows checks its one organisation once) instead of a foreign key, and
#: `organisation` refuses to lose a row they name (migration 0011). SQLite has the keys.
ORG_CHECKED_BY_TRIGGER = ("activity", "activity_breakdown", "member_token")
PROBLEMS = 20000
CODE = 32
TEXT = 500
ID = 64
DIGEST = 32


def history_columns() -> list[Column[Any]]:
    """The columns that make a record table hold versions (see the module docstring)."""
    return [
        Column("valid_from", Integer, nullable=False),
        Column("valid_to", Integer, nullable=True),
        Column("source_import", Integer, nullable=True),  # import_run.id of the file
        Column("source_sheet", String(TEXT), nullable=True),
        Column("source_row", Integer, nullable=True),
    ]


def current_index(name: str, *columns: str) -> Index:
    """At most one current version per record: a unique index over rows still valid."""
    return Index(
        name,
        *columns,
        unique=True,
        sqlite_where=text("valid_to IS NULL"),
        postgresql_where=text("valid_to IS NULL"),
    )


organisation = Table(
    "organisation",
    metadata,
    Column("org", String(ORG), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One row per revision of an organisation's records: an import that stored
# something ('import'), a withdrawal ('withdrawal'), or the records as they
# stood when history began to be kept ('baseline', made by migration 0003).
record_revision = Table(
    "record_revision",
    metadata,
    Column("org", String(ORG), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("reason", String(2000), nullable=True),
    PrimaryKeyConstraint("org", "revision"),
    ForeignKeyConstraint(["org"], ["organisation.org"]),
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
    # Migration 0009 (issue 14): the purchase unit and the counts peer services report.
    Column("purchase_unit", String(CODE), nullable=True),
    Column("resources_linked", Integer, nullable=True),
    Column("resources_given", Integer, nullable=True),
    Column("calls_missed", Integer, nullable=True),
    Column("digest", String(DIGEST), nullable=False),
    *history_columns(),
    PrimaryKeyConstraint("org", "activity_id", "valid_from"),
    ForeignKeyConstraint(["org"], ["organisation.org"]),
    Index("ix_activity_org_date", "org", "date"),
    current_index("ix_activity_current", "org", "activity_id"),
)

activity_breakdown = Table(
    "activity_breakdown",
    metadata,
    Column("org", String(ORG), nullable=False),
    Column("activity_id", String(ID), nullable=False),
    Column("dimension", String(CODE), nullable=False),
    Column("category", String(CODE), nullable=False),
    # Migration 0010 (issue 14): a cross-tabulated count's second dimension; '' when the
    # count has one dimension (part of the natural key, so never NULL).
    Column("dimension2", String(CODE), nullable=False, server_default=""),
    Column("category2", String(CODE), nullable=False, server_default=""),
    Column("count", Integer, nullable=False),
    Column("digest", String(DIGEST), nullable=False),
    *history_columns(),
    PrimaryKeyConstraint(
        "org", "activity_id", "dimension", "category", "dimension2", "category2", "valid_from"
    ),
    ForeignKeyConstraint(["org"], ["organisation.org"]),
    current_index(
        "ix_activity_breakdown_current",
        "org",
        "activity_id",
        "dimension",
        "category",
        "dimension2",
        "category2",
    ),
)

# Member tokens are stored only as a keyed hash (HMAC-SHA256 with the
# workspace's secret), usable only inside distinct counts. They belong to one
# version of an activity (`valid_from` is that version's), so a changed list
# of tokens is a new version of the activity.
member_token = Table(
    "member_token",
    metadata,
    Column("org", String(ORG), nullable=False),
    Column("activity_id", String(ID), nullable=False),
    Column("valid_from", Integer, nullable=False),
    Column("token_hash", String(64), nullable=False),
    PrimaryKeyConstraint("org", "activity_id", "valid_from", "token_hash"),
    ForeignKeyConstraint(["org"], ["organisation.org"]),
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
    Column("purchase_unit", String(CODE), nullable=True),  # migration 0009
    Column("digest", String(DIGEST), nullable=False),
    *history_columns(),
    PrimaryKeyConstraint("org", "period_start", "period_end", "role", "programme", "valid_from"),
    ForeignKeyConstraint(["org"], ["organisation.org"]),
    current_index("ix_workforce_current", "org", "period_start", "period_end", "role", "programme"),
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
    *history_columns(),
    PrimaryKeyConstraint(
        "org", "period_start", "period_end", "programme", "question", "response", "valid_from"
    ),
    ForeignKeyConstraint(["org"], ["organisation.org"]),
    current_index(
        "ix_feedback_current",
        "org",
        "period_start",
        "period_end",
        "programme",
        "question",
        "response",
    ),
)

# One row per file of every import, stored or refused: what came in (by hash),
# with what result, and the revision it made (NULL when refused or unchanged).
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
    Column("status", String(16), nullable=False, server_default="stored"),
    Column("revision", Integer, nullable=True),
    Column("problem_count", Integer, nullable=False, server_default="0"),
    Column("problems", Text, nullable=True),  # JSON: the first problems, values masked
    ForeignKeyConstraint(["org"], ["organisation.org"]),
)

#: The table each record type is stored in.
RECORD_TABLES: dict[str, Table] = {
    "activities": activity,
    "breakdowns": activity_breakdown,
    "workforce": workforce,
    "feedback": feedback,
}

#: Columns that describe a stored version rather than the record's content.
VERSION_COLUMNS = frozenset(
    {"org", "digest", "valid_from", "valid_to", "source_import", "source_sheet", "source_row"}
)

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
    Column("records_revision", Integer, nullable=True),
    Column("due_date", Date, nullable=True),
    Column("late", Boolean, nullable=False, server_default=text("false")),
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

# What each filed return released, cell by cell, so the next build is audited
# against everything already out (peerreport/disclosure/release.py): the
# published value, status and note of every cell, and what it counts (the rule
# file's digest, whose resolved text `released_rule` keeps once, the measure,
# the key, the period's dates and the records revision). Only inserted.
released_rule = Table(
    "released_rule",
    metadata,
    Column("org", String(ORG), nullable=False),
    Column("digest", String(80), nullable=False),
    Column("rule_id", String(ID), nullable=False),
    Column("resolved", Text, nullable=False),
    PrimaryKeyConstraint("org", "digest"),
    ForeignKeyConstraint(["org"], ["organisation.org"]),
)

released_cell = Table(
    "released_cell",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("org", String(ORG), nullable=False),
    Column("submission_id", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("rule_id", String(ID), nullable=False),
    Column("rule_digest", String(80), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("period_label", String(ID), nullable=False),
    Column("records_revision", Integer, nullable=True),
    Column("measure_id", String(ID), nullable=False),
    Column("cell_key", Text, nullable=False),  # JSON list of codes; [] for the total
    Column("status", String(16), nullable=False),
    Column("value", Text, nullable=True),  # JSON; null when hidden
    Column("note", String(TEXT), nullable=True),  # why it is hidden, when not the usual reason
    ForeignKeyConstraint(["org"], ["organisation.org"]),
    ForeignKeyConstraint(["submission_id"], ["submitted_return.id"]),
    ForeignKeyConstraint(["org", "rule_digest"], ["released_rule.org", "released_rule.digest"]),
    Index("ix_released_cell_org_period", "org", "period_start", "period_end"),
)

# What happened to a submitted return after it was filed: the funder accepted
# or queried it, the provider replied. Only inserted, never changed (triggers).
return_event = Table(
    "return_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("org", String(ORG), nullable=False),
    Column("submission_id", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # accepted | queried | replied
    Column("at", DateTime(timezone=True), nullable=False),
    Column("note", String(2000), nullable=True),
    Column("actor", String(200), nullable=True),
    ForeignKeyConstraint(["org"], ["organisation.org"]),
    ForeignKeyConstraint(["submission_id"], ["submitted_return.id"]),
)

# The hash chain over everything that must not change: each entry (a records
# revision, a submission or amendment, an acceptance or query) holds its
# content as canonical JSON and commits to the previous entry's hash, per
# organisation. `peerreport audit ledger` recomputes it; see peerreport/ledger/chain.py.
ledger_entry = Table(
    "ledger_entry",
    metadata,
    Column("org", String(ORG), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(71), nullable=False),
    Column("hash", String(71), nullable=False),
    PrimaryKeyConstraint("org", "seq"),
    ForeignKeyConstraint(["org"], ["organisation.org"]),
)

# The hosted server's tables live in their own module, on this metadata.
from peerreport.store import hosted_schema as hosted_schema  # noqa: E402
