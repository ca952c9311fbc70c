"""The expression language of rule files: `where`, `sum`, `expr` and `assert`.

    text ──parse──▶ syntax tree ──check(scope)──▶ typed tree ──┬─▶ to_sql()   (SQLAlchemy Core)
                                                               └─▶ evaluate() (Python)

`Expression.compile(text, scope)` does the first two steps. The language is
documented in docs/rule-files.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from peerreport.language.ast import Node, Span, names
from peerreport.language.checker import check
from peerreport.language.defines import Define, depth_problem, expand
from peerreport.language.errors import ExpressionError, did_you_mean
from peerreport.language.evaluate import evaluate
from peerreport.language.functions import FUNCTIONS
from peerreport.language.parser import MAX_ARITHMETIC_DEPTH, MAX_DEPTH, parse
from peerreport.language.sql import to_sql
from peerreport.language.types import Binding, Scope, Type


@dataclass(frozen=True)
class Expression:
    """An expression's text and its checked, typed tree."""

    text: str
    tree: Node

    @property
    def type(self) -> Type:
        """The type of the expression's value."""
        assert self.tree.type is not None
        return self.tree.type

    @classmethod
    def compile(cls, text: str, scope: Scope, expected: Type | None = None) -> Expression:
        """Parse and check `text`; raise `ExpressionError` with the position on any mistake."""
        tree = parse(text)
        if scope.defines and any(n.name in scope.defines for n in names(tree)):
            # Write the defines out first: bounded in size and depth, so checking and the
            # databases' own parsers never meet a tree deeper than an inline text may be.
            problem = depth_problem(
                expand(tree, scope.defines, text), MAX_DEPTH, MAX_ARITHMETIC_DEPTH
            )
            if problem:
                raise ExpressionError(
                    problem + ". Split it into several measures.", text, Span(), code="limit"
                )
        return cls(text, check(tree, scope, text, expected))

    def names(self) -> list[str]:
        """The names used, without repeats, in order of appearance."""
        return list(dict.fromkeys(n.name for n in names(self.tree)))


__all__ = [
    "FUNCTIONS",
    "Binding",
    "Define",
    "Expression",
    "ExpressionError",
    "Node",
    "Scope",
    "Span",
    "Type",
    "check",
    "did_you_mean",
    "evaluate",
    "expand",
    "parse",
    "to_sql",
]
