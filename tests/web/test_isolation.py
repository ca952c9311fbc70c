"""Isolation through the web: A's web application never shows B's records, imports or returns.

The same two organisations as the command line's isolation test share one
database; the web application runs on A's workspace with the shared URL, and
every page is asked for B's objects (its import id, activity ids, return's
period and versions). Nothing of B's (name, activity ids, figures) appears in
any response, and B's objects are refused as not found.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.bundle.sample import PERIOD
from tests.cli.test_isolation import B_ACTIVITIES, B_FIGURES, B_NAME, shared
from tests.web.client import client, config_for

__all__ = ["shared"]  # the fixture, imported for pytest


def _crawl(browser: Any, start: list[str]) -> dict[str, str]:
    """Every page reachable by links from `start` (GET only, this site only)."""
    seen: dict[str, str] = {}
    queue = list(start)
    while queue and len(seen) < 200:
        url = queue.pop()
        if url in seen:
            continue
        answer = browser.get(url)
        seen[url] = answer.text
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        for link in re.findall(r'href="(/[^"#]*)"', answer.text):
            if "/copy/" in link or "/bundle/" in link or link.startswith("/static"):
                continue
            queue.append(link.replace("&amp;", "&"))
    return seen


def test_a_web_page_never_shows_another_organisation(
    shared: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEERREPORT_RULES_PATH", str(Path(shared["rules"]).parent))
    root = Path.cwd()  # the fixture works inside A's workspace
    config = config_for(tmp_path, root, db_url=shared["db"])
    browser = client(config)
    pages = _crawl(browser, ["/", "/records", "/returns", f"/returns/audit-test/{PERIOD}"])
    assert len(pages) > 5
    for url, text in pages.items():
        for secret in (*B_ACTIVITIES, B_NAME, *B_FIGURES):
            assert secret not in text, (url, secret)
    aimed = {
        f"/records/imports/{shared['imp']}": "no import",
        f"/records/activity?id={B_ACTIVITIES[0]}": "",
    }
    for url, _ in aimed.items():
        answer = browser.get(url)
        assert answer.status_code == 400, (url, answer.text)
        for secret in (*B_ACTIVITIES[1:], B_NAME, *B_FIGURES):
            assert secret not in answer.text, (url, secret)
    # A's own return of the period is version 1; B's bundle (also version 1) is not served.
    bundle = browser.get(f"/returns/audit-test/{PERIOD}/bundle/1")
    assert bundle.status_code == 200
    assert bundle.content[:2] == b"PK"
    assert b"OTB002" not in bundle.content and B_NAME.encode() not in bundle.content
    assert browser.get(f"/returns/audit-test/{PERIOD}/bundle/2").status_code == 400
