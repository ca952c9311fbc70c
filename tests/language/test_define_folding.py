"""A define written out gives the tree its formula gives written inline, literals folded alike."""

from __future__ import annotations

import pytest

from peerreport.language import Define, expand, parse


@pytest.mark.parametrize(
    ("defined", "used", "inline"),
    [
        ("0", "-(d)", "-(0)"),  # hypothesis found this: Negate(0) against the literal 0
        ("2.5", "-d", "-2.5"),
        ("3", "attendance - -(d)", "attendance - -(3)"),
        ("attendance", "-(d)", "-(attendance)"),  # not a literal: stays a negation
    ],
)
def test_a_negated_define_is_the_negated_formula(defined: str, used: str, inline: str) -> None:
    define = Define("d", defined, parse(defined))
    written_out = expand(parse(used), {"d": define}, used)
    assert written_out == parse(inline)


@pytest.mark.parametrize(
    ("defined", "used", "inline"),
    [
        ("0", "-(d)", "-(0)"),  # hypothesis found this again in the checked tree
        ("1", "-(d)", "-(1)"),
        ("2.5", "-d", "-2.5"),
        ("-1", "-(d)", "-(-1)"),
        ("3", "attendance - -(d)", "attendance - -(3)"),
        ("attendance", "-(d)", "-(attendance)"),
    ],
)
def test_a_compiled_negated_define_is_the_compiled_inline_formula(
    defined: str, used: str, inline: str
) -> None:
    """`Expression.compile` writes defines out in the type checker: it folds them alike too."""
    from dataclasses import replace

    from peerreport.language import Expression
    from tests.language.test_differential import SCOPE

    scope = replace(SCOPE, defines={"d": Define("d", defined, parse(defined))})
    compiled = Expression.compile(used, scope)
    assert compiled.tree == Expression.compile(inline, SCOPE).tree
    assert compiled.type == Expression.compile(inline, SCOPE).type
