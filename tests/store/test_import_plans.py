"""What keeps a long import linear on PostgreSQL without forcing custom plans.

PostgreSQL checks a foreign key of each inserted row with a cached plan. A plan
made while the referenced table looked empty is a sequential scan; when that
table grows during the import (as the activity table did while member tokens
referred to it, before migration 0003), a million-row import slows down
quadratically. Imports once forced custom plans for their whole transaction to
avoid that, at a cost of about 5 µs a row (measured: COPY of 200,000 activities,
3.0-3.4 s with custom plans, 2.2 s without). Now every foreign key an import checks
refers to `organisation`, which an import writes at most one row of, so cached
plans are safe. This test fails if a foreign key makes that untrue again. On
PostgreSQL the largest tables check that key a statement at a time instead
(migration 0011): their trigger reads only the statement's rows and
`organisation`, so the same holds for it.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, inspect, text

from peerreport.store.schema import (
    ORG_CHECKED_BY_TRIGGER,
    RECORD_TABLES,
    import_run,
    ledger_entry,
    member_token,
)

#: Every table an import inserts rows into (besides `organisation` itself).
IMPORT_WRITES = sorted(
    {
        *(table.name for table in RECORD_TABLES.values()),
        member_token.name,
        import_run.name,
        ledger_entry.name,
        "record_revision",
    }
)


def test_every_foreign_key_an_import_checks_refers_to_the_organisation(engine: Engine) -> None:
    inspector = inspect(engine)
    referred = {
        (name, tuple(fk["constrained_columns"]), fk["referred_table"])
        for name in IMPORT_WRITES
        for fk in inspector.get_foreign_keys(name)
    }
    keyed = set(IMPORT_WRITES)  # each has its org key...
    if engine.dialect.name == "postgresql":  # ...or its statement trigger (test_org_checks.py)
        keyed -= set(ORG_CHECKED_BY_TRIGGER)
    assert {name for name, _, _ in referred} == keyed
    assert {(columns, table) for _, columns, table in referred} == {(("org",), "organisation")}


def test_no_trigger_runs_when_an_import_inserts(engine: Engine) -> None:
    # A trigger on insert could run a query with a cached plan too (on PostgreSQL). The
    # record tables' triggers refuse updates, deletes and truncation only, except the
    # statement-level check of the organisation on PostgreSQL, which reads `organisation`.
    if engine.dialect.name != "postgresql":
        query = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE :on"
        with engine.connect() as conn:
            found = conn.execute(text(query), {"on": "% INSERT ON %"}).all()
        assert [row for row in found if row[0] in IMPORT_WRITES] == []
        return
    query = (
        "SELECT c.relname, t.tgname, t.tgtype, p.prosrc FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE NOT t.tgisinternal AND (t.tgtype & 4) <> 0 "  # 4: fires on INSERT
        "AND c.relnamespace = to_regnamespace(current_schema())::oid"
    )
    with engine.connect() as conn:
        found = [row for row in conn.execute(text(query)) if row[0] in IMPORT_WRITES]
    assert sorted((table, name) for table, name, _, _ in found) == sorted(
        (table, f"{table}_known_org") for table in ORG_CHECKED_BY_TRIGGER
    )
    for _, _, kind, source in found:
        assert kind & 1 == 0  # once a statement, not a row
        tables = set(re.findall(r"FROM\s+(?:%I\.)?(\w+)", source))
        assert tables == {"added", "organisation"}
