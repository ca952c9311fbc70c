"""The admin's page: organisations, funders and their providers, people and what each may see.

Read-only: organisations, funders, accounts and grants are changed with
`peerreport admin` on the server's command line, where the first admin is
made. An admin sees no records and no returns.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from peerreport.hosted.routes import engine
from peerreport.web.pages import page

router = APIRouter()


@router.get("/admin", include_in_schema=False)
def overview(request: Request) -> Response:
    """Who is on this server and what each person may see."""
    from peerreport.hosted.accounts import accounts
    from peerreport.hosted.directory import funders, organisations, providers_of, scope_of

    db = engine(request)
    orgs = organisations(db)
    names = dict(orgs)
    funder_rows = [(code, name, providers_of(db, code)) for code, name in funders(db)]
    people = []
    for account in accounts(db):
        scope = scope_of(db, account.id)
        people.append(
            (
                account,
                [names.get(code, code) for code in scope.orgs],
                [name for code, name, _ in funder_rows if code in scope.funders],
            )
        )
    return page(request, "admin.html.j2", orgs=orgs, funder_rows=funder_rows, people=people)


__all__ = ["router"]
