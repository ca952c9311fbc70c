"""`peerreport admin`: set up and look after a hosted server from its own command line.

Thin over `peerreport.hosted` (accounts, directory, publishing): the web's
admin pages call the same functions. Every command reads the server's
configuration (`--config server.toml`, or the PEERREPORT_* environment
variables) to find its database. Passwords are typed at a hidden prompt or
read from a file, API tokens are shown once; neither, nor any hash of them,
is ever printed again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from peerreport.cli.options import json_option, print_json

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from peerreport.hosted.config import ServerConfig

F = TypeVar("F", bound=Callable[..., Any])


def config_option(func: F) -> F:
    """`--config FILE`: the server's configuration (else the PEERREPORT_* environment)."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The server's configuration (server.toml). Without it, the environment: "
        "PEERREPORT_DATABASE_URL, PEERREPORT_SECRET_KEY, PEERREPORT_BASE_URL, "
        "PEERREPORT_DATA_DIR.",
    )(func)


def password_option(func: F) -> F:
    """`--password-file PATH`: read the password from a file instead of a prompt."""
    return click.option(
        "--password-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Read the password from the first line of this file instead of asking for it.",
    )(func)


@contextmanager
def _server(
    config_path: Path | None, migrate: bool = False
) -> Iterator[tuple[ServerConfig, Engine]]:
    """The configuration and an engine on the server's database (at the current schema)."""
    from sqlalchemy import inspect

    from peerreport.errors import DatabaseError
    from peerreport.hosted.config import load_config
    from peerreport.store.database import current_revision, head_revision, open_engine, upgrade

    config = load_config(config_path)
    engine = open_engine(config.database_url)
    try:
        if migrate:
            upgrade(engine)
        else:
            current = current_revision(engine)
            if current is None and not inspect(engine).get_table_names():
                raise DatabaseError(
                    "the server's database is empty: set it up first with "
                    "peerreport admin init --admin USERNAME"
                )
            if current != head_revision():
                raise DatabaseError(
                    f"the server's database is at schema {current or 'an unknown version'}, "
                    f"this peerreport needs {head_revision()}: upgrade it with "
                    "`peerreport db upgrade` (PEERREPORT_DATABASE_URL set to the server's database)"
                )
        yield config, engine
    finally:
        engine.dispose()


def _password(password_file: Path | None) -> str:
    if password_file is None:
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    from peerreport.errors import UsageError

    try:
        lines = password_file.read_text("utf-8").splitlines()
    except UnicodeDecodeError:
        raise UsageError(f"{password_file}: not UTF-8 text") from None
    if not lines or not lines[0]:
        raise UsageError(f"{password_file}: the first line is empty; put the password there")
    return lines[0]


def _codes(codes: Sequence[str]) -> str:
    return ", ".join(codes) if codes else "-"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    lines = [list(header), *[list(r) for r in rows]]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


@click.group()
def admin() -> None:
    """Set up and look after a hosted peerreport: accounts, organisations, funders, tokens.

    Run these on the server itself; each reads the server's configuration
    (--config server.toml, or the PEERREPORT_* environment variables).
    """


@admin.command()
@config_option
@click.option("--admin", "username", required=True, help="The first admin account's username.")
@password_option
def init(config_path: Path | None, username: str, password_file: Path | None) -> None:
    """Make the database current, create the data folder and the first admin account.

    The password is asked for twice (it is not shown), or read from
    --password-file. Refused once any admin exists: add more admins with
    `peerreport admin user add NAME --role admin`.

    \b
    Example:
      peerreport admin init --config server.toml --admin ops@example.org
    """
    from peerreport.errors import UsageError
    from peerreport.hosted.accounts import admins_exist, create_account, normalise_username
    from peerreport.store.database import head_revision, safe_url

    with _server(config_path, migrate=True) as (config, engine):
        click.echo(f"Database {safe_url(config.database_url)} is at schema {head_revision()}")
        for folder in (config.data_dir, config.orgs_dir, config.logs_dir):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        click.echo(f"Data folder: {config.data_dir}")
        if admins_exist(engine):
            raise UsageError(
                "this server already has an admin; add more with: "
                "peerreport admin user add NAME --role admin"
            )
        name = normalise_username(username)
        person = create_account(engine, name, _password(password_file), "admin")
    click.echo(f"Created admin account {person.username}")
    click.echo("Next: peerreport admin funder add, admin org add, admin user add")


# -- organisations --------------------------------------------------------------


@admin.group()
def org() -> None:
    """Organisations (providers) on this server."""


@org.command("add")
@config_option
@click.argument("code")
@click.argument("name")
@click.option(
    "--funder", "funder_codes", multiple=True, metavar="CODE", help="A funder it reports to."
)
@click.option(
    "--returns",
    "returns",
    multiple=True,
    metavar="RULE_ID",
    help="A return it files (rule file id), listed on its home page.",
)
def org_add(
    config_path: Path | None,
    code: str,
    name: str,
    funder_codes: tuple[str, ...],
    returns: tuple[str, ...],
) -> None:
    """Add an organisation: its provider code and name, and make its folder.

    \b
    Example:
      peerreport admin org add HPC001 "Harbour Peer Collective" --funder NORTH \\
          --returns nz-peer-support-adults
    """
    from peerreport.errors import UsageError
    from peerreport.hosted import directory
    from peerreport.hosted.keys import register_server_key
    from peerreport.hosted.orgs import ensure_org_workspace
    from peerreport.rulebook import Catalogue

    with _server(config_path) as (config, engine):
        known = {c for c, _ in directory.funders(engine)}
        missing = [f for f in funder_codes if f not in known]
        if missing:
            raise UsageError(
                f"there is no funder {', '.join(repr(f) for f in missing)} "
                "(add it first: peerreport admin funder add CODE NAME)"
            )
        offered = set(Catalogue().index()) | {r.rule_id for r in directory.published_rules(engine)}
        unknown = [r for r in returns if r not in offered]
        if unknown:
            raise UsageError(
                f"no rule file {', '.join(repr(r) for r in unknown)} is shipped or published "
                "(see: peerreport rules list)"
            )
        existing = directory.org_names(engine, [code])
        if existing:
            raise UsageError(f"there is already an organisation {code!r} ({existing[code]})")
        # The folder first: if the database refuses, a retry finds the folder made.
        workspace = ensure_org_workspace(config, code, name.strip(), returns)
        directory.add_organisation(engine, code, name)
        for funder_code in funder_codes:
            directory.link_provider(engine, funder_code, code)
        # What the organisation files on this server is signed with its workspace's key here.
        own = register_server_key(engine, code, workspace.root)
    click.echo(f"Added organisation {code} ({name.strip()})")
    if funder_codes:
        click.echo(f"  reports to: {_codes(funder_codes)}")
    click.echo(f"  folder:     {workspace.root}")
    if own:
        click.echo(f"  key:        {own} (its desk on this server signs with it; registered)")


@org.command("list")
@config_option
@json_option
def org_list(config_path: Path | None, as_json: bool) -> None:
    """List the organisations, with the funders each reports to.

    \b
    Example:
      peerreport admin org list --config server.toml
    """
    from peerreport.hosted import directory

    with _server(config_path) as (_, engine):
        rows = [
            (code, name, [f for f, _ in directory.funders_of(engine, code)])
            for code, name in directory.organisations(engine)
        ]
    if as_json:
        print_json([{"code": c, "name": n, "funders": f} for c, n, f in rows])
    elif not rows:
        click.echo('No organisations yet: peerreport admin org add CODE "NAME"')
    else:
        _table(["code", "name", "funders"], [(c, n, _codes(f)) for c, n, f in rows])


# -- funders --------------------------------------------------------------------


@admin.group()
def funder() -> None:
    """Funders, and the providers that report to them."""


@funder.command("add")
@config_option
@click.argument("code")
@click.argument("name")
def funder_add(config_path: Path | None, code: str, name: str) -> None:
    """Add a funder: its code and name.

    \b
    Example:
      peerreport admin funder add NORTH "Northern Health Funder"
    """
    from peerreport.hosted import directory

    with _server(config_path) as (_, engine):
        directory.add_funder(engine, code, name)
    click.echo(f"Added funder {code} ({name.strip()})")


@funder.command("link")
@config_option
@click.argument("funder_code", metavar="FUNDER")
@click.argument("org_code", metavar="ORG")
def funder_link(config_path: Path | None, funder_code: str, org_code: str) -> None:
    """Record that organisation ORG reports to FUNDER.

    \b
    Example:
      peerreport admin funder link NORTH HPC001
    """
    from peerreport.hosted import directory

    with _server(config_path) as (_, engine):
        directory.link_provider(engine, funder_code, org_code)
    click.echo(f"{org_code} reports to {funder_code}")


@funder.command("list")
@config_option
@json_option
def funder_list(config_path: Path | None, as_json: bool) -> None:
    """List the funders, with their providers and published rule files.

    \b
    Example:
      peerreport admin funder list --config server.toml
    """
    from peerreport.hosted import directory

    with _server(config_path) as (_, engine):
        rows = [
            (
                code,
                name,
                [o for o, _ in directory.providers_of(engine, code)],
                [f"{r.rule_id} {r.rule_version}" for r in directory.published_rules(engine, code)],
            )
            for code, name in directory.funders(engine)
        ]
    if as_json:
        print_json([{"code": c, "name": n, "providers": p, "rules": r} for c, n, p, r in rows])
    elif not rows:
        click.echo('No funders yet: peerreport admin funder add CODE "NAME"')
    else:
        _table(
            ["code", "name", "providers", "rule files"],
            [(c, n, _codes(p), _codes(r)) for c, n, p, r in rows],
        )


# -- accounts ---------------------------------------------------------------------


@admin.group()
def user() -> None:
    """Accounts: add, list, set a password, disable or enable, grant access."""


def _scope_options(func: F) -> F:
    func = click.option(
        "--funder",
        "funder_codes",
        multiple=True,
        metavar="CODE",
        help="A funder (funder and auditor roles).",
    )(func)
    return click.option(
        "--org",
        "org_codes",
        multiple=True,
        metavar="CODE",
        help="An organisation (coordinator and auditor roles).",
    )(func)


def _check_grants(engine: Engine, role: str, orgs: Sequence[str], funders: Sequence[str]) -> None:
    """Refuse grants the role cannot hold or naming nothing, before anything is changed."""
    from peerreport.errors import UsageError
    from peerreport.hosted import directory

    for kind, codes, known in (
        ("org", orgs, {c for c, _ in directory.organisations(engine)}),
        ("funder", funders, {c for c, _ in directory.funders(engine)}),
    ):
        what = "organisation" if kind == "org" else "funder"
        if codes and kind not in directory.GRANTABLE[role]:
            raise UsageError(f"a {role} account is not granted a {what} (--{kind})")
        for code in codes:
            if code not in known:
                raise UsageError(f"there is no {what} {code!r}")


@user.command("add")
@config_option
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "coordinator", "funder", "auditor"]),
    help="What the account may do.",
)
@_scope_options
@click.option("--name", "display_name", help="The name shown for the account.")
@password_option
def user_add(
    config_path: Path | None,
    username: str,
    role: str,
    org_codes: tuple[str, ...],
    funder_codes: tuple[str, ...],
    display_name: str | None,
    password_file: Path | None,
) -> None:
    """Add an account with a role, and what it may see.

    A coordinator is given organisations (--org), a funder account funders
    (--funder), an auditor either; an admin sees everything.

    \b
    Example:
      peerreport admin user add coordinator@harbour.example --role coordinator --org HPC001 \\
          --name "Harbour coordinator"
    """
    from peerreport.errors import UsageError
    from peerreport.hosted import directory
    from peerreport.hosted.accounts import account_by_name, create_account, normalise_username

    with _server(config_path) as (_, engine):
        name = normalise_username(username)
        if account_by_name(engine, name) is not None:
            raise UsageError(f"there is already an account {name!r}")
        _check_grants(engine, role, org_codes, funder_codes)
        person = create_account(engine, name, _password(password_file), role, display_name)
        for code in org_codes:
            directory.grant(engine, person.username, "org", code)
        for code in funder_codes:
            directory.grant(engine, person.username, "funder", code)
    click.echo(f"Created {role} account {person.username} ({person.display_name})")
    if org_codes or funder_codes:
        click.echo(f"  may see: {_codes([*org_codes, *funder_codes])}")


@user.command("password")
@config_option
@click.argument("username")
@password_option
def user_password(config_path: Path | None, username: str, password_file: Path | None) -> None:
    """Set a new password for an account: it is unlocked and signed out everywhere.

    \b
    Example:
      peerreport admin user password coordinator@harbour.example
    """
    from peerreport.errors import UsageError
    from peerreport.hosted.accounts import account_by_name, set_password

    with _server(config_path) as (_, engine):
        person = account_by_name(engine, username)
        if person is None:
            raise UsageError(f"there is no account {username.strip().lower()!r}")
        set_password(engine, person.username, _password(password_file))
    click.echo(f"New password set for {person.username}; its sessions have ended")


@user.command("list")
@config_option
@json_option
def user_list(config_path: Path | None, as_json: bool) -> None:
    """List the accounts: role, name, what each may see, and whether it is usable.

    \b
    Example:
      peerreport admin user list --config server.toml
    """
    from peerreport.hosted import directory
    from peerreport.hosted.accounts import accounts

    now = dt.datetime.now(dt.UTC)
    with _server(config_path) as (_, engine):
        people = [(p, directory.scope_of(engine, p.id)) for p in accounts(engine)]
    if as_json:
        print_json(
            [
                {
                    "username": p.username,
                    "display_name": p.display_name,
                    "role": p.role,
                    "orgs": list(s.orgs),
                    "funders": list(s.funders),
                    "disabled": p.disabled,
                    "locked_until": p.locked_until.isoformat() if p.locked_until else None,
                }
                for p, s in people
            ]
        )
        return
    rows = []
    for person, scope in people:
        state = "disabled" if person.disabled else "active"
        if person.locked_until and person.locked_until > now:
            state = f"locked until {person.locked_until:%Y-%m-%d %H:%M} UTC"
        sees = "everything" if person.role == "admin" else _codes([*scope.orgs, *scope.funders])
        rows.append((person.username, person.role, person.display_name, sees, state))
    _table(["username", "role", "name", "may see", "state"], rows)


@user.command("disable")
@config_option
@click.argument("username")
def user_disable(config_path: Path | None, username: str) -> None:
    """Disable an account: it cannot log in, and its sessions end now.

    \b
    Example:
      peerreport admin user disable coordinator@harbour.example
    """
    from peerreport.hosted.accounts import set_disabled

    with _server(config_path) as (_, engine):
        set_disabled(engine, username, True)
    click.echo(f"Disabled {username.strip().lower()}")


@user.command("enable")
@config_option
@click.argument("username")
def user_enable(config_path: Path | None, username: str) -> None:
    """Enable a disabled account again.

    \b
    Example:
      peerreport admin user enable coordinator@harbour.example
    """
    from peerreport.hosted.accounts import set_disabled

    with _server(config_path) as (_, engine):
        set_disabled(engine, username, False)
    click.echo(f"Enabled {username.strip().lower()}")


def _grants(
    config_path: Path | None,
    username: str,
    org_codes: tuple[str, ...],
    funder_codes: tuple[str, ...],
    change: Callable[[Engine, str, str, str], None],
) -> None:
    from peerreport.errors import UsageError

    if not org_codes and not funder_codes:
        raise UsageError("name at least one --org CODE or --funder CODE")
    with _server(config_path) as (_, engine):
        for kind, codes in (("org", org_codes), ("funder", funder_codes)):
            for code in codes:
                change(engine, username, kind, code)


@user.command("grant")
@config_option
@click.argument("username")
@_scope_options
def user_grant(
    config_path: Path | None,
    username: str,
    org_codes: tuple[str, ...],
    funder_codes: tuple[str, ...],
) -> None:
    """Let an account see more organisations or funders (as its role allows).

    \b
    Example:
      peerreport admin user grant auditor@example.org --org HPC001 --funder NORTH
    """
    from peerreport.hosted.directory import grant

    _grants(config_path, username, org_codes, funder_codes, grant)
    click.echo(f"{username.strip().lower()} may see {_codes([*org_codes, *funder_codes])}")


@user.command("revoke")
@config_option
@click.argument("username")
@_scope_options
def user_revoke(
    config_path: Path | None,
    username: str,
    org_codes: tuple[str, ...],
    funder_codes: tuple[str, ...],
) -> None:
    """Take away an account's access to organisations or funders.

    \b
    Example:
      peerreport admin user revoke auditor@example.org --org HPC001
    """
    from peerreport.hosted.directory import revoke

    _grants(config_path, username, org_codes, funder_codes, revoke)
    click.echo(f"{username.strip().lower()} no longer sees {_codes([*org_codes, *funder_codes])}")


# -- API tokens -------------------------------------------------------------------


@admin.group()
def token() -> None:
    """API tokens: programs filing or fetching for one organisation or funder."""


@token.command("add")
@config_option
@click.option("--org", "org_code", metavar="CODE", help="The organisation the token files for.")
@click.option("--funder", "funder_code", metavar="CODE", help="The funder the token reads for.")
@click.option("--label", required=True, help="What uses the token, to know it again.")
def token_add(
    config_path: Path | None, org_code: str | None, funder_code: str | None, label: str
) -> None:
    """Make an API token for one organisation or one funder, and show it once.

    \b
    Example:
      peerreport admin token add --org HPC001 --label "nightly filing script"
    """
    from peerreport.errors import UsageError
    from peerreport.hosted.accounts import issue_token

    if (org_code is None) == (funder_code is None):
        raise UsageError("give either --org CODE or --funder CODE (one of them)")
    kind, code = ("org", org_code) if org_code is not None else ("funder", funder_code)
    assert code is not None
    with _server(config_path) as (_, engine):
        raw = issue_token(engine, kind, code, label)
    click.echo(f"API token for {code} ({label.strip()}):")
    click.echo(f"  {raw}")
    click.echo("Copy it now: it cannot be shown again (only its hash is kept).")


@token.command("list")
@config_option
@json_option
def token_list(config_path: Path | None, as_json: bool) -> None:
    """List the API tokens (never the tokens themselves).

    \b
    Example:
      peerreport admin token list --config server.toml
    """
    from peerreport.hosted.accounts import tokens

    with _server(config_path) as (_, engine):
        found = tokens(engine)
    if as_json:
        print_json(
            [
                {
                    "id": t.id,
                    "kind": t.kind,
                    "code": t.code,
                    "label": t.label,
                    "created_at": t.created_at.isoformat(),
                    "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                }
                for t in found
            ]
        )
    elif not found:
        click.echo("No API tokens yet: peerreport admin token add --org CODE --label TEXT")
    else:
        _table(
            ["id", "for", "label", "made", "state"],
            [
                (
                    str(t.id),
                    f"{t.kind} {t.code}",
                    t.label,
                    f"{t.created_at:%Y-%m-%d}",
                    f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active",
                )
                for t in found
            ],
        )


@token.command("revoke")
@config_option
@click.argument("token_id", metavar="ID", type=int)
def token_revoke(config_path: Path | None, token_id: int) -> None:
    """Revoke an API token (by the id `admin token list` shows): it stops working now.

    \b
    Example:
      peerreport admin token revoke 3
    """
    from peerreport.hosted.accounts import revoke_token

    with _server(config_path) as (_, engine):
        revoke_token(engine, token_id)
    click.echo(f"Revoked API token {token_id}")


# -- signing keys -----------------------------------------------------------------


@admin.group()
def key() -> None:
    """The signing keys each organisation's bundles must carry.

    A bundle sent to this server (peerreport submit --to, the API, the
    "Send a bundle" page) is refused as UNVERIFIED ORIGIN unless it is
    signed with a key registered here for the organisation sending it.
    """


@key.command("add")
@config_option
@click.argument("org_code", metavar="ORG")
@click.argument("fingerprint", required=False)
@click.option(
    "--public-key",
    "public_key_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The provider's public key file (peerreport.pub) instead of its fingerprint.",
)
def key_add(
    config_path: Path | None, org_code: str, fingerprint: str | None, public_key_path: Path | None
) -> None:
    """Register a signing key of organisation ORG: its fingerprint, or its public key file.

    Take the fingerprint (`peerreport keys show` in the provider's workspace)
    by a channel you already trust, such as a phone call to the coordinator
    you know: whoever gives you a key can file returns as ORG. A key
    belongs to one organisation.

    \b
    Examples:
      peerreport admin key add HPC001 SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8
      peerreport admin key add HPC001 --public-key harbour.pub
    """
    from peerreport.errors import UsageError
    from peerreport.hosted.keys import add_key, check_fingerprint, public_key_of

    if (fingerprint is None) == (public_key_path is None):
        raise UsageError("give either the key's FINGERPRINT or --public-key FILE (one of them)")
    pem = None
    if public_key_path is not None:
        fingerprint, pem = public_key_of(public_key_path)
    assert fingerprint is not None
    fingerprint = check_fingerprint(fingerprint)
    with _server(config_path) as (_, engine):
        found, created = add_key(engine, org_code, fingerprint, pem)
    if not created:
        click.echo(f"Key {found.fingerprint} was already registered for {org_code}: no change")
        return
    click.echo(f"Registered key {found.fingerprint} for {org_code}")
    click.echo(f"  bundles {org_code} sends signed with it are taken from now on")


@key.command("list")
@config_option
@click.option("--org", "org_code", metavar="ORG", help="Only this organisation's keys.")
@json_option
def key_list(config_path: Path | None, org_code: str | None, as_json: bool) -> None:
    """List the registered signing keys, and whether each is active, retired or revoked.

    \b
    Examples:
      peerreport admin key list
      peerreport admin key list --org HPC001 --json
    """
    from peerreport.hosted.keys import keys_of

    with _server(config_path) as (_, engine):
        found = keys_of(engine, org_code)
    if as_json:
        print_json([k.to_dict() for k in found])
    elif not found:
        click.echo("No keys registered yet: peerreport admin key add ORG FINGERPRINT")
    else:
        _table(
            ["org", "fingerprint", "added", "by", "state"],
            [
                (
                    k.org,
                    k.fingerprint,
                    f"{k.added_at:%Y-%m-%d}",
                    k.added_by,
                    k.state
                    if k.state == "active"
                    else f"{k.state} {(k.revoked_at or k.retired_at):%Y-%m-%d}",
                )
                for k in found
            ],
        )


@key.command("retire")
@config_option
@click.argument("org_code", metavar="ORG")
@click.argument("fingerprint")
@click.option(
    "--revoked",
    is_flag=True,
    help="The key may be in someone else's hands: the auditor's desk stops trusting even "
    "what it signed before.",
)
def key_retire(config_path: Path | None, org_code: str, fingerprint: str, revoked: bool) -> None:
    """Retire organisation ORG's key: bundles signed with it are refused from now on.

    Retire the old key once the provider has rotated it (peerreport keys
    rotate) and you have registered the new one. Returns it signed before
    stay ORG's. With --revoked (a lost or stolen key), nothing it signed is
    trusted any more. Neither is undone.

    \b
    Examples:
      peerreport admin key retire HPC001 SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8
      peerreport admin key retire HPC001 SHA256:nThb... --revoked
    """
    from peerreport.hosted.keys import retire_key

    with _server(config_path) as (_, engine):
        found = retire_key(engine, org_code, fingerprint, revoked=revoked)
    click.echo(f"Key {found.fingerprint} of {org_code} is {found.state}")
    click.echo("  bundles signed with it are refused as UNVERIFIED ORIGIN from now on")


# -- publishing -------------------------------------------------------------------


@admin.command()
@config_option
@click.option("--funder", "funder_code", required=True, metavar="CODE", help="Whose rule file.")
@click.argument("rule_path", metavar="RULE.toml", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--template",
    "template_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The workbook template the rule file names in [export.xlsx] template.",
)
def publish(
    config_path: Path | None, funder_code: str, rule_path: Path, template_path: Path | None
) -> None:
    """Publish a funder's rule file (and its workbook template) for its providers.

    The file is checked as `peerreport rules lint` checks it; it may extend
    a shipped rule file or one the funder published. A version is published
    once: to change it, publish a new version.

    \b
    Example:
      peerreport admin publish --funder NORTH north-peer-support.toml \\
          --template templates/north-q.xlsx
    """
    from peerreport.errors import UsageError
    from peerreport.hosted.publishing import publish_rule

    try:
        text = rule_path.read_text("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{rule_path}: the rule file is not UTF-8 text") from None
    template = template_path.read_bytes() if template_path is not None else None
    now = dt.datetime.now(dt.UTC)
    with _server(config_path) as (_, engine):
        rule = publish_rule(
            engine,
            funder_code,
            text,
            template,
            template_path.name if template_path is not None else None,
            now=now,
            source_name=rule_path.name,
        )
    if rule.published_at != now:
        click.echo(f"{rule.rule_id} version {rule.rule_version} was already published: no change")
        return
    click.echo(f"Published {rule.rule_id} version {rule.rule_version} for {funder_code}")
    click.echo(f"  digest:   {rule.digest}")
    if rule.template_name:
        click.echo(f"  template: {rule.template_name}")
