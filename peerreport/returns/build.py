"""Building a return: compute the figures, check them, protect small counts.

Order matters: checks run on the true values (so a coordinator sees real
problems), then disclosure control turns figures into published cells, and
the findings and record counts are released from those (`release.py`). Only
this stage and `compute` talk to the database.
"""

from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy import Connection, Engine, select

from peerreport.compute import evaluate
from peerreport.compute.tables import version
from peerreport.disclosure.release import audit_release
from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.returns.due import due_date
from peerreport.returns.history_checks import history_findings
from peerreport.returns.model import Return, RuleInfo
from peerreport.returns.periods import Period
from peerreport.returns.record_set import digest_beside, record_counts, records_digest
from peerreport.returns.release import (
    publish,
    rederive,
    release_findings,
    release_record_counts,
)
from peerreport.rulebook.compiled import RuleFile
from peerreport.store.records import prepare_period_reads
from peerreport.store.revisions import resolve_revision
from peerreport.store.schema import activity

__all__ = ["build_return", "completeness_findings", "publish", "record_counts", "records_digest"]


def build_return(
    engine: Engine,
    org: str,
    org_name: str,
    rule_file: RuleFile,
    period: Period,
    as_of: int | None = None,
    figures_only: bool = False,
    *,
    contact_role: str | None = None,
) -> Return:
    """Compute, check and protect one organisation's return for one period.

    The records used are those of revision `as_of` (default: the newest), and
    the return names that revision, so it can be rebuilt exactly as it was.
    `figures_only` is for an earlier period shown beside it (trend charts): the
    same figures and checks, but no records digest (its `records_digest` is
    empty; `record_counts` are counted), no completeness warnings and no history
    checks (which build such earlier periods themselves). `contact_role` is the
    workspace's `[organisation] contact_role`, carried on the return for funders.
    """
    with engine.connect() as conn:
        prepare_period_reads(conn)
        revision = resolve_revision(conn, org, as_of)
        # The records digest reads the period's rows again: beside the figures where it can.
        pending = (
            None if figures_only else digest_beside(engine, org, period.start, period.end, revision)
        )
        evaluation = evaluate(conn, org, rule_file, period.start, period.end, revision)
        if pending is None:
            completeness: list[Finding] = []
            digest, counts = "", record_counts(conn, org, period.start, period.end, revision)
        else:
            completeness = completeness_findings(conn, org, period, revision)
            digest, counts = pending(conn)
    figures = publish(rule_file, list(evaluation.figures), org, period)
    figures, released, zero_exempt = audit_release(
        engine, org, rule_file, period, revision, figures
    )
    # The audit may hide more counts: figures derived from them are hidden with them.
    figures = rederive(rule_file, list(evaluation.figures), figures)
    model = rule_file.model
    findings = sorted(
        [*evaluation.findings, *completeness, *released], key=lambda f: (f.severity.rank, f.code)
    )
    policy = rule_file.disclosure
    # Findings and record counts are released values too (returns/release.py).
    findings = release_findings(rule_file, findings, figures, org, period)
    if not figures_only:
        # History checks compare released values with earlier periods' (history_checks.py).
        later = history_findings(engine, org, org_name, rule_file, period, figures, revision)
        findings = sorted([*findings, *later], key=lambda f: (f.severity.rank, f.code))
    counts = release_record_counts(counts, policy, org, period)
    return Return(
        organisation=org,
        organisation_name=org_name,
        rule=RuleInfo(
            id=rule_file.id,
            version=rule_file.version,
            digest=rule_file.digest,
            title=model.title,
            funder=model.funder,
            spec=model.spec,
            purchase_units=tuple(model.purchase_units),
            meaning=rule_file.meaning,
        ),
        period=period,
        figures=tuple(figures),
        findings=tuple(findings),
        disclosure={
            "method": policy.method,
            "threshold": policy.threshold,
            "secondary": policy.secondary,
            # False when the audit had to hide zeros too: a hidden cell may then be 0.
            "zero_exempt": zero_exempt,
            "symbol": policy.symbol,
        },
        records_digest=digest,
        record_counts=counts,
        revision=revision,
        due=due_date(rule_file, period),
        contact_role=contact_role,
    )


def completeness_findings(
    conn: Connection, org: str, period: Period, revision: int | None = None
) -> list[Finding]:
    """A warning for every month of the period with no activity recorded at all.

    One statement asks, month by month, for the first day with an activity: each is an
    index probe (`ix_activity_org_date`, which ORDER BY date ... LIMIT 1 makes PostgreSQL
    use; an EXISTS it plans as a scan from the start of the table), not a scan of the
    period's activities.
    """
    months = period.months()
    first_days = [
        select(activity.c.date)
        .where(
            activity.c.org == org,
            activity.c.date.between(*_month_in(period, y, m)),
            version(activity, revision),
        )
        .order_by(activity.c.date)
        .limit(1)
        .scalar_subquery()
        .label(f"m{i}")
        for i, (y, m) in enumerate(months)
    ]
    row = conn.execute(select(*first_days)).one() if first_days else ()
    present = {month for month, day in zip(months, row, strict=True) if day is not None}
    findings = []
    for y, m in months:
        if (y, m) not in present:
            name = dt.date(y, m, 1).strftime("%B %Y")
            findings.append(
                finding(
                    "RET-010",
                    f"no activities are recorded in {name}: is the log for {name} missing?",
                    "Import the activity log for that month, or tell the funder the service did "
                    "not run then.",
                    Location(key=f"period {period.label}"),
                    {"month": f"{y:04d}-{m:02d}"},
                )
            )
    return findings


def _month_in(period: Period, year: int, month: int) -> tuple[dt.date, dt.date]:
    """The days of a month that fall in the period."""
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    return max(first, period.start), min(last, period.end)
