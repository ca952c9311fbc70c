"""A return as text for people at a terminal: due date, figures in words, findings with hints.

The command line's `build`, `submit`, `returns show` and `demo` print this; the
web shows the HTML review page instead (`peerreport.render.html`). Labels, not
codes, and every hidden cell marked with why it is hidden.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

SEVERITY_COLOURS = {"error": "red", "warning": "yellow", "info": "cyan"}


def render_text(ret: Any, today: dt.date | None = None) -> str:
    """A return as a readable table: when it is due (from `today`), figures, then findings."""
    from peerreport.render.display import due_in_words
    from peerreport.render.words import cell_words, hidden_reason_of, period_words
    from peerreport.returns.model import (
        NOT_COLLECTED,
        SUPPRESSED,
        PublishedCell,
        Return,
        ReturnFigure,
    )

    assert isinstance(ret, Return)
    due = due_in_words(ret, today or dt.date.today())
    symbol = str(ret.disclosure.get("symbol", "S"))

    def shown(cell: PublishedCell) -> str:
        if cell.status == SUPPRESSED:
            return symbol
        if cell.status == NOT_COLLECTED:
            return "not collected"
        if cell.value is None:
            return "-"
        return f"{cell.value:g}" if isinstance(cell.value, float) else str(cell.value)

    lines = [
        click.style(f"{ret.rule.title} ({ret.rule.id} {ret.rule.version})", bold=True),
        f"{ret.organisation_name} ({ret.organisation}), {period_words(ret.period)} "
        f"({ret.period.label}: {ret.period.start} to {ret.period.end})",
        *([f"Due: {due}"] if due else []),
        f"Disclosure: {ret.disclosure['method']}, threshold {ret.disclosure['threshold']}; "
        f"'{symbol}' = suppressed, '~' = rounded",
        "",
    ]
    width = max((len(f.label) for f in ret.figures), default=10) + 2
    reasons: dict[str, str] = {}

    def with_note(cell: PublishedCell, figure: ReturnFigure) -> str:
        if cell.status != SUPPRESSED:
            return shown(cell)
        reason = hidden_reason_of(ret, figure, cell)
        mark = reasons.setdefault(reason, "*" * (len(reasons) + 1))
        return f"{shown(cell)}{mark}"

    for figure in ret.figures:
        mark = "~" if figure.total.status == "rounded" else ""
        lines.append(
            f"{figure.line:>6}  {figure.label:<{width}} {with_note(figure.total, figure):>10}"
            f"{mark}  {figure.unit}".rstrip()
        )
        for cell in figure.cells:
            mark = "~" if cell.status == "rounded" else ""
            words = cell_words(figure, cell)
            lines.append(f"{'':>6}    {words:<{width - 2}} {with_note(cell, figure):>10}{mark}")
    for reason, mark in reasons.items():
        lines.append(f"{mark} {reason[:1].upper()}{reason[1:]}.")
    lines.append("")
    if not ret.findings:
        lines.append(click.style("No findings: the return is ready to submit.", fg="green"))
    for finding in ret.findings:
        colour = SEVERITY_COLOURS.get(finding.severity.value)
        where = f" [{finding.location}]" if str(finding.location) else ""
        lines.append(
            click.style(f"{finding.severity.value.upper():7} {finding.code}", fg=colour)
            + f" {finding.message}{where}"
        )
        if finding.hint:
            lines.append(f"        hint: {finding.hint}")
    errors = sum(1 for f in ret.findings if f.severity.value == "error")
    if errors:
        lines.append(
            click.style(
                f"\n{errors} error(s): fix them before submitting (or export a --draft to review).",
                fg="red",
            )
        )
    return "\n".join(lines)
