"""What a measure counts, written canonically: the key of consistent perturbation.

Two measures that count the same records the same way have the same
canonical definition, whatever their ids, labels, units, line codes or rule
files, and however their expressions are spaced, parenthesised or ordered
(`a and b` is `b and a`; `x in ('p', 'q')` is `x in ('q', 'p')`). Random
rounding is seeded from this definition, the breakdown key, the period's
dates and the organisation (`peerreport.returns.release`), so the same count
gets the same rounded value everywhere it is released; the whole-release
audit can use it to recognise one count released twice.

The definition is JSON: the aggregate (count, sum, distinct, min, max), the
record source, the argument's and the `where` condition's typed syntax trees
(spans left out) and, for every grouping an expression uses, the grouping
itself (its field, map and `other`), not its name. The breakdown is keyed
separately (`breakdown_key`), so a total is the same count however the
measure is broken down. A derived measure (`expr`) has its measure names replaced by their
definitions when the rule file is given.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from peerreport.language.ast import InList, Logical, Name, Node
from peerreport.rulebook.compiled import CompiledCheck, CompiledMeasure, RuleFile
from peerreport.rulebook.model import Grouping


def canonical_definition(measure: CompiledMeasure, rule_file: RuleFile | None = None) -> str:
    """The canonical JSON text of what `measure` counts (see the module docstring).

    The breakdown is not part of it: a measure's total counts the same records
    whatever it is broken down by (`breakdown_key` names a cell). Without
    `rule_file`, groupings and the measures a derived figure uses are named
    rather than spelled out, which is only canonical within one file.
    """
    return _json(_definition(measure, rule_file, ()))


def records_definition(source: str) -> str:
    """The definition of "every record of `source`": a `count` measure with no `where`."""
    return _json({"aggregate": "count", "source": source, "argument": None, "where": None})


def breakdown_key(
    measure: CompiledMeasure, key: tuple[str | None, ...], rule_file: RuleFile | None = None
) -> str:
    """A breakdown cell as canonical JSON: (field or grouping, code) pairs, sorted.

    Margin positions (`"*"`) are left out, so the row margin `("maori", "*")`
    of a two-way table is the same cell as `("maori",)` of a one-way table by
    the same field, and `()` (the grand total) is `[]`.
    """
    groupings: Mapping[str, Grouping] = rule_file.model.grouping if rule_file else {}
    pairs = [
        [_grouping(groupings[f]) if f in groupings else f, code]
        for f, code in zip(measure.measure.by, key, strict=False)
        if code != "*"
    ]
    return _json(sorted(pairs, key=_json))


def check_definition(check: CompiledCheck, rule_file: RuleFile | None = None) -> str:
    """The canonical JSON text of the records a record check counts as failing."""
    groupings: Mapping[str, Grouping] = rule_file.model.grouping if rule_file else {}

    def expand(name: str) -> Any:
        return _grouping(groupings[name]) if name in groupings else name

    return _json(
        {
            "aggregate": "failing",
            "source": check.check.source,
            "where": None if check.where is None else _tree(check.where.tree, expand),
            "assert": None if check.assertion is None else _tree(check.assertion.tree, expand),
        }
    )


def _json(data: Any) -> str:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_literal
    )


def _literal(value: Any) -> str:
    """A date or time literal of an expression, as text (its type is in the node)."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} in a definition")


def _definition(
    measure: CompiledMeasure, rule_file: RuleFile | None, seen: tuple[str, ...]
) -> dict[str, Any]:
    m = measure.measure
    groupings: Mapping[str, Grouping] = rule_file.model.grouping if rule_file else {}
    measures = rule_file.measures if rule_file and m.kind == "expr" else {}

    def expand(name: str) -> Any:
        if name in groupings:
            return _grouping(groupings[name])
        if name in measures and name not in seen:
            return _definition(measures[name], rule_file, (*seen, m.id))
        return name

    return {
        "aggregate": "distinct_tokens" if measure.counts_tokens else m.kind,
        "source": m.record_source,
        "argument": None if measure.argument is None else _tree(measure.argument.tree, expand),
        "where": None if measure.where is None else _tree(measure.where.tree, expand),
    }


def _grouping(grouping: Grouping) -> dict[str, Any]:
    return {
        "field": grouping.field,
        "map": {k: sorted(v) for k, v in sorted(grouping.map.items())},
        "other": grouping.other,
    }


def _tree(node: Node, expand: Any) -> Any:
    """A node as plain data: its class and compared fields, without spans; and/or and
    `in` lists sorted, since their order does not change the result."""
    if isinstance(node, Name):
        return {"name": expand(node.name)}
    if isinstance(node, Logical):
        operands = sorted((_tree(n, expand) for n in _chain(node, node.op)), key=_json)
        return {"node": "Logical", "op": node.op, "operands": operands}
    data: dict[str, Any] = {"node": type(node).__name__}
    for f in dataclasses.fields(node):
        if not f.compare or f.name == "span":
            continue
        data[f.name] = _plain(getattr(node, f.name), expand)
    if isinstance(node, InList):
        data["items"] = sorted(data["items"], key=_json)
    return data


def _chain(node: Node, op: str) -> list[Node]:
    if isinstance(node, Logical) and node.op == op:
        return [*_chain(node.left, op), *_chain(node.right, op)]
    return [node]


def _plain(value: Any, expand: Any) -> Any:
    if isinstance(value, Node):
        return _tree(value, expand)
    if isinstance(value, tuple):
        return [_plain(v, expand) for v in value]
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, float) and value.is_integer():
        return {"number": int(value)}
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"number": value}
    if hasattr(value, "value") and not isinstance(value, str | bool):  # enums (types)
        return str(value.value)
    return value
