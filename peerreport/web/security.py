"""The local server's guard, in front of every route: one place for every access decision.

A request is served only when
- its Host header names this machine's loopback (a web page that rebinds a
  domain name to 127.0.0.1 cannot reach it);
- it carries the secret token: `?token=...` in the first address (the guard
  then sets it as an HttpOnly, SameSite=Strict cookie and redirects to the same
  address without it), or that cookie afterwards. Another local user's
  process, or a web page open in the same browser, does not have it;
- when it changes anything (any method but GET and HEAD), its Origin (or,
  failing that, its Referer) is this server, and it is no bigger than the
  upload limit (refused from its Content-Length, or as soon as more bytes
  arrive than that). The CSRF token is checked by the routes' shared
  dependency (`check_csrf`), where the form is read.

Every response carries a Content-Security-Policy without inline script,
frame-ancestors 'none', nosniff and no caching.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from peerreport.web.config import COOKIE, CSRF_FIELD, CSRF_HEADER, WebConfig

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = {"GET", "HEAD"}
HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        b"object-src 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # Same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on a form
    # POST, and the Origin check below could not tell our own forms from anyone's.
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]

REFUSED_TOKEN = (
    "This page needs the address that `peerreport serve` printed when it started "
    "(it holds a secret). Open that address, or start peerreport serve again."
)
REFUSED_HOST = "This server answers only to its own address on this computer."
REFUSED_ORIGIN = "Refused: the request came from another web site, not from peerreport's pages."
REFUSED_CSRF = (
    "Refused: the form's security token is missing or out of date. Go back, reload the "
    "page and try again."
)


def too_big_message(limit: int) -> str:
    """What a coordinator reads when an upload is over the limit."""
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"
    return (
        f"The upload is too big: the limit is {size} for all files "
        "together. Split the log into smaller files (for example one per quarter), or ask "
        "whoever runs peerreport to raise the limit (peerreport serve --max-upload-mb)."
    )


class UploadTooBig(Exception):
    """More bytes arrived than the upload limit allows."""


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


class LocalGuard:
    """ASGI middleware: the checks in this module's docstring, before any route runs."""

    def __init__(self, app: ASGIApp, config: WebConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        method = scope["method"]
        host = headers.get("host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name not in self.config.allowed_hosts:
            await _plain(send, 421, REFUSED_HOST)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        given = query.get("token")
        if given is not None and method in SAFE_METHODS and _same(given, self.config.token):
            rest = {k: v for k, v in query.items() if k != "token"}
            target = scope["path"] + (f"?{urlencode(rest)}" if rest else "")
            await _redirect_with_cookie(send, target, self.config.token)
            return
        cookie = _cookie(headers.get("cookie", ""), COOKIE)
        if cookie is None or not _same(cookie, self.config.token):
            await _plain(send, 403, REFUSED_TOKEN)
            return
        over: list[bool] = []  # set when the body passes the upload limit
        if method not in SAFE_METHODS:
            if not _from_here(headers, host):
                await _plain(send, 403, REFUSED_ORIGIN)
                return
            length = headers.get("content-length")
            limit = self.config.max_upload_bytes
            if length is not None and (not length.isdigit() or int(length) > limit):
                await _plain(send, 413, too_big_message(limit))
                return
            receive = _counted(receive, limit, over)
        started = False
        replaced = False

        async def sending(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return  # the app's own answer to a body cut short is not sent
            if message["type"] == "http.response.start":
                started = True
                if over:
                    # The body passed the limit while a route read it; whatever the
                    # framework made of the cut-off body (FastAPI says 400), it is a 413.
                    replaced = True
                    await _plain(send, 413, too_big_message(self.config.max_upload_bytes))
                    return
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except UploadTooBig:
            if not started:
                await _plain(send, 413, too_big_message(self.config.max_upload_bytes))


def _from_here(headers: dict[str, str], host: str) -> bool:
    """Whether a state-changing request came from this server's own pages."""
    origin = headers.get("origin")
    if origin is None:
        referer = headers.get("referer")
        if referer is None:
            return False
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin in (f"http://{host}", f"https://{host}")


def _counted(receive: Receive, limit: int, over: list[bool]) -> Receive:
    """`receive`, raising UploadTooBig (and noting it in `over`) once the body passes `limit`."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                over.append(True)
                raise UploadTooBig
        return message

    return counted


_PLAIN_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;color:#1b1f24;max-width:46em;margin:40px auto;"
    "padding:0 16px}h1{color:#1f4e79}"
)


def plain_page(text: str) -> str:
    """A refusal as a whole page, standing alone (no stylesheet, no cookie needed).

    Its message is the page's #upload-result, so an upload posted by htmx shows it in place.
    """
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>peerreport</title>"
        # Inline: without the cookie, the stylesheet's own request is refused too.
        f"<style>{_PLAIN_STYLE}</style></head><body><main><h1>peerreport</h1>"
        f"<div id='upload-result' class='notice notice-error' role='alert'><p>{text}</p>"
        "</div></main></body></html>"
    )


async def _plain(send: Send, status: int, text: str) -> None:
    body = plain_page(text).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _redirect_with_cookie(send: Send, target: str, token: str) -> None:
    cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [
                (b"location", target.encode("latin-1")),
                (b"set-cookie", cookie.encode("latin-1")),
                (b"content-length", b"0"),
                *HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})


def csrf_ok(expected: str, form_value: object, header_value: str | None) -> bool:
    """Whether a form field or the htmx header carries the expected CSRF token."""
    for value in (form_value, header_value):
        if isinstance(value, str) and _same(value, expected):
            return True
    return False


__all__ = ["CSRF_FIELD", "CSRF_HEADER", "LocalGuard", "csrf_ok", "plain_page"]
