"""Samples of the records behind a return: reproducible, the size asked, from the right records."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import Engine

from peerreport.audit import sample_records
from peerreport.audit.text import sample_csv, sample_lines
from peerreport.errors import UsageError
from peerreport.returns.model import Return
from peerreport.rulebook import RuleFile
from tests.audit.test_trace import LINES, rules_with_lines
from tests.bundle.sample import build, load_rules, records, store, write_rules

# Pinned: the same on SQLite and PostgreSQL, and on every machine, for seed 42.
SEED_42 = ["G-04", "W-08", "G-03", "G-01", "W-04", "G-02"]


@pytest.fixture
def rule_file(tmp_path: Path) -> RuleFile:
    return load_rules(write_rules(tmp_path / "rules"))


@pytest.fixture
def ret(engine: Engine, rule_file: RuleFile) -> Return:
    store(engine, records())
    return build(engine, rule_file)


def drawn(
    engine: Engine, ret: Return, rule_file: RuleFile, n: int, seed: object, **kw: str
) -> list[str]:
    sample = sample_records(engine, ret, rule_file, n, str(seed), **kw)
    return [r.record for r in sample.records]


def test_the_same_seed_draws_the_same_records_on_every_database(
    engine: Engine, rule_file: RuleFile, ret: Return
) -> None:
    sample = sample_records(engine, ret, rule_file, 6, 42)
    assert [r.record for r in sample.records] == SEED_42
    assert [r.number for r in sample.records] == [1, 2, 3, 4, 5, 6]
    assert sample.population == 23  # every activity in the period; OLD-1 is not behind any figure
    assert drawn(engine, ret, rule_file, 6, 42) == SEED_42
    assert drawn(engine, ret, rule_file, 6, 43) != SEED_42
    assert drawn(engine, ret, rule_file, 10, 42)[:6] == SEED_42  # a larger sample adds records


def test_the_draw_does_not_depend_on_the_order_records_were_stored(
    tmp_path: Path, rule_file: RuleFile, ret: Return, engine: Engine
) -> None:
    from peerreport.store.database import open_engine, upgrade

    other = open_engine(f"sqlite:///{tmp_path / 'reversed.db'}")
    upgrade(other)
    store(other, list(reversed(records())))
    assert drawn(other, build(other, rule_file), rule_file, 6, 42) == SEED_42
    other.dispose()


def test_a_sample_has_the_size_asked_or_every_record(
    engine: Engine, rule_file: RuleFile, ret: Return
) -> None:
    for n in (1, 5, 23):
        assert len(set(drawn(engine, ret, rule_file, n, "audit-2026"))) == n
    everything = sample_records(engine, ret, rule_file, 100, "audit-2026")
    assert len(everything.records) == everything.population == 23
    assert "asked for 100: there are only 23" in "\n".join(sample_lines(everything))
    with pytest.raises(UsageError, match="at least one record"):
        sample_records(engine, ret, rule_file, 0, 1)


def test_a_sample_of_one_figure_draws_only_its_records(
    engine: Engine, rule_file: RuleFile, ret: Return
) -> None:
    calls = sample_records(engine, ret, rule_file, 50, 7, measure="Warm-line calls")
    assert calls.population == 9 and calls.measure == "calls"
    assert all(r.record.startswith("W-") and "calls" in r.figures for r in calls.records)
    assert {dict(r.fields)["kind"] for r in calls.records} == {"warm_line_call"}
    # A derived figure draws from the records of the measures it uses.
    average = sample_records(engine, ret, rule_file, 50, 7, measure="average_group_size")
    assert average.population == 23
    assert average.figures == ("group_attendance", "sessions")


def test_a_sample_lists_each_record_with_the_figures_it_is_behind(
    engine: Engine, rule_file: RuleFile, ret: Return
) -> None:
    sample = sample_records(engine, ret, rule_file, 6, 42)
    first = sample.to_dict()["records"][0]
    assert first == {
        "number": 1,
        "table": "activity",
        "record": "G-04",
        "ids": {"activity_id": "G-04"},
        "fields": {"date": "2026-07-05", "kind": "group", "file": None, "row": None},
        "figures": ["sessions", "group_attendance", "people"],
    }
    rows = list(csv.DictReader(io.StringIO(sample_csv(sample))))
    assert [r["record"] for r in rows] == SEED_42
    assert rows[0]["figures"] == "Sessions delivered; Attendances at groups; Members who took part"
    assert rows[0]["seed"] == "42" and rows[0]["document seen"] == ""


def test_the_sample_table_names_figures_by_their_line_codes(engine: Engine, tmp_path: Path) -> None:
    rule_file = rules_with_lines(tmp_path / "lines", LINES)
    store(engine, records())
    ret = build(engine, rule_file)
    text = sample_lines(sample_records(engine, ret, rule_file, 2, 42))
    assert text[2].split() == ["#", "table", "record", "date", "kind", "file", "row", "figures"]
    assert text[4].split() == [
        "1",
        "activity",
        "G-04",
        "2026-07-05",
        "group",
        "PSA1,",
        "PSA2,",
        "people",
    ]
