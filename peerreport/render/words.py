"""The words a person reads for the codes a return holds.

A return keeps codes (`in_person`, `25_64`, `ethnic_group`), which machines
read. Everything a person reads — the review page, the workbook, the text
table, charts, change lists — shows them through these functions instead:
labels from the record vocabularies (`peerreport/records/vocabularies.toml`),
a grouping's own label from the rule file when it is at hand, and otherwise
the code turned into words (`25_64` → "25–64", `under_25` → "Under 25").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from functools import cache

from peerreport.records.vocabulary import vocabularies
from peerreport.returns.model import PublishedCell, Return, ReturnFigure
from peerreport.returns.periods import Period

NOT_RECORDED_WORDS = "Not recorded"

#: Why a hidden cell is hidden. One reason for every hidden count: saying which
#: cells are below the threshold and which are hidden to protect them would tell
#: a reader that the latter are at least the threshold, and so narrow the former.
HIDDEN_COUNT = (
    "hidden to protect people: it is fewer than {threshold}, or a smaller figure "
    "could be worked out from it"
)
HIDDEN_DERIVED = "hidden because it is worked out from a hidden figure"
#: A min or max over few records is one record's value (returns/release.py).
HIDDEN_EXTREME = (
    "hidden to protect people: it is the smallest or largest value of fewer than "
    "{threshold} records, which is one person's own"
)

_MONTH_ABBREVIATIONS = (
    *("Jan", "Feb", "Mar", "Apr", "May", "Jun"),
    *("Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
)
_MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)


def humanise(code: str) -> str:
    """A code in words: `other_ethnicity` → "Other ethnicity", `25_64` → "25–64"."""
    text = re.sub(r"^(\d+)_(\d+)$", r"\1–\2", code)
    text = re.sub(r"^(\d+)_plus$", r"\1 and over", text)
    text = re.sub(r"^(\d+)_over$", r"\1 and over", text)
    text = re.sub(r"^under_(\d+)$", r"under \1", text)
    text = text.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else code


@cache
def _labels_by_code() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for vocabulary in vocabularies().values():
        for code in vocabulary.codes:
            found.setdefault(code, set()).add(vocabulary.label(code))
    return found


def field_label(name: str, groupings: Mapping[str, str] | None = None) -> str:
    """What a `by` field or grouping is, in words: "Delivery mode", "Ethnic group"."""
    if groupings and groupings.get(name):
        return groupings[name]
    vocabulary = vocabularies().get(name)
    if vocabulary is not None and vocabulary.title:
        return vocabulary.title
    return humanise(name)


def category_label(field: str, code: str | None) -> str:
    """One category of a `by` field in words ("In person", "Māori", "25–64")."""
    if code is None:
        return NOT_RECORDED_WORDS
    vocabulary = vocabularies().get(field)
    if vocabulary is not None and code in vocabulary.codes:
        return vocabulary.label(code)
    labels = _labels_by_code().get(code, set())
    if len(labels) == 1:
        return next(iter(labels))
    return humanise(code)


def cell_words(figure: ReturnFigure, cell: PublishedCell) -> str:
    """A cell of a figure in words: "total", or "In person · Māori"."""
    if not cell.key:
        return "total"
    return " · ".join(
        category_label(field, code) for field, code in zip(figure.by, cell.key, strict=False)
    )


def by_words(fields: Sequence[str], groupings: Mapping[str, str] | None = None) -> str:
    """The `by` fields in words, lower case: "delivery mode and ethnic group"."""
    words = [_lower_first(field_label(f, groupings)) for f in fields]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def heading(figure: ReturnFigure, groupings: Mapping[str, str] | None = None) -> str:
    """A breakdown's heading, "Attendances by delivery mode", never "... by X by X"."""
    label = figure.label
    if not figure.by or re.search(r"\bby\b", label, re.IGNORECASE):
        return label
    return f"{label} by {by_words(figure.by, groupings)}"


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1].islower():
        return text[:1].lower() + text[1:]
    return text


def period_words(period: Period) -> str:
    """A period in words: "July to September 2026", "April 2026", "1 July 2026 to 3 March 2027"."""
    start, end = period.start, period.end
    whole_months = start.day == 1 and (end + dt.timedelta(days=1)).day == 1
    if not whole_months:
        return f"{_day(start)} to {_day(end)}"
    first, last = _MONTHS[start.month - 1], _MONTHS[end.month - 1]
    if (start.year, start.month) == (end.year, end.month):
        return f"{first} {start.year}"
    if start.year == end.year:
        return f"{first} to {last} {end.year}"
    return f"{first} {start.year} to {last} {end.year}"


def period_short(period: Period) -> str:
    """A period for a chart's axis: "Jul–Sep 2026", "Apr 2026"."""
    start, end = period.start, period.end
    first, last = _MONTH_ABBREVIATIONS[start.month - 1], _MONTH_ABBREVIATIONS[end.month - 1]
    if (start.year, start.month) == (end.year, end.month):
        return f"{first} {start.year}"
    if start.year == end.year:
        return f"{first}–{last} {end.year}"
    return f"{first} {start.year}–{last} {end.year}"


def _day(day: dt.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def hidden_reason(
    ret: Return, derived: bool = False, extreme: bool = False, cell: PublishedCell | None = None
) -> str:
    """Why a hidden cell is hidden, in words (`derived`: a figure worked out from others;
    `extreme`: a min or max).

    A cell the audit of everything released hid carries its own reason (`note`).
    """
    if cell is not None and cell.note:
        return cell.note
    if derived:
        return HIDDEN_DERIVED
    threshold = ret.disclosure.get("threshold") or "the threshold"
    return (HIDDEN_EXTREME if extreme else HIDDEN_COUNT).format(threshold=threshold)


def hidden_reason_of(ret: Return, figure: ReturnFigure, cell: PublishedCell | None = None) -> str:
    """Why a hidden cell of `figure` is hidden: its own note, else by the kind of figure."""
    return hidden_reason(ret, figure.kind == "expr", figure.kind in ("min", "max"), cell)
