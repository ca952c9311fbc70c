"""The allow-list of functions: type rule, SQL form and Python form of each.

Only functions whose results agree on SQLite, PostgreSQL and in Python are
here (the differential test in tests/language checks that they do). Every
function returns null when any argument is null, except `coalesce`.

`round` is deliberately absent: SQLite, PostgreSQL and Python round halves and
binary fractions differently. Measures have a `round` setting instead, applied
once in Python to the final figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from peerreport.language.types import Type, compatible, describe, unify

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class _AsciiCase(FunctionElement[str]):
    """lower/upper of ASCII letters only, the same on every backend."""

    inherit_cache = True
    type = String()
    sql_name = "lower"


class ascii_lower(_AsciiCase):
    """lower() on ASCII letters only."""

    inherit_cache = True
    sql_name = "lower"


class ascii_upper(_AsciiCase):
    """upper() on ASCII letters only."""

    inherit_cache = True
    sql_name = "upper"


@compiles(ascii_lower)
@compiles(ascii_upper)
def _ascii_case_default(element: _AsciiCase, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's built-in lower()/upper() touch ASCII letters only.
    return f"{element.sql_name}({compiler.process(element.clauses, **kw)})"


@compiles(ascii_lower, "postgresql")
@compiles(ascii_upper, "postgresql")
def _ascii_case_postgresql(element: _AsciiCase, compiler: SQLCompiler, **kw: Any) -> str:
    # Under the "C" collation PostgreSQL changes ASCII letters only, as SQLite does.
    return f'{element.sql_name}(({compiler.process(element.clauses, **kw)}) COLLATE "C")'


class _DatePart(FunctionElement[int]):
    """year/month/day of a date as an integer."""

    inherit_cache = True
    type = Integer()
    part = "YEAR"
    strftime = "%Y"


class date_year(_DatePart):
    """The year of a date."""

    inherit_cache = True
    part, strftime = "YEAR", "%Y"


class date_month(_DatePart):
    """The month (1-12) of a date."""

    inherit_cache = True
    part, strftime = "MONTH", "%m"


class date_day(_DatePart):
    """The day of the month of a date."""

    inherit_cache = True
    part, strftime = "DAY", "%d"


@compiles(date_year)
@compiles(date_month)
@compiles(date_day)
def _date_part_default(element: _DatePart | _TimePart, compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL: EXTRACT is numeric; every part taken here is whole. Times register below.
    return (
        f"CAST(EXTRACT({element.part} FROM {compiler.process(element.clauses, **kw)}) AS INTEGER)"
    )


@compiles(date_year, "sqlite")
@compiles(date_month, "sqlite")
@compiles(date_day, "sqlite")
def _date_part_sqlite(element: _DatePart, compiler: SQLCompiler, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"CAST(strftime('{element.strftime}', {arg}) AS INTEGER)"


class _TimePart(FunctionElement[int]):
    """hour/minute of a time of day as an integer."""

    inherit_cache = True
    type = Integer()
    part = "HOUR"
    start = 1  # where the part is in SQLite's stored text 'HH:MM:SS.ffffff'


class time_hour(_TimePart):
    """The hour (0-23) of a time of day."""

    inherit_cache = True
    part, start = "HOUR", 1


class time_minute(_TimePart):
    """The minute (0-59) of a time of day."""

    inherit_cache = True
    part, start = "MINUTE", 4


compiles(time_hour)(_date_part_default)
compiles(time_minute)(_date_part_default)


@compiles(time_hour, "sqlite")
@compiles(time_minute, "sqlite")
def _time_part_sqlite(element: _TimePart, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores a time in SQLite as the text 'HH:MM:SS.ffffff'.
    arg = compiler.process(element.clauses, **kw)
    return f"CAST(substr({arg}, {element.start}, 2) AS INTEGER)"


class iso_weekday(FunctionElement[int]):
    """The ISO day of the week of a date: 1 = Monday .. 7 = Sunday."""

    inherit_cache = True
    type = Integer()


@compiles(iso_weekday)
def _iso_weekday_default(element: iso_weekday, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(ISODOW FROM {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(iso_weekday, "sqlite")
def _iso_weekday_sqlite(element: iso_weekday, compiler: SQLCompiler, **kw: Any) -> str:
    # strftime('%w') is 0 = Sunday .. 6 = Saturday; ISO moves Sunday to 7. (%u is
    # missing from SQLite before 3.44.)
    arg = compiler.process(element.clauses, **kw)
    return f"((CAST(strftime('%w', {arg}) AS INTEGER) + 6) % 7 + 1)"


class days_between(FunctionElement[int]):
    """The number of days from the first date to the second (negative if it comes before).

    The one date difference in peerreport: the expression language's
    `days_between` and the apportioning of workforce entries both use it.
    """

    inherit_cache = True
    type = Integer()


@compiles(days_between)
def _days_between_default(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL: date - date is a whole number of days.
    first, second = (compiler.process(c, **kw) for c in element.clauses)
    return f"(({second}) - ({first}))"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    # Dates are ISO text: julianday() gives midnight of each, so the difference is whole.
    first, second = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday({second}) - julianday({first}) AS INTEGER)"


TypeRule = Callable[[Sequence[Type]], Type | str]


def _one(kind: str, accepts: Callable[[Type], bool], result: Type | None) -> TypeRule:
    def rule(types: Sequence[Type]) -> Type | str:
        (arg,) = types
        if arg is Type.NULL or accepts(arg):
            if result is not None:
                return result
            return Type.INTEGER if arg is Type.NULL else arg
        return f"needs {kind}, not {describe(arg)}"

    return rule


def _two_dates(types: Sequence[Type]) -> Type | str:
    for arg in types:
        if arg is not Type.NULL and arg is not Type.DATE:
            return f"needs two dates, not {describe(arg)}"
    return Type.INTEGER


def _coalesce_rule(types: Sequence[Type]) -> Type | str:
    result = types[0]
    for t in types[1:]:
        if not compatible(result, t):
            return f"arguments must all be of one type, not {result.value} and {t.value}"
        result = unify(result, t)
    return result


def _null_safe(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        return None if any(a is None for a in args) else fn(*args)

    return call


def _coalesce(*args: Any) -> Any:
    return next((a for a in args if a is not None), None)


@dataclass(frozen=True)
class Function:
    """One allow-listed function."""

    name: str
    signature: str
    description: str
    min_args: int
    max_args: int | None
    arg_type: Type | None  # the type a null argument is given; None: the result type
    type_rule: TypeRule
    sql: Callable[..., ColumnElement[Any]]
    python: Callable[..., Any]


def _is_text(t: Type) -> bool:
    return t is Type.TEXT


def _is_date(t: Type) -> bool:
    return t is Type.DATE


def _is_time(t: Type) -> bool:
    return t is Type.TIME


def _is_number(t: Type) -> bool:
    return t.numeric


def _year(d: dt.date) -> int:
    return d.year


def _month(d: dt.date) -> int:
    return d.month


def _day(d: dt.date) -> int:
    return d.day


def _hour(t: dt.time) -> int:
    return t.hour


def _minute(t: dt.time) -> int:
    return t.minute


def _weekday(d: dt.date) -> int:
    return d.isoweekday()


def _days_between(first: dt.date, second: dt.date) -> int:
    return (second - first).days


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function(
            "coalesce",
            "coalesce(a, b, ...)",
            "The first argument that is not null (null if all are).",
            2,
            None,
            None,
            _coalesce_rule,
            lambda *a: func.coalesce(*a),
            _coalesce,
        ),
        Function(
            "abs",
            "abs(number)",
            "The absolute value.",
            1,
            1,
            Type.INTEGER,
            _one("a number", _is_number, None),
            lambda a: func.abs(a),
            _null_safe(abs),
        ),
        Function(
            "lower",
            "lower(text)",
            "The text with ASCII letters A-Z in lower case (other letters unchanged).",
            1,
            1,
            Type.TEXT,
            _one("text", _is_text, Type.TEXT),
            lambda a: ascii_lower(a),
            _null_safe(lambda s: s.translate(_ASCII_LOWER)),
        ),
        Function(
            "upper",
            "upper(text)",
            "The text with ASCII letters a-z in upper case (other letters unchanged).",
            1,
            1,
            Type.TEXT,
            _one("text", _is_text, Type.TEXT),
            lambda a: ascii_upper(a),
            _null_safe(lambda s: s.translate(_ASCII_UPPER)),
        ),
        Function(
            "length",
            "length(text)",
            "The number of characters in the text.",
            1,
            1,
            Type.TEXT,
            _one("text", _is_text, Type.INTEGER),
            lambda a: func.length(a),
            _null_safe(len),
        ),
        Function(
            "year",
            "year(date)",
            "The year of a date, e.g. year(date) = 2026.",
            1,
            1,
            Type.DATE,
            _one("a date", _is_date, Type.INTEGER),
            lambda a: date_year(a),
            _null_safe(_year),
        ),
        Function(
            "month",
            "month(date)",
            "The month of a date, 1 to 12.",
            1,
            1,
            Type.DATE,
            _one("a date", _is_date, Type.INTEGER),
            lambda a: date_month(a),
            _null_safe(_month),
        ),
        Function(
            "day",
            "day(date)",
            "The day of the month of a date, 1 to 31.",
            1,
            1,
            Type.DATE,
            _one("a date", _is_date, Type.INTEGER),
            lambda a: date_day(a),
            _null_safe(_day),
        ),
        Function(
            "weekday",
            "weekday(date)",
            "The day of the week of a date, 1 = Monday to 7 = Sunday (ISO), e.g. "
            "weekday(date) >= 6 is a weekend.",
            1,
            1,
            Type.DATE,
            _one("a date", _is_date, Type.INTEGER),
            lambda a: iso_weekday(a),
            _null_safe(_weekday),
        ),
        Function(
            "hour",
            "hour(time)",
            "The hour of a time of day, 0 to 23, e.g. hour(start_time) >= 17; null when "
            "the time is not recorded.",
            1,
            1,
            Type.TIME,
            _one("a time of day", _is_time, Type.INTEGER),
            lambda a: time_hour(a),
            _null_safe(_hour),
        ),
        Function(
            "minute",
            "minute(time)",
            "The minute of a time of day, 0 to 59.",
            1,
            1,
            Type.TIME,
            _one("a time of day", _is_time, Type.INTEGER),
            lambda a: time_minute(a),
            _null_safe(_minute),
        ),
        Function(
            "days_between",
            "days_between(date, date)",
            "The number of days from the first date to the second, e.g. "
            "days_between(period_start, period_end) + 1 is the days an entry covers.",
            2,
            2,
            Type.DATE,
            _two_dates,
            lambda a, b: days_between(a, b),
            _null_safe(_days_between),
        ),
    )
}

#: `date('YYYY-MM-DD')` is not a function but the way to write a date literal;
#: the checker turns it into a literal. Listed for the docs and "did you mean".
DATE_LITERAL = "date"
#: `time('HH:MM')` writes a time of day (24-hour clock), as `date(...)` writes a date.
TIME_LITERAL = "time"
