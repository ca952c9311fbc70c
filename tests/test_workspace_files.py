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
