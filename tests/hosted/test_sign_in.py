"""Signing in through the web: session fixation, cookie flags, forged cookies, signing out,
the limit on attempts from one address and the account lockout, on both databases."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from peerreport.hosted.guard import SESSION_COOKIE
from tests.hosted.helpers import BASE_URL, ORG_A, Hosted

PASSWORD = "a long enough passphrase"


def _account(hosted: Hosted) -> None:
    from peerreport.hosted.accounts import create_account
    from peerreport.hosted.directory import grant

    create_account(hosted.engine, "coord-a", PASSWORD, "coordinator")
    grant(hosted.engine, "coord-a", "org", ORG_A)


def _browser(hosted: Hosted) -> TestClient:
    return TestClient(hosted.client.app, base_url=BASE_URL, follow_redirects=False)


def _sign_in(client: TestClient, password: str = PASSWORD) -> Any:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    return client.post(
        "/login",
        data={"csrf_token": token[1], "username": "coord-a", "password": password},
        headers={"origin": BASE_URL},
    )


def test_signing_in_makes_a_new_session_and_signing_out_ends_it(hosted: Hosted) -> None:
    _account(hosted)
    browser = _browser(hosted)
    first = _sign_in(browser)
    assert first.status_code == 303
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie
    before = browser.cookies.get(SESSION_COOKIE)
    assert before and browser.get("/").status_code == 200

    # Signing in again (as after someone planted their session) makes a new one; the old dies.
    again = _sign_in(browser)
    assert again.status_code == 303
    after = browser.cookies.get(SESSION_COOKIE)
    assert after and after != before
    planted = _browser(hosted)
    planted.cookies.set(SESSION_COOKIE, before)
    assert planted.get("/").headers["location"].startswith("/login")

    # A cookie not signed with the server's key is nobody's.
    forged = _browser(hosted)
    value = after.rpartition(".")[0]
    forged.cookies.set(SESSION_COOKIE, f"{value}.{'0' * 32}")
    assert forged.get("/").headers["location"].startswith("/login")

    # Signing out ends the session on the server: the same cookie no longer works.
    form = browser.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    out = browser.post("/logout", data={"csrf_token": token[1]}, headers={"origin": BASE_URL})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    replay = _browser(hosted)
    replay.cookies.set(SESSION_COOKIE, after)
    assert replay.get("/").headers["location"].startswith("/login")


def test_wrong_passwords_lock_the_account_and_many_tries_are_slowed(hosted: Hosted) -> None:
    _account(hosted)
    # The conftest gives this test its own count of tries from the test client.
    browser = _browser(hosted)
    answers = [_sign_in(browser, "wrong password!") for _ in range(5)]
    assert all(a.status_code == 401 for a in answers)
    locked = _sign_in(browser)  # the right password, but the account is locked now
    assert locked.status_code == 401
    assert "locked" in locked.text.lower()
    for _ in range(20):
        last = _sign_in(browser, "wrong password!")
    assert last.status_code == 429
    assert "Too many sign-in attempts" in last.text
