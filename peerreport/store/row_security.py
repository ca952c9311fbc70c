"""PostgreSQL row-level security: the second wall between organisations on a hosted server.

The first wall is `peerreport.hosted.access`, which decides before every
route whether the person may use it. This one is the database's own: the
hosted server's requests run as the role `WEB_ROLE`, and PostgreSQL shows
that role only the rows of the organisations named in two settings of the
transaction (`RECORD_ORGS`, `RETURN_ORGS`: comma-separated provider codes,
set by `peerreport.hosted.walls` from what the access decision allowed). A
route that forgot a check still reads and writes nothing of another
organisation's: the query runs, and the other organisation's rows are not
there.

- Record tables (`RECORD_TABLES`: the records, their revisions and the log
  of imports) are keyed by `RECORD_ORGS`; return tables (`RETURN_TABLES`:
  the ledger of submitted returns, its events and hash chain, the bundles as
  received) by `RETURN_ORGS`. A funder's requests name its providers for
  returns and nobody for records.
- A missing or empty setting names nobody: no row is visible or writable.
- The policies are not forced: the tables' owner (which runs migrations,
  `peerreport admin`, the local application and the CLI) is not walled.
- Tables without a policy hold no organisation's records or returns: the
  server's own (accounts, sessions, API tokens, funders, published rule
  files, grants) and the directory (`DIRECTORY_TABLES`: organisations' names,
  which funder each reports to and their registered public signing keys). The access
  module guards them.

`WEB_ROLE` is a role of the whole cluster, made once (by migration 0005, or
by a database administrator when the owner may not make roles); each schema
grants it what the application does: read, insert and update every table,
delete only where the application deletes (`DELETED_FROM`). The triggers that
keep records, the ledger and published rule files unchanged still apply. A
later migration that adds a table runs `GRANT_WEB_ROLE` again, and gives the
table a policy when it holds an organisation's records or returns.

The wall guards against mistakes in routes, not against SQL run by an
attacker: a connection that can run any SQL can change its own settings.
"""

from __future__ import annotations

from collections.abc import Callable

#: The role the hosted server's requests run as (`SET ROLE`): not an owner, so walled.
WEB_ROLE = "peerreport_web"
#: The setting naming the organisations whose records a transaction may touch.
RECORD_ORGS = "peerreport.record_orgs"
#: The setting naming the organisations whose returns a transaction may touch.
RETURN_ORGS = "peerreport.return_orgs"
#: The name of the policy on every walled table.
POLICY = "peerreport_org_rows"

#: An organisation's records, their revisions and the log of its imports.
RECORD_TABLES = (
    "record_revision",
    "activity",
    "activity_breakdown",
    "member_token",
    "workforce",
    "feedback",
    "import_run",
)
#: An organisation's submitted returns, what happened to them, its hash chain, its bundles.
RETURN_TABLES = ("submitted_return", "return_event", "ledger_entry", "received_bundle")
#: What an organisation's filed returns released, cell by cell (migration 0007; walled like
#: the returns, by `RETURN_ORGS`). Kept apart so migrations 0005 and 0006 stay as they ran.
RELEASE_TABLES = ("released_cell", "released_rule")
#: Tables with an `org` column and no policy: who is who, who reports to whom, and the
#: public keys each organisation signs with (read before any organisation is known).
DIRECTORY_TABLES = ("organisation", "funder_provider", "provider_key")
#: Tables the application deletes rows from: sessions that end, grants an admin revokes.
DELETED_FROM = ("web_session", "account_scope")
#: Alembic's own table: the web role may read which migration the database is at, no more.
MIGRATIONS_TABLE = "alembic_version"
#: The record tables an import refreshes the planner's statistics of (`records.refresh_statistics`).
ANALYZED = ("activity", "activity_breakdown", "workforce", "feedback", "member_token")
#: Only a table's owner may ANALYZE it: the web role asks this function of the owner's to.
ANALYZE_FUNCTION = "peerreport_analyze_records"


def visible_when(setting: str) -> str:
    """The policy's condition: the row's `org` is one of those the setting names.

    The sub-select makes PostgreSQL read and split the setting once per statement
    (an InitPlan). Written inline it did so again for every row it looked at:
    about 30 us a row when a funder reaches 200 providers, 25 ms of one view of
    their dashboard over 775 returns (migration 0006).
    """
    return f"org = ANY ((SELECT string_to_array(current_setting('{setting}', true), ','))::text[])"


def visible_per_row(setting: str) -> str:
    """The condition as migration 0005 wrote it (the setting split for every row)."""
    return f"org = ANY (string_to_array(current_setting('{setting}', true), ','))"


def alter_policy_statements(condition: Callable[[str], str] = visible_when) -> list[str]:
    """Give the policy on every walled table `condition` (of the setting it reads)."""
    statements = []
    for tables, setting in ((RECORD_TABLES, RECORD_ORGS), (RETURN_TABLES, RETURN_ORGS)):
        rule = condition(setting)
        for table in tables:
            statements.append(
                f"ALTER POLICY {POLICY} ON {table} USING ({rule}) WITH CHECK ({rule})"
            )
    return statements


def policy_statements(rule: Callable[[str], str] = visible_when) -> list[str]:
    """Enable row-level security and add the policy (`rule`) on every walled table."""
    statements = []
    for tables, setting in ((RECORD_TABLES, RECORD_ORGS), (RETURN_TABLES, RETURN_ORGS)):
        condition = rule(setting)
        for table in tables:
            statements.append(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            statements.append(
                f"CREATE POLICY {POLICY} ON {table} USING ({condition}) WITH CHECK ({condition})"
            )
    return statements


def release_policy_statements() -> list[str]:
    """Enable row-level security and add the policy on the tables of what was released."""
    condition = visible_when(RETURN_ORGS)
    statements = []
    for table in RELEASE_TABLES:
        statements.append(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        statements.append(
            f"CREATE POLICY {POLICY} ON {table} USING ({condition}) WITH CHECK ({condition})"
        )
    return statements


def drop_policy_statements() -> list[str]:
    """Undo `policy_statements`."""
    statements = []
    for table in (*RECORD_TABLES, *RETURN_TABLES):
        statements.append(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        statements.append(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    statements.append(f"DROP FUNCTION IF EXISTS {ANALYZE_FUNCTION}()")
    return statements


def _deletes() -> str:
    return "\n".join(
        f"    EXECUTE format('GRANT DELETE ON %I.{table} TO {WEB_ROLE}', here);"
        for table in DELETED_FROM
    )


#: Make `WEB_ROLE` if it is missing, let the current user become it, and grant it
#: what the application does in the current schema. Idempotent. Tests and servers
#: run this at once on one cluster: a role made meanwhile by another session is
#: fine, and an advisory lock keeps two grants on one schema from colliding.
#: A user who may not make roles gets a notice, and the hosted server refuses to
#: start until a database administrator has made the role (`check_web_role`).
GRANT_WEB_ROLE = f"""
DO $$
DECLARE
    here text := current_schema();
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('{WEB_ROLE}'));
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{WEB_ROLE}') THEN
        BEGIN
            CREATE ROLE {WEB_ROLE} NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN
                NULL;  -- another session made it meanwhile
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'role {WEB_ROLE} is missing and % may not create it', current_user;
                RETURN;
        END;
    END IF;
    IF NOT pg_has_role(current_user, '{WEB_ROLE}', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT {WEB_ROLE} TO %I', current_user);
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN
                NULL;
            WHEN insufficient_privilege THEN
                RAISE NOTICE '% may not use role {WEB_ROLE}', current_user;
                RETURN;
        END;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO {WEB_ROLE}', here);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA %I TO {WEB_ROLE}', here);
    IF to_regclass(format('%I.{MIGRATIONS_TABLE}', here)) IS NOT NULL THEN
        EXECUTE format('REVOKE INSERT, UPDATE ON %I.{MIGRATIONS_TABLE} FROM {WEB_ROLE}', here);
    END IF;
{_deletes()}
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {WEB_ROLE}', here);
    IF to_regprocedure(format('%I.{ANALYZE_FUNCTION}()', here)) IS NOT NULL THEN
        EXECUTE format('GRANT EXECUTE ON FUNCTION %I.{ANALYZE_FUNCTION}() TO {WEB_ROLE}', here);
    END IF;
END
$$
"""

#: The owner's function that refreshes the record tables' statistics for the web role
#: (it runs ANALYZE of those tables and nothing else; no one else may call it).
CREATE_ANALYZE_FUNCTION = f"""
DO $$
DECLARE
    here text := current_schema();
BEGIN
    EXECUTE format(
        'CREATE OR REPLACE FUNCTION %I.{ANALYZE_FUNCTION}() RETURNS void LANGUAGE sql '
        'SECURITY DEFINER SET search_path = %I, pg_temp '
        'AS $body$ ANALYZE {", ".join(ANALYZED)} $body$',
        here,
        here
    );
    EXECUTE format('REVOKE ALL ON FUNCTION %I.{ANALYZE_FUNCTION}() FROM PUBLIC', here);
END
$$
"""

#: Take back what `GRANT_WEB_ROLE` granted in the current schema (the role stays: other
#: databases and schemas of the cluster may use it).
REVOKE_WEB_ROLE = f"""
DO $$
DECLARE
    here text := current_schema();
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{WEB_ROLE}') THEN
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM {WEB_ROLE}', here);
        EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM {WEB_ROLE}', here);
        EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM {WEB_ROLE}', here);
    END IF;
END
$$
"""


def setting_value(orgs: frozenset[str]) -> str:
    """The value of `RECORD_ORGS` or `RETURN_ORGS` naming `orgs`.

    A provider code never holds a comma (`workspace.validate_provider_code`);
    one that did would name other organisations in the list, so it is left out.
    """
    return ",".join(sorted(code for code in orgs if code and "," not in code))


__all__ = [
    "ANALYZED",
    "ANALYZE_FUNCTION",
    "CREATE_ANALYZE_FUNCTION",
    "DIRECTORY_TABLES",
    "GRANT_WEB_ROLE",
    "POLICY",
    "RECORD_ORGS",
    "RECORD_TABLES",
    "RETURN_ORGS",
    "RETURN_TABLES",
    "WEB_ROLE",
    "alter_policy_statements",
    "policy_statements",
    "setting_value",
    "visible_per_row",
    "visible_when",
]
