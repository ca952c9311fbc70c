"""Sending a bundle to a hosted peerreport server: the client side of `POST /api/v1/bundles`.

Used by `peerreport submit --to URL`. The standard library's urllib is enough
for one POST, so a local install needs no HTTP client of its own. The token
is an organisation's API token (`prt_...`), read from a file or the
environment, never from the command line (where other users of the computer
could see it). It is sent only over https, or plain http to this computer
itself (a server on 127.0.0.1, as in a test), never in clear over a network.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from peerreport.errors import UsageError

TOKEN_ENV = "PEERREPORT_API_TOKEN"
BUNDLES_PATH = "/api/v1/bundles"
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
TIMEOUT_SECONDS = 120.0


class DeliveryError(UsageError):
    """The server refused the bundle, or could not be reached; the message says which."""


@dataclass(frozen=True)
class Delivery:
    """What the server said about a bundle it took."""

    status: int
    answer: dict[str, Any]

    @property
    def created(self) -> bool:
        """False when the server had received this very bundle before."""
        return self.status == 201

    def words(self) -> str:
        """The server's answer in a sentence."""
        a = self.answer
        what = (
            f"{a.get('rule_id')} {a.get('period_label')} for {a.get('organisation')}, "
            f"version {a.get('version')}"
        )
        if not self.created:
            return (
                f"The server already had this bundle: {what} (its id {a.get('id')}, "
                f"{a.get('state')})."
            )
        return f"The server recorded {what} (its id {a.get('id')}); it is {a.get('state')}."


def read_token(token_file: Path | None, env: dict[str, str] | None = None) -> str:
    """The API token: from `token_file`, else PEERREPORT_API_TOKEN; a plain error when neither."""
    if token_file is not None:
        try:
            token = token_file.read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the token file {token_file}: {exc}") from exc
        if not token:
            raise UsageError(f"the token file {token_file} is empty")
    else:
        token = (os.environ if env is None else env).get(TOKEN_ENV, "").strip()
        if not token:
            raise UsageError(
                f"no API token: give --token-file FILE, or set {TOKEN_ENV} (ask the server's "
                "admin for your organisation's token)"
            )
    if not token.startswith("prt_") or any(c.isspace() for c in token):
        raise UsageError("that is not a peerreport API token (they start with prt_)")
    return token


def bundles_url(server: str) -> str:
    """The address to send bundles to on `server` (its base address, as people open it)."""
    parts = urlsplit(server.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"--to {server!r} must be the server's address, like https://reports.example.org"
        )
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise UsageError(
            f"--to {server}: use https (the token would cross the network unencrypted)"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}{BUNDLES_PATH}"


def send_bundle(server: str, token: str, data: bytes, timeout: float = TIMEOUT_SECONDS) -> Delivery:
    """POST the bundle `data` to `server`; the server's answer, or `DeliveryError`."""
    url = bundles_url(server)
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/zip",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Delivery(response.status, _json(response.read()))
    except urllib.error.HTTPError as exc:
        answer = _json(exc.read())
        reason = answer.get("error") or exc.reason
        raise DeliveryError(f"the server refused the bundle ({exc.code}): {reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        why = getattr(exc, "reason", None) or exc
        raise DeliveryError(f"cannot reach {url}: {why}") from None


def _json(body: bytes) -> dict[str, Any]:
    try:
        found = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


__all__ = ["Delivery", "DeliveryError", "read_token", "send_bundle"]
