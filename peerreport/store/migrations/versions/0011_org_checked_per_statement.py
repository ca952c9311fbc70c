"""on PostgreSQL, the large record tables check their organisation once a statement

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Written by hand (issue 16). `activity`, `activity_breakdown` and `member_token`
hold millions of rows, and each row's foreign key to `organisation` was checked
by PostgreSQL on its own: a query per row, a third of the server's work in a
million-row import (measured: server CPU 33.4 s with the keys, 19.7 s without,
20.9 s with the checks below). On PostgreSQL those three foreign keys are
replaced by triggers that keep the same promise a statement at a time:

- after an INSERT (a COPY too), a statement trigger reads the rows it added
  (a transition table), takes each distinct organisation's row FOR KEY SHARE,
  as the foreign key did, so it cannot be deleted or renamed until the insert
  commits, and refuses the statement with SQLSTATE 23503 (foreign_key_violation,
  which drivers raise as an integrity error, as before) when one is missing;
- `organisation` refuses to delete or rename a row those tables still name, and
  to be truncated while they hold rows (what NO ACTION did).

Updates need no check: stored versions are never changed except to close them
(migration 0003's triggers), so a row's `org` never changes. SQLite keeps its
foreign keys: it checks one with an index probe in C, at no cost worth saving.
`store.schema` still declares the keys (they describe the data on both
databases, and SQLite makes them); `store.schema.ORG_CHECKED_BY_TRIGGER` names
the tables whose key PostgreSQL enforces this way.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: The tables whose key to `organisation` is checked a statement at a time on PostgreSQL.
_TABLES = ("activity", "activity_breakdown", "member_token")

# Both functions run as their owner (who made the tables), as PostgreSQL's own key checks
# do: the check does not depend on the inserting role's privileges, and row-level security
# (which the owner is not subject to) cannot hide a row that names the organisation. So
# their search path is pinned, and they name tables through the trigger's own schema.
_KNOWN_ORGS = """
CREATE FUNCTION peerreport_known_orgs() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    wanted text;
    found_rows bigint;
BEGIN
    FOR wanted IN SELECT DISTINCT org FROM added LOOP
        EXECUTE format('SELECT 1 FROM %I.organisation WHERE org = $1 FOR KEY SHARE',
                       TG_TABLE_SCHEMA) USING wanted;
        GET DIAGNOSTICS found_rows = ROW_COUNT;
        IF found_rows = 0 THEN
            RAISE EXCEPTION 'insert into "%" names organisation "%", which is not in "organisation"',
                TG_TABLE_NAME, wanted
                USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$
"""

_ORG_IN_USE = """
CREATE FUNCTION peerreport_organisation_in_use() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    tables text[] := ARRAY['activity', 'activity_breakdown', 'member_token'];
    name text;
    used boolean;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.org = OLD.org THEN
            RETURN NEW;
        END IF;
    END IF;
    FOREACH name IN ARRAY tables LOOP
        IF TG_OP = 'TRUNCATE' THEN
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I)', TG_TABLE_SCHEMA, name)
                INTO used;
            IF used THEN
                RAISE EXCEPTION 'organisation cannot be truncated: "%" holds records', name
                    USING ERRCODE = 'foreign_key_violation', TABLE = name;
            END IF;
        ELSE
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I WHERE org = $1)',
                           TG_TABLE_SCHEMA, name) USING OLD.org INTO used;
            IF used THEN
                RAISE EXCEPTION 'organisation "%" has records in "%": it cannot be %',
                    OLD.org, name, CASE TG_OP WHEN 'UPDATE' THEN 'renamed' ELSE 'deleted' END
                    USING ERRCODE = 'foreign_key_violation', TABLE = name;
            END IF;
        END IF;
    END LOOP;
    IF TG_OP = 'TRUNCATE' THEN
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_KNOWN_ORGS)
    op.execute(_ORG_IN_USE)
    for table in _TABLES:
        op.drop_constraint(f"fk_{table}_org_organisation", table, type_="foreignkey")
        op.execute(
            f"CREATE TRIGGER {table}_known_org AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS added "
            "FOR EACH STATEMENT EXECUTE FUNCTION peerreport_known_orgs()"
        )
    op.execute(
        "CREATE TRIGGER organisation_in_use BEFORE UPDATE OF org OR DELETE ON organisation "
        "FOR EACH ROW EXECUTE FUNCTION peerreport_organisation_in_use()"
    )
    op.execute(
        "CREATE TRIGGER organisation_in_use_truncate BEFORE TRUNCATE ON organisation "
        "FOR EACH STATEMENT EXECUTE FUNCTION peerreport_organisation_in_use()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER organisation_in_use_truncate ON organisation")
    op.execute("DROP TRIGGER organisation_in_use ON organisation")
    for table in _TABLES:
        op.execute(f"DROP TRIGGER {table}_known_org ON {table}")
        op.create_foreign_key(
            f"fk_{table}_org_organisation", table, "organisation", ["org"], ["org"]
        )
    op.execute("DROP FUNCTION peerreport_organisation_in_use()")
    op.execute("DROP FUNCTION peerreport_known_orgs()")
