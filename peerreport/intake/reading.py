"""An import's reading stage: from a file's rows to what the writing stage must do with them.

An import reads each table's rows (`ColumnarReader`), refuses repeated records
(IMP-040) and holds back the breakdowns of rejected activities; then it writes
the accepted rows and reports the rejected ones. The first part needs nothing
from the database, so it is a stage of its own, `ReadingStage`: for each table
it yields *actions*, in file order, and the importer carries them out.

- `Flush`: write these accepted rows (every `BATCH_SIZE` rows, and at the end);
- `Reject`: a row is rejected, with its problems;
- `HoldBack`: a breakdown is not stored because its activity was rejected;
- `Notice`: a line for the report (the notes column was not stored);
- `TableDone`: the table is read, with its notices (the file's decoding, columns
  not stored...);
- `FileDone`: the file is read, with its late date findings (`DateOrder`).

The importer runs the stage in its own process, or in a second one
(`intake.read_ahead`) that reads while the first writes: the actions are the
same either way, and so is the import.

What one action decides depends only on the rows before it: the records seen so
far in the import (`seen`) and the activities rejected so far (`rejected_ids`),
both kept here, and never on what the writing stage did.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peerreport.errors import PeerreportError
from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.intake.columnar import Accepted, AcceptedBatch, ColumnarReader
from peerreport.intake.dates import DateOrder, Place, survey
from peerreport.intake.jsonl import jsonl_record_type
from peerreport.intake.reports import ImportSettings
from peerreport.intake.rows import RowOutcome, RowReader
from peerreport.intake.seen import SeenKeys
from peerreport.intake.sources import SUFFIXES, Table, open_tables
from peerreport.intake.wording import duplicate_message

__all__ = [
    "BATCH_SIZE",
    "Action",
    "FileDone",
    "Flush",
    "HoldBack",
    "Notice",
    "ReadingStage",
    "Reject",
    "Surveyed",
    "TableDone",
    "import_order",
    "table_order",
]

#: Accepted rows written together.
BATCH_SIZE = 1000
TYPE_ORDER = {"activities": 0, "breakdowns": 1, "workforce": 2, "feedback": 3}

NOTES_NOT_STORED = (
    "the notes column is not stored; no return uses it; "
    "set keep_notes = true in peerreport.toml to keep it"
)

_MASK64 = (1 << 64) - 1


@dataclass
class Flush:
    """Write these accepted rows and whole batches, in order."""

    batch: list[Accepted | AcceptedBatch]


@dataclass
class Reject:
    """A row is rejected, for `problems`."""

    outcome: RowOutcome
    problems: list[Finding]


@dataclass
class HoldBack:
    """A breakdown of the rejected activity `activity_id`: not stored."""

    activity_id: str
    outcome: RowOutcome


@dataclass
class Notice:
    """A line for the file's report."""

    text: str


@dataclass
class TableDone:
    """A table is read: its notices and its reader's, for the report."""

    notices: list[str]


@dataclass
class FileDone:
    """A file is read: the findings about its dates known only at its end."""

    late: list[Finding] = field(default_factory=list)


@dataclass
class Surveyed:
    """A file's date cells are surveyed (with skip_invalid, before its rows are read)."""


Action = Flush | Reject | HoldBack | Notice | TableDone | FileDone | Surveyed


def table_order(tables: list[Table]) -> list[Table]:
    """The tables of a file in the order they are read: activities first."""
    return sorted(tables, key=lambda t: TYPE_ORDER.get(t.record_type or "", 9))


def import_order(paths: list[Path], settings: ImportSettings) -> list[Path]:
    """The files of an import in the order they are read: the files with breakdowns after
    the others, those without activities last, so that the activities a breakdown is of
    are read first when the same import holds them, whatever order the files were named
    in (a shell's `log*.csv` gives `log-breakdowns.csv` before `log.csv`). Otherwise as
    given. A file that cannot be opened counts as one without breakdowns: reading it says
    what is wrong."""
    if len(paths) < 2 or settings.record_type is not None:
        return list(paths)  # one file (its own tables are ordered), or one type for all

    def rank(path: Path) -> int:
        try:
            types = _record_types(path, settings)
        except (PeerreportError, OSError):  # missing, a folder, unreadable, refused...
            return 0
        if "breakdowns" not in types:
            return 0
        return 1 if "activities" in types else 2

    return sorted(paths, key=rank)  # stable: files of one rank keep the order given


def _record_types(path: Path, settings: ImportSettings) -> set[str | None]:
    """The record types of a file's tables, as reading it finds them."""
    if SUFFIXES.get(path.suffix.lower()) == "jsonl":
        # Its table reads every line for the keys; its type needs the first object only.
        return {jsonl_record_type(path, settings.limits)}
    with open_tables(path, None, settings.limits) as tables:
        return {table.record_type for table in tables}


def key_hash(record_type: str, natural_key: tuple[str, ...], fields: dict[str, Any]) -> int:
    """The row's record (its natural key's values) as an unsigned 64-bit number, for the
    import's duplicate check (`SeenKeys`).

    Python's own hash of the values: SipHash for text, keyed afresh in every process
    (unless PYTHONHASHSEED fixes it), so no file can be written to make two records
    collide; a false duplicate needs a 64-bit collision (about 1 in 10^7 at a million
    rows). A quarter of the cost of a blake2b of the key's text, and equal values (not
    only equal spellings: None is not "None") are one key. Only the reading stage's
    process computes them.
    """
    return hash((record_type, *[fields[name] for name in natural_key])) & _MASK64


class ReadingStage:
    """Reads an import's files, in order, into actions (see the module's notes)."""

    def __init__(self, settings: ImportSettings, *, slow_path: bool = False) -> None:
        self.settings = settings
        self.slow_path = slow_path
        self.rejected_ids: set[str] = set()  # activities rejected in this import
        self.seen = SeenKeys()  # natural keys of this import, across its files (bounded)

    # -- a file ---------------------------------------------------------------------------

    def readers(
        self, tables: list[Table], dates: DateOrder
    ) -> tuple[dict[int, RowReader] | None, list[Finding]]:
        """A reader per table of records, and the problems of the file's headings; no
        readers (None) if a forbidden column refuses the file."""
        problems: list[Finding] = []
        readers: dict[int, RowReader] = {}
        for table in tables:
            if table.record_type is None:
                problems.append(
                    finding(
                        "IMP-002",
                        "cannot tell which records this file holds",
                        "Name the file after its records (activities.csv, workforce.csv, ...), "
                        "give --type, or use the headings of one record type.",
                        Location(file=table.where),
                    )
                )
                continue
            readers[id(table)] = RowReader(
                table, table.record_type, self.settings.date_order, dates
            )
        refusals = [
            f for r in readers.values() for f in r.plan.refusals(self.settings.drop_forbidden)
        ]
        if refusals:
            return None, [*problems, *refusals]  # never read a row of such a file
        for reader in readers.values():
            reader.plan.drop_forbidden()
            # Fixed now, before a row is read: a process that never reads a row (the
            # importer, when another reads ahead) still leaves the dropped cells out.
            reader.table.dropped_indexes()
            problems.extend(reader.plan.column_problems.values())
        return readers, problems

    def survey_dates(self, path: Path, dates: DateOrder) -> None:
        """With skip_invalid, valid rows are stored as they are read: know the file's date
        order first."""
        if self.settings.skip_invalid:
            survey(dates, self._date_cells(path))

    def file_actions(
        self, tables: list[Table], readers: dict[int, RowReader], dates: DateOrder
    ) -> Iterator[Action]:
        """The actions of a file whose tables and readers are open: each table's, then
        `TableDone`; then `FileDone`."""
        for table in table_order(tables):
            reader = readers.get(id(table))
            if reader is not None:
                yield from self.table_actions(reader)
            notices = [*table.notices, *(reader.notices() if reader is not None else [])]
            yield TableDone(notices)
        yield FileDone(dates.late_findings())

    def actions_of(self, path: Path) -> Iterator[Action]:
        """Every action of the file at `path`, opened here: `Surveyed` first with
        skip_invalid; a file refused by its headings ends with `FileDone` at once."""
        dates = DateOrder(self.settings.date_order)
        if self.settings.skip_invalid:
            self.survey_dates(path, dates)
            yield Surveyed()
        with open_tables(path, self.settings.record_type, self.settings.limits) as tables:
            readers, _ = self.readers(tables, dates)  # the importer reports the problems
            if readers is None:
                yield FileDone()
                return
            yield from self.file_actions(tables, readers, dates)

    def _date_cells(self, path: Path) -> Iterator[tuple[object, Place]]:
        """Every date cell of a file, read ahead (forbidden columns are never read)."""
        with open_tables(path, self.settings.record_type, self.settings.limits) as tables:
            for table in tables:
                if table.record_type is None:
                    continue
                reader = RowReader(table, table.record_type, self.settings.date_order)
                if reader.plan.refusals(self.settings.drop_forbidden):
                    return
                reader.plan.drop_forbidden()
                keys = [k for k, f in reader.plan.fields.items() if reader.kinds[f] == "date"]
                if not keys:
                    continue
                for number, row in table.rows:
                    for key in keys:
                        value = row.get(key)
                        if isinstance(value, str):
                            column = table.column(key)
                            heading = column.heading if column else key
                            yield (
                                value,
                                Place(table.where, number, heading, table.address(key, number)),
                            )

    # -- a table --------------------------------------------------------------------------

    def table_actions(self, reader: RowReader) -> Iterator[Action]:
        """A table's actions: its rows, read, checked and refused where repeated."""
        table = reader.table
        record_type = reader.record_type
        natural_key = reader.model.natural_key
        seen = self.seen
        # Rows to write, and whole batches (or parts of them), in file order; flushed every
        # BATCH_SIZE rows.
        batch: list[Accepted | AcceptedBatch] = []
        waiting = 0  # rows in `batch`
        notes_dropped = False
        drop_notes = record_type == "activities" and not self.settings.keep_notes
        for read in ColumnarReader(reader, slow=self.slow_path).rows():
            reads: Any
            if isinstance(read, AcceptedBatch):
                notes = read.columns.get("notes")
                if drop_notes and notes is not None and any(notes):
                    read.columns["notes"] = [None] * len(read)
                    if not notes_dropped:  # one notice, however many notes
                        yield Notice(f"{table.where}: {NOTES_NOT_STORED}")
                        notes_dropped = True
                if self._take_whole(read, reader):
                    # Flushed where row by row would flush: after every BATCH_SIZE rows.
                    start = 0
                    while start < len(read):
                        part = read.part(start, start + BATCH_SIZE - waiting)
                        batch.append(part)
                        waiting += len(part)
                        start += len(part)
                        if waiting >= BATCH_SIZE:
                            yield Flush(batch)
                            batch, waiting = [], 0
                    continue
                reads = read.rows()  # some row needs a word of its own
            else:
                reads = (read,)
            for read in reads:
                if isinstance(read, RowOutcome):  # a row the row reader did not accept
                    if read.rejected:
                        yield self._rejected(table, read, read.problems)
                    continue  # or nothing left to read in the row (a rejects file's reason alone)
                fields = read.fields
                if drop_notes and fields.get("notes"):
                    fields["notes"] = None
                    if not notes_dropped:  # one notice, however many notes
                        yield Notice(f"{table.where}: {NOTES_NOT_STORED}")
                        notes_dropped = True
                key = key_hash(record_type, natural_key, fields)
                if key in seen:
                    outcome = read.outcome()
                    outcome.problems.append(
                        finding(
                            "IMP-040",
                            duplicate_message(natural_key, fields, reader.plan.generated_ids),
                            "Each record has one row; delete or renumber the repeated row.",
                            Location(file=table.where, row=read.row),
                        )
                    )
                    yield self._rejected(table, outcome, outcome.problems)
                    continue
                seen.add(key)
                if record_type == "breakdowns" and fields["activity_id"] in self.rejected_ids:
                    yield HoldBack(fields["activity_id"], read.outcome())
                else:
                    batch.append(read)
                    waiting += 1
                if waiting >= BATCH_SIZE:
                    yield Flush(batch)
                    batch, waiting = [], 0
        if batch:
            yield Flush(batch)

    def _rejected(self, table: Table, outcome: RowOutcome, problems: list[Finding]) -> Reject:
        """A rejected row; a rejected activity's id is kept, to hold back its breakdowns."""
        if table.record_type == "activities":
            activity_id = outcome.cells.get(outcome.columns.get("activity_id", "activity_id"))
            if isinstance(activity_id, str | int) and not outcome.masked:
                self.rejected_ids.add(str(activity_id).strip())
        return Reject(outcome, problems)

    def _take_whole(self, whole: AcceptedBatch, reader: RowReader) -> bool:
        """Whether a batch of valid rows can be written whole: none of its records was given
        before, in it or earlier in the import (IMP-040), and no breakdown in it is of a
        rejected activity. Then its records are remembered as given; otherwise nothing is,
        and the caller takes the rows one by one, which says what each needs."""
        record_type = reader.record_type
        columns = whole.columns
        seen = self.seen
        natural = [columns[name] for name in reader.model.natural_key]
        keys = [hash((record_type, *values)) & _MASK64 for values in zip(*natural, strict=True)]
        if len(set(keys)) < len(keys) or seen.any_of(keys):
            return False
        if record_type == "breakdowns" and not self.rejected_ids.isdisjoint(columns["activity_id"]):
            return False
        seen.add_all(keys)
        return True
