"""Building a return: compute the figures, check them, protect small counts.

Order matters: checks run on the true values (so a coordinator sees real
problems), then disclosure control turns figures into published cells. Only
this stage and `compute` talk to the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Integer, and_, cast, extract, func, select

from peerreport.compute import evaluate
from peerreport.compute.figures import Figure, json_value
from peerreport.compute.tables import version
from peerreport.disclosure import Protected, Status, protect_table
from peerreport.disclosure.release import audit_release
from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.returns.due import due_date
from peerreport.returns.model import (
    EXACT,
    SUPPRESSED,
    PublishedCell,
    Return,
    ReturnFigure,
    RuleInfo,
)
from peerreport.returns.periods import Period
from peerreport.rulebook.compiled import RuleFile
from peerreport.store.revisions import resolve_revision
from peerreport.store.schema import activity, activity_breakdown, feedback, workforce

PROTECTED_KINDS = ("count", "distinct", "sum")


def build_return(
    engine: Engine,
    org: str,
    org_name: str,
    rule_file: RuleFile,
    period: Period,
    as_of: int | None = None,
    figures_only: bool = False,
) -> Return:
    """Compute, check and protect one organisation's return for one period.

    The records used are those of revision `as_of` (default: the newest), and
    the return names that revision, so it can be rebuilt exactly as it was.
    `figures_only` is for an earlier period shown beside it (trend charts): the
    same figures and checks, but no records digest (its `records_digest` is
    empty; `record_counts` are counted) and no completeness warnings.
    """
    with engine.connect() as conn:
        revision = resolve_revision(conn, org, as_of)
        evaluation = evaluate(conn, org, rule_file, period.start, period.end, revision)
        if figures_only:
            completeness: list[Finding] = []
            digest, counts = "", record_counts(conn, org, period.start, period.end, revision)
        else:
            completeness = completeness_findings(conn, org, period, revision)
            digest, counts = records_digest(conn, org, period.start, period.end, revision)
    figures = publish(rule_file, list(evaluation.figures), org, period)
    figures, released = audit_release(engine, org, rule_file, period, revision, figures)
    model = rule_file.model
    findings = sorted(
        [*evaluation.findings, *completeness, *released], key=lambda f: (f.severity.rank, f.code)
    )
    policy = rule_file.disclosure
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
        ),
        period=period,
        figures=tuple(figures),
        findings=tuple(findings),
        disclosure={
            "method": policy.method,
            "threshold": policy.threshold,
            "secondary": policy.secondary,
            "zero_exempt": policy.zero_exempt,
            "symbol": policy.symbol,
        },
        records_digest=digest,
        record_counts=counts,
        revision=revision,
        due=due_date(rule_file, period),
    )


def publish(
    rule_file: RuleFile, figures: Sequence[Figure], org: str, period: Period
) -> list[ReturnFigure]:
    """Apply the rule file's disclosure control to every figure that counts people or events."""
    policy = rule_file.disclosure
    published: dict[str, ReturnFigure] = {}
    for figure in figures:
        compiled = rule_file.measures[figure.id]
        if figure.kind in PROTECTED_KINDS and _whole_numbers(figure) and policy.method != "none":
            identity = (rule_file.id, figure.id, period.label, org)
            protected = _protect(figure, policy, identity)
            total = _cell((), protected[()])
            cells = tuple(_cell(c.key, protected[c.key]) for c in figure.cells)
        elif (
            figure.kind == "expr"
            and compiled.argument is not None
            and any(
                name in published and published[name].total.status == SUPPRESSED
                for name in compiled.argument.names()
            )
        ):
            # A figure derived from a hidden one could reveal it: hide it too.
            total, cells = PublishedCell((), None, SUPPRESSED), ()
        else:
            total = PublishedCell((), json_value(figure.value), EXACT)
            cells = tuple(PublishedCell(c.key, json_value(c.value), EXACT) for c in figure.cells)
        published[figure.id] = ReturnFigure(
            id=figure.id,
            label=figure.label or figure.id,
            kind=figure.kind,
            unit=figure.unit,
            line=figure.line,
            by=figure.by,
            total=total,
            cells=cells,
            description=compiled.measure.description,
        )
    return list(published.values())


def _protect(
    figure: Figure, policy: Any, identity: tuple[str, ...]
) -> dict[tuple[str | None, ...], Protected]:
    """Protect one figure's table; cells that do not add up to the total are protected alone.

    A distinct count broken down (one person can be in several cells) is not
    additive, so no cell can be recovered from the total by subtraction: each
    cell and the total are protected as tables of their own.
    """
    total = _count(figure.value)
    cells = {c.key: _count(c.value) for c in figure.cells}
    if not cells or (figure.kind != "distinct" and sum(cells.values()) == total):
        return protect_table({(): total, **cells}, len(figure.by), policy, identity)
    result = protect_table({(): total}, 0, policy, identity)
    for key, value in cells.items():
        single = protect_table({(): value}, 0, policy, (*identity, repr(key)))
        result[key] = single[()]
    return result


def _count(value: object) -> int:
    assert value is None or isinstance(value, int)  # checked by _whole_numbers
    return value or 0


def _whole_numbers(figure: Figure) -> bool:
    values = [figure.value, *(c.value for c in figure.cells)]
    return all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in values)


def _cell(key: tuple[str | None, ...], protected: Protected) -> PublishedCell:
    status = {Status.EXACT: EXACT, Status.SUPPRESSED: SUPPRESSED}.get(protected.status, "rounded")
    return PublishedCell(key, protected.value, status)


def completeness_findings(
    conn: Connection, org: str, period: Period, revision: int | None = None
) -> list[Finding]:
    """A warning for every month of the period with no activity recorded at all."""
    year = cast(extract("year", activity.c.date), Integer)
    month = cast(extract("month", activity.c.date), Integer)
    present = {
        (int(y), int(m))
        for y, m in conn.execute(
            select(year, month)
            .where(
                activity.c.org == org,
                activity.c.date.between(period.start, period.end),
                version(activity, revision),
            )
            .group_by(year, month)
        )
    }
    findings = []
    for y, m in period.months():
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


def _record_queries(org: str, start: dt.date, end: dt.date, revision: int | None) -> dict[str, Any]:
    """The digests of the records a return is computed from, one query per kind of record."""
    in_period = and_(activity.c.date.between(start, end), version(activity, revision))
    return {
        "activities": select(activity.c.digest).where(activity.c.org == org, in_period),
        "breakdowns": select(activity_breakdown.c.digest)
        .join(
            activity,
            (activity.c.org == activity_breakdown.c.org)
            & (activity.c.activity_id == activity_breakdown.c.activity_id),
        )
        .where(activity_breakdown.c.org == org, in_period, version(activity_breakdown, revision)),
        "workforce": select(workforce.c.digest).where(
            workforce.c.org == org,
            workforce.c.period_start >= start,
            workforce.c.period_end <= end,
            version(workforce, revision),
        ),
        "feedback": select(feedback.c.digest).where(
            feedback.c.org == org,
            feedback.c.period_start >= start,
            feedback.c.period_end <= end,
            version(feedback, revision),
        ),
    }


def record_counts(
    conn: Connection, org: str, start: dt.date, end: dt.date, revision: int | None = None
) -> dict[str, int]:
    """How many records of each kind a return for the period is computed from (counted in SQL)."""
    return {
        name: int(conn.execute(select(func.count()).select_from(query.subquery())).scalar_one())
        for name, query in _record_queries(org, start, end, revision).items()
    }


def records_digest(
    conn: Connection, org: str, start: dt.date, end: dt.date, revision: int | None = None
) -> tuple[str, dict[str, int]]:
    """An order-independent digest of the records a return is computed from, and their counts.

    Each stored row carries a digest of its content; sorting them makes the
    result independent of storage order. Any added, removed or changed record
    in the period changes it.
    """
    queries = _record_queries(org, start, end, revision)
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    for name, query in queries.items():
        digests = sorted(str(row[0]) for row in conn.execute(query))
        counts[name] = len(digests)
        digest.update(f"{name}:{len(digests)}\n".encode())
        for value in digests:
            digest.update(value.encode("ascii") + b"\n")
    return "sha256:" + digest.hexdigest(), counts
