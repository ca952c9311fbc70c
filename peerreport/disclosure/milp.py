"""How far an attacker can narrow hidden cells that share records, solved exactly.

The unknowns are whole numbers, one per atom (its record count, or the sum of
one summed argument over it), each at least 0; an atom that holds no record is
known to be 0 and is no unknown at all (so the attacker is assumed to know
which combinations occur). Every released cell is a sum of unknowns:

- a published exact cell fixes its sum;
- a rounded cell bounds it (within the base of the rounding, less one);
- a hidden cell is free, but at least its known lower bound (1 when its
  return declares that zeros are shown; the threshold when its note says it was hidden to
  protect another release's figure, which tells the reader it is not small).

For a hidden cell the attacker's interval is [min, max] of its sum over the
whole-number solutions: two integer programs (HiGHS through
`scipy.optimize.milp`). The linear relaxation is not enough: it can be wide
where the whole-number range is narrow. The max is capped at the true value
plus the threshold, which decides `high - low >= threshold` exactly and keeps
every program bounded; when the capped max falls short of the cap, a third
program asks whether some solution reaches or passes it (whole-number
solutions can skip values: {0, 2, 4} under a cap of 3 peak at 2, yet the
attacker cannot rule out 4), and the max is then the cap. Only the connected
part of the system that shares unknowns with the cell is solved.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

EXACT, HIDDEN, ROUNDED = "exact", "hidden", "rounded"


@dataclass
class Equation:
    """One released cell as a sum of unknowns."""

    terms: tuple[int, ...]
    true: int
    state: str  # exact | hidden | rounded
    slack: int = 0  # rounded: the published value is within `slack` of the count
    published: int | None = None  # rounded: the published value
    lower: int = 0  # hidden: the least value the attacker knows it has
    threshold: int = 0  # hidden: the interval must be at least this wide


@dataclass(frozen=True)
class Interval:
    """The attacker's interval for one hidden cell (`high` capped at true + threshold)."""

    low: int
    high: int

    def width(self) -> int:
        """high - low."""
        return self.high - self.low


class Components:
    """The equations that share unknowns with each other (union-find over unknowns)."""

    def __init__(self, equations: Sequence[Equation]) -> None:
        parent: dict[int, int] = {}

        def find(x: int) -> int:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for eq in equations:
            if eq.terms:
                first = find(eq.terms[0])
                for t in eq.terms[1:]:
                    parent[find(t)] = first
        self._find = find

    def root(self, equation: Equation) -> int | None:
        """The component an equation belongs to (None: it counts no records)."""
        return self._find(equation.terms[0]) if equation.terms else None

    def linked(self, equations: Sequence[Equation], target: Equation) -> list[int]:
        """The indexes of the equations in the target's component."""
        if not target.terms:
            return []
        root = self._find(target.terms[0])
        return [i for i, eq in enumerate(equations) if eq.terms and self._find(eq.terms[0]) == root]


def interval(equations: Sequence[Equation], target: int, linked: Iterable[int]) -> Interval:
    """The attacker's min and (capped) max of `equations[target]` over whole-number solutions."""
    goal = equations[target]
    if not goal.terms:
        return Interval(0, 0)
    # numpy and scipy take longer to import than most builds take: only an audit that
    # solves a program (a return with hidden cells) needs them.
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_array

    rows = [equations[i] for i in linked]
    unknowns = sorted({t for eq in rows for t in eq.terms})
    column = {u: j for j, u in enumerate(unknowns)}
    lower: list[float] = []
    upper: list[float] = []
    data: list[float] = []
    row_index: list[int] = []
    col_index: list[int] = []
    for r, eq in enumerate(rows):
        for t in eq.terms:
            data.append(1.0)
            row_index.append(r)
            col_index.append(column[t])
        if eq.state == EXACT:
            lower.append(eq.true)
            upper.append(eq.true)
        elif eq.state == ROUNDED:
            assert eq.published is not None
            lower.append(max(0, eq.published - eq.slack))
            upper.append(eq.published + eq.slack)
        else:
            lower.append(eq.lower)
            upper.append(math.inf)
    matrix = csr_array(
        (data, (row_index, col_index)), shape=(len(rows), len(unknowns)), dtype=float
    )
    objective = np.zeros(len(unknowns))
    for t in goal.terms:
        objective[column[t]] += 1.0
    cap = goal.true + max(goal.threshold, 1)
    cap_row = csr_array(objective.reshape(1, -1))
    constraints = [
        LinearConstraint(matrix, np.array(lower, float), np.array(upper, float)),
        LinearConstraint(cap_row, -np.inf, float(cap)),
    ]
    integrality = np.ones(len(unknowns))
    bounds = Bounds(np.zeros(len(unknowns)), np.full(len(unknowns), np.inf))
    low = milp(objective, constraints=constraints, integrality=integrality, bounds=bounds)
    high = milp(-objective, constraints=constraints, integrality=integrality, bounds=bounds)
    if not (low.success and high.success):  # pragma: no cover - the true counts are a solution
        raise ArithmeticError(f"the audit's integer program failed: {low.message}; {high.message}")
    highest = round(-high.fun)
    if highest < cap:
        # Whole-number solutions may skip values: {0, 2, 4} under a cap of 3 peaks at 2, yet
        # the attacker's range reaches the cap. Is there a solution at or past it?
        past = [constraints[0], LinearConstraint(cap_row, float(cap), np.inf)]
        beyond = milp(
            np.zeros(len(unknowns)), constraints=past, integrality=integrality, bounds=bounds
        )
        if beyond.success:
            highest = cap
    return Interval(round(low.fun), highest)


def narrow(
    equations: Sequence[Equation], target: int, components: Components | None = None
) -> bool:
    """True when the attacker's interval for hidden `equations[target]` is under its threshold."""
    goal = equations[target]
    found = interval(
        equations, target, (components or Components(equations)).linked(equations, goal)
    )
    return found.width() < goal.threshold
