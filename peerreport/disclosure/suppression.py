"""Primary and secondary cell suppression.

Primary: a figure is sensitive when `value < threshold`, except zeros when
zeros are exempt. Secondary: hide more figures until the audit (`audit.py`)
finds every hidden figure's feasible interval at least `threshold` wide.

The search, all in a fixed order so the result is deterministic:

1. While some additive relation has exactly one hidden member, hide its
   cheapest published non-zero member. Cheapest means smallest value, then
   cells before margins before the grand total, then the canonical key order.
2. Audit the hidden figures in canonical order. For the first whose interval
   is narrower than `threshold`, look at the arcs crossing the minimum cut
   that limits it (only those can widen it) and hide the cheapest one that
   makes it wide enough; failing that the one that widens it most; failing
   that the cheapest crossing one. Go back to step 1.

Hiding a figure never narrows another's interval (it only adds movable arcs),
so a figure found wide enough stays so, and each round hides one more
figure. When every non-zero figure is hidden every interval is unlimited,
so the search always ends with a table that passes the audit.
"""

from __future__ import annotations

from collections.abc import Set

from peerreport.disclosure.audit import Interval, interval
from peerreport.disclosure.flow import Cut
from peerreport.disclosure.network import KIND_RANK, Network, Node


def is_sensitive(value: int, threshold: int, zero_exempt: bool) -> bool:
    """The primary rule: below the threshold, and not a zero when zeros are exempt."""
    return value < threshold and (value != 0 or not zero_exempt)


class _Search:
    """The state of one secondary-suppression search."""

    def __init__(self, network: Network, hidden: Set[int], threshold: int, lower: int) -> None:
        self.network = network
        self.hidden = set(hidden)
        self.threshold = threshold
        self.lower = lower
        self.relations = network.relations()
        self.safe: set[int] = set()

    def cost(self, index: int) -> tuple[int, int, int]:
        figure = self.network.figures[index]
        return (figure.value, KIND_RANK[figure.kind], index)

    def published(self) -> list[int]:
        """Published non-zero figures, cheapest first: the candidates for hiding."""
        found = [
            i
            for i, f in enumerate(self.network.figures)
            if f.key is not None and i not in self.hidden and f.value > 0
        ]
        return sorted(found, key=self.cost)

    def close_relations(self) -> bool:
        """Step 1; whether anything was hidden."""
        added = False
        for relation in self.relations:
            if sum(1 for i in relation if i in self.hidden) != 1:
                continue
            options = [
                i for i in relation if i not in self.hidden and self.network.figures[i].value > 0
            ]
            if options:
                self.hidden.add(min(options, key=self.cost))
                added = True
        return added

    def first_unsafe(self) -> tuple[int, Interval] | None:
        """The first hidden figure whose interval is too narrow, with that interval."""
        for index in sorted(self.hidden - self.safe):
            found = interval(self.network, self.hidden, index, self.lower)
            if not found.at_least(self.threshold):
                return index, found
            self.safe.add(index)
        return None

    def _crosses(self, index: int, cut: Cut[Node]) -> bool:
        """Whether hiding figure `index` adds a residual arc leaving the cut's source side."""
        figure = self.network.figures[index]
        tail_in, head_in = figure.tail in cut.reached, figure.head in cut.reached
        backwards = figure.value - self.lower > 0
        return (tail_in and not head_in) or (head_in and not tail_in and backwards)

    def widen(self, index: int, narrow: Interval) -> int:
        """Step 2: the figure to hide next for hidden figure `index`."""
        cuts = [narrow.up_cut]
        slack = self.network.figures[index].value - self.lower
        down = narrow.down_cut
        if down is not None and down.value is not None and down.value < slack:
            cuts.append(down)
        options = self.published()
        crossing = [c for c in options if any(self._crosses(c, cut) for cut in cuts)]
        best, best_width = None, narrow.width or 0
        for candidate in crossing:
            trial = interval(self.network, self.hidden | {candidate}, index, self.lower)
            if trial.at_least(self.threshold):
                return candidate
            if trial.width is not None and trial.width > best_width:
                best, best_width = candidate, trial.width
        if best is not None:
            return best
        if crossing or options:  # `options` alone cannot happen; kept as a safe fallback
            return (crossing or options)[0]
        raise AssertionError("every non-zero figure is hidden, yet an interval is too narrow")


def secondary(network: Network, primary: Set[int], threshold: int, lower: int) -> set[int]:
    """The figures (arc numbers) to hide besides `primary`, see the module docstring.

    `lower` is what the attacker knows every hidden figure is at least: 1
    when zeros are always published, else 0.
    """
    search = _Search(network, primary, threshold, lower)
    while True:
        if search.close_relations():
            continue
        unsafe = search.first_unsafe()
        if unsafe is None:
            return search.hidden - set(primary)
        search.hidden.add(search.widen(*unsafe))
