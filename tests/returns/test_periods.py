"""Periods: the names coordinators and funders use, and which ones fit a return."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peerreport.errors import UsageError
from peerreport.returns.periods import check_fits, fits, parse_period

D = dt.date


@pytest.mark.parametrize(
    ("text", "year_start", "start", "end", "kind"),
    [
        ("2026-Q3", "07-01", D(2026, 7, 1), D(2026, 9, 30), "quarter"),
        ("FY2027-Q1", "07-01", D(2026, 7, 1), D(2026, 9, 30), "quarter"),
        ("FY2027-Q3", "07-01", D(2027, 1, 1), D(2027, 3, 31), "quarter"),
        ("fy2027-q4", "07-01", D(2027, 4, 1), D(2027, 6, 30), "quarter"),
        ("2026-08", "07-01", D(2026, 8, 1), D(2026, 8, 31), "month"),
        ("2024-02", "07-01", D(2024, 2, 1), D(2024, 2, 29), "month"),
        ("FY2027-H1", "07-01", D(2026, 7, 1), D(2026, 12, 31), "half-year"),
        ("FY2027-H2", "07-01", D(2027, 1, 1), D(2027, 6, 30), "half-year"),
        ("FY2027", "07-01", D(2026, 7, 1), D(2027, 6, 30), "year"),
        ("FY2026", "01-01", D(2026, 1, 1), D(2026, 12, 31), "year"),
        ("2026-H2", "07-01", D(2026, 7, 1), D(2026, 12, 31), "half-year"),
        ("2026-07-01..2026-09-30", "07-01", D(2026, 7, 1), D(2026, 9, 30), "quarter"),
        ("2026-07-03..2026-07-09", "07-01", D(2026, 7, 3), D(2026, 7, 9), "custom"),
    ],
)
def test_period_names(text: str, year_start: str, start: dt.date, end: dt.date, kind: str) -> None:
    period = parse_period(text, year_start)
    assert (period.start, period.end, period.kind) == (start, end, kind)


@pytest.mark.parametrize(
    "text",
    ["2026-Q5", "FY27-Q1", "2026-13", "Q3", "2026-09-30..2026-07-01", "2026-02-30..2026-03-31", ""],
)
def test_not_a_period_says_what_would_be(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_period(text)
    assert "2026" in str(caught.value)


def test_a_period_that_does_not_fit_says_what_would() -> None:
    with pytest.raises(UsageError, match=r"quarter containing 2026-08-01 is FY2027-Q1"):
        check_fits(parse_period("2026-08"), "quarter", "07-01")
    with pytest.raises(UsageError, match=r"half-year containing 2026-04-01 is 2026-H1"):
        check_fits(parse_period("2026-Q2"), "half-year", "01-01")
    assert fits(parse_period("2026-Q3"), "quarter", "07-01")
    assert not fits(parse_period("2026-08-01..2026-10-31"), "quarter", "07-01")


@given(fy=st.integers(2000, 2100), quarter=st.integers(1, 4))
def test_financial_quarters_tile_the_year(fy: int, quarter: int) -> None:
    period = parse_period(f"FY{fy}-Q{quarter}", "07-01")
    year = parse_period(f"FY{fy}", "07-01")
    assert year.start <= period.start <= period.end <= year.end
    assert fits(period, "quarter", "07-01")
    if quarter < 4:
        following = parse_period(f"FY{fy}-Q{quarter + 1}", "07-01")
        assert following.start == period.end + dt.timedelta(days=1)
