"""`peerreport init` and `peerreport db`."""

from __future__ import annotations

from pathlib import Path

import click

from peerreport.cli.options import database_options


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--name", required=True, help="The organisation's name.")
@click.option(
    "--provider-code",
    required=True,
    help="The organisation's provider code (as funders know it); 1-32 letters and digits.",
)
@click.option(
    "--contact-role",
    metavar="ROLE",
    help="The role funders contact about returns, such as 'Service coordinator' (a role, "
    "never a person's name); written on every return.",
)
@click.option("--db", "db_url", metavar="URL", help="Database URL (default: SQLite in DIR).")
def init(
    directory: Path, name: str, provider_code: str, contact_role: str | None, db_url: str | None
) -> None:
    """Create a workspace in DIRECTORY: settings (peerreport.toml), a database and a signing key.

    The signing key (peerreport.key, readable by you only, never committed:
    the workspace's .gitignore leaves out *.key) signs every bundle `submit`
    writes. Give your funder its fingerprint once; `peerreport keys show`
    prints it.

    \b
    Example:
      peerreport init harbour --name "Harbour Peer Collective" --provider-code HPC001
      peerreport init harbour --name "Harbour Peer Collective" --provider-code HPC001 \\
          --contact-role "Service coordinator"
      peerreport init harbour --name "Harbour Peer Collective" --provider-code HPC001 \\
          --db postgresql://peerreport@dbhost/reporting
    """
    from peerreport.store.database import open_engine, safe_url, upgrade
    from peerreport.workspace import write_workspace

    workspace = write_workspace(directory, name, provider_code, db_url, contact_role=contact_role)
    engine = open_engine(workspace.database_url)
    upgrade(engine)
    engine.dispose()
    click.echo(f"Created workspace {workspace.root}")
    click.echo(f"  organisation: {workspace.organisation_name} ({workspace.provider_code})")
    if workspace.contact_role:
        click.echo(f"  contact role: {workspace.contact_role}")
    click.echo(f"  database:     {safe_url(workspace.database_url)}")
    click.echo(f"  signing key:  {workspace.key_path} (secret; only you can read it)")
    click.echo(f"  fingerprint:  {workspace.own_fingerprint()}")
    click.echo(
        "  Give your funder this fingerprint once (`peerreport keys show` prints it again): "
        "they refuse bundles not signed with it."
    )
    click.echo("Next steps, inside the folder:")
    click.echo(f"  cd {workspace.root}")
    click.echo(
        "  peerreport template intake RULES --out activity-log.xlsx   "
        "# a workbook to keep the log in (`peerreport rules list` names the RULES)"
    )
    click.echo("  peerreport import activity-log.xlsx                        # store the records")
    click.echo("  peerreport build RULES --period FY2027-Q1                  # figures and checks")
    click.echo("  peerreport export RULES --period FY2027-Q1 --out review/   # copies to read")
    click.echo("  peerreport submit RULES --period FY2027-Q1                 # file it")
    click.echo("  Then send the bundle it writes in submissions/ to your funder.")


@click.group()
def db() -> None:
    """The database schema: which version it is at, and upgrading it."""


@db.command()
@database_options
def upgrade(workspace_dir: Path | None, db_url: str | None) -> None:
    """Create or upgrade the database schema to this version of peerreport.

    \b
    Example:
      peerreport db upgrade --db postgresql://peerreport@dbhost/reporting
    """
    from peerreport.store.database import current_revision, head_revision, open_engine
    from peerreport.store.database import upgrade as run_upgrade
    from peerreport.workspace import database_url, find_workspace, load_workspace

    root = workspace_dir or find_workspace()
    workspace = load_workspace(root) if root else None
    engine = open_engine(database_url(db_url, workspace))
    before = current_revision(engine)
    run_upgrade(engine)
    click.echo(f"Database schema: {before or 'empty'} -> {head_revision()}")


@db.command()
@database_options
def version(workspace_dir: Path | None, db_url: str | None) -> None:
    """Show the database schema version and the newest one this peerreport knows.

    \b
    Example:
      peerreport db version
    """
    from peerreport.store.database import current_revision, head_revision, open_engine
    from peerreport.workspace import database_url, find_workspace, load_workspace

    root = workspace_dir or find_workspace()
    workspace = load_workspace(root) if root else None
    engine = open_engine(database_url(db_url, workspace))
    click.echo(f"database: {current_revision(engine) or 'empty'}; newest: {head_revision()}")
