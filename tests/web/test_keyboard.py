"""The pages by keyboard alone: skip link first, every control reachable, forms sent with Enter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from peerreport.web.config import WebConfig
from peerreport.workspace import load_workspace
from tests.web.live import LiveServer

pytestmark = pytest.mark.browser


def _focused(page: Page) -> str:
    """What has the focus, as text a person would read (its label, text or name)."""
    return str(
        page.evaluate(
            """() => {
  const el = document.activeElement;
  if (!el) return "";
  const label = el.id && document.querySelector(`label[for="${el.id}"]`);
  return (label ? label.textContent : (el.textContent || el.getAttribute("name") || "")).trim();
}"""
        )
    )


def test_make_a_workspace_with_the_keyboard_only(page: Page, serve: Any, tmp_path: Path) -> None:
    server: LiveServer = serve(WebConfig(base_dir=tmp_path))
    page.goto(server.first_address)
    expect(page.get_by_role("heading", name="Get started")).to_be_visible()
    page.keyboard.press("Tab")
    assert _focused(page) == "Skip to the main content"
    expect(page.get_by_role("link", name="Skip to the main content")).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    seen = []
    for _ in range(9):  # from the main content: the form's fields, in reading order
        page.keyboard.press("Tab")
        seen.append(_focused(page))
        if seen[-1] == "Your organisation's name":
            page.keyboard.type("Harbour Peer Collective")
        elif seen[-1] == "Provider code":
            page.keyboard.type("HPC001")
        elif seen[-1] == "Contact role (optional)":
            page.keyboard.type("Service coordinator")
        elif seen[-1] == "The return you file":
            page.keyboard.press("ArrowDown")
        elif seen[-1] == "Create the workspace":
            break
    assert seen[:5] == [
        "Your organisation's name",
        "Provider code",
        "Contact role (optional)",
        "The return you file",
        "Create the workspace",
    ], seen
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Harbour Peer Collective", level=1)).to_be_visible()
    workspace = load_workspace(tmp_path / "harbour-peer-collective")
    assert workspace.provider_code == "HPC001" and len(workspace.returns) == 1
    assert workspace.contact_role == "Service coordinator"


def test_the_focus_is_always_visible(page: Page, serve: Any, tmp_path: Path) -> None:
    """Every link and control shows where the focus is (an outline a sighted user can see)."""
    server: LiveServer = serve(WebConfig(base_dir=tmp_path))
    page.goto(server.first_address)
    for _ in range(10):
        page.keyboard.press("Tab")
        outline = page.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineStyle, s.outlineWidth]; }"
        )
        tag = page.evaluate("document.activeElement.tagName")
        if tag == "BODY":
            break
        assert outline[0] != "none" and outline[1] != "0px", (tag, _focused(page), outline)
