"""The funder's pages, and the coordinator's side of a query, on both databases.

A provider's return filed on the server reaches the funder's dashboard; the
funder queries it; the coordinator sees the query, replies and amends; the
funder sees what changed, accepts, collates and downloads the workbooks.
Publishing a rule file through the page offers it to the funder's providers.
"""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
from fastapi.testclient import TestClient

from tests.hosted.helpers import (
    BASE_URL,
    FUNDER,
    ORG_A,
    ORG_A_NAME,
    ORG_B_NAME,
    PERIOD,
    RULE_ID,
    Hosted,
    file_on_server,
    sample_log,
)

PASSWORD = "a long enough passphrase"


def _person(hosted: Hosted, username: str, role: str, kind: str, code: str) -> TestClient:
    from peerreport.hosted.accounts import create_account
    from peerreport.hosted.directory import grant

    create_account(hosted.engine, username, PASSWORD, role)
    grant(hosted.engine, username, kind, code)
    client = TestClient(hosted.client.app, base_url=BASE_URL, follow_redirects=False)
    form = client.get("/login")
    done = client.post(
        "/login",
        data={
            "csrf_token": _csrf(form.text),
            "username": username,
            "password": PASSWORD,
            "next": "/",
        },
        headers={"origin": BASE_URL},
    )
    assert done.status_code == 303, done.text
    return client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, html
    return found[1]


def _post(client: TestClient, page: str, url: str, **data: Any) -> Any:
    """Submit a form on `page` (its CSRF token) to `url`, as the browser does."""
    form = client.get(page)
    assert form.status_code == 200, form.text
    return client.post(
        url, data={"csrf_token": _csrf(form.text), **data}, headers={"origin": BASE_URL}
    )


def test_query_reply_amend_accept_and_collate(hosted: Hosted, tmp_path: Any) -> None:
    from peerreport.hosted.directory import bundle_of
    from peerreport.ledger import submissions

    first = file_on_server(
        hosted.config, hosted.engine, ORG_A, ORG_A_NAME, FUNDER, RULE_ID, sample_log(tmp_path)
    )
    funder = _person(hosted, "funder-h", "funder", "funder", FUNDER)
    coordinator = _person(hosted, "coord-a", "coordinator", "org", ORG_A)

    assert funder.get("/").headers["location"] == f"/funder/{FUNDER}"
    assert funder.get("/funder").headers["location"] == f"/funder/{FUNDER}"
    board = funder.get(f"/funder/{FUNDER}")
    assert board.status_code == 200
    assert ORG_A_NAME in board.text and ORG_B_NAME not in board.text
    cell = re.search(
        rf'class="state state-(\w+)"><a href="/funder/{FUNDER}/submissions/{first}"', board.text
    )
    assert cell is not None and cell[1] in ("received", "late")
    assert "Not yet due" in board.text  # the quarter we are in
    filtered = funder.get(f"/funder/{FUNDER}", params={"state": "queried"})
    assert ORG_A_NAME not in filtered.text.split("<tbody>")[1].split("</tbody>")[0]

    page = f"/funder/{FUNDER}/submissions/{first}"
    shown = funder.get(page)
    assert shown.status_code == 200
    assert "INTACT" in shown.text and "Accept this return" in shown.text
    asked = _post(
        funder, page, f"{page}/query", message="Attendance looks low in May: please check."
    )
    assert asked.status_code == 303
    assert "Attendance looks low in May" in funder.get(page).text

    review = f"/returns/{RULE_ID}/{PERIOD}"
    seen = coordinator.get(review)
    assert "The funder queried this return" in seen.text
    assert "Attendance looks low in May" in seen.text
    replied = _post(coordinator, review, f"{review}/reply", message="Checked: May was quiet.")
    assert replied.status_code == 303
    assert "You replied" in coordinator.get(review).text
    amended = _post(
        coordinator, review, f"{review}/submit", reason="Rechecked May", same_anyway="true"
    )
    assert amended.status_code == 303, amended.text
    versions = submissions(hosted.engine, ORG_A, RULE_ID)
    second = versions[-1].id
    assert versions[-1].version == 2 and bundle_of(hosted.engine, second) is not None
    # Filed on the server: the org's key here was registered as the server's own, so the same
    # bundle sent back through the API is taken as what the server already holds.
    from peerreport.hosted.keys import keys_of

    [own] = keys_of(hosted.engine, ORG_A)
    assert own.added_by == "server" and own.state == "active"
    echoed = hosted.send(ORG_A, bundle_of(hosted.engine, second) or b"")
    assert echoed.status_code == 200 and echoed.json()["signer"] == own.fingerprint

    newer = f"/funder/{FUNDER}/submissions/{second}"
    shown = funder.get(newer)
    assert "Changes from version 1" in shown.text and "Rechecked May" in shown.text
    old = funder.get(page)
    assert "superseded" in old.text and "Accept this return" not in old.text
    assert _post(funder, newer, f"{newer}/accept").status_code == 303
    assert "Accept this return" not in funder.get(newer).text
    again = funder.post(
        f"{newer}/accept",
        data={"csrf_token": _csrf(funder.get(newer).text)},
        headers={"origin": BASE_URL},
    )
    assert again.status_code == 400 and "notice-error" in again.text
    assert "The funder accepted this return" in coordinator.get(review).text

    collated = funder.get(f"/funder/{FUNDER}/collate/{RULE_ID}/{PERIOD}")
    assert collated.status_code == 200 and ORG_A_NAME in collated.text
    workbook = funder.get(f"/funder/{FUNDER}/collate/{RULE_ID}/{PERIOD}/workbook")
    assert workbook.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    assert any(
        ORG_A in str(value)
        for sheet in book
        for row in sheet.iter_rows(values_only=True)
        for value in row
    )
    grid = funder.get(f"/funder/{FUNDER}/dashboard.xlsx", params={"rule": RULE_ID})
    sheet = openpyxl.load_workbook(io.BytesIO(grid.content))["Dashboard"]
    values = [v for row in sheet.iter_rows(values_only=True) for v in row]
    assert ORG_A_NAME in values and "Accepted" in values
    bundle = funder.get(f"{newer}/bundle")
    assert bundle.status_code == 200 and bundle.content[:2] == b"PK"


def test_publishing_a_rule_file_offers_it_to_the_providers(hosted: Hosted) -> None:
    from peerreport.hosted.directory import published_rules

    funder = _person(hosted, "funder-h", "funder", "funder", FUNDER)
    coordinator = _person(hosted, "coord-a", "coordinator", "org", ORG_A)
    before = len(published_rules(hosted.engine, funder=FUNDER))
    page = f"/funder/{FUNDER}/rules"
    broken = funder.post(
        page,
        data={"csrf_token": _csrf(funder.get(page).text)},
        files={
            "rule_file": (
                "youth.toml",
                b'id = "harbour-youth"\ntitle = "Youth"\nversion = "1"\n'
                b'extends = ["no-such-file"]\n',
            )
        },
        headers={"origin": BASE_URL},
    )
    problem = re.search(r"id=\"publish-problem\"><p>(.*?)</p>", broken.text, re.S)
    assert broken.status_code == 400 and problem is not None, broken.text[-3000:]
    assert "no-such-file" in problem[1] and "youth.toml" in problem[1], problem[1]
    assert len(published_rules(hosted.engine, funder=FUNDER)) == before

    text = (
        'id = "harbour-youth"\ntitle = "Harbour District: youth peer support"\n'
        'version = "2026.1"\nextends = ["nz-peer-support-adults"]\n'
    )
    done = funder.post(
        page,
        data={"csrf_token": _csrf(funder.get(page).text)},
        files={"rule_file": ("youth.toml", text.encode())},
        headers={"origin": BASE_URL},
    )
    assert done.status_code == 303, done.text
    assert "harbour-youth" in funder.get(page).text
    assert "Harbour District: youth peer support" in coordinator.get("/returns").text
    assert "harbour-youth" in funder.get(f"/funder/{FUNDER}", params={"rule": "harbour-youth"}).text


def test_a_coordinator_sends_a_bundle_made_on_their_own_computer(
    hosted: Hosted, local_bundles: Any
) -> None:
    from sqlalchemy import delete

    from peerreport.hosted.directory import bundle_of
    from peerreport.hosted.keys import add_key, retire_key
    from peerreport.ledger import submissions
    from peerreport.store.hosted_schema import provider_key

    coordinator = _person(hosted, "coord-a", "coordinator", "org", ORG_A)
    funder = _person(hosted, "funder-h", "funder", "funder", FUNDER)

    def send(data: bytes) -> Any:
        return coordinator.post(
            "/bundles",
            data={"csrf_token": _csrf(coordinator.get("/bundles").text)},
            files={"bundle": ("return.bundle.zip", data, "application/zip")},
            headers={"origin": BASE_URL},
        )

    refused = send(b"not a zip at all")
    assert refused.status_code == 400 and 'id="bundle-problem"' in refused.text
    assert hosted.stored() == (0, 0)
    theirs = send(local_bundles.b_v1)  # another organisation's bundle
    assert theirs.status_code == 400 and hosted.stored() == (0, 0)
    key = local_bundles.keys[ORG_A]
    form = coordinator.get("/bundles").text
    assert 'id="bundle-keys"' in form and key in form and "Taken" in form

    retire_key(hosted.engine, ORG_A, key)
    unverified = send(local_bundles.a_v1)  # signed by a key no longer registered as theirs
    assert unverified.status_code == 400 and hosted.stored() == (0, 0)
    assert "Not received: UNVERIFIED ORIGIN" in unverified.text, unverified.text
    assert key in unverified.text and "Retired on" in unverified.text
    with hosted.engine.begin() as conn:  # as if it had never been registered
        conn.execute(delete(provider_key))
    assert 'id="bundle-keys-none"' in coordinator.get("/bundles").text
    add_key(hosted.engine, ORG_A, key)

    taken = send(local_bundles.a_v1)
    assert taken.status_code == 200 and "Received and filed" in taken.text
    (entry,) = submissions(hosted.engine, ORG_A, RULE_ID)
    assert bundle_of(hosted.engine, entry.id) == local_bundles.a_v1
    again = send(local_bundles.a_v1)
    assert "Already received earlier" in again.text and hosted.stored() == (1, 1)
    board = funder.get(f"/funder/{FUNDER}")
    assert f'href="/funder/{FUNDER}/submissions/{entry.id}"' in board.text


def test_the_address_puts_no_words_or_status_on_the_funders_pages(
    hosted: Hosted, tmp_path: Any
) -> None:
    """A link cannot make a funder's page say something (or fail): problems come from forms."""
    from peerreport.hosted.directory import providers_of

    ident = file_on_server(
        hosted.config,
        hosted.engine,
        ORG_A,
        ORG_A_NAME,
        FUNDER,
        RULE_ID,
        sample_log(tmp_path),
    )
    assert (ORG_A, ORG_A_NAME) in providers_of(hosted.engine, FUNDER)
    funder = _person(hosted, "funder-h", "funder", "funder", FUNDER)
    words = "Your account is locked: call 0800 000 000"
    for page in (f"/funder/{FUNDER}/rules", f"/funder/{FUNDER}/submissions/{ident}"):
        shown = funder.get(page, params={"problem": words, "status": "500"})
        assert shown.status_code == 200, page
        assert "0800" not in shown.text, page
    published = funder.get(f"/funder/{FUNDER}/rules", params={"published": RULE_ID})
    assert "Published: " in published.text
