"""An attacker's feasible ranges, computed independently of peerreport.disclosure.

Two methods, neither sharing code or formulation with the implementation
(which works on a flow network): an exact linear program over the hidden
inner cells, solved by a two-phase simplex in rational arithmetic, and brute
force enumeration for tiny tables. Keys follow the implementation's
convention: `()` grand total, `"*"` in a margin of a two-way table.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence, Set
from fractions import Fraction

Key = tuple[str | None, ...]


class Polyhedron:
    """{x >= 0 : a x = b}, exactly, with a feasible basis found once (phase 1).

    A tableau simplex in rational arithmetic with Bland's rule (so it never
    cycles); `maximize` then runs phase 2 for any objective.
    """

    def __init__(self, a: Sequence[Sequence[Fraction]], b: Sequence[Fraction], n: int) -> None:
        m = len(a)
        rows: list[list[Fraction]] = []
        for i, (row, rhs) in enumerate(zip(a, b, strict=True)):
            sign = -1 if rhs < 0 else 1
            artificial = [Fraction(int(i == j)) for j in range(m)]
            rows.append([sign * Fraction(v) for v in row] + artificial + [sign * Fraction(rhs)])
        basis = [n + i for i in range(m)]
        phase1 = [Fraction(0)] * n + [Fraction(-1)] * m
        _optimise(rows, basis, phase1, n + m)
        if any(basis[i] >= n and rows[i][-1] != 0 for i in range(m)):
            raise ValueError("infeasible")
        for i in range(m):
            if basis[i] >= n:
                col = next((j for j in range(n) if rows[i][j] != 0), None)
                if col is not None:
                    _pivot(rows, basis, None, i, col)
        keep = [i for i in range(m) if basis[i] < n]  # the others are redundant rows of zeros
        self.rows = [[*rows[i][:n], rows[i][-1]] for i in keep]
        self.basis = [basis[i] for i in keep]
        self.n = n

    def maximize(self, c: Sequence[Fraction]) -> Fraction | None:
        """max c.x over the polyhedron; None if unbounded."""
        rows = [row[:] for row in self.rows]
        basis = self.basis[:]
        if not _optimise(rows, basis, list(c), self.n):
            return None
        return sum((c[basis[i]] * rows[i][-1] for i in range(len(rows))), Fraction(0))


def _pivot(
    rows: list[list[Fraction]], basis: list[int], reduced: list[Fraction] | None, r: int, col: int
) -> None:
    pivot_row = rows[r] = [v / rows[r][col] for v in rows[r]]
    for i, row in enumerate(rows):
        factor = row[col]
        if i != r and factor != 0:
            rows[i] = [x - factor * y for x, y in zip(row, pivot_row, strict=True)]
    if reduced is not None:
        factor = reduced[col]
        reduced[:] = [x - factor * y for x, y in zip(reduced, pivot_row, strict=True)]
    basis[r] = col


def _optimise(
    rows: list[list[Fraction]], basis: list[int], objective: Sequence[Fraction], columns: int
) -> bool:
    """Phase-2 style simplex over the first `columns` columns; False if unbounded."""
    width = len(rows[0]) if rows else columns + 1
    reduced = [
        (objective[j] if j < columns else Fraction(0))
        - sum((objective[basis[i]] * rows[i][j] for i in range(len(rows))), Fraction(0))
        for j in range(width)
    ]
    while True:
        entering = next((j for j in range(columns) if reduced[j] > 0 and j not in basis), None)
        if entering is None:
            return True
        leave: tuple[Fraction, int, int] | None = None
        for i, row in enumerate(rows):
            if row[entering] > 0:
                option = (row[-1] / row[entering], basis[i], i)
                leave = option if leave is None or option < leave else leave
        if leave is None:
            return False
        _pivot(rows, basis, reduced, leave[2], entering)


def maximize(
    c: Sequence[Fraction], a: Sequence[Sequence[Fraction]], b: Sequence[Fraction]
) -> Fraction | None:
    """max c.x subject to a x = b, x >= 0; None if unbounded. Raises ValueError if infeasible."""
    return Polyhedron(a, b, len(c)).maximize(c)


def members(cells: Mapping[Key, int], key: Key) -> list[Key]:
    """The inner cells an aggregate (or a cell itself) adds up."""
    inner = [k for k in cells if k != () and "*" not in k]
    if key == ():
        return inner
    if "*" not in key:
        return [key]
    if key[1] == "*":
        return [k for k in inner if k[0] == key[0]]
    return [k for k in inner if k[1] == key[1]]


def feasible_ranges(
    cells: Mapping[Key, int],
    hidden: Set[Key],
    targets: Sequence[Key],
    lower: int,
    cap: int | None = None,
) -> dict[Key, tuple[int, int | None]]:
    """(min, max) of each target over tables agreeing with every published figure.

    Variables are the hidden inner cells minus `lower`. Each published
    margin or total is an equation over them; each hidden one is at least
    `lower` (a slack variable); with `cap`, each hidden inner cell is at most
    `cap`. Max None means unbounded.
    """
    unknown = sorted((k for k in members(cells, ()) if k in hidden), key=repr)
    column = {k: j for j, k in enumerate(unknown)}
    n_slack = sum(1 for k in cells if "*" in k or k == ()) + (len(unknown) if cap else 0)
    width = len(unknown) + n_slack
    a: list[list[Fraction]] = []
    b: list[Fraction] = []
    slack = len(unknown)

    def shifted(key: Key) -> tuple[list[Fraction], Fraction]:
        """The figure as coefficients over y = x - lower, plus a constant."""
        row = [Fraction(0)] * width
        constant = Fraction(0)
        for k in members(cells, key):
            if k in column:
                row[column[k]] += 1
                constant += lower
            else:
                constant += cells[k]
        return row, constant

    for key in cells:
        if key != () and "*" not in key:
            continue
        row, constant = shifted(key)
        if key in hidden:  # sum >= lower
            row[slack] = Fraction(-1)
            slack += 1
            a.append(row)
            b.append(lower - constant)
        else:
            a.append(row)
            b.append(cells[key] - constant)
    if cap is not None:
        for j in column.values():
            row = [Fraction(0)] * width
            row[j] = Fraction(1)
            row[slack] = Fraction(1)
            slack += 1
            a.append(row)
            b.append(Fraction(cap - lower))
    polyhedron = Polyhedron(a, b, width)
    return {target: _range(polyhedron, shifted(target)) for target in targets}


def _range(
    polyhedron: Polyhedron, figure: tuple[list[Fraction], Fraction]
) -> tuple[int, int | None]:
    objective, constant = figure
    high = polyhedron.maximize(objective)
    least = polyhedron.maximize([-v for v in objective])
    assert least is not None  # -objective <= 0 on y >= 0
    low = -least
    assert low.denominator == 1 and (high is None or high.denominator == 1)
    return int(low + constant), None if high is None else int(high + constant)


def feasible_range(
    cells: Mapping[Key, int],
    hidden: Set[Key],
    target: Key,
    lower: int,
    cap: int | None = None,
) -> tuple[int, int | None]:
    """(min, max) of `target` over tables agreeing with every published figure.

    Hidden figures are at least `lower`; with `cap`, hidden inner cells are at
    most `cap` too. Max None means unbounded.
    """
    return feasible_ranges(cells, hidden, [target], lower, cap)[target]


def brute_force_ranges(
    cells: Mapping[Key, int], hidden: Set[Key], lower: int, cap: int
) -> dict[Key, tuple[int, int]]:
    """`feasible_range` with `cap` for every hidden figure, by trying every whole-number table."""
    inner = members(cells, ())
    unknown = [k for k in inner if k in hidden]
    aggregates = [k for k in cells if k == () or "*" in k]
    parts = {key: members(cells, key) for key in cells}
    seen: dict[Key, list[int]] = {key: [] for key in hidden}
    for values in itertools.product(range(lower, cap + 1), repeat=len(unknown)):
        table = dict(cells)
        table.update(zip(unknown, values, strict=True))
        sums = {key: sum(table[k] for k in parts[key]) for key in aggregates}
        if all(
            sums[key] >= lower if key in hidden else sums[key] == cells[key] for key in aggregates
        ):
            for key in hidden:
                seen[key].append(sums.get(key, table[key]))
    return {key: (min(found), max(found)) for key, found in seen.items()}
