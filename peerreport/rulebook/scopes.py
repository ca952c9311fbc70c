"""The scopes expressions are checked against: a record source's fields, or the measures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from peerreport.language import Binding, Define, Scope, Type
from peerreport.rulebook.model import Grouping
from peerreport.rulebook.sources import AVERAGE, sources


def source_scope(
    source: str,
    groupings: Mapping[str, Grouping],
    apportioned: bool = False,
    defines: Mapping[str, Define] | None = None,
) -> Scope:
    """The fields of `source`, plus the groupings of its fields (and the rule file's defines).

    `apportioned`: the scope of a `sum`, where fields of period entries are their
    part of the period, so averaged counts of people are real numbers.
    """
    src = sources()[source]
    bindings = list(src.fields)
    if apportioned:
        bindings = [
            replace(b, type=Type.REAL) if src.apportioned.get(b.name) == AVERAGE else b
            for b in bindings
        ]
    for name, grouping in groupings.items():
        if src.binding(grouping.field) is None or src.binding(name) is not None:
            continue
        codes = [*grouping.map, *([grouping.other] if grouping.other else [])]
        bindings.append(
            Binding(
                name,
                Type.TEXT,
                "grouping",
                grouping.label or f"grouping of {grouping.field}",
                name,
                tuple(dict.fromkeys(codes)),
            )
        )
    return Scope.of(f"fields of source '{source}'", bindings, defines)


def measure_scope(types: Mapping[str, Type], defines: Mapping[str, Define] | None = None) -> Scope:
    """The measures, by id, with the types of their values (and the rule file's defines)."""
    return Scope.of(
        "measures of this rule file",
        [Binding(name, t, "measure") for name, t in types.items()],
        defines,
    )
