"""`peerreport admin` end to end: a server set up from nothing, and plain refusals."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook
from sqlalchemy import Engine, select

from peerreport.cli.main import cli
from peerreport.hosted.accounts import authenticate, token_scope
from peerreport.hosted.config import ENV, load_config
from peerreport.hosted.directory import Scope, providers_of, published_rules, scope_of
from peerreport.store.database import open_engine
from peerreport.store.hosted_schema import account, api_token
from tests.hosted.test_directory import REGIONAL, WITH_TEMPLATE

NOW = dt.datetime.now(dt.UTC)
ADMIN_PASSWORD = "the admin's long password"
PASSWORD = "a coordinator's password"


@pytest.fixture
def server(empty_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A server.toml pointing at an empty database, with nothing from the environment."""
    for name in ENV.values():
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "server.toml"
    config.write_text(
        "[server]\n"
        'base_url = "https://reports.example.org"\n'
        'data_dir = "data"\n\n'
        "[database]\n"
        f"url = {json.dumps(empty_db_url)}\n\n"
        "[secrets]\n"
        f'secret_key = "{"k" * 40}"\n',
        encoding="utf-8",
    )
    return config


def _run(config: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["admin", *args, "--config", str(config)], input=input)


def _ok(config: Path, *args: str, input: str | None = None) -> str:
    result = _run(config, *args, input=input)
    assert result.exit_code == 0, result.output
    return result.output


def _refused(config: Path, *args: str, input: str | None = None) -> str:
    result = _run(config, *args, input=input)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.output


def _password_file(tmp_path: Path, password: str, name: str = "pw.txt") -> str:
    path = tmp_path / name
    path.write_text(password + "\n", encoding="utf-8")
    return str(path)


def _engine(config: Path) -> Engine:
    return open_engine(load_config(config).database_url)


def _workbook() -> bytes:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


def test_a_server_is_set_up_from_nothing(server: Path, tmp_path: Path) -> None:
    out = _ok(server, "init", "--admin", "Ops@Example.org", input=f"{ADMIN_PASSWORD}\n" * 2)
    assert "Created admin account ops@example.org" in out
    assert ADMIN_PASSWORD not in out
    assert (tmp_path / "data" / "orgs").is_dir()

    out = _ok(server, "funder", "add", "NORTH", "Northern Funder")
    assert "Added funder NORTH (Northern Funder)" in out
    _ok(server, "funder", "add", "EAST", "Eastern Funder")
    out = _ok(
        server,
        "org",
        "add",
        "HPC001",
        "Harbour Peer Collective",
        "--funder",
        "NORTH",
        "--returns",
        "nz-peer-support-adults",
    )
    assert "Added organisation HPC001 (Harbour Peer Collective)" in out
    settings = (tmp_path / "data" / "orgs" / "HPC001" / "peerreport.toml").read_text("utf-8")
    assert 'files = ["nz-peer-support-adults"]' in settings
    _ok(server, "org", "add", "APN002", "Awhi Peer Network")
    _ok(server, "funder", "link", "EAST", "APN002")

    out = _ok(
        server,
        "user",
        "add",
        "aroha",
        "--role",
        "coordinator",
        "--org",
        "HPC001",
        "--name",
        "Aroha Smith",
        "--password-file",
        _password_file(tmp_path, PASSWORD),
    )
    assert "Created coordinator account aroha (Aroha Smith)" in out
    _ok(server, "user", "add", "audit", "--role", "auditor", input=f"{PASSWORD}\n" * 2)
    _ok(server, "user", "grant", "audit", "--org", "APN002", "--funder", "NORTH")
    _ok(server, "user", "revoke", "audit", "--org", "APN002")

    engine = _engine(server)
    aroha = authenticate(engine, "aroha", PASSWORD, NOW)
    assert scope_of(engine, aroha.id) == Scope(orgs=("HPC001",), funders=())
    auditor = authenticate(engine, "audit", PASSWORD, NOW)
    assert scope_of(engine, auditor.id) == Scope(orgs=(), funders=("NORTH",))
    assert providers_of(engine, "NORTH") == [("HPC001", "Harbour Peer Collective")]

    out = _ok(server, "user", "list")
    assert "aroha" in out and "Aroha Smith" in out and "HPC001" in out
    assert "$argon2" not in out and PASSWORD not in out
    listed = json.loads(_ok(server, "user", "list", "--json"))
    assert {p["username"]: p["role"] for p in listed} == {
        "ops@example.org": "admin",
        "aroha": "coordinator",
        "audit": "auditor",
    }
    _ok(server, "user", "disable", "aroha")
    assert "disabled" in _ok(server, "user", "list")
    _ok(server, "user", "enable", "aroha")
    new_password = "a brand new password"
    _ok(server, "user", "password", "aroha", input=f"{new_password}\n" * 2)
    assert authenticate(engine, "aroha", new_password, NOW).id == aroha.id

    out = _ok(server, "token", "add", "--org", "HPC001", "--label", "filing script")
    raw = next(word for word in out.split() if word.startswith("prt_"))
    assert "cannot be shown again" in out
    scope = token_scope(engine, raw)
    assert scope is not None and (scope.kind, scope.code) == ("org", "HPC001")
    with engine.connect() as conn:
        hashes = list(conn.execute(select(api_token.c.token_hash)).scalars())
        password_hashes = list(conn.execute(select(account.c.password_hash)).scalars())
    out = _ok(server, "token", "list")
    assert "filing script" in out and "active" in out
    assert raw not in out and not any(h in out for h in hashes)
    _ok(server, "token", "revoke", str(scope.id))
    assert "revoked" in _ok(server, "token", "list")
    assert token_scope(engine, raw) is None

    rule = tmp_path / "north.toml"
    rule.write_text(WITH_TEMPLATE, encoding="utf-8")
    template = tmp_path / "north-q.xlsx"
    template.write_bytes(_workbook())
    out = _ok(server, "publish", "--funder", "NORTH", str(rule), "--template", str(template))
    assert "Published north-peer-support version 2027.1 for NORTH" in out
    assert "template: templates/north-q.xlsx" in out
    out = _ok(server, "publish", "--funder", "NORTH", str(rule), "--template", str(template))
    assert "already published: no change" in out
    assert [r.rule_id for r in published_rules(engine, "NORTH")] == ["north-peer-support"]
    assert "north-peer-support 2027.1" in _ok(server, "funder", "list")
    assert "HPC001" in _ok(server, "org", "list")

    everything = "\n".join(
        _ok(server, *command)
        for command in (("user", "list"), ("token", "list"), ("org", "list"), ("funder", "list"))
    )
    assert not any(h in everything for h in [*hashes, *password_hashes])
    engine.dispose()


def test_init_is_refused_once_an_admin_exists(server: Path, tmp_path: Path) -> None:
    password_file = _password_file(tmp_path, ADMIN_PASSWORD)
    _ok(server, "init", "--admin", "ops", "--password-file", password_file)
    out = _refused(server, "init", "--admin", "second", "--password-file", password_file)
    assert "already has an admin; add more with: peerreport admin user add NAME --role admin" in out


def test_mistakes_are_refused_plainly(server: Path, tmp_path: Path) -> None:
    assert "set it up first with peerreport admin init" in _refused(server, "org", "list")
    short = _password_file(tmp_path, "too short", "short.txt")
    assert "at least 12 characters" in _refused(
        server, "init", "--admin", "ops", "--password-file", short
    )
    _ok(server, "init", "--admin", "ops", "--password-file", _password_file(tmp_path, PASSWORD))
    _ok(server, "funder", "add", "NORTH", "Northern Funder")
    _ok(server, "org", "add", "HPC001", "Harbour Peer Collective")

    assert "no funder 'WEST'" in _refused(
        server, "org", "add", "APN002", "Awhi", "--funder", "WEST"
    )
    assert "no rule file 'nope'" in _refused(
        server, "org", "add", "APN002", "A", "--returns", "nope"
    )
    assert "provider code 'a b'" in _refused(server, "org", "add", "a b", "Spaced")
    assert "already an organisation 'HPC001'" in _refused(server, "org", "add", "HPC001", "Again")
    out = _refused(
        server,
        "user",
        "add",
        "mere",
        "--role",
        "coordinator",
        "--funder",
        "NORTH",
        "--password-file",
        _password_file(tmp_path, PASSWORD),
    )
    assert "a coordinator account is not granted a funder (--funder)" in out
    assert "no account 'mere'" in _refused(server, "user", "grant", "mere", "--org", "HPC001")
    assert "at least one --org" in _refused(server, "user", "grant", "ops")
    assert "admin and sees everything" in _refused(
        server, "user", "grant", "ops", "--org", "HPC001"
    )
    assert "either --org CODE or --funder CODE" in _refused(server, "token", "add", "--label", "x")
    assert "no API token 7" in _refused(server, "token", "revoke", "7")

    broken = tmp_path / "broken.toml"
    broken.write_text(REGIONAL.replace("setting = 'marae'", "setting = 'marae' and"), "utf-8")
    out = _refused(server, "publish", "--funder", "NORTH", str(broken))
    assert "broken.toml, measure[0].where" in out and "the expression ends too soon" in out
    rule = tmp_path / "north.toml"
    rule.write_text(REGIONAL, "utf-8")
    _ok(server, "publish", "--funder", "NORTH", str(rule))
    rule.write_text(REGIONAL.replace("held on marae", "held at a marae"), "utf-8")
    out = _refused(server, "publish", "--funder", "NORTH", str(rule))
    assert "publish it as a new version" in out


def test_a_missing_configuration_is_a_plain_error(tmp_path: Path) -> None:
    out = _refused(tmp_path / "nowhere.toml", "org", "list")
    assert "cannot read the server configuration" in out
