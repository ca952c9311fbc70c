"""The upload page in a browser: drag and drop, and refusals shown where the result goes.

With JavaScript, htmx posts the form and puts the answer's #upload-result in
place; a refusal (a file of the wrong kind, an upload over the limit, a stale
form) must show there too, not leave the page as it was.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from peerreport.web.config import WebConfig
from peerreport.web.security import REFUSED_CSRF
from tests.web.checks import PageChecks
from tests.web.live import LiveServer, make_workspace
from tests.web.steps import nav, upload

pytestmark = pytest.mark.browser

#: Two activities, as a coordinator's CSV would have them.
SMALL_CSV = (
    "Activity ID,Date,Kind,Attendance,Programme\n"
    "D-1,14/05/2026,Peer support group session,5,Peer support groups\n"
    "D-2,15/05/2026,Drop-in,3,Drop-in centre\n"
)

_DROP = """([name, text]) => {
  const zone = document.getElementById("dropzone");
  const data = new DataTransfer();
  data.items.add(new File([text], name, {type: "text/csv"}));
  const fire = type => zone.dispatchEvent(
    new DragEvent(type, {dataTransfer: data, bubbles: true, cancelable: true}));
  fire("dragenter");
  const highlighted = zone.classList.contains("dragging");
  fire("drop");
  const chosen = [...document.getElementById("files").files].map(f => f.name);
  return {highlighted, after: zone.classList.contains("dragging"), chosen};
}"""


def open_upload(page: Page, tmp_path: Path, serve: Any, **limits: Any) -> LiveServer:
    """A workspace with nothing imported, served, and its upload page open."""
    root = make_workspace(tmp_path / "workspace")
    server: LiveServer = serve(WebConfig(base_dir=tmp_path, workspace_dir=root, **limits))
    page.goto(server.first_address)
    nav(page, "Upload records")
    page.wait_for_load_state()  # app.js (deferred) has run
    return server


def test_drop_a_file_on_the_upload_box(
    page: Page, serve: Any, tmp_path: Path, checks: PageChecks
) -> None:
    open_upload(page, tmp_path, serve)
    dropped = page.evaluate(_DROP, ["dropped.csv", SMALL_CSV])
    assert dropped == {"highlighted": True, "after": False, "chosen": ["dropped.csv"]}
    page.get_by_role("button", name="Upload and check").click()
    result = page.locator("#upload-result")
    expect(result).to_contain_text("Stored")
    expect(result).to_contain_text("2 added")
    checks(page, "stored")


def test_breakdowns_chosen_before_their_activities(
    page: Page, serve: Any, tmp_path: Path, checks: PageChecks
) -> None:
    """A browser sends the files in the order of its file list: the breakdowns may come
    first, and are still read after the activities they break down."""
    open_upload(page, tmp_path, serve)
    breakdowns = tmp_path / "log-breakdowns.csv"
    breakdowns.write_text(
        "activity_id,dimension,category,count\nD-1,gender,female,2\nD-2,gender,male,1\n", "utf-8"
    )
    activities = tmp_path / "log.csv"
    activities.write_text(SMALL_CSV, "utf-8")
    upload(page, breakdowns, activities)
    result = page.locator("#upload-result")
    expect(result).to_contain_text("Stored")
    for name in ("log.csv", "log-breakdowns.csv"):
        expect(result.get_by_role("region", name=name)).to_contain_text("2 added, 0 updated")
    read = result.get_by_role("heading", level=3).all_text_contents()
    assert read == ["log.csv", "log-breakdowns.csv"]
    checks(page, "breakdowns-first")


def test_refusals_show_in_the_result(
    page: Page, serve: Any, tmp_path: Path, checks: PageChecks
) -> None:
    open_upload(page, tmp_path, serve, max_upload_bytes=2048)
    result = page.locator("#upload-result")

    notes = tmp_path / "notes.txt"
    notes.write_text("not a log\n", "utf-8")
    upload(page, notes)
    expect(result).to_contain_text("notes.txt: peerreport imports Excel workbooks (.xlsx)")
    checks(page, "wrong-kind")

    big = tmp_path / "big.csv"
    big.write_text(SMALL_CSV + "D-3,16/05/2026,Drop-in,3,Drop-in centre\n" * 100, "utf-8")
    upload(page, big)
    expect(result).to_contain_text("The upload is too big")
    checks(page, "too-big")

    # A form left open while peerreport restarted carries a token that is out of date.
    page.locator("body").evaluate(
        "body => body.setAttribute('hx-headers', JSON.stringify({'X-CSRF-Token': 'stale'}))"
    )
    small = tmp_path / "small.csv"
    small.write_text(SMALL_CSV, "utf-8")
    upload(page, small)
    expect(result).to_contain_text(re.sub(r"\s+", " ", REFUSED_CSRF))
    checks(page, "stale-form")
    nav(page, "Records")
    expect(page.locator("#main")).to_contain_text("What is stored now: 0 activities")


def test_a_stale_form_without_javascript(
    new_context: Any, serve: Any, tmp_path: Path, checks: PageChecks
) -> None:
    page: Page = new_context(java_script_enabled=False).new_page()
    open_upload(page, tmp_path, serve)
    page.locator("input[name=csrf_token]").evaluate("field => { field.value = 'stale'; }")
    small = tmp_path / "small.csv"
    small.write_text(SMALL_CSV, "utf-8")
    upload(page, small)
    expect(page.get_by_role("alert")).to_contain_text("security token is missing or out of date")
    checks(page, "refused", axe=False)
