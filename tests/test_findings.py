"""The one shape of every finding, pinned: tools and funders read this JSON."""

from __future__ import annotations

import json

from peerreport.findings import Finding, Location, Severity, has_errors


def test_finding_json_shape_is_pinned() -> None:
    finding = Finding(
        code="NZPS-010",
        severity=Severity.ERROR,
        message="12 group sessions but only 3 attendances",
        hint="A group session needs at least one attendee.",
        location=Location(file="activities.xlsx", row=14, column="attendance"),
        details={"failing": 2},
    )
    assert json.loads(json.dumps(finding.to_dict())) == {
        "code": "NZPS-010",
        "severity": "error",
        "message": "12 group sessions but only 3 attendances",
        "hint": "A group session needs at least one attendee.",
        "location": {"file": "activities.xlsx", "row": 14, "column": "attendance"},
        "details": {"failing": 2},
    }
    assert str(finding) == (
        'activities.xlsx, row 14, column "attendance": 12 group sessions but only 3 attendances'
    )


def test_severity_and_has_errors() -> None:
    warning = Finding("W1", Severity.WARNING, "w")
    error = Finding("E1", Severity.ERROR, "e")
    assert not has_errors([warning])
    assert has_errors([warning, error])
    assert sorted([warning, error], key=lambda f: f.severity.rank)[0] is error
