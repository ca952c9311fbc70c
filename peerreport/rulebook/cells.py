"""The categories of a breakdown: which codes each `by` field can take.

A breakdown's cells are every combination of its `by` fields' codes, in the
vocabulary's documented order, plus `None` ("not recorded") for a field that
may be empty. The same list sizes the privacy lint and fills in zero cells.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from peerreport.records.models import CATEGORY_FIELDS
from peerreport.records.vocabulary import vocabulary
from peerreport.rulebook.model import Grouping, Measure, RuleFileModel
from peerreport.rulebook.sources import DIMENSIONS, sources

if TYPE_CHECKING:
    from peerreport.language.ast import Node


def expanded(text: str, defines: Mapping[str, str]) -> Node:
    """An expression's syntax tree with the rule file's defines written out (no type check).

    Raises `ExpressionError` when the text (or a define it uses) does not parse.
    """
    from peerreport.language import Define, ExpressionError, ast, expand, parse

    tree = parse(text)
    if not {n.name for n in ast.names(tree)} & set(defines):
        return tree
    parsed: dict[str, Define] = {}
    for name, body in defines.items():
        try:
            parsed[name] = Define(name, body, parse(body))
        except ExpressionError:
            continue  # reported by the analysis
    return expand(tree, parsed, text)


def field_codes(groupings: dict[str, Grouping], source: str, field: str) -> list[str | None] | None:
    """The codes `field` can take in `source` (None last if it may be empty), or None if open."""
    grouping = groupings.get(field)
    if grouping is not None:
        codes: list[str | None] = list(grouping.map)
        if grouping.other is not None and grouping.other not in codes:
            codes.append(grouping.other)
        underlying = field_codes({}, source, grouping.field)
        if underlying is None or None in underlying:
            # A grouping of a time of day (bands) has no codes below it: start_time may
            # be empty, so it has the "not recorded" cell too.
            codes.append(None)
        return codes
    src = sources().get(source)
    binding = src.binding(field) if src else None
    if src is None or binding is None or binding.codes is None:
        return None
    result: list[str | None] = list(binding.codes)
    if field in src.nullable:
        result.append(None)
    return result


def cell_count(model: RuleFileModel, measure: Measure) -> int | None:
    """How many cells a measure's breakdown has, or None if a field is not a vocabulary."""
    source = measure.record_source
    if source is None or not measure.by:
        return None
    total = 1
    for field in measure.by:
        codes = measure_codes(model, measure, field)
        if codes is None:
            return None
        total *= len(codes)
    return total


def pinned_dimension(
    measure: Measure, defines: Mapping[str, str] | None = None, field: str = "dimension"
) -> str | None:
    """The breakdown dimension a measure's `where` fixes (a conjunct `field` = '...', where
    `field` is `dimension` or, for a cross-tabulation's second one, `dimension2`), if any.

    `defines`: the rule file's `[define]`, written out in the `where` first.
    """
    from peerreport.language import ExpressionError, ast

    if not measure.where:
        return None
    try:
        tree = expanded(measure.where, defines or {})
    except ExpressionError:
        return None
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Logical) and node.op == "and":
            stack += [node.left, node.right]
        elif (
            isinstance(node, ast.Comparison)
            and node.op == "="
            and isinstance(node.left, ast.Name)
            and node.left.name == field
            and isinstance(node.right, ast.Literal)
            and node.right.value in DIMENSIONS
        ):
            return str(node.right.value)
    return None


def measure_codes(model: RuleFileModel, measure: Measure, field: str) -> list[str | None] | None:
    """The codes of one `by` field of a measure; `category` (`category2`) narrowed to the
    dimension its `where` pins `dimension` (`dimension2`) to."""
    source = measure.record_source
    if source is None:
        return None
    grouping = model.grouping.get(field)
    underlying = grouping.field if grouping is not None else field
    pinned_by = CATEGORY_FIELDS.get(underlying)
    dimension = pinned_dimension(measure, model.define, pinned_by) if pinned_by else None
    if dimension is not None and grouping is None:
        return list(vocabulary(dimension).codes)
    codes = field_codes(model.grouping, source, field)
    if dimension is not None and grouping is not None and grouping.other is not None and codes:
        # A grouping's `other` category can only hold codes of the pinned dimension that the
        # map leaves out; when it maps them all, `other` is unreachable and not a cell.
        mapped = {code for members in grouping.map.values() for code in members}
        if set(vocabulary(dimension).codes) <= mapped and grouping.other not in grouping.map:
            codes = [c for c in codes if c != grouping.other]
    return codes
