"""The register of each organisation's signing keys on a hosted server.

A bundle sent to the server (`peerreport submit --to`, the API, the "Send a
bundle" page) must be signed with a key registered for the organisation
sending it; any other bundle is refused as of UNVERIFIED ORIGIN
(`hosted.receive`). The signature proves the bundle is exactly what some key
holder sealed; the register says whose key that is.

- An admin registers a provider's key once, from the fingerprint the
  provider's coordinator reads out (`peerreport keys show`) by a channel the
  admin already trusts, or from the public key file itself
  (`peerreport admin key add ORG FINGERPRINT|--public-key FILE`).
- A key belongs to one organisation: registering it for a second is refused.
- Retiring a key (`admin key retire`; the provider rotated it with
  `peerreport keys rotate`) stops the server taking new bundles it signed;
  what it signed before stays the provider's (the auditor's desk still
  verifies it). Revoking a key (`--revoked`: it may be in other hands) also
  stops the auditor's desk trusting it. Neither is undone: a key retired or
  revoked is never taken back; the provider makes a new one.
- The server's own desks sign what a hosted organisation files on the
  server with that organisation's workspace key, which the server made
  itself: it is registered automatically (`added_by` 'server') when the
  organisation is added with `admin org add`, or else when it first files.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from peerreport.errors import UsageError
from peerreport.store.hosted_schema import provider_key
from peerreport.store.schema import organisation
from peerreport.store.times import as_utc

#: A key's fingerprint as `peerreport keys show` prints it.
FINGERPRINT = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")
#: Who registered a key: an admin, or the server for its own desks.
ADDED_BY = ("admin", "server")


@dataclass(frozen=True)
class ProviderKey:
    """One registered key of an organisation's."""

    id: int
    org: str
    fingerprint: str
    public_key: str | None
    added_at: dt.datetime
    added_by: str
    retired_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @property
    def state(self) -> str:
        """'active', 'retired' or 'revoked'."""
        if self.revoked_at is not None:
            return "revoked"
        return "retired" if self.retired_at is not None else "active"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "org": self.org,
            "fingerprint": self.fingerprint,
            "state": self.state,
            "added_at": self.added_at.isoformat(),
            "added_by": self.added_by,
            "retired_at": self.retired_at.isoformat() if self.retired_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "public_key": self.public_key,
        }


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else dt.datetime.now(dt.UTC)


def _key(row: Any) -> ProviderKey:
    return ProviderKey(
        id=int(row.id),
        org=row.org,
        fingerprint=row.fingerprint,
        public_key=row.public_key,
        added_at=as_utc(row.added_at),
        added_by=row.added_by,
        retired_at=as_utc(row.retired_at) if row.retired_at is not None else None,
        revoked_at=as_utc(row.revoked_at) if row.revoked_at is not None else None,
    )


def check_fingerprint(text: str) -> str:
    """`text` as a fingerprint, or a plain `UsageError` showing what one looks like."""
    value = text.strip()
    if not FINGERPRINT.match(value):
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise UsageError(
            f"{shown!r} is not a key fingerprint: it looks like SHA256: followed by 43 "
            "letters, digits, + or / (the provider's `peerreport keys show` prints it)"
        )
    return value


def public_key_of(path: Path) -> tuple[str, str]:
    """(fingerprint, PEM) of a public key file (a private key file is refused: never send one)."""
    from peerreport.bundle.signing import public_key_fingerprint, public_key_pem

    try:
        head = path.read_bytes()[:4096]
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if b"PRIVATE KEY" in head:
        raise UsageError(
            f"{path} is a PRIVATE key: it must never leave the provider's workspace. Ask "
            "for the public key (peerreport.pub) or the fingerprint instead"
        )
    return public_key_fingerprint(path), public_key_pem(path)


def keys_of(engine: Engine, org: str | None = None) -> list[ProviderKey]:
    """The registered keys (of `org`, when given), by organisation, oldest first."""
    query = select(provider_key).order_by(provider_key.c.org, provider_key.c.id)
    if org is not None:
        query = query.where(provider_key.c.org == org)
    with engine.connect() as conn:
        return [_key(r) for r in conn.execute(query)]


def find_key(engine: Engine, fingerprint: str) -> ProviderKey | None:
    """The registration of key `fingerprint`, whichever organisation it is."""
    with engine.connect() as conn:
        row = conn.execute(
            select(provider_key).where(provider_key.c.fingerprint == fingerprint)
        ).first()
    return None if row is None else _key(row)


def add_key(
    engine: Engine,
    org: str,
    fingerprint: str,
    public_key: str | None = None,
    added_by: str = "admin",
    now: dt.datetime | None = None,
) -> tuple[ProviderKey, bool]:
    """(the key, whether it is new): register `fingerprint` as one of `org`'s signing keys.

    Registering an active key of `org`'s again changes nothing. A key that is
    another organisation's, or one of `org`'s that was retired or revoked, is
    refused with a plain `UsageError`.
    """
    if added_by not in ADDED_BY:
        raise UsageError(f"added_by must be one of {', '.join(ADDED_BY)}, not {added_by!r}")
    fingerprint = check_fingerprint(fingerprint)
    try:
        with engine.begin() as conn:
            known = select(organisation.c.org).where(organisation.c.org == org)
            if conn.execute(known).first() is None:
                raise UsageError(
                    f"there is no organisation {org!r} (see: peerreport admin org list)"
                )
            row = conn.execute(
                select(provider_key).where(provider_key.c.fingerprint == fingerprint)
            ).first()
            if row is None:
                conn.execute(
                    insert(provider_key).values(
                        org=org,
                        fingerprint=fingerprint,
                        public_key=public_key,
                        added_at=_now(now),
                        added_by=added_by,
                    )
                )
                row = conn.execute(
                    select(provider_key).where(provider_key.c.fingerprint == fingerprint)
                ).one()
                return _key(row), True
    except IntegrityError:  # registered at the same moment by someone else
        found = find_key(engine, fingerprint)
        if found is None:
            raise
        return _existing(found, org), False
    return _existing(_key(row), org), False


def _existing(found: ProviderKey, org: str) -> ProviderKey:
    if found.org != org:
        raise UsageError(
            f"key {found.fingerprint} is registered for {found.org}, not {org}: a key "
            "belongs to one organisation, so each needs its own (peerreport keys show)"
        )
    if found.state != "active":
        when = found.revoked_at or found.retired_at
        assert when is not None
        raise UsageError(
            f"key {found.fingerprint} of {org} was {found.state} on {when:%d %B %Y}, and a "
            "key is never taken back: the provider makes a new one (peerreport keys rotate) "
            "and you register that"
        )
    return found


def retire_key(
    engine: Engine,
    org: str,
    fingerprint: str,
    revoked: bool = False,
    now: dt.datetime | None = None,
) -> ProviderKey:
    """Retire (or revoke) `org`'s key `fingerprint`: no bundle it signs is taken from now on.

    Retiring a retired key changes nothing; revoking a retired one records
    the revocation too.
    """
    fingerprint = check_fingerprint(fingerprint)
    when = _now(now)
    with engine.begin() as conn:
        row = conn.execute(
            select(provider_key).where(
                provider_key.c.org == org, provider_key.c.fingerprint == fingerprint
            )
        ).first()
        if row is None:
            raise UsageError(
                f"{org} has no registered key {fingerprint} (see: peerreport admin key list)"
            )
        changes: dict[str, dt.datetime] = {}
        if row.retired_at is None:
            changes["retired_at"] = when
        if revoked and row.revoked_at is None:
            changes["revoked_at"] = when
        if changes:
            conn.execute(update(provider_key).where(provider_key.c.id == row.id).values(**changes))
        found = conn.execute(select(provider_key).where(provider_key.c.id == row.id)).one()
    return _key(found)


def register_server_key(engine: Engine, org: str, folder: Path) -> str | None:
    """Register the signing key of `org`'s workspace on this server (`folder`), if it has one.

    The server made that key itself, so its bundles are `org`'s. Returns the
    fingerprint; a key already registered (or retired) is left as it is.
    """
    from peerreport.bundle.signing import public_key_pem
    from peerreport.workspace import CONFIG_NAME, load_workspace

    if not (folder / CONFIG_NAME).is_file():
        return None
    workspace = load_workspace(folder)
    own = workspace.own_fingerprint()
    if own is None:
        return None
    found = find_key(engine, own)
    if found is not None:
        return own
    pem = public_key_pem(workspace.public_key_path) if workspace.public_key_path.is_file() else None
    try:
        add_key(engine, org, own, pem, added_by="server")
    except UsageError:
        return own  # registered meanwhile, or the organisation is not in the database yet
    return own


def origin_problem(engine: Engine, org: str, signer: str | None) -> str | None:
    """Why a bundle `org` sends signed by `signer` (None: unsigned) is refused; None: taken."""
    how = (
        "The provider's coordinator reads their key's fingerprint with `peerreport keys show` "
        "and gives it to the server's admin by a channel the admin trusts; the admin registers "
        f"it with `peerreport admin key add {org} FINGERPRINT`. Then send the bundle again"
    )
    if signer is None:
        return (
            f"UNVERIFIED ORIGIN: the bundle is not signed, so nothing shows it comes from {org}. "
            "Make it again with `peerreport submit` (which signs with the workspace's key). " + how
        )
    found = find_key(engine, signer)
    if found is None:
        return (
            f"UNVERIFIED ORIGIN: the bundle is signed by key {signer}, which is not "
            f"registered for {org}. {how}"
        )
    if found.org != org:
        return (
            f"UNVERIFIED ORIGIN: the bundle is signed by key {signer}, which is registered "
            f"for {found.org}, not {org}: send only bundles your own workspace signed"
        )
    if found.state != "active":
        when = found.revoked_at or found.retired_at
        assert when is not None
        return (
            f"UNVERIFIED ORIGIN: the bundle is signed by key {signer}, which {org} used to have "
            f"but was {found.state} on {when:%d %B %Y}. Sign with the workspace's current key "
            f"(`peerreport keys show` names it) and have the admin register that one "
            f"(`peerreport admin key add {org} FINGERPRINT`)"
        )
    return None


def trusted_keys(engine: Engine, org: str) -> frozenset[str]:
    """`org`'s keys whose signatures still show its origin (active or retired; not revoked)."""
    return frozenset(k.fingerprint for k in keys_of(engine, org) if k.revoked_at is None)


__all__ = [
    "ADDED_BY",
    "FINGERPRINT",
    "ProviderKey",
    "add_key",
    "check_fingerprint",
    "find_key",
    "keys_of",
    "origin_problem",
    "public_key_of",
    "register_server_key",
    "retire_key",
    "trusted_keys",
]
