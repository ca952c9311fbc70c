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
    place_words,
    return_status,
    shown,
    summary_text,
    symbol,
)
from peerreport.render.words import (
    HIDDEN_DERIVED,
    category_label,
    field_label,
    heading,
    hidden_reason,
    hidden_reason_of,
    period_words,
)
from peerreport.returns.model import SUPPRESSED, PublishedCell, Return, ReturnFigure

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
    """The compiled page template (compiled once; the sandbox keeps no state between renders).

    It includes `return-style.css` and `return-body.html.j2`, which the web's
    review page includes too: one page, two places.
    """
    from jinja2 import FunctionLoader, StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def source(name: str) -> str:
        return files("peerreport_templates").joinpath(name).read_text("utf-8")

    environment = ImmutableSandboxedEnvironment(
        loader=FunctionLoader(source), autoescape=True, undefined=StrictUndefined
    )
    return environment.get_template(TEMPLATE)


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
        "history_periods": [period_words(r.period) for r in earlier],
        "figures": [_figure(ret, f, earlier) for f in ret.figures],
        "finding_groups": _finding_groups(ret),
        "summary": summary_text(ret),
        "hidden_notes": _hidden_notes(ret),
        "finding_count": len(ret.findings),
    }


def _cell(ret: Return, figure: ReturnFigure, cell: PublishedCell) -> dict[str, Any]:
    value = shown(cell, ret)
    hidden = cell.status == SUPPRESSED
    return {
        "text": number_text(value) if value is not None else "—",
        "status": cell.status,
        "no_value": value is None,
        "note": _note_number(ret, figure, cell) if hidden else None,
        "why": hidden_reason_of(ret, figure, cell) if hidden else "",
    }


def _own_notes(ret: Return) -> dict[str, int]:
    """The notes of cells the audit of everything released hid: numbered 4, 5, ... in order."""
    found: dict[str, int] = {}
    for figure in ret.figures:
        for cell in (figure.total, *figure.cells):
            if cell.status == SUPPRESSED and cell.note and cell.note not in found:
                found[cell.note] = len(found) + 4
    return found


def _note_number(ret: Return, figure: ReturnFigure, cell: PublishedCell) -> int:
    """The footnote of a hidden cell: its own note (4, 5, ...), else by kind (`_note`)."""
    if cell.note:
        return _own_notes(ret)[cell.note]
    return _note(figure)


def _figure(ret: Return, figure: ReturnFigure, earlier: Sequence[Return]) -> dict[str, Any]:
    rows = [
        {
            "codes": [category_label(f, k) for f, k in zip(figure.by, c.key, strict=False)],
            **_cell(ret, figure, c),
        }
        for c in figure.cells
    ]
    return {
        "id": figure.id,
        "anchor": f"figure-{figure.id}",
        "line": figure.line,
        "label": figure.label,
        "heading": heading(figure),
        "description": figure.description,
        "unit": figure.unit,
        "by": [field_label(f) for f in figure.by],
        "by_text": by_text(figure.by),
        "total": _cell(ret, figure, figure.total),
        "rows": rows,
        "breakdown_chart": breakdown_chart(ret, figure, symbol(ret)),
        "history_chart": history_chart(ret, figure, earlier, symbol(ret)),
    }


def _finding_groups(ret: Return) -> list[dict[str, Any]]:
    groups = []
    findings = ret.findings
    for severity in Severity:
        items = [
            {
                "code": f.code,
                "message": f.message,
                "hint": f.hint,
                "location": place_words(f, ret),
                "history": history_rows(f),
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


def history_rows(found: Finding) -> list[dict[str, str]]:
    """A history check's earlier released values, for the finding on the page (oldest first)."""
    if found.details.get("kind") != "history":
        return []
    return [
        {"period": str(entry.get("period", "")), "value": _number_text(entry.get("value"))}
        for entry in found.details.get("history") or []
        if isinstance(entry, dict)
    ]


def _number_text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


def _note(figure: ReturnFigure) -> int:
    """The footnote of a hidden cell: 1 a count, 2 a derived figure, 3 a min or max."""
    return 2 if figure.kind == "expr" else 3 if figure.kind in ("min", "max") else 1


def _hidden_notes(ret: Return) -> list[dict[str, Any]]:
    """The footnotes that say why hidden cells are hidden: only those the page uses."""
    used = {
        _note_number(ret, figure, cell)
        for figure in ret.figures
        for cell in (figure.total, *figure.cells)
        if cell.status == SUPPRESSED
    }
    notes = {1: hidden_reason(ret), 2: HIDDEN_DERIVED, 3: hidden_reason(ret, extreme=True)}
    notes.update({number: text for text, number in _own_notes(ret).items()})
    return [{"number": n, "text": notes[n][:1].upper() + notes[n][1:]} for n in sorted(used)]
