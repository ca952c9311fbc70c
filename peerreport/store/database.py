"""Opening the database and keeping its schema at the current migration."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from importlib import resources
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from peerreport.errors import DatabaseError


def normalise_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` as PostgreSQL through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def open_engine(url: str) -> Engine:
    """An engine for `url`, with SQLite set up to enforce foreign keys."""
    url = normalise_url(url)
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql+psycopg"):
        # psycopg prepares a statement after 5 runs and PostgreSQL may then keep a
        # generic plan chosen while a table was still empty (a sequential scan), so a
        # long import slows down quadratically. Plan every statement afresh.
        connect_args["prepare_threshold"] = None
    try:
        engine = create_engine(url, future=True, connect_args=connect_args)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise DatabaseError(f"cannot use database URL {safe_url(url)!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        _private_file(engine.url.database)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


def _private_file(database: str | None) -> None:
    """Make a new SQLite database file readable by its owner only (0600) before SQLite
    creates it world-readable: it holds an organisation's records and its ledger. SQLite
    gives its journal and WAL files the database file's mode."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = os.path.abspath(database)
    if os.path.exists(path) or not os.path.isdir(os.path.dirname(path)):
        return  # an existing file keeps its mode; a missing folder is SQLite's own error
    # Made in between by another process: then it is theirs to have made.
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _reason(exc: OperationalError) -> str:
    """The driver's own words, without the SQL and parameters SQLAlchemy adds to them."""
    return str(exc.orig).strip() or type(exc.orig).__name__


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    location = resources.files("peerreport.store").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration shipped with this version of peerreport."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(None))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise DatabaseError(
            f"cannot open database {safe_url(str(engine.url))}: {_reason(exc)}"
        ) from exc


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic import command

    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")
    except OperationalError as exc:
        raise DatabaseError(
            f"cannot upgrade database {safe_url(str(engine.url))}: {_reason(exc)}"
        ) from exc


#: One in-memory database migrated to the newest schema, per process, that
#: `memory_engine` copies (empty until first asked for), and the lock its copies take.
_MIGRATED_MEMORY: list[sqlite3.Connection] = []
_MIGRATED_LOCK = threading.Lock()


def memory_engine() -> Engine:
    """A new, empty in-memory SQLite database at the newest schema (a rule file's fixture
    runs in one).

    The migrations run once per process, on a database kept for the purpose, and each
    new database is a copy of that one through SQLite's online backup: a millisecond
    against a quarter of a second of migrations for each of a rule file's fixtures. The
    engine keeps one connection per thread, as every in-memory SQLite engine does, so the
    copy is the database that thread's statements see."""
    with _MIGRATED_LOCK:
        if not _MIGRATED_MEMORY:
            _MIGRATED_MEMORY.append(_migrated_memory())
        engine = open_engine("sqlite://")
        try:
            with engine.connect() as conn:
                _MIGRATED_MEMORY[0].backup(conn.connection.driver_connection)  # type: ignore[arg-type]
        except BaseException:
            engine.dispose()
            raise
    return engine


def _migrated_memory() -> sqlite3.Connection:
    """An in-memory database the migrations made, on a connection any thread may use."""
    made = open_engine("sqlite://")
    try:
        upgrade(made)
        kept = sqlite3.connect(":memory:", check_same_thread=False)
        with made.connect() as conn:
            conn.connection.driver_connection.backup(kept)  # type: ignore[union-attr]
    finally:
        made.dispose()
    return kept


#: The newest migration shipped: `head_revision()` without reading the migration scripts
#: (tests/store/test_migrations.py checks that they agree). A new migration updates it.
HEAD_REVISION = "0011"


def _stored_revision(engine: Engine) -> str | None:
    """The one revision in `alembic_version`, read with a plain query (None when the table is
    missing or holds another number of rows), without importing Alembic."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def ensure_current(engine: Engine) -> None:
    """Fail with a plain message unless the schema is at the newest migration.

    Every command that opens a workspace asks. The usual answer (it is) costs one query;
    Alembic, which takes a tenth of a second to import and read its scripts, is asked
    only when it is not, for the message."""
    if _stored_revision(engine) == HEAD_REVISION:
        return
    current = current_revision(engine)
    if current is None and not inspect(engine).get_table_names():
        raise DatabaseError(
            f"database {safe_url(str(engine.url))} has no peerreport tables; "
            "run `peerreport init` or `peerreport db upgrade` first"
        )
    if current != head_revision():
        raise DatabaseError(
            f"database schema is at {current or 'an unknown version'}, this peerreport needs "
            f"{head_revision()}; run `peerreport db upgrade`"
        )
