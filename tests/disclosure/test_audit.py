"""The audit's building blocks: maximum flow, the table network, feasible intervals."""

from __future__ import annotations

from peerreport.disclosure import MARGIN, CellKey
from peerreport.disclosure.audit import interval
from peerreport.disclosure.flow import Graph, max_flow
from peerreport.disclosure.network import build_network


def test_max_flow_of_a_small_graph() -> None:
    graph: Graph[str] = Graph()
    graph.add("s", "a", 3)
    graph.add("s", "b", 2)
    graph.add("a", "b", 1)
    graph.add("a", "t", 2)
    graph.add("b", "t", 3)
    cut = max_flow(graph, "s", "t")
    assert cut.value == 5
    assert cut.reached == {"s"}


def test_max_flow_through_unlimited_arcs() -> None:
    graph: Graph[str] = Graph()
    graph.add("s", "a", None)
    graph.add("a", "t", 4)
    graph.add("s", "t", 1)
    assert max_flow(graph, "s", "t").value == 5
    graph.add("a", "t", None)  # parallel arcs add up: now unlimited
    assert max_flow(graph, "s", "t").value is None


def test_max_flow_between_unconnected_nodes_is_zero() -> None:
    graph: Graph[str] = Graph()
    graph.add("a", "b", 3)
    assert max_flow(graph, "b", "a").value == 0
    assert max_flow(graph, "x", "y").value == 0


def test_relations_of_a_two_way_table_with_some_margins() -> None:
    table: dict[CellKey, int] = {
        ("a", "x"): 1,
        ("a", "y"): 2,
        ("b", "x"): 3,
        ("b", "y"): 4,
        ("a", MARGIN): 3,
        (MARGIN, "x"): 4,
        (): 10,
    }
    network = build_network(table, 2)
    names = {i: f.key for i, f in enumerate(network.figures)}
    relations = {frozenset(names[i] for i in rel) for rel in network.relations()}
    assert relations == {
        frozenset({("a", "x"), ("a", "y"), ("a", MARGIN)}),  # row a
        frozenset({("a", "x"), ("b", "x"), (MARGIN, "x")}),  # column x
        frozenset({("a", MARGIN), ("b", "x"), ("b", "y"), ()}),  # total = row a + row b's cells
        frozenset({(MARGIN, "x"), ("a", "y"), ("b", "y"), ()}),  # total = column x + y's cells
    }


def test_interval_of_two_hidden_cells_summing_to_a_published_total() -> None:
    table: dict[CellKey, int] = {("a",): 3, ("b",): 4, ("c",): 9, (): 16}
    network = build_network(table, 1)
    index = network.index_of()
    both = {index[("a",)], index[("b",)]}
    found = interval(network, both, index[("a",)], lower=1)
    assert (found.low, found.high, found.width) == (1, 6, 5)
    found = interval(network, both, index[("a",)], lower=0)
    assert (found.low, found.high) == (0, 7)
    with_total = both | {index[()]}
    found = interval(network, with_total, index[("a",)], lower=1)
    assert (found.low, found.high, found.width) == (1, None, None)
    assert found.at_least(1000)


def test_interval_in_a_two_way_rectangle() -> None:
    table: dict[CellKey, int] = {
        ("a", "x"): 3,
        ("a", "y"): 10,
        ("b", "x"): 9,
        ("b", "y"): 12,
        ("a", MARGIN): 13,
        ("b", MARGIN): 21,
        (MARGIN, "x"): 12,
        (MARGIN, "y"): 22,
        (): 34,
    }
    network = build_network(table, 2)
    index = network.index_of()
    rectangle = {index[k] for k in table if MARGIN not in k and k != ()}
    # a_x = t, a_y = 13 - t, b_x = 12 - t, b_y = 9 + t, all >= 1: t in 1..11.
    found = interval(network, rectangle, index[("a", "x")], lower=1)
    assert (found.low, found.high) == (1, 11)
    found = interval(network, rectangle, index[("b", "y")], lower=1)
    assert (found.low, found.high) == (10, 20)
