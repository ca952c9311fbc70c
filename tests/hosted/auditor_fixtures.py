"""A hosted server with two organisations' records and returns, and auditors to sign in.

Built once per module and database with the project's own steps: the
organisations and accounts through the directory and accounts modules, records
imported from the synthetic sample (April to June 2026), returns filed
through `filing.submit_return` into each organisation's folder on the server,
and the bundles kept as the server keeps what is filed on it.

- Harbour Peer Collective (HPC001, "A"): version 1 of FY2026-Q4 filed before the
  server kept bundles (none kept), then records added and version 2 filed with
  its bundle kept; an NHI typed into a log was refused at import.
- River Valley Trust (RVT002, "B"): version 1 filed, its bundle kept.

Accounts: `auditor-a` is assigned A; `auditor-fund` is assigned the funder whose
provider A is; `coord-a` coordinates A. Every password is PASSWORD.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.conftest import BACKENDS, empty_database
from tests.helpers import write_csv
from tests.migrated import migrate

BASE = "http://testserver"
RULES = "nz-peer-support-adults"
PERIOD = "FY2026-Q4"  # April to June 2026
PASSWORD = "correct horse battery staple"
A, A_NAME = "HPC001", "Harbour Peer Collective"
B, B_NAME = "RVT002", "River Valley Trust"
FUNDER, FUNDER_NAME = "NRF", "Northern Regional Funder"
NHI = "ZAA0067"  # a valid NHI number (check digit included), invented


@dataclass
class Server:
    """The hosted server and what the tests need to know about its contents."""

    app: Any
    engine: Engine
    config: Any
    a_unkept: int  # A's version 1: no bundle kept
    a_kept: int  # A's version 2: bundle kept
    b_kept: int  # B's version 1: bundle kept
    tokens: set[str]  # the member tokens written in the sample workbooks
    token_hashes: set[str]  # as the database keeps them
    signed_in: dict[str, TestClient] = field(default_factory=dict)

    def client(self, username: str | None = None) -> TestClient:
        """A browser on the server, signed in as `username` (through the sign-in form).

        One browser per person, signed in once: the pages only read, and the
        server limits how often one address may try to sign in.
        """
        if username is None:
            return TestClient(self.app, base_url=BASE, follow_redirects=False)
        if username not in self.signed_in:
            browser = TestClient(self.app, base_url=BASE, follow_redirects=False)
            sign_in(browser, username)
            self.signed_in[username] = browser
        return self.signed_in[username]


def sign_in(browser: TestClient, username: str, password: str = PASSWORD) -> None:
    """Sign in through GET and POST /login, as a person does."""
    form = browser.get("/login")
    assert form.status_code == 200, form.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    done = browser.post(
        "/login",
        data={"csrf_token": token[1], "username": username, "password": password, "next": "/"},
        headers={"origin": BASE},
    )
    assert done.status_code == 303, done.text


def _tokens(workbook: Path) -> set[str]:
    import openpyxl

    book = openpyxl.load_workbook(workbook, read_only=True)
    rows = book["Activities"].iter_rows(values_only=True)
    header = [str(h).lower() for h in next(rows)]
    column = header.index("member_tokens")
    found = {
        token.strip()
        for row in rows
        if len(row) > column and row[column]
        for token in str(row[column]).split(";")
        if token.strip()
    }
    book.close()
    return found


def _workbook(folder: Path, seed: int) -> Path:
    from peerreport.samples.generator import SampleSpec
    from peerreport.samples.writer import write_samples

    path = folder / f"activity-log-{seed}.xlsx"
    spec = SampleSpec(records=None, seed=seed, start=dt.date(2026, 4, 1), end=dt.date(2026, 6, 30))
    write_samples(path, spec)
    return path


def _import(engine: Engine, workspace: Any, path: Path) -> Any:
    from peerreport.intake import ImportSettings, import_files

    return import_files(engine, [path], ImportSettings.for_workspace(workspace))


def _file(engine: Engine, workspace: Any, out: Path, reason: str | None = None) -> int:
    from peerreport.filing import choose, submit_return

    rule_file, period = choose(RULES, PERIOD)
    done = submit_return(workspace, engine, rule_file, period, reason=reason, out_dir=out)
    assert done.filed is not None, [f.message for f in done.ret.findings]
    return done.filed.submission.id


def _keep(engine: Engine, org: str, ident: int, out: Path) -> None:
    from peerreport.hosted.directory import store_bundle

    (bundle,) = out.glob("*.bundle.zip")
    store_bundle(engine, ident, org, bundle.read_bytes(), "filed")
    bundle.unlink()


def build_server(folder: Path, url: str) -> Server:
    """The server described in the module docstring, on the database at `url`."""
    from peerreport.hosted import accounts, directory
    from peerreport.hosted.app import create_hosted_app
    from peerreport.hosted.config import ServerConfig
    from peerreport.hosted.orgs import ensure_org_workspace
    from peerreport.store.database import open_engine
    from peerreport.store.schema import member_token

    migrate(url)
    engine = open_engine(url)
    config = ServerConfig(
        database_url=url,
        secret_key="s" * 20 + "-auditor-desk-tests-secret-key-" + "k" * 12,
        base_url=BASE,
        data_dir=folder / "data",
    )
    directory.add_organisation(engine, A, A_NAME)
    directory.add_organisation(engine, B, B_NAME)
    directory.add_funder(engine, FUNDER, FUNDER_NAME)
    directory.link_provider(engine, FUNDER, A)
    for username, role, grants in (
        ("auditor-a", "auditor", [("org", A)]),
        ("auditor-fund", "auditor", [("funder", FUNDER)]),
        ("auditor-none", "auditor", []),
        ("coord-a", "coordinator", [("org", A)]),
    ):
        accounts.create_account(engine, username, PASSWORD, role)
        for kind, code in grants:
            directory.grant(engine, username, kind, code)

    tokens: set[str] = set()
    ids: dict[str, int] = {}
    for org, name, seed in ((A, A_NAME, 2026), (B, B_NAME, 7)):
        workspace = ensure_org_workspace(config, org, name, (RULES,))
        log = _workbook(folder, seed)
        tokens |= _tokens(log)
        assert _import(engine, workspace, log).stored
        out = folder / f"filed-{org}"
        ids[org] = _file(engine, workspace, out)
        if org == A:
            refused = write_csv(
                folder / "activities-nhi.csv",
                [
                    ["activity_id", "date", "kind", "attendance", "notes"],
                    ["N-1", "03/05/2026", "group", 5, f"Call {NHI} back"],
                ],
            )
            assert not _import(engine, workspace, refused).stored
            # Version 1 was filed before the server kept bundles: its bundle is not kept.
            for path in out.glob("*.bundle.zip"):
                path.unlink()
            more = write_csv(
                folder / "activities-late.csv",
                [
                    ["activity_id", "date", "kind", "attendance"],
                    ["LATE-1", "20/05/2026", "group", 6],
                    ["LATE-2", "21/05/2026", "group", 7],
                ],
            )
            assert _import(engine, workspace, more).stored
            ids["A2"] = _file(engine, workspace, out, reason="Two group sessions were missed")
        _keep(engine, org, ids["A2" if org == A else org], out)
    with engine.connect() as conn:
        hashes = {str(h) for h in conn.execute(select(member_token.c.token_hash)).scalars()}
    app = create_hosted_app(config, engine)
    return Server(app, engine, config, ids[A], ids["A2"], ids[B], tokens, hashes)


@pytest.fixture(name="server", scope="module", params=BACKENDS)
def hosted_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The hosted server, on SQLite and (when configured) PostgreSQL, built once per module."""
    from peerreport.hosted import accounts
    from peerreport.hosted.limits import AttemptLimit
    from peerreport.hosted.routes import signin

    folder = tmp_path_factory.mktemp(f"hosted-{request.param}")
    with ExitStack() as stack:
        url = stack.enter_context(empty_database(str(request.param), folder))
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        # A fresh limit on sign-in attempts: the server process is shared by many tests.
        patch.setattr(signin, "attempts", AttemptLimit())
        # Cheap argon2id hashes, as tests/hosted/conftest.py makes them for each test.
        patch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        built = build_server(folder, url)
        try:
            yield built
        finally:
            built.app.app.state.desks.close()
            built.engine.dispose()
