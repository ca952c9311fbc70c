"""What one running web application serves, and how it is guarded."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from pathlib import Path

#: Uploads larger than this (all files of one request together) are refused unread.
DEFAULT_MAX_UPLOAD_MB = 200
COOKIE = "peerreport_local"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class WebConfig:
    """One web application: its workspace (or where to make one), secret and limits.

    `workspace_dir` None means no workspace yet: the Get started page makes
    one in `base_dir`. `token` is the secret a browser must present (made at
    random when not given). `allowed_hosts` are the Host header names
    accepted (loopback names in local mode), against DNS rebinding.
    """

    base_dir: Path
    workspace_dir: Path | None = None
    db_url: str | None = None
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]")
    #: Build the likely next review pages in the background (at start and after an upload).
    prepare_ahead: bool = False

    @property
    def csrf_token(self) -> str:
        """The CSRF token forms carry: derived from the secret, useless without the cookie."""
        digest = hmac.new(self.token.encode(), b"peerreport csrf", hashlib.sha256)
        return digest.hexdigest()[:40]
