"""Due dates: when a period's return is due, from the rule file's `[due]`.

    from peerreport.returns.due import due_date, overdue

    due_date(rule_file, period)  # datetime.date(2026, 10, 20), or None
    overdue(due_date(rule_file, period), today)  # not received by then: late

`[due]` says either "the 20th of the month after the period ends"
(`day = 20`, `months_after = 1`) or "30 days after the period ends"
(`days_after_end = 30`). Both count from the period's last day, so a custom
period (`2026-07-01..2026-08-15`) gets a due date as a quarter does. A day
past the end of a shorter month is that month's last day (`day = 31` in
February is the 28th or 29th). A rule file without `[due]` has no due date:
`due_date` returns None and callers decide what that means (collation, for
one, assumes the 20th of the month after).
"""

from __future__ import annotations

import calendar
import datetime as dt

from peerreport.returns.periods import Period
from peerreport.rulebook.compiled import RuleFile
from peerreport.rulebook.model import Due, RuleFileModel


def due_date(rules: RuleFile | RuleFileModel | Due | None, period: Period) -> dt.date | None:
    """The date `period`'s return is due under `rules`; None when the rules set no due date.

    `rules` is a loaded rule file (`peerreport.rulebook.load`), a resolved
    model (`RuleFile.model`, `resolve(...).model`), or a `[due]` table itself.
    Pass a resolved one: an unresolved child's model lacks an inherited `[due]`.
    """
    due = rules if isinstance(rules, Due) or rules is None else rules.due
    if due is None:
        return None
    if due.days_after_end is not None:
        return period.end + dt.timedelta(days=due.days_after_end)
    assert due.day is not None  # the model allows no other form
    index = period.end.year * 12 + period.end.month - 1 + (due.months_after or 0)
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(due.day, calendar.monthrange(year, month)[1]))


def overdue(due: dt.date | None, today: dt.date) -> bool:
    """Whether a return due on `due` and not received is overdue on `today` (never without one)."""
    return due is not None and due < today
