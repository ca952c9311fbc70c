"""Opening what a command works on: the workspace and its database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from peerreport.errors import WorkspaceError
from peerreport.store.database import ensure_current, open_engine
from peerreport.workspace import Workspace, database_url, find_workspace, load_workspace


@dataclass
class Session:
    """A workspace (if any) and an engine on a database at the current schema."""

    workspace: Workspace | None
    engine: Engine

    def require_workspace(self) -> Workspace:
        """The workspace, or a plain error saying how to get one."""
        if self.workspace is None:
            raise WorkspaceError(
                "no workspace here: run `peerreport init DIR` and work inside DIR, "
                "or give --workspace DIR"
            )
        return self.workspace


def open_session(workspace_dir: Path | None, db_url: str | None) -> Session:
    """Find the workspace, open its (or the given) database, check its schema version."""
    root = workspace_dir if workspace_dir is not None else find_workspace()
    workspace = load_workspace(root) if root is not None else None
    engine = open_engine(database_url(db_url, workspace))
    ensure_current(engine)
    return Session(workspace, engine)
