"""An in-process client for the web application, as a browser on this computer would be."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from peerreport.web.app import create_app
from peerreport.web.config import WebConfig

BASE = "http://127.0.0.1:8765"
ORIGIN = {"origin": BASE}


def config_for(base_dir: Path, workspace: Path | None, **options: Any) -> WebConfig:
    """A local-mode configuration (loopback host names, as `peerreport serve` uses)."""
    return WebConfig(base_dir=base_dir, workspace_dir=workspace, **options)


def client(config: WebConfig, signed_in: bool = True) -> TestClient:
    """A client at 127.0.0.1; signed in = it opened the first address (the cookie is set)."""
    made = TestClient(create_app(config), base_url=BASE, follow_redirects=False)
    if signed_in:
        first = made.get(f"/?token={config.token}")
        assert first.status_code == 303, first.text
    return made


def csrf(config: WebConfig) -> dict[str, str]:
    """The form field a page's form carries."""
    return {"csrf_token": config.csrf_token}


def csrf_from(html: str) -> str:
    """The CSRF token in a page's form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found[1]
