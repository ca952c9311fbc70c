"""The type checker: resolves names against a `Scope` and gives every node a type.

It rejects, with the position and a hint:
- unknown names and functions ("did you mean ...");
- operands of the wrong type (`attendance + 'x'`, `kind < 3`, `not attendance`);
- a vocabulary field compared with a value not in its vocabulary
  (`kind = 'grup'`: did you mean 'group'?);
- comparisons with the literal `null`, which are never true (use `is null`);
- member tokens anywhere in an expression (they may only be counted).

A name of the scope's `defines` (a rule file's `[define]`) is replaced by the
define's tree, checked here as if it were written inline in brackets; a
mistake inside it is reported with the define's own text and caret.

The result is a new tree in which every node has its `type`, including the
literal `null`, which takes the type its context needs (so PostgreSQL gets a
typed NULL).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from peerreport.language import ast
from peerreport.language.defines import Define
from peerreport.language.errors import ExpressionError, did_you_mean, shorten
from peerreport.language.functions import DATE_LITERAL, FUNCTIONS, TIME_LITERAL
from peerreport.language.types import Binding, Scope, Type, compatible, describe, unify

_ORDERING = {"<", "<=", ">", ">="}
# Words that mean the time of day: an unknown name holding one is matched only against
# time fields ("did you mean 'start_time'?", never 'first_time').
_TIME_WORDS = ("time", "hour", "clock", "minute", "start")


def check(node: ast.Node, scope: Scope, text: str, expected: Type | None = None) -> ast.Node:
    """Type-check `node` (parsed from `text`) against `scope`; return the typed tree.

    `expected` is BOOLEAN for conditions; a number type means "any number".
    """
    checked = _Checker(scope, text).visit(node)
    assert checked.type is not None
    if expected is not None:
        want_number = expected.numeric and checked.type.numeric
        if checked.type is Type.NULL:
            return _retype_null(checked, expected)
        if checked.type != expected and not want_number:
            what = "a condition (true or false)" if expected is Type.BOOLEAN else expected.value
            raise ExpressionError(
                f"this must be {what}, but it is {_describe(checked.type)}",
                text,
                checked.span,
                code="type",
            )
    return checked


_describe = describe


def _retype_null(node: ast.Node, t: Type) -> ast.Node:
    """Give a null-typed node (the literal null, coalesce(null, ...)) the type `t`."""
    if node.type is not Type.NULL or t is Type.NULL:
        return node
    if isinstance(node, ast.Call):
        return replace(node, args=tuple(_retype_null(a, t) for a in node.args), type=t)
    return replace(node, type=t)


def _normalise_code(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().casefold())


class _Checker:
    def __init__(self, scope: Scope, text: str, active: tuple[str, ...] = ()) -> None:
        self.scope = scope
        self.text = text
        self.active = active  # the defines being expanded, outermost first

    def error(self, message: str, node: ast.Node, code: str = "type") -> ExpressionError:
        return ExpressionError(message, self.text, node.span, code=code)

    def visit(self, node: ast.Node) -> ast.Node:
        method = getattr(self, "visit_" + type(node).__name__)
        result: ast.Node = method(node)
        return result

    def visit_Literal(self, node: ast.Literal) -> ast.Node:
        value = node.value
        if value is None:
            t = Type.NULL
        elif isinstance(value, bool):
            t = Type.BOOLEAN
        elif isinstance(value, int):
            t = Type.INTEGER
        elif isinstance(value, float):
            t = Type.REAL
        elif isinstance(value, str):
            t = Type.TEXT
        elif isinstance(value, dt.time):
            t = Type.TIME
        else:
            t = Type.DATE
        return replace(node, type=t)

    def visit_Name(self, node: ast.Name) -> ast.Node:
        binding = self.scope.get(node.name)
        define = self.scope.defines.get(node.name)
        if binding is None and define is not None:
            return self._define(node, define)
        if binding is None:
            hint = self._unknown_name_hint(node.name)
            raise self.error(
                f"unknown name '{node.name}' (not one of the {self.scope.title}).{hint}",
                node,
                code="unknown-name",
            )
        if binding.type is Type.TOKEN:
            raise self.error(
                f"'{node.name}' (member tokens) can only be counted: use it as "
                f'distinct = "{node.name}" in a measure, never in an expression',
                node,
                code="privacy",
            )
        return replace(node, type=binding.type)

    def _define(self, node: ast.Name, define: Define) -> ast.Node:
        """The define's tree, checked in this scope, in place of its name."""
        if define.name in self.active:
            chain = " -> ".join([*self.active[self.active.index(define.name) :], define.name])
            raise self.error(
                f"define '{define.name}' refers to itself: {chain}", node, code="define-cycle"
            )
        inner = _Checker(self.scope, define.text, (*self.active, define.name))
        try:
            checked = inner.visit(define.tree)
        except ExpressionError as exc:
            if exc.code == "define-cycle":
                raise
            raise ExpressionError(
                f"in define '{define.name}' = \"{shorten(define.text, 60)}\": {exc.message}",
                exc.text,
                exc.span,
                code=exc.code,
            ) from None
        # The caret of a mistake about the whole define points at its name.
        return replace(checked, span=node.span)

    def _unknown_name_hint(self, name: str) -> str:
        """A did-you-mean for an unknown name that never offers a field of the wrong type.

        A function's name gets the call written out with a field it takes (`hour` ->
        hour(start_time)); a word people use for a field (its intake synonyms: `time`,
        `start`) gets that field; a word about the time of day is matched only against
        time fields, so `time` never suggests `first_time` (a number).
        """
        function = FUNCTIONS.get(name)
        if function is not None:
            field = self._field_of_type(function.arg_type)
            if field is not None and function.max_args == 1:
                return f" '{name}' is a function: did you mean '{name}({field})'?"
            return f" '{name}' is a function: write {function.signature}."
        folded = name.casefold()
        for binding in self.scope.bindings.values():
            if folded in (s.casefold().replace(" ", "_") for s in binding.synonyms):
                return f" Did you mean '{binding.name}'?"
        if any(word in folded for word in _TIME_WORDS):
            times = [b.name for b in self.scope.bindings.values() if b.type is Type.TIME]
            return did_you_mean(name, times) or (f" Did you mean '{times[0]}'?" if times else "")
        return did_you_mean(name, self.scope.names())

    def _field_of_type(self, t: Type | None) -> str | None:
        """The first field of the scope of type `t` (for hints), if any."""
        return next(
            (b.name for b in self.scope.bindings.values() if t is not None and b.type is t),
            None,
        )

    def visit_Not(self, node: ast.Not) -> ast.Node:
        operand = self._boolean(self.visit(node.operand), "not")
        return replace(node, operand=operand, type=Type.BOOLEAN)

    def visit_Logical(self, node: ast.Logical) -> ast.Node:
        left = self._boolean(self.visit(node.left), node.op)
        right = self._boolean(self.visit(node.right), node.op)
        return replace(node, left=left, right=right, type=Type.BOOLEAN)

    def visit_Negate(self, node: ast.Negate) -> ast.Node:
        operand = self._number(self.visit(node.operand), "-", Type.INTEGER)
        assert operand.type is not None
        if isinstance(operand, ast.Literal):
            value = operand.value
            if isinstance(value, int | float) and not isinstance(value, bool):
                # The parser makes `-(3)` the literal -3; `-(d)` with a define d = '3' written
                # out here folds the same way, so a define is exactly its formula written inline.
                return replace(operand, value=-value, span=node.span)
        return replace(node, operand=operand, type=operand.type)

    def visit_Arithmetic(self, node: ast.Arithmetic) -> ast.Node:
        left, right = self.visit(node.left), self.visit(node.right)
        assert left.type is not None and right.type is not None
        fallback = right.type if right.type.numeric else left.type
        fallback = fallback if fallback.numeric else Type.INTEGER
        left = self._number(left, node.op, fallback)
        right = self._number(right, node.op, fallback)
        assert left.type is not None and right.type is not None
        result = Type.REAL if node.op == "/" else unify(left.type, right.type)
        return replace(node, left=left, right=right, type=result)

    def visit_Comparison(self, node: ast.Comparison) -> ast.Node:
        left, right = self.visit(node.left), self.visit(node.right)
        for side in (left, right):
            self._no_null(side, f"comparing with null using '{node.op}'")
        assert left.type is not None and right.type is not None
        if not compatible(left.type, right.type):
            raise self.error(
                f"cannot compare {_describe(left.type)} with {_describe(right.type)}"
                + _time_literal_hint(left, right),
                node,
            )
        if node.op in _ORDERING and not left.type.ordered:
            raise self.error(
                f"'{node.op}' works on numbers, dates and times, not on {_describe(left.type)}; "
                "use = != or in",
                node,
            )
        self._vocabulary(left, right)
        self._vocabulary(right, left)
        return replace(node, left=left, right=right, type=Type.BOOLEAN)

    def visit_InList(self, node: ast.InList) -> ast.Node:
        operand = self.visit(node.operand)
        assert operand.type is not None
        self._no_null(operand, "'in' on null")
        items: list[ast.Node] = []
        for item in node.items:
            checked = self.visit(item)
            self._no_null(checked, "null in an 'in' list")
            assert checked.type is not None
            if not compatible(operand.type, checked.type):
                raise self.error(
                    f"this list item is {_describe(checked.type)} but the value before "
                    f"'in' is {_describe(operand.type)}" + _time_literal_hint(operand, checked),
                    checked,
                )
            self._vocabulary(operand, checked)
            items.append(checked)
        return replace(node, operand=operand, items=tuple(items), type=Type.BOOLEAN)

    def visit_Between(self, node: ast.Between) -> ast.Node:
        parts = [self.visit(n) for n in (node.operand, node.low, node.high)]
        for part in parts:
            self._no_null(part, "'between' with null")
            assert part.type is not None
            if not part.type.ordered:
                raise self.error(
                    f"'between' works on numbers, dates and times, not on {_describe(part.type)}",
                    part,
                )
        operand, low, high = parts
        for bound in (low, high):
            assert operand.type is not None and bound.type is not None
            if not compatible(operand.type, bound.type):
                raise self.error(
                    f"cannot compare {_describe(operand.type)} with {_describe(bound.type)}"
                    + _time_literal_hint(operand, bound),
                    bound,
                )
        return replace(node, operand=operand, low=low, high=high, type=Type.BOOLEAN)

    def visit_IsNull(self, node: ast.IsNull) -> ast.Node:
        return replace(node, operand=self.visit(node.operand), type=Type.BOOLEAN)

    def visit_Call(self, node: ast.Call) -> ast.Node:
        if node.function == DATE_LITERAL:
            return self._date_literal(node)
        if node.function == TIME_LITERAL:
            return self._time_literal(node)
        function = FUNCTIONS.get(node.function)
        if function is None:
            known = [*FUNCTIONS, DATE_LITERAL, TIME_LITERAL]
            raise self.error(
                f"unknown function '{node.function}'.{did_you_mean(node.function, known)} "
                f"Functions: {', '.join(sorted(known))}",
                node,
                code="unknown-name",
            )
        count = len(node.args)
        if count < function.min_args or (
            function.max_args is not None and count > function.max_args
        ):
            raise self.error(f"wrong number of arguments: write {function.signature}", node)
        args = [self.visit(a) for a in node.args]
        result = function.type_rule([a.type for a in args if a.type is not None])
        if not isinstance(result, Type):
            if len(args) == 1 and isinstance(args[0], ast.Name):
                # hour(date): "hour() needs a time of day; 'date' is a date"
                result = result.replace(", not ", f"; '{args[0].name}' is ", 1)
            raise self.error(f"{function.name}() {result}", node)
        fill = function.arg_type or result
        args = [_retype_null(a, fill) for a in args]
        return replace(node, args=tuple(args), type=result)

    def _date_literal(self, node: ast.Call) -> ast.Node:
        arg = node.args[0] if len(node.args) == 1 else None
        if not (isinstance(arg, ast.Literal) and isinstance(arg.value, str)):
            raise self.error("write a date as date('YYYY-MM-DD')", node)
        try:
            value = dt.date.fromisoformat(arg.value)
        except ValueError:
            raise self.error(
                f"'{arg.value}' is not a date; write date('YYYY-MM-DD')", arg
            ) from None
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", arg.value):
            raise self.error(f"write the date as YYYY-MM-DD, e.g. '{value.isoformat()}'", arg)
        return ast.Literal(value, span=node.span, type=Type.DATE)

    def _time_literal(self, node: ast.Node) -> ast.Node:
        assert isinstance(node, ast.Call)
        arg = node.args[0] if len(node.args) == 1 else None
        if not (isinstance(arg, ast.Literal) and isinstance(arg.value, str)):
            raise self.error("write a time of day as time('HH:MM'), e.g. time('17:00')", node)
        match = re.fullmatch(r"(\d{2}):(\d{2})", arg.value)
        if match is None or int(match[1]) > 23 or int(match[2]) > 59:
            raise self.error(
                f"'{arg.value}' is not a time of day; write time('HH:MM') on the 24-hour "
                "clock, from time('00:00') to time('23:59'), e.g. time('17:30')",
                arg,
            )
        value = dt.time(int(match[1]), int(match[2]))
        return ast.Literal(value, span=node.span, type=Type.TIME)

    def _boolean(self, node: ast.Node, op: str) -> ast.Node:
        if node.type is Type.NULL:
            return _retype_null(node, Type.BOOLEAN)
        if node.type is not Type.BOOLEAN:
            assert node.type is not None
            raise self.error(
                f"'{op}' needs a condition (true or false), not {_describe(node.type)}"
                + (f"; did you mean '{_name_of(node)} > 0'?" if node.type.numeric else ""),
                node,
            )
        return node

    def _number(self, node: ast.Node, op: str, null_type: Type) -> ast.Node:
        if node.type is Type.NULL:
            return _retype_null(node, null_type)
        assert node.type is not None
        if not node.type.numeric:
            raise self.error(f"'{op}' needs numbers, not {_describe(node.type)}", node)
        return node

    def _no_null(self, node: ast.Node, what: str) -> None:
        if node.type is Type.NULL:
            raise self.error(
                f"{what} is never true; write 'x is null' or 'x is not null'",
                node,
                code="null-comparison",
            )

    def _vocabulary(self, field: ast.Node, value: ast.Node) -> None:
        """A text literal compared with a vocabulary field must be one of its codes."""
        if not (isinstance(field, ast.Name) and isinstance(value, ast.Literal)):
            return
        binding: Binding | None = self.scope.get(field.name)
        if binding is None or binding.codes is None or not isinstance(value.value, str):
            return
        if value.value in binding.codes:
            return
        normal = _normalise_code(value.value)
        guess = next((c for c in binding.codes if _normalise_code(c) == normal), None)
        hint = f" Did you mean '{guess}'?" if guess else did_you_mean(normal, binding.codes)
        vocab = binding.vocabulary or field.name
        raise self.error(
            f"'{value.value}' is not a code of vocabulary '{vocab}' (used by "
            f"'{field.name}').{hint} Codes: {', '.join(binding.codes)}",
            value,
            code="unknown-code",
        )


def _time_literal_hint(a: ast.Node, b: ast.Node) -> str:
    """A hint for a time compared with text such as '17:00': write time('17:00')."""
    for time_side, other in ((a, b), (b, a)):
        if (
            time_side.type is Type.TIME
            and isinstance(other, ast.Literal)
            and isinstance(other.value, str)
        ):
            shown = other.value if re.fullmatch(r"\d{2}:\d{2}", other.value) else "HH:MM"
            return f"; write a time of day as time('{shown}')"
    return ""


def _name_of(node: ast.Node) -> str:
    return node.name if isinstance(node, ast.Name) else "value"
