"""Type checking: names, did-you-mean, types, vocabularies, null and member tokens."""

from __future__ import annotations

import datetime as dt

import pytest

from peerreport.language import Expression, ExpressionError, Type, ast
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
        ("kind < 'group'", "works on numbers, dates and times, not on text"),
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


# --- times of day --------------------------------------------------------------------------


def test_time_literals_and_functions_type_check() -> None:
    def type_of(text: str) -> Type:
        return Expression.compile(text, ACTIVITY).type

    assert type_of("start_time") is Type.TIME
    assert type_of("time('17:00')") is Type.TIME
    assert type_of("coalesce(start_time, time('00:00'))") is Type.TIME
    assert type_of("hour(start_time)") is Type.INTEGER
    assert type_of("minute(start_time)") is Type.INTEGER
    assert type_of("weekday(date)") is Type.INTEGER
    for text in (
        "start_time < time('09:00') or start_time >= time('17:00')",
        "start_time between time('09:00') and time('16:59')",
        "start_time in (time('09:00'), time('12:30'))",
        "start_time is null",
    ):
        assert Expression.compile(text, ACTIVITY, Type.BOOLEAN).type is Type.BOOLEAN


def test_time_literal_value() -> None:
    tree = Expression.compile("time('07:05')", ACTIVITY).tree
    assert tree == ast.Literal(dt.time(7, 5), type=Type.TIME)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("start_time < time('5pm')", "'5pm' is not a time of day; write time('HH:MM')"),
        ("start_time < time('24:00')", "'24:00' is not a time of day"),
        ("start_time < time('9:00')", "'9:00' is not a time of day"),
        ("start_time < time(9)", "write a time of day as time('HH:MM')"),
        (
            "start_time < '17:00'",
            "cannot compare a time of day with text; write a time of day as time('17:00')",
        ),
        ("start_time = date('2026-07-01')", "cannot compare a time of day with a date"),
        ("start_time > 17", "cannot compare a time of day with a whole number"),
        ("hour(date) > 17", "hour() needs a time of day; 'date' is a date"),
        ("minute(attendance) = 0", "minute() needs a time of day; 'attendance' is a whole number"),
        ("weekday(start_time) = 1", "weekday() needs a date; 'start_time' is a time of day"),
        ("start_time + 1 > start_time", "'+' needs numbers, not a time of day"),
        ("days_between(start_time, date) > 1", "needs two dates, not a time of day"),
    ],
)
def test_time_type_errors(text: str, words: str) -> None:
    e = error(text)
    assert e.code == "type"
    assert words in e.message


@pytest.mark.parametrize("name", ["time", "start", "hour", "Time", "clock", "call_time"])
def test_a_time_word_suggests_start_time_never_a_field_of_another_type(name: str) -> None:
    e = error(f"{name} > 17")
    assert e.code == "unknown-name"
    assert "start_time" in e.message
    assert "first_time" not in e.message


def test_a_function_used_as_a_name_is_written_out_with_a_field_it_takes() -> None:
    assert "did you mean 'hour(start_time)'?" in error("hour >= 17").message
    assert "did you mean 'weekday(date)'?" in error("weekday >= 6").message
