"""Maximum flow (Edmonds–Karp) on small graphs whose arcs may have unlimited capacity.

The audit asks "how far can one hidden figure move?", which is a maximum
flow between the two ends of its arc. Graphs here have tens of nodes, so
the plain shortest-augmenting-path method is ample.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Generic, TypeVar

N = TypeVar("N", bound=Hashable)


@dataclass
class Graph(Generic[N]):
    """Arc capacities; `None` is unlimited. Parallel arcs add up."""

    capacity: dict[N, dict[N, int | None]] = field(default_factory=dict)

    def add(self, tail: N, head: N, capacity: int | None) -> None:
        """Add an arc (capacity None for unlimited)."""
        row = self.capacity.setdefault(tail, {})
        self.capacity.setdefault(head, {})
        old = row.get(head, 0)
        row[head] = None if old is None or capacity is None else old + capacity


@dataclass(frozen=True)
class Cut(Generic[N]):
    """A maximum flow's value (None if unlimited) and the nodes the source still reaches."""

    value: int | None
    reached: frozenset[N]


def _reach(arcs: dict[N, dict[N, int]], start: N) -> set[N]:
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt, cap in arcs.get(node, {}).items():
            if cap > 0 and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def max_flow(graph: Graph[N], source: N, sink: N) -> Cut[N]:
    """The maximum flow from `source` to `sink`, and a minimum cut's source side.

    If a path of unlimited arcs joins them the flow is unlimited (value None).
    Otherwise unlimited arcs are given a capacity larger than the sum of all
    finite ones, which no minimum cut can then contain, and Edmonds–Karp runs
    on whole numbers.
    """
    unlimited = {
        t: {h: 1 for h, c in row.items() if c is None} for t, row in graph.capacity.items()
    }
    reached = _reach(unlimited, source)
    if sink in reached:
        return Cut(None, frozenset(reached))
    big = 1 + sum(c for row in graph.capacity.values() for c in row.values() if c is not None)
    residual: dict[N, dict[N, int]] = {node: {} for node in (*graph.capacity, source, sink)}
    for tail, row in graph.capacity.items():
        for head, cap in row.items():
            residual[tail][head] = residual[tail].get(head, 0) + (big if cap is None else cap)
            residual[head].setdefault(tail, 0)
    total = 0
    while True:
        before: dict[N, N] = {}
        queue = deque([source])
        while queue and sink not in before:
            node = queue.popleft()
            for nxt, cap in residual[node].items():
                if cap > 0 and nxt not in before and nxt != source:
                    before[nxt] = node
                    queue.append(nxt)
        if sink not in before:
            return Cut(total, frozenset(_reach(residual, source)))
        path = [sink]
        while path[-1] != source:
            path.append(before[path[-1]])
        path.reverse()
        push = min(residual[a][b] for a, b in pairwise(path))
        for a, b in pairwise(path):
            residual[a][b] -= push
            residual[b][a] += push
        total += push
