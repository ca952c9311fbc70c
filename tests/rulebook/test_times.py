"""Times of day in rule files: expressions with start_time, and groupings into bands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from peerreport.rulebook import Catalogue, load
from peerreport.rulebook.time_bands import BandError, parse_band, uncovered
from tests.rulebook.test_errors import only, problems

WriteRules = Callable[..., Path]

MEASURE = '[[measure]]\nid = "m"\ncount = "activity"\n'


def _grouping(map_text: str, other: str | None = "out_of_hours") -> str:
    head = '[grouping.call_time]\nfield = "start_time"\n'
    if other:
        head += f'other = "{other}"\n'
    return head + f"[grouping.call_time.map]\n{map_text}\n" + MEASURE + 'by = ["call_time"]\n'


def test_a_time_grouping_loads(write_rules: WriteRules) -> None:
    path = write_rules(r=_grouping('office_hours = ["09:00-12:00", "13:00-17:00"]'))
    rule_file = load(path, Catalogue([path.parent]))
    assert rule_file.measures["m"].measure.by == ["call_time"]


def test_a_band_must_be_written_hh_mm_hh_mm(write_rules: WriteRules) -> None:
    f = only(write_rules(r=_grouping('office_hours = ["9am-5pm"]')))
    assert f.code == "RUL-013"
    assert f.location.key == "grouping.call_time.map.office_hours"
    assert "'9am-5pm' is not a band of the day; write 'HH:MM-HH:MM'" in f.message


def test_a_band_across_midnight_is_two_bands(write_rules: WriteRules) -> None:
    f = only(write_rules(r=_grouping('night = ["21:00-07:00"]')))
    assert "ends before it starts" in f.message and "'00:00-07:00'" in f.message


def test_bands_may_not_overlap(write_rules: WriteRules) -> None:
    f = only(write_rules(r=_grouping('morning = ["08:00-12:30"]\nafternoon = ["12:00-17:00"]')))
    assert f.code == "RUL-031"
    assert "'12:00-17:00' of 'afternoon' overlaps a band of 'morning'" in f.message


def test_without_other_the_bands_cover_the_day(write_rules: WriteRules) -> None:
    f = only(write_rules(r=_grouping('day = ["07:00-19:00"]', other=None)))
    assert f.code == "RUL-033"
    assert "times in no band: 00:00-07:00, 19:00-24:00" in f.message
    whole = _grouping('day = ["07:00-19:00"]\nnight = ["00:00-07:00", "19:00-24:00"]', None)
    load(path := write_rules(r=whole), Catalogue([path.parent]))


def test_by_start_time_itself_says_how_to_band_it(write_rules: WriteRules) -> None:
    f = only(write_rules(r=MEASURE + 'by = ["start_time"]\n'))
    assert f.code == "RUL-011"
    assert "group start_time into bands of the day with a [grouping.NAME]" in f.message


def test_hour_of_a_date_names_the_key(write_rules: WriteRules) -> None:
    f = only(write_rules(r=MEASURE + 'where = "hour(date) >= 17"\n'))
    assert f.code == "RUL-011"
    assert f.location.key == "measure[0].where"
    assert "hour() needs a time of day; 'date' is a date" in f.message


def test_min_of_a_time_is_not_a_figure(write_rules: WriteRules) -> None:
    found = problems(write_rules(r='[[measure]]\nid = "m"\nmin = "start_time"\n'))
    assert [f.code for f in found] == ["RUL-011"]
    assert "min needs a number or a date, not time" in found[0].message


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [("00:00-24:00", 0, 1440), ("09:00-17:00", 540, 1020), ("23:59-24:00", 1439, 1440)],
)
def test_parse_band(text: str, start: int, end: int) -> None:
    band = parse_band(text)
    assert (band.start, band.end) == (start, end)


@pytest.mark.parametrize("text", ["24:00-24:00", "09:00-24:30", "9:00-17:00", "12:00-12:00"])
def test_not_bands(text: str) -> None:
    with pytest.raises(BandError):
        parse_band(text)


def test_uncovered() -> None:
    bands = [parse_band("00:00-09:00"), parse_band("17:00-24:00")]
    assert uncovered(bands) == ["09:00-17:00"]
    assert uncovered([parse_band("00:00-24:00")]) == []
