"""The JSON API, for programs with an API token (`Authorization: Bearer prt_...`).

- `POST /api/v1/bundles`: an organisation sends a bundle its own install made
  (`peerreport submit --to`); 201 with the recorded submission, 200 when the
  same bundle had been received before (nothing new is recorded), 403 with
  `unverified_origin` when no key registered for the organisation signed it,
  422 for any other refusal.
- `GET /api/v1/returns`: an organisation's submitted returns, or those filed
  to a funder's published rule files by its providers, with their state.
- `GET /api/v1/funders/{funder}/collations/{rule_id}/{period_label}`: a
  funder's collation of a period from the returns it accepted.

Who may call what is decided by `peerreport.hosted.access` (the guard), never
here. Every refusal is JSON `{"error": "..."}` (`add_json_errors`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from peerreport.errors import PeerreportError, UsageError
from peerreport.hosted import access
from peerreport.hosted.routes import engine, principal, server
from peerreport.ledger import Submission

#: Declares the bearer token in the API's description; the guard checks it, not this.
BEARER = HTTPBearer(
    auto_error=False,
    description="An organisation's or funder's API token: prt_... (`peerreport admin token`)",
)
router = APIRouter(prefix="/api/v1", tags=["api"], dependencies=[Depends(BEARER)])
#: The media types a bundle may be sent as.
ZIP_TYPES = ("application/zip", "application/octet-stream", "application/x-zip-compressed")
#: The states of `peerreport.ledger.lifecycle` a submitted version can be in.
State = Literal["submitted", "amended", "accepted", "queried", "replied", "superseded"]
CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"
NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class Problem(BaseModel):
    """A refusal or failure, in plain words."""

    error: str


class OriginProblem(Problem):
    """A bundle refused as UNVERIFIED ORIGIN (403): no key registered for the sender signed it."""

    unverified_origin: bool = Field(
        default=True,
        description="True: the bundle is intact, but its signing key is not "
        "one registered for the organisation (`peerreport admin key add`)",
    )
    fingerprint: str | None = Field(
        default=None, description="The key that signed the bundle; null when it is unsigned"
    )


class ReturnEntry(BaseModel):
    """One submitted version of a return, and where it stands."""

    id: int = Field(description="The ledger id of this submitted version")
    organisation: str = Field(description="The provider code")
    organisation_name: str
    rule_id: str
    rule_version: str
    period_label: str
    period_start: dt.date
    period_end: dt.date
    version: int
    supersedes_version: int | None
    state: State
    submitted_at: dt.datetime
    due_date: dt.date | None
    late: bool
    bundle_sha256: str | None
    presentation: str | None = Field(
        default=None,
        description='"built under version X: presentation differs" when the return was '
        "built under another version of the published rule file that differs only in "
        "presentation (labels, descriptions, messages, the version: the same meaning "
        "digest); null when built with the published version itself",
    )


class ReceivedEntry(ReturnEntry):
    """A bundle taken into the ledger."""

    created: bool = Field(description="False when this bundle had been received before")
    signer: str | None = Field(description="The fingerprint of the key that signed the bundle")


class ReturnList(BaseModel):
    """Submitted returns, by organisation, rule file, period and version."""

    returns: list[ReturnEntry]


class RuleFileRef(BaseModel):
    """The rule file a collation was made with."""

    id: str
    version: str
    digest: str
    title: str


class PeriodOut(BaseModel):
    """A reporting period."""

    label: str
    kind: str
    start: dt.date
    end: dt.date


class DueOut(BaseModel):
    """When the period's returns were due."""

    date: dt.date
    from_rule_file: bool


class ProviderOut(BaseModel):
    """One provider's line of a collation."""

    code: str
    name: str
    status: Literal["received", "late", "missing", "rejected"]
    due: dt.date
    note: str
    file: str | None
    received: dt.datetime | None
    received_by: str | None
    version: int | None
    signer: str | None


class RejectedOut(BaseModel):
    """A bundle left out of a collation, and why."""

    file: str
    provider: str | None
    reason: str


class CellOut(BaseModel):
    """One collated number."""

    key: list[str | None]
    value: int | float | str | None
    status: str
    providers: int
    incomplete: int
    reason: str


class FigureOut(BaseModel):
    """A measure across all providers."""

    id: str
    label: str
    kind: str
    by: list[str]
    total: CellOut
    cells: list[CellOut]
    note: str


class CollationOut(BaseModel):
    """A funder's collation of one period (`Collation.to_dict()`)."""

    rule_file: RuleFileRef
    period: PeriodOut
    due: DueOut
    providers: list[ProviderOut]
    rejected: list[RejectedOut]
    unverified: list[RejectedOut] = Field(
        default_factory=list,
        description="Bundles refused for their origin alone (UNVERIFIED ORIGIN), apart from "
        "`rejected`",
    )
    figures: list[FigureOut]


def _refusals(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": Problem} for code in codes}


def _entry(
    submission: Submission, state: str, names: dict[str, str], presentation: str | None = None
) -> dict[str, Any]:
    return {
        "id": submission.id,
        "organisation": submission.org,
        "organisation_name": names.get(submission.org, submission.org),
        "rule_id": submission.rule_id,
        "rule_version": submission.rule_version,
        "period_label": submission.period_label,
        "period_start": submission.period_start,
        "period_end": submission.period_end,
        "version": submission.version,
        "supersedes_version": submission.supersedes_version,
        "state": state,
        "submitted_at": submission.submitted_at,
        "due_date": submission.due_date,
        "late": submission.late,
        "bundle_sha256": submission.bundle_sha256,
        "presentation": presentation,
    }


@router.post(
    "/bundles",
    status_code=201,
    response_model=ReceivedEntry,
    summary="Send a bundle made by `peerreport submit`",
    responses={
        200: {"model": ReceivedEntry, "description": "The same bundle was received before"},
        **_refusals(400, 401, 413, 415, 422),
        403: {
            "model": OriginProblem,
            "description": "The token may not send bundles, or the bundle is of UNVERIFIED "
            "ORIGIN: unsigned, or signed by a key not registered for the organisation (or "
            "retired or revoked); then `unverified_origin` is true and `fingerprint` names "
            "the key",
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The bundle file's bytes, exactly as `peerreport submit` wrote it",
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in ZIP_TYPES},
        }
    },
)
async def send_bundle(request: Request, response: Response) -> Any:
    """Take the organisation's bundle into the server's ledger, or say why not."""
    from peerreport.hosted.receive import UnverifiedOrigin, receive_bundle

    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ZIP_TYPES:
        return _problem(
            415, "send the bundle file's bytes as the body, with Content-Type: application/zip"
        )
    data = await request.body()
    if not data:
        return _problem(400, "the body is empty: send the bundle file's bytes")
    org = _only(principal(request).orgs)

    def receive() -> dict[str, Any]:
        received = receive_bundle(engine(request), org, data, "api")
        entry = received.submission
        return {
            **_entry(entry, _state(request, entry), _names(request, [org]), received.presentation),
            "created": received.created,
            "signer": received.signer,
        }

    try:
        found = await run_in_threadpool(receive)
    except UnverifiedOrigin as exc:
        body = {"error": str(exc), "unverified_origin": True, "fingerprint": exc.fingerprint}
        return JSONResponse(body, status_code=403)
    except UsageError as exc:
        return _problem(422, str(exc))
    response.status_code = 201 if found["created"] else 200
    return found


@router.get(
    "/returns",
    response_model=ReturnList,
    summary="Submitted returns and where each stands",
    responses=_refusals(401, 403, 422),
)
def list_returns(
    request: Request,
    rule_id: Annotated[str | None, Query(max_length=64, description="Only this rule file")] = None,
    period_label: Annotated[
        str | None, Query(max_length=64, description="Only this period, as labelled: FY2026-Q4")
    ] = None,
    state: Annotated[State | None, Query(description="Only returns in this state")] = None,
) -> Any:
    """An organisation's own returns; for a funder, its providers' returns to its rule files."""
    from peerreport.hosted.directory import providers_of, published_rules
    from peerreport.hosted.published import presentation_notes
    from peerreport.ledger import submissions
    from peerreport.ledger.lifecycle import events, state_of

    db = engine(request)
    who = principal(request)
    if who.role == access.ORG_TOKEN:
        found = submissions(db, org=_only(who.orgs), rule_id=rule_id)
    else:
        funder = _only(who.funders)
        rule_ids = {p.rule_id for p in published_rules(db, funder=funder)}
        wanted = sorted(rule_ids if rule_id is None else rule_ids & {rule_id})
        found = []
        for org, _ in providers_of(db, funder):
            for one in wanted:
                found += submissions(db, org=org, rule_id=one)
    if period_label is not None:
        found = [s for s in found if s.period_label == period_label]
    had = events(db, [s.id for s in found])
    states = {s.id: state_of(s, had[s.id]) for s in found}
    if state is not None:
        found = [s for s in found if states[s.id] == state]
    names = _names(request, {s.org for s in found})
    notes = presentation_notes(server(request), db, found)
    return {"returns": [_entry(s, states[s.id], names, notes.get(s.id)) for s in found]}


@router.get(
    "/funders/{funder}/collations/{rule_id}/{period_label}",
    response_model=CollationOut,
    summary="Collate a period from the returns the funder accepted",
    responses=_refusals(401, 403, 404, 422),
)
def collation(
    request: Request,
    funder: Annotated[str, Path(pattern=CODE)],
    rule_id: Annotated[str, Path(pattern=NAME)],
    period_label: Annotated[str, Path(max_length=64, description="The period: FY2026-Q4")],
) -> Any:
    """The funder's providers' accepted current returns for the period, added up and protected."""
    from peerreport.filing import period_of
    from peerreport.hosted.collation import NotPublished, collate_accepted, published_rule_file

    config = server(request)
    db = engine(request)
    try:
        rule_file = published_rule_file(db, config.data_dir, funder, rule_id)
    except NotPublished as exc:
        return _problem(404, str(exc))
    try:
        period = period_of(rule_file, period_label)
    except PeerreportError as exc:
        return _problem(422, f"period {period_label!r}: {exc}")
    done = collate_accepted(db, config.data_dir, funder, rule_file, period)
    return done.to_dict()


def _only(codes: frozenset[str]) -> str:
    """The one organisation or funder a token is for."""
    assert len(codes) == 1, codes
    return next(iter(codes))


def _names(request: Request, codes: Any) -> dict[str, str]:
    from peerreport.hosted.directory import org_names

    return org_names(engine(request), codes)


def _state(request: Request, submission: Submission) -> str:
    from peerreport.ledger.lifecycle import events, state_of

    return state_of(submission, events(engine(request), [submission.id])[submission.id])


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def describe_api_only(app: FastAPI) -> None:
    """The OpenAPI description (/api/openapi.json) covers the JSON API, not the pages."""
    from fastapi.openapi.utils import get_openapi

    from peerreport import __version__
    from peerreport.hosted.guard import leaf_routes

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = get_openapi(
                title=app.title,
                version=__version__,
                summary=app.summary,
                description=__doc__,
                routes=[
                    r
                    for r in leaf_routes(app.router.routes)
                    if getattr(r, "path", "").startswith("/api/v1/")
                ],
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# -- Refusals on /api/ are JSON, not pages -----------------------------------------------------

Handler = Callable[[Request, Any], Awaitable[Response]]
NO_SUCH = "there is no such API address; the API is described at /api/openapi.json"


def add_json_errors(app: FastAPI) -> None:
    """On /api/ addresses, every refusal and failure is JSON `{"error": ...}`, never a page.

    Wraps the application's error pages (`peerreport.web.app.add_error_pages`):
    other addresses still get them.
    """
    from peerreport.web.app import CsrfRefused
    from peerreport.web.security import REFUSED_CSRF, UploadTooBig, too_big_message

    config = app.state.config

    def validation(exc: RequestValidationError) -> JSONResponse:
        parts = []
        for error in exc.errors()[:5]:
            where = " ".join(str(p) for p in error.get("loc", ()))
            parts.append(f"{where}: {error.get('msg', 'not understood')}")
        return _problem(422, "; ".join(parts) or "the request was not understood")

    def http(exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return _problem(404, NO_SUCH)
        if exc.status_code == 405:
            return _problem(405, "that method is not allowed at this API address")
        detail = exc.detail if isinstance(exc.detail, str) else "refused"
        return _problem(exc.status_code, detail)

    def internal(request: Request, exc: Exception) -> JSONResponse:
        from peerreport.crashlog import write_log

        log = write_log(exc, ["serve", request.method, request.url.path], config.data_dir)
        where = f" The details are logged on the server ({log.name})." if log else ""
        return _problem(500, f"Something went wrong inside peerreport.{where}")

    answers: dict[Any, Callable[[Request, Any], JSONResponse]] = {
        PeerreportError: lambda _, exc: _problem(400, str(exc)),
        StarletteHTTPException: lambda _, exc: http(exc),
        RequestValidationError: lambda _, exc: validation(exc),
        CsrfRefused: lambda _, exc: _problem(403, REFUSED_CSRF),
        UploadTooBig: lambda _, exc: _problem(413, too_big_message(config.max_upload_bytes)),
        Exception: internal,
    }
    for kind, answer in answers.items():
        page = app.exception_handlers.get(kind)
        app.exception_handlers[kind] = _by_address(answer, page)


def _by_address(answer: Callable[[Request, Any], JSONResponse], page: Any) -> Handler:
    async def handler(request: Request, exc: Any) -> Response:
        if request.url.path.startswith("/api/") or page is None:
            return answer(request, exc)
        found: Response = await page(request, exc)
        return found

    return handler


__all__ = ["add_json_errors", "describe_api_only", "router"]
