"""`peerreport build`'s text: when the return is due, counted from today or its submission."""

from __future__ import annotations

import datetime as dt

import pytest

from peerreport.render.text import render_text
from peerreport.returns.model import Filing
from tests.render.sample import sample_return

DUE = dt.date(2026, 10, 20)


@pytest.mark.parametrize(
    ("today", "words"),
    [
        (dt.date(2026, 10, 8), "Due: 20 October 2026 (12 days from today)"),
        (dt.date(2026, 10, 19), "Due: 20 October 2026 (1 day from today)"),
        (dt.date(2026, 10, 20), "Due: 20 October 2026 (today)"),
        (dt.date(2026, 10, 21), "Due: 20 October 2026 (overdue by 1 day)"),
        (dt.date(2027, 1, 2), "Due: 20 October 2026 (overdue by 74 days)"),
    ],
)
def test_due_line_counts_from_today(today: dt.date, words: str) -> None:
    lines = render_text(sample_return(due=DUE), today=today).splitlines()
    assert lines[2] == words  # right under the period
    assert "2026-07-01 to 2026-09-30" in lines[1]


def test_no_due_line_without_a_due_date() -> None:
    text = render_text(sample_return(due=None), today=DUE)
    assert "Due:" not in text


@pytest.mark.parametrize(
    ("submitted_at", "words"),
    [
        ("2026-10-18T03:00:00+00:00", "(submitted on time)"),
        ("2026-10-20T23:59:00+00:00", "(submitted on time)"),
        ("2026-10-23T01:00:00+00:00", "(submitted 3 days late)"),
    ],
)
def test_a_filed_return_is_judged_by_its_submission_not_today(
    submitted_at: str, words: str
) -> None:
    filed = sample_return(due=DUE).filed(Filing(version=1, submitted_at=submitted_at))
    text = render_text(filed, today=dt.date(2027, 6, 1))
    assert f"Due: 20 October 2026 {words}" in text
    assert "overdue" not in text
