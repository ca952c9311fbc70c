"""Running checks: record checks (failing rows), return checks and consistency checks.

Outcomes (one per enabled check):
- `pass`: the assertion held (or `where` did not apply);
- `fail`: it was false, and a finding with the check's code, severity,
  message and hint is reported;
- `unknown`: it could not be decided because a value was null (a derived
  measure that divided by zero, the min of no records) or a figure it reads
  is not collected (`nothing = "not collected"`). No finding: the
  null itself was reported where it arose. For record checks, a record whose
  assertion is null does not fail (as in a SQL CHECK constraint): write
  `x is not null and ...` to require a value.
Checks never raise for problems in the data; they return findings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, select

from peerreport.compute.figures import Figures, Value, show
from peerreport.compute.scans import failing
from peerreport.compute.tables import from_clause, id_columns, row_filter
from peerreport.findings import Finding, Location, Severity
from peerreport.language import evaluate
from peerreport.rulebook import CompiledCheck, RuleFile
from peerreport.rulebook.counting import rule_of
from peerreport.rulebook.sources import sources
from peerreport.rulebook.template import fill


@dataclass(frozen=True)
class CheckOutcome:
    """What one check concluded."""

    check: str
    kind: str
    status: str  # pass | fail | unknown
    failures: int = 0  # failing records (record checks) or 1 (others)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return {
            "check": self.check,
            "kind": self.kind,
            "status": self.status,
            "failures": self.failures,
        }


class CheckRunner:
    """Runs the enabled checks of a rule file over computed figures."""

    def __init__(self, rule_file: RuleFile, figures: Figures, raw: dict[str, Value]) -> None:
        self.rule_file = rule_file
        self.figures = figures
        self.raw = raw  # unrounded totals, which checks compare
        self.places = {m.id: m.measure.round for m in rule_file.measures.values()}

    def _shown(self) -> dict[str, str]:
        return {k: show(v, self.places.get(k)) for k, v in self.raw.items()}

    def _finding(
        self, c: CompiledCheck, extra: dict[str, str], details: dict[str, Any], **loc: Any
    ) -> Finding:
        values = {**self._shown(), **extra}
        origin = self.rule_file.origin("check", c.id)
        return Finding(
            code=c.id,
            severity=Severity(c.check.severity),
            message=fill(c.check.message, values),
            hint=fill(c.check.hint, values),
            location=Location(key=origin.key, **loc),
            details={
                "check": c.id,
                "kind": c.check.kind,
                "rule_file": self.rule_file.id,
                **details,
            },
        )

    def record_check(
        self,
        conn: Connection,
        c: CompiledCheck,
        failures: int,
        org: str,
        start: dt.date,
        end: dt.date,
        revision: int | None = None,
    ) -> tuple[CheckOutcome, list[Finding]]:
        """A record check, given its failure count from the scan; fetches a sample if any failed."""
        if failures == 0:
            return CheckOutcome(c.id, "record", "pass"), []
        source = c.check.source
        assert source is not None
        sample: list[str] = []
        if c.check.sample:
            src = sources()[source]
            ids = id_columns(source, src.id_fields)
            query = (
                select(*ids)
                .select_from(from_clause(source))
                .where(
                    and_(
                        row_filter(
                            source, org, start, end, revision, rule_of(self.rule_file.model)
                        ),
                        failing(c, self.rule_file, revision),
                    )
                )
                .order_by(*ids)
                .limit(c.check.sample)
            )
            sample = ["/".join(_id_text(v) for v in row) for row in conn.execute(query)]
        listed = ", ".join(sample) + (", ..." if failures > len(sample) else "")
        finding = self._finding(
            c,
            {"count": str(failures), "sample": listed},
            {"source": source, "count": failures, "sample": sample},
        )
        return CheckOutcome(c.id, "record", "fail", failures), [finding]

    def _reads_uncollected(self, names: list[str]) -> bool:
        uncollected = self.figures.uncollected()
        return any(n in uncollected for n in names)

    def return_check(self, c: CompiledCheck) -> tuple[CheckOutcome, list[Finding]]:
        """A check over measure totals."""
        read = [
            *(c.where.names() if c.where else []),
            *(c.assertion.names() if c.assertion else []),
        ]
        if self._reads_uncollected(read):
            return CheckOutcome(c.id, "return", "unknown"), []
        if c.where is not None and evaluate(c.where.tree, self.raw) is not True:
            return CheckOutcome(c.id, "return", "pass"), []
        assert c.assertion is not None
        verdict = evaluate(c.assertion.tree, self.raw)
        if verdict is None:
            return CheckOutcome(c.id, "return", "unknown"), []
        if verdict:
            return CheckOutcome(c.id, "return", "pass"), []
        used = {n: self.raw.get(n) for n in c.assertion.names()}
        details = {"values": {k: _json(v) for k, v in used.items()}}
        return CheckOutcome(c.id, "return", "fail", 1), [self._finding(c, {}, details)]

    def consistency_check(self, c: CompiledCheck) -> tuple[CheckOutcome, list[Finding]]:
        """total = sum of parts (a part with a breakdown contributes the sum of its cells)."""
        assert c.check.total is not None
        if self._reads_uncollected([c.check.total, *c.check.parts]):
            return CheckOutcome(c.id, "consistency", "unknown"), []
        total = self.raw.get(c.check.total)
        parts: list[Value] = []
        for part in c.check.parts:
            figure = self.figures[part]
            if figure.by:
                parts += [cell.value for cell in figure.cells]
            else:
                parts.append(self.raw.get(part))
        if total is None or any(p is None for p in parts):
            return CheckOutcome(c.id, "consistency", "unknown"), []
        numbers = [p for p in parts if isinstance(p, int | float)]
        assert isinstance(total, int | float)
        parts_sum = sum(numbers)
        difference = total - parts_sum
        if abs(difference) <= c.check.tolerance + 1e-9:
            return CheckOutcome(c.id, "consistency", "pass"), []
        extra = {"total": show(total), "parts": show(parts_sum), "difference": show(difference)}
        details = {"total": total, "parts": parts_sum, "difference": difference}
        finding = self._finding(c, extra, details, measure=c.check.total)
        return CheckOutcome(c.id, "consistency", "fail", 1), [finding]


def _id_text(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def _json(value: Value) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
