"""Evaluating a checked expression in Python, with SQL's three-valued logic.

`None` is SQL's NULL. The rules (the same as the SQL the compiler emits; a
hypothesis test checks SQLite, PostgreSQL and this module agree):
- any arithmetic, comparison or function with a null operand is null
  (except `coalesce`, `is null`, and `and`/`or` below);
- `false and null` is false, `true or null` is true, otherwise null spreads;
- `x in (a, b)` is true if x equals an item, else null if x or an item is
  null, else false; `not in` is its negation;
- `/` is real division; `x / 0` is null and is reported through `on_zero`;
- decimals are read as floats (the SQL side reads them as double precision).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from peerreport.language import ast
from peerreport.language.functions import FUNCTIONS

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}


def evaluate(
    node: ast.Node,
    values: Mapping[str, Any],
    on_zero: Callable[[ast.Node], None] | None = None,
) -> Any:
    """The value of a checked tree, given the value of every name it uses.

    `on_zero` is called with the division node whenever a non-null value is
    divided by zero (the result is null either way).
    """
    return _Evaluator(values, on_zero).eval(node)


def and3(a: bool | None, b: bool | None) -> bool | None:
    """Three-valued `and`."""
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def or3(a: bool | None, b: bool | None) -> bool | None:
    """Three-valued `or`."""
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def not3(a: bool | None) -> bool | None:
    """Three-valued `not`."""
    return None if a is None else not a


class _Evaluator:
    def __init__(
        self, values: Mapping[str, Any], on_zero: Callable[[ast.Node], None] | None
    ) -> None:
        self.values = values
        self.on_zero = on_zero

    def eval(self, node: ast.Node) -> Any:
        if isinstance(node, ast.Literal):
            return node.value
        if isinstance(node, ast.Name):
            value = self.values[node.name]
            return float(value) if isinstance(value, Decimal) else value
        if isinstance(node, ast.Not):
            return not3(self.eval(node.operand))
        if isinstance(node, ast.Logical):
            left, right = self.eval(node.left), self.eval(node.right)
            return and3(left, right) if node.op == "and" else or3(left, right)
        if isinstance(node, ast.Negate):
            value = self.eval(node.operand)
            return None if value is None else -value
        if isinstance(node, ast.Arithmetic):
            return self._arithmetic(node)
        if isinstance(node, ast.Comparison):
            left, right = self.eval(node.left), self.eval(node.right)
            if left is None or right is None:
                return None
            return _COMPARE[node.op](left, right)
        if isinstance(node, ast.InList):
            return self._in_list(node)
        if isinstance(node, ast.Between):
            value, low, high = (self.eval(n) for n in (node.operand, node.low, node.high))
            inside = and3(
                None if value is None or low is None else low <= value,
                None if value is None or high is None else value <= high,
            )
            return not3(inside) if node.negated else inside
        if isinstance(node, ast.IsNull):
            is_null = self.eval(node.operand) is None
            return not is_null if node.negated else is_null
        if isinstance(node, ast.Call):
            args = [self.eval(a) for a in node.args]
            return FUNCTIONS[node.function].python(*args)
        raise TypeError(f"unknown node {type(node).__name__}")

    def _arithmetic(self, node: ast.Arithmetic) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        if left is None or right is None:
            return None
        if node.op == "/":
            if right == 0:
                if self.on_zero is not None:
                    self.on_zero(node)
                return None
            return float(left) / float(right)
        return _ARITHMETIC[node.op](left, right)

    def _in_list(self, node: ast.InList) -> bool | None:
        value = self.eval(node.operand)
        items = [self.eval(i) for i in node.items]
        found: bool | None
        if value is None:
            found = None
        elif any(i is not None and i == value for i in items):
            found = True
        elif any(i is None for i in items):
            found = None
        else:
            found = False
        return not3(found) if node.negated else found
