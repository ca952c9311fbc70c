"""A hosted server for browser tests: served for real, set up with `peerreport admin`.

`hosted_server(folder, people)` writes a server.toml for a SQLite database,
runs `peerreport admin init`, `funder add`, `org add` and `user add` through
click's CliRunner, and serves the hosted application (`make_hosted_server`)
on a free loopback port in a background thread (tests/web's `served`), until
the block ends. The people then sign in through the sign-in page in Chromium.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, Page, expect

from peerreport.hosted.config import ENV, ServerConfig, load_config
from peerreport.web.server import LOCAL_HOST, free_port
from tests.hosted.helpers import SECRET
from tests.web.live import served

PASSWORD = "a long enough password for tests"


@dataclass(frozen=True)
class Person:
    """An account `peerreport admin user add` makes: its role and what it may see."""

    username: str
    role: str
    orgs: tuple[str, ...] = ()
    funders: tuple[str, ...] = ()


@dataclass(frozen=True)
class Setup:
    """What the admin sets up: a funder, its providers (code, name), the people."""

    funder: tuple[str, str]
    providers: tuple[tuple[str, str], ...]
    people: tuple[Person, ...]


@dataclass(frozen=True)
class HostedLive:
    """A running hosted server: its configuration and address."""

    config: ServerConfig
    config_file: Path
    port: int

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT, the server's public address."""
        return f"http://{LOCAL_HOST}:{self.port}"

    def url(self, path: str) -> str:
        """The full address of a path on this server."""
        return self.base + path


def admin(config_file: Path, *args: str) -> str:
    """`peerreport admin ARGS --config FILE`, in-process; its output (it must succeed)."""
    from peerreport.cli.main import cli

    # Nothing from the environment: the server is the one in the file.
    env: dict[str, str | None] = dict.fromkeys(ENV.values())
    done = CliRunner().invoke(cli, ["admin", *args, "--config", str(config_file)], env=env)
    assert done.exit_code == 0, done.output
    return done.output


def _config_file(folder: Path, port: int) -> Path:
    path = folder / "server.toml"
    database = f"sqlite:///{folder / 'hosted.db'}"
    path.write_text(
        "[server]\n"
        f'base_url = "http://{LOCAL_HOST}:{port}"\n'
        'data_dir = "data"\n\n'
        "[database]\n"
        f"url = {json.dumps(database)}\n\n"
        "[secrets]\n"
        f'secret_key = "{SECRET}"\n',
        encoding="utf-8",
    )
    return path


def set_up(config_file: Path, setup: Setup) -> None:
    """The admin's commands: the database and first admin, the funder, providers, people."""
    password = config_file.parent / "password.txt"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    admin(config_file, "init", "--admin", "admin", "--password-file", str(password))
    code, name = setup.funder
    admin(config_file, "funder", "add", code, name)
    for org, org_name in setup.providers:
        admin(config_file, "org", "add", org, org_name, "--funder", code)
    for person in setup.people:
        scope = [a for org in person.orgs for a in ("--org", org)]
        scope += [a for funder in person.funders for a in ("--funder", funder)]
        admin(
            config_file,
            "user",
            "add",
            person.username,
            "--role",
            person.role,
            *scope,
            "--password-file",
            str(password),
        )


@contextmanager
def hosted_server(folder: Path, setup: Setup) -> Iterator[HostedLive]:
    """A hosted server set up as `setup` says, served on a free port until the block ends."""
    from peerreport.hosted.server import make_hosted_server

    port = free_port()
    config_file = _config_file(folder, port)
    set_up(config_file, setup)
    config = load_config(config_file, env={})
    server = make_hosted_server(config, port)
    try:
        with served(server, port):
            yield HostedLive(config, config_file, port)
    finally:
        guard = server.config.app  # HostedGuard: the requests' engine, the owner's for decisions
        for engine in {guard.engine, guard.facts.engine}:
            engine.dispose()


@contextmanager
def signed_in(browser: Browser, server: HostedLive, username: str) -> Iterator[Page]:
    """A browser of its own (cookies, downloads) for `username`, signed in on the sign-in page."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    try:
        sign_in(page, server, username)
        yield page
    finally:
        context.close()


def sign_in(page: Page, server: HostedLive | None, username: str) -> None:
    """Type the user name and password on the sign-in page and send them.

    With `server`, open its sign-in page first; without, the page is on one already.
    """
    if server is not None:
        page.goto(server.url("/login"))
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name=f"Sign out {username}")).to_be_visible()


@contextmanager
def filed_on(when: dt.datetime) -> Iterator[None]:
    """Filings recorded in the ledger as made at `when` (a submission's clock, nothing else).

    The ledger takes the time of a submission from its `now` (the wall clock
    by default); the web's submit passes none, so the test hands it one here.
    """
    from peerreport import filing

    real: Callable[..., Any] = filing.record

    def record(*args: Any, **kwargs: Any) -> Any:
        return real(*args, **{**kwargs, "now": lambda: when})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(filing, "record", record)
        yield


def table_rows(page: Page, name: Any) -> list[list[str]]:
    """The text of each cell of the table named `name` (a caption or a pattern), row by row."""
    rows: list[list[str]] = page.get_by_role("table", name=name).evaluate(
        "t => [...t.rows].map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
    return rows


def by_first_cell(rows: Sequence[Sequence[str]]) -> dict[str, list[str]]:
    """Rows keyed by their first cell."""
    return {row[0]: list(row[1:]) for row in rows if row}


__all__ = [
    "PASSWORD",
    "HostedLive",
    "Person",
    "Setup",
    "admin",
    "by_first_cell",
    "filed_on",
    "hosted_server",
    "sign_in",
    "signed_in",
    "table_rows",
]
