"""Turning spreadsheet cells into dates, times and booleans, with plain messages.

Dates are read as ISO (2026-08-14) or, for numbers separated by '/', '-' or
'.', in the workspace's date order (day-first by default, as in New Zealand
and Australia). A date that does not exist in that order is an error naming
the cell; it is never silently read the other way round.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug included)

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00(?:\.0+)?)?)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_NUMERIC_PARTS = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})([/.\-])(\d{2}|\d{4})$")
_WORDY_DMY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([A-Za-z]+)\.?,?[\s\-]+(\d{4})$")
_WORDY_MDY = re.compile(r"^([A-Za-z]+)\.?[\s\-]+(\d{1,2})(?:st|nd|rd|th)?,?[\s\-]+(\d{4})$")
# 18:30, 18.30, 6:30 pm, 6.30pm, 9am (an hour alone only with am or pm: a bare "9" is
# more likely a count in the wrong column than a time).
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2})(?::(\d{2}))?)?\s*([ap]\.?\s?m\.?)?$", re.IGNORECASE)


class CellValueError(ValueError):
    """A cell's value cannot be read as the type its column needs."""


_OTHER = {"day-first": "month-first", "month-first": "day-first"}
_ORDER_WORDS = {"day-first": "day first (DD/MM/YYYY)", "month-first": "month first (MM/DD/YYYY)"}
_FIRST = {"day-first": "day", "month-first": "month"}


def spoken(date: dt.date) -> str:
    """A date as people say it: '14 August 2026'."""
    return f"{date.day} {date:%B %Y}"


@dataclass(frozen=True)
class Swapped:
    """A written date read with day and month the other way round, written that way."""

    date: dt.date
    text: str  # the cell's text with day and month swapped: what to write instead


def swapped_reading(text: str, date_order: str) -> Swapped | None:
    """The date `text` (DD/MM/YYYY-like) means if written in the other order, if it is one.

    '08/14/2026' in a day-first workspace -> 14 August 2026, written '14/08/2026'.
    """
    m = _NUMERIC_PARTS.match(text.strip())
    if not m or len(m[5]) != 4:
        return None
    first, second = int(m[1]), int(m[3])
    day, month = (second, first) if date_order == "day-first" else (first, second)
    try:
        date = dt.date(int(m[5]), month, day)
    except ValueError:
        return None
    return Swapped(date, f"{m[3]}{m[2]}{m[1]}{m[4]}{m[5]}")


def is_ambiguous(text: str) -> bool:
    """A numeric date that is a different real date in either order ('04/05/2026')."""
    m = _NUMERIC_PARTS.match(text.strip())
    if not m or len(m[5]) != 4:
        return False
    first, second = int(m[1]), int(m[3])
    return first != second and 1 <= first <= 12 and 1 <= second <= 12


def _make_date(year: int, month: int, day: int, shown: str) -> dt.date:
    if not 1 <= month <= 12:
        raise CellValueError(f'"{shown}" is not a date: there is no month {month}')
    try:
        return dt.date(year, month, day)
    except ValueError:
        month_name = dt.date(2000, month, 1).strftime("%B")
        raise CellValueError(
            f'"{shown}" is not a date: {month_name} {year} has no day {day}'
        ) from None


def parse_date(
    value: object, date_order: str = "day-first", *, from_excel: bool = False
) -> dt.date:
    """Read a date from a cell, or raise `CellValueError` with a plain message."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise CellValueError(f'"{value}" is not a date')
    if isinstance(value, int | float):
        if from_excel and float(value).is_integer() and 1 <= value <= 2_958_465:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise CellValueError(
            f'"{value}" is a number, not a date; write dates as DD/MM/YYYY or YYYY-MM-DD'
        )
    text = str(value).strip()
    if m := _ISO.match(text):
        return _make_date(int(m[1]), int(m[2]), int(m[3]), text)
    if m := _NUMERIC.match(text):
        first, second, year_text = int(m[1]), int(m[2]), m[3]
        if len(year_text) == 2:
            raise CellValueError(
                f'"{text}" has a two-digit year, which is ambiguous; write the year in full '
                "(e.g. 14/08/2026)"
            )
        day, month = (first, second) if date_order == "day-first" else (second, first)
        try:
            return _make_date(int(year_text), month, day, text)
        except CellValueError as exc:
            swapped = swapped_reading(text, date_order)
            if swapped is None:
                raise
            raise CellValueError(
                f'"{text}" is not a date: did you mean {swapped.text} ({spoken(swapped.date)})? '
                f"Dates are read {_ORDER_WORDS[date_order]}; if this file writes the "
                f"{_FIRST[_OTHER[date_order]]} first, set date_order in peerreport.toml "
                "(peerreport never swaps day and month on its own)"
            ) from exc
    for pattern, day_group, month_group in ((_WORDY_DMY, 1, 2), (_WORDY_MDY, 2, 1)):
        if m := pattern.match(text):
            month_number = MONTHS.get(m[month_group].lower())
            if month_number is None:
                raise CellValueError(f'"{text}" is not a date: unknown month "{m[month_group]}"')
            return _make_date(int(m[3]), month_number, int(m[day_group]), text)
    raise CellValueError(f'"{text}" is not a date; write dates as DD/MM/YYYY or YYYY-MM-DD')


def parse_time(value: object, *, from_excel: bool = False) -> dt.time:
    """Read a time of day (18:30, 6:30 pm, 9am, or an Excel time).

    Seconds are read (so a mistyped second is still an error) and kept here; the record
    model keeps times to the minute.
    """
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, dt.time):
        return value
    if isinstance(value, float | int) and not isinstance(value, bool):
        if from_excel and 0 <= value < 1:
            seconds = round(float(value) * 86400)
            return dt.time(seconds // 3600, seconds % 3600 // 60, seconds % 60)
        raise CellValueError(f'"{value}" is not a time; write times as HH:MM (e.g. 18:30)')
    text = str(value).strip()
    m = _TIME.match(text)
    if not m or (m[2] is None and not m[4]):
        raise CellValueError(f'"{text}" is not a time; write times as HH:MM (e.g. 18:30)')
    hour, minute, second = int(m[1]), int(m[2] or 0), int(m[3] or 0)
    if m[4]:
        if not 1 <= hour <= 12:
            raise CellValueError(
                f'"{text}" is not a time: {hour} is not an hour on a 12-hour clock'
            )
        hour = hour % 12 + (12 if m[4].lower().startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise CellValueError(f'"{text}" is not a time of day')
    return dt.time(hour, minute, second)


_TRUE = {"yes", "y", "true", "t", "1", "x", "✓", "ae", "āe"}
_FALSE = {"no", "n", "false", "f", "0", "kao"}


def parse_bool(value: object) -> bool:
    """Read yes/no (also true/false, 1/0, x, āe/kāo)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().casefold().replace("kāo", "kao")
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellValueError(f'"{value}" is not yes or no')


# A spreadsheet runs a cell as a formula when its text starts with one of these,
# even after spaces or no-break spaces, and in some locales the full-width forms.
_FORMULA_START = frozenset("=+-@＝＋－＠")
_LEADING_SPACE = " \t\r\n\u00a0\u2007\u202f\u3000"
_PLAIN_NUMBER = re.compile(r"^[+\-]?\d+(?:[.,]\d+)*$")


def _needs_apostrophe(text: str) -> bool:
    stripped = text.lstrip(_LEADING_SPACE)
    if text[:1] in ("\t", "\r") or (
        stripped[:1] in _FORMULA_START and not _PLAIN_NUMBER.match(stripped)
    ):
        return True
    # Text that already starts with the apostrophe gets another, so it reads back as written.
    return text[:1] == "'" and _needs_apostrophe(text[1:])


def neutralise_formula(text: str) -> str:
    """Text a spreadsheet would run as a formula, made inert with a leading apostrophe.

    '=1+1' -> "'=1+1", '  ＝HYPERLINK(...)' -> "'  ＝HYPERLINK(...)". A plain number
    ('-2') is left alone: it is not a formula, and the coordinator may need to see it.
    """
    return "'" + text if _needs_apostrophe(text) else text


def restore_formula(text: str) -> str:
    """Undo `neutralise_formula`, so a corrected rejects file imports as it is."""
    return text[1:] if text[:1] == "'" and _needs_apostrophe(text[1:]) else text
