"""What a coordinator does in the browser, step by step, shared by the browser tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

RULES = "nz-peer-support-adults"
TITLE = "Peer Support Service for Adults"
PERIOD = "FY2026-Q4"
PERIOD_WORDS = "April to June 2026"
#: Imports of a year of records take seconds: the result is waited for this long (ms).
IMPORT_WAIT = 30_000


def nav(page: Page, name: str) -> None:
    """Follow a link of the main navigation."""
    main_nav = page.get_by_role("navigation", name="Main")
    main_nav.get_by_role("link", name=name, exact=True).click()


def download(page: Page, folder: Path, click: Any) -> Path:
    """What clicking `click` (a locator) downloads, saved in `folder`."""
    with page.expect_download() as info:
        click.click()
    saved = folder / info.value.suggested_filename
    info.value.save_as(saved)
    return saved


def upload(page: Page, *files: Path) -> None:
    """Choose files on the upload page and send them."""
    page.get_by_label("Files to upload").set_input_files(list(files))
    page.get_by_role("button", name="Upload and check").click()


def create_workspace(page: Page, name: str, code: str) -> None:
    """Fill in Get started's form (the return: the adult peer support one) and send it."""
    page.get_by_label("Your organisation's name").fill(name)
    page.get_by_label("Provider code").fill(code)
    page.get_by_label("The return you file").select_option(RULES)
    page.get_by_role("button", name="Create the workspace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
