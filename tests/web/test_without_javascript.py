"""Every page works with JavaScript off: uploads and submissions are plain form posts.

The browser context has JavaScript disabled, so htmx and app.js never run:
each form posts and the answer is a whole page. A quarter of records keeps
it quick; the coordinator's path with a year of them is test_coordinator_path.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from peerreport.web.config import WebConfig
from tests.web.checks import PageChecks
from tests.web.live import Workbooks
from tests.web.steps import (
    IMPORT_WAIT,
    PERIOD,
    PERIOD_WORDS,
    RULES,
    TITLE,
    create_workspace,
    nav,
    upload,
)

pytestmark = pytest.mark.browser


def test_without_javascript(
    new_context: Any,
    serve: Any,
    tmp_path: Path,
    quarter_workbooks: Workbooks,
    checks: PageChecks,
) -> None:
    page: Page = new_context(java_script_enabled=False).new_page()
    assert page.evaluate("() => 1") == 1  # the test can still look; the page's scripts cannot
    server = serve(WebConfig(base_dir=tmp_path))
    page.goto(server.first_address)
    expect(page).to_have_url(server.url("/start"))
    create_workspace(page, "Aroha Peer Network", "APN001")
    assert page.evaluate("() => typeof window.htmx") == "undefined"
    checks(page, "home", axe=False)

    nav(page, "Upload records")
    upload(page, quarter_workbooks.bad)
    expect(page).to_have_url(server.url("/upload"))  # the form's own answer, a whole page
    main = page.locator("#main")
    expect(main).to_contain_text("Nothing was stored: 3 problems to fix", timeout=IMPORT_WAIT)
    table = page.get_by_role("table", name="Problems in activity-log.xlsx")
    for _, cell, _, _, words in quarter_workbooks.mistakes:
        expect(table).to_contain_text(cell)
        expect(table).to_contain_text(words)
    checks(page, "upload-problems", axe=False)

    upload(page, quarter_workbooks.good)
    expect(main).to_contain_text("Stored", timeout=IMPORT_WAIT)
    checks(page, "upload-stored", axe=False)
    page.get_by_role("link", name="See your records").click()
    expect(page.get_by_role("rowheader", name="May 2026")).to_have_count(1)
    checks(page, "records", axe=False)

    nav(page, "Returns")
    page.get_by_role("link", name=re.compile(TITLE)).first.click()
    checks(page, "periods", axe=False)
    page.get_by_role("link", name=f"Review and submit {PERIOD_WORDS}").click()
    expect(page).to_have_url(re.compile(f"/returns/{RULES}/{PERIOD}$"))
    checks(page, "review", axe=False)
    page.get_by_role("button", name="Submit the return").click()
    expect(page).to_have_url(re.compile("/submitted/1$"))
    checks(page, "submitted", axe=False)

    page.get_by_role("link", name="Back to the return").click()
    again = page.get_by_role("button", name="Submit the amendment (version 2)")
    reason = page.get_by_label("Why are you submitting it again?")
    reason.fill("  ")
    again.click()
    expect(page.get_by_role("alert")).to_contain_text("say why you are submitting it again")
    checks(page, "amend-without-reason", axe=False)
    reason.fill("Two sessions were entered twice")
    again.click()
    expect(page.get_by_role("alert")).to_contain_text("This amendment would change no figure")
    page.get_by_label("Submit it even though no figure changes").check()
    again.click()
    expect(page).to_have_url(re.compile(f"/returns/{RULES}/{PERIOD}/submitted/2$"))
    expect(main).to_contain_text("Amendment: version 2, amending version 1")
    checks(page, "submitted-amendment", axe=False)
