"""A hand-built `Return` for the renderer tests: every cell status, a breakdown with a
"not recorded" cell, a two-field breakdown, a float, a negative number, a date, a figure
with no value, Māori macrons, and findings of every severity."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from peerreport.findings import Finding, Location, Severity
from peerreport.returns.model import PublishedCell, Return, ReturnFigure, RuleInfo
from peerreport.returns.periods import Period

INJECTIONS = (
    '=HYPERLINK("http://x","y")',
    "@SUM(1)",
    "+1",
    "-1+1",
    "\t=1",
    "\r=1",
    "  =1+1",
    "＝1",
)
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

ORG_NAME = "Te Whare Tāwharau peer collective"
RULE = RuleInfo(
    id="nz-peer-support",
    version="2026.1",
    digest="sha256:" + "ab" * 32,
    title="Peer support service for adults",
    funder="Example funder (Ōtautahi)",
    spec="MHC36F",
    purchase_units=("MHC36F", "MHC37"),
)
PERIOD = Period(dt.date(2026, 7, 1), dt.date(2026, 9, 30), "FY2027-Q1", "quarter")
DISCLOSURE: dict[str, Any] = {
    "method": "suppress",
    "threshold": 6,
    "secondary": True,
    "zero_exempt": True,
    "symbol": "S",
}


def cell(key: tuple[str | None, ...], value: Any, status: str = "exact") -> PublishedCell:
    """A published cell."""
    return PublishedCell(key, value, status)


def figure(
    ident: str,
    total: PublishedCell,
    *,
    line: str = "",
    label: str = "",
    unit: str = "",
    kind: str = "count",
    by: tuple[str, ...] = (),
    cells: tuple[PublishedCell, ...] = (),
) -> ReturnFigure:
    """A published figure."""
    return ReturnFigure(ident, label or ident, kind, unit, line, by, total, cells)


FIGURES = (
    figure(
        "group_sessions",
        cell((), 45),
        line="PS-02",
        label="Peer support group sessions delivered",
        unit="sessions",
    ),
    figure(
        "warm_line_calls",
        cell((), 96, "rounded"),
        line="PS-05",
        label="Warm-line calls answered",
        unit="calls",
        by=("mode",),
        cells=(
            cell(("in_person",), 0),
            cell(("phone",), 93, "rounded"),
            cell(("video",), None, "suppressed"),
            cell((None,), 3, "rounded"),
        ),
    ),
    figure(
        "attendances",
        cell((), 110),
        line="PS-03",
        kind="sum",
        label="Attendances — Māori and Pacific whānau",
        unit="attendances",
        by=("ethnicity",),
        cells=(
            cell(("maori",), 40),
            cell(("pacific",), None, "suppressed"),
            cell(("european",), None, "suppressed"),
            cell((None,), 7),
        ),
    ),
    figure(
        "average_group_size",
        cell((), 6.4),
        line="PS-07",
        kind="expr",
        label="Average group size",
        unit="people",
    ),
    figure(
        "membership_change", cell((), -3), kind="expr", label="Change in members", unit="members"
    ),
    figure("calls_per_volunteer", cell((), None), kind="expr", label="Calls per volunteer"),
    figure("first_activity", cell((), "2026-07-02"), kind="min", label="First activity"),
    figure(
        "sessions_by_mode_kind",
        cell((), 45),
        label="Sessions by mode and kind",
        unit="sessions",
        by=("mode", "kind"),
        cells=(cell(("in_person", "group"), 33), cell(("phone", "group"), 12)),
    ),
)

FINDINGS = (
    Finding(
        "NZPS-010",
        Severity.ERROR,
        "45 group sessions but only 0 attendances",
        "A group session needs at least one attendee; check for sessions logged with attendance 0.",
        Location(measure="group_sessions"),
    ),
    Finding(
        "RET-010",
        Severity.WARNING,
        "no activities are recorded in August 2026",
        "Import the activity log for that month.",
        Location(key="period FY2027-Q1"),
    ),
    Finding(
        "INFO-1",
        Severity.INFO,
        "Rōpū session notes were left empty",
        "",
        Location(file="activities.xlsx", row=14, column="notes"),
    ),
)


def sample_return(**changes: Any) -> Return:
    """The sample return, with any fields replaced."""
    ret = Return(
        organisation="ORG-01",
        organisation_name=ORG_NAME,
        rule=RULE,
        period=PERIOD,
        figures=FIGURES,
        findings=FINDINGS,
        disclosure=dict(DISCLOSURE),
        records_digest="sha256:" + "cd" * 32,
        record_counts={"activity": 120, "breakdown": 48},
        tool_version="0.1.0",
        due=dt.date(2026, 10, 20),
    )
    return dataclasses.replace(ret, **changes)


def clean_return(**changes: Any) -> Return:
    """The sample return without its error finding (exportable)."""
    return sample_return(findings=FINDINGS[1:], **changes)


def injected_return(text: str) -> Return:
    """The sample return with `text` as the organisation name, a label and a finding."""
    figures = (dataclasses.replace(FIGURES[0], label=text, unit=text, line=text), *FIGURES[1:])
    finding = Finding("X-1", Severity.WARNING, text, text, Location(file=text))
    return sample_return(organisation_name=text, figures=figures, findings=(finding,))


def earlier_return(
    label: str, start: dt.date, end: dt.date, sessions: Any, status: str = "exact"
) -> Return:
    """An earlier period's return (for history charts)."""
    figures = (dataclasses.replace(FIGURES[0], total=cell((), sessions, status)), *FIGURES[1:])
    return clean_return(period=Period(start, end, label, "quarter"), figures=figures)


def starts_like_formula(text: str) -> bool:
    """True when `text` (or `text` after leading whitespace) starts with a formula trigger."""
    return text.startswith(TRIGGERS) or text.lstrip(" \t\r\n\u3000").startswith(TRIGGERS)
