"""Shared fixtures: fresh migrated databases on SQLite and, when configured, PostgreSQL.

PostgreSQL tests run when PEERREPORT_TEST_POSTGRES_URL is set (`.ci/run` sets
it). Each test gets its own schema, dropped afterwards, so tests never see each
other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text

from peerreport.store.database import open_engine
from tests.migrated import migrate

POSTGRES_URL = os.environ.get("PEERREPORT_TEST_POSTGRES_URL")
# CI sets this: then PostgreSQL tests must run, and a missing server fails the run.
REQUIRE_POSTGRES = os.environ.get("PEERREPORT_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under CI, refuse to run without PostgreSQL tests."""
    if not REQUIRE_POSTGRES:
        return
    if not POSTGRES_URL:
        raise pytest.UsageError("PEERREPORT_REQUIRE_POSTGRES=1 but no PEERREPORT_TEST_POSTGRES_URL")
    if items and not any(item.get_closest_marker("postgres") for item in items):
        raise pytest.UsageError("PEERREPORT_REQUIRE_POSTGRES=1 but no PostgreSQL tests collected")


def skip_without_postgres() -> None:
    """Skip (or, under CI, fail) a test that needs PostgreSQL when none is configured."""
    if POSTGRES_URL:
        return
    if REQUIRE_POSTGRES:
        pytest.fail("PostgreSQL is required but PEERREPORT_TEST_POSTGRES_URL is not set")
    pytest.skip("PEERREPORT_TEST_POSTGRES_URL is not set")


@contextmanager
def empty_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a new PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'test.db'}"
        return
    skip_without_postgres()
    assert POSTGRES_URL is not None
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = open_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """'sqlite' or 'postgresql'."""
    return str(request.param)


@pytest.fixture
def empty_db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables), on each backend."""
    with empty_database(backend, tmp_path) as url:
        yield url


@pytest.fixture
def db_url(empty_db_url: str) -> str:
    """A fresh database migrated to the newest schema, on each backend (a copy of one the
    migrations made: `tests/migrated.py`)."""
    migrate(empty_db_url)
    return empty_db_url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine on each backend."""
    eng = open_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def postgres_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated engine on a new PostgreSQL schema, for what PostgreSQL alone does (the
    tests skip without PostgreSQL, or fail when it is required)."""
    with empty_database("postgresql", tmp_path) as url:
        migrate(url)
        eng = open_engine(url)
        yield eng
        eng.dispose()


#: Modules that may build a `Finding` with a code the catalogue does not declare:
#: the checks of rule files (the rule file's own codes) and reading return.json back.
_OWN_CODES = (
    "peerreport.compute.checks",
    "peerreport.returns.model",
    "peerreport.returns.history_checks",
)


@pytest.fixture(autouse=True, scope="session")
def _every_finding_code_is_declared() -> Iterator[None]:
    """Across the whole suite: every finding peerreport builds has a declared code.

    The tests are the broad set of scenarios; a finding built by peerreport code
    (not by a test) with a built-in-looking code that findings_catalogue.toml
    does not declare fails the run at teardown.
    """
    import sys

    from peerreport.findings import Finding
    from peerreport.findings_catalogue import CATALOGUE, is_builtin

    original = Finding.__init__
    strays: dict[str, str] = {}

    def recording(self: Finding, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        module = str(sys._getframe(1).f_globals.get("__name__", ""))
        if not module.startswith("peerreport") or module.startswith(_OWN_CODES):
            return
        if self.code not in CATALOGUE:
            strays[self.code] = module
        elif is_builtin(self.code) and self.severity is not CATALOGUE[self.code].severity:
            strays[self.code] = f"{module} (severity {self.severity})"

    Finding.__init__ = recording  # type: ignore[method-assign]
    try:
        yield
    finally:
        Finding.__init__ = original  # type: ignore[method-assign]
    assert not strays, f"findings with codes not in findings_catalogue.toml: {strays}"
