"""The auditor's desk: read-only pages on the organisations and returns an auditor is assigned.

Each page is thin over the application layer (`hosted.auditing` gathers,
`audit.submitted` verifies, traces, samples and reports) and never checks
access: the guard asked `access` before the page runs (`/audit/orgs/{org}`
needs `org` assigned, `/audit/submissions/{ident}` the return's organisation).
There are no forms that change anything: every form here is a GET.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from peerreport.errors import UsageError
from peerreport.hosted import access, auditing
from peerreport.hosted.routes import engine, principal, server
from peerreport.web.pages import page

router = APIRouter()
#: The most records a sample page draws (an auditor's sample is tens, not thousands).
MOST_SAMPLED = 500


def _kept(request: Request, ident: int, org: str | None = None) -> auditing.Kept:
    return auditing.kept(engine(request), server(request), request.app.state.desks, ident, org)


@router.get("/audit", include_in_schema=False)
def audit_desk(request: Request) -> Response:
    """The organisations and funders assigned, and every return each organisation filed."""
    who = principal(request)
    orgs = access.audited_orgs(who, request.app.state.guard.facts)
    return page(
        request,
        "audit-desk.html.j2",
        funders=auditing.funder_names(engine(request), who.funders),
        orgs=auditing.desk(engine(request), orgs),
        direct=who.orgs,
    )


@router.get("/audit/orgs/{org}", include_in_schema=False)
def audited_org(request: Request, org: str) -> Response:
    """One organisation: its returns, the ledger's check, its import log and records."""
    from peerreport.audit.verdicts_text import chain_words
    from peerreport.records.words import month_rows
    from peerreport.store.history import imports
    from peerreport.store.summary import month_table

    found = engine(request)
    summary = auditing.records_summary(found, org)
    labels, rows = month_rows(month_table(summary))
    chain = auditing.ledger_check(found, org)
    return page(
        request,
        "audit-org.html.j2",
        code=org,
        org_name=auditing.org_name(found, org),
        versions=auditing.filed_versions(found, org),
        chain=chain,
        chain_words=chain_words(chain),
        chain_findings=[f for f in chain.findings if f.code != "LED-050"],
        runs=list(reversed(imports(found, org))),
        summary=summary,
        labels=labels,
        rows=rows,
    )


@router.get("/audit/orgs/{org}/sample", include_in_schema=False)
def sample(
    request: Request,
    org: str,
    submission: int | None = None,
    size: int = Query(10, ge=1, le=MOST_SAMPLED),
    seed: str = Query("", max_length=100),
    figure: str = Query("", max_length=200),
    download: str = Query("", max_length=8),
) -> Response:
    """Records behind one of the organisation's returns, drawn reproducibly by a seed."""
    from peerreport.audit.submitted import sample_submission
    from peerreport.audit.tables import sample_table
    from peerreport.audit.text import sample_csv, sample_headline

    found = engine(request)
    versions = auditing.filed_versions(found, org)
    chosen = submission if submission is not None else (versions[0].id if versions else None)
    context: dict[str, Any] = {
        "code": org,
        "org_name": auditing.org_name(found, org),
        "versions": versions,
        "chosen": chosen,
        "size": size,
        "seed": seed.strip() or str(secrets.randbelow(10**8)),
        "figure": figure.strip(),
        "drawn": None,
        "problem": "",
    }
    if chosen is None or not seed.strip():
        return page(request, "audit-sample.html.j2", **context)
    held = _kept(request, chosen, org)
    try:
        drawn = sample_submission(
            found,
            held.submission,
            held.bundle,
            size,
            seed.strip(),
            figure.strip() or None,
            held.folders,
        )
    except UsageError as exc:
        return page(request, "audit-sample.html.j2", status=400, **{**context, "problem": str(exc)})
    if download == "csv":
        name = f"sample_{org}_{held.submission.id}_seed-{_safe(seed)}.csv"
        return Response(
            sample_csv(drawn),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )
    headline, note = sample_headline(drawn)
    return page(
        request,
        "audit-sample.html.j2",
        **{
            **context,
            "drawn": drawn,
            "headline": headline,
            "note": note,
            "table": sample_table(drawn),
        },
    )


def _safe(text: str) -> str:
    """Text fit for a file name: letters, digits, '-' and '_' only."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text.strip())[:40]


@router.get("/audit/submissions/{ident}", include_in_schema=False)
def audited_submission(request: Request, ident: int) -> Response:
    """One submitted return verified: its kept bundle, or the return as the ledger recorded it."""
    from peerreport.audit.submitted import audit_submission

    held = _kept(request, ident)
    found = audit_submission(
        engine(request), held.submission, held.bundle, trusted=held.trusted, folders=held.folders
    )
    return page(request, "audit-submission.html.j2", **_about(request, held), audit=found)


def _about(request: Request, held: auditing.Kept) -> dict[str, Any]:
    """What every page about one submitted return shows of it."""
    from peerreport.render.display import period_text

    submission = held.submission
    ret = submission.ret
    versions = auditing.filed_versions(engine(request), submission.org)
    return {
        "submission": submission,
        "filed": next(v for v in versions if v.id == submission.id),
        "org_name": ret.organisation_name,
        "title": ret.rule.title or ret.rule.id,
        "period": period_text(ret),
        "figures": [(f.line or f.id, f.label) for f in ret.figures],
    }


@router.get("/audit/submissions/{ident}/trace", include_in_schema=False)
def trace(
    request: Request,
    ident: int,
    line: str = Query("", max_length=200),
    cell: str = Query("", max_length=200),
) -> Response:
    """The records behind one figure (by line code) of a submitted return."""
    from peerreport.audit.submitted import trace_submission
    from peerreport.audit.tables import traced

    held = _kept(request, ident)
    about = _about(request, held)
    if not line.strip():
        return page(request, "audit-trace.html.j2", **about, line="", traced=None, problem="")
    try:
        found = trace_submission(
            engine(request),
            held.submission,
            held.bundle,
            line.strip(),
            cell.strip() or None,
            held.folders,
        )
    except UsageError as exc:
        return page(
            request,
            "audit-trace.html.j2",
            status=400,
            **about,
            line=line.strip(),
            traced=None,
            problem=str(exc),
        )
    return page(
        request,
        "audit-trace.html.j2",
        **about,
        line=line.strip(),
        traced=traced(found, held.submission.ret),
        problem="",
    )


@router.get("/audit/submissions/{ident}/report", include_in_schema=False)
def report(request: Request, ident: int, download: str = Query("", max_length=8)) -> Response:
    """The one-page audit report of a submitted return's bundle, to print or download."""
    from peerreport.audit.report_page import render_report
    from peerreport.audit.submitted import report_submission

    held = _kept(request, ident)
    if held.bundle is None:
        return page(request, "audit-no-report.html.j2", **_about(request, held))
    found = report_submission(
        engine(request), held.submission, held.bundle, trusted=held.trusted, folders=held.folders
    )
    headers = {}
    if download:
        name = found.bundle_name.removesuffix(".zip").removesuffix(".bundle") + ".audit.html"
        headers["content-disposition"] = f'attachment; filename="{name}"'
    return HTMLResponse(render_report(found), headers=headers)


__all__ = ["router"]
