"""Options shared by several commands, as decorators (the sqlite-utils pattern)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def database_options(func: F) -> F:
    """`--workspace DIR` and `--db URL`."""
    func = click.option(
        "--db",
        "db_url",
        metavar="URL",
        help="Database URL (SQLAlchemy form, e.g. postgresql://user@host/db). "
        "Default: PEERREPORT_DATABASE_URL, then the workspace's database.",
    )(func)
    func = click.option(
        "--workspace",
        "-w",
        "workspace_dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="The workspace folder (holding peerreport.toml). Default: the current folder "
        "or the nearest one above it.",
    )(func)
    return func


def json_option(func: F) -> F:
    """`--json`: print machine-readable JSON instead of a table."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")(func)


def print_json(data: Any) -> None:
    """Print JSON the same way everywhere."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def org_option(func: F) -> F:
    """`--org CODE`: whose data to read without a workspace (a workspace reads only its own)."""
    return click.option(
        "--org",
        "org",
        metavar="CODE",
        help="The organisation (provider code) to read, needed with --db outside a workspace. "
        "Inside a workspace: only its own organisation.",
    )(func)
