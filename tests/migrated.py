"""Fresh databases at the newest schema, quickly: copies of one the real migrations made.

Running the ten migrations takes a quarter of a second on SQLite and two thirds of one on
PostgreSQL, and about a thousand tests each want a fresh database: a fifth of the suite's
time. So each test process runs the migrations once per backend, on a database of its own,
and then gives each test a copy of it:

- SQLite: the migrated file, copied (with its mode, 0600).
- PostgreSQL: `pg_dump` of the migrated schema (its tables, keys, indexes, triggers,
  functions, policies, grants and rows), restored into the test's own schema under the
  test's schema name.

`tests/store/test_migrated_copies.py` checks that a copy is the same database as one the
migrations make. Where no copy can be made (no `pg_dump` of the server's major version,
an unusual URL, a file already there), `migrate` runs the migrations themselves, so a test
never depends on the copy.
Tests of the migrations, and of the commands that make workspaces, run the real thing.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import make_url, text

from peerreport.store.database import open_engine, upgrade

#: Per backend, what the copies are made from: the migrated SQLite file, or the
#: PostgreSQL schema's script with `_TEMPLATE` where its name goes (None: no copies).
_MADE: dict[str, Path | str | None] = {}
_FOLDER: list[Path] = []
_TEMPLATE = "peerreport_template_schema"
_SCHEMA_OPTION = re.compile(r"^-csearch_path=([a-z_][a-z0-9_]*)$")
_PSQL_COMMAND = re.compile(r"^\\(un)?restrict [A-Za-z0-9]+$")


def migrate(url: str) -> None:
    """Bring the empty database at `url` to the newest schema, as `upgrade` does."""
    if not _copy(url):
        engine = open_engine(url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()


def _copy(url: str) -> bool:
    """Make the database at `url` a copy of the migrated one; False when it cannot."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        target = parsed.database
        if not target or target == ":memory:" or os.path.exists(target):
            return False
        template = _made("sqlite", url)
        if not isinstance(template, Path):
            return False
        shutil.copy(template, target)
        return True
    schema = _schema_of(url)
    if schema is None:
        return False
    script = _made("postgresql", url)
    if not isinstance(script, str):
        return False
    import psycopg

    try:
        with psycopg.connect(_libpq(url)) as conn:
            conn.execute(script.replace(_TEMPLATE, schema).encode())
    except psycopg.Error:
        return False  # the schema was not empty, say: the migrations will tell why
    return True


def _schema_of(url: str) -> str | None:
    """The one schema a test's PostgreSQL URL puts first on the search path."""
    options = make_url(url).query.get("options")
    if not isinstance(options, str):
        return None
    found = _SCHEMA_OPTION.match(options)
    return found.group(1) if found else None


def _libpq(url: str) -> str:
    """The URL as psycopg and pg_dump take it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _made(backend: str, url: str) -> Path | str | None:
    """What this process copies for `backend`, made the first time it is asked for."""
    if backend not in _MADE:
        _MADE[backend] = _sqlite_template() if backend == "sqlite" else _postgres_script(url)
    return _MADE[backend]


def _folder() -> Path:
    if not _FOLDER:
        folder = Path(tempfile.mkdtemp(prefix="peerreport-migrated-"))
        atexit.register(shutil.rmtree, folder, True)
        _FOLDER.append(folder)
    return _FOLDER[0]


def _sqlite_template() -> Path:
    path = _folder() / "migrated.db"
    engine = open_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return path


def can_copy(backend: str, url: str) -> bool:
    """Whether this process makes copies for `backend` (PostgreSQL needs `pg_dump`)."""
    return _made(backend, url) is not None


def _major(version: str) -> int | None:
    found = re.search(r"(\d+)(?:\.\d+)*", version)
    return int(found.group(1)) if found else None


def _postgres_script(url: str) -> str | None:
    """The migrated schema as a script (None without a `pg_dump` of the server's major
    version: an older one refuses a newer server, and a newer one writes settings, such as
    `transaction_timeout`, that an older server refuses)."""
    if shutil.which("pg_dump") is None:
        return None
    shown = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, check=False)
    name = "t_migrated_" + uuid.uuid4().hex[:12]
    plain = make_url(url).difference_update_query(["options"]).render_as_string(hide_password=False)
    admin = open_engine(plain)
    try:
        with admin.connect() as conn:
            server = int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
        if _major(shown.stdout.removeprefix("pg_dump (PostgreSQL)")) != server:
            return None
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        try:
            at = make_url(plain).update_query_dict({"options": f"-csearch_path={name}"})
            engine = open_engine(at.render_as_string(hide_password=False))
            try:
                upgrade(engine)
            finally:
                engine.dispose()
            dumped = subprocess.run(
                ["pg_dump", "--dbname", _libpq(plain), "--schema", name, "--no-owner", "--inserts"],
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    finally:
        admin.dispose()
    if dumped.returncode != 0 or f"CREATE SCHEMA {name};" not in dumped.stdout:
        return None
    lines = [
        line
        for line in dumped.stdout.splitlines()
        # psql's own commands (\restrict and \unrestrict, which newer pg_dumps write around
        # the script) and the schema, which the test has made already.
        if not _PSQL_COMMAND.match(line) and line != f"CREATE SCHEMA {name};"
    ]
    return "\n".join(lines).replace(name, _TEMPLATE)
