"""Records keep their history: revisions, versions, withdrawals, rebuilding as of a revision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from peerreport.errors import UsageError
from peerreport.returns.build import build_return
from peerreport.store.database import open_engine
from peerreport.store.history import changes_between, record_history, withdraw
from peerreport.store.revisions import latest_revision
from peerreport.store.schema import activity as activity_table
from peerreport.store.schema import record_revision
from tests.bundle.sample import (
    ORG,
    ORG_NAME,
    activity,
    load_rules,
    period,
    records,
    store,
    write_rules,
)
from tests.migrated import migrate


def test_a_changed_record_keeps_its_earlier_version(engine: Engine) -> None:
    store(engine, records())
    store(engine, [activity("G-03", 4, attendance=40, mode="in_person")])
    found = record_history(engine, ORG, "G-03")
    assert [(v.valid_from, v.valid_to) for v in found.versions] == [(1, 2), (2, None)]
    assert found.versions[0].values["attendance"] == 6
    assert [str(c) for c in found.versions[1].changes] == ["attendance: 6 -> 40"]
    # An unchanged re-import makes no revision.
    store(engine, [activity("G-03", 4, attendance=40, mode="in_person")])
    with engine.connect() as conn:
        assert latest_revision(conn, ORG) == 2
        versions = conn.execute(
            select(func.count()).where(activity_table.c.activity_id == "G-03")
        ).scalar_one()
    assert versions == 2


def test_withdrawn_records_leave_the_return_but_not_the_history(
    engine: Engine, tmp_path: Path
) -> None:
    rule_file = load_rules(write_rules(tmp_path / "rules"))
    store(engine, records())
    before = build_return(engine, ORG, ORG_NAME, rule_file, period())
    number = withdraw(engine, ORG, "G-03", "entered twice")
    after = build_return(engine, ORG, ORG_NAME, rule_file, period())
    assert (before.revision, after.revision, number) == (1, 2, 2)
    assert after.figure("sessions").total.value == before.figure("sessions").total.value - 1
    rebuilt = build_return(engine, ORG, ORG_NAME, rule_file, period(), as_of=1)
    assert rebuilt.to_json() == before.to_json()
    history = record_history(engine, ORG, "G-03")
    assert history.versions[-1].withdrawn and history.revisions[2].reason == "entered twice"
    assert [str(c) for c in changes_between(engine, ORG, period().start, period().end, 1, 2)] == [
        "activity G-03 withdrawn in revision 2"
    ]
    with pytest.raises(UsageError, match="withdrawn already"):
        withdraw(engine, ORG, "G-03", "again")
    with pytest.raises(UsageError, match="needs a reason"):
        withdraw(engine, ORG, "G-04", "  ")
    # Importing it again does not bring it back: it was withdrawn on purpose.
    store(engine, [r for r in records() if r["activity_id"] == "G-03"])
    again = build_return(engine, ORG, ORG_NAME, rule_file, period())
    assert again.figure("sessions").total.value == after.figure("sessions").total.value
    with pytest.raises(UsageError, match="there is no revision 9"):
        build_return(engine, ORG, ORG_NAME, rule_file, period(), as_of=9)


def test_the_database_refuses_to_change_or_delete_a_stored_version(engine: Engine) -> None:
    store(engine, records())
    statements = [
        "UPDATE activity SET attendance = 99 WHERE activity_id = 'G-03'",
        "UPDATE activity SET valid_from = 7 WHERE activity_id = 'G-03'",
        "DELETE FROM activity WHERE activity_id = 'G-03'",
        "UPDATE record_revision SET reason = 'x'",
        "DELETE FROM ledger_entry",
        "DELETE FROM member_token",
    ]
    for statement in statements:
        with pytest.raises(DBAPIError, match="never"), engine.begin() as conn:
            conn.execute(text(statement))
    # Closing a current version is the one change allowed; a closed one stays closed.
    with engine.begin() as conn:
        conn.execute(text("UPDATE activity SET valid_to = 5 WHERE activity_id = 'G-03'"))
    with pytest.raises(DBAPIError, match="never"), engine.begin() as conn:
        conn.execute(text("UPDATE activity SET valid_to = 6 WHERE activity_id = 'G-03'"))


# --- rebuilding at any revision equals building from that revision's records alone ----------

IDS = [f"G-{i:02d}" for i in range(6)]
_operation = st.one_of(
    st.tuples(
        st.just("import"),
        st.lists(
            st.tuples(
                st.sampled_from(IDS),
                st.integers(1, 30),
                st.integers(0, 12),
                st.sampled_from(["group", "drop_in", "warm_line_call"]),
                st.sampled_from(["in_person", "phone", "video"]),
            ),
            min_size=1,
            max_size=4,
            unique_by=lambda r: r[0],
        ),
    ),
    st.tuples(st.just("withdraw"), st.sampled_from(IDS)),
)


def _fresh(folder: Path, name: str) -> Engine:
    """A new, migrated SQLite database (one of an earlier example is replaced)."""
    target = folder / f"{name}.db"
    target.unlink(missing_ok=True)
    migrate(f"sqlite:///{target}")
    return open_engine(f"sqlite:///{target}")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(operations=st.lists(_operation, min_size=1, max_size=6))
def test_a_rebuild_at_each_revision_equals_a_build_of_just_its_records(
    db_url: str, tmp_path: Path, operations: list[Any]
) -> None:
    rule_file = load_rules(write_rules(tmp_path / "rules"))
    folder = Path(tmp_path) / "fresh"
    folder.mkdir(exist_ok=True)
    engine = open_engine(db_url)
    org = f"H{abs(hash(tuple(map(str, operations)))) % 10**8:08d}"
    state: dict[str, dict[str, Any]] = {}
    states: dict[int, dict[str, dict[str, Any]]] = {}
    try:
        for operation in operations:
            if operation[0] == "import":
                rows = [
                    activity(ident, day, attendance=n, kind=kind, mode=mode)
                    for ident, day, n, kind, mode in operation[1]
                ]
                live = [r for r in rows if _restorable(engine, org, r["activity_id"])]
                if not live:
                    continue
                store(engine, live, org)
                for row in live:
                    state[row["activity_id"]] = row
            else:
                ident = operation[1]
                if ident not in state:
                    continue
                withdraw(engine, org, ident, "property test")
                del state[ident]
            with engine.connect() as conn:
                states[latest_revision(conn, org)] = {k: dict(v) for k, v in state.items()}
        for revision, held in states.items():
            rebuilt = build_return(engine, org, ORG_NAME, rule_file, period(), as_of=revision)
            fresh = _fresh(folder, f"{org}-{revision}")
            if held:
                store(fresh, list(held.values()), org)
            alone = build_return(fresh, org, ORG_NAME, rule_file, period())
            fresh.dispose()
            assert rebuilt.figures == alone.figures, revision
            assert rebuilt.records_digest == alone.records_digest
            assert rebuilt.record_counts == alone.record_counts
    finally:
        engine.dispose()


def _restorable(engine: Engine, org: str, ident: str) -> bool:
    """A withdrawn record is not imported again (the importer says so and skips it)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(activity_table.c.valid_to).where(
                activity_table.c.org == org, activity_table.c.activity_id == ident
            )
        ).all()
    return not rows or any(r.valid_to is None for r in rows)


def test_every_revision_is_numbered_from_one_per_organisation(engine: Engine) -> None:
    store(engine, records())
    store(engine, records(), org="OTHER1")
    store(engine, [activity("G-03", 4, attendance=41)], org="OTHER1")
    with engine.connect() as conn:
        rows = conn.execute(
            select(record_revision.c.org, record_revision.c.revision).order_by(
                record_revision.c.org, record_revision.c.revision
            )
        ).all()
    assert [tuple(r) for r in rows] == [("OTHER1", 1), ("OTHER1", 2), (ORG, 1)]
