"""Opening what a command works on: the workspace, its database, and whose data it may read.

Every decision about which organisation a command may read is made here, in
`readable_organisation`: a workspace reads its own organisation only, whatever
database URL it is given (one PostgreSQL database can hold several
organisations); without a workspace, a command that reads one organisation's
data needs `--org CODE`, as an auditor with access to that database would give.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from peerreport.errors import UsageError, WorkspaceError
from peerreport.store.database import ensure_current, open_engine
from peerreport.workspace import (
    ENV_DATABASE_URL,
    Workspace,
    database_url,
    find_workspace,
    load_workspace,
    validate_provider_code,
)

NEED_ORG = (
    "give --org CODE to say which organisation's {what} to read, "
    "or run this inside the organisation's workspace"
)


def readable_organisation(
    workspace: Workspace | None, asked: str | None, what: str = "data"
) -> str:
    """The one organisation a command may read: the workspace's, or `--org` without one.

    A workspace never reads another organisation (`--org` naming another is
    refused); without a workspace, `--org` is required rather than reading
    every organisation in the database.
    """
    if workspace is not None:
        own = workspace.provider_code
        if asked is not None and asked != own:
            raise UsageError(
                f"--org {asked}: this workspace is {own}'s and can only read its own "
                f"organisation's {what}"
            )
        return own
    if asked is None:
        raise UsageError(NEED_ORG.format(what=what))
    return validate_provider_code(asked)


def refuse_unless_own(
    workspace: Workspace | None, readable: str, owner: str, thing: str, what: str
) -> None:
    """Refuse `thing` (e.g. 'return 12') of `owner` unless `owner` is the readable organisation."""
    if owner == readable:
        return
    if workspace is not None:
        raise UsageError(
            f"{thing} is not {readable}'s: this workspace can only read its own "
            f"organisation's {what}"
        )
    raise UsageError(
        f"{thing} is not {readable}'s (--org {readable}); it is another organisation's"
    )


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

    def organisation(self, asked: str | None = None, what: str = "data") -> str:
        """The organisation this command may read (see `readable_organisation`)."""
        return readable_organisation(self.workspace, asked, what)

    def check_owner(self, owner: str, thing: str, what: str, asked: str | None = None) -> None:
        """Refuse `thing` of organisation `owner` unless this command may read it."""
        refuse_unless_own(self.workspace, self.organisation(asked, what), owner, thing, what)


def open_session(workspace_dir: Path | None, db_url: str | None) -> Session:
    """Find the workspace, open its (or the given) database, check its schema version."""
    root = workspace_dir if workspace_dir is not None else find_workspace()
    workspace = load_workspace(root) if root is not None else None
    engine = open_engine(database_url(db_url, workspace))
    ensure_current(engine)
    return Session(workspace, engine)


def bundle_database(
    owner: str, workspace_dir: Path | None, db_url: str | None, asked: str | None
) -> tuple[Engine | None, str]:
    """The database to check organisation `owner`'s bundle against, or (None, why there is none).

    Inside a workspace, only a bundle of the workspace's organisation is
    checked against the database, whatever the URL; another organisation's
    bundle is refused. Without a workspace, a database needs `--org` naming
    the bundle's organisation. No database at all is not an error: the bundle
    is then checked on its own.
    """
    root = workspace_dir if workspace_dir is not None else find_workspace()
    workspace = load_workspace(root) if root is not None else None
    given = db_url or os.environ.get(ENV_DATABASE_URL)
    if workspace is None and not given:
        return (
            None,
            "no database was given (--db URL and --org CODE, or run inside the "
            "organisation's workspace)",
        )
    readable = readable_organisation(workspace, asked, "records")
    if owner != readable:
        if workspace is not None:
            raise UsageError(
                f"the bundle is {owner}'s, not {readable}'s: this workspace can only check "
                "its own organisation's bundles against its records (outside any workspace, "
                "with no database, the bundle is checked on its own)"
            )
        raise UsageError(f"the bundle is {owner}'s, not --org {readable}'s")
    return open_session(root, db_url).engine, ""
