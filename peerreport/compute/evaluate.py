"""`evaluate()`: a rule file's figures and findings for one organisation and period.

    scans (SQL, one per source and breakdown) → derived measures (Python)
        → rounding → checks → Evaluation

This is the API the "build a return" stage calls; it reads the database and
nothing else, and never raises for problems in the data (they are findings).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

from peerreport.compute.checks import CheckOutcome, CheckRunner
from peerreport.compute.figures import Cell, Figure, Figures, Value, round_half_up
from peerreport.compute.scans import run
from peerreport.errors import UsageError
from peerreport.findings import Finding, Location, has_errors
from peerreport.findings_catalogue import finding
from peerreport.language import Node
from peerreport.language import evaluate as evaluate_expression
from peerreport.rulebook import RuleFile

DIVISION_BY_ZERO = "RET-020"


@dataclass(frozen=True)
class Evaluation:
    """The figures and findings of a rule file over one organisation's records for one period."""

    rule_file: str
    version: str
    digest: str
    org: str
    period_start: dt.date
    period_end: dt.date
    figures: Figures
    findings: tuple[Finding, ...] = ()
    outcomes: tuple[CheckOutcome, ...] = field(default_factory=tuple)

    @property
    def has_errors(self) -> bool:
        """True when a finding has error severity."""
        return has_errors(list(self.findings))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return {
            "rule_file": self.rule_file,
            "version": self.version,
            "digest": self.digest,
            "org": self.org,
            "period": [self.period_start.isoformat(), self.period_end.isoformat()],
            "figures": self.figures.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "checks": [o.to_dict() for o in self.outcomes],
        }


def evaluate(
    db: Engine | Connection,
    org: str,
    rule_file: RuleFile,
    period_start: dt.date,
    period_end: dt.date,
    revision: int | None = None,
) -> Evaluation:
    """Compute every measure and run every enabled check of `rule_file`.

    `revision` is the import revision whose records are used (None: the
    current records).
    """
    if period_end < period_start:
        raise UsageError(f"the period ends ({period_end}) before it starts ({period_start})")
    if isinstance(db, Engine):
        with db.connect() as conn:
            return _evaluate(conn, org, rule_file, period_start, period_end, revision)
    return _evaluate(db, org, rule_file, period_start, period_end, revision)


def _evaluate(
    conn: Connection,
    org: str,
    rule_file: RuleFile,
    start: dt.date,
    end: dt.date,
    revision: int | None,
) -> Evaluation:
    scanned = run(conn, rule_file, org, start, end, revision)
    raw: dict[str, Value] = dict(scanned.totals)
    findings: list[Finding] = []
    for ident in rule_file.derived_order:
        raw[ident] = _derive(rule_file, ident, raw, findings)
    figures = _figures(rule_file, raw, scanned.cells, scanned.supports)
    runner = CheckRunner(rule_file, figures, raw)
    outcomes: list[CheckOutcome] = []
    for c in rule_file.checks.values():
        if not c.check.enabled or c.check.kind == "history":
            continue  # compared with earlier periods' released values when the return is built
        if c.check.kind == "record":
            failures = scanned.failures.get(c.id, 0)
            outcome, found = runner.record_check(conn, c, failures, org, start, end, revision)
        elif c.check.kind == "return":
            outcome, found = runner.return_check(c)
        else:
            outcome, found = runner.consistency_check(c)
        outcomes.append(outcome)
        findings += found
    return Evaluation(
        rule_file=rule_file.id,
        version=rule_file.version,
        digest=rule_file.digest,
        org=org,
        period_start=start,
        period_end=end,
        figures=figures,
        findings=tuple(findings),
        outcomes=tuple(outcomes),
    )


def _derive(
    rule_file: RuleFile, ident: str, raw: dict[str, Value], findings: list[Finding]
) -> Value:
    compiled = rule_file.measures[ident]
    assert compiled.argument is not None
    expression = compiled.argument
    zero: list[Node] = []
    value = evaluate_expression(expression.tree, raw, on_zero=zero.append)
    if zero:
        origin = rule_file.origin("measure", ident)
        label = compiled.measure.label or ident
        findings.append(
            finding(
                DIVISION_BY_ZERO,
                message=f"'{label}' has no value: {expression.text.strip()} divides by zero",
                hint="Expected when nothing was counted in the period (e.g. no group "
                "sessions); otherwise check the records behind the divisor.",
                location=Location(key=origin.key, measure=ident),
                details={"measure": ident, "expression": expression.text},
            )
        )
    if value is None:
        return None
    return float(value) if isinstance(value, int | float) else value


def _figures(
    rule_file: RuleFile,
    raw: dict[str, Value],
    cells: dict[str, tuple[Cell, ...]],
    supports: dict[str, int],
) -> Figures:
    result: dict[str, Figure] = {}
    for ident, compiled in rule_file.measures.items():
        m = compiled.measure
        places = m.round
        result[ident] = Figure(
            id=ident,
            label=m.label,
            kind=m.kind,
            value=round_half_up(raw.get(ident), places),
            unit=m.unit,
            line=m.line,
            by=tuple(m.by),
            cells=tuple(
                Cell(c.key, round_half_up(c.value, places), c.support) for c in cells.get(ident, ())
            ),
            support=supports.get(ident),
        )
    return Figures(result)
