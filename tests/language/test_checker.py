"""Type checking: names, did-you-mean, types, vocabularies, null and member tokens."""

from __future__ import annotations

import pytest

from peerreport.language import Expression, ExpressionError, Type
from peerreport.rulebook.scopes import measure_scope, source_scope

ACTIVITY = source_scope("activity", {})


def error(text: str, expected: Type | None = Type.BOOLEAN) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        Expression.compile(text, ACTIVITY, expected)
    return info.value


def test_unknown_field_suggests_the_closest_name() -> None:
    e = error("attendence > 3")
    assert e.code == "unknown-name"
    assert "unknown name 'attendence'" in e.message
    assert "Did you mean 'attendance'?" in e.message
    assert (e.span.column, e.span.end_column) == (1, 11)


def test_unknown_function_lists_the_allowed_ones() -> None:
    e = error("lowercase(topic) = 'x'")
    assert e.code == "unknown-name" and "Did you mean 'lower'?" in e.message
    assert "coalesce" in e.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("attendance + 'x' > 1", "'+' needs numbers, not text"),
        ("kind < 'group'", "works on numbers and dates, not on text"),
        ("not attendance", "needs a condition"),
        ("attendance = date('2026-07-01')", "cannot compare a whole number with a date"),
        ("member_led + 1 > 0", "'+' needs numbers"),
        ("year(attendance) = 2026", "year() needs a date"),
        ("coalesce(attendance, 'x') = 1", "one type"),
        ("attendance between 1 and 'x'", "not on text"),
        ("kind in ('group', 3)", "list item is a whole number"),
    ],
)
def test_type_errors(text: str, words: str) -> None:
    e = error(text)
    assert e.code == "type"
    assert words in e.message


def test_where_must_be_a_condition() -> None:
    e = error("attendance + 1")
    assert "must be a condition" in e.message


def test_vocabulary_field_compared_with_unknown_code() -> None:
    e = error("kind = 'grup'")
    assert e.code == "unknown-code"
    assert "Did you mean 'group'?" in e.message
    e = error("mode in ('phone', 'In person')")
    assert "Did you mean 'in_person'?" in e.message
    assert e.span.column == 19


def test_null_comparisons_are_refused() -> None:
    for text in ("mode = null", "attendance in (1, null)", "attendance between null and 3"):
        assert error(text).code == "null-comparison"


def test_member_tokens_cannot_appear_in_expressions() -> None:
    e = error("member_tokens is not null")
    assert e.code == "privacy"
    assert "can only be counted" in e.message


def test_date_literal_validation() -> None:
    assert "is not a date" in error("date > date('2026-02-30')").message
    assert "YYYY-MM-DD" in error("date > date('2026-7-1')").message
    ok = Expression.compile("date >= date('2026-07-01')", ACTIVITY, Type.BOOLEAN)
    assert ok.type is Type.BOOLEAN


def test_types_of_results() -> None:
    def type_of(text: str) -> Type:
        return Expression.compile(text, ACTIVITY).type

    assert type_of("attendance + 1") is Type.INTEGER
    assert type_of("attendance / 2") is Type.REAL
    assert type_of("attendance + 0.5") is Type.REAL
    assert type_of("coalesce(first_time, 0)") is Type.INTEGER
    assert type_of("lower(topic)") is Type.TEXT
    assert type_of("null + 1") is Type.INTEGER


def test_null_literal_takes_the_type_of_its_context() -> None:
    tree = Expression.compile("coalesce(null, null) + 1.5 > 0", ACTIVITY, Type.BOOLEAN).tree
    types = {type(n).__name__ + ":" + str(n.type.value) for n in tree.walk() if n.type}
    assert "Literal:real" in types and "Literal:null" not in types


def test_measure_scope() -> None:
    scope = measure_scope({"group_sessions": Type.INTEGER, "attendances": Type.INTEGER})
    ok = Expression.compile("attendances / group_sessions", scope, Type.REAL)
    assert ok.names() == ["attendances", "group_sessions"]
    with pytest.raises(ExpressionError, match="Did you mean 'group_sessions'"):
        Expression.compile("group_session * 2", scope)
