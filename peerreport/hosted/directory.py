"""Who is on a hosted server: organisations, funders, which providers report to whom,
and which organisations and funders each account may see.

The admin CLI and the web's admin pages both call these. What an account may
do with what it can see is decided in `peerreport.hosted.access`; this module
only records the grants, and refuses grants that make no sense for the role
(a coordinator of a funder, say). A funder's published rule files
(`publishing`) and the bundles received from providers (`bundles`) are
re-exported here, so the application layer has one place to look.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from peerreport.errors import UsageError
from peerreport.hosted.accounts import account_by_name
from peerreport.hosted.bundles import bundle_of, store_bundle
from peerreport.hosted.publishing import (
    PublishedRule,
    materialise_rules,
    publish_rule,
    published_rules,
    template_of,
)
from peerreport.store.hosted_schema import account_scope, funder, funder_provider
from peerreport.store.schema import organisation
from peerreport.workspace import validate_provider_code

_FUNDER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
#: The kinds of grant each role may hold.
GRANTABLE = {
    "admin": (),
    "coordinator": ("org",),
    "funder": ("funder",),
    "auditor": ("org", "funder"),
}


@dataclass(frozen=True)
class Scope:
    """The organisations and funders an account has been granted, by code."""

    orgs: tuple[str, ...]
    funders: tuple[str, ...]


def _now(now: dt.datetime | None) -> dt.datetime:
    return dt.datetime.now(dt.UTC) if now is None else now


def validate_funder_code(code: str) -> str:
    """A funder code is 1-32 letters, digits, '.', '_' or '-'."""
    if not _FUNDER_CODE.match(code):
        raise UsageError(
            f"funder code {code!r} must be 1-32 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return code


def _name(name: str, what: str) -> str:
    name = name.strip()
    if not name or len(name) > 200:
        raise UsageError(f"the {what}'s name must be 1-200 characters")
    return name


def _org_name(conn: Connection, code: str) -> str | None:
    row = conn.execute(select(organisation.c.name).where(organisation.c.org == code)).first()
    return None if row is None else str(row.name)


def _funder_name(conn: Connection, code: str) -> str | None:
    row = conn.execute(select(funder.c.name).where(funder.c.code == code)).first()
    return None if row is None else str(row.name)


def _require(conn: Connection, kind: str, code: str) -> None:
    if kind == "org" and _org_name(conn, code) is None:
        raise UsageError(f"there is no organisation {code!r} (see: peerreport admin org list)")
    if kind == "funder" and _funder_name(conn, code) is None:
        raise UsageError(f"there is no funder {code!r} (see: peerreport admin funder list)")


def add_organisation(engine: Engine, code: str, name: str, now: dt.datetime | None = None) -> None:
    """Add an organisation (its provider code and name); a plain error if the code is taken."""
    validate_provider_code(code)
    name = _name(name, "organisation")
    try:
        with engine.begin() as conn:
            existing = _org_name(conn, code)
            if existing is not None:
                raise UsageError(f"there is already an organisation {code!r} ({existing})")
            conn.execute(insert(organisation).values(org=code, name=name, created_at=_now(now)))
    except IntegrityError:  # added at the same moment by someone else
        raise UsageError(f"there is already an organisation {code!r}") from None


def add_funder(engine: Engine, code: str, name: str, now: dt.datetime | None = None) -> None:
    """Add a funder (its code and name); a plain error if the code is taken."""
    validate_funder_code(code)
    name = _name(name, "funder")
    try:
        with engine.begin() as conn:
            existing = _funder_name(conn, code)
            if existing is not None:
                raise UsageError(f"there is already a funder {code!r} ({existing})")
            conn.execute(insert(funder).values(code=code, name=name, created_at=_now(now)))
    except IntegrityError:  # added at the same moment by someone else
        raise UsageError(f"there is already a funder {code!r}") from None


def link_provider(
    engine: Engine, funder_code: str, org: str, now: dt.datetime | None = None
) -> None:
    """Record that `org` files returns to `funder_code` (again changes nothing)."""
    with engine.begin() as conn:
        _require(conn, "funder", funder_code)
        _require(conn, "org", org)
        linked = conn.execute(
            select(funder_provider.c.org).where(
                funder_provider.c.funder == funder_code, funder_provider.c.org == org
            )
        ).first()
        if linked is None:
            conn.execute(
                insert(funder_provider).values(funder=funder_code, org=org, since=_now(now))
            )


def providers_of(engine: Engine, funder_code: str) -> list[tuple[str, str]]:
    """(code, name) of the organisations reporting to the funder, by name."""
    query = (
        select(organisation.c.org, organisation.c.name)
        .join(funder_provider, funder_provider.c.org == organisation.c.org)
        .where(funder_provider.c.funder == funder_code)
        .order_by(organisation.c.name, organisation.c.org)
    )
    with engine.connect() as conn:
        return [(str(r.org), str(r.name)) for r in conn.execute(query)]


def funders_of(engine: Engine, org: str) -> list[tuple[str, str]]:
    """(code, name) of the funders the organisation reports to, by name."""
    query = (
        select(funder.c.code, funder.c.name)
        .join(funder_provider, funder_provider.c.funder == funder.c.code)
        .where(funder_provider.c.org == org)
        .order_by(funder.c.name, funder.c.code)
    )
    with engine.connect() as conn:
        return [(str(r.code), str(r.name)) for r in conn.execute(query)]


def organisations(engine: Engine) -> list[tuple[str, str]]:
    """(code, name) of every organisation, by name."""
    query = select(organisation.c.org, organisation.c.name).order_by(
        organisation.c.name, organisation.c.org
    )
    with engine.connect() as conn:
        return [(str(r.org), str(r.name)) for r in conn.execute(query)]


def funders(engine: Engine) -> list[tuple[str, str]]:
    """(code, name) of every funder, by name."""
    query = select(funder.c.code, funder.c.name).order_by(funder.c.name, funder.c.code)
    with engine.connect() as conn:
        return [(str(r.code), str(r.name)) for r in conn.execute(query)]


def org_names(engine: Engine, codes: Iterable[str]) -> dict[str, str]:
    """code -> name for the given organisation codes (unknown codes are left out)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    query = select(organisation.c.org, organisation.c.name).where(organisation.c.org.in_(wanted))
    with engine.connect() as conn:
        return {str(r.org): str(r.name) for r in conn.execute(query)}


def _what(kind: str) -> str:
    if kind not in ("org", "funder"):
        raise UsageError(f"access is granted to an 'org' or a 'funder', not {kind!r}")
    return "organisation" if kind == "org" else "funder"


def grant(engine: Engine, username: str, kind: str, code: str) -> None:
    """Let the account see organisation or funder `code` (as its role allows; again: no change)."""
    what = _what(kind)
    person = account_by_name(engine, username)
    if person is None:
        raise UsageError(f"there is no account {username.strip().lower()!r}")
    allowed = GRANTABLE[person.role]
    if kind not in allowed:
        if not allowed:
            raise UsageError(f"{person.username} is an admin and sees everything: nothing to grant")
        kinds = " or ".join("organisations" if k == "org" else "funders" for k in allowed)
        raise UsageError(
            f"{person.username} is a {person.role}: a {person.role} is granted {kinds}, "
            f"not a {what}"
        )
    with engine.begin() as conn:
        _require(conn, kind, code)
        granted = conn.execute(
            select(account_scope.c.code).where(
                account_scope.c.account_id == person.id,
                account_scope.c.kind == kind,
                account_scope.c.code == code,
            )
        ).first()
        if granted is None:
            conn.execute(insert(account_scope).values(account_id=person.id, kind=kind, code=code))


def revoke(engine: Engine, username: str, kind: str, code: str) -> None:
    """Take away the account's access to organisation or funder `code`."""
    what = _what(kind)
    person = account_by_name(engine, username)
    if person is None:
        raise UsageError(f"there is no account {username.strip().lower()!r}")
    with engine.begin() as conn:
        done = conn.execute(
            delete(account_scope).where(
                account_scope.c.account_id == person.id,
                account_scope.c.kind == kind,
                account_scope.c.code == code,
            )
        )
    if not done.rowcount:
        raise UsageError(f"{person.username} has no access to {what} {code!r}")


def scope_of(engine: Engine, account_id: int) -> Scope:
    """The organisations and funders granted to the account, each sorted by code."""
    query = select(account_scope.c.kind, account_scope.c.code).where(
        account_scope.c.account_id == account_id
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return Scope(
        orgs=tuple(sorted(str(r.code) for r in rows if r.kind == "org")),
        funders=tuple(sorted(str(r.code) for r in rows if r.kind == "funder")),
    )


__all__ = [
    "GRANTABLE",
    "PublishedRule",
    "Scope",
    "add_funder",
    "add_organisation",
    "bundle_of",
    "funders",
    "funders_of",
    "grant",
    "link_provider",
    "materialise_rules",
    "org_names",
    "organisations",
    "providers_of",
    "publish_rule",
    "published_rules",
    "revoke",
    "scope_of",
    "store_bundle",
    "template_of",
    "validate_funder_code",
]
