"""The workspace a running web application works on, opened once and shared by requests.

In local mode there is one workspace (or none yet: Get started makes it).
Routes ask the desk for the workspace and its engine; nothing else in the web
package opens a database.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine

from peerreport.errors import WorkspaceError
from peerreport.session import Session, open_session
from peerreport.web.config import WebConfig
from peerreport.workspace import Workspace, load_workspace


class Desk:
    """The current workspace and its database engine (thread-safe; reopened on change)."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._root = config.workspace_dir
        self._session: Session | None = None

    @property
    def has_workspace(self) -> bool:
        """Whether there is a workspace to work on (else: Get started)."""
        return self._root is not None

    def session(self) -> Session:
        """The open session (workspace and engine), opened on first use."""
        with self._lock:
            if self._session is None:
                if self._root is None:
                    raise WorkspaceError("no workspace yet: create one on the Get started page")
                self._session = open_session(self._root, self.config.db_url)
            return self._session

    @property
    def workspace(self) -> Workspace:
        """The workspace (its settings are re-read, so a change to them shows)."""
        session = self.session()
        assert session.workspace is not None
        return load_workspace(session.workspace.root)

    @property
    def engine(self) -> Engine:
        """The workspace's database."""
        return self.session().engine

    def switch(self, root: Path) -> None:
        """Work on the workspace in `root` from now on (after Get started made it)."""
        with self._lock:
            if self._session is not None:
                self._session.engine.dispose()
            self._root = root
            self._session = None

    def close(self) -> None:
        """Release the database."""
        with self._lock:
            if self._session is not None:
                self._session.engine.dispose()
                self._session = None
