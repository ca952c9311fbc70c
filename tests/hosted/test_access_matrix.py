"""Every route of the hosted server, by every kind of person, gets exactly the access described.

The routes are enumerated from the application itself, so a new route without
an access rule fails here. What each person may do is written below a second
time, independently of `peerreport.hosted.access`, in the words of the issue:

- a coordinator uses the coordinator's pages for the organisation they work on
  (one with several organisations chooses first), never another's;
- a funder user sees its dashboard, its rule files and collations, and the
  returns filed to its rule files by its providers, and never records;
- an auditor reads the organisations assigned (directly or as providers of an
  assigned funder), and their returns;
- an admin has the admin's page; API tokens reach only the API, scoped to their
  organisation or funder; nobody else gets anything but the sign-in page.

Every request is sent for real. State-changing requests are sent without the
CSRF token, so a request the guard lets through is refused by the CSRF check
instead of changing anything: that refusal says "allowed by the access rules".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from tests.conftest import BACKENDS, empty_database
from tests.hosted.helpers import RULE_TEXT, file_on_server, sample_log
from tests.migrated import migrate

BASE = "http://testserver"
PASSWORD = "a long enough passphrase"
A, A_NAME = "HPC001", "Harbour Peer Collective"
B, B_NAME = "OTH002", "Otago Peer Network"
C, C_NAME = "CTR003", "Central Recovery Circle"
F, F_NAME = "HDF", "Harbour District Funder"
G, G_NAME = "SDF", "Southern District Funder"
RULE_F = "harbour-adults"
RULE_G = "southern-adults"
RULE_G_TEXT = RULE_TEXT.replace(RULE_F, RULE_G).replace("Harbour District", "Southern District")
PERIOD = "FY2026-Q4"
CSRF_REFUSAL = "security token is missing"


@dataclass
class Persona:
    """Someone asking: an account (signed in through the form), an API token, or nobody."""

    name: str
    role: str  # coordinator | funder | auditor | admin | org-token | funder-token | anonymous
    orgs: frozenset[str] = frozenset()
    funders: frozenset[str] = frozenset()
    token: str | None = None
    client: TestClient | None = None

    @property
    def working_org(self) -> str | None:
        return next(iter(self.orgs)) if self.role == "coordinator" and len(self.orgs) == 1 else None


@dataclass
class Matrix:
    app: Any
    personas: list[Persona]
    submissions: dict[str, int]  # org -> its filed return's ledger id
    providers: dict[str, frozenset[str]] = field(default_factory=dict)
    published: dict[str, str] = field(default_factory=dict)  # funder -> its rule id


def _sign_in(client: TestClient, username: str) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None, form.text
    done = client.post(
        "/login",
        data={"csrf_token": token[1], "username": username, "password": PASSWORD, "next": "/"},
        headers={"origin": BASE},
    )
    assert done.status_code == 303, done.text


def _build(folder: Path, url: str) -> Matrix:
    from peerreport.hosted import accounts, directory
    from peerreport.hosted.app import create_hosted_app
    from peerreport.hosted.config import ServerConfig
    from peerreport.store.database import open_engine

    migrate(url)
    engine = open_engine(url)
    config = ServerConfig(
        database_url=url, secret_key="m" * 44, base_url=BASE, data_dir=folder / "data"
    )
    for code, name in ((A, A_NAME), (B, B_NAME), (C, C_NAME)):
        directory.add_organisation(engine, code, name)
    directory.add_funder(engine, F, F_NAME)
    directory.add_funder(engine, G, G_NAME)
    for funder, org in ((F, A), (F, C), (G, B)):
        directory.link_provider(engine, funder, org)
    directory.publish_rule(engine, F, RULE_TEXT, None, None)
    directory.publish_rule(engine, G, RULE_G_TEXT, None, None)
    app = create_hosted_app(config, engine)  # writes the published rule files out

    log = sample_log(folder)
    submissions = {
        org: file_on_server(config, engine, org, name, funder, rule_id, log)
        for org, name, funder, rule_id in ((A, A_NAME, F, RULE_F), (B, B_NAME, G, RULE_G))
    }

    people = [
        Persona("coord-a", "coordinator", orgs=frozenset({A})),
        Persona("coord-b", "coordinator", orgs=frozenset({B})),
        Persona("coord-ac", "coordinator", orgs=frozenset({A, C})),
        Persona("funder-f", "funder", funders=frozenset({F})),
        Persona("funder-g", "funder", funders=frozenset({G})),
        Persona("auditor-a", "auditor", orgs=frozenset({A})),
        Persona("auditor-g", "auditor", funders=frozenset({G})),
        Persona("admin", "admin"),
    ]
    for person in people:
        accounts.create_account(engine, person.name, PASSWORD, person.role)
        for org in person.orgs:
            directory.grant(engine, person.name, "org", org)
        for funder in person.funders:
            directory.grant(engine, person.name, "funder", funder)
        person.client = TestClient(app, base_url=BASE, follow_redirects=False)
        _sign_in(person.client, person.name)
    tokens = [
        Persona(
            "token-a",
            "org-token",
            orgs=frozenset({A}),
            token=accounts.issue_token(engine, "org", A, "matrix"),
        ),
        Persona(
            "token-f",
            "funder-token",
            funders=frozenset({F}),
            token=accounts.issue_token(engine, "funder", F, "matrix"),
        ),
        Persona("nobody", "anonymous"),
    ]
    for person in tokens:
        person.client = TestClient(app, base_url=BASE, follow_redirects=False)
    return Matrix(
        app,
        people + tokens,
        submissions,
        providers={F: frozenset({A, C}), G: frozenset({B})},
        published={F: RULE_F, G: RULE_G},
    )


@pytest.fixture(name="matrix", scope="module", params=BACKENDS)
def matrix_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matrix]:
    """The server above, on SQLite and (when configured) PostgreSQL, built once per module."""
    from peerreport.hosted import accounts
    from peerreport.hosted.limits import AttemptLimit
    from peerreport.hosted.routes import signin

    folder = tmp_path_factory.mktemp(f"matrix-{request.param}")
    with ExitStack() as stack:
        url = stack.enter_context(empty_database(str(request.param), folder))
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        patch.setattr(signin, "attempts", AttemptLimit())
        patch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        built = _build(folder, url)
        try:
            yield built
        finally:
            built.app.app.state.desks.close()


def _routes(app: Any) -> list[tuple[str, str]]:
    from peerreport.hosted.guard import leaf_routes

    return sorted(
        (method, route.path)
        for route in leaf_routes(app.app.router.routes)
        for method in (getattr(route, "methods", None) or {"GET"})
        if method != "HEAD"
    )


def test_every_route_has_an_access_rule_and_every_rule_a_route(matrix: Matrix) -> None:
    from peerreport.hosted.access import ROUTES

    found = _routes(matrix.app)
    assert len(found) > 40, found
    assert [route for route in found if route not in ROUTES] == []
    assert [route for route in ROUTES if route not in found] == []


# -- What each person may do, written from the issue (not from access.py) ----------------------

ACCOUNTS = {"coordinator", "funder", "auditor", "admin"}


def _audits(person: Persona, org: str, matrix: Matrix) -> bool:
    if person.role != "auditor":
        return False
    return org in person.orgs or any(org in matrix.providers[f] for f in person.funders)


def _filed_to(funder: str, org: str, matrix: Matrix) -> bool:
    """Whether `org`'s filed return was filed to `funder` (a provider, under its rule file)."""
    return org in matrix.providers[funder]


def expected(method: str, path: str, person: Persona, params: dict[str, str], m: Matrix) -> str:
    """'allowed', 'refused', or 'choose' (a coordinator of several must pick one first)."""
    role = person.role
    org_of_submission = params.get("_org", "")
    if path in ("/login", "/static", "/review.css", "/healthz", "/api/openapi.json"):
        return "allowed"
    if path == "/logout":
        return "allowed" if role in ACCOUNTS else "refused"
    if path == "/start" and method == "POST":
        return "refused"  # organisations are made by an admin on a hosted server
    if path == "/choose":
        return "allowed" if role == "coordinator" else "refused"
    if path == "/":
        if role == "coordinator":
            return "allowed" if person.working_org else "choose"
        return "allowed" if role in ACCOUNTS else "refused"
    if path.startswith("/funder"):
        if role != "funder":
            return "refused"
        if path == "/funder":
            return "allowed"
        funder = params["funder"]
        if funder not in person.funders:
            return "refused"
        if "{ident}" in path:
            return "allowed" if _filed_to(funder, org_of_submission, m) else "refused"
        return "allowed"
    if path.startswith("/audit"):
        if role != "auditor":
            return "refused"
        if "{org}" in path:
            return "allowed" if _audits(person, params["org"], m) else "refused"
        if "{ident}" in path:
            return "allowed" if _audits(person, org_of_submission, m) else "refused"
        return "allowed"
    if path == "/admin":
        return "allowed" if role == "admin" else "refused"
    if path == "/api/v1/bundles":
        return "allowed" if role == "org-token" else "refused"
    if path == "/api/v1/returns":
        return "allowed" if role in ("org-token", "funder-token") else "refused"
    if path.startswith("/api/v1/funders/"):
        return (
            "allowed"
            if role == "funder-token" and params["funder"] in person.funders
            else "refused"
        )
    # Everything else is the coordinator's pages, on the organisation they work on.
    if role != "coordinator":
        return "refused"
    return "allowed" if person.working_org else "choose"


def _variants(path: str, m: Matrix) -> list[dict[str, str]]:
    """Each way to fill a route's parameters: own and others' organisations, funders, returns."""
    names = re.findall(r"{(\w+)}", path)
    base = {
        "rule_id": RULE_F,
        "period_label": PERIOD,
        "version": "1",
        "fmt": "csv",
        "batch": "b1",
        "name": "log.xlsx",
        "path": "app.css",
    }
    if path.startswith("/records/imports"):
        base["ident"] = "1"
    variants: list[dict[str, str]] = [base]
    if "funder" in names:
        variants = [{**v, "funder": f, "rule_id": m.published[f]} for v in variants for f in (F, G)]
    if "org" in names:
        variants = [{**v, "org": org} for v in variants for org in (A, B)]
    if "ident" in names and not path.startswith("/records"):
        variants = [
            {**v, "ident": str(m.submissions[org]), "_org": org} for v in variants for org in (A, B)
        ]
    return variants


def _url(path: str, params: dict[str, str]) -> str:
    if path == "/static":
        return "/static/app.css"
    return re.sub(r"{(\w+)}", lambda found: params[found[1]], path)


def outcome(response: Any) -> str:
    """What the server did: refused the person, sent them to choose, or let the route run."""
    status = response.status_code
    location = response.headers.get("location", "")
    if status == 303 and location.startswith("/login"):
        return "refused"
    if status == 303 and location.startswith("/choose"):
        return "choose"
    if status in (401, 403) and CSRF_REFUSAL not in response.text:
        return "refused"
    return "allowed"


def test_every_route_by_every_person(matrix: Matrix) -> None:
    from peerreport.hosted.access import ROUTES

    wrong: list[str] = []
    names = {A: A_NAME, B: B_NAME, C: C_NAME}
    checked = 0
    for method, path in sorted(ROUTES):
        for params in _variants(path, matrix):
            url = _url(path, params)
            for person in matrix.personas:
                assert person.client is not None
                headers = {"origin": BASE}
                if person.token is not None:
                    headers["authorization"] = f"Bearer {person.token}"
                if method == "GET":
                    response = person.client.get(url, headers=headers)
                else:
                    # No CSRF token: a request the access rules let through is stopped by the
                    # CSRF check (API calls with a token have none and get the route's own 4xx).
                    response = person.client.request(method, url, headers=headers)
                want = expected(method, path, person, params, matrix)
                got = outcome(response)
                checked += 1
                if got != want:
                    wrong.append(
                        f"{person.name} {method} {url}: expected {want}, got {got} "
                        f"({response.status_code})"
                    )
                if got == "refused":
                    # A refusal shows nothing of anyone: no organisation's name.
                    leaked = [n for n in names.values() if n in response.text]
                    if leaked:
                        wrong.append(f"{person.name} {method} {url}: refusal names {leaked}")
                if response.status_code >= 500:
                    wrong.append(f"{person.name} {method} {url}: server error")
    assert wrong == [], "\n".join(wrong)
    assert checked > 500


def test_a_coordinator_never_sees_another_organisations_name(matrix: Matrix) -> None:
    """Coordinator A's every page (GET, allowed) names neither B nor C."""
    from peerreport.hosted.access import ROUTES

    person = next(p for p in matrix.personas if p.name == "coord-a")
    assert person.client is not None
    seen = 0
    for method, path in sorted(ROUTES):
        if method != "GET" or path.startswith(("/funder", "/audit", "/admin", "/api", "/static")):
            continue
        for params in _variants(path, matrix):
            response = person.client.get(_url(path, params))
            if response.status_code == 200 and "text/html" in response.headers["content-type"]:
                seen += 1
                assert B_NAME not in response.text and C_NAME not in response.text, path
                assert B not in response.text and C not in response.text, path
    assert seen >= 8
