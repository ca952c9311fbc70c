"""Earlier periods of the same return, built from the records, for comparison charts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from peerreport.returns.build import build_return, record_counts
from peerreport.returns.model import Return
from peerreport.returns.periods import Period, parse_period
from peerreport.rulebook.compiled import RuleFile

_STEP = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}


def earlier_period(period: Period, months: int) -> Period:
    """The period of the same length that ends just before `period` starts."""
    end = period.start - dt.timedelta(days=1)
    index = period.start.year * 12 + period.start.month - 1 - months
    start = dt.date(index // 12, index % 12 + 1, 1)
    return parse_period(f"{start.isoformat()}..{end.isoformat()}")


def history(
    engine: Engine,
    org: str,
    org_name: str,
    rule_file: RuleFile,
    period: Period,
    count: int = 4,
    as_of: int | None = None,
) -> list[Return]:
    """Up to `count` earlier periods that have any records, oldest first.

    `as_of` is the records revision (default: the newest), so a return rebuilt as of its
    revision compares with the same earlier figures as when it was built.
    """
    months = _STEP.get(period.kind)
    if months is None:
        return []
    found: list[Return] = []
    current = period
    for _ in range(count):
        current = earlier_period(current, months)
        # The true record counts: a built return releases them protected (or not at all).
        with engine.connect() as conn:
            counts = record_counts(conn, org, current.start, current.end, as_of)
            if not any(counts.values()):
                break
        found.append(
            build_return(engine, org, org_name, rule_file, current, as_of, figures_only=True)
        )
    return list(reversed(found))
