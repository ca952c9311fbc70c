"""History checks: a figure against its own earlier periods, like DHIS2's min-max and outlier
rules, compared on RELEASED values only.

A `[[check]]` with `history = "measure"` compares the measure's released total
with its released totals in the earlier periods of the same length (the same
rule file's, rebuilt from the records with `figures_only`, as of the same
records revision):

- `ratio = [low, high]` flags a value below `low x mean` or above `high x mean`
  of the earlier values (needs one earlier value);
- `z = 3.0` flags a value further than z sample standard deviations from their
  mean (needs three earlier values; when they are all equal there is no spread
  and the z test says nothing);
- with both, a value outside either band is flagged, and {low} and {high} show
  the narrower band.

Only values published exactly take part: a hidden or rounded value (current or
earlier) is skipped, so a verdict is worked out from what a reader of the
returns can see and never tells them anything about a hidden figure. When too
few values remain the check says so (RET-030, info) instead of deciding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from peerreport.compute.figures import show
from peerreport.findings import Finding, Location, Severity
from peerreport.findings_catalogue import finding
from peerreport.render.words import period_words
from peerreport.returns.model import EXACT, PublishedCell, Return, ReturnFigure
from peerreport.returns.periods import Period
from peerreport.returns.release import released_values
from peerreport.rulebook.compiled import CompiledCheck, RuleFile
from peerreport.rulebook.model import Check
from peerreport.rulebook.template import fill

#: How many earlier values each test needs.
RATIO_NEEDS, Z_NEEDS = 1, 3
NOT_ENOUGH = "RET-030"


@dataclass(frozen=True)
class Band:
    """What the earlier values allow: their mean and the band a value must lie in."""

    mean: float
    low: float
    high: float

    def holds(self, value: float) -> bool:
        """True when `value` lies in the band (ends included, with a little float slack)."""
        slack = 1e-9 * max(1.0, abs(self.low), abs(self.high))
        return self.low - slack <= value <= self.high + slack


def band(check: Check, earlier: Sequence[float]) -> Band | None:
    """The band of `check` over the `earlier` values; None when no test has enough of them."""
    if not earlier:
        return None
    mean = math.fsum(earlier) / len(earlier)
    lows: list[float] = []
    highs: list[float] = []
    if check.ratio is not None and len(earlier) >= RATIO_NEEDS:
        lows.append(check.ratio[0] * mean)
        highs.append(check.ratio[1] * mean)
    if check.z is not None and len(earlier) >= Z_NEEDS:
        spread = math.sqrt(math.fsum((v - mean) ** 2 for v in earlier) / (len(earlier) - 1))
        if spread > 0:
            lows.append(mean - check.z * spread)
            highs.append(mean + check.z * spread)
    if not lows:
        return None
    return Band(mean, max(lows), min(highs))


def released_number(cell: PublishedCell) -> float | int | None:
    """A cell's value when it was published exactly as a number; None if hidden or rounded."""
    value = cell.value
    if cell.status != EXACT or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def history_findings(
    engine: Engine,
    org: str,
    org_name: str,
    rule_file: RuleFile,
    period: Period,
    figures: Sequence[ReturnFigure],
    revision: int | None,
) -> list[Finding]:
    """The findings of the rule file's enabled history checks for a built return's figures.

    The earlier periods are built only when the rule file has such a check.
    """
    checks = [c for c in rule_file.checks.values() if c.check.enabled and c.check.history]
    if not checks:
        return []
    from peerreport.returns.history import history  # it builds returns: imported when needed

    depth = max(c.check.periods for c in checks)
    earlier = history(engine, org, org_name, rule_file, period, depth, revision)
    judge = _Judge(rule_file, figures, org, period)
    return [f for c in checks if (f := judge.finding(c, earlier[-c.check.periods :]))]


class _Judge:
    """Decides history checks for one return, from its released figures."""

    def __init__(
        self, rule_file: RuleFile, figures: Sequence[ReturnFigure], org: str, period: Period
    ) -> None:
        self.rule_file = rule_file
        self.figures = {f.id: f for f in figures}
        self.shown = released_values(rule_file, figures, org, period)

    def finding(self, c: CompiledCheck, earlier: Sequence[Return]) -> Finding | None:
        check = c.check
        ident = check.history or ""
        places = self.rule_file.measures[ident].measure.round
        current = released_number(self.figures[ident].total)
        # Earlier periods in words ("March 2026"), as a coordinator names them.
        past = [(period_words(r.period), released_number(r.figure(ident).total)) for r in earlier]
        used = [(label, v) for label, v in past if v is not None]
        history = [{"period": label, "value": v} for label, v in used]
        found = band(check, [float(v) for _, v in used])
        location = Location(key=self.rule_file.origin("check", c.id).key, measure=ident)
        if current is None or found is None:
            return self._not_enough(c, current is None, len(used), len(past), history, location)
        if found.holds(float(current)):
            return None
        values = {
            **self.shown,
            "value": show(current, places),
            "mean": show(found.mean, places if places is not None else 2),
            "low": show(found.low, places if places is not None else 2),
            "high": show(found.high, places if places is not None else 2),
            "history": ", ".join(f"{show(v, places)} ({label})" for label, v in used),
        }
        details: dict[str, Any] = {
            "check": c.id,
            "kind": "history",
            "rule_file": self.rule_file.id,
            "measure": ident,
            "value": current,
            "mean": found.mean,
            "low": found.low,
            "high": found.high,
            "history": history,
        }
        return Finding(
            code=c.id,
            severity=Severity(check.severity),
            message=fill(check.message, values),
            hint=fill(check.hint, values),
            location=location,
            details=details,
        )

    def _not_enough(
        self,
        c: CompiledCheck,
        hidden_now: bool,
        usable: int,
        periods: int,
        history: list[dict[str, Any]],
        location: Location,
    ) -> Finding:
        ident = c.check.history or ""
        label = self.rule_file.measures[ident].measure.label or ident
        if hidden_now:
            why = f"this period's '{label}' is not published exactly (hidden or rounded)"
        else:
            skipped = periods - usable
            needs = RATIO_NEEDS if c.check.ratio is not None else Z_NEEDS
            why = (
                f"{usable} earlier period{'s' if usable != 1 else ''} with '{label}' published "
                f"exactly, {needs} needed"
                + (f" ({skipped} hidden or rounded, skipped)" if skipped else "")
            )
            if usable >= Z_NEEDS and c.check.ratio is None:
                why = f"the earlier values of '{label}' are all equal: no spread to compare with"
        return finding(
            NOT_ENOUGH,
            f"check {c.id} could not be decided: not enough history: {why}",
            None,
            location,
            {"check": c.id, "kind": "history", "measure": ident, "history": history},
        )
