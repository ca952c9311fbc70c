"""The exact figures of a built return, for the funder who receives them sealed.

A `Return` holds only the published (protected) figures. When the rule file's
`[release]` says the funder receives exact figures, the filing step computes
them again here, from the same records revision the return names (so they are
the figures the return's protected ones came from); the filing step seals
them to the funder's key (`peerreport.bundle.sealed`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from peerreport.returns.model import Return
from peerreport.rulebook.compiled import RuleFile

EXACT_FORMAT = "peerreport-exact/1"


def exact_figures(engine: Engine, ret: Return, rule_file: RuleFile) -> dict[str, Any]:
    """`{"format", "figures": [...]}`: every measure as computed, before disclosure control."""
    from peerreport.compute import evaluate  # here: collation reads this module, never the db

    with engine.connect() as conn:
        evaluation = evaluate(
            conn, ret.organisation, rule_file, ret.period.start, ret.period.end, ret.revision
        )
    return {"format": EXACT_FORMAT, "figures": [f.to_dict() for f in evaluation.figures]}


def return_context(ret: Return) -> dict[str, Any]:
    """What the sealed figures are bound to: whose return, which rules, period and records."""
    return {
        "organisation": ret.organisation,
        "rule_id": ret.rule.id,
        "rule_digest": ret.rule.digest,
        "period_start": ret.period.start.isoformat(),
        "period_end": ret.period.end.isoformat(),
        "revision": ret.revision,
    }
