"""The period in a funder's own words: `[export.xlsx] period_format` filled from a period.

A funder's template often names the period its own way ("Quarter 1, 2026/27",
"July to September 2026") rather than peerreport's `FY2027-Q1`. The format is
a message template (`{name}` placeholders, `{{` and `}}` for braces; nothing is
evaluated) over the values below, all text.
"""

from __future__ import annotations

import datetime as dt
import re

from peerreport.rulebook.template import fill, placeholders

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_PART = re.compile(r"^(?:FY)?(\d{4})(?:-(?:[QHM])?(\d{1,2}))?$", re.IGNORECASE)

#: Each placeholder and what it gives, for FY2027-Q1 (1 July to 30 September 2026).
PERIOD_PLACEHOLDERS: dict[str, str] = {
    "label": "the period's name as peerreport writes it: FY2027-Q1",
    "year": "the year its name gives: 2027 (FY2027-Q1), 2026 (2026-Q3, 2026-08)",
    "number": "the quarter, half or month number its name gives: 1 (FY2027-Q1); empty for a year",
    "first_month": "the month it starts in: July",
    "last_month": "the month it ends in: September",
    "first_year": "the year it starts in: 2026",
    "last_year": "the year it ends in: 2026",
    "year_before": "the year before {year}: 2026 (for a financial year's '2026/27')",
    "yy": "the last two digits of {year}: 27",
    "start": "its first day: 1 July 2026",
    "end": "its last day: 30 September 2026",
}


def format_problem(text: str) -> str | None:
    """What is wrong with a `period_format`, or None when it is usable."""
    try:
        names = placeholders(text)
    except ValueError as exc:
        return str(exc)
    unknown = [n for n in names if n not in PERIOD_PLACEHOLDERS]
    if unknown:
        return f"unknown placeholder {{{unknown[0]}}}; use " + ", ".join(
            f"{{{n}}}" for n in PERIOD_PLACEHOLDERS
        )
    return None


def _day(day: dt.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def period_values(label: str, start: dt.date, end: dt.date) -> dict[str, str]:
    """The placeholders' values for one period."""
    part = _PART.match(label)
    year = part.group(1) if part else str(start.year)
    return {
        "label": label,
        "year": year,
        "number": str(int(part.group(2))) if part and part.group(2) else "",
        "first_month": _MONTHS[start.month - 1],
        "last_month": _MONTHS[end.month - 1],
        "first_year": str(start.year),
        "last_year": str(end.year),
        "year_before": str(int(year) - 1),
        "yy": year[-2:],
        "start": _day(start),
        "end": _day(end),
    }


def period_words(text: str, label: str, start: dt.date, end: dt.date) -> str:
    """`text` (a checked `period_format`) filled for the period."""
    return fill(text, period_values(label, start, end))
