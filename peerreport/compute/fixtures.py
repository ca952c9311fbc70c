"""Running a rule file's fixtures: records in, figures and finding codes compared.

Each fixture gets a fresh in-memory SQLite database (a copy of one migrated
like a real one: `store.database.memory_engine`), its records saved through
the store, and the rule file evaluated over the fixture's period. A fixture
passes when every expected figure matches (numbers within 1e-9; the string
"null" for no value; dates as 'YYYY-MM-DD') and, if `findings` is given, the
set of finding codes is exactly that set; if `includes.findings` is given,
those codes are among the findings (others may be too). A failing fixture
lists every finding with its message, so a funder sees why a check fired (or
which one did instead).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from peerreport.compute.evaluate import Evaluation, evaluate
from peerreport.compute.figures import Figure, Value
from peerreport.errors import PeerreportError
from peerreport.records.models import RECORD_TYPES, Record
from peerreport.rulebook import RuleFile
from peerreport.rulebook.fixture_lint import fixture_period
from peerreport.rulebook.fixture_model import Fixture
from peerreport.store.digests import KEY_BLANKS

FIXTURE_ORG = "FIXTURE"
_TOKEN_SECRET = b"peerreport-fixture-secret"


@dataclass(frozen=True)
class FixtureResult:
    """The outcome of one fixture."""

    rule_file: str
    name: str
    passed: bool
    problems: tuple[str, ...] = ()
    evaluation: Evaluation | None = field(default=None, compare=False)

    @property
    def findings(self) -> list[str]:
        """Each finding as 'CODE (severity): message', when the fixture ran."""
        if self.evaluation is None:
            return []
        return [f"{f.code} ({f.severity.value}): {f.message}" for f in self.evaluation.findings]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (the findings' messages only for a failing fixture)."""
        return {
            "rule_file": self.rule_file,
            "fixture": self.name,
            "passed": self.passed,
            "problems": list(self.problems),
            "findings": [] if self.passed else self.findings,
        }


def run_fixtures(rule_file: RuleFile) -> list[FixtureResult]:
    """Run every fixture of a loaded rule file."""
    return [run_fixture(rule_file, f) for f in rule_file.model.fixture]


def run_fixture(rule_file: RuleFile, fixture: Fixture) -> FixtureResult:
    """Run one fixture."""
    try:
        start, end = fixture_period(fixture)
        records = _records(rule_file, fixture)
        evaluation = _evaluate(rule_file, records, start, end)
    except _FixtureError as exc:
        return FixtureResult(rule_file.id, fixture.name, False, (str(exc),))
    problems = compare(fixture, evaluation)
    return FixtureResult(rule_file.id, fixture.name, not problems, tuple(problems), evaluation)


class _FixtureError(Exception):
    """The fixture could not run (bad records, unreadable file)."""


def _records(rule_file: RuleFile, fixture: Fixture) -> list[Record]:
    records: list[Record] = []
    #: Where each record came from, as a problem names it: workforce[1], activity 2 of FILE.
    places: list[str] = []
    problems: list[str] = []
    for record_type, model in RECORD_TYPES.items():
        for row, data in enumerate(getattr(fixture, record_type)):
            try:
                records.append(model.model_validate(data))
            except ValidationError as exc:
                for error in exc.errors(include_url=False):
                    where = ".".join(str(p) for p in error["loc"])
                    problems.append(f"{record_type}[{row}] {where}: {error['msg']}")
            else:
                places.append(f"{record_type}[{row}]")
    for name in fixture.records:
        from peerreport.intake import load_records

        try:
            loaded = load_records(rule_file.path.parent / name)
        except (PeerreportError, OSError) as exc:
            problems.append(f"{name}: {exc}")
            continue
        records += loaded
        places += _file_places(name, loaded)
    if not problems:
        problems = _same_keys(rule_file, records, places)
    if problems:
        raise _FixtureError("records: " + "; ".join(problems))
    return records


def _file_places(name: str, loaded: list[Record]) -> list[str]:
    """'workforce entry 2 of FILE' for each record read from a fixture's record file."""
    counts: dict[str, int] = {}
    places = []
    for record in loaded:
        counts[record.record_type] = counts.get(record.record_type, 0) + 1
        what = _RECORD_WORDS[record.record_type][0]
        places.append(f"{what} {counts[record.record_type]} of {name}")
    return places


#: Each record type in words: one record, and how its natural key reads.
_RECORD_WORDS = {
    "activities": ("activity", "an activity is identified by its activity_id"),
    "breakdowns": (
        "breakdown",
        "a breakdown is identified by its activity_id, dimension and category (and a "
        "cross-tabulated one by its dimension2 and category2 too)",
    ),
    "workforce": (
        "workforce entry",
        "a workforce entry is identified by its period_start, period_end, role and programme",
    ),
    "feedback": (
        "feedback tally",
        "a feedback tally is identified by its period_start, period_end, programme, question "
        "and response",
    ),
}


def _same_keys(rule_file: RuleFile, records: list[Record], places: list[str]) -> list[str]:
    """Records of one type that share their natural key (the store keeps one record per key,
    so the fixture would otherwise stop at the database's unique key), in words."""
    seen: dict[tuple[str, tuple[Any, ...]], list[str]] = {}
    for record, place in zip(records, places, strict=True):
        key = tuple(
            "" if getattr(record, f) is None else getattr(record, f) for f in record.natural_key
        )
        seen.setdefault((record.record_type, key), []).append(place)
    problems = []
    for (record_type, key), where in seen.items():
        if len(where) < 2:
            continue
        fields = RECORD_TYPES[record_type].natural_key
        shown = ", ".join(
            f"{f} {_key_value(v)}"
            for f, v in zip(fields, key, strict=True)
            if not (f in KEY_BLANKS and v == "")  # a breakdown by one dimension
        )
        one, rule = _RECORD_WORDS[record_type]
        problems.append(
            f"{rule_file.path.name}: {' and '.join(where)} are the same {one} ({shown}): "
            f"{rule}, so change one of them or merge them into one"
        )
    return problems


def _key_value(value: Any) -> str:
    if value == "":
        return "none"
    return value.isoformat() if isinstance(value, dt.date) else f"'{value}'"


def _evaluate(
    rule_file: RuleFile, records: list[Record], start: dt.date, end: dt.date
) -> Evaluation:
    from peerreport.store.database import memory_engine
    from peerreport.store.records import ensure_organisation, save_records

    engine = memory_engine()
    try:
        with engine.begin() as conn:
            ensure_organisation(conn, FIXTURE_ORG, "Fixture organisation")
            try:
                save_records(conn, FIXTURE_ORG, records, _TOKEN_SECRET)
            except (PeerreportError, ValueError) as exc:
                raise _FixtureError(f"records cannot be stored: {exc}") from None
            except IntegrityError:
                # `_same_keys` finds records that share a key first; this is the last word.
                raise _FixtureError(
                    "records cannot be stored: two of them are the same record (the same "
                    "natural key)"
                ) from None
        return evaluate(engine, FIXTURE_ORG, rule_file, start, end)
    finally:
        engine.dispose()


def compare(fixture: Fixture, evaluation: Evaluation) -> list[str]:
    """What differs between a fixture's expectations and an evaluation."""
    problems: list[str] = []
    for name, expected in fixture.expect.all_figures().items():
        figure = evaluation.figures.figures.get(name)
        if figure is None:
            problems.append(f"{name}: no such measure")
        elif isinstance(expected, dict):
            problems += _compare_table(figure, expected)
        elif not same(figure.value, expected):
            problems.append(f"{name}: expected {expected!r}, got {_shown(figure.value)}")
    if fixture.expect.findings is not None:
        want = sorted(set(fixture.expect.findings))
        got = sorted({f.code for f in evaluation.findings})
        if want != got:
            problems.append(f"findings: expected {want}, got {got}")
    included = fixture.expect.includes
    if included is not None and included.findings:
        got_codes = {f.code for f in evaluation.findings}
        missing = sorted(set(included.findings) - got_codes)
        if missing:
            problems.append(
                f"findings: expected to include {missing}, got {sorted(got_codes) or 'none'}"
            )
    return problems


def _compare_table(figure: Figure, expected: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    unknown = set(expected) - {"total", "cells"}
    if unknown:
        problems.append(f"{figure.id}: unknown keys {sorted(unknown)} (use total and cells)")
    if "total" in expected and not same(figure.value, expected["total"]):
        problems.append(
            f"{figure.id}: expected total {expected['total']!r}, got {_shown(figure.value)}"
        )
    cells = {c.label(): c.value for c in figure.cells}
    for key, want in dict(expected.get("cells", {})).items():
        if key not in cells:
            problems.append(f"{figure.id}: no cell '{key}' (cells: {', '.join(cells)})")
        elif not same(cells[key], want):
            problems.append(f"{figure.id}[{key}]: expected {want!r}, got {_shown(cells[key])}")
    return problems


def same(actual: Value, expected: Any) -> bool:
    """Does a figure equal a fixture's expected value?"""
    if expected == "null":
        return actual is None
    if isinstance(actual, dt.date):
        return bool(actual.isoformat() == expected)
    if actual is None or isinstance(expected, bool) or not isinstance(expected, int | float):
        return False
    return bool(math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-9))


def _shown(value: Value) -> str:
    return (
        "null"
        if value is None
        else repr(value.isoformat() if isinstance(value, dt.date) else value)
    )
