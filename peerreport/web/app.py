"""The FastAPI application: routes, the guard in front of them, and errors as pages.

`create_app(config)` returns the ASGI application to serve: the `LocalGuard`
around FastAPI. A user's mistake (`PeerreportError`) is a page saying what to
fix; anything else is one plain sentence and a private log file, never a
traceback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from peerreport.errors import PeerreportError, UsageError
from peerreport.web.config import CSRF_FIELD, CSRF_HEADER, WebConfig
from peerreport.web.desk import Desk
from peerreport.web.pages import page
from peerreport.web.security import (
    REFUSED_CSRF,
    LocalGuard,
    UploadTooBig,
    csrf_ok,
    plain_page,
    too_big_message,
)


async def check_csrf(request: Request) -> None:
    """Every state-changing request carries the CSRF token (form field or htmx header)."""
    if request.method in ("GET", "HEAD"):
        return
    if getattr(request.state, "csrf_exempt", False):
        return  # a hosted API call with a bearer token: no cookie a forged form could ride on
    from peerreport.web.pages import csrf_token

    header = request.headers.get(CSRF_HEADER)
    value: object = None
    if header is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
    if not csrf_ok(csrf_token(request), value, header):
        raise CsrfRefused


NUL_REFUSED = (
    "The address or form holds a NUL character (an invisible control character), which "
    "peerreport does not accept. Go back and type the text again."
)


async def refuse_nul(request: Request) -> None:
    """Refuse a NUL character anywhere in the address or a form, before any database sees it.

    PostgreSQL cannot store NUL in text and says so with an error: a user's
    stray character must be a plain refusal, not an internal error.
    """
    texts = [*request.path_params.values(), *request.query_params.keys()]
    texts += request.query_params.values()
    kind = request.headers.get("content-type", "")
    if request.method not in ("GET", "HEAD") and kind.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        texts += [*form.keys(), *(v for v in form.values() if isinstance(v, str))]
    if any("\x00" in str(text) for text in texts):
        raise UsageError(NUL_REFUSED)


class CsrfRefused(Exception):
    """A state-changing request without this server's CSRF token."""


def create_app(config: WebConfig) -> Any:
    """The web application for `config`, guarded: what `peerreport serve` runs."""
    from peerreport.web.routes import home, records, returns, start, upload

    desk = Desk(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        desk.prepare_ahead()
        yield
        desk.close()

    api = FastAPI(
        lifespan=lifespan,
        title="peerreport",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(refuse_nul), Depends(check_csrf)],
    )
    api.state.config = config
    api.state.desk = desk
    static = Path(str(files("peerreport.web").joinpath("static")))
    api.mount("/static", StaticFiles(directory=static), name="static")
    for module in (home, start, upload, records, returns):
        api.include_router(module.router)

    def log_root() -> Path | None:
        return desk.workspace.root if desk.has_workspace else None

    add_error_pages(api, config.max_upload_bytes, log_root)
    return LocalGuard(api, config)


def add_error_pages(
    api: FastAPI, max_upload_bytes: int, log_root: Callable[[], Path | None]
) -> None:
    """A user's mistake is a page saying what to fix; an internal error is one sentence and a log.

    `log_root` is the folder whose `logs/` the internal error's details go to.
    """

    @api.exception_handler(PeerreportError)
    async def user_mistake(request: Request, exc: PeerreportError) -> HTMLResponse:
        return page(request, "problem.html.j2", status=400, message=str(exc))

    @api.exception_handler(StarletteHTTPException)
    async def no_such_page(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        message = (
            "There is no such page. Use the links at the top to find your way."
            if exc.status_code == 404
            else "peerreport cannot do that here. Use the links at the top to find your way."
        )
        return page(request, "problem.html.j2", status=exc.status_code, message=message)

    @api.exception_handler(RequestValidationError)
    async def not_understood(request: Request, exc: RequestValidationError) -> HTMLResponse:
        return page(
            request,
            "problem.html.j2",
            status=400,
            message="peerreport did not understand that address or form. Go back and try "
            "again from the page's own links and buttons.",
        )

    @api.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> HTMLResponse:
        return HTMLResponse(plain_page(REFUSED_CSRF), status_code=403)

    @api.exception_handler(UploadTooBig)
    async def too_big(request: Request, exc: UploadTooBig) -> PlainTextResponse:
        return PlainTextResponse(too_big_message(max_upload_bytes), status_code=413)

    @api.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> HTMLResponse:
        from peerreport.crashlog import write_log

        try:
            root = log_root()
        except Exception:  # the log must be written even when the workspace cannot be read
            root = None
        log = write_log(exc, ["serve", request.method, request.url.path], root)
        where = f" The details are in {escape(str(log))}." if log else ""
        return HTMLResponse(
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<title>peerreport: internal error</title></head><body><main><h1>Something went "
            "wrong inside peerreport</h1><div id='upload-result' class='notice notice-error' "
            "role='alert'><p>Nothing you did "
            f"caused this.{where} Please report it.</p></div><p><a href='/'>Back to the home "
            "page</a></p></main></body></html>",
            status_code=500,
        )
