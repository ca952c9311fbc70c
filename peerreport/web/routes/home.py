"""Home: the organisation, its returns with their next period, due date and state, what next."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from peerreport.errors import PeerreportError
from peerreport.web.pages import page
from peerreport.web.routes import desk, today

router = APIRouter()


@dataclass(frozen=True)
class ReturnCard:
    """One return on the home page."""

    rule_id: str
    title: str
    states: list[Any]
    next: Any
    upcoming: str
    problem: str = ""


def return_cards(request: Request) -> list[ReturnCard]:
    """The workspace's returns (and any it has filed), each with its recent periods."""
    from peerreport.ledger import submissions
    from peerreport.render.words import period_words
    from peerreport.returns.overview import next_to_file, period_states
    from peerreport.returns.periods import period_containing
    from peerreport.web.rules import rule_file

    here = desk(request)
    workspace = here.workspace
    filed = {s.rule_id for s in submissions(here.engine, workspace.provider_code)}
    cards = []
    for rule_id in dict.fromkeys([*workspace.returns, *sorted(filed)]):
        try:
            loaded = rule_file(rule_id)
        except PeerreportError as exc:
            cards.append(ReturnCard(rule_id, rule_id, [], None, "", problem=str(exc)))
            continue
        states = period_states(here.engine, workspace.provider_code, loaded, today())
        now = period_containing(
            today(), loaded.model.period or "quarter", loaded.model.year_start or "07-01"
        )
        upcoming = f"{period_words(now)} (ends {now.end:%-d %B %Y})"
        cards.append(
            ReturnCard(rule_id, loaded.model.title, states, next_to_file(states), upcoming)
        )
    return cards


@router.get("/")
def home(request: Request) -> Response:
    """The home page, or Get started when there is no workspace yet."""
    from peerreport.store.history import imports

    here = desk(request)
    if not here.has_workspace:
        return RedirectResponse("/start", status_code=303)
    workspace = here.workspace
    runs = imports(here.engine, workspace.provider_code)
    last = runs[-1] if runs else None
    return page(
        request,
        "home.html.j2",
        cards=return_cards(request),
        last_import=last,
        import_count=len(runs),
    )
