"""The hosted server's guard, in front of every route: who is asking, and may they.

For each request it
- refuses a Host header other than the public address's (DNS rebinding);
- finds who is asking: the signed session cookie of a signed-in person, or
  an API token (`Authorization: Bearer prt_...`, on `/api/` addresses only);
- finds the route the request is for and asks `peerreport.hosted.access`
  whether this person may use it with these path parameters (the only place
  that decides); a page for someone not signed in redirects to sign in;
- for anything that changes state with a cookie, requires the Origin (or
  Referer) to be the public address; the per-session CSRF token is then checked
  by the application's shared dependency;
- refuses bodies over the upload limit, as the local guard does;
- hands the route the person, their CSRF token and, on a coordinator's page,
  the desk of the organisation they chose, with the rule files its funders
  published;
- walls the request's transactions to the organisations the decision lets it
  reach (`access.reach`, `peerreport.hosted.walls`): on PostgreSQL the
  database then hides every other organisation's records and returns.
Every response carries the security headers (CSP without inline script,
frame-ancestors 'none', HSTS behind https).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote

from sqlalchemy import Engine, select
from starlette.routing import Match

from peerreport.hosted import access
from peerreport.hosted.access import Principal
from peerreport.hosted.config import ServerConfig
from peerreport.hosted.walls import reaching
from peerreport.web.security import (
    HEADERS,
    SAFE_METHODS,
    Message,
    Receive,
    Scope,
    Send,
    UploadTooBig,
    _counted,
    _headers,
    _plain,
    too_big_message,
)

SESSION_COOKIE = "peerreport_session"
PRE_COOKIE = "peerreport_pre"  # before signing in: keys the sign-in form's CSRF token
REFUSED_HOST = "This server answers only to its own address."
REFUSED_ORIGIN = "Refused: the request came from another web site, not from peerreport's pages."
#: How long facts about funders (providers, published rule files) are kept between lookups.
FACTS_SECONDS = 5.0


def sign(secret: str, value: str) -> str:
    """`value` with an HMAC of it under the server's secret key."""
    mac = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{value}.{mac}"


def unsign(secret: str, signed: str) -> str | None:
    """The value of a signed cookie, or None when it was not signed by this server."""
    value, _, _ = signed.rpartition(".")
    if not value:
        return None
    return value if hmac.compare_digest(sign(secret, value), signed) else None


def csrf_for(secret: str, purpose: str, value: str) -> str:
    """The CSRF token of a session (or of a sign-in form)."""
    return hmac.new(
        secret.encode(), f"csrf {purpose} {value}".encode(), hashlib.sha256
    ).hexdigest()[:40]


class DatabaseFacts:
    """`access.Facts` answered from the database, each kept for a few seconds."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.clock = clock
        self._lock = threading.Lock()
        self._kept: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}

    def _cached(self, key: tuple[str, str], read: Callable[[], frozenset[str]]) -> frozenset[str]:
        now = self.clock()
        with self._lock:
            found = self._kept.get(key)
            if found is not None and now - found[0] < FACTS_SECONDS:
                return found[1]
        value = read()
        with self._lock:
            self._kept[key] = (now, value)
        return value

    def providers(self, funder: str) -> frozenset[str]:
        """The organisations that report to `funder`."""
        from peerreport.hosted.directory import providers_of

        return self._cached(
            ("providers", funder),
            lambda: frozenset(code for code, _ in providers_of(self.engine, funder)),
        )

    def rule_ids(self, funder: str) -> frozenset[str]:
        """The rule file ids `funder` has published."""
        from peerreport.hosted.directory import published_rules

        return self._cached(
            ("rules", funder),
            lambda: frozenset(p.rule_id for p in published_rules(self.engine, funder=funder)),
        )

    def submission(self, ident: int) -> tuple[str, str] | None:
        """(organisation, rule id) of submitted return `ident`."""
        from peerreport.store.schema import submitted_return as sr

        with self.engine.connect() as conn:
            row = conn.execute(select(sr.c.org, sr.c.rule_id).where(sr.c.id == ident)).first()
        return (str(row.org), str(row.rule_id)) if row is not None else None

    def forget(self) -> None:
        """Drop what is kept (after an admin or a funder changed it)."""
        with self._lock:
            self._kept.clear()


class HostedGuard:
    """ASGI middleware: the checks in this module's docstring, before any route runs."""

    def __init__(
        self,
        app: Any,
        config: ServerConfig,
        engine: Engine,
        desks: Any,
        owner: Engine | None = None,
    ) -> None:
        self.app = app
        self.config = config
        #: What requests use (walled on PostgreSQL): sessions and tokens are read through it.
        self.engine = engine
        self.desks = desks
        # Deciding needs every organisation's facts (whose is submission 42?): the owner's engine.
        self.facts = DatabaseFacts(owner if owner is not None else engine)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        method = scope["method"]
        path = scope["path"]
        api = path.startswith("/api/")
        if headers.get("host", "") != self.config.host:
            await _refusal(send, 421, REFUSED_HOST, api)
            return
        principal, session_id, pre = self._who(headers, api)
        template, params = self._route(scope)
        decision = access.decide(principal, method, template, params, self.facts)
        if not decision.allowed:
            await self._refuse(send, decision, api, scope)
            return
        bearer = api and principal.role in (access.ORG_TOKEN, access.FUNDER_TOKEN)
        over: list[bool] = []
        if method not in SAFE_METHODS:
            if not bearer and not self._from_here(headers):
                await _refusal(send, 403, REFUSED_ORIGIN, api)
                return
            length = headers.get("content-length")
            limit = self.config.max_upload_bytes
            if length is not None and (not length.isdigit() or int(length) > limit):
                await _refusal(send, 413, too_big_message(limit), api)
                return
            receive = _counted(receive, limit, over)
        state = scope.setdefault("state", {})
        state["principal"] = principal
        state["session_id"] = session_id
        state["csrf_exempt"] = bearer
        new_pre = None
        if session_id is not None:
            state["csrf_token"] = csrf_for(self.config.secret_key, "session", session_id)
        else:
            new_pre = pre or secrets.token_urlsafe(24)
            state["csrf_token"] = csrf_for(self.config.secret_key, "pre", new_pre)
        state["hosted"] = self._page_context(principal, decision.org)
        token = None
        if decision.org is not None:
            desk = self.desks.for_org(decision.org)
            state["desk"] = desk
            from peerreport.web.rules import published_folders

            token = published_folders.set(self.desks.rule_folders(decision.org))
        try:
            with reaching(access.reach(principal, decision, self.facts)):
                await self._serve(scope, receive, send, over, None if pre else new_pre, api)
        finally:
            if token is not None:
                from peerreport.web.rules import published_folders

                published_folders.reset(token)

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        over: list[bool],
        pre: str | None,
        api: bool = False,
    ) -> None:
        started = False
        replaced = False
        extra_headers = list(HEADERS)
        if self.config.secure_cookies:
            extra_headers.append((b"strict-transport-security", b"max-age=31536000"))
        if pre is not None:
            extra_headers.append((b"set-cookie", self._cookie(PRE_COOKIE, pre, 3600).encode()))

        async def sending(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return
            if message["type"] == "http.response.start":
                started = True
                if over:
                    replaced = True
                    too_big = too_big_message(self.config.max_upload_bytes)
                    await _refusal(send, 413, too_big, api)
                    return
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in extra_headers if k not in present or k == b"set-cookie"]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except UploadTooBig:
            if not started:
                await _refusal(send, 413, too_big_message(self.config.max_upload_bytes), api)

    def _who(self, headers: dict[str, str], api: bool) -> tuple[Principal, str | None, str | None]:
        """(who is asking, their session id, the sign-in form's pre-session value)."""
        from peerreport.hosted.accounts import session_account, token_scope
        from peerreport.hosted.directory import scope_of
        from peerreport.store.times import utc_now

        if api:
            auth = headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                found = token_scope(self.engine, auth[7:].strip())
                if found is None:
                    return access.NOBODY_ASKING, None, None
                if found.kind == "org":
                    return Principal(access.ORG_TOKEN, orgs=frozenset({found.code})), None, None
                return Principal(access.FUNDER_TOKEN, funders=frozenset({found.code})), None, None
        cookies = _cookies(headers.get("cookie", ""))
        pre_signed = cookies.get(PRE_COOKIE)
        pre = unsign(self.config.secret_key, pre_signed) if pre_signed else None
        signed = cookies.get(SESSION_COOKIE)
        raw = unsign(self.config.secret_key, signed) if signed else None
        if raw is None:
            return access.NOBODY_ASKING, None, pre
        from datetime import timedelta

        found_session = session_account(
            self.engine, raw, utc_now(), timedelta(minutes=self.config.idle_minutes)
        )
        if found_session is None:
            return access.NOBODY_ASKING, None, pre
        session, account = found_session
        scope = scope_of(self.engine, account.id)
        principal = Principal(
            account.role,
            account.username,
            account.id,
            frozenset(scope.orgs),
            frozenset(scope.funders),
            session.current_org,
        )
        return principal, raw, pre

    def _route(self, scope: Scope) -> tuple[str, dict[str, str]]:
        """The path template of the route `scope` is for, and its path parameters."""
        for route in leaf_routes(self.app.router.routes):
            match, child = route.matches(scope)
            if match == Match.FULL:
                template = getattr(route, "path", "")
                params = {k: str(v) for k, v in child.get("path_params", {}).items()}
                if "path" in params and template.endswith("/static"):
                    return template, {}
                return template, params
        return scope["path"], {}

    def _from_here(self, headers: dict[str, str]) -> bool:
        """Whether a state-changing request came from this server's own pages."""
        origin = headers.get("origin")
        if origin is not None:
            return origin == self.config.base_url
        referer = headers.get("referer", "")
        return referer == self.config.base_url or referer.startswith(self.config.base_url + "/")

    async def _refuse(self, send: Send, decision: access.Decision, api: bool, scope: Scope) -> None:
        if api:
            await _json(send, decision.status, {"error": decision.reason})
            return
        target = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        here = target + (f"?{query}" if query else "")
        if decision.status == 401 and scope["method"] in SAFE_METHODS:
            await _redirect(send, f"/login?next={quote(here, safe='')}")
            return
        if decision.status == 409:
            await _redirect(send, f"/choose?next={quote(here, safe='')}")
            return
        await _plain(send, decision.status if decision.status != 401 else 403, decision.reason)

    def _page_context(self, principal: Principal, org: str | None) -> dict[str, Any] | None:
        """What the page frame shows a signed-in person: who they are and their navigation."""
        if not principal.signed_in:
            return {"signed_in": False, "nav": [], "can_choose": False}
        from peerreport.hosted.navigation import navigation

        return {
            "signed_in": True,
            "username": principal.username,
            "role": principal.role,
            "nav": navigation(principal, org),
            "can_choose": principal.role == access.COORDINATOR and len(principal.orgs) > 1,
        }

    def _cookie(self, name: str, value: str, max_age: int | None) -> str:
        parts = [
            f"{name}={sign(self.config.secret_key, value)}",
            "Path=/",
            "HttpOnly",
            "SameSite=Lax",
        ]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if self.config.secure_cookies:
            parts.append("Secure")
        return "; ".join(parts)

    def session_cookie(self, raw: str) -> str:
        """The Set-Cookie value that signs a person in (session id `raw`)."""
        return self._cookie(SESSION_COOKIE, raw, int(self.config.session_hours * 3600))

    def cleared_cookie(self) -> str:
        """The Set-Cookie value that signs a person out."""
        return f"{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"


def leaf_routes(routes: list[Any]) -> list[Any]:
    """Every route, also inside included routers (newer FastAPI keeps those as one route each).

    The hosted application includes its routers without a prefix, so a leaf's
    own path is the whole path.
    """
    found: list[Any] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None and hasattr(inner, "routes"):
            found.extend(leaf_routes(list(inner.routes)))
        else:
            found.append(route)
    return found


def _cookies(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key and key not in found:
            found[key] = value
    return found


async def _redirect(send: Send, target: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [
                (b"location", target.encode("latin-1")),
                (b"content-length", b"0"),
                *HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})


async def _refusal(send: Send, status: int, text: str, api: bool) -> None:
    """A refusal: JSON `{"error": ...}` on /api/ addresses, a plain page elsewhere."""
    if api:
        await _json(send, status, {"error": text})
    else:
        await _plain(send, status, text)


async def _json(send: Send, status: int, body: dict[str, Any]) -> None:
    import json

    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


def query_of(scope: Scope) -> dict[str, str]:
    """The query parameters of a request (last value wins)."""
    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))


__all__ = ["HostedGuard", "csrf_for", "sign", "unsign"]
