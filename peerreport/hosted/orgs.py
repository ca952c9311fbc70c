"""Each organisation's folder on a hosted server: its workspace settings, secret and keys.

The records of every organisation are in the one database; the folder holds
what a local workspace holds beside its database (the member-token secret, the
signing key that seals its bundles, its uploads), so the coordinator's pages
work on it exactly as they work on a local workspace.
"""

from __future__ import annotations

from pathlib import Path

from peerreport.hosted.config import ServerConfig
from peerreport.store.database import safe_url
from peerreport.workspace import (
    CONFIG_NAME,
    Workspace,
    load_workspace,
    validate_provider_code,
    write_workspace,
)


def org_folder(config: ServerConfig, org: str) -> Path:
    """Where organisation `org`'s folder is (whether or not it exists yet)."""
    return config.orgs_dir / validate_provider_code(org)


def ensure_org_workspace(
    config: ServerConfig, org: str, name: str, returns: tuple[str, ...] = ()
) -> Workspace:
    """Organisation `org`'s workspace on this server, made now when it has none."""
    root = org_folder(config, org)
    if (root / CONFIG_NAME).exists():
        return load_workspace(root)
    config.orgs_dir.mkdir(parents=True, exist_ok=True)
    # The server opens the database itself; the URL here is for people reading the file.
    return write_workspace(root, name, org, safe_url(config.database_url), returns)


__all__ = ["ensure_org_workspace", "org_folder"]
