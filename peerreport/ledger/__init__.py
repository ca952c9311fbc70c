"""The ledger: every submitted return, kept for good; amendments supersede, never overwrite.

    Return ──submit──▶ submitted_return (version 1)
    Return + reason ──submit──▶ submitted_return (version 2, amends 1)   1 is now superseded

Rows are only inserted. The schema makes the versions of a period one chain
(version n amends n-1), so exactly one is current; triggers in the database
refuse UPDATE and DELETE (migration 0002). `submit` is safe when many
processes submit the same period at once. docs/audit.md has the details.
"""

from __future__ import annotations

from peerreport.ledger.changes import Change, figure_changes, finding_changes
from peerreport.ledger.model import CURRENT, SUPERSEDED, Submission
from peerreport.ledger.query import get, history, submissions
from peerreport.ledger.submit import BundleMaker, Pending, Submitted, submit

__all__ = [
    "CURRENT",
    "SUPERSEDED",
    "BundleMaker",
    "Change",
    "Pending",
    "Submission",
    "Submitted",
    "figure_changes",
    "finding_changes",
    "get",
    "history",
    "submissions",
    "submit",
]
