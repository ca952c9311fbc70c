"""The hosted application: the coordinator's pages of the local application, the funder's,
auditor's and admin's pages and the JSON API, behind `HostedGuard`.

`create_hosted_app(config)` returns the ASGI application `peerreport serve
--config` runs. The database must be at the current schema (`peerreport admin
init` puts it there). Two engines: the owner's, for the startup work and the
access decisions' lookups, and a walled one (`peerreport.hosted.walls`) for
everything requests do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from peerreport.hosted.config import ServerConfig
from peerreport.hosted.desks import HostedDesks
from peerreport.hosted.guard import HostedGuard
from peerreport.hosted.published import write_published
from peerreport.hosted.walls import walled_engine
from peerreport.store.database import ensure_current, open_engine
from peerreport.web.app import add_error_pages, check_csrf, refuse_nul


def create_hosted_app(config: ServerConfig, engine: Any = None) -> Any:
    """The hosted web application for `config` (on `engine`, the owner's, or one opened)."""
    from peerreport.hosted import routes
    from peerreport.web.routes import home, records, returns, start, upload

    owner = engine if engine is not None else open_engine(config.database_url)
    ensure_current(owner)
    # Requests use the walled engine: on PostgreSQL, each transaction sees only the
    # rows of the organisations the access decision let the request reach.
    walled = walled_engine(owner)
    desks = HostedDesks(config, walled)
    write_published(config, owner)  # the published rule files, where the loader looks

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        desks.close()
        if walled is not owner:
            walled.dispose()

    api = FastAPI(
        lifespan=lifespan,
        title="peerreport",
        summary="Accountability returns for peer-run organisations: hosted API",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        dependencies=[Depends(refuse_nul), Depends(check_csrf)],
    )
    api.state.config = config
    api.state.engine = walled
    api.state.desks = desks
    static = Path(str(files("peerreport.web").joinpath("static")))
    api.mount("/static", StaticFiles(directory=static), name="static")
    for module in routes.MODULES:
        api.include_router(module.router)
    for module in (home, start, upload, records, returns):
        api.include_router(module.router)
    add_error_pages(api, config.max_upload_bytes, lambda: config.data_dir)
    routes.api.add_json_errors(api)
    routes.api.describe_api_only(api)
    guard = HostedGuard(api, config, walled, desks, owner=owner)
    api.state.guard = guard
    return guard


__all__ = ["create_hosted_app"]
