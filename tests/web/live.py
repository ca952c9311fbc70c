"""The web application served for real in a background thread, and the files a coordinator has."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from peerreport.web.config import WebConfig
from peerreport.web.server import LOCAL_HOST, first_address, free_port, make_server
from tests.migrated import migrate

#: Where a Chromium is looked for, in order (PEERREPORT_CHROMIUM first, when set).
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium(paths: tuple[str, ...] = CHROMIUM_PATHS) -> str | None:
    """The Chromium to drive: PEERREPORT_CHROMIUM, else the first of `paths` that exists."""
    wanted = os.environ.get("PEERREPORT_CHROMIUM")
    for candidate in ([wanted] if wanted else []) + list(paths):
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def chromium_launch_args(paths: tuple[str, ...] = CHROMIUM_PATHS) -> dict[str, Any]:
    """Playwright's launch options for the system Chromium, headless.

    Without one, the test asking for a browser is skipped, or fails when
    PEERREPORT_REQUIRE_BROWSER=1 (CI): a browser test must never pass unrun there.
    """
    executable = find_chromium(paths)
    if executable is None:
        message = "no Chromium found (set PEERREPORT_CHROMIUM or apt-get install chromium)"
        if os.environ.get("PEERREPORT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"PEERREPORT_REQUIRE_BROWSER=1 but {message}", pytrace=False)
        pytest.skip(message)
    return {"executable_path": executable, "headless": True, "args": CHROMIUM_ARGS}


@dataclass(frozen=True)
class LiveServer:
    """A running web application: its configuration and address."""

    config: WebConfig
    port: int

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://{LOCAL_HOST}:{self.port}"

    @property
    def first_address(self) -> str:
        """The address `peerreport serve` prints: it carries the secret token."""
        return first_address(self.config, self.port)

    def url(self, path: str) -> str:
        """The full address of a path on this server."""
        return self.base + path


@contextmanager
def served(server: Any, port: int) -> Iterator[None]:
    """A uvicorn server (made, not started) run in a background thread until the block ends."""
    thread = threading.Thread(target=server.run, name=f"peerreport-serve-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web application did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextmanager
def running(config: WebConfig) -> Iterator[LiveServer]:
    """The application served by uvicorn in a background thread, until the block ends."""
    port = free_port()
    server = make_server(config, port)
    try:
        with served(server, port):
            yield LiveServer(config, port)
    finally:
        server.config.app.app.state.desk.close()  # LocalGuard -> FastAPI -> the desk


def make_workspace(root: Path, log: Path | None = None) -> Path:
    """A workspace like `peerreport demo` makes (the adult peer support return), `log` imported."""
    from peerreport.intake import ImportSettings, import_files
    from peerreport.samples.generator import ORGANISATION, PROVIDER_CODE
    from peerreport.store.database import open_engine
    from peerreport.workspace import write_workspace

    workspace = write_workspace(
        root, ORGANISATION, PROVIDER_CODE, returns=("nz-peer-support-adults",)
    )
    migrate(workspace.database_url)
    engine = open_engine(workspace.database_url)
    if log is not None:
        assert import_files(engine, [log], ImportSettings.for_workspace(workspace)).stored
    engine.dispose()
    return root


@dataclass(frozen=True)
class Workbooks:
    """A year of synthetic records as a workbook, and a copy with mistakes in three cells."""

    good: Path
    bad: Path
    #: (sheet, cell, the wrong value, the original value, words the problem's message has)
    mistakes: tuple[tuple[str, str, object, object, str], ...]


#: Three cells of the Activities sheet broken: (cell, wrong value, words of the problem's message).
MISTAKES: tuple[tuple[str, object, str], ...] = (
    ("B5", "31/02/2026", "is not a date"),
    ("E9", "picnic", "is not on the kind of activity list"),
    ("K12", -3, "is too small"),
)


def write_workbooks(folder: Path, start: dt.date, end: dt.date) -> Workbooks:
    """The sample organisation's activity log from `start` to `end`, and a copy with mistakes."""
    from openpyxl import load_workbook

    from peerreport.samples.generator import SampleSpec
    from peerreport.samples.writer import write_samples

    good = folder / "activity-log.xlsx"
    write_samples(good, SampleSpec(records=None, seed=2026, start=start, end=end))
    book = load_workbook(good)
    sheet = book["Activities"]
    mistakes = []
    for cell, value, words in MISTAKES:
        mistakes.append(("Activities", cell, value, sheet[cell].value, words))
        sheet[cell] = value
    bad = folder / "with-mistakes" / good.name  # the same name: the coordinator's one file
    bad.parent.mkdir()
    book.save(bad)
    return Workbooks(good, bad, tuple(mistakes))
