"""Named expressions (a rule file's `[define]`): written once, used by name.

A define stands for its expression *as if it were written inline in brackets*
where its name is used: the type checker checks the define's tree in the scope
of the expression that uses it (so `fte` may be a number over workforce
entries and unknown over activities), and the checked tree replaces the name.
The SQL compiler and the Python evaluator therefore never see a define: they
get the same tree the inline formula would have given.

`expand` does the same substitution without type checks, for the rule-file
steps that read an expression's shape before checking it (dependency order,
the privacy lint).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from peerreport.language.ast import Arithmetic, Literal, Name, Negate, Node, Span, names
from peerreport.language.errors import ExpressionError
from peerreport.language.parser import parse

#: Defines used inside defines, at most this deep (a -> b -> c ... ).
MAX_NESTING = 8
#: Parts (nodes) an expression may have once its defines are written out: a define used
#: twice in a define used twice ... doubles each time.
MAX_EXPANDED = 5_000


@dataclass(frozen=True)
class Define:
    """A named expression: its name, its text and its parsed (unchecked) tree."""

    name: str
    text: str
    tree: Node


def expand(node: Node, defines: Mapping[str, Define], text: str = "") -> Node:
    """`node` (parsed from `text`) with every define name replaced by the define's tree.

    A name that would repeat a define being expanded (a cycle) is left as a
    name: the type checker and the rule-file analysis report the cycle.
    Raises `ExpressionError` (code `limit`) past `MAX_NESTING` or `MAX_EXPANDED`.
    """
    budget = [0]

    def walk(node: Node, active: tuple[str, ...]) -> Node:
        budget[0] += 1
        if budget[0] > MAX_EXPANDED:
            raise ExpressionError(
                f"with its defines written out, the expression has more than {MAX_EXPANDED:,} "
                "parts (a define used several times inside a define used several times ...)",
                text,
                Span(),
                code="limit",
            )
        if isinstance(node, Name):
            define = defines.get(node.name)
            if define is None or node.name in active:
                return node
            if len(active) >= MAX_NESTING:
                chain = " -> ".join([*active, node.name])
                raise ExpressionError(
                    f"defines are used inside defines more than {MAX_NESTING} deep: {chain}",
                    text,
                    Span(),
                    code="limit",
                )
            return replace(walk(define.tree, (*active, node.name)), span=node.span)
        changes: dict[str, Any] = {}
        for f in fields(node):
            value = getattr(node, f.name)
            if isinstance(value, Node):
                changes[f.name] = walk(value, active)
            elif isinstance(value, tuple) and value and all(isinstance(v, Node) for v in value):
                changes[f.name] = tuple(walk(v, active) for v in value)
        result = replace(node, **changes) if changes else node
        if isinstance(result, Negate) and isinstance(result.operand, Literal):
            # Written out in brackets, `-(d)` with d = '3' is `-(3)`, which the parser makes
            # the literal -3: fold it the same way, so the tree is the inline one.
            value = result.operand.value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return Literal(-value, span=result.span)
        return result

    return walk(node, ())


def depth_problem(node: Node, max_depth: int, max_arithmetic: int) -> str | None:
    """Why an expanded tree is nested too deeply for the databases, or None.

    The parser limits each text; a define written out inside another
    expression nests deeper than either text, so the written-out tree is
    checked against the same limits.
    """
    stack: list[tuple[Node, int, int]] = [(node, 0, 0)]
    while stack:
        item, depth, arithmetic = stack.pop()
        if isinstance(item, Name | Literal):
            continue
        depth += 1
        if isinstance(item, Arithmetic | Negate):
            arithmetic += 1
        if arithmetic > max_arithmetic:
            return (
                f"with its defines written out, the expression has more than {max_arithmetic} "
                "arithmetic operators (+ - * /) nested inside one another"
            )
        if depth > max_depth:
            return (
                f"with its defines written out, the expression has more than {max_depth} "
                "operators nested inside one another"
            )
        stack += [(child, depth, arithmetic) for child in item.children()]
    return None


def cycle(defines: Mapping[str, Define], start: str) -> list[str] | None:
    """The chain of defines from `start` back to itself (`['a', 'b', 'a']`), or None."""

    def visit(name: str, chain: list[str]) -> list[str] | None:
        define = defines.get(name)
        if define is None:
            return None
        for used in dict.fromkeys(n.name for n in names(define.tree)):
            if used == start:
                return [*chain, name, start]
            if used in defines and used not in chain and used != name:
                found = visit(used, [*chain, name])
                if found:
                    return found
        return None

    return visit(start, [])


def write_out(text: str, defines: Mapping[str, Define]) -> str:
    """`text` with every define it uses replaced by the define's own text, written out.

    This is the text a funder would have written without `[define]`: the
    define's text (its own defines written out first) goes where its name
    was, in brackets only where the result would otherwise parse to another
    tree (`x * d` with d = 'a + b' is `x * (a + b)`; `d and y` with d = 'a = 1'
    is `a = 1 and y`). Each step is checked against `expand`, so the text
    always parses to the tree the compiler sees. A text that does not parse,
    or uses no define, is returned as it is; a cycle's name is left as a name.
    """

    def out(text: str, active: tuple[str, ...]) -> str:
        try:
            tree = parse(text)
            target = expand(tree, defines, text)
        except ExpressionError:
            return text
        used = [
            n
            for n in names(tree)
            if n.name in defines and n.name not in active and len(active) < MAX_NESTING
        ]
        starts = _line_starts(text)
        # Right to left, so the offsets of the names still to replace stay valid.
        for name in sorted(used, key=lambda n: (n.span.line, n.span.column), reverse=True):
            begin = starts[name.span.line - 1] + name.span.column - 1
            end = starts[name.span.end_line - 1] + name.span.end_column - 1
            body = out(defines[name.name].text.strip(), (*active, name.name))
            bare = text[:begin] + body + text[end:]
            if not _parses_to(bare, target, defines):
                bare = f"{text[:begin]}({body}){text[end:]}"
            text = bare
        return text

    return out(text, ())


def _parses_to(text: str, target: Node, defines: Mapping[str, Define]) -> bool:
    """Does `text`, its defines written out, parse to `target` (spans aside)?"""
    try:
        return expand(parse(text), defines, text) == target
    except ExpressionError:
        return False


def _line_starts(text: str) -> list[int]:
    """The offset of each line's first character (lines as the parser counts them, by \\n)."""
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts
