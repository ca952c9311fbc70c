"""The local server's guard: the secret token, Host, Origin, CSRF and the upload limit.

Every refused request must change nothing: no workspace made, no record
stored, no activity withdrawn, no return filed, no file written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from peerreport.store.database import open_engine
from peerreport.store.schema import activity, import_run
from peerreport.workspace import load_workspace, write_workspace
from tests.helpers import ACTIVITY_HEADER, write_csv
from tests.web.client import BASE, ORIGIN, client, config_for, csrf

LOG = [ACTIVITY_HEADER, ["G-1", "02/07/2026", "group", 6, "Groups", ""]]


@pytest.fixture
def workspace(tmp_path: Path, db_url: str) -> Path:
    root = tmp_path / "ws"
    write_workspace(root, "Harbour Peer Collective", "HPC001", db_url)
    return root


def _stored(root: Path) -> tuple[int, int]:
    engine = open_engine(load_workspace(root).database_url)
    with engine.connect() as conn:
        found = (
            conn.execute(select(func.count()).select_from(activity)).scalar_one(),
            conn.execute(select(func.count()).select_from(import_run)).scalar_one(),
        )
    engine.dispose()
    return found


def _upload(path: Path) -> dict[str, tuple[str, bytes, str]]:
    return {"files": (path.name, path.read_bytes(), "text/csv")}


GETS = ["/", "/start", "/upload", "/records", "/returns", "/review.css", "/static/app.css"]


def test_without_the_token_nothing_is_served_or_changed(tmp_path: Path, workspace: Path) -> None:
    config = config_for(tmp_path, workspace)
    stranger = client(config, signed_in=False)
    for url in GETS:
        answer = stranger.get(url)
        assert answer.status_code == 403, url
        assert "address that `peerreport serve` printed" in answer.text
    wrong = stranger.get("/?token=not-the-token")
    assert wrong.status_code == 403 and "set-cookie" not in wrong.headers
    csv = write_csv(tmp_path / "activities.csv", LOG)
    posted = stranger.post("/upload", files=_upload(csv), data=csrf(config), headers=ORIGIN)
    assert posted.status_code == 403
    assert _stored(workspace) == (0, 0)
    assert not (workspace / "uploads").exists()


def test_the_first_address_sets_a_strict_cookie_and_drops_the_token(
    tmp_path: Path, workspace: Path
) -> None:
    config = config_for(tmp_path, workspace)
    browser = client(config, signed_in=False)
    first = browser.get(f"/records?token={config.token}")
    assert first.status_code == 303
    assert first.headers["location"] == "/records"
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert browser.get("/records").status_code == 200


def test_another_host_name_is_refused(tmp_path: Path, workspace: Path) -> None:
    """A web page that rebinds its domain to 127.0.0.1 still names its own host."""
    config = config_for(tmp_path, workspace)
    browser = client(config)
    answer = browser.get("/", headers={"host": "attacker.example:8765"})
    assert answer.status_code == 421


def test_a_post_from_another_site_or_without_csrf_changes_nothing(
    tmp_path: Path, workspace: Path
) -> None:
    config = config_for(tmp_path, workspace)
    browser = client(config)
    csv = write_csv(tmp_path / "activities.csv", LOG)
    cases = [
        ({"origin": "http://attacker.example"}, csrf(config), 403),
        ({"referer": "http://attacker.example/page"}, csrf(config), 403),
        ({}, csrf(config), 403),  # neither Origin nor Referer
        (ORIGIN, {}, 403),  # no CSRF token
        (ORIGIN, {"csrf_token": "0" * 40}, 403),  # a wrong one
    ]
    for headers, data, status in cases:
        answer = browser.post("/upload", files=_upload(csv), data=data, headers=headers)
        assert answer.status_code == status, (headers, data, answer.text)
    assert _stored(workspace) == (0, 0)
    assert not (workspace / "uploads").exists()
    # The same request with the token, from our own page, is served.
    fine = browser.post("/upload", files=_upload(csv), data=csrf(config), headers=ORIGIN)
    assert fine.status_code == 200, fine.text
    assert _stored(workspace) == (1, 1)


def test_withdraw_and_submit_need_csrf_too(tmp_path: Path, workspace: Path) -> None:
    config = config_for(tmp_path, workspace)
    browser = client(config)
    csv = write_csv(tmp_path / "activities.csv", LOG)
    browser.post("/upload", files=_upload(csv), data=csrf(config), headers=ORIGIN)
    refused = browser.post(
        "/records/activity/withdraw",
        data={"activity_id": "G-1", "reason": "test"},
        headers=ORIGIN,
    )
    assert refused.status_code == 403
    history = browser.get("/records/activity?id=G-1")
    assert "Withdrawn" not in history.text and "Current" in history.text
    start = browser.post("/start", data={"name": "Other", "provider_code": "OTH1"}, headers=ORIGIN)
    assert start.status_code == 403
    assert not (tmp_path / "other").exists()


def test_an_upload_over_the_limit_is_refused_unread(tmp_path: Path, workspace: Path) -> None:
    config = config_for(tmp_path, workspace, max_upload_bytes=4096)
    browser = client(config)
    rows = [ACTIVITY_HEADER] + [
        [f"G-{i}", "02/07/2026", "group", 6, "Groups", ""] for i in range(400)
    ]
    big = write_csv(tmp_path / "activities.csv", rows)
    assert big.stat().st_size > 4096
    answer = browser.post("/upload", files=_upload(big), data=csrf(config), headers=ORIGIN)
    assert answer.status_code == 413
    assert "too big: the limit is" in answer.text

    def chunks() -> object:  # no Content-Length: the limit holds as the bytes arrive
        boundary = b"--x\r\n"
        yield boundary + b'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
        yield config.csrf_token.encode() + b"\r\n" + boundary
        yield b'Content-Disposition: form-data; name="files"; filename="a.csv"\r\n\r\n'
        for _ in range(10):
            yield big.read_bytes()
        yield b"\r\n--x--\r\n"

    streamed = browser.post(
        "/upload",
        content=chunks(),  # type: ignore[arg-type]
        headers={**ORIGIN, "content-type": "multipart/form-data; boundary=x"},
    )
    assert streamed.status_code == 413
    assert _stored(workspace) == (0, 0)
    assert (
        not any((workspace / "uploads").rglob("*.csv"))
        if (workspace / "uploads").exists()
        else True
    )


def test_uploaded_files_stay_inside_the_workspace(tmp_path: Path, workspace: Path) -> None:
    config = config_for(tmp_path, workspace)
    browser = client(config)
    body = write_csv(tmp_path / "x.csv", LOG).read_bytes()
    before = {p for p in tmp_path.rglob("*")}
    for name in ("../../activities.csv", "..\\..\\activities.csv", "/etc/activities.csv"):
        answer = browser.post(
            "/upload",
            files={"files": (name, body, "text/csv")},
            data=csrf(config),
            headers=ORIGIN,
        )
        assert answer.status_code == 200, answer.text
    new = {p for p in tmp_path.rglob("*")} - before
    outside = [p for p in new if workspace not in p.parents and p != workspace]
    assert outside == []
    assert all(
        p.parent.parent == workspace / "uploads" for p in new if p.is_file() and p.suffix == ".csv"
    )
    assert not Path("/etc/activities.csv").exists()


def test_every_response_carries_the_security_headers(tmp_path: Path, workspace: Path) -> None:
    config = config_for(tmp_path, workspace)
    for answer in (client(config).get("/"), client(config, signed_in=False).get("/")):
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"


def test_the_server_answers_on_loopback_only(tmp_path: Path) -> None:
    from peerreport.web.server import LOCAL_HOST, first_address

    config = config_for(tmp_path, None)
    assert LOCAL_HOST == "127.0.0.1"
    assert first_address(config, 8765) == f"{BASE}/?token={config.token}"
