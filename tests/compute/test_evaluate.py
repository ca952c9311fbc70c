"""evaluate(): periods, organisations, breakdown cells, derived figures and checks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from peerreport.compute import DIVISION_BY_ZERO, evaluate
from peerreport.errors import UsageError
from peerreport.rulebook import RuleFile
from tests.compute.conftest import ORG, activity

Q1 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))


def test_period_and_organisation_filters(
    engine: Engine, rule_file: Callable[[str], RuleFile], store: Callable[..., None]
) -> None:
    rules = rule_file(
        '[[measure]]\nid = "n"\ncount = "activity"\n'
        '[[measure]]\nid = "fte"\nsource = "workforce"\nsum = "paid_fte"\nround = 1\n'
    )
    store(
        activities=[
            activity("first", "2026-07-01"),
            activity("last", "2026-09-30"),
            activity("before", "2026-06-30"),
            activity("after", "2026-10-01"),
        ],
        workforce=[
            {
                "period_start": "2026-07-01",
                "period_end": "2026-09-30",
                "role": "advocate",
                "paid_fte": "1.25",
            },
            {
                "period_start": "2026-10-01",
                "period_end": "2026-10-31",
                "role": "educator",
                "paid_fte": "9",
            },
            {
                "period_start": "2026-06-01",
                "period_end": "2026-06-30",
                "role": "educator",
                "paid_fte": "9",
            },
        ],
    )
    store(org="OTHER", activities=[activity("first", "2026-07-02")])
    result = evaluate(engine, ORG, rules, *Q1)
    assert result.figures["n"].value == 2  # both ends inclusive, other organisation ignored
    assert result.figures["fte"].value == 1.3  # entries outside the period not counted; half up
    assert result.to_dict()["period"] == ["2026-07-01", "2026-09-30"]


def test_breakdown_cells_are_complete(
    engine: Engine, rule_file: Callable[[str], RuleFile], store: Callable[..., None]
) -> None:
    rules = rule_file(
        '[grouping.band]\nfield = "category"\nother = "other"\n'
        '[grouping.band.map]\nyoung = ["under_15", "15_24"]\n'
        'older = ["25_44", "45_64", "65_plus"]\n'
        '[[measure]]\nid = "by_mode"\nsum = "attendance"\nby = ["mode"]\n'
        '[[measure]]\nid = "by_band"\nsource = "breakdown"\nsum = "count"\n'
        'where = "dimension = \'age_band\'"\nby = ["band"]\n'
        '[[measure]]\nid = "by_age"\nsource = "breakdown"\nsum = "count"\n'
        'where = "dimension = \'age_band\'"\nby = ["category"]\n'
    )
    store(
        activities=[activity("A", mode="phone", attendance=4), activity("B", attendance=6)],
        breakdowns=[
            {"activity_id": "A", "dimension": "age_band", "category": "15_24", "count": 3},
            {"activity_id": "A", "dimension": "age_band", "category": "not_stated", "count": 1},
            {"activity_id": "B", "dimension": "gender", "category": "male", "count": 6},
        ],
    )
    figures = evaluate(engine, ORG, rules, *Q1).figures
    by_mode = {c.label(): c.value for c in figures["by_mode"].cells}
    assert by_mode == {"in_person": 0, "phone": 4, "video": 0, "text_online": 0, "-": 6}
    assert {c.label(): c.value for c in figures["by_band"].cells} == {
        "young": 3,
        "older": 0,
        "other": 1,
    }
    by_age = {c.label(): c.value for c in figures["by_age"].cells}
    assert list(by_age) == ["under_15", "15_24", "25_44", "45_64", "65_plus", "not_stated"]
    assert by_age["15_24"] == 3 and figures["by_age"].value == 4


def test_checks_of_every_kind(
    engine: Engine, rule_file: Callable[[str], RuleFile], store: Callable[..., None]
) -> None:
    rules = rule_file(
        '[[measure]]\nid = "att"\nsum = "attendance"\nwhere = "kind = \'group\'"\n'
        '[[measure]]\nid = "groups"\ncount = "activity"\nwhere = "kind = \'group\'"\n'
        '[[measure]]\nid = "calls"\ncount = "activity"\nwhere = "kind = \'warm_line_call\'"\n'
        '[[measure]]\nid = "per_call"\nexpr = "att / calls"\n'
        '[[measure]]\nid = "parts"\ncount = "activity"\nwhere = "kind = \'group\'"\nby = ["mode"]\n'
        '[[check]]\nid = "R-1"\nsource = "activity"\nwhere = "kind = \'group\'"\n'
        'assert = "duration_minutes >= 30"\nmessage = "{count} short groups: {sample}"\n'
        'hint = "Check {count} rows"\nsample = 2\n'
        '[[check]]\nid = "T-1"\nseverity = "warning"\nassert = "att > 100"\n'
        'message = "only {att} attendances in {groups} groups"\n'
        '[[check]]\nid = "T-2"\nwhere = "groups > 100"\nassert = "att > 100000"\n'
        'message = "never"\n'
        '[[check]]\nid = "T-3"\nassert = "per_call > 1"\nmessage = "unknown"\n'
        '[[check]]\nid = "K-1"\nseverity = "info"\ntotal = "calls"\nparts = ["parts"]\n'
        'message = "calls {total} vs groups {parts}, off by {difference}"\n'
    )
    store(
        activities=[
            activity("G1", duration_minutes=10),
            activity("G2", duration_minutes=20),
            activity("G3", duration_minutes=25),
            activity("G4"),  # null duration: the assertion is null, not failed
            activity("G5", duration_minutes=90),
        ]
    )
    result = evaluate(engine, ORG, rules, *Q1)
    findings = {f.code: f for f in result.findings}
    assert set(findings) == {"K-1", DIVISION_BY_ZERO, "R-1", "T-1"}
    r1 = findings["R-1"]
    assert r1.message == "3 short groups: G1, G2, ..."
    assert r1.hint == "Check 3 rows"
    assert r1.details["count"] == 3 and r1.details["sample"] == ["G1", "G2"]
    assert findings["T-1"].message == "only 25 attendances in 5 groups"
    assert findings["T-1"].severity.value == "warning"
    assert findings["K-1"].message == "calls 0 vs groups 5, off by -5"
    assert findings["K-1"].location.measure == "calls"
    outcomes = {o.check: o.status for o in result.outcomes}
    assert outcomes == {
        "R-1": "fail",
        "T-1": "fail",
        "T-2": "pass",
        "T-3": "unknown",
        "K-1": "fail",
    }
    assert result.figures["per_call"].value is None
    assert result.has_errors  # R-1 is an error


def test_record_check_finding_json_shape_is_pinned(
    engine: Engine, rule_file: Callable[[str], RuleFile], store: Callable[..., None]
) -> None:
    rules = rule_file(
        '[[check]]\nid = "EX-1"\ntitle = "t"\nseverity = "warning"\nsource = "activity"\n'
        'assert = "attendance > 0"\nmessage = "{count} empty: {sample}"\nhint = "Fix them"\n'
    )
    store(activities=[activity("E1", attendance=0)])
    (finding,) = evaluate(engine, ORG, rules, *Q1).findings
    assert json.loads(json.dumps(finding.to_dict())) == {
        "code": "EX-1",
        "severity": "warning",
        "message": "1 empty: E1",
        "hint": "Fix them",
        "location": {"key": "check[0]"},
        "details": {
            "check": "EX-1",
            "kind": "record",
            "rule_file": "r",
            "source": "activity",
            "count": 1,
            "sample": ["E1"],
        },
    }


def test_reversed_period_is_a_usage_error(
    engine: Engine, rule_file: Callable[[str], RuleFile]
) -> None:
    rules = rule_file('[[measure]]\nid = "n"\ncount = "activity"\n')
    with pytest.raises(UsageError):
        evaluate(engine, ORG, rules, Q1[1], Q1[0])
