"""Records in words, for the pages that show them: headings, values, counts by month.

The coordinator's records pages and the auditor's desk (a figure's records,
a sample to check against source documents) show records through these, so a
person reads the intake workbook's headings ("Kind of activity") and the
vocabularies' labels ("Group session"), never field names or codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

#: Fields whose values are codes of a vocabulary (a breakdown's category is of its dimension's).
_CODED = frozenset({"category", "category2"})


def heading_words(field: str) -> str:
    """The heading a person reads for a field: the intake workbook's ('Activity ID')."""
    from peerreport.intake.headings import readable_heading

    return readable_heading(field)


def value_words(field: str, value: Any, empty: str = "(empty)") -> str:
    """One value of a record in words: labels for codes, dates as '3 May 2026'."""
    from peerreport.compute.figures import show
    from peerreport.records.vocabulary import vocabularies
    from peerreport.render.words import category_label

    if value is None or value == "":
        return empty
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return f"{value:%-d %B %Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%-d %B %Y}"
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    if isinstance(value, str):
        coded = field in vocabularies() or field in _CODED
        return category_label(field, value) if coded else value
    if isinstance(value, float):
        return show(value)
    return str(value)


def records_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> tuple[list[str], list[list[str]]]:
    """Records as (headings, rows of words): `columns` names what each position holds.

    Never give it member tokens or their hashes: the audit's record listings
    (`audit.records_listing`) never select them.
    """
    headings = [heading_words(c) for c in columns]
    return headings, [
        [value_words(c, v, "") for c, v in zip(columns, row, strict=True)] for row in rows
    ]


def month_rows(table: tuple[list[str], list[list[Any]]]) -> tuple[list[str], list[list[str]]]:
    """`store.summary.month_table`'s activities by month and kind as (headings, rows) in words;
    the last row is the total."""
    from peerreport.render.words import category_label

    header, rows = table
    labels = [
        "Month",
        *[category_label("kind", code) for code in header[1:-2]],
        "All activities",
        "Attendance",
    ]
    return labels, [[_month_words(row[0]), *row[1:]] for row in rows]


def _month_words(month: str) -> str:
    if month == "total":
        return "Total"
    return dt.date.fromisoformat(f"{month}-01").strftime("%B %Y")
