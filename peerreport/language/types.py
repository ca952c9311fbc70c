"""The types of the expression language and the scope names are checked against.

There are two number types: `integer` (64-bit) and `real` (IEEE double).
Decimal columns (FTE, hours) are read as `real` on every backend, so SQLite,
PostgreSQL and Python do the same floating-point arithmetic. `token` is the
type of member tokens: a name of that type may only be counted with
`distinct` and may appear in no expression. `time` is a time of day to the
minute (`start_time`): ordered, never combined with a date or a number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from peerreport.language.defines import Define


class Type(StrEnum):
    """A value type."""

    INTEGER = "integer"
    REAL = "real"
    TEXT = "text"
    DATE = "date"
    TIME = "time"  # a time of day, to the minute (no date, no time zone)
    BOOLEAN = "boolean"
    NULL = "null"  # the type of the literal `null` before the checker gives it one
    TOKEN = "token"

    @property
    def numeric(self) -> bool:
        """Integer or real."""
        return self in (Type.INTEGER, Type.REAL)

    @property
    def ordered(self) -> bool:
        """Values of the type can be compared with < <= > >= and between.

        Text is deliberately not ordered: SQLite, PostgreSQL and Python sort
        text differently (collations), and no funder rule needs it.
        """
        return self in (Type.INTEGER, Type.REAL, Type.DATE, Type.TIME)


def describe(t: Type) -> str:
    """The type in words, for messages: 'a date', 'a time of day'."""
    return {
        Type.INTEGER: "a whole number",
        Type.REAL: "a number",
        Type.TEXT: "text",
        Type.DATE: "a date",
        Type.TIME: "a time of day",
        Type.BOOLEAN: "a condition (true or false)",
        Type.NULL: "null",
        Type.TOKEN: "member tokens",
    }[t]


def compatible(a: Type, b: Type) -> bool:
    """True when values of types `a` and `b` can be compared or combined."""
    if Type.NULL in (a, b):
        return Type.TOKEN not in (a, b)
    return a == b or (a.numeric and b.numeric)


def unify(a: Type, b: Type) -> Type:
    """The type of a value that may be of type `a` or `b` (they must be compatible)."""
    if a is Type.NULL:
        return b
    if b is Type.NULL:
        return a
    if a.numeric and b.numeric and a != b:
        return Type.REAL
    return a


@dataclass(frozen=True)
class Binding:
    """What a name in a scope stands for."""

    name: str
    type: Type
    kind: str  # "field", "grouping" or "measure"
    description: str = ""
    vocabulary: str | None = None  # name of the vocabulary the values come from
    codes: tuple[str, ...] | None = None  # allowed values, when closed
    synonyms: tuple[str, ...] = ()  # other words people use for it ("time" for start_time)


@dataclass(frozen=True)
class Scope:
    """The names an expression may use, e.g. the fields of one record source."""

    title: str  # what the names are, for messages: "fields of source 'activity'"
    bindings: Mapping[str, Binding] = field(default_factory=dict)
    defines: Mapping[str, Define] = field(default_factory=dict)  # a rule file's [define]

    @classmethod
    def of(
        cls, title: str, bindings: Iterable[Binding], defines: Mapping[str, Define] | None = None
    ) -> Scope:
        """A scope from a list of bindings (and the rule file's named expressions)."""
        return cls(title, {b.name: b for b in bindings}, dict(defines or {}))

    def get(self, name: str) -> Binding | None:
        """The binding of `name`, if any."""
        return self.bindings.get(name)

    def names(self) -> list[str]:
        """Every name, defines included, sorted."""
        return sorted({*self.bindings, *self.defines})
