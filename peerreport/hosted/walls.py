"""The database's own wall on a hosted server: a request's transactions see only its organisations.

`peerreport.store.row_security` holds the policies; this module walls the
hosted server's connections with them:

- the walled engine's connections run as `WEB_ROLE` (`SET ROLE` when each
  is made), which the policies apply to;
- every transaction begins by setting `RECORD_ORGS` and `RETURN_ORGS`, for
  that transaction only, from the `Reach` of the request being served
  (`current_reach`: the guard sets it after the access decision; outside a
  request it names nobody).

Sync routes run in a worker thread with a copy of the request's context, so
they see the reach the guard set. A thread a request starts itself does not:
start it with `contextvars.copy_context().run`.

The owner's engine (migrations, the server's startup work, the access
decision's own lookups) is not walled. On SQLite there are no roles or
policies, and the walled engine is the owner's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Connection, Engine, event, text

from peerreport.errors import DatabaseError
from peerreport.hosted.access import NO_REACH, Reach
from peerreport.store import row_security
from peerreport.store.database import open_engine, safe_url

#: The reach of the request being served (the guard sets it, and resets it after).
current_reach: ContextVar[Reach] = ContextVar("peerreport_reach", default=NO_REACH)

_SETTINGS = text(
    "SELECT set_config(:record_key, :records, true), set_config(:return_key, :returns, true)"
)
_ROLE_STATE = text(
    "SELECT r.oid IS NOT NULL AS found, "
    "r.oid IS NOT NULL AND pg_has_role(current_user, r.oid, 'MEMBER') AS usable, "
    "r.oid IS NOT NULL AND has_schema_privilege(r.oid, current_schema(), 'USAGE') "
    "AND has_table_privilege(r.oid, 'submitted_return', 'INSERT') AS granted, "
    "current_user AS owner "
    "FROM (SELECT 1) AS one "
    "LEFT JOIN pg_catalog.pg_roles AS r ON r.rolname = :role"
)


@contextmanager
def reaching(reach: Reach) -> Iterator[None]:
    """Every transaction begun meanwhile, in this context, is walled to `reach`."""
    token = current_reach.set(reach)
    try:
        yield
    finally:
        current_reach.reset(token)


def wall(engine: Engine) -> Engine:
    """Set `engine` up so that its connections are walled (on PostgreSQL; else as it is)."""
    if engine.dialect.name != "postgresql":
        return engine

    @event.listens_for(engine, "connect")
    def _as_web_role(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {row_security.WEB_ROLE}")
        dbapi_connection.commit()  # SET ROLE lasts for the connection's life

    @event.listens_for(engine, "begin")
    def _within_reach(connection: Connection) -> None:
        # Fired by `begin()` and by the autobegin of a connection's first statement.
        reach = current_reach.get()
        connection.execute(
            _SETTINGS,
            {
                "record_key": row_security.RECORD_ORGS,
                "records": row_security.setting_value(reach.records),
                "return_key": row_security.RETURN_ORGS,
                "returns": row_security.setting_value(reach.returns),
            },
        )

    return engine


def walled_engine(owner: Engine) -> Engine:
    """A second engine on the owner's database whose connections are walled.

    On SQLite, the owner's engine itself. On PostgreSQL the owner must be able
    to become `WEB_ROLE` (`check_web_role`).
    """
    if owner.dialect.name != "postgresql":
        return owner
    check_web_role(owner)
    return wall(open_engine(owner.url.render_as_string(hide_password=False)))


def check_web_role(owner: Engine) -> None:
    """Fail with a plain message unless the owner may become the web role, granted its tables.

    Migration 0005 makes the role and grants it; when the owner could not make
    roles, a database administrator makes it, and the grants follow here.
    """
    role = row_security.WEB_ROLE
    with owner.connect() as conn:
        state = conn.execute(_ROLE_STATE, {"role": role}).one()
    if not (state.found and state.usable):
        raise DatabaseError(
            f"database {safe_url(str(owner.url))}: the hosted server's requests run as the "
            f"role {role}, and {'it is missing' if not state.found else 'it is not granted'}"
            f" to {state.owner}. A database administrator can run: CREATE ROLE {role} "
            f"NOLOGIN; GRANT {role} TO {state.owner};"
        )
    if not state.granted:
        with owner.begin() as conn:
            conn.execute(text(row_security.GRANT_WEB_ROLE))


__all__ = ["check_web_role", "current_reach", "reaching", "wall", "walled_engine"]
