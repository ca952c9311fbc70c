"""The filing lifecycle end to end: import, change, re-import, amend, accept; audits that
tell an honest amendment from tampering. Run through the CLI, as a coordinator would."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlalchemy import Engine, select, text

from peerreport.bundle import Trust, read_archive, verify_bundle, write_archive
from peerreport.ledger import submissions
from peerreport.returns.build import build_return
from peerreport.rulebook import from_resolved
from peerreport.store.schema import ledger_entry
from tests.bundle.sample import PERIOD, write_rules
from tests.helpers import ACTIVITY_HEADER, make_workspace, write_csv

Run = Callable[..., Result]
REASON = "G-03 attendance was typed as 6; the sign-in sheet says 9"


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    from peerreport.cli import main

    monkeypatch.delenv("PEERREPORT_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    group = main.LazyGroup(name="peerreport", context_settings=main.cli.context_settings)

    def invoke(*args: str | Path, stdin: str | None = None) -> Result:
        return CliRunner().invoke(
            group, [str(a) for a in args], catch_exceptions=False, input=stdin
        )

    return invoke


def _log(attendance_g03: int) -> list[list[Any]]:
    rows: list[list[Any]] = [ACTIVITY_HEADER]
    for i in range(12):
        attendance = attendance_g03 if i == 3 else 4 + i % 5
        rows.append([f"G-{i:02d}", f"{1 + i:02d}/07/2026", "group", attendance, "Groups", ""])
    return rows


@pytest.fixture
def filed(run: Run, engine: Engine, db_url: str, tmp_path: Path) -> dict[str, Any]:
    """A workspace where version 1 was filed, G-03 then corrected and re-imported, and
    version 2 filed as an amendment."""
    workspace = make_workspace(tmp_path / "ws", db_url)
    ws = ["--workspace", workspace.root]
    rules = write_rules(tmp_path / "rules", method="suppress")
    log = write_csv(tmp_path / "activities.csv", _log(6))
    assert run("import", log, *ws).exit_code == 0
    first = run("submit", rules, "--period", PERIOD, *ws)
    assert first.exit_code == 0, first.output
    assert "version 1" in first.output and "Send this bundle file to your funder" in first.output
    write_csv(log, _log(9))
    again = run("import", log, *ws)
    assert again.exit_code == 0, again.output
    second = run("submit", rules, "--period", PERIOD, "--reason", REASON, *ws)
    assert second.exit_code == 0, second.output
    folder = workspace.root / "submissions"
    return {
        "ws": ws,
        "rules": rules,
        "log": log,
        "v1": folder / f"audit-test_{PERIOD}_TEST01_v1.bundle.zip",
        "v2": folder / f"audit-test_{PERIOD}_TEST01_v2.bundle.zip",
        "org": workspace.provider_code,
    }


def test_version_1_is_rebuilt_byte_for_byte_from_history(
    filed: dict[str, Any], engine: Engine
) -> None:
    v1 = verify_bundle(filed["v1"], Trust(allow_unknown_keys=True))  # signed by the workspace
    assert v1.ok and v1.bundle.manifest is not None
    ret = v1.bundle.ret
    assert ret is not None and ret.revision == 1 and ret.filing is not None
    rule_file = from_resolved(v1.bundle.manifest["rule_file"]["resolved"])
    rebuilt = build_return(
        engine, ret.organisation, ret.organisation_name, rule_file, ret.period, as_of=1
    )
    assert rebuilt.filed(ret.filing).to_json() == ret.to_json()
    stored = submissions(engine, filed["org"])[0]
    assert stored.return_json == ret.to_json()
    now = build_return(engine, ret.organisation, ret.organisation_name, rule_file, ret.period)
    assert now.revision == 2 and now.figures != ret.figures


def test_audits_tell_a_superseded_version_from_an_altered_one(
    run: Run, filed: dict[str, Any], tmp_path: Path
) -> None:
    ws = filed["ws"]
    old = run("audit", "verify", filed["v1"], *ws)
    assert old.exit_code == 0, old.output
    assert f"VERIFIED — superseded by version 2 ({REASON})" in old.output
    assert "1. The bundle: INTACT" in old.output
    assert "2. The figures: MATCH the records as they were when the return was built" in (
        old.output
    )
    assert "activity G-03 changed in revision 2: attendance: 6 -> 9" in old.output
    assert "version 2 includes the change" in old.output
    new = run("audit", "verify", filed["v2"], *ws)
    assert new.exit_code == 0 and new.output.rstrip().endswith("VERIFIED")
    assert "3. The records since: unchanged" in new.output
    archive = read_archive(filed["v1"].read_bytes())
    name = next(n for n in archive.entries if n.endswith(".csv"))
    altered = tmp_path / "altered.zip"
    entries = {**archive.entries, name: archive.entries[name].replace(b"exact", b"exacT", 1)}
    altered.write_bytes(write_archive(entries, archive.comment))
    caught = run("audit", "verify", altered, *ws)
    assert caught.exit_code == 1
    assert "1. The bundle: ALTERED" in caught.output
    assert "NOT VERIFIED — the bundle was altered" in caught.output
    assert f"{name} was altered" in caught.output


def test_the_record_history_names_the_changed_fields(run: Run, filed: dict[str, Any]) -> None:
    shown = run("records", "history", "G-03", *filed["ws"])
    assert shown.exit_code == 0, shown.output
    assert "2 version(s)" in shown.output
    assert "changed attendance: 6 -> 9" in shown.output
    assert "activities.csv, sheet" not in shown.output  # a CSV has no sheets
    assert "source: activities.csv, row 5" in shown.output
    listed = run("imports", "list", *filed["ws"])
    assert listed.exit_code == 0
    assert listed.output.count("activities.csv") == 2
    as_json = json.loads(run("imports", "list", "--json", *filed["ws"]).output)
    assert [(i["revision"], i["updated"]) for i in as_json] == [(1, 0), (2, 1)]
    assert all(len(i["sha256"]) == 64 for i in as_json)


def test_the_amendment_says_so_in_every_file_a_person_reads(filed: dict[str, Any]) -> None:
    entries = read_archive(filed["v2"].read_bytes()).entries
    by_ext = {
        name.rsplit(".", 1)[-1]: data
        for name, data in entries.items()
        if name not in ("manifest.json", "signature.json")
    }
    sentence = f"Version 2 amends version 1: {REASON}."
    html = by_ext["html"].decode("utf-8")
    assert "Filed return · Version 2, amends version 1" in html
    assert sentence.replace("'", "&#39;") in html or sentence in html
    assert "<td>Attendances at groups</td>" in html
    data = json.loads(by_ext["json"])
    assert data["filing"]["version"] == 2 and data["filing"]["amends_version"] == 1
    assert data["filing"]["reason"] == REASON
    changes = {
        (c["measure"], c["cell"]): (c["before"], c["after"]) for c in data["filing"]["changes"]
    }
    assert changes[("group_attendance", "total")] == ("68", "71")
    rows = list(csv.DictReader(io.StringIO(by_ext["csv"].decode("utf-8-sig"))))
    assert {(r["version"], r["amends_version"]) for r in rows} == {("2", "1")}
    total = next(r for r in rows if r["measure"] == "group_attendance" and not r["cell"])
    assert (total["previous"], total["shown"]) == ("68", "71")
    path = filed["v2"].parent / "v2.xlsx"
    path.write_bytes(by_ext["xlsx"])
    cover = load_workbook(path)["Cover"]
    values = {
        cover.cell(row=r, column=1).value: cover.cell(row=r, column=2).value
        for r in range(1, cover.max_row + 1)
    }
    assert str(values["Filing"]).startswith("Version 2, amends version 1, submitted ")
    assert values["Amendment"].startswith(sentence)
    assert values["Changed"] is not None and "→" in values["Changed"]
    first = json.loads(read_archive(filed["v1"].read_bytes()).entries[_json_name(filed)])
    assert first["filing"]["version"] == 1 and first["filing"]["amends_version"] is None


def _json_name(filed: dict[str, Any]) -> str:
    names = read_archive(filed["v1"].read_bytes()).entries
    return next(n for n in names if n.endswith(".json") and n != "manifest.json")


def test_an_amendment_that_changes_nothing_asks_first(run: Run, filed: dict[str, Any]) -> None:
    args = ["submit", filed["rules"], "--period", PERIOD, "--reason", "again", *filed["ws"]]
    refused = run(*args)
    assert refused.exit_code == 2
    assert "would change no figure" in refused.output
    assert not (filed["v2"].parent / f"audit-test_{PERIOD}_TEST01_v3.bundle.zip").exists()
    forced = run(*args, "--yes")
    assert forced.exit_code == 0 and "version 3" in forced.output


def test_accept_and_query_are_transitions_in_the_ledger(
    run: Run, filed: dict[str, Any], engine: Engine
) -> None:
    ws = filed["ws"]
    ids = {s.version: s.id for s in submissions(engine, filed["org"])}
    refused = run("returns", "accept", ids[1], *ws)
    assert refused.exit_code == 2 and "superseded" in refused.output
    queried = run("returns", "query", ids[2], "-m", "Why did attendance change?", *ws)
    assert queried.exit_code == 0 and "queried by the funder" in queried.output
    replied = run("returns", "reply", ids[2], "-m", "The sign-in sheet was re-counted", *ws)
    assert replied.exit_code == 0
    accepted = run("returns", "accept", ids[2], *ws)
    assert accepted.exit_code == 0 and "accepted by the funder" in accepted.output
    assert run("returns", "accept", ids[2], *ws).exit_code == 2
    listing = json.loads(run("returns", "list", "--json", *ws).output)
    assert [(r["version"], r["state"]) for r in listing] == [(1, "superseded"), (2, "accepted")]
    shown = run("returns", "show", ids[2], *ws)
    assert "queried" in shown.output and "Why did attendance change?" in shown.output
    with engine.connect() as conn:
        kinds = (
            conn.execute(select(ledger_entry.c.kind).order_by(ledger_entry.c.seq)).scalars().all()
        )
    assert kinds == [
        "revision",
        "submission",
        "revision",
        "amendment",
        "event",
        "event",
        "event",
    ]
    checked = run("audit", "ledger", filed["v1"], filed["v2"], *ws)
    assert checked.exit_code == 0 and "INTACT" in checked.output


# --- the ledger proves itself: edits by the database owner are caught ----------------------


def _owner_edit(engine: Engine, statements: list[str | tuple[str, dict[str, Any]]]) -> None:
    """Run statements as the database owner would, with the triggers out of the way."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("submitted_return", "ledger_entry", "activity"):
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            for trigger in (
                "submitted_return_no_update",
                "submitted_return_no_delete",
                "ledger_entry_no_update",
                "ledger_entry_no_delete",
            ):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        for statement in statements:
            sql, params = statement if isinstance(statement, tuple) else (statement, {})
            conn.execute(text(sql), params)


def _ledger(run: Run, filed: dict[str, Any], *bundles: Path) -> Result:
    return run("audit", "ledger", *bundles, *filed["ws"])


def test_an_edited_submitted_return_is_caught(
    run: Run, filed: dict[str, Any], engine: Engine
) -> None:
    _owner_edit(
        engine,
        [
            "UPDATE submitted_return SET return_json = "
            "replace(return_json, '\"value\": 68', '\"value\": 99')"
            " WHERE version = 1"
        ],
    )
    found = _ledger(run, filed)
    assert found.exit_code == 1 and "TAMPERED WITH" in found.output
    assert "LED-010 submitted return" in found.output and "was edited" in found.output
    verified = run("audit", "verify", filed["v1"], *filed["ws"])
    assert verified.exit_code == 1 and "NOT VERIFIED" in verified.output


def test_edited_deleted_and_rewritten_entries_are_caught(
    run: Run, filed: dict[str, Any], engine: Engine
) -> None:
    _owner_edit(
        engine,
        ["UPDATE ledger_entry SET payload = replace(payload, 'import', 'baseline') WHERE seq = 3"],
    )
    assert "LED-001 ledger entry 3" in _ledger(run, filed).output
    _owner_edit(engine, ["DELETE FROM ledger_entry WHERE seq = 2"])
    deleted = _ledger(run, filed)
    assert deleted.exit_code == 1 and "LED-002 ledger entry 2 is missing" in deleted.output


def test_a_chain_rebuilt_from_scratch_is_caught_by_the_bundles(
    run: Run, filed: dict[str, Any], engine: Engine
) -> None:
    from peerreport.store import chain

    # The owner edits version 1 and recomputes every hash after it: the chain is
    # self-consistent again, but version 2's bundle holds the head it was filed on.
    with engine.connect() as conn:
        entries = chain.entries(conn, filed["org"])
    statements: list[str | tuple[str, dict[str, Any]]] = []
    previous = chain.GENESIS
    for entry in entries:
        payload = entry.payload
        if entry.seq == 2:
            payload = payload.replace('"late":false', '"late":true')
        digest = chain.entry_hash(previous, entry.kind, entry.subject, payload)
        statements.append(
            (
                "UPDATE ledger_entry SET payload = :payload, prev_hash = :prev, hash = :hash "
                "WHERE seq = :seq",
                {"payload": payload, "prev": previous, "hash": digest, "seq": entry.seq},
            )
        )
        previous = digest
    statements.append("UPDATE submitted_return SET late = true WHERE version = 1")
    _owner_edit(engine, statements)
    alone = _ledger(run, filed)
    assert alone.exit_code == 0, alone.output  # consistent in itself: only a bundle shows it
    with_bundle = _ledger(run, filed, filed["v2"])
    assert with_bundle.exit_code == 1
    assert "LED-030" in with_bundle.output and "rewritten after it was submitted" in (
        with_bundle.output
    )


def test_superuser_replica_mode_and_sqlite_replace_are_caught(
    run: Run, filed: dict[str, Any], engine: Engine
) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # A superuser can switch every trigger off for the session.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("UPDATE submitted_return SET late = true WHERE version = 1"))
        else:
            # INSERT OR REPLACE deletes and re-inserts, and SQLite runs no DELETE trigger
            # for it unless recursive triggers are on.
            row = (
                conn.execute(text("SELECT * FROM submitted_return WHERE version = 1"))
                .mappings()
                .one()
            )
            values = {**row, "late": 1}
            names = ", ".join(values)
            marks = ", ".join(f":{k}" for k in values)
            conn.execute(
                text(f"INSERT OR REPLACE INTO submitted_return ({names}) VALUES ({marks})"), values
            )
    found = _ledger(run, filed)
    assert found.exit_code == 1 and "LED-010 submitted return" in found.output
