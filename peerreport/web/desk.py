"""The workspace a running web application works on, opened once and shared by requests.

In local mode there is one workspace (or none yet: Get started makes it).
Routes ask the desk for the workspace and its engine; nothing else in the web
package opens a database.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from peerreport.errors import WorkspaceError
from peerreport.session import Session, open_session
from peerreport.web.config import WebConfig
from peerreport.workspace import Workspace, load_workspace

#: How many built returns (with their earlier periods) are kept for reloads.
BUILT_KEPT = 16


class Desk:
    """The current workspace and its database engine (thread-safe; reopened on change)."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._root = config.workspace_dir
        self._session: Session | None = None
        self._built: OrderedDict[tuple[Any, ...], tuple[Any, list[Any]]] = OrderedDict()

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

    def built(self, rule_file: Any, period: Any) -> tuple[Any, list[Any]]:
        """The return for `period` and its earlier periods (for trends), built from the records now.

        A build depends only on the organisation, the rule file (its digest),
        the period and the records' revision, so it is kept for the revision it
        was built at: reloading the review page does not build it again, and
        any import or withdrawal (a new revision) makes the next request build afresh.
        """
        from peerreport.returns.build import build_return
        from peerreport.returns.history import history
        from peerreport.store.revisions import latest_revision

        workspace = self.workspace
        org, name = workspace.provider_code, workspace.organisation_name
        with self.engine.connect() as conn:
            revision = latest_revision(conn, org)
        key = (org, name, rule_file.digest, period.start, period.end, period.label, revision)
        with self._lock:
            found = self._built.get(key)
            if found is not None:
                self._built.move_to_end(key)
                return found
        ret = build_return(self.engine, org, name, rule_file, period)
        earlier = history(self.engine, org, name, rule_file, period)
        with self._lock:
            self._built[key] = (ret, earlier)
            while len(self._built) > BUILT_KEPT:
                self._built.popitem(last=False)
        return ret, earlier

    def switch(self, root: Path) -> None:
        """Work on the workspace in `root` from now on (after Get started made it)."""
        with self._lock:
            if self._session is not None:
                self._session.engine.dispose()
            self._root = root
            self._session = None
            self._built.clear()

    def close(self) -> None:
        """Release the database."""
        with self._lock:
            if self._session is not None:
                self._session.engine.dispose()
                self._session = None
