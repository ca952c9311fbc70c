"""Groupings of a time of day into bands: `office_hours = ["09:00-17:00"]`.

A grouping of `start_time` maps each category to bands written `HH:MM-HH:MM`
(the start inclusive, the end exclusive, `24:00` for the end of the day)
instead of vocabulary codes. A record without a start time stays empty: it is
counted in the breakdown's "not recorded" cell, never in `other`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from peerreport.language import Type
from peerreport.rulebook.sources import sources

_BAND = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
MINUTES_IN_A_DAY = 24 * 60


@dataclass(frozen=True)
class Band:
    """A band of the day: minutes from midnight, `start` inclusive, `end` exclusive."""

    text: str
    start: int
    end: int

    @property
    def start_time(self) -> dt.time:
        """The first time of day in the band."""
        return dt.time(self.start // 60, self.start % 60)

    @property
    def end_time(self) -> dt.time | None:
        """The first time of day after the band; None when it runs to midnight."""
        if self.end == MINUTES_IN_A_DAY:
            return None
        return dt.time(self.end // 60, self.end % 60)


class BandError(ValueError):
    """A band is not written HH:MM-HH:MM with the start before the end."""


def is_time_field(field: str) -> bool:
    """True when `field` is a time of day in the record sources (`start_time`)."""
    for source in sources().values():
        binding = source.binding(field)
        if binding is not None:
            return binding.type is Type.TIME
    return False


def parse_band(text: str) -> Band:
    """A band from its text, e.g. '09:00-17:00'; raise `BandError` with what is wrong."""
    match = _BAND.match(text.strip())
    if match is None:
        raise BandError(
            f"'{text}' is not a band of the day; write 'HH:MM-HH:MM' on the 24-hour clock, "
            "e.g. '09:00-17:00' (from 09:00 up to, not including, 17:00)"
        )
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise BandError(f"'{text}' is not a band of the day: times run from 00:00 to 24:00")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start >= end:
        raise BandError(
            f"'{text}' ends before it starts; a band stays within one day: write a night "
            "band as two, e.g. '21:00-24:00' and '00:00-07:00'"
        )
    return Band(text, start, end)


def uncovered(bands: Iterable[Band]) -> list[str]:
    """The stretches of the day no band covers, as 'HH:MM-HH:MM'."""
    covered = [False] * MINUTES_IN_A_DAY
    for band in bands:
        covered[band.start : band.end] = [True] * (band.end - band.start)
    gaps: list[str] = []
    minute = 0
    while minute < MINUTES_IN_A_DAY:
        if covered[minute]:
            minute += 1
            continue
        start = minute
        while minute < MINUTES_IN_A_DAY and not covered[minute]:
            minute += 1
        gaps.append(f"{_hhmm(start)}-{_hhmm(minute)}")
    return gaps


def overlap(a: Band, b: Band) -> bool:
    """True when two bands share a minute."""
    return a.start < b.end and b.start < a.end


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
