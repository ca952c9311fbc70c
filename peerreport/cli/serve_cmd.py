"""`peerreport serve`: the web application on this computer."""

from __future__ import annotations

from pathlib import Path

import click

from peerreport.cli.options import database_options


@click.command()
@database_options
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, help="Port (default: a free one)."
)
@click.option("--no-browser", is_flag=True, help="Print the address but do not open a browser.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Hosted mode: serve many organisations from this server.toml (see README, "
    "Hosting for many organisations). Without it, the environment's PEERREPORT_* settings "
    "are used when --hosted is given.",
)
@click.option("--hosted", is_flag=True, help="Hosted mode from environment variables alone.")
@click.option(
    "--max-upload-mb",
    type=click.IntRange(1, 10_000),
    default=200,
    show_default=True,
    help="The largest upload accepted (all files of one upload together).",
)
def serve(
    workspace_dir: Path | None,
    db_url: str | None,
    port: int,
    no_browser: bool,
    max_upload_mb: int,
    config_path: Path | None,
    hosted: bool,
) -> None:
    """Open peerreport in your web browser: upload records, review and submit returns.

    Runs on this computer only (127.0.0.1), on a free port, and opens your
    browser at an address holding a secret: other users of this computer and
    other web sites cannot use it. Keep the terminal open while you work;
    press Ctrl+C to stop. Outside any workspace, the first page makes one
    in the current folder.

    \b
    Examples:
      peerreport serve                     # inside a workspace (or to make one)
      peerreport serve --workspace harbour
      peerreport serve --config server.toml   # hosted: many organisations, accounts
    """
    if config_path is not None or hosted:
        _serve_hosted(config_path)
        return
    from peerreport.web.config import WebConfig
    from peerreport.web.server import serve as run
    from peerreport.workspace import find_workspace, load_workspace

    root = workspace_dir if workspace_dir is not None else find_workspace()
    if root is not None:
        load_workspace(root)  # a broken peerreport.toml is a plain error now, not a page later
    config = WebConfig(
        base_dir=Path.cwd(),
        workspace_dir=root.resolve() if root is not None else None,
        db_url=db_url,
        max_upload_bytes=max_upload_mb * 1024 * 1024,
        prepare_ahead=True,
    )

    def announce(address: str) -> None:
        where = f"the workspace in {config.workspace_dir}" if root else "no workspace yet"
        click.echo(f"peerreport is running for {where}.")
        click.echo(
            f"Open this address in your browser (it holds a secret; do not share it):\n  {address}"
        )
        click.echo("Press Ctrl+C to stop.")

    run(
        config,
        port or None,
        open_browser=not no_browser,
        announce=announce,
        stopped=lambda: click.echo("peerreport stopped."),
    )


def _serve_hosted(config_path: Path | None) -> None:
    """Hosted mode: bound to the configured address, behind a TLS proxy, with accounts."""
    from peerreport.hosted.config import load_config
    from peerreport.hosted.server import serve_hosted

    config = load_config(config_path)
    click.echo(f"peerreport (hosted) is listening on http://{config.bind}:{config.port}/")
    click.echo(f"People open it at {config.base_url}/ (through your TLS proxy).")
    click.echo("Press Ctrl+C to stop.")
    serve_hosted(config)
    click.echo("peerreport stopped.")
