"""Out-of-hours figures from start times, on every database: a call without a start time is
"not recorded", never silently out of hours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine

from peerreport.compute import evaluate
from peerreport.rulebook import RuleFile
from tests.compute.conftest import ORG, activity

Q1 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
RULES = """
[grouping.band]
field = "start_time"
[grouping.band.map]
night = ["00:00-07:00", "21:00-24:00"]
day = ["07:00-17:00"]
evening = ["17:00-21:00"]

[[measure]]
id = "by_band"
count = "activity"
by = ["band"]

[[measure]]
id = "out_of_hours"
count = "activity"
where = "weekday(date) >= 6 or start_time < time('09:00') or start_time >= time('17:00')"

[[measure]]
id = "evening_hours"
count = "activity"
where = "hour(start_time) between 17 and 20"

[[measure]]
id = "no_time"
count = "activity"
where = "start_time is null"
"""


def test_bands_and_out_of_hours(
    engine: Engine, rule_file: Callable[[str], RuleFile], store: Callable[..., None]
) -> None:
    rules = rule_file(RULES)
    monday, saturday = "2026-07-06", "2026-07-11"
    store(
        activities=[
            activity("A", monday, start_time="06:59"),  # night, out of hours
            activity("B", monday, start_time="07:00"),  # day band, but before 09:00: out
            activity("C", monday, start_time="16:59"),  # day band, in hours
            activity("D", monday, start_time="17:00"),  # evening, out of hours
            activity("E", monday, start_time="23:59"),  # night, out of hours
            activity("F", monday),  # not recorded: in no band, not out of hours
            activity("G", saturday),  # not recorded, but a Saturday: out of hours
            activity("H", saturday, start_time="12:00"),  # day band, out of hours
        ]
    )
    figures = evaluate(engine, ORG, rules, *Q1).figures
    cells = {c.label(): c.value for c in figures["by_band"].cells}
    assert cells == {"night": 2, "day": 3, "evening": 1, "-": 2}
    # A, B (07:00 is before 09:00), D, E, and both Saturday calls; never F.
    assert figures["out_of_hours"].value == 6
    assert figures["evening_hours"].value == 1
    assert figures["no_time"].value == 2
