"""What every renderer shows the same way: figure rows, the cover, findings, disclosure.

The CSV, the workbooks and the HTML page all read a `Return` through these
functions, so a suppressed cell shows the same symbol, a status the same words
and a breakdown cell the same codes everywhere. Nothing here formats for one
file type; nothing here queries anything.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from peerreport.findings import Finding
from peerreport.render.words import by_words, cell_words, hidden_reason_of, period_words
from peerreport.returns.model import (
    NOT_COLLECTED,
    SUPPRESSED,
    Published,
    PublishedCell,
    Return,
    ReturnFigure,
)

#: Written in a breakdown cell's codes for "not recorded". (Rule files write '-' in keys,
#: as fixtures do; outputs spell it out, since a cell starting with '-' reads as a formula.)
NOT_RECORDED = "(not recorded)"
DRAFT_BANNER = "DRAFT — not for submission"
#: What a cell of a figure the organisation did not collect shows (never 0).
NOT_COLLECTED_TEXT = "not collected"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class FigureRow:
    """One published number: a figure's total or one of its breakdown cells."""

    line: str
    measure: str
    label: str
    unit: str
    breakdown: str  # the `by` fields joined with ',' ('' for a total)
    cell: str  # the cell's codes joined with ',', NOT_RECORDED for None ('' for a total)
    cell_label: str  # 'total', or the codes joined: 'phone / not recorded'
    value: Published  # None when suppressed or no value
    status: str  # exact | suppressed | rounded | not_collected
    shown: Published  # what a reader sees: the value, the disclosure symbol, 'not collected'
    breakdown_words: str = ""  # the `by` fields in words: 'delivery mode'
    cell_words: str = ""  # the cell in words: 'total', 'In person · Māori'
    hidden_reason: str = ""  # why it is hidden, in words ('' when shown)

    @property
    def is_total(self) -> bool:
        """True for a figure's total."""
        return not self.cell_label or self.cell_label == "total"


def symbol(ret: Return) -> str:
    """What a suppressed cell shows (the rule file's disclosure symbol)."""
    return str(ret.disclosure.get("symbol") or "S")


def shown(cell: PublishedCell, ret: Return) -> Published:
    """What a reader sees in a cell: the published value, the symbol when suppressed, or
    'not collected'."""
    if cell.status == NOT_COLLECTED:
        return NOT_COLLECTED_TEXT
    return symbol(ret) if cell.status == SUPPRESSED else cell.value


def cell_codes(cell: PublishedCell) -> str:
    """The cell's codes joined with ',' (NOT_RECORDED for None); '' for a total."""
    return ",".join(NOT_RECORDED if k is None else k for k in cell.key)


def figure_rows(ret: Return) -> list[FigureRow]:
    """Every published number of the return, figure by figure: the total, then its cells."""
    rows: list[FigureRow] = []
    for figure in ret.figures:
        for cell in (figure.total, *figure.cells):
            rows.append(_row(ret, figure, cell))
    return rows


def _row(ret: Return, figure: ReturnFigure, cell: PublishedCell) -> FigureRow:
    total = not cell.key
    return FigureRow(
        line=figure.line,
        measure=figure.id,
        label=figure.label,
        unit=figure.unit,
        breakdown="" if total else ",".join(figure.by),
        cell=cell_codes(cell),
        cell_label=cell.label(),
        value=cell.value,
        status=cell.status,
        shown=shown(cell, ret),
        breakdown_words="" if total else _capital(by_words(figure.by)),
        cell_words=cell_words(figure, cell),
        hidden_reason=(hidden_reason_of(ret, figure, cell) if cell.status == SUPPRESSED else ""),
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def return_status(ret: Return, draft: bool) -> str:
    """'ready', 'has errors', or 'DRAFT' (with '(has errors)' when it has them)."""
    if draft:
        return "DRAFT (has errors)" if ret.has_errors else "DRAFT"
    return "has errors" if ret.has_errors else "ready"


def disclosure_text(ret: Return) -> str:
    """The disclosure policy in one sentence, for a cover sheet or a legend."""
    policy = ret.disclosure
    method = str(policy.get("method", "none"))
    threshold = policy.get("threshold")
    if method == "suppress":
        text = f"counts below {threshold} are suppressed and shown as {symbol(ret)!r}"
        if policy.get("secondary"):
            text += ", with secondary suppression so they cannot be worked out from totals"
    elif method == "rr3":
        text = "counts are randomly rounded to base 3"
    elif method == "graduated":
        text = "counts are randomly rounded (Stats NZ graduated random rounding)"
    else:
        return "none: figures are published as computed"
    if policy.get("zero_exempt") and method == "suppress":
        text += "; zeros are published as 0"
    return f"{method}: {text}"


def period_text(ret: Return) -> str:
    """'July to September 2026 (FY2027-Q1)'."""
    words = period_words(ret.period)
    return words if words == ret.period.label else f"{words} ({ret.period.label})"


_MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)


def long_date(day: dt.date) -> str:
    """'20 October 2026' (English month names, whatever the locale)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def due_text(ret: Return) -> str:
    """'20 October 2026', when the return is due; '' when its rule file sets no due date."""
    return long_date(ret.due) if ret.due is not None else ""


def due_in_words(ret: Return, today: dt.date) -> str:
    """When the return is due, counted from `today`, or from its submission once filed.

    '20 October 2026 (12 days from today)', '(today)', '(overdue by 3 days)';
    filed: '20 October 2026 (submitted on time)', '(submitted 2 days late)'.
    '' when its rule file sets no due date. For what a person reads now (the
    command line), never for files: those must not change from day to day.
    """
    due = ret.due
    if due is None:
        return ""
    if ret.filing is not None:
        submitted = dt.datetime.fromisoformat(ret.filing.submitted_at).astimezone(dt.UTC).date()
        late = (submitted - due).days
        return f"{long_date(due)} (submitted {_days(late) + ' late' if late > 0 else 'on time'})"
    days = (due - today).days
    if days == 0:
        when = "today"
    elif days > 0:
        when = f"{_days(days)} from today"
    else:
        when = f"overdue by {_days(-days)}"
    return f"{long_date(due)} ({when})"


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def filing_text(ret: Return) -> str:
    """How the return was filed, in words: the version, what it amends and why, lateness.

    'Not yet submitted: a review copy', 'Version 1, submitted 29 November 2026',
    'Version 2, amends version 1, submitted 3 December 2026 (late)'.
    """
    filing = ret.filing
    if filing is None:
        return "Not yet submitted: a review copy"
    when = dt.datetime.fromisoformat(filing.submitted_at).date()
    text = f"Version {filing.version}"
    if filing.amends_version is not None:
        text += f", amends version {filing.amends_version}"
    text += f", submitted {long_date(when)}"
    return text + (" (late)" if filing.late else "")


def amendment_text(ret: Return) -> str:
    """'Version 2 amends version 1: REASON. 3 figures changed.' ('' unless an amendment)."""
    filing = ret.filing
    if filing is None or filing.amends_version is None:
        return ""
    count = len(filing.changes)
    changed = (
        "no published figure changed"
        if not count
        else f"{count} published figure{'s' if count != 1 else ''} changed"
    )
    return (
        f"Version {filing.version} amends version {filing.amends_version}: "
        f"{filing.reason}. {changed[0].upper()}{changed[1:]}."
    )


def change_rows(ret: Return) -> list[tuple[str, str, str, str]]:
    """An amendment's changed figures: (figure, cell in words, before, after), in order."""
    if ret.filing is None:
        return []
    words: dict[tuple[str, str], str] = {
        (f.id, c.label()): cell_words(f, c) for f in ret.figures for c in f.cells
    }
    return [
        (
            c.label or c.measure,
            "" if c.cell == "total" else words.get((c.measure, c.cell), c.cell),
            c.before,
            c.after,
        )
        for c in ret.filing.changes
    ]


def previous_values(ret: Return) -> dict[tuple[str, str], str]:
    """(measure, cell label or 'total') -> the value the amended version published."""
    if ret.filing is None:
        return {}
    return {(c.measure, c.cell): c.before for c in ret.filing.changes}


def cover_fields(ret: Return, draft: bool) -> list[tuple[str, str | dt.date]]:
    """The cover of a return: (label, value) pairs, in reading order."""
    rule = ret.rule
    counts = ", ".join(f"{k} {v}" for k, v in sorted(ret.record_counts.items()))
    amendment = [("Amendment", amendment_text(ret))] if amendment_text(ret) else []
    return [
        ("Organisation", ret.organisation_name),
        ("Provider code", ret.organisation),
        *([("Contact role", ret.contact_role)] if ret.contact_role else []),
        ("Return", rule.title),
        ("Funder", rule.funder),
        ("Service specification", rule.spec),
        ("Purchase units", ", ".join(rule.purchase_units)),
        ("Rule file", rule.id),
        ("Rule file version", rule.version),
        ("Rule file digest", rule.digest),
        ("Period", ret.period.label),
        ("Period start", ret.period.start),
        ("Period end", ret.period.end),
        ("Due", ret.due if ret.due is not None else ""),
        ("Status", return_status(ret, draft)),
        ("Filing", filing_text(ret)),
        *amendment,
        ("Disclosure control", disclosure_text(ret)),
        ("Records digest", ret.records_digest),
        ("Records", counts),
        ("Tool version", f"peerreport {ret.tool_version}"),
    ]


def finding_row(finding: Finding, ret: Return | None = None) -> tuple[str, str, str, str, str]:
    """severity, code, message, hint, where (in words)."""
    return (
        finding.severity.value,
        finding.code,
        finding.message,
        finding.hint,
        place_words(finding, ret),
    )


_RULE_KEY = re.compile(r"^\w+\[\d+\]")


def place_words(finding: Finding, ret: Return | None = None) -> str:
    """Where a finding points, in words: 'figure "Drop-in sessions" (PSA7), In person'.

    Rule-file keys such as `check[0]` and paths of rule files mean nothing to a
    coordinator reading a return: they are left out (the finding's code names
    the check).
    """
    location = finding.location
    if location.measure:
        figure = next((f for f in ret.figures if f.id == location.measure), None) if ret else None
        if figure is None:
            return f'figure "{location.measure}"'
        text = f'figure "{figure.label}"' + (f" ({figure.line})" if figure.line else "")
        if location.cell:
            codes = [c.split("=", 1)[-1] for c in location.cell.split(",")]
            key = tuple(None if c in ("-", "") else c for c in codes)
            cell = next((c for c in figure.cells if c.key == key), None)
            text += f", {cell_words(figure, cell) if cell else location.cell}"
        return text
    parts: list[str] = []
    if location.file and not location.file.endswith(".toml") and not location.file.startswith("<"):
        parts.append(location.file)
    if location.row is not None:
        parts.append(f"row {location.row}")
    if location.column is not None:
        parts.append(f'column "{location.column}"')
    if location.key and not _RULE_KEY.match(location.key):
        parts.append(location.key)
    return ", ".join(parts)


def as_date(value: Published) -> dt.date | None:
    """A published ISO date (min/max of a date) as a date; None for anything else."""
    if isinstance(value, str) and _DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def error_codes(ret: Return) -> list[str]:
    """The distinct codes of the return's error findings, in order."""
    return list(dict.fromkeys(f.code for f in ret.findings if f.severity.value == "error"))


def summary_text(ret: Return, limit: int = 4) -> str:
    """The return in two plain sentences, for the top of the review page.

    'In July to September 2026, Harbour Peer Collective recorded 714 direct
    activities delivered, 2,130 attendances at direct activities, ... It is due
    on 20 October 2026, and every check passed.' Only figures that are published
    (never a hidden one) and not zero are named.
    """
    from peerreport.render.charts import number_text

    named: list[str] = []
    for figure in ret.figures:
        total = figure.total
        if figure.kind not in ("count", "sum", "distinct") or total.status == SUPPRESSED:
            continue
        if not isinstance(total.value, int | float) or isinstance(total.value, bool):
            continue
        if not total.value:
            continue
        label = re.sub(r",\s*by\b.*$", "", figure.label).strip()
        label = label[:1].lower() + label[1:] if label[1:2].islower() else label
        about = "about " if total.status == "rounded" else ""
        named.append(f"{about}{number_text(total.value)} {label}")
        if len(named) == limit:
            break
    period = period_words(ret.period)
    if named:
        listed = ", ".join(named[:-1]) + (" and " if len(named) > 1 else "") + named[-1]
        first = f"In {period}, {ret.organisation_name} recorded {listed}."
    else:
        first = f"In {period}, {ret.organisation_name} recorded no activity this return counts."
    errors = sum(1 for f in ret.findings if f.severity.value == "error")
    checks = (
        f"there {'is 1 error' if errors == 1 else f'are {errors} errors'} to fix before it "
        "can be submitted"
        if errors
        else "every check passed"
        if not ret.findings
        else "no check found an error"
    )
    due = (
        f"It is due on {long_date(ret.due)}, and {checks}."
        if ret.due
        else f"{checks[:1].upper()}{checks[1:]}."
    )
    return f"{first} {due}"
