"""A NUL character in an address, a query or a form is a plain refusal, never a server error.

PostgreSQL cannot store NUL in text (SQLite can), so a stray one reaching a
query was a 500 on PostgreSQL only; schemathesis found it in the JSON API.
"""

from __future__ import annotations

from tests.hosted.helpers import BASE_URL, FUNDER, ORG_A, RULE_ID, Hosted


def test_nul_in_the_api_is_refused_plainly(hosted: Hosted) -> None:
    for who in (ORG_A, FUNDER):
        for query in ({"rule_id": "a\x00b"}, {"period_label": "\x00"}, {"state": "\x00x"}):
            answer = hosted.client.get("/api/v1/returns", params=query, headers=hosted.auth(who))
            assert answer.status_code == 400, answer.text
            assert "NUL" in answer.json()["error"]
    answer = hosted.client.get(
        f"/api/v1/funders/{FUNDER}/collations/{RULE_ID}/FY%00", headers=hosted.auth(FUNDER)
    )
    assert answer.status_code == 400 and "NUL" in answer.text


def test_nul_in_a_form_is_refused_plainly(hosted: Hosted) -> None:
    form = hosted.client.get("/login")
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    answer = hosted.client.post(
        "/login",
        data={"csrf_token": token[1], "username": "a\x00b", "password": "x" * 12},
        headers={"origin": BASE_URL},
    )
    assert answer.status_code == 400 and "NUL character" in answer.text
