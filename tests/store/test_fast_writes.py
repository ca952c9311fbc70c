"""The fast write path stores exactly what the SQLAlchemy path it replaced stored.

`ReferenceWriter` keeps that path as it was (per-row `content_digest`, SQLAlchemy
inserts, updates and lookups), and `reference_digest` today's digest as it was
first written: the stored digests and the ledger's hash chain depend on both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, Table, and_, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from peerreport.records.models import (
    RECORD_TYPES,
    Activity,
    BreakdownCount,
    FeedbackTally,
    Record,
    WorkforceEntry,
)
from peerreport.store import bulk, digests
from peerreport.store.database import open_engine
from peerreport.store.digests import (
    ADDED_COLUMNS,
    KEY_BLANKS,
    content_digest,
    content_digests,
    content_digests_of_columns,
)
from peerreport.store.history import withdraw
from peerreport.store.records import RecordWriter, Source, ensure_organisation, record_values
from peerreport.store.schema import RECORD_TABLES, member_token
from tests.conftest import empty_database
from tests.migrated import migrate

SECRET = b"s" * 32
QUESTION = "I feel more hopeful"
ORG_DEPENDENT = ("org", "digest")  # what differs between organisations


def reference_digest(values: dict[str, Any], tokens: Sequence[str] = ()) -> str:
    """`content_digest` as it was written before the fast path (issue 16), with the natural
    key columns added later (KEY_BLANKS, issue 14) left out when empty."""

    def canonical(value: Any) -> str:
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        return str(value)

    def left_out(k: str, v: Any) -> bool:
        return (v is None and k in ADDED_COLUMNS) or (v in (None, "") and k in KEY_BLANKS)

    items = [(k, canonical(v)) for k, v in values.items() if not left_out(k, v)]
    text = json.dumps([sorted(items), sorted(tokens)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


# -- the digest ---------------------------------------------------------------------------

_TEXT = st.text(
    st.characters(codec="utf-8") | st.sampled_from('"\\\x00\x1e\x1f\n\t/{}%()ā€'), max_size=12
)
_VALUE = st.one_of(
    st.none(),
    st.just(""),
    _TEXT,
    st.integers(-(10**12), 10**12),
    st.booleans(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.times(),
)
#: Keys of every kind: record columns, the optional ADDED_COLUMNS, and awkward ones.
_KEYS = [
    "org",
    "activity_id",
    "date",
    "count",
    *sorted(ADDED_COLUMNS),
    *sorted(KEY_BLANKS),
    "a b",
    'q"k',
    "%s",
    "ā",
]
_TOKEN = st.text(st.sampled_from('0123456789abcdef"\\é'), min_size=1, max_size=8)


@st.composite
def _batches(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[list[str]]]:
    keys = draw(st.lists(st.sampled_from(_KEYS), min_size=1, unique=True))
    size = draw(st.integers(1, 6))
    rows = [{k: draw(_VALUE) for k in keys} for _ in range(size)]
    if draw(st.booleans()):  # now and then a row with other columns than the first
        rows.append({k: draw(_VALUE) for k in draw(st.lists(st.sampled_from(_KEYS), min_size=1))})
    tokens = [draw(st.lists(_TOKEN, max_size=3)) for _ in range(draw(st.integers(0, len(rows))))]
    return rows, tokens


@given(_batches())
@settings(max_examples=400, deadline=None)
def test_batch_digests_are_todays_digests_byte_for_byte(
    batch: tuple[list[dict[str, Any]], list[list[str]]],
) -> None:
    rows, tokens = batch
    expected = [
        reference_digest(row, tokens[i] if i < len(tokens) else ()) for i, row in enumerate(rows)
    ]
    assert content_digests(rows, tokens) == expected
    assert [
        content_digest(row, tokens[i] if i < len(tokens) else ()) for i, row in enumerate(rows)
    ] == expected


def test_a_records_digest_is_unchanged_by_the_fast_path() -> None:
    """Pinned: a digest as stored before issue 16 (the ledger's chain holds such digests)."""
    values = {
        "org": "ORG1",
        "activity_id": "G-1",
        "date": dt.date(2026, 3, 2),
        "start_time": dt.time(18, 30),
        "topic": 'Sleep "and" wellbeing \\ ā',
        "attendance": 9,
        "member_led": True,
        "purchase_unit": None,
        "notes": None,
    }
    digest = reference_digest(values, ["ab" * 32])
    assert content_digests([values], [["ab" * 32]]) == [digest]
    assert content_digests([dict(values, topic="plain")]) == [
        reference_digest(dict(values, topic="plain"))
    ]


def test_a_breakdown_by_one_dimension_keeps_the_digest_it_had_before_cross_tabs() -> None:
    """Pinned: a breakdown's digest as stored before migration 0010 added dimension2 and
    category2 (stored digests, filed returns' records digests and signed bundles hold it)."""
    before = "82f1bf98bbae09dcaee75ad063c0093f"
    stored = {
        "org": "ORG1",
        "activity_id": "G-1",
        "dimension": "ethnicity",
        "category": "maori",
        "count": 4,
    }
    now = {**stored, "dimension2": "", "category2": ""}
    assert content_digest(stored) == before
    assert content_digest(now) == before
    assert content_digests([now, now]) == [before, before]
    record = BreakdownCount(activity_id="G-1", dimension="ethnicity", category="maori", count=4)
    assert content_digests([record_values("ORG1", record)]) == [before]
    crossed = {**now, "dimension2": "age_band", "category2": "25_44"}
    assert content_digest(crossed) != before
    assert content_digests([now, crossed]) == [before, content_digest(crossed)]


# -- the stored rows ---------------------------------------------------------------------


class ReferenceWriter(RecordWriter):
    """`RecordWriter.write_values` as it was before the fast path: SQLAlchemy per row."""

    def write_values(
        self,
        record_type: str,
        rows: list[dict[str, Any]],
        tokens: Sequence[list[str]],
        sources: Sequence[Source] = (),
    ) -> None:
        if not rows:
            return
        table = RECORD_TABLES[record_type]
        natural_key = RECORD_TYPES[record_type].natural_key
        key_columns = [table.c[name] for name in ("org", *natural_key)]
        for index, values in enumerate(rows):
            values["digest"] = reference_digest(values, tokens[index])
            source = sources[index] if index < len(sources) else Source()
            values["source_import"] = source.import_id
            values["source_sheet"] = source.sheet
            values["source_row"] = source.row
        keys = [tuple(row[c.name] for c in key_columns) for row in rows]
        existing = self._old_digests(table, key_columns, keys, current=True)
        new = [i for i, k in enumerate(keys) if k not in existing]
        changed = [
            i for i, k in enumerate(keys) if k in existing and existing[k] != rows[i]["digest"]
        ]
        if new:
            withdrawn = self._old_digests(table, key_columns, [keys[i] for i in new], current=False)
            if withdrawn:
                self.withdrawn += [
                    " / ".join(map(str, keys[i][1:])) for i in new if keys[i] in withdrawn
                ]
                new = [i for i in new if keys[i] not in withdrawn]
        if new or changed:
            revision = self.revision()
            if changed:
                statement = (
                    update(table)
                    .where(and_(*[c == bindparam(f"k_{c.name}") for c in key_columns]))
                    .where(table.c.valid_to.is_(None))
                    .values(valid_to=revision)
                )
                self.conn.execute(
                    statement,
                    [
                        {f"k_{c.name}": keys[i][j] for j, c in enumerate(key_columns)}
                        for i in changed
                    ],
                )
                for i in changed:
                    self.revision.tally.close(table.name, keys[i][1:], existing[keys[i]])
            for i in (*new, *changed):
                rows[i]["valid_from"] = revision
                rows[i]["valid_to"] = None
                self.revision.tally.add(table.name, keys[i][1:], rows[i]["digest"])
            self.conn.execute(insert(table), [rows[i] for i in (*new, *changed)])
            token_rows = [
                {"org": self.org, "activity_id": rows[i]["activity_id"], "valid_from": revision}
                | {"token_hash": h}
                for i in (*new, *changed)
                for h in tokens[i]
            ]
            if record_type == "activities" and token_rows:
                self.conn.execute(insert(member_token), token_rows)
        self.counts.added += len(new)
        self.counts.updated += len(changed)
        self.counts.unchanged += len(rows) - len(new) - len(changed)

    def _old_digests(
        self, table: Table, key_columns: list[Any], keys: list[tuple[Any, ...]], *, current: bool
    ) -> dict[tuple[Any, ...], str]:
        wanted = set(keys)
        query = select(*key_columns, table.c.digest).where(
            table.c.org == self.org, key_columns[1].in_(sorted({k[1] for k in keys}))
        )
        closed = table.c.valid_to.is_(None) if current else table.c.valid_to.is_not(None)
        found: dict[tuple[Any, ...], str] = {}
        for row in self.conn.execute(query.where(closed)):
            key = tuple(v.date() if isinstance(v, dt.datetime) else v for v in row[:-1])
            if key in wanted:
                found[key] = row[-1]
        return found


def _activity(ident: str, **changes: Any) -> Activity:
    values: dict[str, Any] = {
        "activity_id": ident,
        "date": dt.date(2026, 3, 2),
        "start_time": dt.time(18, 30),
        "duration_minutes": 90,
        "kind": "group",
        "programme": "Peer groups",
        "topic": 'Planning for "hard" days \\ ā',
        "attendance": 9,
        "member_led": True,
        "co_facilitated": False,
        "community_session": False,
        "member_tokens": [],
    }
    values.update(changes)
    return Activity(**values)


def _first_import() -> list[Record]:
    return [
        _activity("G-1", member_tokens=["m1", "m2"]),
        _activity("G-2", topic=None, start_time=None, purchase_unit="MHC36F"),
        _activity("G-3"),
        _activity("G-4", member_tokens=["m3"], resources_given=2),
        BreakdownCount(activity_id="G-1", dimension="ethnicity", category="maori", count=3),
        BreakdownCount(activity_id="G-2", dimension="ethnicity", category="pacific", count=1),
        WorkforceEntry(
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 3, 31),
            role="peer_support_worker",
            paid_fte=Decimal("2.50"),
            volunteer_hours=Decimal("10"),
            supervision_hours=Decimal("4.25"),
            training_hours=Decimal("0"),
        ),
        FeedbackTally(
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 3, 31),
            question=QUESTION,
            response="4",
            count=12,
        ),
    ]


def _second_import() -> list[Record]:
    first = _first_import()
    return [
        first[0],  # unchanged
        _activity("G-2", topic=None, start_time=None, attendance=11),  # changed
        first[2],  # withdrawn in between: not imported again
        _activity("G-4", member_tokens=["m3", "m4"], resources_given=2),  # tokens changed
        _activity("G-5", member_tokens=["m1"], notes="A new one"),  # new
        BreakdownCount(activity_id="G-1", dimension="ethnicity", category="maori", count=4),
        first[5],
        BreakdownCount(activity_id="G-5", dimension="ethnicity", category="asian", count=1),
        first[6].model_copy(update={"paid_fte": Decimal("2.5")}),  # the same number: unchanged
        first[7].model_copy(update={"count": 13}),
    ]


def _import(
    engine: Engine, writer_type: type[RecordWriter], org: str, records: list[Record]
) -> tuple[Any, list[str], dict[str, Any]]:
    with engine.begin() as conn:
        ensure_organisation(conn, org, org)
        writer = writer_type(conn, org, SECRET)
        for record_type in ("activities", "breakdowns", "workforce", "feedback"):
            batch = [r for r in records if r.record_type == record_type]
            sources = [Source(None, "Sheet", row) for row in range(2, len(batch) + 2)]
            writer.write(record_type, batch, sources)
        writer.finish()
        return writer.counts, writer.withdrawn, writer.revision.tally.to_dict()


def _stored(conn: Connection, org: str) -> dict[str, list[tuple[Any, ...]]]:
    stored = {}
    for table in [*RECORD_TABLES.values(), member_token]:
        rows = conn.execute(select(table).where(table.c.org == org)).all()
        stored[table.name] = sorted(map(tuple, rows), key=repr)
    return stored


def _history(engine: Engine, writer_type: type[RecordWriter]) -> tuple[Any, ...]:
    """Two imports with a withdrawal between them, and what each import said."""
    first = _import(engine, writer_type, "ORG", _first_import())
    withdraw(engine, "ORG", "G-3", "entered twice")
    second = _import(engine, writer_type, "ORG", _second_import())
    return first, second


def test_the_fast_path_stores_exactly_the_rows_the_sqlalchemy_path_stored(
    engine: Engine, backend: str, tmp_path: Path
) -> None:
    fast_outcome = _history(engine, RecordWriter)
    (tmp_path / "reference").mkdir()
    with empty_database(backend, tmp_path / "reference") as url:
        migrate(url)
        reference = open_engine(url)
        try:
            slow_outcome = _history(reference, ReferenceWriter)
            with reference.connect() as conn:
                slow = _stored(conn, "ORG")
        finally:
            reference.dispose()
    assert fast_outcome == slow_outcome  # counts, withdrawn keys, the revisions' tallies
    (counts, withdrawn, tally) = fast_outcome[1]
    assert (counts.added, counts.updated, counts.unchanged) == (2, 4, 4)  # G-3 counts unchanged
    assert withdrawn == ["G-3"]
    assert tally["added"][0] == 6 and tally["closed"][0] == 4
    with engine.connect() as conn:
        fast = _stored(conn, "ORG")
    assert fast == slow  # every column of every row of every record table
    assert len(fast["activity"]) == 7 and len(fast["member_token"]) == 6
    assert sum(1 for row in fast["activity"] if row[-4] is not None) == 3  # closed versions


def test_a_failed_batch_leaves_nothing_behind(engine: Engine) -> None:
    """All or nothing: a batch that fails mid-write rolls back with the import."""
    with pytest.raises(Exception), engine.begin() as conn:  # noqa: B017
        ensure_organisation(conn, "FAIL", "FAIL")
        writer = RecordWriter(conn, "FAIL", SECRET)
        writer.write("activities", [_activity("G-1")])
        rows = [{"org": "FAIL", "activity_id": None, "date": dt.date(2026, 1, 1)}]  # NOT NULL
        writer.write_values("activities", rows, [[]])
    with engine.connect() as conn:
        assert _stored(conn, "FAIL") == {name: [] for name in _stored(conn, "FAIL")}


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite has one way
def test_the_walled_ways_of_inserting_store_the_same_rows(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL, the staging table (under row-level security) and executemany (when
    the role may not make temporary tables) store what COPY stores."""
    stored = {}
    for way in ("copy", "staged", "rows"):
        monkeypatch.setattr(bulk.Statements, "_insert_way", lambda self, table, w=way: w)
        _import(engine, RecordWriter, way.upper(), _first_import())
        with engine.connect() as conn:
            stored[way] = _stored(conn, way.upper())
    assert stored["copy"]["activity"]
    # One organisation per way: the rows match but for `org` and the digest (which hashes it).
    tables = {t.name: t for t in [*RECORD_TABLES.values(), member_token]}
    kept = {
        way: {
            name: [
                tuple(
                    v
                    for c, v in zip(tables[name].c, row, strict=True)
                    if c.name not in ORG_DEPENDENT
                )
                for row in rows
            ]
            for name, rows in by_table.items()
        }
        for way, by_table in stored.items()
    }
    assert kept["copy"] == kept["staged"] == kept["rows"]


@pytest.mark.parametrize(
    ("backend", "way"),
    [("sqlite", "rows"), ("postgresql", "copy"), ("postgresql", "staged"), ("postgresql", "rows")],
    indirect=["backend"],
)
def test_a_refused_insert_raises_sqlalchemys_error_on_every_way(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    """COPY runs on the driver's cursor, yet a refused row raises SQLAlchemy's IntegrityError
    like every other statement: code that catches it (a unique key) sees the same exception
    whichever way the rows went in."""
    monkeypatch.setattr(bulk.Statements, "_insert_way", lambda self, table, w=way: w)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        ensure_organisation(conn, "DUP", "DUP")
        writer = RecordWriter(conn, "DUP", SECRET)
        writer.write("activities", [_activity("G-1")])
        # The lookup is blinded, so the writer takes G-1 for new and inserts it again.
        monkeypatch.setattr(bulk.Statements, "current_digests", lambda self, *a, **k: {})
        writer.write("activities", [_activity("G-1")])
    with engine.connect() as conn:
        assert _stored(conn, "DUP")["activity"] == []


def _column_batches(values: st.SearchStrategy[Any], most: int) -> st.SearchStrategy[Any]:
    """Columns of 1 to `most` rows of `values` under awkward keys, and some rows' tokens."""

    @st.composite
    def batches(draw: st.DrawFn) -> tuple[dict[str, list[Any]], list[list[str]]]:
        keys = draw(st.lists(st.sampled_from(_KEYS), min_size=1, unique=True))
        size = draw(st.integers(1, most))
        columns = {k: [draw(values) for _ in range(size)] for k in keys}
        tokens = [draw(st.lists(_TOKEN, max_size=3)) for _ in range(draw(st.integers(0, size)))]
        return columns, tokens

    return batches()


def _assert_todays_digests(batch: tuple[dict[str, list[Any]], list[list[str]]]) -> None:
    columns, tokens = batch
    size = len(next(iter(columns.values())))
    rows = [{k: column[i] for k, column in columns.items()} for i in range(size)]
    expected = [
        reference_digest(row, tokens[i] if i < len(tokens) else ()) for i, row in enumerate(rows)
    ]
    assert content_digests_of_columns(columns, tokens) == expected


@given(_column_batches(_VALUE, 6))
@settings(max_examples=400, deadline=None)
def test_digests_of_columns_are_todays_digests_byte_for_byte(
    batch: tuple[dict[str, list[Any]], list[list[str]]],
) -> None:
    """The columnar intake's digests (no dict a row) against the reference, on awkward
    keys, every value type, quotes and control characters, optional columns left out."""
    _assert_todays_digests(batch)


#: Only the values a template spells itself (a batch holding any other goes to the fallback).
_PLAIN_VALUE = st.one_of(
    st.none(), st.just(""), _TEXT, st.integers(-(10**6), 10**6), st.booleans(), st.dates()
)


@given(_column_batches(_PLAIN_VALUE, 12))
@settings(max_examples=400, deadline=None)
def test_one_template_makes_the_texts_a_template_per_set_of_left_out_columns_makes(
    batch: tuple[dict[str, list[Any]], list[list[str]]],
) -> None:
    """The two ways of making a batch's texts give the same bytes, and leave the same rows
    to `content_digest` (b""); the one-template way declines only a batch whose first key
    is optional, which the other then makes."""
    columns, _ = batch
    keys = sorted(columns)
    assume(all(k.isidentifier() for k in keys))  # as content_digests_of_columns asks
    listed = [columns[k] for k in keys]
    kinds = [set(map(type, column)) for column in listed]
    by_one = digests._texts_of_columns(keys, listed, kinds)
    if keys[0] in ADDED_COLUMNS or keys[0] in KEY_BLANKS:
        assert by_one is None
    else:
        assert by_one == digests._templated_texts(keys, listed, len(listed[0]))


@given(_column_batches(_PLAIN_VALUE, 12))
@settings(max_examples=400, deadline=None)
def test_digests_of_plain_columns_are_todays_digests_byte_for_byte(
    batch: tuple[dict[str, list[Any]], list[list[str]]],
) -> None:
    """As above, on batches of plain values only (each row spelled by its template):
    quotes, backslashes and control characters in some rows and not others, optional
    columns left out in some rows."""
    _assert_todays_digests(batch)


def test_equal_values_spelled_otherwise_keep_their_own_spelling() -> None:
    """A column's spelling of a value stands for the values equal to it only where equal
    values are spelled alike: 12:00 UTC equals 13:00+01:00, and each keeps its own text."""
    utc, plus_one = dt.UTC, dt.timezone(dt.timedelta(hours=1))
    columns: dict[str, list[Any]] = {
        "org": ["o", "o", "o"],
        "when": [
            dt.datetime(2020, 1, 1, 12, tzinfo=utc),
            dt.datetime(2020, 1, 1, 13, tzinfo=plus_one),
            dt.datetime(2020, 1, 1, 12, tzinfo=utc),
        ],
        "at": [dt.time(12, tzinfo=utc), dt.time(13, tzinfo=plus_one), dt.time(12)],
    }
    rows = [{k: column[i] for k, column in columns.items()} for i in range(3)]
    digests_ = content_digests_of_columns(columns)
    assert digests_ == [reference_digest(row, ()) for row in rows]
    assert digests_[0] != digests_[1]
