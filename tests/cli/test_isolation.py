"""Isolation between organisations sharing one database, through every command of the CLI.

Two organisations, A and B, keep their records, imports and ledger in the
same database (two workspaces with the same URL, as on a shared PostgreSQL).
From A's workspace, with the shared URL also given as PEERREPORT_DATABASE_URL,
every command is aimed at B's objects: its return ids, its bundle, its
activity ids and import ids, `--org B`. Each is refused with a plain message
and exit code 2, or shows only A's own data; no output holds B's activity
ids, its name or its figures. The table of cases is checked against the click
registry, so a new command without a case fails here.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from peerreport.workspace import write_workspace
from tests.bundle.sample import PERIOD, write_rules
from tests.helpers import ACTIVITY_HEADER, write_csv

A_CODE, A_NAME = "HPC001", "Harbour Peer Collective"
B_CODE, B_NAME = "OTB002", "Otterbury Whanau Peer Trust"
B_ATTENDANCE = (104729, 130043, 155921)  # B's group attendance: 390693 in all, 130231 on average
B_FIGURES = ("390693", "130231")
B_ACTIVITIES = ("ZQB-0", "ZQB-1", "ZQB-2")

REFUSED, OWN, NO_ORG_DATA, FILES_ONLY = "refused", "own", "no-org-data", "files-only"


@dataclass(frozen=True)
class Case:
    """One invocation aimed at B, and what A's workspace must answer.

    REFUSED: exit code 2 and a plain message holding `says`. OWN: it works on
    A's data only. NO_ORG_DATA: the command reads no organisation's records.
    FILES_ONLY: it reads only the files it is given, never the database.
    """

    args: tuple[str, ...]
    expect: str
    says: str = ""


def refused(*args: str, says: str) -> Case:
    return Case(args, REFUSED, says)


NOT_OURS = "HPC001's: this workspace can only read its own organisation's"
OTHER_ORG = "--org OTB002: this workspace is HPC001's and can only read its own"
NO_SERVER = "no secret key"
ADMIN_GROUPS = ("org", "funder", "user", "token", "key")
OTHER_BUNDLE = "the bundle is OTB002's, not HPC001's: this workspace can only check"

# Every leaf command, with arguments aimed at B. {rid}: B's submitted return id,
# {bundle}: B's bundle, {imp}: B's import id, {rules}: the rule file, {tmp}: a scratch folder.
CASES: dict[str, list[Case]] = {
    "init": [
        Case(("init", "{tmp}/new", "--name", "New", "--provider-code", "NEW003"), NO_ORG_DATA)
    ],
    "db upgrade": [Case(("db", "upgrade"), NO_ORG_DATA)],
    "db version": [Case(("db", "version"), NO_ORG_DATA)],
    "import": [Case(("import", "{tmp}/more.csv"), OWN)],
    "records summary": [
        Case(("records", "summary"), OWN),
        refused("records", "summary", "--org", B_CODE, says=OTHER_ORG),
    ],
    "records history": [
        refused("records", "history", B_ACTIVITIES[0], says="there is no activity"),
        refused("records", "history", "G-00", "--org", B_CODE, says=OTHER_ORG),
    ],
    "records withdraw": [
        refused(
            "records",
            "withdraw",
            B_ACTIVITIES[0],
            "--reason",
            "x",
            says="there is no current activity",
        ),
    ],
    "records scan": [
        Case(("records", "scan"), OWN),
        refused("records", "scan", "--org", B_CODE, says=OTHER_ORG),
    ],
    "records attribution": [
        Case(("records", "attribution", "--period", PERIOD, "--rules", "{rules}"), OWN),
        refused("records", "attribution", "--period", PERIOD, "--org", B_CODE, says=OTHER_ORG),
    ],
    "imports list": [
        Case(("imports", "list"), OWN),
        refused("imports", "list", "--org", B_CODE, says=OTHER_ORG),
    ],
    "imports show": [
        refused("imports", "show", "{imp}", says="there is no import"),
        refused("imports", "show", "1", "--org", B_CODE, says=OTHER_ORG),
    ],
    "samples generate": [Case(("samples", "generate", "--out", "{tmp}/s.csv"), NO_ORG_DATA)],
    "demo": [Case(("demo", "--out", "{tmp}/demo"), NO_ORG_DATA)],
    "rules list": [Case(("rules", "list"), NO_ORG_DATA)],
    "rules show": [Case(("rules", "show", "{rules}"), NO_ORG_DATA)],
    "rules lint": [Case(("rules", "lint", "{rules}"), NO_ORG_DATA)],
    "rules test": [Case(("rules", "test", "{rules}"), NO_ORG_DATA)],
    "rules diff": [Case(("rules", "diff", "{rules}", "{rules}"), NO_ORG_DATA)],
    "rules doc": [Case(("rules", "doc", "{rules}", "--out", "{tmp}/rules.md"), NO_ORG_DATA)],
    "rules pack": [Case(("rules", "pack", "{rules}", "--out", "{tmp}/pack.zip"), NO_ORG_DATA)],
    "rules review": [Case(("rules", "review", "{rules}", "--volume", "40"), NO_ORG_DATA)],
    "rules release": [
        Case(("rules", "release", "{rules}", "--register", "{tmp}/releases.jsonl"), NO_ORG_DATA)
    ],
    "rules schema": [Case(("rules", "schema"), NO_ORG_DATA)],
    "template intake": [Case(("template", "intake", "--out", "{tmp}/t.xlsx"), NO_ORG_DATA)],
    "build": [Case(("build", "{rules}", "--period", PERIOD), OWN)],
    "export": [Case(("export", "{rules}", "--period", PERIOD, "--out", "{tmp}/review"), OWN)],
    "submit": [Case(("submit", "{rules}", "--period", PERIOD, "--reason", "again", "-y"), OWN)],
    "returns list": [
        Case(("returns", "list"), OWN),
        refused("returns", "list", "--org", B_CODE, says=OTHER_ORG),
    ],
    "returns show": [
        refused("returns", "show", "{rid}", says=f"return {{rid}} is not {NOT_OURS} returns"),
        refused("returns", "show", "{rid}", "--org", B_CODE, says=OTHER_ORG),
    ],
    "returns accept": [refused("returns", "accept", "{rid}", says=NOT_OURS)],
    "returns query": [refused("returns", "query", "{rid}", "-m", "why?", says=NOT_OURS)],
    "returns reply": [refused("returns", "reply", "{rid}", "-m", "because", says=NOT_OURS)],
    "audit verify": [
        refused("audit", "verify", "{bundle}", says=OTHER_BUNDLE),
        refused("audit", "verify", "{bundle}", "--db", "{db}", says=OTHER_BUNDLE),
        refused("audit", "verify", "{bundle}", "--org", B_CODE, says=OTHER_ORG),
    ],
    "audit trace": [
        refused("audit", "trace", "{bundle}", "sessions", says=OTHER_BUNDLE),
        refused("audit", "trace", "{rid}", "sessions", "--db", "{db}", says=NOT_OURS),
        refused("audit", "trace", "{rid}", "group_attendance", says=NOT_OURS),
    ],
    "audit sample": [
        refused("audit", "sample", "{bundle}", "3", "--seed", "1", says=OTHER_BUNDLE),
        refused("audit", "sample", "{rid}", "3", "--seed", "1", says=NOT_OURS),
    ],
    "audit report": [
        refused("audit", "report", "{bundle}", "--out", "{tmp}/r.html", says=OTHER_BUNDLE),
    ],
    "audit scan": [refused("audit", "scan", "{bundle}", says=OTHER_BUNDLE)],
    "audit ledger": [
        Case(("audit", "ledger"), OWN),
        refused("audit", "ledger", "--org", B_CODE, says=OTHER_ORG),
        refused(
            "audit", "ledger", "{bundle}", says=f"OTB002_v1.bundle.zip is not {NOT_OURS} ledger"
        ),
    ],
    "collate": [
        Case(
            (
                *("collate", "{bundle}", "--rules", "{rules}"),
                *("--out", "{tmp}/c.xlsx", "--allow-unknown-keys"),
            ),
            FILES_ONLY,
        )
    ],
    "keys new": [Case(("keys", "new", "--out", "{tmp}/keys"), NO_ORG_DATA)],
    "keys show": [Case(("keys", "show"), NO_ORG_DATA)],
    "keys rotate": [Case(("keys", "rotate"), NO_ORG_DATA)],
    "keys funder-new": [Case(("keys", "funder-new", "--out", "{tmp}/funder-keys"), NO_ORG_DATA)],
    # A server cannot run under CliRunner: tests/web/test_isolation.py runs the web
    # application on A's workspace over this same shared database and aims every page at B.
    "serve": [],
    # The hosted server's own commands need its configuration (its secret key): the
    # database URL a workspace knows is not enough. With it, they are the operator's, who
    # looks after every organisation (tests/hosted/test_admin_cmd.py).
    **{
        " ".join(args[:3] if args[1] in ADMIN_GROUPS else args[:2]): [
            refused(*args, says=NO_SERVER)
        ]
        for args in (
            ("admin", "init", "--admin", "someone"),
            ("admin", "publish", "--funder", "NORTH", "{rules}"),
            ("admin", "org", "add", "OTB003", "Another"),
            ("admin", "org", "list"),
            ("admin", "funder", "add", "NORTH", "Northern"),
            ("admin", "funder", "link", "NORTH", B_CODE),
            ("admin", "funder", "list"),
            ("admin", "user", "add", "someone", "--role", "coordinator", "--org", B_CODE),
            ("admin", "user", "password", "someone"),
            ("admin", "user", "list"),
            ("admin", "user", "disable", "someone"),
            ("admin", "user", "enable", "someone"),
            ("admin", "user", "grant", "someone", "--org", B_CODE),
            ("admin", "user", "revoke", "someone", "--org", B_CODE),
            ("admin", "token", "add", "--org", B_CODE, "--label", "robot"),
            ("admin", "token", "list"),
            ("admin", "token", "revoke", "1"),
            ("admin", "key", "add", B_CODE, "SHA256:" + "A" * 43),
            ("admin", "key", "list"),
            ("admin", "key", "retire", B_CODE, "SHA256:" + "A" * 43),
        )
    },
}


def leaf_commands() -> set[str]:
    """Every leaf command of the real registry, as 'group sub' or 'command'."""
    from peerreport.cli.main import COMMANDS

    found: set[str] = set()

    def walk(prefix: str, command: click.Command) -> None:
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(f"{prefix} {name}", sub)
        else:
            found.add(prefix)

    for name, (module, attribute, _) in COMMANDS.items():
        walk(name, getattr(importlib.import_module(module), attribute))
    return found


def test_the_table_covers_every_command() -> None:
    assert set(CASES) == leaf_commands()


def _log(prefix: str, attendance: tuple[int, ...]) -> list[list[Any]]:
    rows: list[list[Any]] = [ACTIVITY_HEADER]
    for i, count in enumerate(attendance):
        rows.append([f"{prefix}-{i}", f"{2 + i:02d}/07/2026", "group", count, "Groups", ""])
    return rows


Invoke = Callable[..., Result]


@pytest.fixture
def shared(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """A's and B's workspaces on one database, each with an import and a submitted return."""
    from peerreport.cli import main

    monkeypatch.delenv("PEERREPORT_WORKSPACE", raising=False)
    monkeypatch.delenv("PEERREPORT_DATABASE_URL", raising=False)
    group = main.LazyGroup(name="peerreport", context_settings=main.cli.context_settings)

    def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(group, [str(a) for a in args], env=env)

    a = write_workspace(tmp_path / "a", A_NAME, A_CODE, db_url)
    b = write_workspace(tmp_path / "b", B_NAME, B_CODE, db_url)
    rules = write_rules(tmp_path / "rules")
    for workspace, log in ((a, _log("G", (5, 6, 7))), (b, _log("ZQB", B_ATTENDANCE))):
        ws: list[str | Path] = ["--workspace", workspace.root]
        csv = write_csv(tmp_path / f"{workspace.provider_code}.csv", log)
        done = invoke("import", csv, *ws)
        assert done.exit_code == 0, done.output
        done = invoke("submit", rules, "--period", PERIOD, "--json", *ws)
        assert done.exit_code == 0, done.output
    filed = json.loads(done.output)
    imports = json.loads(invoke("imports", "list", "--json", "--workspace", b.root).output)
    (tmp_path / "scratch").mkdir()
    write_csv(tmp_path / "scratch" / "more.csv", _log("G9", (3,)))
    monkeypatch.chdir(a.root)  # in A's workspace, with the shared database named as well
    monkeypatch.setenv("PEERREPORT_DATABASE_URL", db_url)
    yield {
        "invoke": invoke,
        "rid": str(filed["id"]),
        "bundle": filed["bundle"],
        "b_key": str(b.public_key_path),
        "imp": str(imports[-1]["id"]),
        "rules": str(rules),
        "tmp": str(tmp_path / "scratch"),
        "db": db_url,
    }


def _leaks(output: str, args: tuple[str, ...]) -> list[str]:
    """B's activity ids, name and figures in the output (an id the user typed aside)."""
    secrets = (*B_ACTIVITIES, B_NAME, *B_FIGURES)
    return [s for s in secrets if s in output and not any(s in a for a in args)]


@pytest.mark.parametrize("command", sorted(CASES))
def test_a_workspace_never_reads_another_organisation(command: str, shared: dict[str, Any]) -> None:
    invoke = shared["invoke"]
    for case in CASES[command]:
        args = tuple(a.format(**shared) for a in case.args)
        env = None
        if case.expect == FILES_ONLY:
            # It reads only the files it is given: a database that cannot be opened is no matter.
            env = {"PEERREPORT_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
        result = invoke(*args, env=env)
        output = result.output
        assert "Traceback" not in output, (args, output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args,
            output,
            result.exception,
        )
        if case.expect == REFUSED:
            assert result.exit_code == 2, (args, output)
            assert case.says.format(**shared) in output, (args, output)
            assert _leaks(output, args) == [], (args, output)
        elif case.expect == FILES_ONLY:
            assert result.exit_code in (0, 1), (args, output)
            assert not any(a in output for a in B_ACTIVITIES), (args, output)
        else:
            assert result.exit_code in (0, 1), (args, output)
            assert _leaks(output, args) == [], (args, output)


def test_without_a_workspace_a_shared_database_needs_org(
    shared: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoke = shared["invoke"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for args in (
        ("returns", "list"),
        ("returns", "show", shared["rid"]),
        ("records", "summary"),
        ("imports", "list"),
        ("audit", "ledger"),
        ("audit", "verify", shared["bundle"]),
        ("audit", "trace", shared["rid"], "sessions"),
    ):
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "give --org CODE" in result.output, (args, result.output)
        assert _leaks(result.output, args) == [], (args, result.output)
    # An auditor naming the organisation reads it, and only it.
    listed = invoke("returns", "list", "--org", B_CODE, "--json")
    assert listed.exit_code == 0 and {r["org"] for r in json.loads(listed.output)} == {B_CODE}
    verified = invoke(
        "audit", "verify", shared["bundle"], "--org", B_CODE, "--key", shared["b_key"]
    )
    assert verified.exit_code == 0, verified.output
    assert "2. The figures: MATCH" in verified.output
    other = invoke("audit", "verify", shared["bundle"], "--org", A_CODE)
    assert other.exit_code == 2 and "the bundle is OTB002's, not --org HPC001's" in other.output
    trace = invoke("audit", "trace", shared["rid"], "sessions", "--org", A_CODE)
    assert trace.exit_code == 2 and f"return {shared['rid']} is not HPC001's" in trace.output
    assert _leaks(trace.output, ()) == []
