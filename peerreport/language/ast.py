"""The typed syntax tree of an expression.

Nodes are frozen dataclasses. Each carries the `Span` it came from (for error
messages with a caret) and a `type`, which is `None` straight out of the
parser and filled in by the type checker (`peerreport.language.checker`),
which returns a new tree. The SQL compiler and the Python evaluator accept
only checked trees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from peerreport.language.types import Type


@dataclass(frozen=True)
class Span:
    """Where a node is in the expression text: 1-based lines and columns, end exclusive."""

    line: int = 1
    column: int = 1
    end_line: int = 1
    end_column: int = 2


@dataclass(frozen=True)
class Node:
    """Common base of every node."""

    span: Span = field(default_factory=Span, compare=False, kw_only=True)
    type: Type | None = field(default=None, kw_only=True)

    def children(self) -> tuple[Node, ...]:
        """The direct sub-expressions."""
        return ()

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, depth first."""
        yield self
        for child in self.children():
            yield from child.walk()


LiteralValue = int | float | str | bool | dt.date | dt.time | None


@dataclass(frozen=True)
class Literal(Node):
    """A number, string, boolean, date, time of day or null written in the expression."""

    value: LiteralValue


@dataclass(frozen=True)
class Name(Node):
    """A record field, a grouping or a measure, resolved against a `Scope`."""

    name: str


@dataclass(frozen=True)
class Not(Node):
    """Logical negation (three-valued)."""

    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class Negate(Node):
    """Arithmetic negation."""

    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class Logical(Node):
    """`and` / `or` (three-valued)."""

    op: str  # "and" | "or"
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Arithmetic(Node):
    """`+ - * /`; division is always real division, and x / 0 is null."""

    op: str  # "+" | "-" | "*" | "/"
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Comparison(Node):
    """`= != < <= > >=` (`<>` is read as `!=`)."""

    op: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class InList(Node):
    """`x in (a, b, ...)` or `x not in (...)`."""

    operand: Node
    items: tuple[Node, ...]
    negated: bool = False

    def children(self) -> tuple[Node, ...]:
        return (self.operand, *self.items)


@dataclass(frozen=True)
class Between(Node):
    """`x between low and high` (inclusive), or `not between`."""

    operand: Node
    low: Node
    high: Node
    negated: bool = False

    def children(self) -> tuple[Node, ...]:
        return (self.operand, self.low, self.high)


@dataclass(frozen=True)
class IsNull(Node):
    """`x is null` or `x is not null`; never null itself."""

    operand: Node
    negated: bool = False

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class Call(Node):
    """A call of an allow-listed function (`peerreport.language.functions`)."""

    function: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args


def names(node: Node) -> list[Name]:
    """Every name used in an expression, in order of appearance."""
    return [n for n in node.walk() if isinstance(n, Name)]
