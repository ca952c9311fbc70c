"""Disclosure lint: warnings about a rule file that would let small counts out.

Warnings, not errors: the file still loads and builds. Three kinds:

- `RUL-050` the policy publishes small counts: `method = "none"`, a
  suppression threshold below the funder's `[release] minimum_threshold`, or
  `secondary = false` (a hidden cell is then its total minus the rest);
- `RUL-051` a return or consistency check whose verdict would narrow a figure
  the return may hide: checks run on the true values, so whether the finding
  is there says which side of its condition the figure lies (a failing
  `groups >= 3` beside a hidden `groups` says it is 1 or 2). The lint tries
  the values a hidden figure can take below the threshold against sample
  values of the check's other figures. What a message prints is not warned
  about: the engine fills it from the released values;
- `RUL-052` two measures publish overlapping tables that the engine does not
  protect together: the same canonical definition (kind, source, what is
  counted, the same conditions), or one measure's table inside another's (its
  conditions are the other's plus conditions on fields the other is broken
  down by, so its figures are sums of the other's cells), or a measure that is
  the sum of others. Within one file, and across files that share a base
  (`overlapping_between`). Not warned: counts and whole-number sums under
  `suppress` with secondary suppression, which the whole-release audit links
  and protects together (`_linked`); the same table under one rounding method,
  which is rounded once.

Canonical definitions compare expression trees, not text: `kind = 'group'`
and `'group' = kind` are the same condition; conditions joined by `and` are a
set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations, product
from typing import Any

from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.language.ast import Comparison, InList, Literal, Logical, Name, Node
from peerreport.language.evaluate import evaluate
from peerreport.language.types import Type
from peerreport.rulebook.compiled import CompiledCheck, CompiledMeasure, RuleFile

PROTECTED_KINDS = ("count", "sum", "distinct")


def disclosure_lint(rule_file: RuleFile) -> list[Finding]:
    """Every disclosure warning of one resolved rule file."""
    return [
        *_policy(rule_file),
        *_verdicts(rule_file),
        *_overlaps(rule_file, rule_file, same_file=True),
    ]


def overlapping_between(rule_files: Sequence[RuleFile]) -> list[Finding]:
    """`RUL-052` for measures of different files that share a base (an id in both lineages)."""
    found: list[Finding] = []
    for first, second in combinations(rule_files, 2):
        if first.id == second.id or not set(first.lineage) & set(second.lineage):
            continue
        found += _overlaps(first, second, same_file=False)
    return found


def _where(rule_file: RuleFile) -> Location:
    return Location(file=str(rule_file.path), key="disclosure")


def _policy(rule_file: RuleFile) -> Iterator[Finding]:
    policy = rule_file.disclosure
    release = rule_file.model.release
    public = release.public if release is not None else "anyone"
    readers = "to anyone" if public == "anyone" else "to the funder's staff"
    hint = None  # the catalogue's fix says what to do
    if policy.method == "none":
        yield finding(
            "RUL-050",
            f"[disclosure] method = 'none' publishes every count as computed, small ones too, "
            f"{readers}",
            hint,
            _where(rule_file),
        )
        return
    minimum = release.minimum_threshold if release is not None else None
    if policy.method == "suppress" and minimum is not None and policy.threshold < minimum:
        yield finding(
            "RUL-050",
            f"[disclosure] threshold = {policy.threshold} publishes counts the funder's minimum "
            f"({minimum}, [release] minimum_threshold) would hide",
            hint,
            _where(rule_file),
        )
    if policy.method == "suppress" and not policy.secondary:
        yield finding(
            "RUL-050",
            "[disclosure] secondary = false: a hidden cell can be worked out as its total minus "
            "the published cells",
            hint,
            _where(rule_file),
        )


def _linked(compiled: CompiledMeasure) -> bool:
    """Whether the whole-release audit links this measure's cells (`atoms.Plans.measure`).

    Counts and whole-number sums over the linear sources, not apportioned; not
    distinct counts, min, max, derived figures or decimal sums.
    """
    from peerreport.compute.scans import apportions  # here: an import cycle otherwise
    from peerreport.disclosure.atoms import LINEAR_SOURCES

    kind = compiled.measure.kind
    source = compiled.measure.record_source
    if kind not in ("count", "sum") or compiled.counts_tokens or source not in LINEAR_SOURCES:
        return False
    return kind == "count" or (compiled.type is Type.INTEGER and not apportions(compiled, source))


def _audited(rule_file: RuleFile) -> bool:
    """Whether the policy lets the whole-release audit protect overlaps: suppress, secondary on."""
    policy = rule_file.disclosure
    return policy.method == "suppress" and policy.secondary


# -- RUL-051: a check's verdict --------------------------------------------------------------
#
# A check's message is filled from released values, so what it prints gives nothing away.
# Its verdict does: checks run on the true values, and whether the finding is there at all
# says which side of its condition a figure lies. The lint tries every value a hidden figure
# can take below the threshold (a small count: 1 to threshold - 1 when zeros are shown, else
# from 0; a decimal sum in its smallest unit; a min or max: anything), against sample values
# of the other figures, and warns when the released finding would tell some of them apart.


def _unit(compiled: CompiledMeasure) -> float:
    if compiled.type is Type.INTEGER:
        return 1
    places = compiled.measure.round
    return 10.0 ** -(places if places is not None else 2)


def _hidden_values(rule_file: RuleFile, compiled: CompiledMeasure) -> list[float]:
    """The values a hidden figure can take that the check must not tell apart."""
    policy = rule_file.disclosure
    threshold = policy.threshold
    if compiled.measure.kind in ("min", "max"):
        return _anything(threshold)  # one record's own value
    unit = _unit(compiled)
    least = 1 if policy.method == "suppress" and policy.zero_exempt else 0
    return [k * unit for k in range(least, threshold)]


def _anything(threshold: int) -> list[float]:
    return [*range(-1, 2 * threshold + 1), 10 * threshold, 100 * threshold]


def _samples(rule_file: RuleFile, compiled: CompiledMeasure) -> list[float]:
    """Values another figure of the check is tried at."""
    unit = _unit(compiled)
    threshold = rule_file.disclosure.threshold
    if compiled.measure.kind in ("min", "max"):
        return _anything(threshold)
    small = [k * unit for k in range(threshold + 1)]
    return sorted(set(small) | {v for v in _anything(threshold) if v >= 0})  # never negative


def _base_figures(rule_file: RuleFile, names: Sequence[str]) -> list[str]:
    """The aggregate measures behind `names`, derived figures followed to their inputs."""
    found: list[str] = []
    todo = list(names)
    while todo:
        name = todo.pop()
        compiled = rule_file.measures.get(name)
        if compiled is None or name in found:
            continue
        if compiled.measure.kind == "expr":
            todo += compiled.argument.names() if compiled.argument is not None else []
        else:
            found.append(name)
    return sorted(found)


def _at_most(rule_file: RuleFile, names: Sequence[str]) -> list[tuple[str, str]]:
    """Pairs (a, b) where a count's records are among b's, so a <= b whatever the records."""
    pairs = []
    for a, b in combinations(names, 2):
        for small, large in ((a, b), (b, a)):
            ds = _definition(rule_file.measures[small])
            dl = _definition(rule_file.measures[large])
            if (
                ds is not None
                and dl is not None
                and ds.base[0] in ("count", "distinct")
                and ds.base == dl.base
                and dl.conditions <= ds.conditions
            ):
                pairs.append((small, large))
    return pairs


def _values(rule_file: RuleFile, base: dict[str, float]) -> dict[str, Any]:
    values: dict[str, Any] = dict(base)
    for ident in rule_file.derived_order:
        argument = rule_file.measures[ident].argument
        if argument is not None and all(n in values for n in argument.names()):
            values[ident] = evaluate(argument.tree, values)
    return values


def _narrowed(
    rule_file: RuleFile, names: Sequence[str], released: Callable[[dict[str, Any]], bool]
) -> list[str]:
    """The figures among `names` whose hidden values `released` (a finding) tells apart."""
    figures = _base_figures(rule_file, names)
    constraints = _at_most(rule_file, figures)
    narrowed = []
    for figure in figures:
        others = [f for f in figures if f != figure]
        hidden = _hidden_values(rule_file, rule_file.measures[figure])
        tried = [_samples(rule_file, rule_file.measures[o]) for o in others]
        for combination in product(*tried):
            seen = set()
            for value in hidden:
                base = dict(zip(others, combination, strict=True)) | {figure: value}
                if any(base[a] > base[b] for a, b in constraints):
                    continue
                seen.add(released(_values(rule_file, base)))
            if len(seen) > 1:
                narrowed.append(figure)
                break
    return narrowed


def _return_check(rule_file: RuleFile, compiled: CompiledCheck) -> list[str]:
    where, assertion = compiled.where, compiled.assertion
    if assertion is None:
        return []
    names = [*assertion.names(), *(where.names() if where is not None else [])]

    def released(values: dict[str, Any]) -> bool:
        applies = where is None or evaluate(where.tree, values) is True
        return applies and evaluate(assertion.tree, values) is False

    return _narrowed(rule_file, names, released)


def _consistency_check(rule_file: RuleFile, compiled: CompiledCheck) -> list[str]:
    check = compiled.check
    total = check.total or ""
    if total not in rule_file.measures or any(p not in rule_file.measures for p in check.parts):
        return []  # RUL-033 reports it
    if _always_equal(rule_file, total, check.parts) or _known_from_atoms(rule_file, compiled):
        return []

    def released(values: dict[str, Any]) -> bool:
        numbers = [values.get(n) for n in (total, *check.parts)]
        first, *rest = [n for n in numbers if isinstance(n, int | float)]
        if len(rest) < len(check.parts):
            return False
        return bool(abs(first - sum(rest)) > check.tolerance + 1e-9)

    return _narrowed(rule_file, [total, *check.parts], released)


def _always_equal(rule_file: RuleFile, total: str, parts: Sequence[str]) -> bool:
    """One part that counts what the total counts, broken down: the two are always equal."""
    if len(parts) != 1:
        return False
    whole = _definition(rule_file.measures[total])
    part = _definition(rule_file.measures[parts[0]])
    return (
        whole is not None
        and part is not None
        and whole.base == part.base
        and whole.conditions == part.conditions
    )


def _known_from_atoms(rule_file: RuleFile, compiled: CompiledCheck) -> bool:
    """Counts the audit links, each part's records among the total's and no record in two parts.

    The difference is then the number of the total's records in no part: the audit's
    attacker already knows whether such records exist (they know which combinations of
    conditions occur), so whether the check fails tells them nothing more.
    """
    check = compiled.check
    if not _audited(rule_file) or check.tolerance != 0:
        return False
    names = [check.total or "", *check.parts]
    measures = [rule_file.measures[n] for n in names]
    if any(m.measure.kind != "count" or not _linked(m) for m in measures):
        return False
    whole, *parts = [_definition(m) for m in measures]
    if whole is None or any(p is None or not _among(p, whole) for p in parts):
        return False
    return all(_disjoint(a, b) for a, b in combinations([p for p in parts if p is not None], 2))


def _among(small: _Definition, large: _Definition) -> bool:
    return small.base == large.base and large.conditions <= small.conditions


def _disjoint(a: _Definition, b: _Definition) -> bool:
    """Two conditions pick different categories of one field: no record satisfies both."""
    for ca in a.conditions:
        for cb in b.conditions:
            field = _restricted_field(ca)
            if field is not None and field == _restricted_field(cb) and not _codes(ca) & _codes(cb):
                return True
    return False


def _verdicts(rule_file: RuleFile) -> Iterator[Finding]:
    policy = rule_file.disclosure
    if policy.method == "none":
        return  # everything is published anyway: RUL-050 says so
    for ident, compiled in rule_file.checks.items():
        check = compiled.check
        if not check.enabled or check.kind in ("record", "history"):
            continue  # a history check compares released values only (returns/history_checks)
        if check.kind == "return":
            narrowed = _return_check(rule_file, compiled)
        else:
            narrowed = _consistency_check(rule_file, compiled)
        if narrowed:
            shown = ", ".join(f"'{n}'" for n in narrowed)
            which = "assert and where" if check.kind == "return" else "total and parts"
            yield finding(
                "RUL-051",
                f"check '{ident}': whether its finding is released depends on where {shown} "
                f"lies below the threshold ({policy.threshold}): its {which} would tell the "
                "funder something about a hidden figure",
                None,
                Location(file=str(rule_file.path), key=f"check '{ident}'"),
            )


@dataclass(frozen=True)
class _Definition:
    """What a measure counts, as a comparable value: its base and its conditions."""

    base: tuple[object, ...]  # kind, source, the counted expression
    conditions: frozenset[Node]
    by: tuple[str, ...]


def _conjuncts(node: Node | None) -> frozenset[Node]:
    if node is None:
        return frozenset()
    if isinstance(node, Logical) and node.op == "and":
        return _conjuncts(node.left) | _conjuncts(node.right)
    return frozenset([_normal(node)])


def _normal(node: Node) -> Node:
    """`'x' = field` as `field = 'x'`, so both spellings compare equal."""
    if (
        isinstance(node, Comparison)
        and node.op == "="
        and isinstance(node.right, Name)
        and isinstance(node.left, Literal)
    ):
        return Comparison(op="=", left=node.right, right=node.left, type=node.type)
    return node


def _restricted_field(node: Node) -> str | None:
    """The field a condition picks categories of (`f = 'x'`, `f in ('x', 'y')`), else None."""
    if isinstance(node, Comparison) and node.op == "=" and isinstance(node.left, Name):
        return node.left.name if isinstance(node.right, Literal) else None
    if (
        isinstance(node, InList)
        and not node.negated
        and isinstance(node.operand, Name)
        and all(isinstance(item, Literal) for item in node.items)
    ):
        return node.operand.name
    return None


def _codes(node: Node) -> frozenset[object]:
    if isinstance(node, Comparison) and isinstance(node.right, Literal):
        return frozenset([node.right.value])
    if isinstance(node, InList):
        return frozenset(item.value for item in node.items if isinstance(item, Literal))
    return frozenset()


def _definition(compiled: CompiledMeasure) -> _Definition | None:
    measure = compiled.measure
    if measure.kind not in PROTECTED_KINDS:
        return None
    counted = compiled.argument.tree if compiled.argument is not None else None
    where = compiled.where.tree if compiled.where is not None else None
    base = (measure.kind, measure.record_source, counted)
    return _Definition(base, _conjuncts(where), tuple(measure.by))


def _inside(small: _Definition, large: _Definition) -> bool:
    """Whether every figure of `small` is a sum of `large`'s cells (or its total)."""
    if small.base != large.base or not large.conditions <= small.conditions:
        return False
    extra = small.conditions - large.conditions
    return all(_restricted_field(c) in large.by for c in extra)


def _sum_of_others(total: _Definition, parts: list[tuple[str, _Definition]]) -> list[str] | None:
    """Measures whose tables add up to `total`'s: one condition `f = code` each, covering it."""
    chosen: list[str] = []
    covered: set[object] = set()
    for condition in total.conditions:
        field = _restricted_field(condition)
        if field is None:
            continue
        rest = total.conditions - {condition}
        wanted = _codes(condition)
        chosen, covered = [], set()
        for ident, part in parts:
            if part.base != total.base or part.by != total.by or not rest <= part.conditions:
                continue
            extra = part.conditions - rest
            if len(extra) == 1:
                (only,) = extra
                if _restricted_field(only) == field and _codes(only) <= wanted:
                    chosen.append(ident)
                    covered |= _codes(only)
        if len(chosen) >= 2 and covered == wanted:
            return chosen
    return None


def _protected_together(first: RuleFile, a: str, second: RuleFile, b: str) -> bool:
    """Whether the engine already protects measure `a` of `first` and `b` of `second` together.

    The whole-release audit links every cell of counts and whole-number sums and hides
    more until no hidden cell can be narrowed, under `suppress` with secondary
    suppression on; rounding rounds the same cell of the same count once.
    """
    ma, mb = first.measures[a], second.measures[b]
    if _audited(first) and _audited(second) and _linked(ma) and _linked(mb):
        return True
    rounding = {first.disclosure.method, second.disclosure.method} <= {"rr3", "graduated"}
    same = _definition(ma) == _definition(mb)  # the same count, broken down the same way
    return rounding and first.disclosure.method == second.disclosure.method and same


def _overlaps(first: RuleFile, second: RuleFile, *, same_file: bool) -> Iterator[Finding]:
    left = {i: d for i, m in first.measures.items() if (d := _definition(m)) is not None}
    right = {i: d for i, m in second.measures.items() if (d := _definition(m)) is not None}
    where = "" if same_file else f" ({first.id} and {second.id}, which share a base)"
    reported: set[frozenset[str]] = set()
    for a, da in left.items():
        for b, db in right.items():
            pair = frozenset([f"{first.id}:{a}", f"{second.id}:{b}"])
            if (same_file and a == b) or pair in reported:
                continue
            if not same_file and ((a == b and da == db) or left.get(b) == db or right.get(a) == da):
                # The same measure in both (inherited): the same table, protected the same
                # way; or a pair that one file publishes itself, which its own lint reports.
                continue
            if _protected_together(first, a, second, b):
                continue
            if da.base == db.base and da.conditions == db.conditions:
                what = "the same count" + ("" if da.by == db.by else " broken down differently")
            elif _inside(da, db):
                what = f"tables that overlap: every figure of '{a}' is a sum of cells of '{b}'"
            elif _inside(db, da):
                what = f"tables that overlap: every figure of '{b}' is a sum of cells of '{a}'"
            else:
                continue
            reported.add(pair)
            yield finding(
                "RUL-052",
                f"measures '{a}' and '{b}' publish {what}{where}: differences between them can "
                "reveal hidden cells",
                None,
                Location(file=str(second.path), key=f"measure '{b}'"),
            )
    if same_file:
        for ident, total in left.items():
            parts = [(i, d) for i, d in left.items() if i != ident]
            found = _sum_of_others(total, parts)
            if found and not all(_protected_together(first, ident, first, part) for part in found):
                yield finding(
                    "RUL-052",
                    f"measure '{ident}' is the sum of measures {', '.join(repr(f) for f in found)}:"
                    " publishing all of them gives any hidden one away by subtraction",
                    None,
                    Location(file=str(first.path), key=f"measure '{ident}'"),
                )
