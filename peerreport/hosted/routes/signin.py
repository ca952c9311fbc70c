"""Signing in and out, choosing the organisation to work on, and each role's home."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from peerreport.hosted import access
from peerreport.hosted.limits import AttemptLimit
from peerreport.hosted.routes import engine, principal, server
from peerreport.web.pages import page

router = APIRouter()
#: Sign-in attempts from one client address (accounts also lock after wrong passwords).
attempts = AttemptLimit()
HOMES = {access.FUNDER: "/funder", access.AUDITOR: "/audit", access.ADMIN: "/admin"}


def _next(target: str | None) -> str:
    """Where to go after signing in: a path on this server only (never another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/healthz", include_in_schema=False)
def healthz() -> Response:
    """For the proxy's health check: the process is up."""
    return Response("ok", media_type="text/plain")


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    """Each role's home: the organisation's home page for a coordinator."""
    from peerreport.web.routes.home import home as coordinator_home

    who = principal(request)
    if who.role == access.FUNDER:
        funders = sorted(who.funders)
        target = f"/funder/{funders[0]}" if len(funders) == 1 else "/funder"
        return RedirectResponse(target if funders else "/funder", status_code=303)
    if who.role in HOMES:
        return RedirectResponse(HOMES[who.role], status_code=303)
    return coordinator_home(request)


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str = "/") -> Response:
    """The sign-in form."""
    return page(request, "login.html.j2", next=_next(next), problem="", username="")


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Sign in: a new session (never the one the browser came with) and its cookie."""
    from datetime import timedelta

    from peerreport.hosted.accounts import LoginRefused, authenticate, end_session, start_session
    from peerreport.store.times import utc_now

    config = server(request)
    client = request.client.host if request.client else "?"
    if not attempts.allow(client):
        minutes = max(1, attempts.wait_seconds(client) // 60)
        return page(
            request,
            "login.html.j2",
            status=429,
            next=_next(next),
            username=username,
            problem=f"Too many sign-in attempts from this address. Try again in {minutes} minutes.",
        )
    try:
        account = authenticate(
            engine(request),
            username,
            password,
            utc_now(),
            attempts=config.login_attempts,
            lockout=timedelta(minutes=config.lockout_minutes),
        )
    except LoginRefused as exc:
        return page(
            request,
            "login.html.j2",
            status=401,
            next=_next(next),
            username=username,
            problem=str(exc),
        )
    old = request.state.session_id
    if old is not None:
        end_session(engine(request), old)  # against session fixation: the old id is dead
    raw = start_session(
        engine(request), account.id, utc_now(), timedelta(hours=config.session_hours)
    )
    response = RedirectResponse(_next(next), status_code=303)
    response.headers.append("set-cookie", request.app.state.guard.session_cookie(raw))
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request) -> Response:
    """Sign out: the session ends on the server, not only in the browser."""
    from peerreport.hosted.accounts import end_session

    raw = request.state.session_id
    if raw is not None:
        end_session(engine(request), raw)
    response = RedirectResponse("/login", status_code=303)
    response.headers.append("set-cookie", request.app.state.guard.cleared_cookie())
    return response


@router.get("/choose", include_in_schema=False)
def choose_form(request: Request, next: str = "/") -> Response:
    """A coordinator of several organisations chooses which to work on."""
    from peerreport.hosted.directory import org_names

    who = principal(request)
    names = org_names(engine(request), sorted(who.orgs))
    choices = sorted(names.items(), key=lambda pair: pair[1].lower())
    return page(
        request, "choose.html.j2", choices=choices, current=who.working_org, next=_next(next)
    )


@router.post("/choose", include_in_schema=False)
def choose(
    request: Request,
    org: Annotated[str, Form(max_length=40)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Work on `org` from now on (one of the coordinator's own)."""
    from peerreport.hosted.accounts import set_current_org

    who = principal(request)
    if not access.may_work_on(who, org):
        return choose_form(request, next)
    set_current_org(engine(request), request.state.session_id, org)
    return RedirectResponse(_next(next), status_code=303)


__all__ = ["router"]
