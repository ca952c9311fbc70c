"""An `AuditReport` as one printable HTML page for an auditor's working papers.

`templates/audit-report.html.j2` is rendered as the review page is: in
jinja2's sandbox, autoescaped, with StrictUndefined, from plain dicts,
strings and numbers only. The page is self-contained (inline CSS, no
scripts, fonts, images or links out) and laid out for A4 paper.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib.resources import files
from typing import Any

from peerreport import __version__
from peerreport.audit.report import (
    NOT_CHECKED,
    AuditReport,
    Section,
    after_submission,
)
from peerreport.findings import Finding
from peerreport.render.charts import number_text
from peerreport.render.display import period_text

TEMPLATE = "audit-report.html.j2"
STATE_LABELS = {
    "passed": "Passed",
    "failed": "Failed",
    "warning": "See note",
    "info": "For information",
    "not checked": "Not checked",
}


@cache
def _template() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    source = files("peerreport_templates").joinpath(TEMPLATE).read_text("utf-8")
    environment = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    return environment.from_string(source)


def render_report(report: AuditReport) -> str:
    """The audit report as one HTML page."""
    return str(_template().render(report_context(report)))


def _time(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC"


def report_context(report: AuditReport) -> dict[str, Any]:
    """The template's context: plain data only."""
    ret = report.ret
    title = ret.rule.title if ret is not None else report.bundle_name
    later = after_submission(
        report.import_log, report.submission, report.ret.revision if report.ret else None
    )
    return {
        "page_title": f"Audit report: {title}"
        + (f" — {ret.organisation_name}, {ret.period.label}" if ret is not None else ""),
        "title": title,
        "organisation": ret.organisation_name if ret is not None else "",
        "organisation_code": ret.organisation if ret is not None else "",
        "period": period_text(ret) if ret is not None else "",
        "overall": report.state.replace(" ", "-"),
        "summary": report.summary,
        "facts": _facts(report),
        "sections": [_section(n, s) for n, s in enumerate(report.sections, start=1)],
        "files": [
            {
                "name": str(f.get("name", "")),
                "size": number_text(f.get("size")),
                "sha256": str(f.get("sha256", "")),
            }
            for f in report.files
        ],
        "figures": [
            {
                "line": f.line,
                "label": f.label,
                "measure": f.measure,
                "published": f.published,
                "recomputed": f.recomputed if f.recomputed is not None else "",
                "agrees": {True: "yes", False: "no", None: ""}[f.agrees],
            }
            for f in report.figures
        ],
        "recomputed": report.recomputation.state != NOT_CHECKED,
        "history": [
            {
                "version": s.version,
                "status": s.status,
                "submitted_at": _time(s.submitted_at),
                "reason": s.reason or "",
                "bundle_sha256": s.bundle_sha256 or "",
                "this": s.bundle_sha256 == report.bundle_sha256,
            }
            for s in report.history
        ],
        "imports": [
            {
                "when": _time(r.finished_at),
                "file_name": r.file_name,
                "file_sha256": r.file_sha256,
                "added": number_text(r.added),
                "updated": number_text(r.updated),
                "unchanged": number_text(r.unchanged),
                "rejected": number_text(r.rejected),
                "after": r.id in later,
            }
            for r in report.import_log
        ],
        "made_at": _time(report.made_at),
        "tool_version": __version__,
    }


def _facts(report: AuditReport) -> list[dict[str, str]]:
    ret = report.ret
    facts = [("Bundle file", report.bundle_name), ("Bundle SHA-256", report.bundle_sha256)]
    if ret is not None:
        facts += [
            ("Organisation", f"{ret.organisation_name} ({ret.organisation})"),
            ("Return", f"{ret.rule.title} — rule file {ret.rule.id}, version {ret.rule.version}"),
            ("Period", period_text(ret)),
        ]
    submission = report.submission
    if submission is not None:
        facts.append(("Submitted as", _submitted(submission)))
    elif ret is not None:
        facts.append(("Submitted as", "not submitted (an exported bundle)"))
    facts.append(("Signed by", report.signer or "not signed"))
    facts.append(("Records read from", report.database or "no database (bundle checks only)"))
    if ret is not None:
        facts += [("Rule file digest", ret.rule.digest), ("Records digest", ret.records_digest)]
    facts.append(("Report made", f"{_time(report.made_at)} with peerreport {__version__}"))
    return [{"label": label, "value": value} for label, value in facts]


def _submitted(submission: dict[str, Any]) -> str:
    """'version 2 (amends version 1), 2026-10-19 14:10 UTC; reason: ...' from the bundle."""
    text = f"version {submission.get('version')}"
    if submission.get("supersedes_version"):
        text += f" (amends version {submission['supersedes_version']})"
    when = submission.get("submitted_at")
    if isinstance(when, str):
        try:
            text += f", {_time(dt.datetime.fromisoformat(when).astimezone(dt.UTC))}"
        except ValueError:
            text += f", {when}"
    if submission.get("reason"):
        text += f"; reason given: {submission['reason']}"
    return text


def _section(number: int, section: Section) -> dict[str, Any]:
    return {
        "number": number,
        "key": section.key,
        "title": section.title,
        "state": section.state.replace(" ", "-"),
        "state_label": STATE_LABELS[section.state],
        "verdict": section.verdict,
        "note": section.note,
        "findings": [_finding(f) for f in section.findings],
    }


def _finding(finding: Finding) -> dict[str, str]:
    location = str(finding.location)
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
        "where": location,
        "hint": finding.hint,
    }
