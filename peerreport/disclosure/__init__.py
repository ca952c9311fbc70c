"""Disclosure control: protect small counts before a return is published.

`protect_table` applies a rule file's `[disclosure]` policy to one measure's
table: suppression with an exact audit against recovery through totals
(`suppression`, `audit`), or Stats NZ random rounding (`rr3`, `graduated`),
seeded per cell by `cell_seed` so reruns publish the same numbers. Pure
Python; no database. docs/disclosure.md states the guarantees and limits.
"""

from __future__ import annotations

from peerreport.disclosure.cells import (
    GRAND_TOTAL,
    MARGIN,
    CellKey,
    Protected,
    Status,
    TableError,
    key_label,
)
from peerreport.disclosure.rounding import graduated, grr_base, random_round, rr3
from peerreport.disclosure.seeds import cell_seed
from peerreport.disclosure.table import protect_table

__all__ = [
    "GRAND_TOTAL",
    "MARGIN",
    "CellKey",
    "Protected",
    "Status",
    "TableError",
    "cell_seed",
    "graduated",
    "grr_base",
    "key_label",
    "protect_table",
    "random_round",
    "rr3",
]
