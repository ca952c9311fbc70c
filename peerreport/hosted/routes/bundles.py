"""Send a bundle: a coordinator whose organisation files from its own install uploads the
bundle `peerreport submit` wrote, and the server checks it as the API does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response

from peerreport.errors import UsageError
from peerreport.web.pages import page
from peerreport.web.routes import desk

router = APIRouter()


def _keys(request: Request) -> list[object]:
    """The signing keys registered for the coordinator's organisation, newest first."""
    from peerreport.hosted.keys import keys_of

    here = desk(request)
    return list(reversed(keys_of(here.engine, here.workspace.provider_code)))


@router.get("/bundles", include_in_schema=False)
def bundles_form(request: Request) -> Response:
    """The form to send a bundle made on the organisation's own computer."""
    return page(request, "bundles.html.j2", problem="", received=None, keys=_keys(request))


@router.post("/bundles", include_in_schema=False)
async def send_bundle(
    request: Request, bundle: Annotated[UploadFile | None, File()] = None
) -> Response:
    """Check the bundle (every file, the seal, the signature and its registered key, whose it
    is) and file it here."""
    from starlette.concurrency import run_in_threadpool

    if bundle is None or not bundle.filename:
        return page(
            request,
            "bundles.html.j2",
            status=400,
            received=None,
            problem="Choose the bundle file (it ends in .bundle.zip) to send.",
            keys=await run_in_threadpool(_keys, request),
        )
    data = await bundle.read()
    return await run_in_threadpool(_receive, request, data)


def _receive(request: Request, data: bytes) -> Response:
    from peerreport.hosted.receive import receive_bundle

    here = desk(request)
    try:
        received = receive_bundle(here.engine, here.workspace.provider_code, data, "upload")
    except UsageError as exc:
        text = str(exc)
        if not text.startswith("UNVERIFIED ORIGIN"):
            text = text[:1].lower() + text[1:]
        return page(
            request,
            "bundles.html.j2",
            status=400,
            received=None,
            problem="Not received: " + text.rstrip(".") + ".",
            keys=_keys(request),
        )
    return page(request, "bundles.html.j2", problem="", received=received, keys=_keys(request))


__all__ = ["router"]
