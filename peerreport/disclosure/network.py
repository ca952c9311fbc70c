"""A one- or two-way table as a flow network, the shape the suppression audit works on.

Every figure of the table is an arc, and every additive relation is flow
conservation at a node:

    source S --row margin r_i--> R_i --cell x_ij--> C_j --column margin c_j--> sink K
    sink K --grand total T--> source S

Conservation at R_i says r_i = sum_j x_ij; at C_j, c_j = sum_i x_ij; at S and
K, T = sum_i r_i = sum_j c_j. A one-way table (and a table with three or more
`by` fields, which has no margins) is the same with every cell an arc S --> K.
A margin or total the caller did not give is still an arc, but one nobody
publishes ("absent"), so it constrains nothing by itself.

The incidence matrix of a network is totally unimodular, which is why the
audit in `audit.py` can treat counts as real numbers and still get exact
integer bounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from peerreport.disclosure.cells import (
    GRAND_TOTAL,
    MARGIN,
    CellKey,
    TableError,
    code_order,
    key_label,
    key_order,
)

Node = tuple[str, str | None]
SOURCE: Node = ("S", None)
SINK: Node = ("K", None)
KIND_RANK = {"cell": 0, "margin": 1, "total": 2}


@dataclass(frozen=True)
class Figure:
    """One arc: a figure of the table, given by the caller (`key`) or absent (`key` None)."""

    key: CellKey | None
    tail: Node
    head: Node
    value: int
    kind: str


@dataclass(frozen=True)
class Network:
    """The arcs of a table in a canonical order (cells, margins, total)."""

    figures: tuple[Figure, ...]

    def index_of(self) -> dict[CellKey, int]:
        """The arc number of every given key."""
        return {f.key: i for i, f in enumerate(self.figures) if f.key is not None}

    def relations(self) -> list[tuple[int, ...]]:
        """Every additive relation among given figures, as the arc numbers taking part.

        Nodes joined by an absent arc are merged (an unpublished margin ties
        its row into the grand total's relation); each merged node's arcs to
        other nodes form one relation. Duplicates and empty relations are dropped.
        """
        parent: dict[Node, Node] = {}

        def find(node: Node) -> Node:
            parent.setdefault(node, node)
            while parent[node] != node:
                parent[node] = parent[parent[node]]
                node = parent[node]
            return node

        for f in self.figures:
            find(f.tail)
            find(f.head)
            if f.key is None:
                parent[find(f.tail)] = find(f.head)
        members: dict[Node, list[int]] = {}
        for i, f in enumerate(self.figures):
            tail, head = find(f.tail), find(f.head)
            if f.key is None or tail == head:
                continue
            members.setdefault(tail, []).append(i)
            members.setdefault(head, []).append(i)
        unique = {tuple(sorted(arcs)) for arcs in members.values()}
        return sorted(unique)


def _sum_check(key: CellKey, given: int, computed: int) -> None:
    if given != computed:
        raise TableError(
            f"{key_label(key)} is {given} but its cells add up to {computed}: secondary "
            "suppression needs an additive table (every total the sum of its cells)"
        )


def build_network(cells: Mapping[CellKey, int], by: int) -> Network:
    """The network of a table (keys already checked), raising `TableError` unless it adds up."""
    for cell, count in cells.items():
        if count < 0:
            raise TableError(f"cell {key_label(cell)} is negative ({count}); counts cannot be")
    inner = sorted((k for k in cells if k != GRAND_TOTAL and MARGIN not in k), key=key_order)
    figures: list[Figure] = []
    if by == 2:
        rows = sorted({k[0] for k in cells if len(k) == 2 and k[0] != MARGIN}, key=code_order)
        cols = sorted({k[1] for k in cells if len(k) == 2 and k[1] != MARGIN}, key=code_order)
        figures += [Figure(k, ("R", k[0]), ("C", k[1]), cells[k], "cell") for k in inner]
        for row in rows:
            row_key: CellKey = (row, MARGIN)
            value = sum(cells[k] for k in inner if k[0] == row)
            given = row_key in cells
            if given:
                _sum_check(row_key, cells[row_key], value)
            figures.append(Figure(row_key if given else None, SOURCE, ("R", row), value, "margin"))
        for col in cols:
            col_key: CellKey = (MARGIN, col)
            value = sum(cells[k] for k in inner if k[1] == col)
            given = col_key in cells
            if given:
                _sum_check(col_key, cells[col_key], value)
            figures.append(Figure(col_key if given else None, ("C", col), SINK, value, "margin"))
    else:
        figures += [Figure(k, SOURCE, SINK, cells[k], "cell") for k in inner]
    total = sum(cells[k] for k in inner)
    given = GRAND_TOTAL in cells
    if given:
        _sum_check(GRAND_TOTAL, cells[GRAND_TOTAL], total)
    figures.append(Figure(GRAND_TOTAL if given else None, SINK, SOURCE, total, "total"))
    return Network(tuple(figures))
