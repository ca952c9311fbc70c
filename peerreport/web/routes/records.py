"""Records: what is stored by month and kind, the import history, one record's history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from peerreport.web.pages import page
from peerreport.web.routes import desk

router = APIRouter()


@router.get("/records")
def records(request: Request) -> Response:
    """Counts of the current records by month and kind, and every import."""
    from peerreport.records.words import month_rows
    from peerreport.store.history import imports
    from peerreport.store.summary import month_table

    here = desk(request)
    org = here.workspace.provider_code
    summary = here.summary()
    labels, rows = month_rows(month_table(summary))
    runs = list(reversed(imports(here.engine, org)))
    return page(request, "records.html.j2", summary=summary, labels=labels, rows=rows, runs=runs)


@router.get("/records/imports/{ident}")
def one_import(request: Request, ident: int) -> Response:
    """One import: file, SHA-256, counts, revision and its problems (values masked)."""
    from peerreport.store.history import import_run_by_id

    here = desk(request)
    run = import_run_by_id(here.engine, here.workspace.provider_code, ident)
    return page(request, "import.html.j2", run=run)


@router.get("/records/activity")
def activity(request: Request, id: str = "") -> Response:
    """A record's history: every version, where it came from, what changed (in words)."""
    from peerreport.store.history import record_history

    here = desk(request)
    versions = None
    current = False
    if id.strip():
        found = record_history(here.engine, here.workspace.provider_code, id.strip())
        versions = [_version_view(v, found.revisions) for v in found.versions]
        current = bool(found.versions) and found.versions[-1].valid_to is None
    return page(
        request, "activity.html.j2", activity_id=id.strip(), versions=versions, current=current
    )


#: Stored columns a person does not need to read (and hashes never shown).
_UNSHOWN = {"org", "content_digest", "digest"}


def _version_view(version: Any, revisions: dict[int, Any]) -> dict[str, Any]:
    """One version in words: when it came and went, its source, its values or changes."""
    from peerreport.records.words import heading_words, value_words

    def name(number: int | None) -> str:
        known = revisions.get(number) if number is not None else None
        return known.describe() if known is not None else f"revision {number}"

    if version.withdrawn:
        state = f"Withdrawn in {name(version.valid_to)}"
    elif version.valid_to is not None:
        state = f"Replaced in {name(version.valid_to)}"
    else:
        state = "Current"
    shown = [
        (heading_words(k), value_words(k, v))
        for k, v in version.values.items()
        if k not in _UNSHOWN and "token" not in k and "hash" not in k and v not in (None, "")
    ]
    changes = [
        (heading_words(c.field), value_words(c.field, c.before), value_words(c.field, c.after))
        for c in version.changes
        if "token" not in c.field and "hash" not in c.field and c.field not in _UNSHOWN
    ]
    return {
        "heading": f"From {name(version.valid_from)}",
        "state": state,
        "source": version.source,
        "values": shown,
        "changes": changes,
    }


@router.post("/records/activity/withdraw")
def withdraw(
    request: Request,
    activity_id: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Withdraw an activity that should not have been recorded (nothing is deleted)."""
    from peerreport.errors import UsageError
    from peerreport.store.history import withdraw as withdraw_activity

    if not reason.strip():
        raise UsageError("Say why the activity is withdrawn: the reason is kept with it.")
    here = desk(request)
    withdraw_activity(here.engine, here.workspace.provider_code, activity_id, reason.strip())
    return RedirectResponse(f"/records/activity?id={activity_id}&withdrawn=1", status_code=303)
