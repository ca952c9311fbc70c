"""What every `peerreport admin` command shares: its options, the server's database, tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

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
def server_database(
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


def read_password(password_file: Path | None) -> str:
    """The password from the first line of `password_file`, or typed twice at a hidden prompt."""
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


def codes_text(codes: Sequence[str]) -> str:
    """Codes joined for a message or a table cell ('-' for none)."""
    return ", ".join(codes) if codes else "-"


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print rows under a header in columns padded to their widest cell."""
    lines = [list(header), *[list(r) for r in rows]]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
