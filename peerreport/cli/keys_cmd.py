"""`peerreport keys new`: an Ed25519 key pair for signing bundles."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def keys() -> None:
    """Signing keys: make an Ed25519 key pair to sign bundles with.

    \b
    Examples:
      peerreport keys new --out keys/
      peerreport export nz-peer-support-adults --period FY2027-Q1 --out returns/ \\
          --sign keys/peerreport.key
    """


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
