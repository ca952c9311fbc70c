"""The rule files shipped in rules/: they lint cleanly, pass their fixtures, and keep
the conventions every shipped return follows (labels, units, lines, stable check codes,
fixtures that show both figures and a finding)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from peerreport.cli.main import cli
from peerreport.compute.evaluate import evaluate
from peerreport.compute.fixtures import compare, run_fixtures
from peerreport.intake import load_records
from peerreport.records.models import RECORD_TYPES, Record
from peerreport.rulebook import Catalogue, RuleFile, lint, load, overlapping_between
from peerreport.rulebook.fixture_lint import fixture_period
from peerreport.rulebook.fixture_model import Fixture
from peerreport.rulebook.loader import read_model
from peerreport.rulebook.resolve import resolve
from peerreport.store.database import open_engine
from peerreport.store.records import ensure_organisation, save_records
from tests.conftest import empty_database
from tests.migrated import migrate
from tests.rules.catalogue import FORMAT_EXAMPLES, ORDER

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
FILES = sorted(RULES.glob("*.toml"))
RETURNS = [p for p in FILES if read_model(p).id not in FORMAT_EXAMPLES]
CHECK_CODE = re.compile(r"^[A-Z]+-\d{3}$")


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _load(path: Path) -> RuleFile:
    return load(path, Catalogue([RULES]))


def test_the_returns_are_shipped() -> None:
    assert set(ORDER) <= {read_model(p).id for p in RETURNS}


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_lints_cleanly(path: Path) -> None:
    # Not even the disclosure lint's warnings: no check verdict narrows a hidden figure, and
    # every overlap is one the whole-release audit protects.
    found = lint(path, Catalogue([RULES]))
    assert [(f.code, f.message) for f in found] == []


def test_no_unprotected_overlaps_between_shipped_files() -> None:
    assert overlapping_between([_load(p) for p in FILES]) == []


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_fixtures_pass(path: Path) -> None:
    results = run_fixtures(_load(path))
    assert results, f"{path.name} has no fixtures"
    failed = {r.name: r.problems for r in results if not r.passed}
    assert failed == {}


def test_cli_lint_and_test_exit_0() -> None:
    runner = CliRunner()
    linted = runner.invoke(cli, ["rules", "lint", str(RULES)])
    assert linted.exit_code == 0, linted.output
    # Every shipped file lints clean: no errors and no disclosure warnings ("warn").
    assert linted.output.count("ok ") == len(FILES), linted.output
    assert "FAIL" not in linted.output and "warn " not in linted.output
    tested = runner.invoke(cli, ["rules", "test", str(RULES)])
    assert tested.exit_code == 0, tested.output
    assert "FAIL" not in tested.output and " 0 failed" in tested.output
    assert "PASS example-peer-support: member-led sessions and warm-line calls" in tested.output


@pytest.mark.parametrize("path", RETURNS, ids=_ids(RETURNS))
def test_every_measure_has_a_label_unit_and_line(path: Path) -> None:
    model = _load(path).model
    missing = [m.id for m in model.measure if not (m.label and m.unit and m.line)]
    assert missing == []
    lines = [m.line for m in model.measure]
    assert len(lines) == len(set(lines)), "two figures of one return share a line code"


@pytest.mark.parametrize("path", RETURNS, ids=_ids(RETURNS))
def test_every_check_has_a_code_title_message_and_hint(path: Path) -> None:
    model = _load(path).model
    assert all(CHECK_CODE.match(c.id) for c in model.check), [c.id for c in model.check]
    assert [c.id for c in model.check if not (c.title and c.message and c.hint)] == []


@pytest.mark.parametrize("path", RETURNS, ids=_ids(RETURNS))
def test_has_the_basics_of_a_return(path: Path) -> None:
    model = _load(path).model
    assert model.description.count("Source:") == 1, "say where the return comes from"
    assert "Period:" in model.description, "say the period and when it is due"
    assert model.funder and model.disclosure is not None


@pytest.mark.parametrize("path", RETURNS, ids=_ids(RETURNS))
def test_fixtures_show_figures_and_one_of_its_own_checks_firing(path: Path) -> None:
    """At least one fixture expects figures, and one expects a check this file defines."""
    own = read_model(path)
    own_codes = {c.id for c in own.check} | {o.check for o in own.override}
    fixtures = own.fixture
    assert any(f.expect.figures for f in fixtures)
    fired = {code for f in fixtures for code in (f.expect.findings or [])}
    assert fired & own_codes, f"no fixture of {path.name} shows one of {sorted(own_codes)}"


def test_check_codes_are_never_reused() -> None:
    """A code is defined by one rule file only (children override, never redefine)."""
    where: dict[str, list[str]] = {}
    for path in FILES:
        for check in read_model(path).check:
            where.setdefault(check.id, []).append(path.name)
    assert {code: files for code, files in where.items() if len(files) > 1} == {}


def test_replaced_measures_keep_their_unit() -> None:
    """A child that replaces an inherited measure keeps its unit (a figure never
    changes from FTE to sessions under the same id)."""
    catalogue = Catalogue([RULES])
    for path in RETURNS:
        resolved = resolve(path, catalogue)
        for parent_id in resolved.lineage:
            parent_path = catalogue.find(parent_id)
            assert parent_path is not None
            units = {m.id: m.unit for m in read_model(parent_path).measure}
            for m in resolved.model.measure:
                if m.id in units:
                    assert m.unit == units[m.id], (path.name, m.id)


@pytest.mark.parametrize("path", RETURNS, ids=_ids(RETURNS))
def test_fixture_record_files_pass_intake(path: Path) -> None:
    """Fixture record files import as real ones do, privacy scan included."""
    for fixture in read_model(path).fixture:
        for name in fixture.records:
            assert load_records(path.parent / name)


# Every fixture again on PostgreSQL (the fixtures above run on SQLite): the rule
# files' expressions (lower, year/month/day, coalesce, division) must give the
# same figures on both. Runs when PEERREPORT_TEST_POSTGRES_URL is set.


def _fixture_cases() -> Iterator[tuple[Path, int, str]]:
    for path in FILES:
        for index, fixture in enumerate(read_model(path).fixture):
            yield path, index, fixture.name


CASES = list(_fixture_cases())


def _records(path: Path, fixture: Fixture) -> list[Record]:
    records: list[Record] = []
    for record_type, model in RECORD_TYPES.items():
        records += [model.model_validate(data) for data in getattr(fixture, record_type)]
    for name in fixture.records:
        records += load_records(path.parent / name)
    return records


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One migrated PostgreSQL schema for all fixtures (each gets its own organisation)."""
    with empty_database("postgresql", tmp_path_factory.mktemp("pg")) as url:
        migrate(url)
        engine = open_engine(url)
        yield engine
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("path", "index", "name"), CASES, ids=[f"{p.stem}[{i}]" for p, i, _ in CASES]
)
def test_fixture_on_postgresql(postgres: Engine, path: Path, index: int, name: str) -> None:
    rule_file = _load(path)
    fixture = rule_file.model.fixture[index]
    org = f"FX{CASES.index((path, index, name))}"  # organisation codes are short
    with postgres.begin() as conn:
        ensure_organisation(conn, org, name)
        save_records(conn, org, _records(path, fixture), b"peerreport-test-secret")
    start, end = fixture_period(fixture)
    assert compare(fixture, evaluate(postgres, org, rule_file, start, end)) == []
