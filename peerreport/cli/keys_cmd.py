"""`peerreport keys show | new | rotate | funder-new`: the workspace's signing key (Ed25519),
new key pairs, replacing the workspace's key, and the funder's X25519 key."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def keys() -> None:
    """Signing keys: show the workspace's key (to give the funder), or make a key pair.

    \b
    Examples:
      peerreport keys show
      peerreport keys rotate
      peerreport keys new --out keys/
      peerreport submit nz-peer-support-adults --period FY2027-Q1 --sign keys/peerreport.key
    """


@keys.command("show")
@click.option(
    "--key",
    "key_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A key file (private or public) to show instead of the workspace's own.",
)
@click.option(
    "--workspace",
    "-w",
    "workspace_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The workspace folder. Default: the nearest one at or above the current folder.",
)
def show(key_path: Path | None, workspace_dir: Path | None) -> None:
    """Print the fingerprint and public key of the workspace's signing key.

    Give the fingerprint to each funder once, by a channel they already
    trust (say, on the phone): they list it against your provider code, and
    refuse bundles not signed with it. The public key is safe to share; the
    private key (peerreport.key) never leaves the workspace.

    \b
    Examples:
      peerreport keys show
      peerreport keys show --key keys/peerreport.pub
    """
    from peerreport.bundle.signing import public_key_fingerprint, public_key_pem
    from peerreport.errors import WorkspaceError
    from peerreport.workspace import find_workspace, load_workspace

    if key_path is None:
        root = workspace_dir or find_workspace()
        if root is None:
            raise WorkspaceError("not inside a workspace: run it there, or give --key FILE")
        workspace = load_workspace(root)
        key_path = workspace.key_path
        if not key_path.exists():
            raise WorkspaceError(
                f"{key_path} does not exist yet: `peerreport submit` makes it on first use "
                "(or `peerreport keys new --out .`)"
            )
        click.echo(f"provider:    {workspace.provider_code} ({workspace.organisation_name})")
    click.echo(f"fingerprint: {public_key_fingerprint(key_path)}")
    click.echo(public_key_pem(key_path).rstrip("\n"))


@keys.command("new")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write NAME.key (private) and NAME.pub (public) to.",
)
@click.option(
    "--name",
    default="peerreport",
    show_default=True,
    help="The file name (without extension) of the two keys.",
)
def new(out_dir: Path, name: str) -> None:
    """Make a key pair: a private key (kept secret, mode 0600) and a public key.

    Keep the private key in the workspace and never send it. Send the funder
    the public key, or just the fingerprint printed here: the funder lists it
    in the provider list, so bundles signed with another key are rejected.

    \b
    Examples:
      peerreport keys new --out keys/
      peerreport keys new --out ~/.peerreport --name harbour-2026
    """
    from peerreport.bundle import new_key_pair

    pair = new_key_pair(out_dir, name)
    click.echo(f"wrote private key {pair.private_path} (keep it secret; mode 0600)")
    click.echo(f"wrote public key  {pair.public_path}")
    click.echo(f"fingerprint: {pair.fingerprint}")


@keys.command("rotate")
@click.option(
    "--workspace",
    "-w",
    "workspace_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The workspace folder. Default: the nearest one at or above the current folder.",
)
def rotate(workspace_dir: Path | None) -> None:
    """Replace the workspace's signing key with a new one (say, when someone who had the
    computer has left).

    The old private key is deleted; its public key is kept in retired-keys/,
    so the bundles it signed still verify in this workspace. From now on
    `submit` signs with the new key: give its fingerprint to each funder
    (and to a hosted server's administrator) by a channel they trust, and
    ask them to retire the old one.

    \b
    Examples:
      peerreport keys rotate
      peerreport keys rotate --workspace ~/harbour
    """
    from peerreport.errors import WorkspaceError
    from peerreport.workspace import find_workspace, load_workspace, rotate_signing_key

    root = workspace_dir or find_workspace()
    if root is None:
        raise WorkspaceError("not inside a workspace: run it there, or give --workspace FOLDER")
    workspace = load_workspace(root)
    old, new = rotate_signing_key(workspace)
    code = workspace.provider_code
    click.echo(f"provider:     {code} ({workspace.organisation_name})")
    click.echo(f"new key:      {new}  (peerreport submit signs with it from now on)")
    click.echo(f"retired key:  {old}  (its public key is kept in {workspace.retired_keys_dir})")
    click.echo("")
    click.echo(f"Give the new fingerprint {new} to each funder, by a channel they already")
    click.echo("trust (a phone call, not an email anyone could write), and ask them to list it")
    click.echo(f"for {code} and to retire the old one. On a hosted server, its administrator runs:")
    click.echo(f"  peerreport admin key add {code} {new}")
    click.echo(f"  peerreport admin key retire {code} {old}")
    click.echo("Bundles you sent before stay verifiable: they were signed with the old key.")


# The funder's encryption key (issue 11): kept apart from the signing-key commands above.
@keys.command("funder-new")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write NAME.x25519.key (private) and NAME.x25519.pub (public) to.",
)
@click.option(
    "--name",
    default="funder",
    show_default=True,
    help="The file name (without extension) of the two keys.",
)
def funder_new(out_dir: Path, name: str) -> None:
    """Make the funder's key pair for exact figures: X25519, private key mode 0600.

    For funders. Put the public key printed here in the base rule file's
    `[release]` (`funder_exact = true`, `funder_key = "x25519:..."`): every
    provider's bundle then carries the exact figures sealed to it, and
    `peerreport collate --funder-key NAME.x25519.key` opens them. Keep the
    private key off shared drives; whoever holds it reads every provider's
    exact figures.

    \b
    Examples:
      peerreport keys funder-new --out ~/.peerreport-funder
      peerreport keys funder-new --out keys/ --name region-2027
    """
    from peerreport.bundle.sealed import new_funder_key

    pair = new_funder_key(out_dir, name)
    click.echo(f"wrote private key {pair.private_path} (keep it secret; mode 0600)")
    click.echo(f"wrote public key  {pair.public_path}")
    click.echo("put in the rule file's [release]:")
    click.echo("  funder_exact = true")
    click.echo(f'  funder_key = "{pair.public_text}"')
