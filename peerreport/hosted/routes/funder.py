"""The funder's pages: the dashboard of providers by periods, a submission, accept or query,
the rule files it publishes, and a period collated from the accepted returns.

A funder sees returns filed to its published rule files by its providers, and
never records. Access is decided in `peerreport.hosted.access`, not here.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.background import BackgroundTask

from peerreport.errors import PeerreportError, UsageError
from peerreport.hosted.routes import engine, principal, server
from peerreport.returns.dashboard import GridKeeper
from peerreport.web.pages import environment, page
from peerreport.web.routes import remove_folder, today

router = APIRouter()
#: Each funder's dashboard grid, kept until the ledger changes.
grids = GridKeeper()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The largest rule file a funder may publish (the TOML text).
RULE_FILE_LIMIT = 512 * 1024
#: A provider's line of a collation, in words: is its return in the totals, and how it came.
COLLATED_WORDS = {
    "received": "Yes: received on time",
    "late": "Yes: received late",
    "missing": "No",
    "rejected": "No: its bundle was refused",
}


def _funder_name(request: Request, funder: str) -> str:
    from peerreport.hosted.directory import funders

    return dict(funders(engine(request))).get(funder, funder)


@router.get("/funder", include_in_schema=False)
def funders_page(request: Request) -> Response:
    """The funders this person works for (most work for one, and go straight to it)."""
    from peerreport.hosted.directory import funders

    mine = sorted(principal(request).funders)
    if len(mine) == 1:
        return RedirectResponse(f"/funder/{mine[0]}", status_code=303)
    names = dict(funders(engine(request)))
    return page(
        request, "funders.html.j2", funders=[(code, names.get(code, code)) for code in mine]
    )


@router.get("/funder/{funder}", include_in_schema=False)
def dashboard(
    request: Request, funder: str, rule: str = "", state: str = "", q: str = ""
) -> Response:
    """Providers by periods for one published rule file, each cell with its state."""
    from peerreport.hosted.directory import published_rules
    from peerreport.hosted.published import funder_rule_choices
    from peerreport.returns.dashboard import STATE_LABELS, STATES

    choices = funder_rule_choices(engine(request), funder)
    titles = {r.rule_id: r.title for r in published_rules(engine(request), funder=funder)}
    grid = None
    if choices:
        rule_id = rule if rule in dict(choices) else choices[0][0]
        grid = _grid(request, funder, rule_id)
        state = state if state in STATES else ""
        shown = grid.filtered(state=state or None, provider_text=q.strip() or None)
    else:
        rule_id, shown = "", None
    rows = _rows(shown) if shown is not None else []

    return page(
        request,
        "dashboard.html.j2",
        funder=funder,
        funder_name=_funder_name(request, funder),
        choices=choices,
        titles=titles,
        rule_id=rule_id,
        grid=grid,
        shown=shown,
        rows=rows,
        state=state,
        q=q,
        states=[(s, STATE_LABELS[s]) for s in STATES],
        percent=_percent,
    )


def _rows(grid: Any) -> list[tuple[str, str, list[tuple[str, str, int | None]]]]:
    """Each provider shown, with its cells as (state, label, submission id), newest first.

    Plain tuples: the sandboxed template unpacks them without checking each
    attribute it reads, which took most of the page's rendering for 200 providers.
    """
    return [
        (code, name, [(c.state, c.label, c.submission_id) for c in grid.row(code)])
        for code, name in grid.providers
    ]


def _percent(fraction: float | None) -> str:
    """A rate as the dashboard shows it ('75%', or a dash when nothing was due)."""
    return "–" if fraction is None else f"{round(fraction * 100)}%"


def _grid(request: Request, funder: str, rule_id: str) -> Any:
    from peerreport.hosted.directory import providers_of
    from peerreport.hosted.published import funder_rule_file

    rule_file = funder_rule_file(server(request), engine(request), funder, rule_id)
    providers = providers_of(engine(request), funder)
    return grids.grid(engine(request), providers, rule_file, today(), scope=funder)


@router.get("/funder/{funder}/dashboard.xlsx", include_in_schema=False)
def dashboard_xlsx(request: Request, funder: str, rule: str = "") -> Response:
    """The dashboard as an Excel workbook."""
    from peerreport.hosted.published import funder_rule_choices
    from peerreport.render.dashboard_workbook import write_dashboard_xlsx

    choices = dict(funder_rule_choices(engine(request), funder))
    if rule not in choices:
        raise UsageError("Choose one of your rule files on the dashboard first.")
    folder = Path(tempfile.mkdtemp(prefix="peerreport-dashboard-"))
    out = write_dashboard_xlsx(_grid(request, funder, rule), folder / f"dashboard-{rule}.xlsx")
    return FileResponse(
        out, filename=out.name, media_type=XLSX, background=BackgroundTask(remove_folder, folder)
    )


def _submission(request: Request, ident: int) -> Any:
    from peerreport.ledger.query import get

    return get(engine(request), ident)


@router.get("/funder/{funder}/submissions/{ident}", include_in_schema=False)
def submission_page(request: Request, funder: str, ident: int) -> Response:
    """One filed return: its review page, verification verdict, changes, and accept or query."""
    return _submission_page(request, funder, ident)


def _submission_page(
    request: Request, funder: str, ident: int, problem: str = "", status: int = 200
) -> Response:
    """The submission page, with a problem a decision met (never from the address: a link
    could otherwise put any words, and any status, on the funder's page)."""
    from peerreport.hosted.directory import bundle_of
    from peerreport.hosted.published import submission_release
    from peerreport.ledger.lifecycle import events, state_of
    from peerreport.ledger.query import history
    from peerreport.render.display import change_rows
    from peerreport.render.html import page_context
    from peerreport.render.words import period_words

    entry = _submission(request, ident)
    ret = entry.ret
    versions = history(engine(request), entry)
    every_event = events(engine(request), [v.id for v in versions])
    its_events = every_event[entry.id]
    context = page_context(ret, [], ret.has_errors)
    body = environment().get_template("return-body.html.j2")
    review_html = Markup(body.render({**context, "embedded": True}))
    data = bundle_of(engine(request), entry.id)
    verdict = _verdict(request, entry, data)
    release = submission_release(server(request), engine(request), funder, entry, data)
    return page(
        request,
        "submission.html.j2",
        status=status,
        funder=funder,
        entry=entry,
        ret=ret,
        period_in_words=period_words(ret.period),
        state=state_of(entry, its_events),
        timeline=_timeline(versions, every_event),
        changes=change_rows(ret),  # the filed version's changes from the one it amends, in words
        verdict=verdict,
        has_bundle=data is not None,
        release=release,
        review_html=review_html,
        problem=problem,
    )


def _timeline(versions: list[Any], found: dict[int, list[Any]]) -> list[tuple[Any, Any, Any]]:
    """Every version and every decision on any of them, oldest first: (version, event, its
    version number); `event` is None on a version's own line, so a query on version 1 shows
    beside version 2 that answers it."""
    lines = [(v.submitted_at, 0, v, None, v.version) for v in versions]
    lines += [(e.at, 1, None, e, v.version) for v in versions for e in found.get(v.id, [])]
    return [(v, e, number) for _, _, v, e, number in sorted(lines, key=lambda line: line[:2])]


def _verdict(request: Request, entry: Any, data: bytes | None) -> list[str]:
    """The bundle's verification in words (the bundle alone: a funder never reads records)."""
    if data is None:
        return ["No bundle is stored for this version, so it cannot be verified here."]
    from peerreport.audit.verdict import verify
    from peerreport.audit.verdicts_text import verdicts_text
    from peerreport.hosted.orgs import org_folder
    from peerreport.workspace import load_workspace

    trusted: list[str] = []
    try:
        own = load_workspace(org_folder(server(request), entry.org)).own_fingerprint()
    except PeerreportError:
        own = None
    if own:
        trusted.append(own)
    verdicts = verify(
        data, None, trusted=trusted, not_recomputed="a funder's check reads the bundle only"
    )
    text = verdicts_text(Path(f"version {entry.version}"), verdicts)
    return [line.strip() for line in text.splitlines()[1:] if line.strip()]


@router.post("/funder/{funder}/submissions/{ident}/accept", include_in_schema=False)
def accept(request: Request, funder: str, ident: int) -> Response:
    """Accept the return: recorded in the ledger, shown to the provider."""
    return _decide(request, funder, ident, "accepted", None)


@router.post("/funder/{funder}/submissions/{ident}/query", include_in_schema=False)
def query(
    request: Request,
    funder: str,
    ident: int,
    message: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Query the return with a message: the provider answers with an amendment or a reply."""
    return _decide(request, funder, ident, "queried", message)


def _decide(request: Request, funder: str, ident: int, kind: str, note: str | None) -> Response:
    from peerreport.ledger.lifecycle import record_event

    entry = _submission(request, ident)
    who = principal(request)
    try:
        record_event(engine(request), entry.org, entry.id, kind, note, actor=who.username)
    except UsageError as exc:
        return _submission_page(request, funder, ident, problem=_sentence(str(exc)), status=400)
    return RedirectResponse(f"/funder/{funder}/submissions/{ident}", status_code=303)


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else text


@router.get("/funder/{funder}/submissions/{ident}/bundle", include_in_schema=False)
def bundle(request: Request, funder: str, ident: int) -> Response:
    """The bundle as the provider filed it."""
    from peerreport.bundle import bundle_name
    from peerreport.hosted.directory import bundle_of

    entry = _submission(request, ident)
    data = bundle_of(engine(request), entry.id)
    if data is None:
        raise UsageError("No bundle is stored for this version.")
    name = bundle_name(entry.ret, entry.version)
    return Response(
        data,
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/funder/{funder}/rules", include_in_schema=False)
def rules_page(request: Request, funder: str, published: str = "") -> Response:
    """The rule files this funder has published, and the form to publish one.

    `published` (after publishing) names the rule file just published, to confirm it.
    """
    return _rules_page(request, funder, published=published[:200])


def _rules_page(
    request: Request, funder: str, problem: str = "", status: int = 200, published: str = ""
) -> Response:
    """The rule files page, with the problem publishing met (never from the address)."""
    from peerreport.hosted.directory import published_rules
    from peerreport.hosted.published import release_change

    found = published_rules(engine(request), funder=funder)
    just = [r for r in found if r.rule_id == published and not problem]
    change = release_change(engine(request), funder, just[0].rule_id) if just else None
    return page(
        request,
        "rules.html.j2",
        status=status,
        funder=funder,
        funder_name=_funder_name(request, funder),
        published=found,
        just_published=just[0] if just else None,
        release_change=change,
        problem=problem,
    )


@router.post("/funder/{funder}/rules", include_in_schema=False)
async def publish(
    request: Request,
    funder: str,
    rule_file: Annotated[UploadFile | None, File()] = None,
    template: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Publish a rule file (and its funder template) to this funder's providers."""
    from starlette.concurrency import run_in_threadpool

    if rule_file is None or not rule_file.filename:
        return _rules_page(request, funder, "Choose the rule file (.toml) to publish.", 400)
    text_bytes = await rule_file.read(RULE_FILE_LIMIT + 1)
    if len(text_bytes) > RULE_FILE_LIMIT:
        return _rules_page(
            request, funder, "The rule file is over 512 KB; it cannot be right.", 400
        )
    try:
        text = text_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return _rules_page(request, funder, f"{rule_file.filename} is not UTF-8 text.", 400)
    data = await template.read() if template is not None and template.filename else None
    name = template.filename if data is not None and template is not None else None
    source = Path(rule_file.filename.replace("\\", "/")).name[:100] or "rule.toml"
    return await run_in_threadpool(_publish, request, funder, text, data, name, source)


def _publish(
    request: Request, funder: str, text: str, data: bytes | None, name: str | None, source: str
) -> Response:
    from urllib.parse import quote

    from peerreport.hosted.directory import publish_rule
    from peerreport.hosted.published import write_published

    try:
        done = publish_rule(engine(request), funder, text, data, name, source_name=source)
    except PeerreportError as exc:
        return _rules_page(request, funder, str(exc), 400)
    write_published(server(request), engine(request), [funder])
    request.app.state.guard.facts.forget()
    target = f"/funder/{funder}/rules?published={quote(done.rule_id, safe='')}"
    return RedirectResponse(target, status_code=303)


@router.get("/funder/{funder}/collate/{rule_id}/{period_label}", include_in_schema=False)
def collation_page(request: Request, funder: str, rule_id: str, period_label: str) -> Response:
    """The period collated from the accepted returns of the funder's providers."""
    from peerreport.render.words import period_words

    collation = _collation(request, funder, rule_id, period_label)
    return page(
        request,
        "collation.html.j2",
        funder=funder,
        c=collation,
        rule_id=rule_id,
        period_label=period_label,
        period_in_words=period_words(collation.period),
        status_words=COLLATED_WORDS,
    )


def _collation(request: Request, funder: str, rule_id: str, period_label: str) -> Any:
    from peerreport.filing import period_of
    from peerreport.hosted.collation import collate_accepted
    from peerreport.hosted.published import funder_rule_file

    rule_file = funder_rule_file(server(request), engine(request), funder, rule_id)
    if not 4 <= len(period_label) <= 30:
        raise UsageError("There is no such period.")
    period = period_of(rule_file, period_label)
    return collate_accepted(engine(request), server(request).data_dir, funder, rule_file, period)


@router.get("/funder/{funder}/collate/{rule_id}/{period_label}/workbook", include_in_schema=False)
def collation_workbook(request: Request, funder: str, rule_id: str, period_label: str) -> Response:
    """The regional workbook of the collated period."""
    from peerreport.collate.workbook import write_workbook

    collation = _collation(request, funder, rule_id, period_label)
    folder = Path(tempfile.mkdtemp(prefix="peerreport-collation-"))
    out = write_workbook(collation, folder / f"{rule_id}-{collation.period.label}-collated.xlsx")
    return FileResponse(
        out, filename=out.name, media_type=XLSX, background=BackgroundTask(remove_folder, folder)
    )


__all__ = ["router"]
