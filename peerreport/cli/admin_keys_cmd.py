"""`peerreport admin token`, `admin key` and `admin publish`: API tokens, providers' signing
keys and funders' rule files on a hosted server (registered on `admin` by `admin_cmd`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from peerreport.cli.admin_common import config_option, print_table, server_database
from peerreport.cli.options import json_option, print_json

# -- API tokens -------------------------------------------------------------------


@click.group()
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
    with server_database(config_path) as (_, engine):
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

    with server_database(config_path) as (_, engine):
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
        print_table(
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

    with server_database(config_path) as (_, engine):
        revoke_token(engine, token_id)
    click.echo(f"Revoked API token {token_id}")


# -- signing keys -----------------------------------------------------------------


@click.group()
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
    with server_database(config_path) as (_, engine):
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

    with server_database(config_path) as (_, engine):
        found = keys_of(engine, org_code)
    if as_json:
        print_json([k.to_dict() for k in found])
    elif not found:
        click.echo("No keys registered yet: peerreport admin key add ORG FINGERPRINT")
    else:
        print_table(
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

    with server_database(config_path) as (_, engine):
        found = retire_key(engine, org_code, fingerprint, revoked=revoked)
    click.echo(f"Key {found.fingerprint} of {org_code} is {found.state}")
    click.echo("  bundles signed with it are refused as UNVERIFIED ORIGIN from now on")


# -- publishing -------------------------------------------------------------------


@click.command()
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
    with server_database(config_path) as (_, engine):
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
