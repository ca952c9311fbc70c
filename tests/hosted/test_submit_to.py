"""`peerreport submit --to URL`: a local install files a return and sends it to a live server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from peerreport.hosted.config import ServerConfig
from peerreport.hosted.keys import add_key
from peerreport.store.database import open_engine
from peerreport.store.hosted_schema import received_bundle
from peerreport.web.server import free_port
from peerreport.workspace import load_workspace
from tests.hosted.helpers import (
    ORG_A,
    ORG_A_NAME,
    PERIOD,
    local_install,
    peerreport,
    populate,
    rule_path,
    sample_log,
    server_config,
)
from tests.migrated import migrate


@contextmanager
def serving(config: ServerConfig) -> Iterator[str]:
    """The hosted application served by uvicorn on its loopback port; its address."""
    from peerreport.hosted.server import make_hosted_server

    server = make_hosted_server(config)
    thread = threading.Thread(target=server.run, name=f"hosted-{config.port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the hosted server did not start")
        time.sleep(0.02)
    try:
        yield config.base_url
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def live(empty_db_url: str, tmp_path: Path) -> Iterator[tuple[str, dict[str, str], str]]:
    """(the server's address, its API tokens, its database URL), served for real."""
    migrate(empty_db_url)
    engine = open_engine(empty_db_url)
    tokens = populate(engine)
    engine.dispose()
    port = free_port()
    config = server_config(empty_db_url, tmp_path / "data", f"http://127.0.0.1:{port}")
    config = ServerConfig(**{**config.__dict__, "port": port})
    with serving(config) as address:
        yield address, tokens, empty_db_url


def test_submit_files_locally_and_sends_the_bundle(
    live: tuple[str, dict[str, str], str], tmp_path: Path
) -> None:
    address, tokens, url = live
    workspace = local_install(tmp_path / "ws", ORG_A, ORG_A_NAME, sample_log(tmp_path))
    rules = rule_path(tmp_path)
    token_file = tmp_path / "token"
    token_file.write_text(tokens[ORG_A] + "\n", "utf-8")
    sent = peerreport(
        "submit", str(rules), "--period", PERIOD, "--workspace", str(workspace),
        "--format", "json", "--to", address, "--token-file", str(token_file),
    )  # fmt: skip
    # Filed here, but refused there: no one has registered this install's key on the server.
    assert sent.exit_code == 2, sent.output
    assert "Submitted" in sent.output and "wrote" in sent.output
    fingerprint = load_workspace(workspace).own_fingerprint()
    assert fingerprint is not None
    assert "refused the bundle (403): UNVERIFIED ORIGIN" in sent.output, sent.output
    assert fingerprint in sent.output and f"admin key add {ORG_A}" in sent.output
    assert tokens[ORG_A] not in sent.output
    bundle = next((workspace / "submissions").glob("*.bundle.zip"))
    assert f"peerreport submit --bundle {bundle} --to {address}" in sent.output

    engine = open_engine(url)
    add_key(engine, ORG_A, fingerprint)  # the admin registers it, as read out by the provider
    engine.dispose()
    sent = peerreport(
        "submit", "--bundle", str(bundle), "--to", address, "--token-file", str(token_file)
    )
    assert sent.exit_code == 0, sent.output
    assert f"The server recorded harbour-adults {PERIOD} for {ORG_A}, version 1" in sent.output

    engine = open_engine(url)
    with engine.connect() as conn:
        kept = conn.execute(select(received_bundle.c.data, received_bundle.c.via)).all()
    engine.dispose()
    assert [(bytes(k.data), k.via) for k in kept] == [(bundle.read_bytes(), "api")]

    again = peerreport(
        "submit", "--bundle", str(bundle), "--to", address,
        env={"PEERREPORT_API_TOKEN": tokens[ORG_A]},
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "The server already had this bundle" in again.output

    token_file.write_text("prt_not-a-token-this-server-knows", "utf-8")
    refused = peerreport(
        "submit", "--bundle", str(bundle), "--to", address, "--token-file", str(token_file)
    )
    assert refused.exit_code == 2, refused.output
    assert "refused the bundle (401)" in refused.output and "Sign in" in refused.output
    assert f"peerreport submit --bundle {bundle} --to {address}" in refused.output


def test_submit_says_plainly_when_it_cannot_send(tmp_path: Path) -> None:
    bundle = tmp_path / "x.bundle.zip"
    bundle.write_bytes(b"PK")
    token = tmp_path / "token"
    token.write_text("prt_abc", "utf-8")
    nobody = f"http://127.0.0.1:{free_port()}"
    cases = {
        ("--to", nobody, "--token-file", str(token)): "cannot reach",
        ("--to", "http://reports.example.org", "--token-file", str(token)): "use https",
        ("--to", nobody): "no API token",
        ("--token-file", str(token)): "for sending with --to",
    }
    for args, words in cases.items():
        done = peerreport(
            "submit", "--bundle", str(bundle), *args, env={"PEERREPORT_API_TOKEN": ""}
        )
        assert done.exit_code == 2, (args, done.output)
        assert words in done.output, (args, done.output)
    token.write_text("hunter2", "utf-8")
    done = peerreport("submit", "--bundle", str(bundle), "--to", nobody, "--token-file", str(token))
    assert done.exit_code == 2 and "not a peerreport API token" in done.output
    assert "hunter2" not in done.output
