"""Whose keys an audit trusts: what the auditor gives, and a workspace's own key for itself.

The one place that decides which signatures show a bundle's origin, for
`audit verify`, `audit report` and the hosted server's auditor's desk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def trust_for(
    keys: tuple[Path, ...],
    fingerprints: tuple[str, ...],
    providers_file: Path | None,
    allow_unsigned: bool,
    allow_unknown_keys: bool,
    workspace_dir: Path | None,
) -> Any:
    """The `Trust` given (keys, fingerprints, a provider list), plus the workspace's own key.

    Inside the workspace whose key signed a bundle, its own public key shows
    the origin: it never left the workspace. So do the keys `keys rotate`
    retired there, for the bundles signed before. Nothing else is trusted unless given.
    """
    from peerreport.bundle import Trust, public_key_fingerprint
    from peerreport.collate import read_providers
    from peerreport.collate.providers import provider_trust
    from peerreport.workspace import find_workspace, load_workspace

    given = frozenset({*fingerprints, *(public_key_fingerprint(k) for k in keys)})
    listed = provider_trust(read_providers(providers_file) if providers_file else None)
    providers = dict(listed.providers)
    sources = {**listed.sources, **{k: "given with --fingerprint/--key" for k in given}}
    root = workspace_dir if workspace_dir is not None else find_workspace()
    if root is not None:
        workspace = load_workspace(root)
        own = workspace.own_fingerprint()
        code = workspace.provider_code
        if own is not None:
            providers[code] = providers.get(code, frozenset()) | {own}
            sources.setdefault(
                own, f"this workspace's own key, trusted automatically for {code} inside it"
            )
        for retired, name in workspace.retired_fingerprints().items():
            providers[code] = providers.get(code, frozenset()) | {retired}
            sources.setdefault(
                retired, f"this workspace's retired key ({name}), for what it signed before"
            )
    return Trust(
        given,
        providers,
        sources,
        allow_unsigned=allow_unsigned,
        allow_unknown_keys=allow_unknown_keys,
    )


def own_key_trust(folder: Path) -> Any:
    """The `Trust` of the organisation whose workspace is `folder`: its own key, for itself.

    A hosted server keeps each organisation's workspace (and the key that
    signs what it files there); a bundle signed with it shows its origin. No
    workspace in `folder`: nothing is trusted (never a workspace found elsewhere).
    """
    from peerreport.bundle import Trust
    from peerreport.workspace import CONFIG_NAME, load_workspace

    if not (folder / CONFIG_NAME).is_file():
        return Trust()
    workspace = load_workspace(folder)
    own = workspace.own_fingerprint()
    if own is None:
        return Trust()
    code = workspace.provider_code
    retired = workspace.retired_fingerprints()
    return Trust(
        providers={code: frozenset({own, *retired})},
        sources={
            **{
                k: f"a key {code} signed with on this server before ({n})"
                for k, n in retired.items()
            },
            own: f"the key {code} signs with on this server",
        },
    )
