"""Small organisations filing two or three shipped quarterly returns of one quarter.

Every shipped quarterly rule file hides small counts (`suppress`), so the audit of
everything released can always make a return safe (hiding its zeros too when the
reader's "a hidden cell is at least 1" would give one away): none is refused with
RET-041. The independent attacker (tests/disclosure/attacker.py, which reads
each return's own `disclosure.zero_exempt`) narrows no hidden cell except those
a return's RET-042 warning named (figures the returns filed before had already
given away, which nothing later can undo).
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from peerreport.filing import file_return
from peerreport.returns.build import build_return
from peerreport.returns.model import Return
from peerreport.returns.periods import parse_period
from peerreport.rulebook import RuleFile, load
from tests.bundle.sample import ORG_NAME, store
from tests.disclosure.attacker import attack
from tests.disclosure.test_release import (
    SHIPPED_QUARTERLY,
    disclosed_before,
    small_activity,
    words,
)

_examples = itertools.count()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    idents=st.lists(st.sampled_from(SHIPPED_QUARTERLY), min_size=2, max_size=3, unique=True),
    activities=st.lists(small_activity, min_size=1, max_size=20),
)
def test_overlapping_shipped_returns_are_never_refused_and_give_nothing_new_away(
    engine: Engine, tmp_path: Path, idents: list[str], activities: list[dict[str, Any]]
) -> None:
    org = f"ZRO{next(_examples):04d}"
    rows = [
        {
            "activity_id": f"X-{i}",
            "date": (dt.date(2026, 7, 1) + dt.timedelta(days=a["day"])).isoformat(),
            **{k: v for k, v in a.items() if k != "day"},
        }
        for i, a in enumerate(activities)
    ]
    store(engine, rows, org)
    released: list[tuple[Return, RuleFile]] = []
    given_away: set[tuple[int, str]] = set()
    for ident in idents:
        rule_file = load(ident)
        assert rule_file.disclosure.method == "suppress"
        ret = build_return(engine, org, ORG_NAME, rule_file, parse_period("FY2027-Q1"))
        assert "RET-041" not in {f.code for f in ret.findings}
        relaxed = any(f.code == "RET-043" for f in ret.findings)
        assert ret.disclosure["zero_exempt"] is (not relaxed)
        if ret.has_errors:  # a rule file's own check (missing fields), not the audit
            continue
        given_away |= disclosed_before(len(released), ret)
        filed = file_return(engine, ret, rule_file, tmp_path / org, formats=("json",)).ret
        released.append((filed, rule_file))
    for n in attack(engine, org, released):
        assert (n.release, words(released[n.release][0], n.measure, n.key)) in given_away, n
