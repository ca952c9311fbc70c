"""Suppression for a breakdown of distinct people, where one person can be in several cells.

A `distinct` count broken down by an activity field (people by kind of
activity, say) is not additive: a person who went to a group and a drop-in is
one person in the total but in two cells. What an attacker knows of such a
table is exactly this:

- the published figures; hidden ones are at least `lower` (1 when zeros are
  always published);
- every cell is at most the total (a cell's people are among the total's), and
- the total is at most the sum of the cells (every person is in some cell).

Nothing more follows from how people can be spread over cells: any whole
numbers with `max(cells) <= total <= sum(cells)` are the cells of SOME set
of people. (Take `total` people; write category i down `cells[i]` times, one
category after another, and deal the list out to the people in turn: no one
gets a category twice since `cells[i] <= total`, and everyone gets one since
`sum(cells) >= total`.) So the feasible values of the hidden figures are
those of the integer points of that polytope, and their ranges have a closed
form (`distinct_interval`), checked by tests against an attacker who
enumerates every way of spreading people over the cells.

When the true table happens to add up (no one is in two cells), the attacker
might know it does (a field that never changes for a person), and that is a
stronger position: then the table is protected as an additive one
(`protect_table`), which also satisfies the distinct criterion.

Criterion, as for additive tables: every hidden figure's range is at least
`threshold` wide, or unlimited. The search hides, in a fixed order, the
cheapest figure (smallest value, cells before the total, key order) that
mends the first hidden figure whose range is too narrow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass

from peerreport.disclosure.cells import (
    GRAND_TOTAL,
    CellKey,
    Protected,
    Status,
    TableError,
    key_label,
    key_order,
)
from peerreport.disclosure.suppression import is_sensitive
from peerreport.disclosure.table import protect_table
from peerreport.rulebook.model import Disclosure


@dataclass(frozen=True)
class Range:
    """A hidden figure's feasible values: `low` to `high` (None: no upper limit)."""

    low: int
    high: int | None

    def at_least(self, width: int) -> bool:
        """Whether the range spans `width` or more."""
        return self.high is None or self.high - self.low >= width


def distinct_interval(
    cells: Mapping[CellKey, int], hidden: Set[CellKey], key: CellKey, lower: int
) -> Range:
    """The attacker's range for hidden figure `key` (a cell or the total `()`).

    `cells` holds the true total at `()` and every breakdown cell; the
    published ones are those not in `hidden`.
    """
    shown = [v for k, v in cells.items() if k != GRAND_TOTAL and k not in hidden]
    others_hidden = sum(1 for k in hidden if k not in (GRAND_TOTAL, key))
    published_sum, published_max = sum(shown), max(shown, default=0)
    if key == GRAND_TOTAL:
        low = max(published_max, lower)
        return Range(low, None if others_hidden else published_sum)
    if GRAND_TOTAL in hidden:
        # The total can rise with the cell, and fall to the largest cell.
        return Range(lower, None)
    total = cells[GRAND_TOTAL]
    if others_hidden:
        # Another hidden cell can hold the whole total, so this one can be as low as allowed.
        return Range(lower, total)
    return Range(max(lower, total - published_sum), total)


def protect_distinct(
    cells: Mapping[CellKey, int], by: int, policy: Disclosure, identity: Sequence[str] = ()
) -> dict[CellKey, Protected]:
    """Suppression for a distinct-count breakdown (`policy.method` is `suppress`).

    Primary suppression of small cells and a small total; with `secondary`,
    more figures hidden until every hidden figure passes the criterion under
    the distinct attacker model (module docstring). A table that adds up is
    protected as an additive one. Raises `TableError` for a total smaller than
    a cell (not a distinct count) or negative values.
    """
    if policy.method != "suppress":
        raise TableError("protect_distinct is for suppression; rounding protects each cell")
    if GRAND_TOTAL not in cells:
        raise TableError("a distinct-count table needs its total")
    for key, value in cells.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise TableError(f"cell {key_label(key)} is {value!r}; counts are whole, at least 0")
    breakdown = {k: v for k, v in cells.items() if k != GRAND_TOTAL}
    total = cells[GRAND_TOTAL]
    if breakdown and max(breakdown.values()) > total:
        raise TableError("a cell counts more people than the total: not a distinct count")
    if not breakdown or sum(breakdown.values()) == total:
        return protect_table(cells, by, policy, tuple(identity))
    if sum(breakdown.values()) < total:
        raise TableError("the cells count fewer people than the total: not a distinct count")
    threshold, zero_exempt = policy.threshold, policy.zero_exempt
    primary = {k for k, v in cells.items() if is_sensitive(v, threshold, zero_exempt)}
    hidden = set(primary)
    if policy.secondary and primary:
        hidden = _secondary(cells, hidden, threshold, 1 if zero_exempt else 0)
    result: dict[CellKey, Protected] = {}
    for key, value in cells.items():
        if key in primary:
            result[key] = Protected(None, Status.SUPPRESSED, "primary")
        elif key in hidden:
            result[key] = Protected(None, Status.SUPPRESSED, "secondary")
        else:
            result[key] = Protected(value, Status.EXACT)
    return result


def _order(cells: Mapping[CellKey, int], key: CellKey) -> tuple[int, bool, object]:
    """Cheapest first: smallest value, then cells before the total, then key order."""
    return (cells[key], key == GRAND_TOTAL, key_order(key))


def _too_narrow(
    cells: Mapping[CellKey, int], hidden: Set[CellKey], threshold: int, lower: int
) -> CellKey | None:
    for key in sorted(hidden, key=lambda k: (k != GRAND_TOTAL, key_order(k))):
        if not distinct_interval(cells, hidden, key, lower).at_least(threshold):
            return key
    return None


def _secondary(
    cells: Mapping[CellKey, int], hidden: set[CellKey], threshold: int, lower: int
) -> set[CellKey]:
    """Hide more figures until every hidden one is wide enough (always ends: see below).

    Each round hides one more figure; once the total and one cell are hidden
    every range is unlimited, so the loop ends.
    """
    while True:
        narrow = _too_narrow(cells, hidden, threshold, lower)
        if narrow is None:
            return hidden
        options = sorted(
            (k for k in cells if k not in hidden and (cells[k] > 0 or k == GRAND_TOTAL)),
            key=lambda k: _order(cells, k),
        )
        if not options:  # only published zeros are left: hide them too
            options = sorted((k for k in cells if k not in hidden), key=lambda k: _order(cells, k))
        chosen = next(
            (
                k
                for k in options
                if distinct_interval(cells, hidden | {k}, narrow, lower).at_least(threshold)
            ),
            options[0],
        )
        hidden.add(chosen)
