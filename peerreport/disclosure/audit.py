"""The attacker's view: how far a hidden figure can move given everything published.

The attacker knows the published figures, that every total is the sum of its
parts, and that hidden figures are at least `lower` (1 when zeros are always
published, since then a hidden figure cannot be zero; else 0). The feasible
interval of a hidden figure is the set of values it can take in some table
satisfying all that.

Method. Start from the true table, which is feasible. Any other feasible
table differs from it by a circulation on the network (`network.py`) that
moves only hidden or absent arcs, never below their lower bound. So, with a
residual graph in which each movable arc a -> b with true value f and lower
bound l has capacity unlimited forwards (a -> b) and f - l backwards (b -> a):

- the figure on arc u -> v can rise by the maximum flow from v to u, and
- it can fall by the maximum flow from u to v, but by no more than f - l,

in both cases leaving out the figure's own arc. This is exact for real
numbers (flow decomposition), and because network matrices are totally
unimodular the bounds are whole numbers and every whole number between them
is attainable too: the same answer an integer program or an LP would give.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from peerreport.disclosure.flow import Cut, Graph, max_flow
from peerreport.disclosure.network import Network, Node


@dataclass(frozen=True)
class Interval:
    """A hidden figure's feasible range: `low` to `high` (None: no upper limit)."""

    low: int
    high: int | None
    up_cut: Cut[Node]
    down_cut: Cut[Node] | None

    @property
    def width(self) -> int | None:
        """high - low, or None when unlimited."""
        return None if self.high is None else self.high - self.low

    def at_least(self, width: int) -> bool:
        """Whether the range spans `width` or more."""
        return self.high is None or self.high - self.low >= width


def residual_graph(network: Network, hidden: Set[int], lower: int, without: int) -> Graph[Node]:
    """The movable arcs' residual capacities, leaving out arc `without`."""
    graph: Graph[Node] = Graph()
    for i, f in enumerate(network.figures):
        if i == without or (f.key is not None and i not in hidden):
            continue
        floor = 0 if f.key is None else lower
        graph.add(f.tail, f.head, None)
        graph.add(f.head, f.tail, f.value - floor)
    return graph


def interval(network: Network, hidden: Set[int], index: int, lower: int) -> Interval:
    """The feasible interval of hidden figure `index` (see the module docstring)."""
    figure = network.figures[index]
    graph = residual_graph(network, hidden, lower, index)
    up = max_flow(graph, figure.head, figure.tail)
    slack = figure.value - lower
    down = max_flow(graph, figure.tail, figure.head) if slack > 0 else None
    fall = 0 if down is None else slack if down.value is None else min(slack, down.value)
    high = None if up.value is None else figure.value + up.value
    return Interval(figure.value - fall, high, up, down)
