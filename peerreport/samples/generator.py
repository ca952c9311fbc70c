"""A deterministic generator of synthetic records for a fictional peer-run organisation.

Weekly peer groups with seasonal attendance (quieter over the summer holidays),
a weekday drop-in centre, a warm line open from the morning into the late
evening, individual and systemic advocacy, education sessions and community
events; quarterly workforce entries and anonymous feedback tallies. Everything
is invented: no real person, and no place where a real person could be found.

Peer support (groups, the drop-in) is delivered under the NZ purchase units
the shipped rule files know: the youth group under MHCI37F, the rest under
MHC36F; the other work carries none (its specifications have no code), and
the peer support workers are two workforce entries, one per purchase unit.
Activities record people linked to community resources, resources given out
and, for calls, missed calls; a quarter of group sessions have Aboriginal and
Torres Strait Islander status and CALD breakdowns, for the Australian returns,
and a tenth of them attendance by ethnic group and age band (cross-tabulated
counts, rows with a second dimension).

The same seed always gives the same rows. Rows are produced one at a time, so
any number can be written without holding them in memory. Past about a
year's worth of activity, the organisation grows more sites rather than
running for centuries. What was added after the first release (purchase
units, the new fields, calls in office hours, the Australian breakdowns, the
cross-tabulated counts) is drawn from streams of its own, so every value the
generator made before is made the same; new rows follow an activity's others.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

ORGANISATION = "Kōwhai Peer Collective"  # fictional
PROVIDER_CODE = "KPC001"

Row = dict[str, Any]

GROUPS = [
    # (group name, weekday 0=Mon, start, topic, population focus, programme)
    (
        "Tuesday evening group",
        1,
        dt.time(18, 0),
        "Sharing and connection",
        "general",
        "Peer support groups",
    ),
    (
        "Hearing voices group",
        2,
        dt.time(13, 0),
        "Hearing Voices Network approach",
        "general",
        "Peer support groups",
    ),
    (
        "Rangatahi kōrero",
        3,
        dt.time(16, 0),
        "Rangatahi peer support",
        "youth",
        "Youth peer support",
    ),
    (
        "Pasifika talanoa",
        4,
        dt.time(11, 0),
        "Talanoa and wellbeing",
        "pacific",
        "Peer support groups",
    ),
    (
        "Rainbow peer group",
        0,
        dt.time(18, 30),
        "Rainbow peer support",
        "rainbow",
        "Peer support groups",
    ),
    (
        "Whānau and carers circle",
        5,
        dt.time(10, 0),
        "Supporting someone you love",
        "whanau_carers",
        "Whānau support",
    ),
]
TOPICS_EXTRA = [
    "Sleep and wellbeing",
    "Recovery stories",
    "Planning for hard days",
    "Hope and belonging",
    "Creative session",
    "Kai and kōrero",
]
TOKEN_WORDS = [
    "kereru",
    "tui",
    "piwakawaka",
    "kotuku",
    "ruru",
    "kaka",
    "weka",
    "titi",
    "hoiho",
    "pukeko",
    "kea",
    "toroa",
]
ROLES = [
    "peer_support_worker",
    "consumer_advisor",
    "advocate",
    "educator",
    "supervisor",
    "coordinator",
]
QUESTIONS = ["I feel more hopeful", "I feel I belong here"]
#: The purchase units the sample's peer support is delivered under (rules/nz-peer-support-*).
ADULTS_UNIT = "MHC36F"
YOUTH_UNIT = "MHCI37F"
#: Aboriginal and Torres Strait Islander status (ABS categories) and CALD background shares.
INDIGENOUS_SHARE = [
    ("neither", 0.86),
    ("aboriginal", 0.05),
    ("torres_strait_islander", 0.01),
    ("both", 0.01),
    ("not_stated", 0.07),
]
CALD_SHARE = [("not_cald", 0.7), ("cald", 0.22), ("not_stated", 0.08)]
#: The share of group sessions whose Australian breakdowns are recorded.
AU_BREAKDOWN_SHARE = 0.25
#: The share of group sessions with attendance cross-tabulated by ethnic group and age band.
CROSS_BREAKDOWN_SHARE = 0.1
AGE_SHARE = [
    ("15_24", 0.18),
    ("25_44", 0.42),
    ("45_64", 0.28),
    ("65_plus", 0.08),
    ("not_stated", 0.04),
]
ETHNICITY_SHARE = [
    ("european", 0.52),
    ("maori", 0.22),
    ("pacific", 0.10),
    ("asian", 0.09),
    ("melaa", 0.02),
    ("other", 0.02),
    ("not_stated", 0.03),
]


@dataclass(frozen=True)
class SampleSpec:
    """What to generate."""

    records: int | None  # activities; None: every activity up to `end`
    seed: int = 1
    start: dt.date = dt.date(2025, 7, 1)  # the start of an NZ financial year
    end: dt.date | None = None  # stop after this day (inclusive)


def one_year(seed: int, start: dt.date) -> SampleSpec:
    """Every activity of the year that begins on `start`."""
    end = dt.date(start.year + 1, start.month, start.day) - dt.timedelta(days=1)
    return SampleSpec(records=None, seed=seed, start=start, end=end)


def _season(day: dt.date) -> float:
    """Attendance factor: lowest over the summer holidays (late Dec-Jan), highest in winter."""
    if (day.month == 12 and day.day >= 20) or (day.month == 1 and day.day <= 20):
        return 0.55
    return 1.0 + 0.15 * math.cos((day.timetuple().tm_yday - 190) / 365 * 2 * math.pi)


def _one_site_day(
    rng: random.Random, extra: random.Random, day: dt.date, site: int
) -> Iterator[Row]:
    """The activities of one site on one day; `extra` draws what was added later."""
    suffix = "" if site == 1 else f" (site {site})"
    weekday = day.weekday()
    season = _season(day)
    for name, group_day, start, topic, focus, programme in GROUPS:
        if weekday == group_day:
            base = 4 if focus in ("youth", "pacific") else 7
            attendance = max(1, round(rng.gauss(base * season, 2)))
            # Led by members alone, co-facilitated with peer workers, or staff-led.
            leadership = rng.random()
            yield {
                "kind": "group",
                "start_time": start,
                "duration_minutes": 90,
                "programme": programme + suffix,
                "mode": "in_person",
                "setting": "community_venue" if focus == "pacific" else "own_premises",
                "group_id": name + suffix,
                "topic": rng.choice([topic, topic, *TOPICS_EXTRA]),
                "attendance": attendance,
                "first_time": min(attendance, rng.choice([0, 0, 0, 1, 2])),
                "peer_workers": 1,
                "volunteers": rng.choice([0, 1, 1, 2]),
                "member_led": leadership < 0.3,
                "co_facilitated": 0.3 <= leadership < 0.7,
                "population_focus": focus,
                "community_session": False,
                "member_tokens": _tokens(rng, attendance) if rng.random() < 0.5 else "",
                "purchase_unit": YOUTH_UNIT if focus == "youth" else ADULTS_UNIT,
                "resources_linked": min(attendance, extra.choice([0, 0, 0, 1, 1, 2])),
            }
    if weekday < 5:
        attendance = max(1, round(rng.gauss(14 * season, 4)))
        yield {
            "kind": "drop_in",
            "start_time": dt.time(10, 0),
            "duration_minutes": 300,
            "programme": "Drop-in centre" + suffix,
            "mode": "in_person",
            "setting": "own_premises",
            "attendance": attendance,
            "first_time": min(attendance, rng.choice([0, 1, 1, 2, 3])),
            "peer_workers": 2,
            "volunteers": rng.choice([1, 2, 3]),
            "population_focus": "general",
            "member_led": False,
            "co_facilitated": True,
            "community_session": False,
            "purchase_unit": ADULTS_UNIT,
            "resources_linked": min(attendance, extra.choice([0, 1, 1, 2, 3])),
            "resources_given": extra.choice([0, 2, 5]),
        }
    for _ in range(max(0, round(rng.gauss(7 if weekday >= 4 else 5, 2)))):
        hour = rng.choice([18, 19, 19, 20, 20, 21, 22])
        if extra.random() < 0.45:  # the line opens at 10: office hours too, not only evenings
            hour = extra.choice([10, 11, 12, 13, 14, 15, 16])
        yield {
            "kind": "warm_line_call",
            "start_time": dt.time(hour, rng.randrange(0, 60, 5)),
            "duration_minutes": rng.choice([5, 10, 15, 20, 30, 45]),
            "programme": "Warm line" + suffix,
            "mode": "phone",
            "setting": "remote",
            "attendance": 1,
            "first_time": 1 if rng.random() < 0.15 else 0,
            "peer_workers": 1,
            "population_focus": "general",
            "member_led": False,
            "co_facilitated": False,
            "community_session": False,
            "resources_linked": 1 if extra.random() < 0.1 else 0,
            "calls_missed": extra.choice([0, 0, 0, 0, 0, 0, 1, 1, 2]),
        }
    if weekday < 5 and rng.random() < 0.6:
        yield {
            "kind": "individual_advocacy",
            "duration_minutes": rng.choice([30, 60, 90]),
            "programme": "Advocacy" + suffix,
            "mode": rng.choice(["in_person", "phone", "video"]),
            "setting": rng.choice(["own_premises", "health_service", "remote"]),
            "attendance": 1,
            "peer_workers": 1,
            "population_focus": "general",
            "member_led": False,
            "co_facilitated": False,
            "community_session": False,
            "resources_linked": extra.choice([0, 1, 1, 1]),
        }
    if day.day in (9, 23) and weekday < 5:
        yield {
            "kind": "education",
            "start_time": dt.time(13, 0),
            "duration_minutes": 120,
            "programme": "Education" + suffix,
            "mode": "in_person",
            "setting": "community_venue",
            "topic": rng.choice(
                ["Lived experience in the workplace", "Peer support skills", "Wellbeing planning"]
            ),
            "attendance": max(1, round(rng.gauss(15, 5))),
            "peer_workers": 2,
            "population_focus": "general",
            "member_led": False,
            "co_facilitated": True,
            "community_session": False,
            "resources_given": extra.randint(5, 30),
        }
    if day.day == 15 and day.month % 2 == 0:
        yield {
            "kind": "systemic_advocacy",
            "duration_minutes": 120,
            "programme": "Advocacy" + suffix,
            "mode": "video",
            "setting": "remote",
            "topic": "Consumer voice in service planning",
            "attendance": rng.randint(4, 12),
            "peer_workers": 1,
            "population_focus": "general",
            "member_led": False,
            "co_facilitated": False,
            "community_session": False,
        }
    if day.day == 1 and day.month in (3, 10):
        yield {
            "kind": "community_event",
            "duration_minutes": 240,
            "programme": "Community" + suffix,
            "mode": "in_person",
            "setting": "outdoors",
            "topic": "Information stall at a fair",
            "attendance": rng.randint(40, 120),
            "peer_workers": 3,
            "volunteers": rng.randint(2, 5),
            "population_focus": "general",
            "member_led": True,
            "co_facilitated": False,
            "community_session": True,
            "resources_given": extra.randint(30, 150),
        }


def _tokens(rng: random.Random, attendance: int) -> str:
    chosen = rng.sample(range(len(TOKEN_WORDS) * 9), k=min(attendance, len(TOKEN_WORDS) * 9))
    return "; ".join(
        f"{TOKEN_WORDS[i % len(TOKEN_WORDS)]}{i // len(TOKEN_WORDS) + 1}" for i in chosen
    )


ACTIVITIES_PER_SITE_YEAR = 2900  # roughly what one site does in a year


def activities(spec: SampleSpec) -> Iterator[Row]:
    """`spec.records` activity rows, day by day, in order."""
    rng = random.Random(spec.seed)
    extra = random.Random(f"{spec.seed}:activities, added fields")
    limit = spec.records if spec.records is not None else math.inf
    sites = (
        1 if spec.records is None else max(1, math.ceil(spec.records / ACTIVITIES_PER_SITE_YEAR))
    )
    last_day = spec.end or dt.date.max
    emitted = 0
    day = spec.start
    prefix = {
        "group": "G",
        "drop_in": "D",
        "warm_line_call": "W",
        "individual_advocacy": "A",
        "systemic_advocacy": "S",
        "education": "E",
        "community_event": "C",
    }
    while emitted < limit and day <= last_day:
        for site in range(1, sites + 1):
            for row in _one_site_day(rng, extra, day, site):
                emitted += 1
                yield {"activity_id": f"{prefix[row['kind']]}-{emitted:07d}", "date": day, **row}
                if emitted >= limit:
                    return
        day += dt.timedelta(days=1)


def _pick(draw: float, shares: list[tuple[str, float]]) -> str:
    for code, share in shares:
        draw -= share
        if draw <= 0:
            return code
    return shares[-1][0]


def _counts(
    rng: random.Random,
    activity_id: str,
    dimension: str,
    people: int,
    shares: list[tuple[str, float]],
) -> Iterator[Row]:
    """One breakdown row per category drawn, the counts adding up to `people`."""
    counts: dict[str, int] = {}
    for _ in range(people):
        code = _pick(rng.random(), shares)
        counts[code] = counts.get(code, 0) + 1
    for code, count in counts.items():
        yield {"activity_id": activity_id, "dimension": dimension, "category": code, "count": count}


def breakdowns(spec: SampleSpec) -> Iterator[Row]:
    """Ethnicity breakdowns for group sessions, for a quarter of them Aboriginal and
    Torres Strait Islander status and CALD background, and for a tenth ethnicity by age band
    (counts that add up to the attendance)."""
    rng = random.Random(spec.seed + 1)
    australian = random.Random(f"{spec.seed}:breakdowns, Australian")
    crossed = random.Random(f"{spec.seed}:breakdowns, cross-tabulated")
    for row in activities(spec):
        if row["kind"] != "group":
            continue
        ident, people = row["activity_id"], row["attendance"]
        yield from _counts(rng, ident, "ethnicity", people, ETHNICITY_SHARE)
        if australian.random() < AU_BREAKDOWN_SHARE:
            yield from _counts(australian, ident, "indigenous_status", people, INDIGENOUS_SHARE)
            yield from _counts(australian, ident, "cald", people, CALD_SHARE)
        if crossed.random() < CROSS_BREAKDOWN_SHARE:
            yield from _cross_counts(crossed, ident, people)


def _cross_counts(rng: random.Random, activity_id: str, people: int) -> Iterator[Row]:
    """Attendance by ethnic group and age band: one row per pair drawn, adding up to `people`."""
    counts: dict[tuple[str, str], int] = {}
    for _ in range(people):
        pair = (_pick(rng.random(), ETHNICITY_SHARE), _pick(rng.random(), AGE_SHARE))
        counts[pair] = counts.get(pair, 0) + 1
    for (ethnicity, age_band), count in counts.items():
        yield {
            "activity_id": activity_id,
            "dimension": "ethnicity",
            "category": ethnicity,
            "count": count,
            "dimension2": "age_band",
            "category2": age_band,
        }


def _quarters(spec: SampleSpec) -> Iterator[tuple[dt.date, dt.date]]:
    start = spec.start
    for _ in range(4):
        month = start.month + 3
        end_start = dt.date(start.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
        yield start, end_start - dt.timedelta(days=1)
        start = end_start


def workforce(spec: SampleSpec) -> Iterator[Row]:
    """Quarterly workforce entries by role."""
    rng = random.Random(spec.seed + 2)
    fte = {
        "peer_support_worker": 4.2,
        "consumer_advisor": 0.8,
        "advocate": 1.0,
        "educator": 0.6,
        "supervisor": 0.5,
        "coordinator": 1.0,
    }
    youth = random.Random(f"{spec.seed}:workforce, youth")
    for start, end in _quarters(spec):
        for role in ROLES:
            peer_support = role == "peer_support_worker"
            yield {
                "period_start": start,
                "period_end": end,
                "role": role,
                "paid_fte": round(fte[role] + rng.choice([0, 0, -0.2, 0.2]), 1),
                "paid_headcount": max(1, math.ceil(fte[role] * 1.5)),
                "volunteer_count": rng.randint(0, 6) if peer_support else 0,
                "volunteer_hours": rng.randint(40, 160) if peer_support else 0,
                "supervision_hours": rng.randint(6, 24),
                "training_hours": rng.randint(4, 30),
                "purchase_unit": ADULTS_UNIT if peer_support else None,
            }
            if peer_support:
                # The youth contract's peer support workers: an entry of their own (one per
                # role, period and programme), under its purchase unit.
                yield {
                    "period_start": start,
                    "period_end": end,
                    "role": role,
                    "programme": "Youth peer support",
                    "paid_fte": youth.choice([0.8, 1.0, 1.0, 1.2]),
                    "paid_headcount": 2,
                    "volunteer_count": youth.randint(0, 3),
                    "volunteer_hours": youth.randint(10, 60),
                    "supervision_hours": youth.randint(4, 12),
                    "training_hours": youth.randint(2, 16),
                    "purchase_unit": YOUTH_UNIT,
                }


def feedback(spec: SampleSpec) -> Iterator[Row]:
    """Quarterly anonymous feedback tallies on a five-point scale."""
    rng = random.Random(spec.seed + 3)
    for start, end in _quarters(spec):
        for question in QUESTIONS:
            for response, weight in (("1", 1), ("2", 2), ("3", 6), ("4", 14), ("5", 10)):
                yield {
                    "period_start": start,
                    "period_end": end,
                    "question": question,
                    "response": response,
                    "count": max(0, round(rng.gauss(weight * 2, 2))),
                }


COLUMNS: dict[str, list[str]] = {
    "activities": [
        "activity_id",
        "date",
        "start_time",
        "duration_minutes",
        "kind",
        "programme",
        "mode",
        "setting",
        "group_id",
        "topic",
        "attendance",
        "first_time",
        "peer_workers",
        "volunteers",
        "member_led",
        "co_facilitated",
        "population_focus",
        "community_session",
        "member_tokens",
        "notes",
        # Added later, at the end: benchmarks/run.py reads the columns above by position.
        "purchase_unit",
        "resources_linked",
        "resources_given",
        "calls_missed",
    ],
    # dimension2 and category2 added later, at the end (benchmarks/run.py reads by position).
    "breakdowns": ["activity_id", "dimension", "category", "count", "dimension2", "category2"],
    "workforce": [
        "period_start",
        "period_end",
        "role",
        "programme",
        "paid_fte",
        "paid_headcount",
        "volunteer_count",
        "volunteer_hours",
        "supervision_hours",
        "training_hours",
        "purchase_unit",
    ],
    "feedback": ["period_start", "period_end", "programme", "question", "response", "count"],
}


def record_streams(spec: SampleSpec) -> dict[str, Iterator[Row]]:
    """Each record type's rows, lazily."""
    return {
        "activities": activities(spec),
        "breakdowns": breakdowns(spec),
        "workforce": workforce(spec),
        "feedback": feedback(spec),
    }
