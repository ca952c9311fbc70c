"""Reading a table in column batches: each distinct value of a column is checked once.

A file of a million activities holds a few hundred distinct programmes, topics,
dates, times and counts (and one id per row). `ColumnarReader` reads a table
`BATCH_ROWS` rows at a time, takes each column of the batch, and settles each
distinct value once (`FieldCheck`): the privacy scan of the cell, its
conversion (`RowReader`'s own), and its field's validation (the model's
constraints and validators, through a `TypeAdapter` of the field). A row
whose cells all settled, whose required cells are filled and that passes the
model's checks across fields becomes its record's field values directly
(`Accepted.fields`: what `model_dump` of the validated model gives).

Every other row (a cell that did not settle, an identifier, a NUL, a JSON
line that is not an object, a stray row, a column-level problem...) is read by
`RowReader.read` as before, so its findings are exactly those of the row
reader, and a row the row reader rejects is never accepted here.

Rows come out in file order, and what carries state from row to row (the file's
date order: `DateOrder`; made activity ids: `ActivityIds`) is done row by row
in that order, as the row reader does it: only a cell's value is cached, never
what the file has shown so far.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Annotated, Any

from pydantic import ConfigDict, TypeAdapter, ValidationError

from peerreport.errors import InputFileError
from peerreport.intake.dates import Place
from peerreport.intake.rows import (
    SHORTEST_IDENTIFIER,
    RowOutcome,
    RowReader,
    _is_blank,
    _scannable,
    convert_cell,
)
from peerreport.intake.sources import InvalidJSON, RawRow, Row
from peerreport.intake.values import CellValueError, is_ambiguous, parse_date, restore_formula
from peerreport.privacy.scan import clear_among, remember_clear, scan_text
from peerreport.records.models import (
    RECORD_TYPES,
    activity_problem,
    breakdown_problem,
    period_problem,
)
from peerreport.store.digests import KEY_BLANKS, content_digests_of_columns
from peerreport.store.records import TokenHasher

BATCH_ROWS = 5000
#: Distinct values remembered per column; past this the column starts afresh (ids are
#: all distinct, so remembering them would only grow with the file).
CACHE_LIMIT = 20_000
#: A batch's column of at least this many values, all different, is settled without
#: remembering them (a column of ids).
UNIQUE_COLUMN = 1000
#: New values of a column's batch scanned for identifiers together, from this many.
SCAN_TOGETHER = 50


class _Slow:
    """A cell (or row) the row reader must read: `SLOW`."""

    def __repr__(self) -> str:
        return "SLOW"


SLOW: Any = _Slow()
_UNHASHABLE = object()  # the cache key of a value that cannot be one (a JSON list)
#: Records whose accepted rows the import may still reject when it writes them (a breakdown
#: of an activity that is not stored: IMP-041). Their rows keep their cells when sent to
#: another process (`intake.read_ahead`); other rows travel without them.
REJECTED_WHEN_WRITTEN = frozenset({"breakdowns"})


class Accepted:
    """A valid row: its record's field values, as `model_dump` of the record gives them."""

    __slots__ = ("_outcome", "_source", "fields", "member_tokens", "row")

    def __init__(
        self,
        row: int,
        fields: dict[str, Any],
        member_tokens: Sequence[str] = (),
        outcome: RowOutcome | None = None,
        source: tuple[RowReader, RawRow] | None = None,
    ) -> None:
        self.row = row
        self.fields = fields  # without member_tokens, which are stored as hashes
        self.member_tokens = member_tokens
        self._outcome = outcome
        self._source = source

    @classmethod
    def of(cls, outcome: RowOutcome) -> Accepted:
        """A row the row reader read and found valid."""
        record = outcome.record
        assert record is not None
        fields = record.model_dump(exclude={"member_tokens"})
        return cls(outcome.row, fields, getattr(record, "member_tokens", ()), outcome=outcome)

    def outcome(self) -> RowOutcome:
        """The row reader's outcome of this row (made when first asked for)."""
        if self._outcome is None:
            assert self._source is not None, "a row sent without its cells"
            reader, raw = self._source
            self._outcome = reader.valid_outcome(self.row, reader.table.row_of(raw))
        return self._outcome

    def bind(self, reader: RowReader) -> None:
        """Read by `reader` in another process: its outcome, if asked for, is made here."""
        if self._source is not None and self._source[0] is None:
            self._source = (reader, self._source[1])

    def __getstate__(self) -> tuple[Any, ...]:
        """For another process: no reader, and the cells (or outcome) only of rows that
        may still be rejected (`REJECTED_WHEN_WRITTEN`)."""
        outcome, raw = self._outcome, None
        if self._source is not None:
            reader, raw = self._source
            if reader is not None and reader.record_type not in REJECTED_WHEN_WRITTEN:
                outcome, raw = None, None
        elif (
            outcome is not None
            and outcome.record is not None
            and outcome.record.record_type not in REJECTED_WHEN_WRITTEN
        ):
            outcome = None
        return (self.row, self.fields, self.member_tokens, outcome, raw)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.row, self.fields, self.member_tokens, self._outcome, raw = state
        self._source = (None, raw) if raw is not None else None  # type: ignore[assignment]


class AcceptedBatch:
    """Consecutive valid rows of one batch: their records' field values a column at a time.

    `columns[name]` holds each row's value of field `name`, exactly as the rows' `Accepted`
    would (`rows()` makes those, for a caller that must treat some row on its own).
    `hashed` and `digests`, when not None, are each row's member tokens as stored and its
    record's digest, worked out by the process that read the rows (`digest`).
    """

    __slots__ = ("_raws", "_reader", "columns", "digests", "hashed", "member_tokens", "numbers")

    def __init__(
        self,
        numbers: list[int],
        columns: dict[str, list[Any]],
        member_tokens: list[Sequence[str]],
        reader: RowReader,
        raws: list[RawRow],
    ) -> None:
        self.numbers = numbers
        self.columns = columns
        self.member_tokens = member_tokens
        self._reader = reader
        self._raws = raws
        self.hashed: list[list[str]] | None = None
        self.digests: list[str] | None = None

    def __len__(self) -> int:
        return len(self.numbers)

    def part(self, start: int, stop: int) -> AcceptedBatch:
        """Rows `start` to `stop` (itself when that is every row)."""
        if start == 0 and stop >= len(self.numbers):
            return self
        columns = {name: values[start:stop] for name, values in self.columns.items()}
        return AcceptedBatch(  # without digests: the importer works them out if need be
            self.numbers[start:stop],
            columns,
            self.member_tokens[start:stop],
            self._reader,
            self._raws[start:stop],
        )

    def digest(self, org: str, secret: bytes | None, hasher: TokenHasher | None = None) -> None:
        """Work out the rows' member tokens as stored and their records' digests now, for the
        importer to write (the reading process does, while the importer writes). The
        columns become the record's columns (`record_columns_of`), as the importer would
        make them. Left undone when member tokens are given with no secret to hash them
        (the importer then says what is wrong). `hasher`, when given, hashes the tokens
        with `secret`, remembering them from batch to batch."""
        record_type = self._reader.record_type
        assert record_type is not None
        count = len(self.numbers)
        if record_type == "activities":
            if secret is None and any(self.member_tokens):
                return
            hasher = hasher or TokenHasher(secret or b"")
            hashed = [hasher.hashed(t) for t in self.member_tokens]
        else:
            hashed = [[] for _ in range(count)]
        columns = record_columns_of(record_type, self.columns)
        self.digests = content_digests_of_columns({**columns, "org": [org] * count}, hashed)
        self.hashed = hashed

    def bind(self, reader: RowReader) -> None:
        """Read by `reader` in another process: its rows, if asked for, are made here."""
        if self._reader is None:
            self._reader = reader

    def __getstate__(self) -> tuple[Any, ...]:
        """For another process: no reader, and the cells only of rows that may still be
        rejected (`REJECTED_WHEN_WRITTEN`)."""
        keep = self._reader is not None and self._reader.record_type in REJECTED_WHEN_WRITTEN
        # Rows whose tokens are hashed travel without them, unless their cells travel too.
        tokens = self.member_tokens if keep or self.hashed is None else None
        return (
            self.numbers,
            self.columns,
            tokens,
            self._raws if keep else None,
            self.hashed,
            self.digests,
        )

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.numbers, self.columns, tokens, self._raws, self.hashed, self.digests = state
        self.member_tokens = tokens if tokens is not None else [()] * len(self.numbers)
        self._reader = None  # type: ignore[assignment]

    def rows(self) -> list[Accepted]:
        """The rows one by one."""
        assert self._raws is not None, "a batch sent without its cells"
        names = list(self.columns)
        values = zip(*self.columns.values(), strict=True)
        return [
            Accepted(number, dict(zip(names, row, strict=True)), tokens, source=(self._reader, raw))
            for number, row, tokens, raw in zip(
                self.numbers, values, self.member_tokens, self._raws, strict=True
            )
        ]


def record_columns_of(record_type: str, columns: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """`record_values_of` a column at a time (without `org`): the columns, completed in place."""
    if record_type != "activities" and "programme" in columns:
        columns["programme"] = ["" if v is None else v for v in columns["programme"]]
    if record_type == "breakdowns":
        for name in KEY_BLANKS:
            if name in columns:
                columns[name] = ["" if v is None else v for v in columns[name]]
    return columns


def record_values_of(org: str, record_type: str, fields: dict[str, Any]) -> dict[str, Any]:
    """`store.records.record_values` of a record, from its fields (`Accepted.fields`): the
    dict `fields` itself, completed in place (a copy a row cost more than the digest's
    template; the writer completes it further, and nothing reads the fields after)."""
    fields["org"] = org
    if record_type != "activities" and "programme" in fields and fields["programme"] is None:
        fields["programme"] = ""  # part of the natural key, so never NULL
    if record_type == "breakdowns":
        for name in KEY_BLANKS:
            if fields.get(name) is None:
                fields[name] = ""  # part of the natural key, so never NULL
    return fields


# The checks across fields of each record type: the same functions the models'
# `model_validator`s call. A model with any other validator (or configuration) is read row by row.
def _activity_ok(fields: dict[str, Any]) -> bool:
    return activity_problem(fields) is None


def _breakdown_ok(fields: dict[str, Any]) -> bool:
    return breakdown_problem(fields) is None


def _period_ok(fields: dict[str, Any]) -> bool:
    return period_problem(fields) is None


#: The record types whose checks across fields write into the fields (a breakdown's category
#: codes and the order of its two dimensions).
_WRITING_CHECKS = frozenset({"breakdowns"})
_CROSS_CHECKS: dict[str, tuple[tuple[str, ...], Callable[[dict[str, Any]], bool]]] = {
    "activities": (("_first_time_within_attendance",), _activity_ok),
    "breakdowns": (("_category_in_dimension",), _breakdown_ok),
    "workforce": (("_period_order",), _period_ok),
    "feedback": (("_period_order",), _period_ok),
}
#: The fields the checks across fields read (and, for `_WRITING_CHECKS`, write): a batch
#: checks small dicts of these, once for each different combination of their values in the
#: batch (a few dozen in a batch of thousands of rows), and the rows with that combination
#: take what the check wrote. The checks are functions of these fields alone: a test
#: records what each reads and writes, so a check that touches another field fails it.
_CHECKED_FIELDS: dict[str, tuple[str, ...]] = {
    "activities": ("first_time", "attendance", "calls_missed", "kind"),
    "breakdowns": ("dimension", "category", "dimension2", "category2"),
    "workforce": ("period_start", "period_end"),
    "feedback": ("period_start", "period_end"),
}
_KNOWN_CONFIG = {"extra": "forbid", "frozen": True, "str_strip_whitespace": True}


def fast_model(record_type: str) -> bool:
    """Whether this module knows every check of the record type's model."""
    model = RECORD_TYPES[record_type]
    decorators = model.__pydantic_decorators__
    known, _ = _CROSS_CHECKS.get(record_type, ((), None))
    return (
        set(decorators.model_validators) == set(known)
        and not decorators.field_validators
        and not decorators.validators
        and not decorators.root_validators
        and not decorators.field_serializers
        and not decorators.model_serializers
        and not decorators.computed_fields
        and dict(model.model_config) == _KNOWN_CONFIG
    )


@functools.cache
def field_adapter(record_type: str, name: str) -> TypeAdapter[Any]:
    """A field's validation as its model does it (constraints, validators, stripping)."""
    info = RECORD_TYPES[record_type].model_fields[name]
    config = ConfigDict(str_strip_whitespace=True)
    return TypeAdapter(Annotated[info.annotation, info], config=config)  # type: ignore[arg-type]


@functools.cache
def list_adapter(record_type: str, name: str) -> TypeAdapter[list[Any]]:
    """A list of a field's values, each validated as `field_adapter` validates one."""
    info = RECORD_TYPES[record_type].model_fields[name]
    config = ConfigDict(str_strip_whitespace=True)
    return TypeAdapter(list[Annotated[info.annotation, info]], config=config)  # type: ignore[name-defined]


class FieldCheck:
    """How one column's values become its field's value, or `SLOW`: once per distinct value."""

    def __init__(self, reader: RowReader, name: str, key: str) -> None:
        self.name = name
        self.key = key
        self.kind = reader.kinds[name]
        self.date_order = reader.date_order
        self.from_excel = reader.table.from_excel
        self.text_cells = reader.table.text_cells
        self.record_type = reader.record_type
        self.adapter = field_adapter(reader.record_type, name)
        info = reader.model.model_fields[name]
        # A blank cell is not given to the model, which then takes the field's default.
        self.blank = SLOW if info.is_required() else info.get_default(call_default_factory=True)
        self.cache: dict[object, object] = {}
        #: The dates read either way ("04/05/2026"), by raw cell: the text DateOrder is told.
        self.ambiguous: dict[object, str] = {}

    def settle(self, raw: object) -> object:
        """What the row reader and the model make of the cell (or SLOW: ask the row reader).

        The same steps, in the same order, as `RowReader.read` for one cell.
        """
        value = restore_formula(raw) if self.text_cells and isinstance(raw, str) else raw
        if value is None or value == "":
            return self.blank
        if isinstance(value, str) and "\x00" in value:
            return SLOW
        text = _scannable(value)
        if text is not None and scan_text(text):
            return SLOW
        converted: object
        if self.kind == "text" and isinstance(value, str):
            if not value.strip():
                return self.blank
            converted = value
        elif _is_blank(value):
            return self.blank
        else:
            try:
                if self.kind == "date":
                    converted = parse_date(value, self.date_order, from_excel=self.from_excel)
                else:
                    converted = convert_cell(self.kind, value, from_excel=self.from_excel)
            except CellValueError:
                return SLOW
        try:
            settled = self.adapter.validate_python(converted)
        except ValidationError:
            return SLOW
        if self.kind == "date" and isinstance(value, str) and is_ambiguous(value):
            self.ambiguous[raw] = value
        return settled

    def settle_column(self, values: list[object]) -> tuple[list[object], list[int]]:
        """The settled values of a batch's column, and the positions of those that are SLOW."""
        cache = self.cache
        if len(cache) > CACHE_LIMIT or len(self.ambiguous) > CACHE_LIMIT:
            cache.clear()
            self.ambiguous.clear()
        try:
            # Texts and blanks are their own keys (`_key`); only other values need a key made.
            plain = self.text_cells or set(map(type, values)) <= _TEXT_TYPES
            keys = values if plain else [_key(v) for v in values]
            distinct = set(keys)
        except TypeError:  # an unhashable value (a JSON list or object)
            keys = [_safe_key(v) for v in values]
            distinct = set(keys)
        if len(distinct) == len(keys) >= UNIQUE_COLUMN:
            # A column of ids: every value is new, and remembering them would only cost.
            self._scan_first(keys)
            settled = self._settle_texts(keys)
            if settled is None:
                settled = [SLOW if k is _UNHASHABLE else self.settle(_raw_of(k)) for k in keys]
            return settled, [i for i, v in enumerate(settled) if v is SLOW]
        new = distinct.difference(cache)
        if len(new) >= SCAN_TOGETHER:
            self._scan_first(new)
        for key in new:
            cache[key] = SLOW if key is _UNHASHABLE else self.settle(_raw_of(key))
        settled = list(map(cache.__getitem__, keys))
        if not any(cache[key] is SLOW for key in distinct):
            return settled, []
        return settled, [i for i, v in enumerate(settled) if v is SLOW]

    def _settle_texts(self, keys: list[object]) -> list[object] | None:
        """`settle` of each cell of a text field's column of different texts (ids), with
        one validation of them all; or None when some cell is not text.

        A cell that is plain (not blank, no leading space or apostrophe, no NUL, and found
        to hold nothing by `_scan_first`) is one whose `settle` is its field's validation
        of the text as it is: those are validated as one list, which checks each item as
        the field does. Any other cell is settled on its own, and so is every cell if the
        list fails validation (its items then settle as SLOW or not, one by one)."""
        if self.kind != "text" or not all(type(k) is str for k in keys):
            return None
        texts: list[str] = keys  # type: ignore[assignment]
        clear = clear_among(texts)
        plain = [
            t[:1] not in ("", "'")  # not blank, nor a formula made inert (`restore_formula`)
            and not t[0].isspace()  # so not blank as `settle` strips (str.strip's spaces)
            and "\x00" not in t
            and (len(t) < SHORTEST_IDENTIFIER or t in clear)
            for t in texts
        ]
        try:
            valid = iter(
                list_adapter(self.record_type, self.name).validate_python(
                    [t for t, p in zip(texts, plain, strict=True) if p]
                )
            )
        except ValidationError:
            return None
        return [next(valid) if p else self.settle(t) for t, p in zip(texts, plain, strict=True)]

    def _scan_first(self, keys: Iterable[object]) -> None:
        """Scan the texts of these cells for identifiers together (`remember_clear`), so that
        `settle`'s scan and the model's of each are lookups."""
        texts = []
        for key in keys:
            if key is not _UNHASHABLE:
                raw = _raw_of(key)
                value = restore_formula(raw) if self.text_cells and isinstance(raw, str) else raw
                text = _scannable(value)
                if text is not None:
                    texts.append(text)
        remember_clear(texts)


def _distinct(combos: list[tuple[Any, ...]], columns: list[list[Any]]) -> set[Any] | None:
    """The different combinations, where rows may be grouped by equal values: None when a
    value is unhashable, or a column holds two types besides None (1 and True are equal,
    and a check could tell them apart)."""
    if any(len(set(map(type, column)) - {type(None)}) > 1 for column in columns):
        return None
    try:
        return set(combos)
    except TypeError:
        return None


_TEXT_TYPES = frozenset({str, type(None)})


def _key(value: object) -> object:
    """A cache key that tells values apart the way settling does: 1, 1.0 and True are not
    one value, nor are 0.0 and -0.0."""
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is float:
        return (float, repr(value), value)
    hash(value)  # an unhashable value raises TypeError here
    return (kind, value)


def _safe_key(value: object) -> object:
    try:
        return _key(value)
    except TypeError:
        return _UNHASHABLE


def _raw_of(key: object) -> object:
    return key[-1] if isinstance(key, tuple) else key


class ColumnarReader:
    """Reads a table's rows in column batches; rows that need it are read by `RowReader`."""

    def __init__(self, reader: RowReader, *, slow: bool = False) -> None:
        self.reader = reader
        self.table = reader.table
        plan = reader.plan
        self.checks = [FieldCheck(reader, name, key) for key, name in plan.fields.items()]
        self.names = [n for n in reader.model.model_fields if n != "member_tokens"]
        self.cross = _CROSS_CHECKS[reader.record_type][1]
        self.writing = reader.record_type in _WRITING_CHECKS
        self.checked = _CHECKED_FIELDS[reader.record_type]
        self.fast = not slow and fast_model(reader.record_type) and not plan.column_problems
        self._positions = {c.key: c.index - 1 for c in self.table.columns}
        self._headingless = [c for c in self.table.columns if not c.heading]

    def rows(self) -> Iterator[RowOutcome | Accepted | AcceptedBatch]:
        """Every row of the table with data, in order: accepted, or the row reader's outcome;
        a batch whose rows are all accepted (and needed nothing row by row) as one
        `AcceptedBatch`."""
        if not self.fast:
            for number, row in self.table.rows:
                yield self._read(number, row)
            return
        for numbers, raws in self._batches():
            yield from self._batch(numbers, raws)

    def _read(self, number: int, row: Row) -> RowOutcome | Accepted:
        outcome = self.reader.read(number, row)
        return Accepted.of(outcome) if outcome.record is not None else outcome

    def _batches(self) -> Iterator[tuple[list[int], list[RawRow]]]:
        raw = self.table.raw_rows
        while True:
            numbers: list[int] = []
            rows: list[RawRow] = []
            try:
                for number, cells in itertools.islice(raw, BATCH_ROWS):
                    numbers.append(number)
                    rows.append(cells)
            except InputFileError:
                # A file refused part way: the rows before the refused one are read first,
                # as when the file is read row by row.
                if numbers:
                    yield numbers, rows
                raise
            if not numbers:
                return
            yield numbers, rows

    def _batch(
        self, numbers: list[int], raws: list[RawRow]
    ) -> Iterator[RowOutcome | Accepted | AcceptedBatch]:
        keyed = isinstance(raws[0], dict)
        slow = self._unusual_rows(raws, keyed)
        self._note_headingless(raws, keyed)
        by_name: dict[str, list[object]] = {}
        raw_columns: dict[str, list[object]] = {}
        # Rows of one length (nearly every file) are turned into columns in one step.
        lengths = set() if keyed else set(map(len, raws))
        transposed = list(zip(*raws, strict=True)) if len(lengths) == 1 else None
        for check in self.checks:
            values = self._column(raws, check.key, keyed, transposed)
            settled, bad = check.settle_column(values)
            slow.update(bad)
            by_name[check.name] = settled
            raw_columns[check.name] = values
        reader = self.reader
        model_fields = reader.model.model_fields
        columns: list[Any] = []
        tokens = "member_tokens" in model_fields
        for name in [*self.names, *(["member_tokens"] if tokens else [])]:
            if name in by_name:
                columns.append(by_name[name])
            elif name == "activity_id" and reader.ids is not None:
                columns.append(itertools.repeat(None))  # made below, once the row is valid
            else:
                columns.append(
                    itertools.repeat(model_fields[name].get_default(call_default_factory=True))
                )
        # The rows with a date that reads either way ("04/05/2026"), each with its dates in
        # the order the row reader reads them (left to right).
        ambiguous: dict[int, list[tuple[str, str]]] = {}
        for check in sorted(self.checks, key=lambda c: self._positions.get(c.key, 0)):
            if check.kind == "date" and check.ambiguous:
                texts = check.ambiguous
                for position, raw in enumerate(raw_columns[check.name]):
                    if type(raw) is str and raw in texts:
                        ambiguous.setdefault(position, []).append((check.key, texts[raw]))
        names, cross, ids = self.names, self.cross, reader.ids
        start = 0
        if not slow and ids is None:
            whole, start = self._whole(numbers, raws, columns, tokens, ambiguous)
            if whole is not None:
                yield whole
            if start == len(raws):
                return
        row_of = self.table.row_of
        # Fields without a column repeat their default; the batch's lists end the rows.
        rows = itertools.islice(zip(*columns, strict=False), start, None)
        for position, row_values in zip(range(start, len(raws)), rows, strict=False):
            number = numbers[position]
            if position in slow:
                yield self._read(number, row_of(raws[position]))
                continue
            fields = dict(zip(names, row_values, strict=False))  # member_tokens last, not a field
            if not cross(fields) or (
                position in ambiguous and not self._dates_read(ambiguous[position], number)
            ):
                yield self._read(number, row_of(raws[position]))
                continue
            if ids is not None:
                fields["activity_id"] = ids.made_for(fields)
            member_tokens: Sequence[str] = row_values[-1] if tokens else ()
            yield Accepted(number, fields, member_tokens, source=(reader, raws[position]))

    def _whole(
        self,
        numbers: list[int],
        raws: list[RawRow],
        columns: list[Any],
        tokens: bool,
        ambiguous: dict[int, list[tuple[str, str]]],
    ) -> tuple[AcceptedBatch | None, int]:
        """The batch's first rows as one `AcceptedBatch`, and where the rows to read one by
        one begin: all of them when some row fails a check across fields, the first row
        whose dates read either way and the file has shown are wrong (`_dates_read`,
        told in file order as the row-by-row loop tells it), else none. The checks across
        fields see each different combination of the fields they read (`_CHECKED_FIELDS`)
        once, as a dict; where they write into it, the rows take what was written."""
        count = len(numbers)
        listed = [c if isinstance(c, list) else [next(c)] * count for c in columns]
        by_name = dict(zip(self.names, listed, strict=False))  # member_tokens is last
        written = self._cross_checked([by_name[name] for name in self.checked])
        if written is None:
            return None, 0
        cut = count
        for position in sorted(ambiguous):
            if not self._dates_read(ambiguous[position], numbers[position]):
                cut = position
                break
        if not cut:
            return None, 0
        if written:
            by_name.update(zip(self.checked, written, strict=True))
        member_tokens = listed[-1] if tokens else [()] * count
        if cut < count:
            by_name = {name: values[:cut] for name, values in by_name.items()}
            numbers, raws, member_tokens = numbers[:cut], raws[:cut], member_tokens[:cut]
        return AcceptedBatch(numbers, by_name, member_tokens, self.reader, raws), cut

    def _cross_checked(self, picked: list[list[Any]]) -> list[list[Any]] | None:
        """Check the rows whose checked fields' values are `picked` (a column a field): None
        when a row fails; else, when the checks write, the checked fields' columns as written
        (an empty list when they only read)."""
        checked, cross, writing = self.checked, self.cross, self.writing

        def check(combo: tuple[Any, ...]) -> tuple[Any, ...] | None:
            fields = dict(zip(checked, combo, strict=True))
            return tuple(fields[name] for name in checked) if cross(fields) else None

        combos = list(zip(*picked, strict=True))
        distinct = _distinct(combos, picked)
        if distinct is None:  # every row on its own
            results = list(map(check, combos))
        else:
            outcome = {combo: check(combo) for combo in distinct}
            results = [outcome[c] for c in combos] if writing else list(outcome.values())
        if any(r is None for r in results):
            return None
        return [list(column) for column in zip(*results, strict=True)] if writing else []

    def _dates_read(self, found: list[tuple[str, str]], number: int) -> bool:
        """Tell the file's DateOrder of the row's dates that read either way; False when they
        are wrong because of what the file has shown (the row reader then says so)."""
        dates = self.reader.dates
        if dates.telling is not None:
            return False
        for key, text in found:
            dates.read_ambiguous(text, functools.partial(self._place, key, number))
        return True

    def _place(self, key: str, number: int) -> Place:
        table = self.table
        column = table.column(key)
        heading = column.heading if column and column.heading else key
        return Place(table.where, number, heading, table.address(key, number))

    def _column(
        self, raws: list[RawRow], key: str, keyed: bool, transposed: list[tuple[object, ...]] | None
    ) -> list[object]:
        if keyed:
            return list(map(dict.get, raws, itertools.repeat(key)))  # row.get(key), a row each
        index = self._positions[key]
        if transposed is not None:
            return list(transposed[index]) if index < len(transposed) else [None] * len(raws)
        return [row[index] if index < len(row) else None for row in raws]

    def _unusual_rows(self, raws: list[RawRow], keyed: bool) -> set[int]:
        """Rows the row reader must read whatever their cells: a JSON line that is not an
        object, a NUL in any cell read (not only the fields': `RowReader.read`)."""
        if keyed:
            return {
                i
                for i, row in enumerate(raws)
                if any(
                    isinstance(v, InvalidJSON) or (isinstance(v, str) and "\x00" in v)
                    for v in row.values()
                )
            }
        skip = self.table.dropped_indexes()
        if self.table.text_cells and not skip:
            return {i for i, row in enumerate(raws) if "\x00" in "".join(row)}
        return {
            i
            for i, row in enumerate(raws)
            if any(isinstance(v, str) and "\x00" in v for j, v in enumerate(row) if j not in skip)
        }

    def _note_headingless(self, raws: list[RawRow], keyed: bool) -> None:
        """Remember the columns without a heading that hold data, in the order the row
        reader meets them (row by row, left to right)."""
        seen: list[tuple[int, int]] = []
        if keyed:
            for column in self._headingless:
                position = _first_filled(row.get(column.key) for row in raws)
                if position is not None:
                    seen.append((position, column.index))
        else:
            indexes = [c.index - 1 for c in self._headingless]
            width, longest = len(self.table.columns), max(map(len, raws))
            indexes += range(width, longest)
            for index in indexes:
                position = _first_filled(row[index] if index < len(row) else None for row in raws)
                if position is not None:
                    seen.append((position, index + 1))
        for _, index in sorted(seen):
            self.reader.plan.headingless_seen.setdefault(index, None)


def _first_filled(values: Iterator[object]) -> int | None:
    """The position of the first value the row reader would see as data."""
    for position, value in enumerate(values):
        if not _is_blank(value) and not (isinstance(value, str) and "\x00" in value):
            return position
    return None
