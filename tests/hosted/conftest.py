"""Hosted-mode fixtures: cheap password hashing, so tests that log in stay quick; a hosted
server with organisations, funders and API tokens; bundles made by providers' own installs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from peerreport.hosted import accounts
from tests.hosted.helpers import (
    BASE_URL,
    ORG_A,
    ORG_A_NAME,
    ORG_B,
    ORG_B_NAME,
    Hosted,
    LocalBundles,
    file_locally,
    local_install,
    populate,
    rule_path,
    sample_log,
    server_config,
)
from tests.migrated import migrate

# The browser tests' own fixtures (Debian's Chromium, never a download; screenshots; `checks`).
from tests.web.conftest import (  # noqa: F401
    base_url,
    browser_type_launch_args,
    checks,
    screenshots,
)

#: The hasher a server uses, as the module made it (before any test swapped it).
PRODUCTION_HASHER = accounts.HASHER
#: argon2id still, with the smallest cost argon2 allows (production keeps the defaults).
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "HASHER", CHEAP_HASHER)


@pytest.fixture(autouse=True)
def _own_count_of_sign_in_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test counts its own sign-ins: every test client signs in from the same address,
    so the server's limit per address would otherwise add up across a worker's tests."""
    from peerreport.hosted.limits import AttemptLimit
    from peerreport.hosted.routes import signin

    monkeypatch.setattr(signin, "attempts", AttemptLimit())


# -- A hosted server, and bundles made by providers' own installs ------------------------------


@pytest.fixture(scope="session")
def local_bundles(tmp_path_factory: pytest.TempPathFactory) -> LocalBundles:
    """Bundles filed with the local workflow: init, import the quarter, `peerreport submit`."""
    folder = tmp_path_factory.mktemp("local")
    log = sample_log(folder)
    rules = rule_path(folder)
    a = local_install(folder / "a", ORG_A, ORG_A_NAME, log)
    b = local_install(folder / "b", ORG_B, ORG_B_NAME, log)
    a_v1 = file_locally(a, rules).read_bytes()
    a_v2 = file_locally(a, rules, "--reason", "checked again", "--yes").read_bytes()
    keys = {org: own_fingerprint(root) for org, root in ((ORG_A, a), (ORG_B, b))}
    return LocalBundles(a_v1, a_v2, file_locally(b, rules).read_bytes(), keys)


def own_fingerprint(root: Path) -> str:
    from peerreport.workspace import load_workspace

    found = load_workspace(root).own_fingerprint()
    assert found is not None
    return found


@pytest.fixture
def hosted(empty_db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Hosted]:
    """A hosted server on a fresh database (each backend), with organisations, funders, tokens.

    When the test uses `local_bundles` too, both providers' signing keys are registered, as
    the server's admin does before taking their bundles (`peerreport admin key add`).
    """
    from fastapi.testclient import TestClient

    from peerreport.hosted.app import create_hosted_app
    from peerreport.store.database import open_engine

    migrate(empty_db_url)
    engine = open_engine(empty_db_url)
    tokens = populate(engine)
    if "local_bundles" in request.fixturenames:
        request.getfixturevalue("local_bundles").register(engine)
    config = server_config(empty_db_url, tmp_path / "data")
    client = TestClient(create_hosted_app(config, engine), base_url=BASE_URL)
    yield Hosted(config, engine, client, tokens)
    client.close()
    engine.dispose()
