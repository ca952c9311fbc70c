"""The second wall: a route that forgets its access check still cannot reach another
organisation's rows, because PostgreSQL's row-level security hides them (issue 13).

Two organisations with a sample year of records and a filed return each, on a
hosted server. A route made for this test only, `GET /leak/{org}`, has an
access rule any coordinator or funder passes whatever `{org}` names, and asks
the database for that organisation's rows through the engine every route
uses. The database answers with none of another organisation's rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import DBAPIError

from peerreport.hosted import access
from peerreport.store.database import open_engine, upgrade
from peerreport.store.schema import (
    activity,
    import_run,
    ledger_entry,
    return_event,
    submitted_return,
)
from tests.conftest import empty_database

pytestmark = pytest.mark.postgres

RULES = "nz-peer-support-adults"
PERIOD = "FY2026-Q4"  # April to June 2026
ORG_A, ORG_B, FUNDER = "AAA001", "BBB002", "FUND"
PASSWORD = "correct horse battery"
BASE = "http://testserver"
ORIGIN = {"Origin": BASE}
#: Any coordinator or funder passes it, whatever organisation the address names.
FORGETFUL = access.Rule(
    "forgetful", frozenset({access.COORDINATOR, access.FUNDER}), None, "test only: no scope"
)
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
#: The funder's rule file, B's return is filed to it.
FUNDER_RULES = "brightwater-adults"
FUNDER_RULE_TEXT = f"""\
id = "{FUNDER_RULES}"
title = "Brightwater District: adult peer support, quarterly"
version = "2026.1"
extends = ["{RULES}"]
"""


@dataclass
class Server:
    """A hosted server with the leaking routes, its owner's engine and sample workbook."""

    app: Any
    owner: Engine
    sample: Path
    #: B's return filed to the funder.
    b_return: int

    def client(self, username: str) -> TestClient:
        """A browser signed in as `username` (through the sign-in form)."""
        browser = TestClient(self.app, base_url=BASE, follow_redirects=False)
        form = browser.get("/login")
        assert form.status_code == 200
        signed_in = browser.post(
            "/login",
            data={
                "csrf_token": _csrf(form.text),
                "username": username,
                "password": PASSWORD,
                "next": "/",
            },
            headers=ORIGIN,
        )
        assert signed_in.status_code == 303, signed_in.text
        return browser

    def owners_count(self, table: Any, org: str) -> int:
        """What the database holds for `org`, as its owner (never walled) sees it."""
        with self.owner.connect() as conn:
            query = select(func.count()).select_from(table).where(table.c.org == org)
            return int(conn.execute(query).scalar_one())


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _import_row(org: str) -> dict[str, Any]:
    return {
        "org": org,
        "file_name": "leak.csv",
        "file_sha256": "ab" * 32,
        "finished_at": NOW,
        "added": 0,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }


def _add_leaking_routes(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Routes that read or write `{org}`'s rows without asking whether they may."""
    monkeypatch.setitem(access.ROUTES, ("GET", "/leak/{org}"), FORGETFUL)
    monkeypatch.setitem(access.ROUTES, ("GET", "/leak/{org}/write"), FORGETFUL)

    @api.get("/leak/{org}")
    def leak(request: Request, org: str) -> dict[str, Any]:
        engine = request.app.state.engine  # the engine every route uses
        with engine.connect() as conn:
            records = conn.execute(select(activity.c.activity_id).where(activity.c.org == org))
            returns = conn.execute(
                select(submitted_return.c.id).where(submitted_return.c.org == org)
            )
            return {"activities": len(records.all()), "returns": len(returns.all())}

    @api.get("/leak/{org}/write")
    def write(request: Request, org: str) -> dict[str, Any]:
        try:
            with request.app.state.engine.begin() as conn:
                conn.execute(insert(import_run).values(**_import_row(org)))
        except DBAPIError as exc:
            return {"written": False, "error": str(exc.orig)}
        return {"written": True, "error": ""}


@pytest.fixture(scope="module")
def sample_year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's synthetic year (July 2025 to June 2026) as a workbook, written once."""
    from peerreport.samples.generator import one_year
    from peerreport.samples.writer import write_samples

    path = tmp_path_factory.mktemp("sample") / "activity-log.xlsx"
    write_samples(path, one_year(2026, dt.date(2025, 7, 1)))
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sample_year: Path) -> Iterator[Server]:
    """Organisations A and B with accounts, B's records and return filed by its owner.

    Made once for the module (a year of records takes seconds to import); the
    tests only add rows that none of the others counts.
    """
    from peerreport.filing import period_of, submit_return
    from peerreport.hosted.accounts import create_account
    from peerreport.hosted.app import create_hosted_app
    from peerreport.hosted.config import ServerConfig
    from peerreport.hosted.directory import (
        add_funder,
        add_organisation,
        grant,
        link_provider,
        publish_rule,
    )
    from peerreport.hosted.orgs import ensure_org_workspace
    from peerreport.hosted.published import funder_rule_file, write_published
    from peerreport.intake import ImportSettings, import_files

    tmp_path = tmp_path_factory.mktemp("hosted")
    with empty_database("postgresql", tmp_path) as url, pytest.MonkeyPatch.context() as patch:
        owner = open_engine(url)
        upgrade(owner)
        config = ServerConfig(
            database_url=url, secret_key="x" * 40, base_url=BASE, data_dir=tmp_path / "data"
        )
        add_organisation(owner, ORG_A, "Aroha Peer Network")
        add_organisation(owner, ORG_B, "Brightwater Peers")
        add_funder(owner, FUNDER, "Brightwater District Funder")
        link_provider(owner, FUNDER, ORG_B)
        for username, role, kind, code in (
            ("alice", "coordinator", "org", ORG_A),
            ("fran", "funder", "funder", FUNDER),
        ):
            create_account(owner, username, PASSWORD, role)
            grant(owner, username, kind, code)
        publish_rule(owner, FUNDER, FUNDER_RULE_TEXT, None, None)
        write_published(config, owner)
        # B's year and its return to the funder, by the project's own import and filing.
        workspace = ensure_org_workspace(config, ORG_B, "Brightwater Peers")
        assert import_files(owner, [sample_year], ImportSettings.for_workspace(workspace)).stored
        rule_file = funder_rule_file(config, owner, FUNDER, FUNDER_RULES)
        filed = submit_return(workspace, owner, rule_file, period_of(rule_file, PERIOD))
        assert filed.filed is not None
        ensure_org_workspace(config, ORG_A, "Aroha Peer Network", (RULES,))
        guard = create_hosted_app(config, owner)
        _add_leaking_routes(guard.app, patch)
        yield Server(guard, owner, sample_year, filed.filed.submission.id)
        owner.dispose()


def _file_as_coordinator(browser: TestClient, sample: Path) -> None:
    """A's year uploaded and its return filed through the pages (walled, as every request)."""
    upload = browser.get("/upload")
    assert upload.status_code == 200, upload.text
    files = {"files": (sample.name, sample.read_bytes(), "application/octet-stream")}
    stored = browser.post(
        "/upload", data={"csrf_token": _csrf(upload.text)}, files=files, headers=ORIGIN
    )
    assert stored.status_code == 200, stored.text
    review = browser.get(f"/returns/{RULES}/{PERIOD}")
    assert review.status_code == 200, review.text
    filed = browser.post(
        f"/returns/{RULES}/{PERIOD}/submit",
        data={"csrf_token": _csrf(review.text)},
        headers=ORIGIN,
    )
    assert filed.status_code == 303, filed.text


def test_a_route_that_forgets_its_check_gets_none_of_another_organisations_rows(
    server: Server,
) -> None:
    alice = server.client("alice")
    _file_as_coordinator(alice, server.sample)
    a_activities = server.owners_count(activity, ORG_A)
    b_activities = server.owners_count(activity, ORG_B)
    assert a_activities > 0 and b_activities > 0
    assert server.owners_count(submitted_return, ORG_A) == 1
    assert server.owners_count(submitted_return, ORG_B) == 1

    own = alice.get(f"/leak/{ORG_A}")
    assert own.status_code == 200
    assert own.json() == {"activities": a_activities, "returns": 1}
    other = alice.get(f"/leak/{ORG_B}")
    assert other.status_code == 200, "the access check was forgotten: the route runs"
    assert other.json() == {"activities": 0, "returns": 0}, "but the database shows nothing"


def test_a_funder_reaches_its_providers_returns_and_no_records(server: Server) -> None:
    fran = server.client("fran")
    assert fran.get(f"/leak/{ORG_B}").json() == {"activities": 0, "returns": 1}
    assert fran.get(f"/leak/{ORG_A}").json() == {"activities": 0, "returns": 0}
    assert server.owners_count(activity, ORG_B) > 0


def test_a_funders_own_pages_work_behind_the_wall(server: Server) -> None:
    fran = server.client("fran")
    assert fran.get(f"/funder/{FUNDER}").status_code == 200
    chain = server.owners_count(ledger_entry, ORG_B)
    page = fran.get(f"/funder/{FUNDER}/submissions/{server.b_return}")
    assert page.status_code == 200, page.text
    accepted = fran.post(
        f"/funder/{FUNDER}/submissions/{server.b_return}/accept",
        data={"csrf_token": _csrf(page.text)},
        headers=ORIGIN,
    )
    assert accepted.status_code == 303, accepted.text
    assert server.owners_count(return_event, ORG_B) == 1
    assert server.owners_count(ledger_entry, ORG_B) == chain + 1, "B's chain goes on"
    collation = fran.get(f"/funder/{FUNDER}/collate/{FUNDER_RULES}/{PERIOD}")
    assert collation.status_code == 200, collation.text
    assert "Brightwater Peers" in collation.text


def test_a_row_for_another_organisation_is_refused_by_the_database(server: Server) -> None:
    alice = server.client("alice")
    before = server.owners_count(import_run, ORG_B)
    refused = alice.get(f"/leak/{ORG_B}/write").json()
    assert refused["written"] is False
    assert "row-level security" in refused["error"]
    assert server.owners_count(import_run, ORG_B) == before
    assert alice.get(f"/leak/{ORG_A}/write").json() == {"written": True, "error": ""}
    fran = server.client("fran")
    assert fran.get(f"/leak/{ORG_B}/write").json()["written"] is False, "no records for funders"


def test_outside_a_request_the_walled_engine_shows_nothing(server: Server) -> None:
    walled = server.app.app.state.engine
    assert walled is not server.owner
    with walled.connect() as conn:
        assert conn.execute(select(func.count()).select_from(activity)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(submitted_return)).scalar_one() == 0
