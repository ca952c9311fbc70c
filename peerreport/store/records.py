"""Writing records to the database: versions by natural key, in batches.

Each stored version carries a digest of its content. Re-importing a record
whose digest is unchanged does nothing; a changed digest adds a new version and
closes the current one (nothing is overwritten: see store/schema.py). All
writes of one import happen inside the caller's transaction, so an import that
fails leaves the database exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    insert,
    select,
    text,
)

from peerreport.records.models import RECORD_TYPES, Activity, Record
from peerreport.store import chain, row_security
from peerreport.store.bulk import Columns, Statements
from peerreport.store.digests import ADDED_COLUMNS as ADDED_COLUMNS
from peerreport.store.digests import KEY_BLANKS as KEY_BLANKS
from peerreport.store.digests import content_digest as content_digest
from peerreport.store.digests import content_digests, content_digests_of_columns
from peerreport.store.revisions import RevisionMaker
from peerreport.store.schema import (
    RECORD_TABLES,
    activity,
    member_token,
    organisation,
    record_revision,
)


@dataclass
class ImportCounts:
    """What an import did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def __iadd__(self, other: ImportCounts) -> ImportCounts:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += other.rejected
        return self

    def __str__(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.rejected} rejected"
        )


def prepare_period_reads(conn: Connection) -> None:
    """Plan a build's reads of a period's records without PostgreSQL's JIT compilation.

    A statement whose estimated cost passes `jit_above_cost` (100,000 by default) is
    first compiled with LLVM, in the leader and in each parallel worker. For a
    build's statements that took 70 to 150 ms each (measured with JIT forced on a
    quarter of a million activities), more than the compiled code saves on one pass
    over the period. The planner's estimates grow with the period's rows: at the
    default settings a quarter over 1M records stays below the threshold (its
    statements cost about 60,000), a quarter over 5M passes it. Off for this
    transaction only (`SET LOCAL`, which any role may: the hosted server's walled
    role too); nothing else changes.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL jit = off"))


#: May this connection ANALYZE the record tables itself, or ask the owner's function to?
_STATISTICS_RIGHTS = text(
    "SELECT pg_has_role(c.relowner, 'MEMBER') AS owns, "
    "coalesce(has_function_privilege(to_regprocedure(:function), 'EXECUTE'), false) AS may_ask "
    "FROM pg_class AS c WHERE c.oid = 'activity'::regclass"
)


def refresh_statistics(engine: Engine) -> None:
    """After an import, let PostgreSQL's planner see the record tables' real sizes.

    Tables made or filled moments ago have no statistics until autovacuum gets to
    them, and the planner then treats a table of thousands of rows as nearly
    empty: a return built right after an import took ten times as long. ANALYZE
    samples each table (a fixed number of rows, however large it is). Only the
    tables' owner may: a hosted server's requests run as the walled web role,
    which asks the owner's function to (`store.row_security`; without it a
    return built after a new organisation's first import took ten times as long
    there too).
    """
    if engine.dialect.name != "postgresql":
        return
    function = f"{row_security.ANALYZE_FUNCTION}()"
    with engine.begin() as conn:
        rights = conn.execute(_STATISTICS_RIGHTS, {"function": function}).one()
        if rights.owns:
            conn.execute(text(f"ANALYZE {', '.join(row_security.ANALYZED)}"))
        elif rights.may_ask:
            conn.execute(text(f"SELECT {function}"))


def ensure_organisation(conn: Connection, org: str, name: str) -> None:
    """Create the organisation row if it does not exist yet, safely under concurrency.

    Two first imports started at once both see no row; a plain INSERT then fails in
    all but one. The dialects' "insert unless it exists" makes the losers wait for
    the winner's row (PostgreSQL) or the file lock (SQLite) and then do nothing.
    """
    found = conn.execute(select(organisation.c.org).where(organisation.c.org == org)).first()
    if found is not None:
        return
    values = {"org": org, "name": name, "created_at": dt.datetime.now(dt.UTC)}
    dialect = conn.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(organisation).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(organisation).values(**values).on_conflict_do_nothing())
    else:  # pragma: no cover - peerreport supports SQLite and PostgreSQL
        conn.execute(insert(organisation).values(**values))


def hash_token(secret: bytes, token: str) -> str:
    """The keyed hash a member token is stored as (HMAC-SHA256)."""
    # hmac.digest: the same HMAC as hmac.new(...).hexdigest(), in one call to OpenSSL.
    return hmac.digest(secret, token.strip().encode("utf-8"), "sha256").hex()


def hashed_tokens(secret: bytes, member_tokens: Sequence[str] | None) -> list[str]:
    """An activity's member tokens as stored: keyed hashes, sorted, no repeats."""
    if not member_tokens:
        return []
    return sorted({hash_token(secret, t) for t in member_tokens})


class TokenHasher:
    """`hashed_tokens` with the secret given once, remembering each token's hash.

    A peer group's members come week after week: a million activities hold a few hundred
    thousand tokens of a few thousand members, and an HMAC costs a couple of
    microseconds. The hashes of up to `REMEMBERED` tokens are kept (then it starts
    again); a hasher lives as long as one import (one `RecordWriter`, or the reading
    process's), so no token outlives it in memory.
    """

    REMEMBERED = 65_536

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._known: dict[str, str] = {}

    def hashed(self, member_tokens: Sequence[str] | None) -> list[str]:
        """The tokens as stored: keyed hashes, sorted, no repeats (`hashed_tokens`)."""
        if not member_tokens:
            return []
        known = self._known
        if len(known) > self.REMEMBERED:
            known.clear()
        found = set()
        for token in member_tokens:
            hashed = known.get(token)
            if hashed is None:
                hashed = known[token] = hash_token(self._secret, token)
            found.add(hashed)
        return sorted(found)


def record_values(org: str, record: Record) -> dict[str, Any]:
    """The column values of a record's row (without its digest)."""
    values: dict[str, Any] = {"org": org}
    values.update(record.model_dump(exclude={"member_tokens"}))
    if "programme" in values and values["programme"] is None and not isinstance(record, Activity):
        values["programme"] = ""  # part of the natural key, so never NULL
    for name in KEY_BLANKS:
        if name in values and values[name] is None:
            values[name] = ""  # part of the natural key, so never NULL
    return values


@dataclass(frozen=True)
class Source:
    """Where a record version came from: the import's file (import_run id), sheet and row."""

    import_id: int | None = None
    sheet: str | None = None
    row: int | None = None


class RecordWriter:
    """Writes versions of one organisation's records, a batch at a time, on one connection.

    A record that is new gets its first version; one whose content changed
    gets a new version and its current one is closed; an unchanged one is
    left alone. Versions carry the revision that brought them in, given by
    `revision` (called only when something is written, so an import that
    changes nothing makes no revision).

    With `keys_once` (the caller writes each record at most once), a table that
    held no version of the organisation's records when the writer took the
    organisation's write lock is written without looking up stored digests
    (`_none_stored`): an organisation's first import skips every lookup.
    """

    def __init__(
        self,
        conn: Connection,
        org: str,
        token_secret: bytes | None,
        revision: RevisionMaker | None = None,
        *,
        keys_once: bool = False,
    ) -> None:
        self.conn = conn
        self.org = org
        self.token_secret = token_secret
        self._hasher = TokenHasher(token_secret) if token_secret is not None else None
        self.revision = revision or RevisionMaker(conn, org, "import")
        self.counts = ImportCounts()
        self.withdrawn: list[str] = []  # keys of withdrawn records the input holds again
        self.statements = Statements(conn)
        self._keys: dict[str, Columns] = {}
        self._all_columns: dict[str, Columns] = {}
        #: The caller never writes one record (natural key) twice (an import refuses a
        #: repeated row): then a table that held nothing of the organisation's when its write
        #: lock was taken can hold none of the keys written, and they are not looked up.
        self.keys_once = keys_once
        self._unstored: dict[str, bool] = {}

    def finish(self, imports: Sequence[dict[str, Any]] = ()) -> int | None:
        """Record the revision made (if any) in the ledger's hash chain, and return it."""
        number = self.revision.number
        if number is None:
            return None
        row = self.conn.execute(
            select(record_revision).where(
                record_revision.c.org == self.org, record_revision.c.revision == number
            )
        ).one()
        payload = chain.revision_payload(row, list(imports), self.revision.tally.to_dict())
        chain.append(self.conn, self.org, "revision", f"revision {number}", payload)
        return number

    def missing_activities(self, activity_ids: Iterable[str]) -> set[str]:
        """Which of these activity ids have no current version for this organisation."""
        wanted = sorted(set(activity_ids))
        key = self._key_columns("activities")
        found = self.statements.current_digests(
            activity, self.org, key, [(self.org, i) for i in wanted], current=True
        )
        return set(wanted) - {k[1] for k in found}

    def write(
        self, record_type: str, records: Sequence[Record], sources: Sequence[Source] = ()
    ) -> None:
        """Add new records, add a version of changed ones, count unchanged ones."""
        if not records:
            return
        rows = [record_values(self.org, record) for record in records]
        tokens = [self._hashed_tokens(record) for record in records]
        self.write_values(record_type, rows, tokens, sources)

    def write_values(
        self,
        record_type: str,
        rows: list[dict[str, Any]],
        tokens: Sequence[list[str]],
        sources: Sequence[Source] = (),
        digests: list[str] | None = None,
    ) -> None:
        """`write`, for records already turned into their column values.

        `rows[i]` is what `record_values(org, record)` gives for the i-th record (the
        dicts are completed in place with digest, source and version columns), and
        `tokens[i]` its member tokens, hashed and sorted (`hash_tokens`); `digests[i]`, when
        given, its digest (`content_digests` of the rows, worked out already). Intake that
        validates a batch of rows without building models writes through this.
        """
        if not rows:
            return
        table = RECORD_TABLES[record_type]
        key = self._key_columns(record_type)
        if digests is None:
            digests = content_digests(rows, tokens)
        for values, digest in zip(rows, digests, strict=True):
            values["digest"] = digest
        for index, values in enumerate(rows):
            source = sources[index] if index < len(sources) else Source()
            values["source_import"] = source.import_id
            values["source_sheet"] = source.sheet
            values["source_row"] = source.row
        unstored = self._none_stored(record_type)
        if unstored:
            keys: list[tuple[Any, ...]] = []  # every row is new: nothing to look up
            existing: dict[tuple[Any, ...], str] = {}
            new, changed = list(range(len(rows))), []
        else:
            keys = key.tuples(rows)  # as bound: what the database gives back
            existing = self.statements.current_digests(table, self.org, key, keys, current=True)
            new = [i for i, k in enumerate(keys) if k not in existing]
            changed = [
                i for i, k in enumerate(keys) if k in existing and existing[k] != rows[i]["digest"]
            ]
        if new and not unstored:  # withdrawn records of these keys
            withdrawn = self.statements.current_digests(
                table, self.org, key, [keys[i] for i in new], current=False
            )
            if withdrawn:
                named = key.names[1:]
                self.withdrawn += [
                    " / ".join(str(rows[i][n]) for n in named) for i in new if keys[i] in withdrawn
                ]
                new = [i for i in new if keys[i] not in withdrawn]
        if new or changed:
            revision = self.revision()
            tally = self.revision.tally
            named = key.names[1:]
            if changed:
                self.statements.close(table, key, [keys[i] for i in changed], revision)
                for i in changed:
                    tally.close(table.name, tuple(rows[i][n] for n in named), existing[keys[i]])
            written = [*new, *changed]
            for i in written:
                rows[i]["valid_from"] = revision
                rows[i]["valid_to"] = None
            added = _natural_keys(rows, written, named)
            digests = [rows[i]["digest"] for i in written]
            tally.add_many(table.name, zip(added, digests, strict=True))
            columns = self._columns(record_type)
            self.statements.insert(table, columns, columns.tuples(rows[i] for i in written))
            if record_type == "activities":
                self._write_tokens(
                    [rows[i]["activity_id"] for i in written],
                    [tokens[i] for i in written],
                    revision,
                )
        self.counts.added += len(new)
        self.counts.updated += len(changed)
        self.counts.unchanged += len(rows) - len(new) - len(changed)

    def write_columns(
        self,
        record_type: str,
        columns: dict[str, list[Any]],
        tokens: Sequence[list[str]],
        source: Source,
        rows: list[int],
        digests: list[str] | None = None,
    ) -> None:
        """`write_values` for records given a column at a time: `columns[name]` holds every
        record's value of field `name` (what `record_values` gives, `org` left out), the
        i-th record came from row `rows[i]` of `source`'s sheet, and `tokens[i]` are its
        member tokens, hashed and sorted. `digests`, when given, are the records' digests
        (`content_digests_of_columns` of the columns with `org`), worked out already.

        An organisation's first import of a table (`_none_stored`) is written without a dict
        a row: digests, tally and bound tuples are made from the columns. Otherwise the
        records may exist already, and the rows go through `write_values`.
        """
        count = len(rows)
        if not count:
            return
        columns = dict(columns)
        columns["org"] = [self.org] * count
        if not self._none_stored(record_type):
            names = list(columns)
            values = [
                dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)
            ]
            sources = [Source(source.import_id, source.sheet, row) for row in rows]
            self.write_values(record_type, values, tokens, sources, digests)
            return
        table = RECORD_TABLES[record_type]
        if digests is None:
            digests = content_digests_of_columns(columns, tokens)
        revision = self.revision()
        named = self._key_columns(record_type).names[1:]
        self.revision.tally.add_columns(table.name, [columns[n] for n in named], digests)
        columns["digest"] = digests
        columns["valid_from"] = [revision] * count
        columns["source_import"] = [source.import_id] * count
        columns["source_sheet"] = [source.sheet] * count
        columns["source_row"] = rows
        table_columns = self._columns(record_type)
        self.statements.insert(
            table, table_columns, table_columns.tuples_of_columns(columns, count)
        )
        if record_type == "activities":
            self._write_tokens(columns["activity_id"], tokens, revision)
        self.counts.added += count

    def _none_stored(self, record_type: str) -> bool:
        """With `keys_once`: did the organisation have no version at all (current or closed)
        in the record type's table when this writer first wrote to it, under the
        organisation's write lock?

        Decided once per table, inside the caller's transaction, and only while holding the
        lock every writer of records takes before it writes (`RevisionMaker.lock`): on
        PostgreSQL the advisory lock, taken here first, and under READ COMMITTED the check
        then sees every import committed before it (another isolation level keeps its
        older snapshot, so the keys are looked up); on SQLite the database's one writer,
        which this transaction is once it has written (the import's log row), so a
        connection not yet in a transaction looks the keys up. No other writer can add a
        row for the organisation until this transaction ends, and this writer writes
        each key once: so none of its keys can have a stored version.
        """
        if not self.keys_once:
            return False
        found = self._unstored.get(record_type)
        if found is None:
            found = self._unstored[record_type] = self._table_unused(RECORD_TABLES[record_type])
        return found

    def _table_unused(self, table: Any) -> bool:
        if self.conn.dialect.name == "postgresql":
            self.revision.lock()
            level = self.conn.execute(text("SELECT current_setting('transaction_isolation')"))
            if level.scalar() != "read committed":
                return False
        elif not getattr(self.conn.connection.driver_connection, "in_transaction", False):
            return False  # not yet the writer: another connection could still add rows
        used = select(table.c.org).where(table.c.org == self.org).limit(1)
        return self.conn.execute(used).first() is None

    def _key_columns(self, record_type: str) -> Columns:
        """The natural key of a record type's table, `org` first."""
        found = self._keys.get(record_type)
        if found is None:
            natural_key = RECORD_TYPES[record_type].natural_key
            found = Columns.of(self.conn, RECORD_TABLES[record_type], ("org", *natural_key))
            self._keys[record_type] = found
        return found

    def _columns(self, record_type: str) -> Columns:
        """Every column of a record type's table (`member_token`'s for "tokens")."""
        found = self._all_columns.get(record_type)
        if found is None:
            table = member_token if record_type == "tokens" else RECORD_TABLES[record_type]
            found = Columns.of(self.conn, table, [c.name for c in table.c])
            self._all_columns[record_type] = found
        return found

    def _hashed_tokens(self, record: Record) -> list[str]:
        if not isinstance(record, Activity):
            return []
        return self.hash_tokens(record.member_tokens)

    def hash_tokens(self, member_tokens: Sequence[str] | None) -> list[str]:
        """An activity's member tokens as stored: keyed hashes, sorted, no repeats."""
        if not member_tokens:
            return []
        if self._hasher is None:
            raise ValueError("member tokens need the workspace's secret")
        return self._hasher.hashed(member_tokens)

    def _write_tokens(
        self, activity_ids: Sequence[str], tokens: Sequence[list[str]], revision: int
    ) -> None:
        """The member tokens (hashed) of the activity versions written, `tokens[i]` those of
        `activity_ids[i]`."""
        token_rows = [
            (self.org, activity_id, revision, h)
            for activity_id, hashed in zip(activity_ids, tokens, strict=False)
            for h in hashed
        ]
        if token_rows:
            columns = self._columns("tokens")
            assert columns.names == ("org", "activity_id", "valid_from", "token_hash")
            self.statements.insert(member_token, columns, token_rows)


def _natural_keys(
    rows: list[dict[str, Any]], indexes: list[int], names: Sequence[str]
) -> list[tuple[Any, ...]]:
    """The natural keys (without `org`) of `rows[i]` for i in `indexes`, as tuples."""
    by_key = itemgetter(*names)
    keys = [by_key(rows[i]) for i in indexes]
    return keys if len(names) > 1 else [(k,) for k in keys]


def save_records(
    conn: Connection, org: str, records: Iterable[Record], token_secret: bytes | None = None
) -> ImportCounts:
    """Upsert records (any mix of types, breakdowns after their activities) in batches."""
    writer = RecordWriter(conn, org, token_secret)
    batch: dict[str, list[Record]] = {}
    for record in records:
        batch.setdefault(record.record_type, []).append(record)
        if sum(len(v) for v in batch.values()) >= 1000:
            _flush(writer, batch)
    _flush(writer, batch)
    writer.finish()
    return writer.counts


def _flush(writer: RecordWriter, batch: dict[str, list[Record]]) -> None:
    for record_type in ("activities", "breakdowns", "workforce", "feedback"):
        if batch.get(record_type):
            writer.write(record_type, batch[record_type])
    batch.clear()
