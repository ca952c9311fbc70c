"""End to end through the CLI: submit, amend, list, show, verify, trace, scan; exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from peerreport.bundle import new_key_pair, read_archive, write_archive
from tests.audit.conftest import Run
from tests.bundle.sample import PERIOD, activity, records, store, write_rules
from tests.helpers import make_workspace


def test_every_command_has_help_with_an_example(run: Run) -> None:
    for args in (
        ["submit"],
        ["returns", "list"],
        ["returns", "show"],
        ["audit", "verify"],
        ["audit", "trace"],
        ["audit", "sample"],
        ["audit", "report"],
        ["audit", "scan"],
        ["collate"],
        ["keys", "new"],
    ):
        result = run(*args, "--help")
        assert result.exit_code == 0, result.output
        assert "Example" in result.output, args


def test_submit_amend_and_audit_end_to_end(
    run: Run, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    ws = ["--workspace", workspace.root]
    rules = write_rules(tmp_path / "rules")
    key = new_key_pair(tmp_path / "keys")
    store(engine, records())
    submit = ["submit", rules, "--period", PERIOD, "--format", "csv,json", *ws]

    first = run(*submit, "--sign", key.private_path)
    assert first.exit_code == 0, first.output
    assert "version 1" in first.output and "(signed)" in first.output
    again = run(*submit)
    assert again.exit_code == 2
    assert "needs a reason" in again.output and "Traceback" not in again.output
    store(engine, [activity("G-03", 4, attendance=40, mode="in_person")])
    amended = run(*submit, "--sign", key.private_path, "--reason", "G-03 attendance mistyped")
    assert amended.exit_code == 0, amended.output
    assert "amendment (version 2, amends version 1)" in amended.output
    folder = workspace.root / "submissions"
    v1, v2 = (folder / f"audit-test_{PERIOD}_TEST01_v{n}.bundle.zip" for n in (1, 2))

    listed = run("returns", "list", *ws)
    assert listed.exit_code == 0
    assert "superseded" in listed.output and "amended" in listed.output
    ident = next(
        line.split()[0]
        for line in listed.output.splitlines()
        if line.strip().endswith("G-03 attendance mistyped")
    )
    shown = run("returns", "show", ident, *ws)
    assert shown.exit_code == 0, shown.output
    assert "Version 1 -> 2:" in shown.output and "the records changed" in shown.output
    # Figures by their labels, as the return prints them, not by measure id.
    assert "Attendances at groups: 84 -> 118" in shown.output
    assert "group_attendance" not in shown.output.split("Version 1 -> 2:")[1].split("\n\n")[0]

    verify = ["audit", "verify", "--rules", rules, *ws]
    good = run(*verify, v2, "--fingerprint", key.fingerprint)
    assert good.exit_code == 0, good.output
    assert "VERIFIED" in good.output and "AUD-030" in good.output
    assert "the current version" in good.output
    # Version 1 was honest when filed: it verifies, as superseded, and the change
    # since is named field by field, with the amendment that covers it.
    stale = run(*verify, v1, "--fingerprint", key.fingerprint)
    assert stale.exit_code == 0, stale.output
    assert "VERIFIED — superseded by version 2 (G-03 attendance mistyped)" in stale.output
    assert "NOT VERIFIED" not in stale.output
    assert "activity G-03 changed in revision 2: attendance: 6 -> 40" in stale.output
    assert "version 2 includes the change" in stale.output
    # Without --rules the bundle's own resolved rule file is used: no search path needed.
    carried = run("audit", "verify", v1, "--fingerprint", key.fingerprint, *ws)
    assert carried.exit_code == 0 and "rebuilt byte for byte" in carried.output

    archive = read_archive(v2.read_bytes())
    csv = next(n for n in archive.entries if n.endswith(".csv"))
    changed = archive.entries[csv].replace(b"118", b"119", 1)
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(write_archive({**archive.entries, csv: changed}, archive.comment))
    caught = run(*verify, tampered)
    assert caught.exit_code == 1 and f"{csv} was altered" in caught.output
    unknown = run("audit", "verify", v2)  # outside the workspace, no key given: refused
    assert unknown.exit_code == 1 and "UNVERIFIED ORIGIN" in unknown.output
    assert "BUN-033" in unknown.output
    integrity_only = run("audit", "verify", v2, "--fingerprint", key.fingerprint)
    assert integrity_only.exit_code == 0 and "not recomputed" in integrity_only.output

    lost = run("audit", "trace", ident, "calls", *ws)
    assert lost.exit_code == 2 and "give its path with --rules PATH" in lost.output
    traced = run("audit", "trace", ident, "calls", "phone", "--rules", rules, *ws)
    assert traced.exit_code == 0, traced.output
    assert "published 5; the records give 5 (5 activity records)" in traced.output
    assert traced.output.count("\nW-0") == 5
    assert run("audit", "trace", v2, "sessions", "--sql", "--rules", rules, *ws).exit_code == 0
    scanned = run("audit", "scan", v2, *ws)
    assert scanned.exit_code == 0 and "CLEAN" in scanned.output
    # Outside the workspace no key is trusted: the scan says so plainly, and not "altered".
    outside = run("audit", "scan", v2)
    assert outside.exit_code == 0 and "CLEAN" in outside.output
    assert "UNVERIFIED ORIGIN: the files are intact, but signed by key" in outside.output
    assert "does not verify" not in outside.output and "altered" not in outside.output
    as_json = json.loads(run("audit", "scan", v2, "--json").output)
    assert (as_json["verified"], as_json["unverified_origin"]) == (False, True)
    damaged = run("audit", "scan", tampered, *ws)
    assert "does not verify: it was altered" in damaged.output
    assert "UNVERIFIED ORIGIN" not in damaged.output


def test_usage_errors_are_plain_messages_with_exit_code_2(
    run: Run, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    ws = ["--workspace", workspace.root]
    for args in (
        ["returns", "show", "999", *ws],
        ["audit", "trace", "nonsense", "x", *ws],
        ["submit", write_rules(tmp_path / "r"), "--period", "2026-13", *ws],
    ):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith("Error: ") and "Traceback" not in result.output


def test_submit_is_refused_while_errors_exist(
    run: Run, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    rules = write_rules(tmp_path / "rules")
    rules.write_text(
        rules.read_text("utf-8") + '\n[[check]]\nid = "T-1"\n'
        'assert = "sessions > 999"\nmessage = "only {sessions} sessions"\n',
        "utf-8",
    )
    store(engine, records())
    result = run("submit", rules, "--period", PERIOD, "--workspace", workspace.root)
    assert result.exit_code == 1
    assert "only 23 sessions" in result.output and "Not submitted" in result.output
    listed = run("returns", "list", "--workspace", workspace.root)
    assert "No submitted returns yet" in listed.output


def test_trace_by_label_and_a_derived_figure_through_the_cli(
    run: Run, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    ws = ["--workspace", workspace.root]
    rules = write_rules(tmp_path / "rules")
    store(engine, records())
    assert run("submit", rules, "--period", PERIOD, "--format", "json", *ws).exit_code == 0
    traced = run("audit", "trace", "1", "WARM-LINE CALLS", "phone", "--rules", rules, *ws)
    assert traced.exit_code == 0, traced.output
    lines = traced.output.splitlines()
    assert lines[0].startswith("Warm-line calls (calls), phone: published 5")
    header = next(line for line in lines if line.startswith("activity_id"))
    assert header.split() == ["activity_id", "date", "kind", "file", "row"]
    assert ["W-00", "2026-07-02", "warm_line_call"] in [line.split() for line in lines]

    derived = run("audit", "trace", "1", "average_group_size", "--rules", rules, *ws)
    assert derived.exit_code == 0, derived.output
    assert "derived: group_attendance / sessions, with group_attendance = 84, sessions = 23" in (
        derived.output
    )
    assert "1. Attendances at groups (group_attendance), total: published 84" in derived.output
    assert "2. Sessions delivered (sessions), total: published 23" in derived.output
    assert derived.output.count("\nG-") == 14 + 14  # in both inputs
    as_json = run("audit", "trace", "1", "average_group_size", "--rules", rules, "--json", *ws)
    data = json.loads(as_json.output)
    assert [(i["measure"], i["count"]) for i in data["inputs"]] == [
        ("group_attendance", 14),
        ("sessions", 23),
    ]

    unknown = run("audit", "trace", "1", "Session delivered", "--rules", rules, *ws)
    assert unknown.exit_code == 2
    assert "Did you mean 'Sessions delivered'?" in unknown.output
    assert "Traceback" not in unknown.output


def test_sample_prints_a_table_json_and_a_csv_for_working_papers(
    run: Run, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    ws = ["--workspace", workspace.root]
    rules = write_rules(tmp_path / "rules")
    store(engine, records())
    assert run("submit", rules, "--period", PERIOD, "--format", "json", *ws).exit_code == 0
    sample = ["audit", "sample", "1", "4", "--seed", "42", "--rules", rules, *ws]
    out = tmp_path / "papers" / "sample.csv"
    out.parent.mkdir()
    shown = run(*sample, "--csv", out)
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("4 of the 23 records behind the return's figures")
    table = [line.split()[:3] for line in shown.output.splitlines()[4:8]]
    assert table == [["1", "activity", "G-04"], ["2", "activity", "W-08"],
                     ["3", "activity", "G-03"], ["4", "activity", "G-01"]]  # fmt: skip
    assert out.read_text("utf-8").splitlines()[1].startswith("1,activity,G-04,2026-07-05,group,")
    again = json.loads(run(*sample, "--json").output)
    assert [r["record"] for r in again["records"]] == ["G-04", "W-08", "G-03", "G-01"]
    one = json.loads(run(*sample, "--measure", "calls", "--json").output)
    assert one["population"] == 9 and one["measure"] == "calls"
    assert run(*sample[:3], "0", "--seed", "1", *ws).exit_code == 2
    assert run("audit", "sample", "1", "4", *ws).exit_code == 2  # a seed is required
