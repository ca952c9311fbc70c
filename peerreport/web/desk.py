"""The workspace a running web application works on, opened once and shared by requests.

In local mode there is one workspace (or none yet: Get started makes it).
Routes ask the desk for the workspace and its engine; nothing else in the web
package opens a database.
"""

from __future__ import annotations

import contextvars
import threading
from collections import OrderedDict
from collections.abc import Callable
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

    def __init__(self, config: WebConfig, engine: Engine | None = None) -> None:
        self.config = config
        #: A hosted server's one engine, shared by every organisation's desk (not disposed here).
        self._shared_engine = engine
        self._lock = threading.Lock()
        self._root = config.workspace_dir
        self._session: Session | None = None
        #: Builds by key: (return, earlier periods, what was made from them, by name).
        self._built: OrderedDict[tuple[Any, ...], tuple[Any, list[Any], dict[str, Any]]] = (
            OrderedDict()
        )
        self._summary: tuple[tuple[str, int], Any] | None = None
        #: Called with (org, submission id, bundle path) after a return is filed (hosted
        #: servers deliver the bundle to the funder); None on a local server.
        self.on_filed: Callable[[str, int, Path], None] | None = None

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
                if self._shared_engine is not None:
                    self._session = Session(load_workspace(self._root), self._shared_engine)
                else:
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
        ret, earlier, _ = self._build(rule_file, period)
        return ret, earlier

    def built_with(
        self, rule_file: Any, period: Any, name: str, make: Callable[[Any, list[Any]], Any]
    ) -> tuple[Any, list[Any], Any]:
        """`built`, and `make(return, earlier periods)` kept with the build under `name`.

        For what depends only on the build, such as the review page's rendering of
        the return: made once per build rather than on every view.
        """
        ret, earlier, made = self._build(rule_file, period)
        if name not in made:
            made.setdefault(name, make(ret, earlier))
        return ret, earlier, made[name]

    def _build(self, rule_file: Any, period: Any) -> tuple[Any, list[Any], dict[str, Any]]:
        from peerreport.returns.build import build_return
        from peerreport.returns.history import history
        from peerreport.store.revisions import latest_revision

        workspace = self.workspace
        org, name = workspace.provider_code, workspace.organisation_name
        with self.engine.connect() as conn:
            revision = latest_revision(conn, org)
        key = (
            org,
            name,
            workspace.contact_role,
            rule_file.digest,
            period.start,
            period.end,
            period.label,
            revision,
        )
        with self._lock:
            found = self._built.get(key)
            if found is not None:
                self._built.move_to_end(key)
                return found
        ret = build_return(
            self.engine, org, name, rule_file, period, contact_role=workspace.contact_role
        )
        earlier = history(self.engine, org, name, rule_file, period)
        with self._lock:
            kept = self._built.setdefault(key, (ret, earlier, {}))
            while len(self._built) > BUILT_KEPT:
                self._built.popitem(last=False)
        return kept

    def filed(self, filed: Any) -> None:
        """A return was filed through the pages (a `peerreport.filing.Filed`)."""
        if self.on_filed is not None:
            entry = filed.submission
            self.on_filed(entry.org, entry.id, filed.bundle_path)

    def revision(self) -> int:
        """The newest revision of the workspace's records (0 before any import)."""
        from peerreport.store.revisions import latest_revision

        with self.engine.connect() as conn:
            return latest_revision(conn, self.workspace.provider_code)

    def summary(self) -> Any:
        """The records summary (by month and kind), kept until the records' next revision."""
        from peerreport.store.summary import records_summary

        org = self.workspace.provider_code
        key = (org, self.revision())
        kept = self._summary
        if kept is not None and kept[0] == key:
            return kept[1]
        with self.engine.connect() as conn:
            found = records_summary(conn, org)
        self._summary = (key, found)
        return found

    def prepare_ahead(self) -> threading.Thread | None:
        """Build, in the background, what the coordinator is likely to open next.

        For each of the workspace's returns: the most recent period that is over
        and the next one to file. The review page then opens at once; a build of a
        quarter over a million records takes seconds. Off unless the configuration
        asks for it (`peerreport serve` does); failures are left for the page to show.
        """
        if not self.config.prepare_ahead or not self.has_workspace:
            return None
        # In the request's context: a hosted server's walls read the request's reach from it.
        context = contextvars.copy_context()
        thread = threading.Thread(
            target=context.run, args=(self._prepare,), name="peerreport-prepare", daemon=True
        )
        thread.start()
        return thread

    def _prepare(self) -> None:
        import datetime as dt

        from peerreport.returns.overview import next_to_file, period_states
        from peerreport.web.rules import rule_file

        try:
            workspace = self.workspace
            for rule_id in workspace.returns:
                loaded = rule_file(rule_id)
                org = workspace.provider_code
                states = period_states(self.engine, org, loaded, dt.date.today())
                wanted = [s for s in (next_to_file(states), states[0] if states else None) if s]
                for period in dict.fromkeys(s.period for s in wanted):
                    self.built(loaded, period)
        except Exception:
            return

    def switch(self, root: Path) -> None:
        """Work on the workspace in `root` from now on (after Get started made it)."""
        with self._lock:
            if self._session is not None and self._shared_engine is None:
                self._session.engine.dispose()
            self._root = root
            self._session = None
            self._built.clear()
            self._summary = None

    def close(self) -> None:
        """Release the database (a shared engine is its owner's to release)."""
        with self._lock:
            if self._session is not None and self._shared_engine is None:
                self._session.engine.dispose()
                self._session = None
