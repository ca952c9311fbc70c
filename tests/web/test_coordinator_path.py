"""The coordinator's whole job in a real browser, on SQLite, from the first visit to an amendment.

First visit with no workspace, Get started, create the workspace, download the
intake workbook, upload a workbook with mistakes, read the problems (and get
the marked-up workbook back), fix the cells, upload again, read the records,
pick the return and the period in words, review, submit, download the bundle,
then amend: refused without a reason, asked to confirm an amendment that
changes no figure, filed as version 2. Every page on the way goes through
`checks` (axe-core, no codes, a screenshot).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from peerreport.templates_intake import GUIDANCE_SHEET, LISTS_SHEET
from peerreport.web.config import WebConfig
from peerreport.web.security import REFUSED_TOKEN
from tests.web.checks import PageChecks
from tests.web.live import LiveServer, Workbooks
from tests.web.steps import (
    IMPORT_WAIT,
    PERIOD,
    PERIOD_WORDS,
    RULES,
    TITLE,
    create_workspace,
    download,
    nav,
    upload,
)

pytestmark = pytest.mark.browser

#: The marked-up workbook is asserted whenever its module is there (it is merged separately).
MARKUP = importlib.util.find_spec("peerreport.intake.markup") is not None


def first_visit_and_create(page: Page, server: LiveServer, checks: PageChecks) -> None:
    """No token: refused. With it: Get started, where the workspace is made."""
    page.goto(server.url("/"))
    expect(page.get_by_role("main")).to_contain_text(REFUSED_TOKEN)
    checks(page, "refused-without-token")

    page.goto(server.first_address)
    expect(page).to_have_url(server.url("/start"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Get started")
    checks(page, "get-started")
    create_workspace(page, "Harbour Peer Collective", "HPC001")
    expect(page.locator("header.site")).to_contain_text("Harbour Peer Collective (HPC001)")
    expect(page.locator("#main")).to_contain_text("No records imported yet")
    checks(page, "home-new-workspace")


def intake_workbook(page: Page, folder: Path, checks: PageChecks) -> None:
    """The home page's first step: download the intake workbook for the return; it is an XLSX."""
    page.get_by_role("link", name="Download the intake workbook").click()
    expect(page).to_have_url(re.compile(r"/start#workbook$"))
    checks(page, "get-started-workbook")
    page.get_by_label("Workbook for").select_option(RULES)
    saved = download(page, folder, page.get_by_role("button", name="Download the intake workbook"))
    assert saved.suffix == ".xlsx"
    assert zipfile.is_zipfile(saved)
    book = load_workbook(saved)
    for sheet in ("Activities", "Breakdowns", "Workforce", "Feedback", GUIDANCE_SHEET, LISTS_SHEET):
        assert sheet in book.sheetnames
    headings = [cell.value for cell in book["Activities"][1] if cell.value]
    assert headings, "the Activities sheet has its headings"


def upload_with_mistakes(
    page: Page, mine: Path, folder: Path, workbooks: Workbooks, checks: PageChecks
) -> None:
    """Every problem in a table with its cell and message; nothing stored; the marked-up copy."""
    nav(page, "Upload records")
    checks(page, "upload")
    upload(page, mine)
    result = page.locator("#upload-result")
    expect(result).to_contain_text("Nothing was stored: 3 problems to fix", timeout=IMPORT_WAIT)
    table = page.get_by_role("table", name="Problems in activity-log.xlsx")
    for sheet, cell, value, _, words in workbooks.mistakes:
        row = table.get_by_role("row").filter(has=page.get_by_role("cell", name=cell, exact=True))
        expect(row).to_have_count(1)
        expect(row).to_contain_text(f'sheet "{sheet}"')
        expect(row).to_contain_text(f'"{value}" {words}')
    expect(table.get_by_role("row")).to_have_count(4)  # the heading and the three problems
    checks(page, "upload-problems")

    marked = page.get_by_role("link", name=re.compile("with the problems marked"))
    if not MARKUP:
        expect(marked).to_have_count(0)
        return
    saved = download(page, folder / "marked", marked)
    book = load_workbook(saved)
    assert book.sheetnames[-1].startswith("Problems"), book.sheetnames
    for sheet, cell, _, _, _ in workbooks.mistakes:
        assert book[sheet][cell].comment is not None, f"{sheet}!{cell} has no comment"


def nothing_stored(page: Page, checks: PageChecks) -> None:
    """The records page says so, and lists the refused import; its page gives the problems."""
    nav(page, "Records")
    main = page.locator("#main")
    expect(main).to_contain_text("What is stored now: 0 activities")
    expect(main).to_contain_text("No activities stored yet")
    imports = page.get_by_role("table", name=re.compile("Every import"))
    expect(imports).to_contain_text("Refused: 3 problems, nothing stored")
    checks(page, "records-nothing-stored")
    imports.get_by_role("link", name="activity-log.xlsx").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import of activity-log.xlsx")
    expect(main).to_contain_text("Refused: nothing was stored")
    expect(main).to_contain_text("Problems (3)")
    checks(page, "import-refused")


def fix_and_upload(page: Page, mine: Path, workbooks: Workbooks, checks: PageChecks) -> None:
    """The same file with its three cells corrected is stored."""
    book = load_workbook(mine)
    for sheet, cell, _, original, _ in workbooks.mistakes:
        book[sheet][cell] = original
    book.save(mine)
    nav(page, "Upload records")
    upload(page, mine)
    result = page.locator("#upload-result")
    expect(result).to_contain_text("Stored", timeout=IMPORT_WAIT)
    expect(result).to_contain_text("Your records are now at revision 1")
    expect(result).not_to_contain_text("problem")
    checks(page, "upload-stored")


def records(page: Page, checks: PageChecks) -> None:
    """Months in words, kinds by their labels; an import and an activity's history."""
    page.get_by_role("link", name="See your records").click()
    months = page.get_by_role("table", name=re.compile("Activities stored, by month"))
    for words in ("July 2025", "December 2025", "June 2026", "Total"):
        expect(months.get_by_role("rowheader", name=words)).to_have_count(1)
    expect(months.get_by_role("columnheader", name="Warm-line call")).to_have_count(1)
    checks(page, "records")
    page.get_by_label("Activity ID").fill("G-0000008")
    page.get_by_role("button", name="Show its history").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activity G-0000008")
    expect(page.locator("#main")).to_contain_text("Peer support group session")
    checks(page, "activity-history")


def review_and_submit(page: Page, folder: Path, checks: PageChecks) -> None:
    """Returns, the return, the period in words, its review page; submit; the bundle."""
    nav(page, "Returns")
    checks(page, "returns")
    page.get_by_role("link", name=re.compile(TITLE)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    checks(page, "periods")
    page.get_by_role("link", name=f"Review and submit {PERIOD_WORDS}").click()
    expect(page).to_have_url(re.compile(f"/returns/{RULES}/{PERIOD}$"))
    main = page.locator("#main")
    heading = page.get_by_role("heading", level=1).first  # the return's own page title follows
    expect(heading).to_contain_text(TITLE)
    expect(heading).to_contain_text(PERIOD_WORDS)
    expect(main).to_contain_text("Direct activities delivered, by service family")
    expect(main).to_contain_text("Findings")
    checks(page, "review")

    page.get_by_role("button", name="Submit the return").click()
    expect(page).to_have_url(re.compile(f"/returns/{RULES}/{PERIOD}/submitted/1$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Submitted")
    expect(main).to_contain_text("Version 1 is recorded for good")
    checks(page, "submitted")
    bundle = download(page, folder, page.get_by_role("link", name="Download the bundle"))
    with zipfile.ZipFile(bundle) as opened:
        assert "manifest.json" in opened.namelist()
        manifest = json.loads(opened.read("manifest.json"))
    assert manifest, "the manifest says what the bundle holds"


def amend(page: Page, checks: PageChecks) -> None:
    """Again: a reason is required; the same figures ask for confirmation; then version 2."""
    page.get_by_role("link", name="Back to the return").click()
    main = page.locator("#main")
    expect(main).to_contain_text("Version 1 was submitted")
    checks(page, "review-submitted")
    again = page.get_by_role("button", name="Submit the amendment (version 2)")
    reason = page.get_by_label("Why are you submitting it again?")

    again.click()  # no reason: the browser itself asks for one
    assert reason.evaluate("field => field.validity.valueMissing")
    expect(page).to_have_url(re.compile(f"/returns/{RULES}/{PERIOD}$"))

    reason.fill("   ")  # spaces are no reason: refused in plain words
    again.click()
    expect(page.get_by_role("alert")).to_contain_text(
        "This return was submitted before: say why you are submitting it again"
    )
    checks(page, "amend-without-reason")

    reason.fill("A duplicate session was withdrawn")
    again.click()
    expect(page.get_by_role("alert")).to_contain_text("This amendment would change no figure")
    expect(reason).to_have_value("A duplicate session was withdrawn")
    checks(page, "amend-confirm-no-change")
    page.get_by_label("Submit it even though no figure changes").check()
    again.click()
    expect(page).to_have_url(re.compile(f"/returns/{RULES}/{PERIOD}/submitted/2$"))
    expect(main).to_contain_text("Amendment: version 2, amending version 1")
    checks(page, "submitted-amendment")


def home_after(page: Page, server: LiveServer, checks: PageChecks) -> None:
    """Home lists the filed return; a wrong address is a page saying what to do."""
    nav(page, "Home")
    expect(page.locator("#main")).to_contain_text("Records last imported on")
    checks(page, "home-after")
    page.goto(server.url("/returns/no-such-return"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Something to fix")
    checks(page, "problem")


def test_coordinator_path(
    page: Page, serve: Any, tmp_path: Path, workbooks: Workbooks, checks: PageChecks
) -> None:
    (tmp_path / "home").mkdir()
    server = serve(WebConfig(base_dir=tmp_path / "home"))
    downloads = tmp_path / "downloads"
    mine = tmp_path / "mine" / workbooks.bad.name  # the coordinator's own copy, fixed later
    mine.parent.mkdir()
    shutil.copy(workbooks.bad, mine)
    first_visit_and_create(page, server, checks)
    intake_workbook(page, downloads, checks)
    upload_with_mistakes(page, mine, downloads, workbooks, checks)
    nothing_stored(page, checks)
    fix_and_upload(page, mine, workbooks, checks)
    records(page, checks)
    review_and_submit(page, downloads, checks)
    amend(page, checks)
    home_after(page, server, checks)
    print(f"marked-up workbook asserted: {MARKUP}; pages checked: {len(checks.visited)}")
