"""The hosted server's own routes: signing in, the funder's, auditor's and admin's pages, the API.

Routes are thin over the application layer and never decide access:
`peerreport.hosted.access` does, through the guard.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import Engine

from peerreport.hosted.access import Principal


def principal(request: Request) -> Principal:
    """Who is asking (set by the guard)."""
    found = request.state.principal
    assert isinstance(found, Principal)
    return found


def engine(request: Request) -> Engine:
    """The server's database."""
    found = request.app.state.engine
    assert isinstance(found, Engine)
    return found


def server(request: Request) -> Any:
    """The server's configuration (`ServerConfig`)."""
    return request.app.state.config


from peerreport.hosted.routes import admin, api, auditor, bundles, funder, signin  # noqa: E402

MODULES: list[Any] = [signin, bundles, funder, auditor, admin, api]
