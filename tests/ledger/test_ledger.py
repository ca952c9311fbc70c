"""The ledger: versions, amendments with reasons, immutability, and concurrent submissions."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.exc import DBAPIError

from peerreport.errors import UsageError
from peerreport.ledger import figure_changes, get, history, submissions, submit
from peerreport.rulebook import RuleFile
from peerreport.store.database import open_engine
from peerreport.store.schema import submitted_return
from tests.bundle.sample import activity, build, load_rules, records, store, write_rules
from tests.ledger.worker import submit_once


@pytest.fixture
def rule_file(tmp_path: Path) -> RuleFile:
    return load_rules(write_rules(tmp_path / "rules"))


def test_an_amendment_keeps_both_versions_and_says_what_changed(
    engine: Engine, rule_file: RuleFile
) -> None:
    store(engine, records())
    first = submit(engine, build(engine, rule_file)).submission
    assert (first.version, first.status, first.supersedes_version) == (1, "current", None)
    with pytest.raises(UsageError, match="needs a reason"):
        submit(engine, build(engine, rule_file))
    store(engine, [activity("G-00", 1, attendance=30, mode="in_person")])  # a corrected record
    with pytest.raises(UsageError, match="--reason looks like an e-mail address") as named:
        submit(engine, build(engine, rule_file), "fixed after lead@kowhai.example.org spotted it")
    assert "kowhai.example.org" not in str(named.value)
    assert [s.version for s in submissions(engine)] == [1]  # nothing was filed
    second = submit(engine, build(engine, rule_file), "G-00 attendance was mistyped").submission
    assert (second.version, second.supersedes_version, second.status) == (2, 1, "current")
    assert get(engine, first.id).status == "superseded"
    kept = history(engine, second)
    assert [(s.version, s.status) for s in kept] == [(1, "superseded"), (2, "current")]
    assert kept[0].ret == first.ret  # the superseded return is intact, byte for byte
    assert kept[0].return_json == first.return_json
    assert kept[1].reason == "G-00 attendance was mistyped"
    assert kept[0].records_digest != kept[1].records_digest
    changes = {
        (c.measure, c.cell): (c.before, c.after) for c in figure_changes(kept[0].ret, kept[1].ret)
    }
    assert changes[("group_attendance", "total")] == ("84", "111")
    assert changes[("group_attendance", "in_person")] == ("31", "58")
    assert ("sessions", "total") not in changes
    assert [s.version for s in submissions(engine, current_only=True)] == [2]


def test_a_return_with_errors_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = write_rules(tmp_path / "rules")
    path.write_text(
        path.read_text("utf-8") + '\n[[check]]\nid = "T-1"\nassert = "sessions > 999"'
        '\nmessage = "too few"\n',
        "utf-8",
    )
    store(engine, records())
    ret = build(engine, load_rules(path))
    assert ret.has_errors
    with pytest.raises(UsageError, match="error findings"):
        submit(engine, ret)
    assert submissions(engine) == []


def test_plain_sql_cannot_update_or_delete_a_submitted_return(
    engine: Engine, rule_file: RuleFile, backend: str
) -> None:
    store(engine, records())
    entry = submit(engine, build(engine, rule_file)).submission
    statements = [
        "UPDATE submitted_return SET reason = 'edited'",
        "UPDATE submitted_return SET return_json = '{}' WHERE id = :id",
        "DELETE FROM submitted_return WHERE id = :id",
        "DELETE FROM submitted_return",
    ]
    if backend == "postgresql":
        statements.append("TRUNCATE submitted_return")
    # TRUNCATE is refused by the trigger, or before it by the acceptances and
    # queries that refer to submitted returns.
    refused = "never edited or deleted|referenced in a foreign key"
    for statement in statements:
        with pytest.raises(DBAPIError, match=refused), engine.begin() as conn:
            conn.execute(text(statement), {"id": entry.id})
    assert get(engine, entry.id) == entry


def test_the_database_keeps_versions_one_unbroken_chain(
    engine: Engine, rule_file: RuleFile
) -> None:
    """Even by plain SQL, a version must amend the one before it, with a reason."""
    store(engine, records())
    entry = submit(engine, build(engine, rule_file)).submission
    base = {
        c: getattr(entry, c)
        for c in (
            "org",
            "rule_id",
            "rule_version",
            "rule_digest",
            "period_start",
            "period_end",
            "period_label",
            "records_digest",
        )
    }
    base |= {"return_json": "{}", "submitted_at": dt.datetime.now(dt.UTC)}
    for wrong in (
        {"version": 3, "supersedes_version": 2, "reason": "skips version 2"},
        {"version": 2, "supersedes_version": 1, "reason": None},
        {"version": 1, "supersedes_version": None, "reason": "a second version 1"},
    ):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(insert(submitted_return).values(**base, **wrong))


def test_twenty_processes_submitting_at_once_leave_a_consistent_ledger(
    rule_file: RuleFile, db_url: str
) -> None:
    """PostgreSQL queues them on an advisory lock; SQLite's losers retry."""
    engine = open_engine(db_url)
    store(engine, records())
    return_json = build(engine, rule_file).to_json()
    # Forked workers start at once with peerreport already imported. Closing this
    # process's pooled connections first means no worker inherits one.
    engine.dispose()
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(20), context.Queue()
    workers = [
        context.Process(
            target=submit_once, args=(db_url, return_json, f"submission {i}", start, results)
        )
        for i in range(20)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert [o for o in outcomes if o[0] != "ok"] == []
    assert sorted(version for _, version in outcomes) == list(range(1, 21))
    stored = submissions(engine)
    assert sorted(s.version for s in stored) == list(range(1, 21))
    assert [s.version for s in stored if s.current] == [20]
    assert all(s.supersedes_version == s.version - 1 for s in stored if s.version > 1)
    assert len({json.loads(s.return_json)["records"]["digest"] for s in stored}) == 1
    engine.dispose()
