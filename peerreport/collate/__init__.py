"""Collation, on the funder's side: many providers' bundles into one regional return.

    bundles ──verify, sort out (gather)──▶ one return per provider ──add up, protect (totals)──▶
        Collation ──write_workbook──▶ FILE.xlsx (one row per provider, totals)
                  ──write_summary───▶ FILE.html

Only published figures are used; the collated table is protected again with
the rule file's disclosure control. docs/audit.md describes what is rejected
and how sums treat suppressed cells.
"""

from __future__ import annotations

from peerreport.collate.collation import Collation, ProviderRow, collate
from peerreport.collate.gather import Received, Rejected
from peerreport.collate.providers import Provider, read_providers
from peerreport.collate.summary import render_summary, write_summary
from peerreport.collate.totals import CollatedCell, CollatedFigure
from peerreport.collate.workbook import write_workbook

__all__ = [
    "CollatedCell",
    "CollatedFigure",
    "Collation",
    "Provider",
    "ProviderRow",
    "Received",
    "Rejected",
    "collate",
    "read_providers",
    "render_summary",
    "write_summary",
    "write_workbook",
]
