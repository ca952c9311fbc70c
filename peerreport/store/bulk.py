"""The record writer's statements, run on the driver's own cursor: no per-row SQLAlchemy work.

An import writes up to a thousand versions a batch. Through SQLAlchemy each
row's parameters were compiled and processed one by one, which cost more than
the database's own work; here every statement is written once per table and
run with plain tuples, on the same connection and so in the import's one
transaction (a failure still leaves nothing behind).

- Values are bound as SQLAlchemy would bind them: each column's bind processor
  for the dialect (SQLite's dates, times and booleans as text and integers) is
  applied, so the stored rows are exactly the ones the ORM-free path replaced.
- SQLite: `executemany` of tuples (the floor, csv + executemany, does the same).
- PostgreSQL: COPY straight into the record table. A staging table and one
  set-based merge were not chosen: a batch's rows are checked against the
  stored digests in Python anyway (the revision's tally needs each added and
  closed version, with its key and digest), so the merge would save no round
  trip and would write every row twice, unchanged rows too. (Not measured head
  to head; 100k activities + 31k breakdowns took 48 s before and 18 s after,
  one run each on a loaded machine.) COPY FROM refuses a table under row-level
  security, though, and the hosted server's walled web role is
  (`store.row_security`): for it the rows are copied into a temporary staging
  table and moved with one INSERT ... SELECT, which the policies check; and when
  the role may not make temporary tables, they are inserted by `executemany`
  (psycopg pipelines it). An import lets each COPY run on a thread while it reads
  its next batch (`CopyBehind`): the server's work on one batch overlaps the
  client's on the next.
- The current digests of a batch's keys: on SQLite one query per 500 keys with
  an IN on the key's first column after `org` (the key's index, then matched to
  whole keys in Python); on PostgreSQL one index probe per whole key
  (`Statements._probe_digests`).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, event
from sqlalchemy.exc import DBAPIError

#: Keys looked up per query (SQLite's limit on bound parameters is far above it).
LOOKUP_CHUNK = 500


@dataclass(frozen=True)
class Columns:
    """A table's columns in a fixed order, and how the dialect binds each value."""

    names: tuple[str, ...]
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]

    @classmethod
    def of(cls, conn: Connection, table: Table, names: Sequence[str]) -> Columns:
        """The columns `names` of `table`, with the bind processors of `conn`'s dialect."""
        processors = []
        for index, name in enumerate(names):
            process = table.c[name].type._cached_bind_processor(conn.dialect)
            if process is not None:
                processors.append((index, process))
        return cls(tuple(names), tuple(processors))

    def tuples(self, rows: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Each row's values in column order, as bound (a missing column is NULL)."""
        rows = list(rows)
        if not rows:
            return []
        try:
            plain = list(map(itemgetter(*self.names), rows))
        except KeyError:
            plain = [tuple(row.get(n) for n in self.names) for row in rows]
        if len(self.names) == 1:
            plain = [(value,) for value in plain]
        if not self.processors:
            return plain
        # A column at a time, each distinct value processed once: dates, times and flags
        # repeat, and the processors are Python functions.
        columns = list(zip(*plain, strict=True))
        for index, process in self.processors:
            columns[index] = tuple(map(_Processed(process).__getitem__, columns[index]))
        return list(zip(*columns, strict=True))

    def tuples_of_columns(
        self, columns: Mapping[str, Sequence[Any]], count: int
    ) -> list[tuple[Any, ...]]:
        """`tuples` of `count` rows given a column at a time (a missing column is NULL)."""
        if not count:
            return []
        listed: list[Sequence[Any]] = [columns.get(n) or [None] * count for n in self.names]
        for index, process in self.processors:
            listed[index] = list(map(_Processed(process).__getitem__, listed[index]))
        return list(zip(*listed, strict=True))

    def bind_key(self, key: Sequence[Any]) -> tuple[Any, ...]:
        """One key's values as bound (and as the database gives them back on the driver)."""
        listed = list(key)
        for index, process in self.processors:
            listed[index] = process(listed[index])
        return tuple(listed)


class _Processed(dict[Any, Any]):
    """A bind processor's results, by value (each computed once)."""

    def __init__(self, process: Callable[[Any], Any]) -> None:
        super().__init__()
        self.process = process

    def __missing__(self, value: Any) -> Any:
        bound = self[value] = self.process(value)
        return bound


@dataclass
class Statements:
    """The statements of one connection's writes (its dialect, and on PostgreSQL how the
    role may insert into each table)."""

    conn: Connection
    postgres: bool = field(init=False)
    _insert_ways: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.postgres = self.conn.dialect.name == "postgresql"
        self._behind: CopyBehind | None = None

    def copy_behind(self) -> None:
        """From now on, let each COPY of record rows run behind (`CopyBehind`)."""
        if self.postgres and self._behind is None:
            self._behind = CopyBehind(self.conn)

    def stop_behind(self) -> None:
        """Stop running COPYs behind, once the last one has ended (raising its error)."""
        behind, self._behind = self._behind, None
        if behind is not None:
            behind.close()

    def _marks(self, count: int) -> str:
        return ", ".join(["%s" if self.postgres else "?"] * count)

    def current_digests(
        self,
        table: Table,
        org: str,
        key: Columns,
        keys: Sequence[tuple[Any, ...]],
        *,
        current: bool,
    ) -> dict[tuple[Any, ...], str]:
        """Digests of the current versions of `keys` (bound values, `org` first); with
        current=False, of their closed versions (the keys whose records were withdrawn,
        when they have no current version)."""
        if self.postgres:
            return self._probe_digests(table, org, key, keys, current=current)
        found: dict[tuple[Any, ...], str] = {}
        wanted = set(keys)
        names = ", ".join(f'"{n}"' for n in key.names)
        first = key.names[1]
        closed = "IS NULL" if current else "IS NOT NULL"
        values = sorted({k[1] for k in keys})
        for start in range(0, len(values), LOOKUP_CHUNK):
            part = values[start : start + LOOKUP_CHUNK]
            sql = (
                f'SELECT {names}, digest FROM "{table.name}" WHERE org = ? '
                f'AND "{first}" IN ({self._marks(len(part))}) AND valid_to {closed}'
            )
            for row in self.conn.exec_driver_sql(sql, (org, *part)):
                stored = tuple(row[:-1])
                if stored in wanted:
                    found[stored] = row[-1]
        return found

    def _probe_digests(
        self,
        table: Table,
        org: str,
        key: Columns,
        keys: Sequence[tuple[Any, ...]],
        *,
        current: bool,
    ) -> dict[tuple[Any, ...], str]:
        """`current_digests` on PostgreSQL: one probe of the key's index per key.

        The keys are passed as arrays and each is looked up by the whole key in a LATERAL
        subquery that OFFSET 0 keeps from being flattened. Left to itself the planner
        joins the other way round or scans on `org` alone whenever it believes the table
        small, which it does for rows this transaction inserted (no statistics yet): a
        batch's lookup then read every row imported so far, and a long import slowed
        down quadratically (2 s per lookup at 100k rows, against 2 ms).
        """
        found: dict[tuple[Any, ...], str] = {}
        named = key.names[1:]
        types = [table.c[n].type.compile(dialect=self.conn.dialect) for n in named]
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        match = " AND ".join(f'v."{n}" = k."{n}"' for n in named)
        listed = ", ".join(f'k."{n}"' for n in named)
        closed = "IS NULL" if current else "IS NOT NULL"
        sql = (
            f"SELECT {listed}, v.digest FROM unnest({arrays}) AS k({', '.join(named)}) "
            f'CROSS JOIN LATERAL (SELECT digest FROM "{table.name}" AS v '
            f"WHERE v.org = %s AND {match} AND v.valid_to {closed} OFFSET 0) AS v"
        )
        for start in range(0, len(keys), LOOKUP_CHUNK):
            part = keys[start : start + LOOKUP_CHUNK]
            columns = [list(values) for values in zip(*(k[1:] for k in part), strict=True)]
            for row in self.conn.exec_driver_sql(sql, (*columns, org)):
                found[(org, *row[:-1])] = row[-1]
        return found

    def close(
        self, table: Table, key: Columns, keys: Sequence[tuple[Any, ...]], revision: int
    ) -> None:
        """Close the current versions of `keys` (bound values) at `revision`."""
        if not keys:
            return
        match = " AND ".join(f'"{n}" = {self._marks(1)}' for n in key.names)
        sql = (
            f'UPDATE "{table.name}" SET valid_to = {self._marks(1)} '
            f"WHERE {match} AND valid_to IS NULL"
        )
        self.conn.exec_driver_sql(sql, [(revision, *k) for k in keys])

    def insert(self, table: Table, columns: Columns, rows: list[tuple[Any, ...]]) -> None:
        """Insert rows (bound values in `columns`' order) into `table`."""
        if not rows:
            return
        names = ", ".join(f'"{n}"' for n in columns.names)
        if not self.postgres:
            sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({self._marks(len(columns.names))})'
            self.conn.exec_driver_sql(sql, rows)
            return
        way = self._insert_ways.get(table.name) or self._insert_way(table)
        if way == "copy" and self._behind is not None:
            self._behind.submit(self._copy, f'"{table.name}" ({names})', rows)
        elif way == "copy":
            self._copy(f'"{table.name}" ({names})', rows)
        elif way == "staged":
            stage = f"peerreport_stage_{table.name}"
            self.conn.exec_driver_sql(
                f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" (LIKE "{table.name}") ON COMMIT DROP'
            )
            self._copy(f'"{stage}" ({names})', rows)
            self.conn.exec_driver_sql(
                f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{stage}"'
            )
            self.conn.exec_driver_sql(f'TRUNCATE "{stage}"')
        else:
            sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({self._marks(len(columns.names))})'
            self.conn.exec_driver_sql(sql, rows)

    def _insert_way(self, table: Table) -> str:
        """How this role inserts into `table` on PostgreSQL: COPY straight in ("copy"), or
        under row-level security (which COPY FROM refuses) through a temporary staging
        table ("staged"), or, when it may not make one, by executemany ("rows")."""
        secured, may_stage = self.conn.exec_driver_sql(
            "SELECT row_security_active(%s::regclass), "
            "has_database_privilege(current_database(), 'TEMPORARY')",
            (f'"{table.name}"',),
        ).one()
        way = "copy" if not secured else "staged" if may_stage else "rows"
        self._insert_ways[table.name] = way
        return way

    def _copy(self, target: str, rows: list[tuple[Any, ...]]) -> None:
        """COPY rows in on the driver's connection. Its errors are raised as SQLAlchemy's
        (IntegrityError, DataError, ...), as every other statement's are, so callers that
        catch those (a unique key, a NUL in text) see the same exceptions on every way in."""
        driver = self.conn.connection.driver_connection
        assert driver is not None
        statement = f"COPY {target} FROM STDIN"
        dbapi_error = self.conn.dialect.loaded_dbapi.Error
        try:
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except dbapi_error as exc:
            raise DBAPIError.instance(statement, None, exc, dbapi_error) from exc


class CopyBehind:
    """COPYs that run on a thread while the caller reads its next batch.

    A COPY's last step waits for the server to store every row (indexes, the foreign
    key): a third of a million-row import into PostgreSQL was that wait, with the
    client idle. Here a thread runs the COPYs, in the order given, up to `DEPTH` of
    them queued (a batch of activities is two: the activities and their member
    tokens), and any other use of the connection first waits for all of them to end:
    SQLAlchemy's `before_cursor_execute`, `commit` and `rollback` events on the
    connection. A failed COPY's error is raised there (before the next statement or
    the commit, or by the next COPY given), so the transaction still ends in a
    rollback and leaves nothing behind.
    """

    #: COPYs given and not yet ended, at most.
    DEPTH = 4

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="peerreport-copy")
        self._pending: deque[Future[None]] = deque()
        event.listen(conn, "before_cursor_execute", self._before)
        event.listen(conn, "commit", self._before)
        event.listen(conn, "rollback", self._quiet)

    def submit(self, copy: Callable[..., None], *args: Any) -> None:
        """Queue a COPY (after waiting for the oldest while `DEPTH` are queued)."""
        self._settle(self.DEPTH - 1)
        context = contextvars.copy_context()
        self._pending.append(self._pool.submit(context.run, copy, *args))

    def wait(self) -> None:
        """Wait for every COPY queued, raising the first one's error."""
        self._settle(0)

    def _settle(self, keep: int) -> None:
        """Wait for the oldest COPYs until at most `keep` are queued, and take those that
        have ended; the first error is raised once every COPY has ended (the later ones
        fail too: the transaction is aborted)."""
        pending = self._pending
        try:
            while pending and (len(pending) > keep or pending[0].done()):
                pending[0].result()
                pending.popleft()
        except BaseException:
            while pending:
                with contextlib.suppress(BaseException):
                    pending.popleft().result()
            raise

    def close(self) -> None:
        """Wait for the COPY running (raising its error: a COPY that failed must not be
        followed by a commit), then stop the thread and the connection's waits."""
        try:
            self.wait()
        finally:
            event.remove(self.conn, "before_cursor_execute", self._before)
            event.remove(self.conn, "commit", self._before)
            event.remove(self.conn, "rollback", self._quiet)
            self._pool.shutdown(wait=True)

    def _before(self, *_: Any) -> None:
        self.wait()

    def _quiet(self, *_: Any) -> None:
        """Before a rollback: let the COPY end (its error, if any, is why we roll back)."""
        with contextlib.suppress(Exception):
            self.wait()
