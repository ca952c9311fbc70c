"""Every route of the web application, enumerated from the application itself, is guarded.

A route added later without thinking of security still cannot be reached
without the token, and a state-changing one not without the CSRF token and
our own Origin: the table is the router's, so nothing is left out.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute

from peerreport.web.app import create_app
from peerreport.workspace import write_workspace
from tests.migrated import migrate
from tests.web.client import ORIGIN, client, config_for

SAMPLE = {
    "rule_id": "nz-peer-support-adults",
    "period_label": "FY2026-Q4",
    "version": "1",
    "fmt": "csv",
    "ident": "1",
    "batch": "20260101T000000-00000000",
    "name": "x.problems.xlsx",
}


def _routes(tmp_path: Path) -> list[tuple[str, str]]:
    api = create_app(config_for(tmp_path, None)).app
    found = []
    for route in _leaves(api.routes):
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m[1]], route.path)
        found.extend((method, path) for method in sorted(route.methods))
    return found


def _leaves(routes: list[Any]) -> list[APIRoute]:
    """Every APIRoute, also inside included routers (however FastAPI wraps them)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and hasattr(inner, "routes"):
            found.extend(_leaves(list(inner.routes)))
    return found


def test_there_are_routes_of_both_kinds(tmp_path: Path) -> None:
    routes = _routes(tmp_path)
    assert {method for method, _ in routes} == {"GET", "POST"}
    assert len(routes) >= 18, routes  # every page, download and form of the coordinator


def test_every_route_needs_the_token(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_workspace(root, "Harbour Peer Collective", "HPC001", f"sqlite:///{tmp_path}/t.db")
    stranger = client(config_for(tmp_path, root), signed_in=False)
    for method, path in _routes(tmp_path):
        answer = stranger.request(method, path, headers=ORIGIN)
        assert answer.status_code == 403, (method, path, answer.status_code)


@pytest.mark.parametrize("headers", [ORIGIN, {"origin": "http://attacker.example"}])
def test_every_post_needs_the_csrf_token_and_our_origin(
    tmp_path: Path, headers: dict[str, str]
) -> None:
    from peerreport.store.database import open_engine

    url = f"sqlite:///{tmp_path}/t.db"
    migrate(url)
    engine = open_engine(url)
    engine.dispose()
    root = tmp_path / "ws"
    write_workspace(root, "Harbour Peer Collective", "HPC001", url)
    config = config_for(tmp_path, root)
    signed_in = client(config)
    posts = [path for method, path in _routes(tmp_path) if method == "POST"]
    assert len(posts) >= 4
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for path in posts:
        answer = signed_in.post(path, data={"reason": "x", "name": "Other"}, headers=headers)
        assert answer.status_code == 403, (path, answer.status_code)
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert after == before  # nothing written anywhere
