"""Compiling a checked expression to a SQLAlchemy Core column expression.

Every value from the rule file becomes a bound parameter; no SQL text is
built from strings. Names are turned into columns by a `resolve` callback
supplied by the caller (the record source decides what `kind` or `date`
means), so this module knows nothing of tables.

Semantics shared with the Python evaluator (`peerreport.language.evaluate`):
- integers are 64-bit: integer operands of arithmetic are cast to BIGINT so
  PostgreSQL's 32-bit `integer` columns cannot overflow where SQLite's do not;
- `/` is always real division (both sides cast to double precision), and
  `x / 0` is null (`NULLIF`), never an error;
- the literal null is cast to the type the checker gave it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    String,
    Time,
    and_,
    cast,
    literal,
    not_,
    null,
    or_,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement, Grouping
from sqlalchemy.types import TypeEngine

from peerreport.language import ast
from peerreport.language.functions import FUNCTIONS
from peerreport.language.types import Type

Resolve = Callable[[str], ColumnElement[Any]]
SqlExpr = ColumnElement[Any]

_SQL_TYPES: dict[Type, TypeEngine[Any]] = {
    Type.INTEGER: BigInteger(),
    Type.REAL: Float(),
    Type.TEXT: String(),
    Type.DATE: Date(),
    Type.TIME: Time(),
    Type.BOOLEAN: Boolean(),
}


def sql_type(t: Type) -> TypeEngine[Any]:
    """The SQLAlchemy type used for values of type `t`."""
    return _SQL_TYPES[t]


def to_sql(node: ast.Node, resolve: Resolve) -> SqlExpr:
    """The SQLAlchemy expression for a checked tree."""
    if node.type is None:
        raise ValueError("to_sql() needs a tree from peerreport.language.checker.check()")
    expr = _compile(node, resolve)
    # SQLite has no boolean type: make conditions come back as True/False everywhere.
    return type_coerce(expr, Boolean()) if node.type is Type.BOOLEAN else expr


def _compile(node: ast.Node, resolve: Resolve) -> SqlExpr:
    assert node.type is not None
    if isinstance(node, ast.Literal):
        return _literal(node)
    if isinstance(node, ast.Name):
        return resolve(node.name)
    if isinstance(node, ast.Not):
        # Explicit brackets: PostgreSQL binds IS tighter than NOT, so an unbracketed
        # `NOT x IS NULL` would mean `NOT (x IS NULL)` there.
        return Grouping(not_(_compile(node.operand, resolve)))
    if isinstance(node, ast.Logical):
        join = and_ if node.op == "and" else or_
        return join(_compile(node.left, resolve), _compile(node.right, resolve)).self_group()
    if isinstance(node, ast.Negate):
        return -_number(node.operand, resolve)
    if isinstance(node, ast.Arithmetic):
        return _arithmetic(node, resolve)
    if isinstance(node, ast.Comparison):
        return _comparison(node, resolve)
    if isinstance(node, ast.InList):
        operand = _compile(node.operand, resolve)
        items = [_compile(i, resolve) for i in node.items]
        test = operand.not_in(items) if node.negated else operand.in_(items)
        return test.self_group()
    if isinstance(node, ast.Between):
        test = _compile(node.operand, resolve).between(
            _compile(node.low, resolve), _compile(node.high, resolve)
        )
        return Grouping(not_(test)) if node.negated else Grouping(test)
    if isinstance(node, ast.IsNull):
        operand = Grouping(_compile(node.operand, resolve))
        return Grouping(operand.is_not(None) if node.negated else operand.is_(None))
    if isinstance(node, ast.Call):
        function = FUNCTIONS[node.function]
        return function.sql(*(_compile(a, resolve) for a in node.args))
    raise TypeError(f"unknown node {type(node).__name__}")


def _literal(node: ast.Literal) -> SqlExpr:
    assert node.type is not None
    if node.value is None:
        return null() if node.type is Type.NULL else cast(null(), sql_type(node.type))
    return literal(node.value, sql_type(node.type))


def _number(node: ast.Node, resolve: Resolve) -> SqlExpr:
    """An arithmetic operand: integers widened to 64 bits, reals as double precision."""
    expr = _compile(node, resolve)
    if isinstance(node, ast.Literal):
        return expr
    return cast(expr, BigInteger if node.type is Type.INTEGER else Float)


def _arithmetic(node: ast.Arithmetic, resolve: Resolve) -> SqlExpr:
    left, right = _number(node.left, resolve), _number(node.right, resolve)
    if node.op == "/":
        left, right = cast(left, Float), cast(right, Float)
        zero = literal(0.0, Float())
        divisor = _nullif(right, zero)
        return (left / divisor).self_group()
    if node.op == "+":
        return (left + right).self_group()
    if node.op == "-":
        return (left - right).self_group()
    return (left * right).self_group()


def _nullif(value: SqlExpr, zero: SqlExpr) -> SqlExpr:
    from sqlalchemy import func

    result: SqlExpr = func.nullif(value, zero, type_=Float())
    return result


def _comparison(node: ast.Comparison, resolve: Resolve) -> SqlExpr:
    left, right = _compile(node.left, resolve), _compile(node.right, resolve)
    left, right = left.self_group(), right.self_group()
    op = node.op
    if op == "=":
        result = left == right
    elif op == "!=":
        result = left != right
    elif op == "<":
        result = left < right
    elif op == "<=":
        result = left <= right
    elif op == ">":
        result = left > right
    else:
        result = left >= right
    return result.self_group()
