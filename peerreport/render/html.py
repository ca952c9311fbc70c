"""The HTML review page: a self-contained page a coordinator reads before filing.

`templates/return.html.j2` is rendered in jinja2's sandbox with autoescaping
and StrictUndefined. The context is built here from plain dicts, strings and
numbers only (no `Return`, no callables), so the template cannot reach
anything but the data it is shown. The template name is a constant.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from typing import Any

from peerreport.findings import Finding, Severity
from peerreport.render.charts import (
    breakdown_chart,
    by_text,
    earlier_returns,
    history_chart,
    number_text,
)
from peerreport.render.display import (
    DRAFT_BANNER,
    amendment_text,
    change_rows,
    cover_fields,
    disclosure_text,
    due_text,
    filing_text,
    period_text,
    return_status,
    shown,
    symbol,
)
from peerreport.returns.model import PublishedCell, Return, ReturnFigure

TEMPLATE = "return.html.j2"
SEVERITY_TITLES = {"error": "Errors", "warning": "Warnings", "info": "Information"}
#: Cover fields shown in the provenance block (long digests), not the header's facts.
_PROVENANCE = ("Rule file digest", "Records digest", "Tool version")
#: Cover fields the header shows elsewhere (title, subtitle, status, legend) or not at all.
_NOT_FACTS = (
    "Amendment",
    *_PROVENANCE,
    "Organisation",
    "Return",
    "Period start",
    "Period end",
    "Due",
    "Status",
    "Disclosure control",
)


@cache
def _template() -> Any:
    """The compiled page template (compiled once; the sandbox keeps no state between renders)."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    source = files("peerreport_templates").joinpath(TEMPLATE).read_text("utf-8")
    environment = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    return environment.from_string(source)


def render_html(ret: Return, history: Sequence[Return] = (), draft: bool = False) -> str:
    """The review page of `ret` as HTML text; `history` (earlier returns) adds trend charts."""
    return str(_template().render(page_context(ret, history, draft)))


def page_context(
    ret: Return, history: Sequence[Return] = (), draft: bool = False
) -> dict[str, Any]:
    """The template's context: plain data only."""
    earlier = earlier_returns(ret, history)
    status = return_status(ret, draft)
    return {
        "draft": draft,
        "draft_banner": DRAFT_BANNER,
        "page_title": ("DRAFT — " if draft else "")
        + f"{ret.rule.title}: {ret.organisation_name}, {ret.period.label}",
        "title": ret.rule.title,
        "organisation": ret.organisation_name,
        "organisation_code": ret.organisation,
        "period": period_text(ret),
        "period_label": ret.period.label,
        "due": due_text(ret),
        "filing": filing_text(ret),
        "filed": ret.filing is not None,
        "amendment": amendment_text(ret),
        "changes": [
            {"figure": f, "cell": c, "before": b, "after": a} for f, c, b, a in change_rows(ret)
        ],
        "status": status,
        "status_kind": "draft" if draft else ("errors" if ret.has_errors else "ready"),
        "facts": [
            {"label": label, "value": str(value)}
            for label, value in cover_fields(ret, draft)
            if label not in _NOT_FACTS and str(value)
        ],
        "provenance": [
            {"label": label, "value": str(value)}
            for label, value in cover_fields(ret, draft)
            if label in _PROVENANCE
        ],
        "symbol": symbol(ret),
        "disclosure": disclosure_text(ret),
        "rounding": ret.disclosure.get("method") in ("rr3", "graduated"),
        "history_periods": [r.period.label for r in earlier],
        "figures": [_figure(ret, f, earlier) for f in ret.figures],
        "finding_groups": _finding_groups(ret.findings),
        "finding_count": len(ret.findings),
    }


def _cell(ret: Return, cell: PublishedCell) -> dict[str, Any]:
    value = shown(cell, ret)
    return {
        "text": number_text(value) if value is not None else "—",
        "status": cell.status,
        "no_value": value is None,
    }


def _figure(ret: Return, figure: ReturnFigure, earlier: Sequence[Return]) -> dict[str, Any]:
    rows = [
        {"codes": [("not recorded" if k is None else k) for k in c.key], **_cell(ret, c)}
        for c in figure.cells
    ]
    return {
        "id": figure.id,
        "anchor": f"figure-{figure.id}",
        "line": figure.line,
        "label": figure.label,
        "description": figure.description,
        "unit": figure.unit,
        "by": list(figure.by),
        "by_text": by_text(figure.by),
        "total": _cell(ret, figure.total),
        "rows": rows,
        "breakdown_chart": breakdown_chart(ret, figure, symbol(ret)),
        "history_chart": history_chart(ret, figure, earlier, symbol(ret)),
    }


def _finding_groups(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    groups = []
    for severity in Severity:
        items = [
            {
                "code": f.code,
                "message": f.message,
                "hint": f.hint,
                "location": str(f.location),
            }
            for f in findings
            if f.severity is severity
        ]
        if items:
            groups.append(
                {
                    "severity": severity.value,
                    "title": SEVERITY_TITLES[severity.value],
                    "entries": items,  # not "items": that is a dict method in jinja
                }
            )
    return groups
