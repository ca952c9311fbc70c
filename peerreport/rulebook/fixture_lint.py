"""Checking a rule file's fixtures without running them: names, codes, records, files."""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError

from peerreport.findings import Finding
from peerreport.language import did_you_mean
from peerreport.records.models import RECORD_TYPES
from peerreport.rulebook.compiled import RuleFile
from peerreport.rulebook.fixture_model import Fixture
from peerreport.rulebook.problems import key_path, problem

#: Finding codes the compute stage itself produces (besides the checks' codes).
BUILTIN_CODES = ("RET-020",)


def fixture_period(fixture: Fixture) -> tuple[dt.date, dt.date]:
    """The fixture's period as dates (ValueError if malformed or reversed)."""
    start, end = (dt.date.fromisoformat(d) for d in fixture.period)
    if end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    return start, end


def lint_fixtures(rule_file: RuleFile) -> list[Finding]:
    """Every problem in the fixtures of a loaded rule file."""
    findings: list[Finding] = []
    codes = [*rule_file.checks, *BUILTIN_CODES]
    for index, fixture in enumerate(rule_file.model.fixture):
        findings += _lint_fixture(rule_file, index, fixture, codes)
    return findings


def _lint_fixture(
    rule_file: RuleFile, index: int, fixture: Fixture, codes: list[str]
) -> list[Finding]:
    findings: list[Finding] = []
    path = rule_file.path
    key = f"fixture[{index}]"

    def add(message: str, sub: str) -> None:
        text = f"fixture '{fixture.name}': {message}"
        findings.append(problem("RUL-040", text, path, f"{key}.{sub}"))

    try:
        fixture_period(fixture)
    except ValueError as exc:
        add(f"bad period: {exc}", "period")
    expect = fixture.expect
    included = expect.includes
    figures = [(name, "expect.figures") for name in expect.figures]
    figures += [(name, "expect.includes.figures") for name in included.figures] if included else []
    for name, where in figures:
        if name not in rule_file.measures:
            hint = did_you_mean(name, rule_file.measures)
            add(f"unknown measure '{name}'.{hint}", f"{where}.{name}")
    wanted = [(code, "expect.findings") for code in expect.findings or []]
    wanted += [(code, "expect.includes.findings") for code in included.findings] if included else []
    for code, where in wanted:
        if code not in codes:
            add(f"unknown finding code '{code}'." + did_you_mean(code, codes), where)
    for record_file in fixture.records:
        if not (path.parent / record_file).is_file():
            add(f"record file not found: {path.parent / record_file}", "records")
    for record_type, model in RECORD_TYPES.items():
        for row, data in enumerate(getattr(fixture, record_type)):
            try:
                model.model_validate(data)
            except ValidationError as exc:
                for error in exc.errors(include_url=False):
                    where = key_path([record_type, row, *error["loc"]])
                    add(error["msg"].removeprefix("Value error, "), where)
    return findings
