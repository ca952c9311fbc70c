"""A collation of exact figures audited with the providers' own returns.

With the funder's key, a collated cell adds providers' exact figures. Beside
the providers' published returns that can give a hidden figure away: a
region's phone calls (20) less the two providers who published theirs (10
and 8) is the third provider's hidden 2. So before a collation of exact
figures is released, the providers' returns and the collated table are
audited as one system (`peerreport.disclosure.milp`), and collated cells are
hidden until no provider's hidden cell, and no hidden collated cell, can be
narrowed below the threshold.

The unknowns are each provider's finest cells of a measure (its breakdown
cells, or its total when the measure has no breakdown or its cells do not
add up to it, as for distinct counts). Every released number is a sum of
them: a provider's cell (exact, rounded or hidden, as it published it; a
provider that declares its zeros shown tells the reader a hidden cell is at
least 1), its total, and each collated cell (the sum of what was added for
it). A provider without a sealed part adds only what it published, so its
cells enter as the published values, exactly.

Collations of the same period already published (`Earlier`, read from the
JSON `collate --json` writes) are audited too: each of their published cells
is the sum of what its providers' bundles held, so a second collation
without one provider cannot give that provider away by difference. An
earlier cell is linked when every bundle it added is in this collation
(matched by SHA-256); one that added a bundle this collation does not hold
(an amended return's earlier version) cannot be written in this collation's
unknowns and is reported as not linked.

What this does not see: relations between different measures of one
provider (a measure that is the sum of two others), which the provider's own
audit covered among its own returns; docs/disclosure.md says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from peerreport.collate.gather import Received
from peerreport.disclosure.milp import EXACT, HIDDEN, ROUNDED, Components, Equation, interval
from peerreport.disclosure.rounding import grr_base
from peerreport.returns.model import SUPPRESSED
from peerreport.rulebook.compiled import RuleFile

CellKey = tuple[str | None, ...]
ADDITIVE = ("count", "sum", "distinct")
HIDDEN_REASON = (
    "hidden to protect people: with the providers' own returns, a provider's hidden figure "
    "could be worked out from it"
)


EARLIER = "earlier collation"


@dataclass(frozen=True)
class Earlier:
    """A collation of the same rule file and period already published."""

    name: str  # the file it was read from, for messages
    bundles: frozenset[str]  # SHA-256 of every bundle it added
    cells: tuple[tuple[str, CellKey, str, Any], ...]  # (measure, key, status, value)


@dataclass
class _Cell:
    """One released number: a provider's (`org`), this collation's (`org` None) or an
    earlier collation's (`org` EARLIER)."""

    org: str | None
    measure: str
    key: CellKey
    equation: Equation


@dataclass
class LinkedAudit:
    """What the audit hid in the collation, and what it could not protect."""

    hide: dict[tuple[str, CellKey], str]
    conflicts: list[tuple[str, str]]  # (measure, the cell in words)
    programs: int = 0


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _slack(method: str, published: int, true: int) -> int:
    return 2 if method == "rr3" else max(grr_base(published), grr_base(true)) - 1


def audit_collation(
    rule_file: RuleFile,
    received: Sequence[Received],
    exact: Mapping[str, Mapping[str, Mapping[CellKey, Any]]],
    collated: Mapping[str, Any],
    earlier: Sequence[Earlier] = (),
) -> LinkedAudit:
    """Which collated cells to hide so that nothing released can be narrowed (see above).

    `collated` maps measure ids to `CollatedFigure`s as protected table by table.
    Without exact figures a collation adds only published values, which gives
    nothing away, and nothing is audited.
    """
    result = LinkedAudit({}, [])
    policy = rule_file.disclosure
    if not exact or policy.method == "none":
        return result
    held = {item.sha256: item.ret.organisation for item in received}
    linkable = [b for b in earlier if b.bundles <= held.keys()]
    cells: list[_Cell] = []
    next_unknown = 0
    for ident, figure in collated.items():
        if figure.kind not in ADDITIVE:
            continue
        # The unknowns of each provider's table, key -> terms.
        terms_of: dict[str, dict[CellKey, tuple[int, ...]]] = {}
        truths: dict[int, int] = {}
        mine: list[_Cell] = []  # this measure's cells, kept only if every table is whole
        usable = True
        for item in received:
            org = item.ret.organisation
            try:
                published = item.ret.figure(ident)
            except KeyError:
                continue
            shown = {c.key: c for c in (published.total, *published.cells)}
            sealed = exact.get(org)
            values: dict[CellKey, Any]
            if sealed is not None:
                values = dict(sealed.get(ident, {}))
            else:  # it adds what it published, exactly as published
                values = {k: c.value for k, c in shown.items() if c.status != SUPPRESSED}
            if not all(_whole(v) for v in values.values()):
                usable = False  # decimal quantities: not counts of people
                break
            parts = {k: v for k, v in values.items() if k != ()}
            adds_up = (
                sealed is not None
                and figure.kind != "distinct"
                and bool(parts)
                and () in values
                and sum(parts.values()) == values[()]
            )
            terms: dict[CellKey, tuple[int, ...]] = {}
            for key in parts if adds_up else values:
                terms[key] = (next_unknown,)
                truths[next_unknown] = int(values[key])
                next_unknown += 1
            if adds_up:
                terms[()] = tuple(t for key in parts for t in terms[key])
            terms_of[org] = terms
            if sealed is None:
                # It adds what it published: the reader knows each of these values.
                for key, unknowns in terms.items():
                    value = truths[unknowns[0]]
                    mine.append(_Cell(org, ident, key, Equation(unknowns, value, EXACT)))
                continue
            least = 1 if policy.method == "suppress" and _declares_zeros(item) else 0
            for key, cell in shown.items():
                if key not in terms:
                    continue
                true = sum(truths[t] for t in terms[key])
                equation = _equation(policy.method, policy.threshold, cell, true)
                if equation.state == HIDDEN:
                    equation.lower = min(least, true)
                equation.terms = terms[key]
                mine.append(_Cell(org, ident, key, equation))
        if not usable:
            continue
        for collated_cell in (figure.total, *figure.cells):
            added = tuple(
                t for parts in terms_of.values() for t in parts.get(collated_cell.key, ())
            )
            true = sum(truths[t] for t in added)
            equation = _equation(policy.method, policy.threshold, collated_cell, true)
            equation.terms = added
            mine.append(_Cell(None, ident, collated_cell.key, equation))
        for before in linkable:
            orgs = [held[sha] for sha in before.bundles]
            for measure, key, status, value in before.cells:
                if measure != ident or status == SUPPRESSED or not _whole(value):
                    continue
                added = tuple(t for org in orgs for t in terms_of.get(org, {}).get(key, ()))
                true = sum(truths[t] for t in added)
                if status == "rounded":
                    slack = _slack(policy.method, value, true)
                    equation = Equation(added, true, ROUNDED, slack=slack, published=value)
                elif value == true:
                    equation = Equation(added, true, EXACT)
                else:
                    continue  # not the sum of its bundles' figures: nothing to link
                mine.append(_Cell(EARLIER, ident, key, equation))
        cells.extend(mine)
    _protect(cells, rule_file, result)
    return result


def _declares_zeros(item: Received) -> bool:
    declared = item.ret.disclosure.get("zero_exempt")
    return bool(declared) if isinstance(declared, bool) else False


def _equation(method: str, threshold: int, cell: Any, true: int) -> Equation:
    """The equation of one released cell (its terms are set by the caller)."""
    if cell.status == SUPPRESSED:
        return Equation((), true, HIDDEN, threshold=threshold)
    if _whole(cell.value) and cell.status == "rounded":
        slack = _slack(method, cell.value, true)
        return Equation((), true, ROUNDED, slack=slack, published=cell.value)
    if _whole(cell.value) and cell.value == true:
        return Equation((), true, EXACT)
    return Equation((), true, HIDDEN, threshold=0)  # no number released: links nothing


def _protect(cells: list[_Cell], rule_file: RuleFile, result: LinkedAudit) -> None:
    equations = [c.equation for c in cells]
    components = Components(equations)
    threshold = rule_file.disclosure.threshold

    def is_narrow(index: int) -> bool:
        result.programs += 2
        linked = components.linked(equations, equations[index])
        found = interval(equations, index, linked)
        return found.width() < equations[index].threshold

    # A hidden cell that shares no unknown with the collation was covered by its
    # provider's own audit.
    collated = {components.root(c.equation) for c in cells if c.org is None}
    # The cells to keep wide: providers' hidden cells, and collated cells hidden as small.
    # (A collated cell hidden here protects one of those; it need not be wide itself.)
    queue = [
        i
        for i, eq in enumerate(equations)
        if eq.state == HIDDEN
        and eq.threshold
        and (cells[i].org not in (None, EARLIER) or eq.true > 0)
        and components.root(eq) in collated
    ]
    # Unknowns a provider published exactly: a collated cell made only of these is known
    # whatever the collation does, and hiding it protects nothing.
    fixed = {eq.terms[0] for eq in equations if eq.state == EXACT and len(eq.terms) == 1}
    while queue:
        index = queue.pop(0)
        if not is_narrow(index):
            continue
        linked = components.linked(equations, equations[index])
        candidates = sorted(
            (
                i
                for i in linked
                if cells[i].org is None
                and equations[i].state in (EXACT, ROUNDED)
                and not fixed.issuperset(equations[i].terms)
            ),
            key=lambda i: equations[i].true,
        )
        while candidates and is_narrow(index):
            chosen = None
            for i in candidates:
                kept = replace(equations[i])
                _hide(equations[i], threshold)
                if not is_narrow(index):
                    chosen = i
                    break
                equations[i].state, equations[i].threshold = kept.state, kept.threshold
                equations[i].lower = kept.lower
            if chosen is None:
                chosen = candidates[0]
                _hide(equations[chosen], threshold)
            candidates.remove(chosen)
            result.hide[(cells[chosen].measure, cells[chosen].key)] = HIDDEN_REASON
            queue.append(chosen)
        if is_narrow(index):
            result.conflicts.append((cells[index].measure, _words(cells[index])))


def _hide(equation: Equation, threshold: int) -> None:
    equation.state = HIDDEN
    equation.threshold = threshold
    equation.lower = 0


def _words(cell: _Cell) -> str:
    where = (
        "total"
        if not cell.key
        else " / ".join("not recorded" if k is None else k for k in cell.key)
    )
    whose = (
        "the collation"
        if cell.org is None
        else ("an earlier collation" if cell.org == EARLIER else f"{cell.org}'s return")
    )
    return f"{cell.measure} ({where}) in {whose}"


def unlinked(received: Sequence[Received], earlier: Sequence[Earlier]) -> list[str]:
    """Why each earlier collation that cannot be linked is not (a sentence each)."""
    held = {item.sha256 for item in received}
    return [
        f"{before.name}: it added {len(before.bundles - held)} bundle(s) this collation does "
        "not hold (another provider, or an earlier version of an amended return), so it could "
        "not be audited with this one, and one less the other may give a provider's figure "
        "away; collate every bundle it added, or do not publish both"
        for before in earlier
        if not before.bundles <= held
    ]


def earlier_from_json(data: Any, name: str) -> Earlier:
    """An earlier collation from the JSON `collate --json` wrote; `UsageError` naming the
    file when it is not one."""
    from peerreport.errors import UsageError

    try:
        bundles = frozenset(
            str(p["sha256"])
            for p in data["providers"]
            if p.get("file") is not None and p.get("status") in ("received", "late")
        )
        cells = tuple(
            (str(f["id"]), tuple(c["key"]), str(c["status"]), c["value"])
            for f in data["figures"]
            for c in (f["total"], *f["cells"])
        )
    except (KeyError, TypeError, AttributeError):
        raise UsageError(
            f"{name}: not a collation written by `peerreport collate --json` (one made before "
            "collations listed each bundle's sha256 cannot be used: collate it again)"
        ) from None
    return Earlier(name, bundles, cells)


__all__ = [
    "EARLIER",
    "HIDDEN_REASON",
    "Earlier",
    "LinkedAudit",
    "audit_collation",
    "earlier_from_json",
    "unlinked",
]
