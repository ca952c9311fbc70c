"""What changed between two returns, figure by figure and cell by cell.

Used by `returns show` (between versions of a submission) and `audit verify`
(between a bundle and the return recomputed from the records). Values are
compared as published: a cell that went from 4 to suppressed is a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peerreport.returns.model import NOT_COLLECTED, SUPPRESSED, PublishedCell, Return, ReturnFigure

ABSENT = "absent"


@dataclass(frozen=True)
class Change:
    """One published number that differs: `before` and `after` as shown in the return."""

    measure: str
    cell: str  # 'total' or the breakdown cell's label
    before: str
    after: str
    label: str = ""

    def __str__(self) -> str:
        where = self.measure if self.cell == "total" else f"{self.measure} [{self.cell}]"
        return f"{where}: {self.before} -> {self.after}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "measure": self.measure,
            "cell": self.cell,
            "before": self.before,
            "after": self.after,
            "label": self.label,
        }


def shown(cell: PublishedCell | None, symbol: str = "S") -> str:
    """A published cell as text: the value, the suppression symbol, 'not collected', '-' for
    no value."""
    if cell is None:
        return ABSENT
    if cell.status == SUPPRESSED:
        return symbol
    if cell.status == NOT_COLLECTED:
        return "not collected"
    if cell.value is None:
        return "-"
    text = f"{cell.value:g}" if isinstance(cell.value, float) else str(cell.value)
    return f"~{text}" if cell.status == "rounded" else text


def _cells(figure: ReturnFigure | None) -> dict[str, PublishedCell]:
    if figure is None:
        return {}
    return {"total": figure.total, **{c.label(): c for c in figure.cells}}


def figure_changes(before: Return, after: Return) -> list[Change]:
    """Every published number that differs between two returns, in the figures' order."""
    old = {f.id: f for f in before.figures}
    new = {f.id: f for f in after.figures}
    order = list(dict.fromkeys([*old, *new]))
    symbol_before = str(before.disclosure.get("symbol", "S"))
    symbol_after = str(after.disclosure.get("symbol", "S"))
    changes: list[Change] = []
    for ident in order:
        a, b = _cells(old.get(ident)), _cells(new.get(ident))
        label = (new.get(ident) or old[ident]).label
        for cell in dict.fromkeys([*a, *b]):
            x, y = shown(a.get(cell), symbol_before), shown(b.get(cell), symbol_after)
            if x != y:
                changes.append(Change(ident, cell, x, y, label))
    return changes


def finding_changes(before: Return, after: Return) -> tuple[list[str], list[str]]:
    """(codes of findings that went away, codes of findings that are new)."""
    old = [f"{f.code}: {f.message}" for f in before.findings]
    new = [f"{f.code}: {f.message}" for f in after.findings]
    return [x for x in old if x not in new], [x for x in new if x not in old]
