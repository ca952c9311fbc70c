"""A workspace's own files: the secret is private from the start, and git ignores it."""

from __future__ import annotations

import stat
from pathlib import Path

from peerreport.workspace import SECRET_NAME, write_workspace


def test_the_secret_is_owner_only_and_git_ignores_it(tmp_path: Path) -> None:
    workspace = write_workspace(tmp_path / "ws", "Harbour Peer Collective", "HPC001")
    secret = workspace.root / SECRET_NAME
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    ignored = (workspace.root / ".gitignore").read_text("utf-8").splitlines()
    assert {SECRET_NAME, "peerreport.db", "*.key"} <= set(ignored)


def test_the_database_is_owner_only_from_the_start(tmp_path: Path) -> None:
    """Issue 15: `peerreport.db` was made world-readable (0644) by SQLite. It holds the
    organisation's records and ledger, so it is made 0600 before SQLite first opens it;
    SQLite gives its journal the database's mode."""
    from click.testing import CliRunner

    from peerreport.cli.main import cli

    folder = tmp_path / "ws"
    runner = CliRunner()
    init = ["init", str(folder), "--name", "Harbour", "--provider-code", "HPC001"]
    made = runner.invoke(cli, init)
    assert made.exit_code == 0, made.output
    database = folder / "peerreport.db"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    log = tmp_path / "log.csv"
    log.write_text("activity_id,date,kind,attendance\nG-1,01/07/2025,group,7\n", encoding="utf-8")
    imported = runner.invoke(cli, ["import", str(log), "--workspace", str(folder)])
    assert imported.exit_code == 0, imported.output
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    others = [p for p in folder.iterdir() if p.name.startswith("peerreport.db")]
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in others), others


def test_an_existing_database_keeps_its_mode(tmp_path: Path) -> None:
    from peerreport.store.database import open_engine

    database = tmp_path / "shared.db"
    database.touch(mode=0o640)
    database.chmod(0o640)
    open_engine(f"sqlite:///{database}").dispose()
    assert stat.S_IMODE(database.stat().st_mode) == 0o640
