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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from peerreport.cli.admin_common import (
    codes_text,
    config_option,
    password_option,
    print_table,
    read_password,
    server_database,
)
from peerreport.cli.admin_keys_cmd import key, publish, token
from peerreport.cli.options import json_option, print_json

if TYPE_CHECKING:
    from sqlalchemy import Engine

F = TypeVar("F", bound=Callable[..., Any])


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

    with server_database(config_path, migrate=True) as (config, engine):
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
        person = create_account(engine, name, read_password(password_file), "admin")
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

    with server_database(config_path) as (config, engine):
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
        click.echo(f"  reports to: {codes_text(funder_codes)}")
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

    with server_database(config_path) as (_, engine):
        rows = [
            (code, name, [f for f, _ in directory.funders_of(engine, code)])
            for code, name in directory.organisations(engine)
        ]
    if as_json:
        print_json([{"code": c, "name": n, "funders": f} for c, n, f in rows])
    elif not rows:
        click.echo('No organisations yet: peerreport admin org add CODE "NAME"')
    else:
        print_table(["code", "name", "funders"], [(c, n, codes_text(f)) for c, n, f in rows])


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

    with server_database(config_path) as (_, engine):
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

    with server_database(config_path) as (_, engine):
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

    with server_database(config_path) as (_, engine):
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
        print_table(
            ["code", "name", "providers", "rule files"],
            [(c, n, codes_text(p), codes_text(r)) for c, n, p, r in rows],
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

    with server_database(config_path) as (_, engine):
        name = normalise_username(username)
        if account_by_name(engine, name) is not None:
            raise UsageError(f"there is already an account {name!r}")
        _check_grants(engine, role, org_codes, funder_codes)
        person = create_account(engine, name, read_password(password_file), role, display_name)
        for code in org_codes:
            directory.grant(engine, person.username, "org", code)
        for code in funder_codes:
            directory.grant(engine, person.username, "funder", code)
    click.echo(f"Created {role} account {person.username} ({person.display_name})")
    if org_codes or funder_codes:
        click.echo(f"  may see: {codes_text([*org_codes, *funder_codes])}")


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

    with server_database(config_path) as (_, engine):
        person = account_by_name(engine, username)
        if person is None:
            raise UsageError(f"there is no account {username.strip().lower()!r}")
        set_password(engine, person.username, read_password(password_file))
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
    with server_database(config_path) as (_, engine):
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
        sees = "everything" if person.role == "admin" else codes_text([*scope.orgs, *scope.funders])
        rows.append((person.username, person.role, person.display_name, sees, state))
    print_table(["username", "role", "name", "may see", "state"], rows)


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

    with server_database(config_path) as (_, engine):
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

    with server_database(config_path) as (_, engine):
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
    with server_database(config_path) as (_, engine):
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
    click.echo(f"{username.strip().lower()} may see {codes_text([*org_codes, *funder_codes])}")


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
    click.echo(
        f"{username.strip().lower()} no longer sees {codes_text([*org_codes, *funder_codes])}"
    )


# The token, key and publish commands live in admin_keys_cmd (this module was past 800 lines).
admin.add_command(token)
admin.add_command(key)
admin.add_command(publish)
