"""`due_date`: each form of `[due]`, year ends, February, custom periods, what it accepts."""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peerreport.returns.due import due_date
from peerreport.returns.periods import Period, parse_period
from peerreport.rulebook import Catalogue, load
from peerreport.rulebook.model import Due

D = dt.date
TWENTIETH = Due(day=20, months_after=1)


@pytest.mark.parametrize(
    ("period", "due"),
    [
        ("FY2027-Q1", D(2026, 10, 20)),
        ("FY2027-Q2", D(2027, 1, 20)),  # a quarter ending in December: due in the new year
        ("FY2027-Q3", D(2027, 4, 20)),
        ("FY2027-Q4", D(2027, 7, 20)),
        ("2026-12", D(2027, 1, 20)),
        ("FY2027", D(2027, 7, 20)),
        ("2026-07-01..2026-08-15", D(2026, 9, 20)),  # custom: from its own last day
    ],
)
def test_the_20th_of_the_month_after(period: str, due: dt.date) -> None:
    assert due_date(TWENTIETH, parse_period(period)) == due


@pytest.mark.parametrize(
    ("rule", "period", "due"),
    [
        (Due(day=30), "2027-01", D(2027, 2, 28)),  # clamped to February's last day
        (Due(day=30), "2028-01", D(2028, 2, 29)),  # a leap year
        (Due(day=31), "2026-Q3", D(2026, 10, 31)),
        (Due(day=31), "2026-10", D(2026, 11, 30)),
        (Due(day=29), "2100-01", D(2100, 2, 28)),  # 2100 is not a leap year
        (Due(day=31, months_after=0), "2027-02", D(2027, 2, 28)),  # the period's last day
        (Due(day=15, months_after=0), "2026-07-01..2026-07-10", D(2026, 7, 15)),
        (Due(day=20, months_after=2), "FY2027-Q2", D(2027, 2, 20)),
        (Due(day=1, months_after=13), "2026-11", D(2027, 12, 1)),
        (Due(day=10, months_after=24), "2026-12", D(2028, 12, 10)),
    ],
)
def test_day_form_clamps_and_crosses_years(rule: Due, period: str, due: dt.date) -> None:
    assert due_date(rule, parse_period(period)) == due


@pytest.mark.parametrize(
    ("days", "period", "due"),
    [
        (30, "2026-H1", D(2026, 7, 30)),
        (30, "2026-H2", D(2027, 1, 30)),  # across the year end
        (30, "2027-01", D(2027, 3, 2)),  # 31 January + 30 days, not a leap year
        (30, "2028-01", D(2028, 3, 1)),  # a leap year
        (0, "2026-Q3", D(2026, 9, 30)),
        (1, "2026-12", D(2027, 1, 1)),
        (14, "2026-07-01..2026-07-10", D(2026, 7, 24)),
    ],
)
def test_days_after_end(days: int, period: str, due: dt.date) -> None:
    assert due_date(Due(days_after_end=days), parse_period(period, "01-01")) == due


def test_accepts_a_rule_file_its_model_a_due_table_or_nothing(tmp_path: Path) -> None:
    (tmp_path / "base.toml").write_text(
        'id = "base"\ntitle = "B"\nversion = "1"\n[due]\nday = 20\n', "utf-8"
    )
    (tmp_path / "child.toml").write_text(
        'id = "child"\ntitle = "C"\nversion = "1"\nextends = ["base"]\n', "utf-8"
    )
    (tmp_path / "none.toml").write_text('id = "none"\ntitle = "N"\nversion = "1"\n', "utf-8")
    period = parse_period("FY2027-Q1")
    child = load(tmp_path / "child.toml", Catalogue([tmp_path]))
    assert due_date(child, period) == D(2026, 10, 20)  # inherited
    assert due_date(child.model, period) == D(2026, 10, 20)
    assert due_date(child.due, period) == D(2026, 10, 20)
    assert due_date(load(tmp_path / "none.toml", Catalogue([tmp_path])), period) is None
    assert due_date(None, period) is None


def test_shipped_returns() -> None:
    q1 = parse_period("FY2027-Q1")
    assert due_date(load("nz-peer-support-adults"), q1) == D(2026, 10, 20)
    assert due_date(load("example-regional-peer-support"), q1) == D(2026, 10, 20)
    au = load("au-community-sessions")
    assert due_date(au, parse_period("2026-H1", "01-01")) == D(2026, 7, 30)
    assert due_date(au, parse_period("2026-H2", "01-01")) == D(2027, 1, 30)
    assert due_date(load("peer-values"), q1) is None


@given(
    end=st.dates(D(1990, 1, 1), D(2200, 12, 31)),
    day=st.integers(1, 31),
    months=st.integers(0, 24),
)
def test_day_form_is_that_month_and_never_past_its_end(end: dt.date, day: int, months: int) -> None:
    due = due_date(Due(day=day, months_after=months), Period(end, end, "x", "custom"))
    assert due is not None
    assert (due.year * 12 + due.month) - (end.year * 12 + end.month) == months
    assert due.day == min(day, calendar.monthrange(due.year, due.month)[1])
