"""Parsing expression text into the syntax tree (`peerreport.language.ast`).

The grammar is `grammar.lark` next to this module, parsed LALR(1) by lark.
Syntax errors become `ExpressionError`s that say what was expected and point
at the offending token.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from peerreport.language import ast
from peerreport.language.errors import ExpressionError, shorten

# Limits that keep every later step (type checks, SQL, the databases' own parsers)
# within bounds, so an expression that lints also builds. A chain of 500 `or`s is
# 500 levels deep: Python's recursion limit and SQLite's expression depth both
# break long before anything a funder's return needs.
MAX_LENGTH = 10_000  # characters in one expression
MAX_DEPTH = 32  # operators nested in one another (a chain of n `or`s is n deep)
# Arithmetic nested in arithmetic (a chain of n `+`s is n deep): each level is a
# CAST and brackets in SQL, and SQLite's parser overflows at about 28.
MAX_ARITHMETIC_DEPTH = 20
MAX_DIGITS = 15  # digits in a number: exact as a float and as a 64-bit integer
MAX_STRING = 1_000  # characters in a 'string'

# What people read for the grammar's terminal names in "expected ..." messages.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a 'string'",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "COMP_OP": "a comparison (= != < <= > >=)",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "$END": "the end of the expression",
}


@cache
def _parser() -> Lark:
    grammar = resources.files("peerreport.language").joinpath("grammar.lark").read_text("utf-8")
    return Lark(
        grammar, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=False
    )


def parse(text: str) -> ast.Node:
    """Parse an expression; raise `ExpressionError` with the position on a syntax error.

    Trees are frozen, so one expression's tree is parsed once and shared: linting a
    folder of rule files met the same few hundred expressions 18,000 times (each file's
    ancestors' measures again, each cell's `where`), half of `rules lint`'s time. Only
    short texts are kept (the shipped rule files' longest is about 110 characters), so
    what a long-running server keeps stays a few megabytes whatever it is sent."""
    if len(text) > _KEPT_LENGTH:
        return _parse.__wrapped__(text)
    return _parse(text)


#: The longest expression text whose tree `parse` keeps, and how many it keeps.
_KEPT_LENGTH = 500
_KEPT = 1024


@lru_cache(maxsize=_KEPT)
def _parse(text: str) -> ast.Node:
    if not text.strip():
        raise ExpressionError("the expression is empty", text, ast.Span(), code="syntax")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(text):,} characters long; at most {MAX_LENGTH:,} are "
            "allowed. Split it into several measures.",
            shorten(text),
            ast.Span(1, 1, 1, 2),
            code="limit",
        )
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    _check_limits(tree, text)
    node = _ToAst().transform(tree)
    assert isinstance(node, ast.Node)
    return node


def _check_limits(tree: Tree[Token], text: str) -> None:
    """Refuse trees too deep or literals too big, walking without recursion."""
    # `start` wraps the expression: its top operator is at depth 0.
    stack: list[tuple[Tree[Token] | Token, int, int]] = [(tree, -1, 0)]
    while stack:
        item, depth, arithmetic = stack.pop()
        if isinstance(item, Token):
            _check_literal(item, text)
            continue
        if item.data in ("arith", "negate"):
            arithmetic += 1
        if arithmetic > MAX_ARITHMETIC_DEPTH:
            raise ExpressionError(
                f"the expression has more than {MAX_ARITHMETIC_DEPTH} arithmetic operators "
                "(+ - * /) nested inside one another. Split it into several measures and "
                "add those up in an expr measure.",
                text,
                ast.Span(1, 1, 1, 2),
                code="limit",
            )
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"the expression has more than {MAX_DEPTH} operators nested inside one "
                "another (each 'or' of a chain of 'or's is one more level). Split it into "
                "several measures, or list values with in: kind in ('group', 'drop_in').",
                text,
                ast.Span(1, 1, 1, 2),
                code="limit",
            )
        stack += [(child, depth + 1, arithmetic) for child in item.children]


def _check_literal(token: Token, text: str) -> None:
    if token.type == "NUMBER":
        digits = sum(ch.isdigit() for ch in str(token))
        if digits > MAX_DIGITS:
            raise ExpressionError(
                f"the number has {digits} digits; at most {MAX_DIGITS} are allowed",
                text,
                _token_span(token),
                code="limit",
            )
    elif token.type == "STRING" and len(token) - 2 > MAX_STRING:
        raise ExpressionError(
            f"the string is {len(token) - 2:,} characters long; at most {MAX_STRING:,} are allowed",
            text,
            _token_span(token),
            code="limit",
        )


def _syntax_error(exc: UnexpectedInput, text: str) -> ExpressionError:
    line = exc.line if exc.line and exc.line > 0 else 1
    column = exc.column if exc.column and exc.column > 0 else 1
    if isinstance(exc, UnexpectedCharacters):
        char = text.splitlines()[line - 1][column - 1] if text.splitlines() else "?"
        message = f"unexpected character {char!r}"
        if char == '"':
            message += "; write strings in single quotes: 'like this'"
        elif char == "'":
            message = "this string has no closing quote (')"
        span = ast.Span(line, column, line, column + 1)
    elif isinstance(exc, UnexpectedEOF):
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        message = "the expression ends too soon; " + _expected(exc.expected)
        span = ast.Span(line, column, line, column + 1)
    else:
        assert isinstance(exc, UnexpectedToken)
        token = exc.token
        if token.type == "$END":
            lines = text.splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
            message = "the expression ends too soon; " + _expected(exc.expected)
            span = ast.Span(line, column, line, column + 1)
        else:
            message = f"unexpected {str(token)!r}; " + _expected(exc.expected)
            span = ast.Span(line, column, line, column + max(1, len(str(token))))
    return ExpressionError(message, text, span, code="syntax")


def _expected(expected: Iterable[Any]) -> str:
    words = sorted({_TERMINAL_WORDS.get(str(t), str(t).lower()) for t in expected})
    if len(words) > 6:
        return "expected a value, an operator or a closing bracket"
    return "expected " + " or ".join(words)


def _span(meta: Any) -> ast.Span:
    return ast.Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _token_span(token: Token) -> ast.Span:
    line, column = token.line or 1, token.column or 1
    return ast.Span(line, column, token.end_line or line, token.end_column or column + 1)


def _nodes(children: Iterable[Any]) -> tuple[ast.Node, ...]:
    nodes = tuple(children)
    assert all(isinstance(n, ast.Node) for n in nodes)
    return nodes


def _unquote(token: Token) -> str:
    return str(token)[1:-1].replace("''", "'")


@v_args(meta=True, inline=True)
class _ToAst(Transformer[Token, ast.Node]):
    """lark parse tree → syntax tree."""

    def start(self, meta: Any, expr: ast.Node) -> ast.Node:
        return expr

    def or_op(self, meta: Any, left: ast.Node, _op: Token, right: ast.Node) -> ast.Node:
        return ast.Logical("or", left, right, span=_span(meta))

    def and_op(self, meta: Any, left: ast.Node, _op: Token, right: ast.Node) -> ast.Node:
        return ast.Logical("and", left, right, span=_span(meta))

    def not_op(self, meta: Any, _op: Token, operand: ast.Node) -> ast.Node:
        return ast.Not(operand, span=_span(meta))

    def compare(self, meta: Any, left: ast.Node, op: Token, right: ast.Node) -> ast.Node:
        symbol = "!=" if str(op) == "<>" else str(op)
        return ast.Comparison(symbol, left, right, span=_span(meta))

    def is_null(self, meta: Any, operand: ast.Node, *_kw: Token) -> ast.Node:
        return ast.IsNull(operand, span=_span(meta))

    def is_not_null(self, meta: Any, operand: ast.Node, *_kw: Token) -> ast.Node:
        return ast.IsNull(operand, negated=True, span=_span(meta))

    def in_list(self, meta: Any, operand: ast.Node, _in: Token, items: Tree[Any]) -> ast.Node:
        return ast.InList(operand, _nodes(items.children), span=_span(meta))

    def not_in_list(
        self, meta: Any, operand: ast.Node, _not: Token, _in: Token, items: Tree[Any]
    ) -> ast.Node:
        return ast.InList(operand, _nodes(items.children), negated=True, span=_span(meta))

    def between(
        self, meta: Any, operand: ast.Node, _b: Token, low: ast.Node, _a: Token, high: ast.Node
    ) -> ast.Node:
        return ast.Between(operand, low, high, span=_span(meta))

    def not_between(
        self, meta: Any, operand: ast.Node, _n: Token, _b: Token, *rest: Any
    ) -> ast.Node:
        low, _and, high = rest
        return ast.Between(operand, low, high, negated=True, span=_span(meta))

    def arith(self, meta: Any, left: ast.Node, op: Token, right: ast.Node) -> ast.Node:
        return ast.Arithmetic(str(op), left, right, span=_span(meta))

    def negate(self, meta: Any, _op: Token, operand: ast.Node) -> ast.Node:
        value = operand.value if isinstance(operand, ast.Literal) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return ast.Literal(-value, span=_span(meta))
        return ast.Negate(operand, span=_span(meta))

    def number(self, meta: Any, token: Token) -> ast.Node:
        text = str(token)
        value: int | float = float(text) if "." in text else int(text)
        return ast.Literal(value, span=_token_span(token))

    def string(self, meta: Any, token: Token) -> ast.Node:
        return ast.Literal(_unquote(token), span=_token_span(token))

    def true(self, meta: Any, token: Token) -> ast.Node:
        return ast.Literal(True, span=_token_span(token))

    def false(self, meta: Any, token: Token) -> ast.Node:
        return ast.Literal(False, span=_token_span(token))

    def null(self, meta: Any, token: Token) -> ast.Node:
        return ast.Literal(None, span=_token_span(token))

    def name(self, meta: Any, token: Token) -> ast.Node:
        return ast.Name(str(token), span=_token_span(token))

    def call(self, meta: Any, name: Token, args: Tree[Any] | None = None) -> ast.Node:
        arguments = _nodes(args.children) if args is not None else ()
        return ast.Call(str(name), arguments, span=_span(meta))
