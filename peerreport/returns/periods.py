"""Reporting periods: parsing `2026-Q3`, `FY2027-Q1`, `2026-08`, `FY2027-H1`, `FY2027` and
`2026-07-01..2026-09-30`, and checking they fit a rule file's period kind.

Financial years are named by the calendar year they END in, as in New Zealand
and Australia: with a year starting 1 July, FY2027 runs from 1 July 2026 to
30 June 2027, so FY2027-Q1 is July-September 2026. Calendar quarters and
halves (`2026-Q3`, `2026-H2`) ignore the financial year. When a period's
return is due is the rule file's to say: `peerreport.returns.due.due_date`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from peerreport.errors import UsageError

KINDS = ("month", "quarter", "half-year", "year")
_MONTHS_IN = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}


@dataclass(frozen=True)
class Period:
    """A reporting period: first and last day (inclusive), its name and kind."""

    start: dt.date
    end: dt.date
    label: str
    kind: str  # month | quarter | half-year | year | custom

    def to_dict(self) -> dict[str, str]:
        """Plain JSON data."""
        return {
            "label": self.label,
            "kind": self.kind,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }

    def months(self) -> list[tuple[int, int]]:
        """(year, month) of every month the period touches."""
        result = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            result.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return result


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _span(first: dt.date, months: int) -> tuple[dt.date, dt.date]:
    return first, _add_months(first, months) - dt.timedelta(days=1)


def _year_start(year_start: str, fy: int) -> dt.date:
    """The first day of financial year `fy` (named by the year it ends in)."""
    month, day = (int(p) for p in year_start.split("-"))
    if (month, day) == (1, 1):
        return dt.date(fy, 1, 1)
    return dt.date(fy - 1, month, day)


_CALENDAR_PART = re.compile(r"^(\d{4})-(Q[1-4]|H[12])$", re.IGNORECASE)
_FINANCIAL = re.compile(r"^FY(\d{4})(?:-(Q[1-4]|H[12]|M(?:0?[1-9]|1[0-2])))?$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def parse_period(text: str, year_start: str = "07-01") -> Period:
    """Read a period name; raise `UsageError` with the accepted forms if it is not one."""
    value = text.strip()
    if m := _CALENDAR_PART.match(value):
        year, part = int(m[1]), m[2].upper()
        size = 3 if part[0] == "Q" else 6
        start, end = _span(dt.date(year, (int(part[1]) - 1) * size + 1, 1), size)
        return Period(start, end, f"{year}-{part}", "quarter" if size == 3 else "half-year")
    if m := _FINANCIAL.match(value):
        fy, part = int(m[1]), (m[2] or "").upper()
        first = _year_start(year_start, fy)
        if not part:
            start, end = _span(first, 12)
            return Period(start, end, f"FY{fy}", "year")
        number = int(part[1:])
        size = {"Q": 3, "H": 6, "M": 1}[part[0]]
        start, end = _span(_add_months(first, (number - 1) * size), size)
        kind = {"Q": "quarter", "H": "half-year", "M": "month"}[part[0]]
        return Period(start, end, f"FY{fy}-{part[0]}{number}", kind)
    if m := _MONTH.match(value):
        start, end = _span(dt.date(int(m[1]), int(m[2]), 1), 1)
        return Period(start, end, value, "month")
    if m := _RANGE.match(value):
        try:
            start, end = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
        except ValueError as exc:
            raise UsageError(f"period {text!r}: {exc}") from None
        if end < start:
            raise UsageError(f"period {text!r} ends before it starts")
        return Period(start, end, value, _kind_of_range(start, end))
    raise UsageError(
        f"{text!r} is not a period. Write one of: 2026-Q3 (calendar quarter), FY2027-Q1 "
        "(financial-year quarter), 2026-08 (month), FY2027-H1 (half year), FY2027 "
        "(financial year), 2026-H2, or 2026-07-01..2026-09-30"
    )


def _kind_of_range(start: dt.date, end: dt.date) -> str:
    if start.day != 1 or (end + dt.timedelta(days=1)).day != 1:
        return "custom"
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    return {1: "month", 3: "quarter", 6: "half-year", 12: "year"}.get(months, "custom")


def check_fits(period: Period, kind: str, year_start: str) -> None:
    """Refuse a period that is not one of the rule file's reporting periods, saying what fits."""
    if period.kind == kind and _aligned(period, kind, year_start):
        return
    example = _example(period.start, kind, year_start)
    raise UsageError(
        f"period {period.label} ({period.start} to {period.end}) is not a {kind} of this "
        f"return's year (which starts on {year_start}); the {kind} containing "
        f"{period.start} is {example.label} ({example.start} to {example.end})"
    )


def _aligned(period: Period, kind: str, year_start: str) -> bool:
    if kind == "month":
        return True
    start_month = int(year_start.split("-")[0])
    offset = (period.start.month - start_month) % 12
    return offset % _MONTHS_IN[kind] == 0 and period.start.day == 1


def _example(day: dt.date, kind: str, year_start: str) -> Period:
    """The period of `kind` that contains `day` (calendar names when the year starts 1 January)."""
    if kind == "month":
        return parse_period(f"{day.year}-{day.month:02d}", year_start)
    month, start_day = (int(p) for p in year_start.split("-"))
    calendar = (month, start_day) == (1, 1)
    fy = day.year if calendar or (day.month, day.day) < (month, start_day) else day.year + 1
    first = _year_start(year_start, fy)
    index = ((day.year - first.year) * 12 + day.month - first.month) // _MONTHS_IN[kind]
    prefix = str(fy) if calendar else f"FY{fy}"
    if kind == "year":
        return parse_period(prefix if not calendar else f"{fy}-01-01..{fy}-12-31", year_start)
    part = "Q" if kind == "quarter" else "H"
    return parse_period(f"{prefix}-{part}{index + 1}", year_start)


def fits(period: Period, kind: str, year_start: str) -> bool:
    """Whether a period is one of a rule file's reporting periods."""
    try:
        check_fits(period, kind, year_start)
    except UsageError:
        return False
    return True


def period_containing(day: dt.date, kind: str, year_start: str) -> Period:
    """The reporting period of `kind` (month, quarter, half-year, year) that contains `day`."""
    return _example(day, kind, year_start)


def recent_periods(kind: str, year_start: str, today: dt.date, count: int = 6) -> list[Period]:
    """The `count` most recent periods of `kind` that have ended by `today`, newest first.

    For the web's period picker: a coordinator files periods that are over.
    """
    current = period_containing(today, kind, year_start)
    found: list[Period] = []
    day = current.start - dt.timedelta(days=1)
    while len(found) < count:
        period = period_containing(day, kind, year_start)
        found.append(period)
        day = period.start - dt.timedelta(days=1)
    return found
