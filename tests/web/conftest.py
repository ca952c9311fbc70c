"""The web application served for real (uvicorn on 127.0.0.1) and Debian's Chromium to drive it.

`serve(config)` starts `peerreport serve`'s own server (`make_server`) in a
background thread on a free port and stops it after the test. The browser is
pytest-playwright's, launched from the system's Chromium through
`executable_path`: nothing is downloaded, ever. Without a Chromium the browser
tests skip, unless PEERREPORT_REQUIRE_BROWSER=1 (`.ci/run` sets it): then they
fail.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from peerreport.web.config import WebConfig
from tests.web.checks import PageChecks
from tests.web.live import LiveServer, Workbooks, chromium_launch_args, running, write_workbooks

#: The pages' "today": FY2026-Q4 (April to June 2026) stays among the recent periods listed.
TODAY = dt.date(2026, 11, 29)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """pytest-playwright's launch options (overridden): the system Chromium, never a download."""
    return chromium_launch_args()


@pytest.fixture(scope="session")
def base_url() -> None:
    """No base address: each test serves on its own port (overrides pytest-playwright's
    fixture, a method of a plugin class, which pytest 9 warns about)."""
    return None


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[WebConfig], LiveServer]]:
    """Start the web application for a WebConfig; every one started is stopped after the test."""
    from peerreport.web.routes import home, returns

    for module in (home, returns):
        monkeypatch.setattr(module, "today", lambda: TODAY)
    with ExitStack() as stack:
        yield lambda config: stack.enter_context(running(config))


@pytest.fixture(scope="session")
def workbooks(tmp_path_factory: pytest.TempPathFactory) -> Workbooks:
    """The sample organisation's 2025/26 activity log, and one with a bad date, kind, attendance."""
    folder = tmp_path_factory.mktemp("year")
    return write_workbooks(folder, dt.date(2025, 7, 1), dt.date(2026, 6, 30))


@pytest.fixture(scope="session")
def quarter_workbooks(tmp_path_factory: pytest.TempPathFactory) -> Workbooks:
    """The same for April to June 2026 only: a quarter imports in a fraction of the time."""
    folder = tmp_path_factory.mktemp("quarter")
    return write_workbooks(folder, dt.date(2026, 4, 1), dt.date(2026, 6, 30))


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where full-page screenshots go: PEERREPORT_SCREENSHOTS, else a temporary folder.

    Nothing in PEERREPORT_SCREENSHOTS is deleted: screenshots of the same name are replaced.
    """
    wanted = os.environ.get("PEERREPORT_SCREENSHOTS")
    if not wanted:
        return tmp_path_factory.mktemp("screenshots")
    folder = Path(wanted)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def checks(screenshots: Path, request: pytest.FixtureRequest) -> PageChecks:
    """Every page visited: axe-core, no codes in its text, a screenshot (see `PageChecks`)."""
    prefix = request.node.name.removeprefix("test_").split("[")[0]
    return PageChecks(screenshots, prefix)
