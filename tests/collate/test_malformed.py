"""Sealed but malformed bundles are rejected with their reason; the rest are still collated."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from peerreport.bundle import bundle_bytes
from peerreport.collate import collate
from peerreport.returns.model import Return
from peerreport.returns.periods import parse_period
from peerreport.rulebook import RuleFile
from tests.bundle.sample import ALLOW_UNSIGNED, RULES, load_rules, published, resealed

BUSIEST = """
[[measure]]
id = "busiest"
label = "Largest group"
max = "attendance"
"""
SUBMITTED = {
    "version": 1,
    "supersedes_version": None,
    "reason": None,
    "submitted_at": "2026-10-12T09:00:00+00:00",
}
VERIFY = "verification failed: manifest.json: "


@pytest.fixture
def rule_file(tmp_path: Path) -> RuleFile:
    path = tmp_path / "rules" / "audit-test.toml"
    path.parent.mkdir()
    path.write_text(RULES.format(method="suppress") + BUSIEST, "utf-8")
    return load_rules(path)


def provider(rule_file: RuleFile, org: str, sessions: int) -> Return:
    calls = {"in_person": 0, "phone": 10, "video": 0, "text_online": 8, None: 0}
    values = {"sessions": sessions, "calls": (18, calls), "people": 12, "busiest": 9}
    return published(rule_file, org, values)


def figure(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The figure `name` of a manifest's return."""
    return lambda m: next(f for f in m["return"]["figures"] if f["id"] == name)


def total(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda m: figure(name)(m)["total"].update(value=value)


def submitted_at(value: str) -> Callable[[dict[str, Any]], None]:
    return lambda m: m["submission"].update(submitted_at=value)


MALFORMED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "stamp": (submitted_at("12/10/2026"), VERIFY + "submission.submitted_at: must be a date"),
    "naive": (submitted_at("2026-10-12T09:00:00"), VERIFY + "submission.submitted_at: "),
    "text": (total("sessions", "lots"), VERIFY + "return.figures[0].total.value: text is only"),
    "list": (total("sessions", [1, 2]), VERIFY + "return.figures[0].total.value: must be a num"),
    "huge": (total("sessions", 10**30), VERIFY + "return.figures[0].total.value: is too large"),
    "inf": (total("sessions", float("inf")), VERIFY + "return.figures[0].total.value: must be a"),
    "negative": (total("sessions", -5), VERIFY + "return.figures[0].total.value: a count is a"),
    "counts": (
        lambda m: m["return"]["records"]["counts"].update(activities=-1),
        VERIFY + "return.records.counts.activities: Input should be greater than or equal to 0",
    ),
    "kind": (
        lambda m: figure("sessions")(m).update(
            kind="min", total={**figure("sessions")(m)["total"], "value": "2026-07-01"}
        ),
        "figure sessions is a min by (), but the rule file's is a count by ()",
    ),
    "by": (
        lambda m: figure("calls")(m).update(by=["kind"]),
        "figure calls is a count by (kind), but the rule file's is a count by (mode)",
    ),
    "date": (
        total("busiest", "2026-07-01"),
        "figure busiest (total) is '2026-07-01', but the rule file computes a number",
    ),
    "unknown": (
        lambda m: figure("people")(m).update(id="persons"),
        "figure persons is not a measure of audit-test",
    ),
}


def test_malformed_bundles_are_rejected_and_the_rest_collated(
    rule_file: RuleFile, tmp_path: Path
) -> None:
    paths = []
    for org, sessions in (("P01", 20), ("P02", 7)):
        path = tmp_path / f"{org}.zip"
        path.write_bytes(bundle_bytes(provider(rule_file, org, sessions), {}, submission=SUBMITTED))
        paths.append(path)
    for number, (name, (change, _)) in enumerate(MALFORMED.items()):
        ret = provider(rule_file, f"X{number:02d}", 9)
        path = tmp_path / f"{name}.zip"
        path.write_bytes(resealed(bundle_bytes(ret, {}, submission=SUBMITTED), change))
        paths.append(path)
    result = collate(paths, rule_file, period=parse_period("FY2027-Q1"), trust=ALLOW_UNSIGNED)
    reasons = {Path(r.file).stem: r.reason for r in result.rejected}
    for name, (_, reason) in MALFORMED.items():
        assert reasons[name].startswith(reason), (name, reasons[name])
    assert [p.code for p in result.providers] == ["P01", "P02"]
    sessions = next(f for f in result.figures if f.id == "sessions")
    assert sessions.total.value == 27
