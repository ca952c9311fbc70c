"""Parsing: precedence, literals, positions and syntax errors with a caret."""

from __future__ import annotations

import pytest

from peerreport.language import ExpressionError, parse
from peerreport.language import ast as a


def test_precedence_and_or_not() -> None:
    tree = parse("not x or y and z")
    assert isinstance(tree, a.Logical) and tree.op == "or"
    assert isinstance(tree.left, a.Not)
    assert isinstance(tree.right, a.Logical) and tree.right.op == "and"


def test_arithmetic_binds_tighter_than_comparison() -> None:
    tree = parse("a + b * 2 >= 3")
    assert isinstance(tree, a.Comparison) and tree.op == ">="
    assert isinstance(tree.left, a.Arithmetic) and tree.left.op == "+"
    assert isinstance(tree.left.right, a.Arithmetic) and tree.left.right.op == "*"


def test_keywords_are_case_insensitive_and_names_are_not_keywords() -> None:
    tree = parse("andy IS NOT NULL AND x NOT IN (1, 2) and y Between 1 AND 2")
    assert isinstance(tree, a.Logical)
    nodes = list(tree.walk())
    assert any(isinstance(n, a.IsNull) and n.negated for n in nodes)
    assert any(isinstance(n, a.InList) and n.negated for n in nodes)
    assert any(isinstance(n, a.Between) and not n.negated for n in nodes)
    assert [n.name for n in a.names(tree)] == ["andy", "x", "y"]


def test_literals() -> None:
    tree = parse("f(1, 2.5, 'it''s', true, FALSE, null, -3)")
    assert isinstance(tree, a.Call)
    values = [n.value for n in tree.args if isinstance(n, a.Literal)]
    assert values == [1, 2.5, "it's", True, False, None, -3]
    assert isinstance(values[0], int) and isinstance(values[1], float)


def test_not_equal_spellings() -> None:
    first, second = parse("a <> 1"), parse("a != 1")
    assert isinstance(first, a.Comparison) and first.op == "!="
    assert first == second


def test_positions_on_second_line() -> None:
    tree = parse("a = 1\n  and bb = 2")
    assert isinstance(tree, a.Logical)
    right = tree.right
    assert isinstance(right, a.Comparison) and isinstance(right.left, a.Name)
    assert (right.left.span.line, right.left.span.column) == (2, 7)


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("kind = = 'group'", 8, "unexpected '='"),
        ("kind = 'group", 8, "no closing quote"),
        ('kind = "group"', 8, "single quotes"),
        ("attendance >", 13, "ends too soon"),
        ("(a = 1", 7, "ends too soon"),
        ("a = 1 = 2", 7, "unexpected '='"),
    ],
)
def test_syntax_errors_point_at_the_problem(text: str, column: int, words: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    error = info.value
    assert error.code == "syntax"
    assert words in error.message
    assert error.span.column == column
    line, caret = error.caret().splitlines()
    assert line.strip() == text
    assert caret.index("^") == line.index(text) + column - 1


def test_empty_expression() -> None:
    with pytest.raises(ExpressionError, match="empty"):
        parse("   ")


def test_one_text_is_parsed_once_and_a_mistake_every_time() -> None:
    """Trees are frozen and shared by text; a syntax error is raised afresh each time."""
    text = "kind = 'group' and attendance >= 3 + 0"
    assert parse(text) is parse(text)
    assert parse(text) == parse(" " + text) and parse(text) is not parse(" " + text)
    for _ in range(2):
        with pytest.raises(ExpressionError, match="expected"):
            parse("kind = ")


def test_long_texts_are_parsed_every_time_not_kept() -> None:
    """Only short texts' trees are kept, so a server sent long ones keeps little."""
    from peerreport.language.parser import _KEPT_LENGTH

    long = "kind in (" + ", ".join(f"'k{i}'" for i in range(_KEPT_LENGTH // 5)) + ")"
    assert len(long) > _KEPT_LENGTH
    assert parse(long) == parse(long) and parse(long) is not parse(long)
