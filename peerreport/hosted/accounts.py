"""The people who sign in to a hosted server: accounts, passwords, sessions, API tokens.

Passwords are kept only as argon2id hashes (argon2-cffi's recommended
parameters; a hash made with older parameters is remade at the next login).
A login is refused with the same words whether the username is unknown or the
password wrong, and an unknown username is checked against a dummy hash so
both take the same time. After `attempts` wrong passwords in a row the
account is locked for a while.

A signed-in browser holds a random session id; the database keeps only its
sha256, so a copy of the database lets nobody in. A session ends at a fixed
time after login, or earlier when left unused. API tokens (for programs
filing or fetching for one organisation or funder) are kept the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from peerreport.errors import PeerreportError, UsageError
from peerreport.store.hosted_schema import ROLES, account, api_token, web_session
from peerreport.store.hosted_schema import funder as funder_table
from peerreport.store.schema import organisation
from peerreport.store.times import as_utc

#: The hasher for new passwords: argon2-cffi's recommended defaults (RFC 9106, low memory).
#: Tests may swap in a cheaper one; production never does.
HASHER = PasswordHasher()
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
TOKEN_PREFIX = "prt_"
TOKEN_KINDS = ("org", "funder")
#: last_seen_at is written at most this often, so every page view is not a write.
SEEN_EVERY = dt.timedelta(minutes=1)
REFUSED = "wrong username or password"
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{3,120}$")


class LoginRefused(PeerreportError):
    """A login was refused: wrong username or password, a locked or a disabled account."""


@dataclass(frozen=True)
class Account:
    """A person who signs in (never their password or its hash)."""

    id: int
    username: str
    display_name: str
    role: str
    disabled: bool
    locked_until: dt.datetime | None


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser, known by the sha256 of its session id."""

    id_hash: str
    account_id: int
    created_at: dt.datetime
    expires_at: dt.datetime
    current_org: str | None


@dataclass(frozen=True)
class TokenScope:
    """What an API token may act for: one organisation or one funder."""

    kind: str
    code: str
    id: int


@dataclass(frozen=True)
class ApiToken:
    """An API token as listed (never the token or its hash)."""

    id: int
    kind: str
    code: str
    label: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def _now(now: dt.datetime | None) -> dt.datetime:
    return dt.datetime.now(dt.UTC) if now is None else now


def _sha256(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def normalise_username(username: str) -> str:
    """The username as stored (lowercased); a plain UsageError when it is not a username."""
    name = username.strip()
    if not _USERNAME.match(name):
        raise UsageError(
            f"username {username!r} must be 3-120 letters, digits, '.', '_', '-' or '@'"
        )
    return name.lower()


def check_password(password: str) -> None:
    """A plain UsageError unless `password` is long enough and not one repeated character."""
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password must be at least {MIN_PASSWORD} characters long")
    if len(password) > MAX_PASSWORD:
        raise UsageError(f"the password must be at most {MAX_PASSWORD} characters long")
    if len(set(password)) == 1:
        raise UsageError("the password must not be one character repeated")


def _account(row: Any) -> Account:
    return Account(
        id=int(row.id),
        username=str(row.username),
        display_name=str(row.display_name),
        role=str(row.role),
        disabled=bool(row.disabled),
        locked_until=as_utc(row.locked_until) if row.locked_until is not None else None,
    )


def _row_named(conn: Connection, username: str) -> Any:
    name = username.strip().lower()
    return conn.execute(select(account).where(account.c.username == name)).first()


def create_account(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    now: dt.datetime | None = None,
) -> Account:
    """A new account; plain UsageErrors for a bad username, password, role or a taken name."""
    name = normalise_username(username)
    if role not in ROLES:
        raise UsageError(f"role {role!r} is not one of: {', '.join(ROLES)}")
    check_password(password)
    shown = (display_name or "").strip() or name
    if len(shown) > 200:
        raise UsageError("the display name must be at most 200 characters")
    now = _now(now)
    password_hash = HASHER.hash(password)
    taken = UsageError(f"there is already an account {name!r}")
    try:
        with engine.begin() as conn:
            if _row_named(conn, name) is not None:
                raise taken
            conn.execute(
                insert(account).values(
                    username=name,
                    display_name=shown,
                    role=role,
                    password_hash=password_hash,
                    created_at=now,
                    password_changed_at=now,
                    failed_logins=0,
                    disabled=False,
                )
            )
            row = _row_named(conn, name)
    except IntegrityError:  # made at the same moment by someone else
        raise taken from None
    return _account(row)


def _existing(conn: Connection, username: str) -> Any:
    row = _row_named(conn, username)
    if row is None:
        raise UsageError(f"there is no account {username.strip().lower()!r}")
    return row


def set_password(
    engine: Engine, username: str, password: str, now: dt.datetime | None = None
) -> None:
    """Give the account a new password, lift any lockout and end its sessions."""
    check_password(password)
    password_hash = HASHER.hash(password)
    with engine.begin() as conn:
        row = _existing(conn, username)
        conn.execute(
            update(account)
            .where(account.c.id == row.id)
            .values(
                password_hash=password_hash,
                password_changed_at=_now(now),
                failed_logins=0,
                locked_until=None,
            )
        )
        conn.execute(delete(web_session).where(web_session.c.account_id == row.id))


def set_disabled(engine: Engine, username: str, disabled: bool) -> None:
    """Disable (ending its sessions) or enable an account."""
    with engine.begin() as conn:
        row = _existing(conn, username)
        conn.execute(update(account).where(account.c.id == row.id).values(disabled=disabled))
        if disabled:
            conn.execute(delete(web_session).where(web_session.c.account_id == row.id))


def accounts(engine: Engine) -> list[Account]:
    """Every account, by username."""
    with engine.connect() as conn:
        return [_account(r) for r in conn.execute(select(account).order_by(account.c.username))]


def account_by_id(engine: Engine, account_id: int) -> Account | None:
    """The account with this id, if any."""
    with engine.connect() as conn:
        row = conn.execute(select(account).where(account.c.id == account_id)).first()
    return None if row is None else _account(row)


def account_by_name(engine: Engine, username: str) -> Account | None:
    """The account with this username (any case), if any."""
    with engine.connect() as conn:
        row = _row_named(conn, username)
    return None if row is None else _account(row)


def admins_exist(engine: Engine) -> bool:
    """True when some account has the admin role."""
    with engine.connect() as conn:
        query = select(func.count()).select_from(account).where(account.c.role == "admin")
        return bool(conn.execute(query).scalar_one())


# -- logging in ---------------------------------------------------------------

_DUMMY: dict[tuple[Any, ...], str] = {}


def _dummy_hash() -> str:
    """A hash with the current hasher's parameters, to check unknown usernames against."""
    key = (HASHER.time_cost, HASHER.memory_cost, HASHER.parallelism, HASHER.hash_len)
    if key not in _DUMMY:
        _DUMMY[key] = HASHER.hash(secrets.token_urlsafe(16))
    return _DUMMY[key]


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _minutes(left: dt.timedelta) -> str:
    minutes = max(1, math.ceil(left.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _locked(until: dt.datetime, now: dt.datetime) -> str:
    return (
        f"this account is locked after too many failed logins; try again in "
        f"{_minutes(until - now)}, or ask an administrator to set a new password"
    )


def authenticate(
    engine: Engine,
    username: str,
    password: str,
    now: dt.datetime,
    attempts: int = 5,
    lockout: dt.timedelta = dt.timedelta(minutes=15),
) -> Account:
    """The account whose username and password these are; `LoginRefused` otherwise."""
    with engine.connect() as conn:
        row = _row_named(conn, username)
    if row is None:
        _verifies(_dummy_hash(), password)  # the same work as for a real account
        raise LoginRefused(REFUSED)
    if row.locked_until is not None and as_utc(row.locked_until) > now:
        raise LoginRefused(_locked(as_utc(row.locked_until), now))
    right = _verifies(row.password_hash, password)
    new_hash = (
        HASHER.hash(password) if right and HASHER.check_needs_rehash(row.password_hash) else None
    )

    refusal: str | None = None
    with engine.begin() as conn:
        # Read again under a row lock: attempts running side by side count one by one.
        row = conn.execute(select(account).where(account.c.id == row.id).with_for_update()).one()
        locked_until = as_utc(row.locked_until) if row.locked_until is not None else None
        changes: dict[str, Any] = {}
        if locked_until is not None and locked_until > now:
            refusal = _locked(locked_until, now)
        elif not right:
            failures = int(row.failed_logins) + 1
            if failures >= attempts:
                changes = {"failed_logins": 0, "locked_until": now + lockout}
                refusal = _locked(now + lockout, now)
            else:
                changes = {"failed_logins": failures}
                refusal = REFUSED
        elif row.disabled:
            refusal = "this account is disabled; ask an administrator"
        else:
            changes = {"failed_logins": 0, "locked_until": None}
            if new_hash is not None:
                changes["password_hash"] = new_hash
        if changes:
            conn.execute(update(account).where(account.c.id == row.id).values(**changes))
        if refusal is None:
            row = conn.execute(select(account).where(account.c.id == row.id)).one()
    if refusal is not None:
        raise LoginRefused(refusal)
    return _account(row)


# -- sessions -----------------------------------------------------------------


def start_session(engine: Engine, account_id: int, now: dt.datetime, lifetime: dt.timedelta) -> str:
    """A new session for the account; the raw session id (for the cookie) is returned once."""
    raw = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(
            insert(web_session).values(
                id_hash=_sha256(raw),
                account_id=account_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + lifetime,
                current_org=None,
            )
        )
    return raw


def session_account(
    engine: Engine, raw_id: str, now: dt.datetime, idle: dt.timedelta
) -> tuple[WebSession, Account] | None:
    """The session and its account, or None when unknown, expired, idle too long or disabled."""
    if not raw_id or len(raw_id) > 200:
        return None
    id_hash = _sha256(raw_id)
    with engine.begin() as conn:
        row = conn.execute(select(web_session).where(web_session.c.id_hash == id_hash)).first()
        if row is None:
            return None
        person = conn.execute(select(account).where(account.c.id == row.account_id)).one()
        expires_at = as_utc(row.expires_at)
        last_seen = as_utc(row.last_seen_at)
        if expires_at <= now or now - last_seen > idle or person.disabled:
            conn.execute(delete(web_session).where(web_session.c.id_hash == id_hash))
            return None
        if now - last_seen >= SEEN_EVERY:
            conn.execute(
                update(web_session).where(web_session.c.id_hash == id_hash).values(last_seen_at=now)
            )
    session = WebSession(
        id_hash=id_hash,
        account_id=int(row.account_id),
        created_at=as_utc(row.created_at),
        expires_at=expires_at,
        current_org=row.current_org,
    )
    return session, _account(person)


def end_session(engine: Engine, raw_id: str) -> None:
    """End one session (logging out); nothing happens for an unknown one."""
    with engine.begin() as conn:
        conn.execute(delete(web_session).where(web_session.c.id_hash == _sha256(raw_id)))


def end_sessions_for(engine: Engine, account_id: int) -> int:
    """End every session of the account; how many there were."""
    with engine.begin() as conn:
        done = conn.execute(delete(web_session).where(web_session.c.account_id == account_id))
    return int(done.rowcount)


def end_stale_sessions(engine: Engine, now: dt.datetime, idle: dt.timedelta) -> int:
    """Forget sessions past their end or unused too long; how many there were."""
    with engine.begin() as conn:
        done = conn.execute(
            delete(web_session).where(
                (web_session.c.expires_at <= now) | (web_session.c.last_seen_at < now - idle)
            )
        )
    return int(done.rowcount)


def set_current_org(engine: Engine, raw_id: str, org: str | None) -> None:
    """Remember which organisation the session is working on (the caller checks access)."""
    with engine.begin() as conn:
        conn.execute(
            update(web_session)
            .where(web_session.c.id_hash == _sha256(raw_id))
            .values(current_org=org)
        )


# -- API tokens ---------------------------------------------------------------


def issue_token(
    engine: Engine, kind: str, code: str, label: str, now: dt.datetime | None = None
) -> str:
    """A new API token for one organisation or funder: shown now, never again."""
    if kind not in TOKEN_KINDS:
        raise UsageError(f"a token is for an 'org' or a 'funder', not {kind!r}")
    label = label.strip()
    if not label or len(label) > 200:
        raise UsageError("give the token a label of 1-200 characters (what uses it)")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        column = organisation.c.org if kind == "org" else funder_table.c.code
        if conn.execute(select(column).where(column == code)).first() is None:
            what = "organisation" if kind == "org" else "funder"
            raise UsageError(f"there is no {what} {code!r}")
        conn.execute(
            insert(api_token).values(
                token_hash=_sha256(raw),
                kind=kind,
                code=code,
                label=label,
                created_at=_now(now),
                revoked_at=None,
            )
        )
    return raw


def token_scope(engine: Engine, raw: str) -> TokenScope | None:
    """What the token may act for; None when it is unknown or revoked."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(api_token).where(
                api_token.c.token_hash == _sha256(raw), api_token.c.revoked_at.is_(None)
            )
        ).first()
    return None if row is None else TokenScope(kind=row.kind, code=row.code, id=int(row.id))


def revoke_token(engine: Engine, token_id: int, now: dt.datetime | None = None) -> None:
    """Revoke a token: it stops working at once (revoking it again changes nothing)."""
    with engine.begin() as conn:
        row = conn.execute(select(api_token).where(api_token.c.id == token_id)).first()
        if row is None:
            raise UsageError(f"there is no API token {token_id} (see: peerreport admin token list)")
        if row.revoked_at is None:
            conn.execute(
                update(api_token).where(api_token.c.id == token_id).values(revoked_at=_now(now))
            )


def tokens(engine: Engine) -> list[ApiToken]:
    """Every API token, oldest first (without the tokens themselves)."""
    with engine.connect() as conn:
        rows = conn.execute(select(api_token).order_by(api_token.c.id)).all()
    return [
        ApiToken(
            id=int(r.id),
            kind=r.kind,
            code=r.code,
            label=r.label,
            created_at=as_utc(r.created_at),
            revoked_at=as_utc(r.revoked_at) if r.revoked_at is not None else None,
        )
        for r in rows
    ]


__all__ = [
    "HASHER",
    "ROLES",
    "Account",
    "ApiToken",
    "LoginRefused",
    "TokenScope",
    "WebSession",
    "account_by_id",
    "account_by_name",
    "accounts",
    "admins_exist",
    "authenticate",
    "check_password",
    "create_account",
    "end_session",
    "end_sessions_for",
    "end_stale_sessions",
    "issue_token",
    "normalise_username",
    "revoke_token",
    "session_account",
    "set_current_org",
    "set_disabled",
    "set_password",
    "start_session",
    "token_scope",
    "tokens",
]
