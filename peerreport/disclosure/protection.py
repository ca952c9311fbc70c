"""Which cells of the return being built to hide, given every release's cells as equations.

`solve` takes the atoms (`atoms.gather`) and every released cell, each a sum of atom
unknowns, and decides, for each hidden cell that shares records with this return,
whether the attacker's whole-number interval (`milp.interval`) is wide enough:

- fixed exactly by earlier returns alone (and not small)? publish it;
- too narrow? hide more of THIS return's cells, cheapest first;
- still narrow because a hidden cell is known to be >= 1? hide this return's zeros
  too, and declare it (zero_exempt false, RET-043);
- impossible (it cannot hide)? a conflict, in words.

`release` reads the releases from the ledger and the atoms from the records, and
applies what is decided here to the return. Nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from peerreport.disclosure.atoms import Atom, Window, covers
from peerreport.disclosure.milp import EXACT, HIDDEN, ROUNDED, Components, Equation, interval
from peerreport.disclosure.rounding import grr_base
from peerreport.returns.model import SUPPRESSED
from peerreport.rulebook import RuleFile

Key = tuple[str | None, ...]


@dataclass(frozen=True)
class Released:
    """One release: a filed return (or the one being built) and its published cells."""

    label: str  # "the return for FY2026-Q3" (", version 2" for amendments)
    rule_file: RuleFile
    window: Window
    revision: int | None
    cells: tuple[tuple[str, Key, str, Any, str], ...]  # measure, key, status, value, note
    current: bool = False
    # What the return declared: False when zeros were hidden too (a hidden cell may be 0);
    # None: as its rule file's policy says.
    zero_exempt: bool | None = None

    def least(self, true: int) -> int:
        """What a reader knows of a hidden cell: at least 1 when a zero would have been shown."""
        policy = self.rule_file.disclosure
        exempt = policy.zero_exempt if self.zero_exempt is None else self.zero_exempt
        return min(1, true) if policy.method == "suppress" and exempt else 0


@dataclass
class _Cell:
    release: Released
    measure: str
    key: Key
    equation: Equation
    order: int


@dataclass
class Audit:
    """What the audit decided: the return's cells to hide and why, and what conflicts."""

    hide: dict[tuple[str, Key], str]  # (measure, key) -> the note the funder reads
    conflicts: list[str]  # figures that cannot be protected, in words
    disclosed_before: list[str]  # hidden figures earlier releases already pinned
    relaxed: bool = False  # zeros of this return may be hidden: its hidden cells may be 0
    hidden_zeros: list[str] = field(default_factory=list)  # zeros hidden, in words
    # The measures of this return whose hidden figures needed zeros hidden: never which
    # cells are 0 (that would give the small ones beside them away again).
    maybe_zero: list[str] = field(default_factory=list)
    # Cells of this return its own table hid that earlier returns already give exactly (and
    # are not small): published after all, with their values.
    show: dict[tuple[str, Key], int] = field(default_factory=dict)
    atoms: int = 0
    cells: int = 0
    programs: int = 0


def _unknowns(atoms: Sequence[Atom]) -> dict[tuple[int, str | None], int]:
    table: dict[tuple[int, str | None], int] = {}
    for i, atom in enumerate(atoms):
        table[(i, None)] = len(table)
        for name, _ in atom.sums:
            table[(i, name)] = len(table)
    return table


def solve(atoms: Sequence[Atom], specs: Sequence[Any]) -> Audit:
    """Decide what to hide: `specs` are (release, measure, key, status, value, note,
    CellSpec) of every released cell, `atoms` the records they are sums over."""
    unknown = _unknowns(atoms)
    cells: list[_Cell] = []
    for order, (release, measure, key, status, value, _, spec) in enumerate(specs):
        members = [i for i, atom in enumerate(atoms) if covers(atom, spec)]
        if spec.kind == "count":
            terms = tuple(unknown[(i, None)] for i in members)
            true = sum(atoms[i].count for i in members)
        else:
            terms = tuple(unknown[(i, spec.argument)] for i in members)
            true = sum(atoms[i].sum(spec.argument) for i in members)
        policy = release.rule_file.disclosure
        if status == SUPPRESSED:
            equation = Equation(
                terms, true, HIDDEN, lower=release.least(true), threshold=policy.threshold
            )
        elif status == "rounded" and isinstance(value, int):
            slack = 2 if policy.method == "rr3" else max(grr_base(value), grr_base(true)) - 1
            equation = Equation(terms, true, ROUNDED, slack=slack, published=value)
        elif isinstance(value, int) and value == true:
            equation = Equation(terms, true, EXACT)
        else:
            continue  # no value, or not what its definition counts: nothing to link
        cells.append(_Cell(release, measure, key, equation, order))
    equations = [c.equation for c in cells]
    components = Components(equations)
    result = Audit({}, [], [], atoms=len(atoms), cells=len(cells))

    def is_narrow(index: int, without_current: bool = False) -> bool:
        linked = components.linked(equations, equations[index])
        if without_current:
            linked = [i for i in linked if i == index or not cells[i].release.current]
        result.programs += 2
        found = interval(equations, index, linked)
        return found.width() < equations[index].threshold

    # Only what shares records with this return can have changed: other hidden cells
    # were audited when their own return was built.
    touched = {
        components.root(eq)
        for eq, cell in zip(equations, cells, strict=True)
        if cell.release.current
    }
    notes: dict[int | None, str] = {}
    current = [c.release for c in cells if c.release.current]
    suppresses = bool(current) and current[0].rule_file.disclosure.method == "suppress"
    relaxed_roots: set[int | None] = set()
    zeros: list[int] = []  # zeros of this return hidden once the audit relaxed
    shown: set[int] = set()  # hidden cells published after all: earlier returns give them
    queue = [
        i
        for i, eq in enumerate(equations)
        if eq.state == HIDDEN and components.root(eq) in touched and _constrained(equations, i)
    ]

    def relax() -> None:
        # The reader's knowledge that a hidden cell is at least 1 gives a figure away. So
        # this return hides its zeros too (all of them, so what it declares, zero_exempt
        # false, is true of every table), and none of its hidden cells is known to be at
        # least 1. A zero counts no records (the attacker knows such a cell is 0 anyway):
        # hiding it is for the reader, who can no longer tell a hidden 0 from a small count.
        # (A sum that is 0 over records, e.g. no new people at some sessions, stays shown
        # unless hiding it is needed: hidden, other figures could pin it.)
        result.relaxed = True
        for i, (eq, cell) in enumerate(zip(equations, cells, strict=True)):
            if not cell.release.current:
                continue
            if eq.state == HIDDEN:
                eq.lower = 0
            elif eq.state == EXACT and eq.true == 0 and not eq.terms:
                _hide(eq, cell, relaxed=True)
                zeros.append(i)

    while queue:
        index = queue.pop(0)
        if not is_narrow(index):
            continue
        target = cells[index]
        can_relax = suppresses and not result.relaxed
        if is_narrow(index, without_current=True):
            if target.release.current and _public(equations, index, components, cells):
                # Earlier returns publish this very count: hiding it protects nothing (the
                # cells beside it are audited against it either way), and an attacker
                # would pin a hidden cell. So it is published.
                _show(equations[index])
                result.hide.pop((target.measure, target.key), None)
                result.show[(target.measure, target.key)] = equations[index].true
                shown.add(index)
                continue
            if can_relax and target.release.current and _own_bound(equations, index, is_narrow):
                relax()  # only its own "at least 1" narrowed it: that can be given up
            else:
                # Returns already filed give it away among themselves: nothing here can help.
                result.disclosed_before.append(_words(target))
                continue
        linked = components.linked(equations, equations[index])
        note = _note(cells, linked, target)
        candidates = _candidates(cells, equations, linked, shown=shown)
        if can_relax and not result.relaxed and _hopeless(cells, equations, index, candidates):
            relax()  # hiding every non-zero figure of this return would not be enough
        if result.relaxed:
            # A sum that is 0 over records may be hidden too, after the others.
            candidates = _candidates(cells, equations, linked, zero_sums=True, shown=shown)
        _hide_until_wide(cells, equations, index, candidates, result, note, queue, is_narrow)
        if result.relaxed:
            relaxed_roots.add(components.root(equations[index]))
        if is_narrow(index):
            result.conflicts.append(_words(target))
        notes.setdefault(components.root(equations[index]), note)
    # Every hidden cell of this return that shares records with a cell the audit had to
    # protect says so, whether it is small or hidden to protect another: a note only on
    # the cells hidden here would tell a reader they are not small (see docs/disclosure.md).
    for eq, cell in zip(equations, cells, strict=True):
        root = components.root(eq)
        if cell.release.current and eq.state == HIDDEN and root in notes:
            result.hide.setdefault((cell.measure, cell.key), notes[root])
        concerned = cell.release.current and eq.state == HIDDEN and root in relaxed_roots
        if concerned and cell.measure not in result.maybe_zero:
            result.maybe_zero.append(cell.measure)
    # A hidden zero carries the note its table's other hidden cells carry (if any), so the
    # notes do not tell it from them.
    table_note = {measure: note for (measure, _), note in result.hide.items()}
    for i in zeros:
        cell = cells[i]
        result.hide[(cell.measure, cell.key)] = table_note.get(cell.measure, "")
        result.hidden_zeros.append(_words(cell))
    return result


def _candidates(
    cells: Sequence[_Cell],
    equations: Sequence[Equation],
    linked: Sequence[int],
    zero_sums: bool = False,
    shown: set[int] | None = None,
) -> list[int]:
    """This return's published non-zero cells that share records with a target, smallest
    first (then in the return's order); with `zero_sums`, then its cells that are 0 over
    records (sums), once the audit may hide zeros. Not the cells `shown` because earlier
    returns give them (hiding one would widen nothing)."""
    return sorted(
        (
            i
            for i in linked
            if cells[i].release.current
            and i not in (shown or ())
            and cells[i].release.rule_file.disclosure.method == "suppress"
            and equations[i].state == EXACT
            and (equations[i].true != 0 or zero_sums)
        ),
        key=lambda i: (equations[i].true == 0, equations[i].true, cells[i].order),
    )


def _own_bound(
    equations: Sequence[Equation], index: int, is_narrow: Callable[[int, bool], bool]
) -> bool:
    """Would this return's hidden cell be wide enough, beside earlier releases alone, if it
    were not known to be at least 1? (Its bound is left as it was.)"""
    goal = equations[index]
    if goal.lower == 0:
        return False
    kept, goal.lower = goal.lower, 0
    wide = not is_narrow(index, True)
    goal.lower = kept
    return wide


def _public(
    equations: Sequence[Equation], index: int, components: Components, cells: Sequence[_Cell]
) -> bool:
    """Do earlier releases alone give this hidden cell of this return exactly, and is it not
    small? (Then publishing it tells no one anything: its value follows from theirs.)"""
    goal = equations[index]
    if goal.true < goal.threshold:
        return False  # a small count stays hidden, even if an earlier return gave it away
    linked = [
        i for i in components.linked(equations, goal) if i == index or not cells[i].release.current
    ]
    # Without its own "at least 1", so the value follows from earlier figures alone.
    kept, goal.lower = goal.lower, 0
    found = interval(equations, index, linked)
    goal.lower = kept
    return found.low == found.high == goal.true


def _hopeless(
    cells: Sequence[_Cell], equations: Sequence[Equation], index: int, candidates: Sequence[int]
) -> bool:
    """Would the target stay narrow with every candidate hidden? (Nothing is left hidden.)"""
    for i in candidates:
        _hide(equations[i], cells[i], relaxed=False)
    linked = Components(equations).linked(equations, equations[index])
    narrow = interval(equations, index, linked).width() < equations[index].threshold
    for i in candidates:
        _show(equations[i])
    return narrow


def _hide_until_wide(
    cells: Sequence[_Cell],
    equations: Sequence[Equation],
    index: int,
    candidates: list[int],
    result: Audit,
    note: str,
    queue: list[int],
    is_narrow: Callable[[int], bool],
) -> None:
    """Hide candidates until the target is wide enough: the first whose hiding alone does it,
    else the cheapest, and so on."""
    while candidates and is_narrow(index):
        chosen = None
        for i in candidates:
            _hide(equations[i], cells[i], result.relaxed)
            if not is_narrow(index):
                chosen = i
                break
            _show(equations[i])
        if chosen is None:
            chosen = candidates[0]
            _hide(equations[chosen], cells[chosen], result.relaxed)
        candidates.remove(chosen)
        result.hide[(cells[chosen].measure, cells[chosen].key)] = note
        queue.append(chosen)


def _constrained(equations: Sequence[Equation], index: int) -> bool:
    """Does any published cell share records with this hidden one? (If not, it is free.)"""
    terms = set(equations[index].terms)
    return bool(terms) and any(
        eq.state != HIDDEN and terms.intersection(eq.terms) for eq in equations
    )


def _hide(equation: Equation, cell: _Cell, relaxed: bool) -> None:
    equation.state = HIDDEN
    equation.threshold = cell.release.rule_file.disclosure.threshold
    equation.lower = 0 if relaxed else cell.release.least(equation.true)


def _show(equation: Equation) -> None:
    equation.state = EXACT
    equation.lower = equation.threshold = 0


def _note(cells: Sequence[_Cell], linked: Sequence[int], target: _Cell) -> str:
    """Why: small, or worked out with another release; never saying which of the two."""
    earlier = sorted({cells[i].release.label for i in linked if not cells[i].release.current})
    current = next(c for c in cells if c.release.current).release.rule_file.disclosure
    threshold = current.threshold
    other = (
        f"with {earlier[0]} already filed" if earlier else "with the other figures of this return"
    )
    return (
        f"hidden to protect people: it is fewer than {threshold}, or, {other}, a smaller "
        "figure could be worked out from it"
    )


def _words(cell: _Cell) -> str:
    where = (
        "total"
        if not cell.key
        else " / ".join("not recorded" if k is None else k for k in cell.key)
    )
    return f"{cell.measure} ({where}) in {cell.release.label}"
