"""Disclosure lint: warnings about a rule file that would let small counts out.

Warnings, not errors: the file still loads and builds. Three kinds:

- `RUL-050` the policy publishes small counts: `method = "none"`, a
  suppression threshold below the funder's `[release] minimum_threshold`, or
  `secondary = false` (a hidden cell is then its total minus the rest);
- `RUL-051` a check's message or hint prints a protected figure
  (`{measure}` of a count, sum, distinct count or a figure derived from
  them; `{total}`, `{parts}`, `{difference}` of a consistency check): the
  message would show the value beside its hidden cell;
- `RUL-052` two measures publish overlapping tables: the same canonical
  definition (kind, source, what is counted, the same conditions), or one
  measure's table inside another's (its conditions are the other's plus
  conditions on fields the other is broken down by, so its figures are sums
  of the other's cells), or a measure that is the sum of others. Within one
  file, and across files that share a base (`overlapping_between`).

Canonical definitions compare expression trees, not text: `kind = 'group'`
and `'group' = kind` are the same condition; conditions joined by `and` are a
set.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.language.ast import Comparison, InList, Literal, Logical, Name, Node
from peerreport.rulebook.compiled import CompiledMeasure, RuleFile
from peerreport.rulebook.template import placeholders

PROTECTED_KINDS = ("count", "sum", "distinct")


def disclosure_lint(rule_file: RuleFile) -> list[Finding]:
    """Every disclosure warning of one resolved rule file."""
    return [
        *_policy(rule_file),
        *_messages(rule_file),
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


def _protected_figures(rule_file: RuleFile) -> set[str]:
    """Measures whose values disclosure control may hide: counts, and figures derived from them."""
    hidden = {i for i, m in rule_file.measures.items() if m.measure.kind in PROTECTED_KINDS}
    for ident in rule_file.derived_order:
        argument = rule_file.measures[ident].argument
        if argument is not None and set(argument.names()) & hidden:
            hidden.add(ident)
    return hidden


def _messages(rule_file: RuleFile) -> Iterator[Finding]:
    if rule_file.disclosure.method == "none":
        return  # everything is published anyway: RUL-050 says so
    protected = _protected_figures(rule_file)
    for ident, compiled in rule_file.checks.items():
        check = compiled.check
        if not check.enabled:
            continue
        own = {"total", "parts", "difference"} if check.kind == "consistency" else set()
        for attr in ("message", "hint"):
            try:
                names = placeholders(getattr(check, attr))
            except ValueError:
                continue  # RUL-034 reports it
            printed = sorted({n for n in names if n in protected or n in own})
            if printed:
                shown = ", ".join("{" + n + "}" for n in printed)
                yield finding(
                    "RUL-051",
                    f"check '{ident}': {attr} prints {shown}, which the return may hide: "
                    "beside a hidden cell the message would give the figure away",
                    None,
                    Location(file=str(rule_file.path), key=f"check '{ident}'.{attr}"),
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
            if found:
                yield finding(
                    "RUL-052",
                    f"measure '{ident}' is the sum of measures {', '.join(repr(f) for f in found)}:"
                    " publishing all of them gives any hidden one away by subtraction",
                    None,
                    Location(file=str(first.path), key=f"measure '{ident}'"),
                )
