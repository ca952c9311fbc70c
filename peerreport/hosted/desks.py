"""One desk per organisation on a hosted server, sharing one database engine.

The coordinator's pages work on a `peerreport.web.desk.Desk`, as on a local
server; here each organisation has its own (its folder under the data
directory, the server's engine), kept while in use. A return filed through
the pages is delivered to the funder by storing its bundle in the database.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from pathlib import Path

from sqlalchemy import Engine

from peerreport.hosted.config import ServerConfig
from peerreport.web.config import WebConfig
from peerreport.web.desk import Desk

#: How many organisations' desks (with their kept builds) stay open.
DESKS_KEPT = 64
#: How long the folders of an organisation's funders are kept between lookups (every page
#: of a coordinator's needs them; a funder linked meanwhile shows this much later).
FOLDERS_SECONDS = 5.0


class HostedDesks:
    """The desks of the organisations people are working on."""

    def __init__(self, config: ServerConfig, engine: Engine) -> None:
        self.config = config
        self.engine = engine
        self._lock = threading.Lock()
        self._desks: OrderedDict[str, Desk] = OrderedDict()
        self._folders: dict[str, tuple[float, tuple[Path, ...]]] = {}

    def for_org(self, org: str) -> Desk:
        """Organisation `org`'s desk (its folder is made when missing)."""
        with self._lock:
            found = self._desks.get(org)
            if found is not None:
                self._desks.move_to_end(org)
                return found
        root = self._folder(org)
        web = WebConfig(
            base_dir=root,
            workspace_dir=root,
            max_upload_bytes=self.config.max_upload_bytes,
            allowed_hosts=(self.config.host,),
        )
        desk = Desk(web, engine=self.engine)
        desk.on_filed = self._deliver
        with self._lock:
            desk = self._desks.setdefault(org, desk)
            while len(self._desks) > DESKS_KEPT:
                self._desks.popitem(last=False)
        return desk

    def rule_folders(self, org: str) -> tuple[Path, ...]:
        """The folders of the rule files `org`'s funders published (searched first)."""
        from peerreport.hosted.directory import funders_of

        now = time.monotonic()
        with self._lock:
            kept = self._folders.get(org)
            if kept is not None and now - kept[0] < FOLDERS_SECONDS:
                return kept[1]
        found = tuple(
            self.config.data_dir / "published" / code for code, _ in funders_of(self.engine, org)
        )
        with self._lock:
            self._folders[org] = (now, found)
        return found

    def _folder(self, org: str) -> Path:
        from peerreport.hosted.directory import org_names
        from peerreport.hosted.orgs import ensure_org_workspace

        name = org_names(self.engine, [org]).get(org, org)
        return ensure_org_workspace(self.config, org, name).root

    def _deliver(self, org: str, submission_id: int, bundle: Path) -> None:
        """A return filed on this server goes to the funder: its bundle is kept in the database.

        The organisation's workspace key here signed it; the server made that key, so it
        is registered for the organisation if it is not yet (`hosted.keys`), and a copy
        of the bundle sent back through the API or the upload page is taken as its own.
        """
        from peerreport.hosted.directory import store_bundle
        from peerreport.hosted.keys import register_server_key
        from peerreport.hosted.orgs import org_folder

        register_server_key(self.engine, org, org_folder(self.config, org))
        store_bundle(self.engine, submission_id, org, bundle.read_bytes(), "filed")

    def close(self) -> None:
        """Close every desk (the engine is the server's to dispose)."""
        with self._lock:
            for desk in self._desks.values():
                desk.close()
            self._desks.clear()


__all__ = ["HostedDesks"]
