"""One audit over everything an organisation has released: earlier returns and this one.

    ledger of releases ──earlier returns that overlap (transitively)──┐
    the return being built (published cells) ─────────────────────────┤
                                                                      ▼
          atoms (one grouped SQL statement per record source, `atoms`)
                                                                      ▼
          every released cell = a sum of atom unknowns; for each hidden
          cell, the attacker's whole-number interval (`milp`)
                                                                      ▼
          fixed exactly by earlier returns alone (and not small)? publish it;
          too narrow? hide more of THIS return's cells, cheapest first;
          still narrow because a hidden cell is known to be >= 1? hide this
          return's zeros too, and declare it (zero_exempt false, RET-043);
          impossible (it cannot hide)? an error finding naming the figures

`audit_release` is the one step `build_return` takes after `publish`;
`record_release` is the step `filing.file_return` takes at submit, so the
next build is audited against what was filed. Releases already made cannot
be unpublished: only the return being built gains suppressions.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from peerreport.disclosure.atoms import Atom, CellSpec, Planner, Window, covers, gather
from peerreport.disclosure.milp import EXACT, HIDDEN, ROUNDED, Components, Equation, interval
from peerreport.disclosure.rounding import grr_base
from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.returns.model import EXACT as EXACT_STATUS
from peerreport.returns.model import NOT_COLLECTED, SUPPRESSED, PublishedCell, ReturnFigure
from peerreport.returns.periods import Period
from peerreport.rulebook import RuleFile, from_resolved, resolved_text
from peerreport.store.schema import released_cell, released_rule, submitted_return

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


def _window(period: Period) -> Window:
    return (period.start, period.end)


def _overlaps(a: Window, b: Window) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def earlier_releases(conn: Connection, org: str, window: Window) -> list[Released]:
    """The filed returns that overlap `window`, and those overlapping them, and so on."""
    rows = conn.execute(
        select(released_cell).where(released_cell.c.org == org).order_by(released_cell.c.id)
    ).all()
    by_submission: dict[int, list[Any]] = {}
    for row in rows:
        by_submission.setdefault(int(row.submission_id), []).append(row)
    reach = [window]
    chosen: set[int] = set()
    changed = True
    while changed:
        changed = False
        for ident, cells in by_submission.items():
            first = cells[0]
            span = (first.period_start, first.period_end)
            if ident not in chosen and any(_overlaps(span, w) for w in reach):
                chosen.add(ident)
                reach.append(span)
                changed = True
    declared = _declared(conn, org, chosen)
    texts: dict[str, RuleFile] = {}
    released = []
    for ident in sorted(chosen):
        cells = by_submission[ident]
        first = cells[0]
        if first.rule_digest not in texts:
            text = conn.execute(
                select(released_rule.c.resolved).where(
                    released_rule.c.org == org, released_rule.c.digest == first.rule_digest
                )
            ).scalar_one()
            texts[first.rule_digest] = _compiled(text, first.rule_id)
        version = f", version {first.version}" if first.version and first.version > 1 else ""
        released.append(
            Released(
                label=f"the return for {first.period_label} ({first.rule_id}{version})",
                rule_file=texts[first.rule_digest],
                window=(first.period_start, first.period_end),
                revision=first.records_revision,
                cells=tuple(
                    (
                        c.measure_id,
                        tuple(json.loads(c.cell_key)),
                        c.status,
                        json.loads(c.value) if c.value is not None else None,
                        c.note or "",
                    )
                    for c in cells
                ),
                zero_exempt=declared.get(ident),
            )
        )
    return released


def _declared(conn: Connection, org: str, submissions: set[int]) -> dict[int, bool]:
    """Whether each filed return declared its zeros shown (its `disclosure.zero_exempt`).

    A return whose audit had to hide zeros says `zero_exempt: false` although
    its rule file says true: the reader, and so the next audit, may then not
    assume its hidden cells are at least 1.
    """
    if not submissions:
        return {}
    rows = conn.execute(
        select(submitted_return.c.id, submitted_return.c.return_json).where(
            submitted_return.c.org == org, submitted_return.c.id.in_(sorted(submissions))
        )
    ).all()
    declared = {}
    for ident, text in rows:
        exempt = json.loads(text).get("disclosure", {}).get("zero_exempt")
        if isinstance(exempt, bool):
            declared[int(ident)] = exempt
    return declared


@functools.lru_cache(maxsize=32)
def _compiled(text: str, name: str) -> RuleFile:
    """A filed rule file compiled from its resolved text (the same text compiles the same)."""
    return from_resolved(text, name)


def _cells_of(figures: Sequence[ReturnFigure]) -> tuple[tuple[str, Key, str, Any, str], ...]:
    return tuple(
        (f.id, cell.key, cell.status, cell.value, cell.note)
        for f in figures
        for cell in (f.total, *f.cells)
    )


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


def audit(conn: Connection, org: str, releases: Sequence[Released]) -> Audit:
    """Audit the releases together; only the `current` one's exact cells may be hidden."""
    planner = Planner(conn.dialect)
    specs: list[tuple[Released, str, Key, str, Any, str, CellSpec]] = []
    for release in releases:
        measures = release.rule_file.measures
        shapes: dict[str, Any] = {}
        for measure_id, key, status, value, note in release.cells:
            m = measures.get(measure_id)
            if m is None or status == NOT_COLLECTED:
                continue  # a figure not collected released no number
            if measure_id not in shapes:
                shapes[measure_id] = planner.measure(release.rule_file, m)
            shape = shapes[measure_id]
            if shape is None:
                continue
            source, kind, where, argument, fields = shape
            planner.window(source, release.window, release.revision)
            spec = CellSpec(
                source,
                kind,
                where,
                argument,
                fields,
                key if key else None,
                release.window,
                release.revision,
            )
            specs.append((release, measure_id, key, status, value, note, spec))
    if not any(status == SUPPRESSED for _, _, _, status, *_ in specs):
        # No cell hidden in any release: nothing can be narrowed, so no atoms are read
        # (a pass over the records that would decide nothing; issue 16).
        return Audit({}, [], [])
    atoms = gather(conn, org, list(planner.plans.values()))
    return _solve(atoms, specs)


def _unknowns(atoms: Sequence[Atom]) -> dict[tuple[int, str | None], int]:
    table: dict[tuple[int, str | None], int] = {}
    for i, atom in enumerate(atoms):
        table[(i, None)] = len(table)
        for name, _ in atom.sums:
            table[(i, name)] = len(table)
    return table


def _solve(atoms: Sequence[Atom], specs: Sequence[Any]) -> Audit:
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


def audit_release(
    engine: Engine,
    org: str,
    rule_file: RuleFile,
    period: Period,
    revision: int | None,
    figures: Sequence[ReturnFigure],
) -> tuple[list[ReturnFigure], list[Finding], bool]:
    """The return's published figures audited with everything released before; findings;
    and whether its zeros are still all shown (what its `disclosure.zero_exempt` declares).

    Cells that an attacker could narrow below the threshold by combining this
    return with earlier ones (or its own figures with each other) are hidden,
    each with a note saying why. When hiding every non-zero figure is not
    enough under `suppress`, zeros may be hidden too and the return no longer
    declares its zeros shown (a warning says so). Figures that still cannot be
    protected (a return that hides nothing) give an error finding (so the
    return is not filed); figures earlier releases had already given away give
    a warning.
    """
    current = Released(
        label=f"the return for {period.label} being built",
        rule_file=rule_file,
        window=_window(period),
        revision=revision,
        cells=_cells_of(figures),
        current=True,
    )
    with engine.connect() as conn:
        earlier = earlier_releases(conn, org, _window(period))
        earlier = [r for r in earlier if not _same(r, current)]
        decided = audit(conn, org, [*earlier, current])
    updated = _apply(rule_file, figures, decided.hide, decided.show)
    findings: list[Finding] = []
    if decided.conflicts:
        findings.append(
            finding(
                "RET-041",
                "this return cannot be released safely: with what was filed before, these hidden "
                "figures could be worked out whatever else is hidden: "
                + "; ".join(decided.conflicts[:10]),
                None,
                Location(key=f"period {period.label}"),
                {"figures": decided.conflicts},
            )
        )
    if decided.disclosed_before:
        findings.append(
            finding(
                "RET-042",
                "returns filed before already let these hidden figures be worked out: "
                + "; ".join(decided.disclosed_before[:10]),
                None,
                Location(key=f"period {period.label}"),
                {"figures": decided.disclosed_before},
            )
        )
    if decided.relaxed:
        # Which hidden figures are 0 is not said: the finding is released with the return.
        concerned = decided.maybe_zero
        findings.append(
            finding(
                "RET-043",
                "to protect people, this return hides its zeros like small figures, so any "
                "hidden figure may be 0: with what was filed before, a reader who knew that every "
                "hidden figure is at least 1 could have worked out a small one of "
                + ", ".join(concerned[:10]),
                None,
                Location(key=f"period {period.label}"),
                {"measures": concerned},
            )
        )
    exempt = rule_file.disclosure.zero_exempt and not decided.relaxed
    return updated, findings, exempt


def _same(release: Released, current: Released) -> bool:
    """An earlier release identical to the one being built adds nothing (a re-file)."""
    return (
        release.rule_file.digest == current.rule_file.digest
        and release.window == current.window
        and release.revision == current.revision
        and release.cells == current.cells
    )


def _apply(
    rule_file: RuleFile,
    figures: Sequence[ReturnFigure],
    hide: dict[tuple[str, Key], str],
    show: dict[tuple[str, Key], int],
) -> list[ReturnFigure]:
    if not hide and not show:
        return list(figures)

    def decided(figure: ReturnFigure, cell: PublishedCell) -> PublishedCell:
        if (figure.id, cell.key) in hide:
            return PublishedCell(cell.key, None, SUPPRESSED, hide[(figure.id, cell.key)])
        if (figure.id, cell.key) in show:
            return PublishedCell(cell.key, show[(figure.id, cell.key)], EXACT_STATUS)
        return cell

    updated: dict[str, ReturnFigure] = {}
    for figure in figures:
        compiled = rule_file.measures.get(figure.id)
        total = decided(figure, figure.total)
        cells = tuple(decided(figure, c) for c in figure.cells)
        if (
            figure.kind == "expr"
            and total.status != SUPPRESSED
            and compiled is not None
            and compiled.argument is not None
            and any(
                name in updated and updated[name].total.status == SUPPRESSED
                for name in compiled.argument.names()
            )
        ):
            total, cells = PublishedCell((), None, SUPPRESSED), ()
        updated[figure.id] = replace(figure, total=total, cells=cells)
    return list(updated.values())


def record_release(
    conn: Connection, submission_id: int, version: int, ret: Any, rule_file: RuleFile
) -> int:
    """Record what a filed return released, so later builds are audited against it.

    One row per published cell (its measure, key, status, value and note) with
    the definition needed to recount it at any time: the rule file's digest
    (its resolved text is kept once per digest), the period's dates and the
    records revision the return was computed from.
    """
    known = conn.execute(
        select(released_rule.c.digest).where(
            released_rule.c.org == ret.organisation, released_rule.c.digest == rule_file.digest
        )
    ).first()
    if known is None:
        conn.execute(
            insert(released_rule).values(
                org=ret.organisation,
                digest=rule_file.digest,
                rule_id=rule_file.id,
                resolved=resolved_text(rule_file),
            )
        )
    rows = [
        {
            "org": ret.organisation,
            "submission_id": submission_id,
            "version": version,
            "rule_id": rule_file.id,
            "rule_digest": rule_file.digest,
            "period_start": ret.period.start,
            "period_end": ret.period.end,
            "period_label": ret.period.label,
            "records_revision": ret.revision,
            "measure_id": measure,
            "cell_key": json.dumps(list(key)),
            "status": status,
            "value": None if value is None else json.dumps(value),
            "note": note or None,
        }
        for measure, key, status, value, note in _cells_of(ret.figures)
    ]
    if rows:
        conn.execute(insert(released_cell), rows)
    return len(rows)


__all__ = ["Audit", "Released", "audit", "audit_release", "earlier_releases", "record_release"]
