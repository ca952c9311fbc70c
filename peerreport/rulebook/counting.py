"""Which records a return counts, by the purchase unit they carry (`[counting]`).

This is the rule in Python, for one record at a time: the fixtures' and the
attribution report's reading of it, and what the differential test compares
the SQL (`peerreport.compute.tables.unit_filter`) with. A rule file without
`[counting]` counts every record, as before purchase units were recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from peerreport.rulebook.model import Counting, RuleFileModel

#: The record sources that carry a purchase unit (a breakdown, its activity's).
UNIT_SOURCES = frozenset({"activity", "breakdown", "cross_breakdown", "tokens", "workforce"})


@dataclass(frozen=True)
class UnitRule:
    """A rule file's counting reduced to what a record is tested against."""

    units: frozenset[str] | None  # None: any purchase unit counts
    unassigned: bool  # do records without a purchase unit count?

    @property
    def everything(self) -> bool:
        """Does every record count (no condition at all)?"""
        return self.units is None and self.unassigned

    def counts(self, purchase_unit: str | None) -> bool:
        """Does a record with this purchase unit (None: not assigned) count?"""
        if purchase_unit is None:
            return self.unassigned
        return self.units is None or purchase_unit in self.units


EVERYTHING = UnitRule(None, True)


def unit_rule(counting: Counting | None, purchase_units: Sequence[str]) -> UnitRule:
    """The rule of a rule file's `[counting]` and its `purchase_units`."""
    if counting is None:
        return EVERYTHING
    units = (
        frozenset(u.strip().upper() for u in purchase_units)
        if counting.purchase_units == "only"
        else None
    )
    return UnitRule(units, counting.unassigned == "include")


def rule_of(model: RuleFileModel) -> UnitRule:
    """The counting rule of a (resolved) rule file."""
    return unit_rule(model.counting, model.purchase_units)


def is_exclusive(model: RuleFileModel) -> bool:
    """Does the rule file claim the records it counts for itself?"""
    return model.counting is not None and model.counting.exclusive
