"""Computing a rule file over stored records: measures in SQL, derived figures and checks.

`evaluate(engine, org, rule_file, period_start, period_end)` returns an
`Evaluation` (figures, findings, check outcomes). `run_fixtures()` runs a rule
file's own tests in a fresh in-memory database.
"""

from __future__ import annotations

from peerreport.compute.checks import CheckOutcome
from peerreport.compute.evaluate import DIVISION_BY_ZERO, Evaluation, evaluate
from peerreport.compute.figures import Cell, Figure, Figures, Value

__all__ = [
    "DIVISION_BY_ZERO",
    "Cell",
    "CheckOutcome",
    "Evaluation",
    "Figure",
    "Figures",
    "Value",
    "evaluate",
]
