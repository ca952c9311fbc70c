"""Returns: pick a return and a period in words, review it, submit it, download its files.

The review page shows the same content as the exported HTML review page (its
template is included), then the submit form: an amendment needs a reason,
and one that would change no figure asks for confirmation. Filing goes
through `peerreport.filing.submit_return`, as `peerreport submit` does.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.background import BackgroundTask

from peerreport.errors import UsageError
from peerreport.web.pages import environment, page
from peerreport.web.routes import desk, remove_folder, today

router = APIRouter()

_PERIOD = re.compile(r"^[A-Za-z0-9-]{4,12}$")
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "html": "text/html; charset=utf-8",
}


def _choose(rule_id: str, period_label: str) -> tuple[Any, Any]:
    from peerreport.web.rules import rule_and_period

    if not _PERIOD.match(period_label):
        raise UsageError("There is no such period; choose one on the return's page.")
    return rule_and_period(rule_id, period_label)


@router.get("/returns")
def returns(request: Request) -> Response:
    """The organisation's returns with their periods, and every other return it could file:
    first those its funders published (on a hosted server), then the shipped ones."""
    from peerreport.web.routes.home import return_cards
    from peerreport.web.rules import published_ids, rule_choices

    cards = return_cards(request)
    mine = {card.rule_id for card in cards}
    others = [(rule_id, title) for rule_id, title in rule_choices() if rule_id not in mine]
    funders = published_ids()
    return page(
        request,
        "returns.html.j2",
        cards=cards,
        published=[choice for choice in others if choice[0] in funders],
        others=[choice for choice in others if choice[0] not in funders],
    )


@router.get("/returns/{rule_id}")
def periods(request: Request, rule_id: str) -> Response:
    """The recent periods of one return, each with its state and due date."""
    from peerreport.returns.overview import period_states
    from peerreport.web.rules import rule_file as loaded

    here = desk(request)
    rule_file = loaded(rule_id)
    states = period_states(here.engine, here.workspace.provider_code, rule_file, today(), 8)
    return page(
        request,
        "periods.html.j2",
        rule_id=rule_id,
        title=rule_file.model.title,
        states=states,
        mine=rule_id in here.workspace.returns,
    )


@router.post("/returns/{rule_id}/add")
def add(request: Request, rule_id: str) -> Response:
    """Add a return to the ones this organisation files (its home page lists them)."""
    from peerreport.web.rules import rule_file
    from peerreport.workspace import add_return

    rule_file(rule_id)  # refuses a return peerreport does not offer
    add_return(desk(request).workspace, rule_id)
    return RedirectResponse(f"/returns/{rule_id}", status_code=303)


def _built(request: Request, rule_id: str, period_label: str) -> tuple[Any, Any, Any, list[Any]]:
    rule_file, period = _choose(rule_id, period_label)
    ret, earlier = desk(request).built(rule_file, period)
    return rule_file, period, ret, earlier


def review_page(
    request: Request, rule_id: str, period_label: str, status: int = 200, **extra: Any
) -> Response:
    """The review page of one return and period, with the submit form."""
    from peerreport.filing import current_version
    from peerreport.ledger.lifecycle import state_of
    from peerreport.render.words import period_words

    rule_file, period = _choose(rule_id, period_label)
    here = desk(request)
    ret, _, review_html = here.built_with(rule_file, period, "review-body", _review_body)
    current = current_version(here.engine, ret)
    decisions = _decisions(here.engine, current)
    return page(
        request,
        "review.html.j2",
        status=status,
        review_html=review_html,
        rule_id=rule_id,
        period_label=period.label,
        period_in_words=period_words(period),
        rule_title=rule_file.model.title,
        has_errors=ret.has_errors,
        current=current,
        decisions=decisions,
        state=state_of(current, decisions) if current is not None else None,
        **{"reason": "", "problem": "", "confirm_same": False, **extra},
    )


def _review_body(ret: Any, earlier: list[Any]) -> Markup:
    """The exported review page's own body, rendered by the same sandboxed, autoescaped
    environment: Markup, so the page template does not escape it twice.

    It depends on the build alone, so the desk keeps it with the build: rendering
    it took most of a review page's time once the return was built.
    """
    from peerreport.render.html import page_context

    context = page_context(ret, earlier, ret.has_errors)
    body = environment().get_template("return-body.html.j2")
    return Markup(body.render({**context, "embedded": True}))


def _decisions(engine: Any, current: Any) -> list[Any]:
    """The funder's acceptances and queries (and the replies) on the current version."""
    from peerreport.ledger.lifecycle import events

    if current is None:
        return []
    return list(events(engine, [current.id])[current.id])


@router.post("/returns/{rule_id}/{period_label}/reply")
def reply(
    request: Request,
    rule_id: str,
    period_label: str,
    message: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Answer the funder's query with a message (the other answer is an amendment)."""
    from peerreport.filing import current_version
    from peerreport.ledger.lifecycle import REPLIED, record_event

    _, period, ret, _ = _built(request, rule_id, period_label)
    here = desk(request)
    current = current_version(here.engine, ret)
    if current is None:
        raise UsageError("This return has not been submitted, so there is nothing to reply to.")
    try:
        record_event(here.engine, current.org, current.id, REPLIED, message)
    except UsageError as exc:
        text = str(exc)
        return review_page(
            request, rule_id, period_label, status=400, problem=text[:1].upper() + text[1:] + "."
        )
    return RedirectResponse(f"/returns/{rule_id}/{period.label}?replied=1", status_code=303)


@router.get("/returns/{rule_id}/{period_label}")
def review(request: Request, rule_id: str, period_label: str) -> Response:
    """Review a return for a period before submitting it."""
    return review_page(request, rule_id, period_label)


@router.post("/returns/{rule_id}/{period_label}/submit")
def submit(
    request: Request,
    rule_id: str,
    period_label: str,
    reason: Annotated[str, Form()] = "",
    same_anyway: Annotated[bool, Form()] = False,
) -> Response:
    """File the return: the ledger's next version and its signed bundle."""
    from peerreport.filing import NoChange, submit_return
    from peerreport.ledger import submissions

    here = desk(request)
    rule_file, period = _choose(rule_id, period_label)
    workspace = here.workspace
    reason = reason.strip()
    filed_before = submissions(
        here.engine, workspace.provider_code, rule_id, (period.start, period.end)
    )
    if filed_before and not reason:
        return review_page(
            request,
            rule_id,
            period_label,
            status=400,
            problem="This return was submitted before: say why you are submitting it again "
            "(the reason goes to the funder with the amendment).",
        )
    try:
        done = submit_return(
            workspace,
            here.engine,
            rule_file,
            period,
            reason=reason or None,
            same_anyway=lambda _: same_anyway,
        )
    except NoChange:
        return review_page(
            request,
            rule_id,
            period_label,
            status=409,
            reason=reason,
            confirm_same=True,
            problem="This amendment would change no figure: the version already submitted "
            "says exactly the same. Tick the box below to submit it all the same (for "
            "example, to correct a finding), or go back without submitting.",
        )
    if done.filed is None:
        return review_page(
            request,
            rule_id,
            period_label,
            status=400,
            problem="Not submitted: the return has errors. Fix them (see Findings) and try again.",
        )
    here.filed(done.filed)
    entry = done.filed.submission
    return RedirectResponse(
        f"/returns/{rule_id}/{period.label}/submitted/{entry.version}", status_code=303
    )


@router.get("/returns/{rule_id}/{period_label}/submitted/{version}")
def submitted(request: Request, rule_id: str, period_label: str, version: int) -> Response:
    """What was filed: the version, lateness, and the bundle to send to the funder."""
    entry = _entry(request, rule_id, period_label, version)
    from peerreport.render.words import period_words

    _, period = _choose(rule_id, period_label)
    return page(
        request,
        "submitted.html.j2",
        entry=entry,
        rule_id=rule_id,
        period_label=period.label,
        period_in_words=period_words(period),
        title=entry.ret.rule.title,
        fingerprint=desk(request).workspace.own_fingerprint(),
    )


def _entry(request: Request, rule_id: str, period_label: str, version: int) -> Any:
    from peerreport.ledger import submissions

    _, period = _choose(rule_id, period_label)
    here = desk(request)
    found = [
        s
        for s in submissions(
            here.engine, here.workspace.provider_code, rule_id, (period.start, period.end)
        )
        if s.version == version
    ]
    if not found:
        raise UsageError(f"Version {version} of this return has not been submitted.")
    return found[0]


@router.get("/returns/{rule_id}/{period_label}/bundle/{version}")
def bundle(request: Request, rule_id: str, period_label: str, version: int) -> Response:
    """The bundle of a filed version: the one file to send to the funder."""
    from peerreport.bundle import bundle_name

    entry = _entry(request, rule_id, period_label, version)
    path = desk(request).workspace.root / "submissions" / bundle_name(entry.ret, version)
    if not path.is_file():
        raise UsageError(
            f"The bundle of version {version} is not in this workspace's submissions folder "
            "(it may have been moved)."
        )
    return FileResponse(path, filename=path.name, media_type="application/zip")


@router.get("/returns/{rule_id}/{period_label}/copy/{fmt}")
def review_copy(request: Request, rule_id: str, period_label: str, fmt: str) -> Response:
    """A review copy (xlsx, csv, json or html) of the return as it stands: not filed."""
    from peerreport.render import export_return

    if fmt not in MEDIA:
        raise UsageError("Review copies are xlsx, csv, json or html.")
    rule_file, _, ret, earlier = _built(request, rule_id, period_label)
    folder = Path(tempfile.mkdtemp(prefix="peerreport-review-"))
    written = export_return(
        ret, folder, [fmt], draft=ret.has_errors, rule_file=rule_file, history=earlier
    )
    return FileResponse(
        written[0],
        filename=written[0].name,
        media_type=MEDIA[fmt],
        background=BackgroundTask(remove_folder, folder),
    )


@router.get("/review.css")
def review_css() -> Response:
    """The review page's stylesheet (the exported page inlines the same file)."""
    from importlib.resources import files

    css = files("peerreport_templates").joinpath("return-style.css").read_text("utf-8")
    return Response(css, media_type="text/css; charset=utf-8")
