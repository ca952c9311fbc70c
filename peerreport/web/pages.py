"""Rendering pages: one sandboxed, autoescaped jinja2 environment for every template.

Templates live in `peerreport/web/templates`; the review page's body is the
exported HTML review page's own template (`peerreport_templates`), so the web
shows exactly what the exported page shows.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from peerreport import __version__
from peerreport.web.config import CSRF_FIELD, WebConfig


def _source(package: str, name: str) -> str:
    return files(package).joinpath(name).read_text("utf-8")


@cache
def environment() -> Any:
    """The jinja2 environment (sandboxed, autoescaped, StrictUndefined)."""
    from jinja2 import ChoiceLoader, FunctionLoader, StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def web(name: str) -> str | None:
        try:
            return _source("peerreport.web.templates", name)
        except (FileNotFoundError, IsADirectoryError):
            return None

    def hosted(name: str) -> str | None:
        try:
            return _source("peerreport.hosted.templates", name)
        except (FileNotFoundError, IsADirectoryError, ModuleNotFoundError):
            return None

    def shared(name: str) -> str | None:
        try:
            return _source("peerreport_templates", name)
        except (FileNotFoundError, IsADirectoryError):
            return None

    return ImmutableSandboxedEnvironment(
        loader=ChoiceLoader([FunctionLoader(web), FunctionLoader(hosted), FunctionLoader(shared)]),
        autoescape=True,
        undefined=StrictUndefined,
    )


def csrf_token(request: Request) -> str:
    """The CSRF token this request's forms carry: the session's (hosted) or the server's (local)."""
    given = getattr(request.state, "csrf_token", None)
    if isinstance(given, str):
        return given
    config: WebConfig = request.app.state.config
    return config.csrf_token


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render the template `name` with the common context (organisation, CSRF token, nav)."""
    from peerreport.web.desk import Desk

    desk = getattr(request.state, "desk", None) or getattr(request.app.state, "desk", None)
    organisation = None
    hosted = getattr(request.state, "hosted", None)
    if isinstance(desk, Desk) and desk.has_workspace:
        workspace = desk.workspace
        organisation = {"name": workspace.organisation_name, "code": workspace.provider_code}
    common = {
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        # Hosted mode: who is signed in and their navigation (None on a local server).
        "hosted": hosted,
        "organisation": organisation,
        "version": __version__,
        "path": request.url.path,
        "partial": request.headers.get("hx-request") == "true"
        and request.headers.get("hx-boosted") != "true",
    }
    html = environment().get_template(name).render({**common, **context})
    return HTMLResponse(html, status_code=status)
